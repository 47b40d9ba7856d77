#!/usr/bin/env bash
# Times the start of the real window and measures its memory with a full
# vault (issue 4: start under 1 s). bin/folio runs on an Xvfb display of its
# own with software GL, as in scripts/screenshots.sh, on a vault of
# $PATIENTS synthetic patients (default 100000, added by `folio demo`).
#
#   start   from exec until the window is mapped (xdotool sees it visible),
#           and until its first frame is painted (a grab of the window has
#           more than one colour; a grab takes about 50 ms, so that figure
#           is late by up to one grab). $RUNS starts (default 5): min,
#           median and max.
#   memory  one more start: log in as the administrator (the vault's real
#           Argon2id unlock), type a family name in the search, wait, and
#           read the process's resident memory from /proc (VmRSS, split
#           into RssAnon and RssFile: the vault file bbolt maps); the
#           audit trail is checked afterwards for the search.
#
# Usage: scripts/startup-bench.sh        (RUNS=5 PATIENTS=100000)
# bin/folio is built first unless FOLIO_BIN names a binary to use.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
patients=${PATIENTS:-100000}
bin=${FOLIO_BIN:-}
if [ -z "$bin" ]; then
  go build -o bin/folio .
  bin=./bin/folio
fi
for tool in Xvfb xdotool import; do
  command -v "$tool" >/dev/null || { echo "startup-bench: $tool is missing: run scripts/deps.sh bench" >&2; exit 1; }
done

data=$(mktemp -d)
xvfb="" app=""
cleanup() {
  if [ -n "$app" ]; then kill "$app" 2>/dev/null || true; wait "$app" 2>/dev/null || true; fi
  if [ -n "$xvfb" ]; then kill "$xvfb" 2>/dev/null || true; wait "$xvfb" 2>/dev/null || true; fi
  rm -rf "$data"
}
trap cleanup EXIT

export FOLIO_DATA="$data/vault" FOLIO_USER=admin FOLIO_PASSWORD="correct horse battery staple"
"$bin" init --site KAB >/dev/null
echo "   vault: $("$bin" demo --patients "$patients")"

# A display of our own: Xvfb picks a free number and writes it to fd 3.
Xvfb -displayfd 3 -screen 0 1280x800x24 3>"$data/display" >/dev/null 2>&1 &
xvfb=$!
for _ in $(seq 1 100); do [ -s "$data/display" ] && break; sleep 0.05; done
[ -s "$data/display" ] || { echo "startup-bench: Xvfb did not start" >&2; exit 1; }
export DISPLAY=":$(head -n1 "$data/display")" LIBGL_ALWAYS_SOFTWARE=1

now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }

# start runs the app and waits for its window: sets app, win, mapped_ms and
# painted_ms (since exec).
start() {
  local t0 t1 deadline colours
  t0=$(now)
  "$bin" 2>>"$data/app.log" &
  app=$!
  deadline=$(( t0 + 30000000000 ))
  win=""
  until win=$(xdotool search --onlyvisible --name '^Folio$' 2>/dev/null | head -n1) && [ -n "$win" ]; do
    [ "$(now)" -lt "$deadline" ] || { echo "startup-bench: no Folio window after 30 s; log:" >&2; tail "$data/app.log" >&2; exit 1; }
    sleep 0.01
  done
  t1=$(now)
  until colours=$(import -window "$win" -format '%k' info: 2>/dev/null) && [ "${colours:-1}" -gt 1 ]; do
    [ "$(now)" -lt "$deadline" ] || { echo "startup-bench: the window stayed blank for 30 s" >&2; exit 1; }
  done
  mapped_ms=$(ms "$t0" "$t1")
  painted_ms=$(ms "$t0" "$(now)")
}

stop() {
  kill "$app"
  wait "$app" || true
  app=""
}

stats() { sort -n | awk '{v[NR]=$1} END {printf "min %d ms, median %d ms, max %d ms", v[1], v[int((NR+1)/2)], v[NR]}'; }

: >"$data/mapped"
: >"$data/painted"
for i in $(seq 1 "$runs"); do
  start
  echo "$mapped_ms" >>"$data/mapped"
  echo "$painted_ms" >>"$data/painted"
  echo "   start $i: window mapped after $mapped_ms ms, login screen painted after $painted_ms ms"
  stop
done
echo "start → window mapped ($runs runs, $patients patients): $(stats <"$data/mapped") (goal < 1000 ms)"
echo "start → login screen painted ($runs runs, $patients patients): $(stats <"$data/painted") (goal < 1000 ms)"

# Memory after a login and a search. The login field has the keyboard
# first; the password takes a real Argon2id unlock, the search waits 250 ms
# after the last key.
start
xdotool type --delay 20 "admin"
xdotool key Tab
xdotool type --delay 20 "$FOLIO_PASSWORD"
xdotool key Return
sleep 3
xdotool type --delay 60 "okello"
sleep 3
read -r rss anon file < <(awk '/^VmRSS:/ {r=$2} /^RssAnon:/ {a=$2} /^RssFile:/ {f=$2} END {printf "%d %d %d\n", r/1024, a/1024, f/1024}' "/proc/$app/status")
stop
found=$("$bin" audit show --action patient.search --limit 1 | grep -o '"okello": [0-9]* results' || true)
[ -n "$found" ] || { echo "startup-bench: the window did not search (no patient.search event for \"okello\")" >&2; exit 1; }
echo "window's resident memory after login and a search ($found, $patients patients): ${rss} MB (anonymous ${anon} MB, file-backed ${file} MB)"
