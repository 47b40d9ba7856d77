#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Folio needs to build, test and run,
# only those missing. Run as root or with sudo available.
set -euo pipefail

build=(gcc g++ libc6-dev pkg-config libgl-dev libx11-dev libxcursor-dev libxrandr-dev
       libxinerama-dev libxi-dev libxxf86vm-dev libtesseract-dev libleptonica-dev tesseract-ocr-eng tesseract-ocr-osd)
extra=()
case "${1:-}" in
  test) extra=(xvfb xauth imagemagick xdotool openbox libgl1-mesa-dri tesseract-ocr qpdf cups cups-client printer-driver-cups-pdf) ;;  # qpdf: scripts/screenshots.sh; cups…: printer tests; openbox: winplace's window-manager test
  run) extra=(libgl1-mesa-dri) ;;
  bench) extra=(tesseract-ocr ocrmypdf xvfb xdotool imagemagick libgl1-mesa-dri) ;;  # the last four: scripts/startup-bench.sh
esac

missing=()
for p in "${build[@]}" "${extra[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v go >/dev/null 2>&1; then
  echo "Go is not installed: install Go 1.22 or newer (https://go.dev/doc/install); it fetches the exact toolchain Folio needs by itself." >&2
  exit 1
fi
