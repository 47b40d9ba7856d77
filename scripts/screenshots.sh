#!/usr/bin/env bash
# Takes screenshots of the real window under Xvfb (software GL) into
# docs/screenshots/window-*.png: login, then search results after logging
# in, then a records clerk's scanning station after a scanned batch came in,
# on a throwaway vault filled with synthetic patients.
set -euo pipefail
cd "$(dirname "$0")/.."
shots=docs/screenshots
mkdir -p "$shots"
data=$(mktemp -d)
export FOLIO_DATA="$data" FOLIO_USER=admin FOLIO_PASSWORD="correct horse battery staple"
export FYNE_THEME=${FYNE_THEME:-light}   # the docs show the light variant unless asked
./bin/folio init --site KAB >/dev/null
./bin/folio demo --patients 300 >/dev/null
# A records clerk, a drop folder, and a page already waiting in the queue.
FOLIO_NEW_PASSWORD="records clerk passphrase" ./bin/folio user add grace --role records >/dev/null
corpus=../shared/corpus
mkdir -p "$data/inbox"
./bin/folio settings drop-folder "$data/inbox" >/dev/null
FOLIO_USER=grace FOLIO_PASSWORD="records clerk passphrase" ./bin/folio import $corpus/scans/paperless__simple.png >/dev/null

display=:97
Xvfb "$display" -screen 0 1280x800x24 >/dev/null 2>&1 &
xvfb=$!
trap 'kill $app $xvfb 2>/dev/null || true; rm -rf "$data"' EXIT
export DISPLAY=$display LIBGL_ALWAYS_SOFTWARE=1
sleep 1
./bin/folio &
app=$!

win=""
for _ in $(seq 1 60); do
  win=$(xdotool search --name '^Folio' 2>/dev/null | head -n1 || true)
  [ -n "$win" ] && break
  sleep 0.5
done
[ -n "$win" ] || { echo "the Folio window did not appear" >&2; exit 1; }
sleep 2
import -window "$win" "$shots/window-login.png"

# Log in: the user name field has focus first.
xdotool type --delay 20 "admin"
xdotool key Tab
xdotool type --delay 20 "$FOLIO_PASSWORD"
xdotool key Return
sleep 4
xdotool type --delay 60 "okel"
sleep 3
import -window "$win" "$shots/window-search.png"

# The scanning station, as the records clerk.
xdotool key ctrl+l
sleep 2
xdotool key shift+Tab ctrl+a   # the password has focus; back to the user name
xdotool type --delay 20 "grace"
xdotool key Tab
xdotool type --delay 20 "records clerk passphrase"
xdotool key Return
sleep 4
xdotool key ctrl+i
sleep 2
cp $corpus/scans/paperless__multi-page-images.pdf "$data/inbox/scan-0001.pdf"
sleep 12
import -window "$win" "$shots/window-scanning.png"
echo "screenshots in $shots"
