#!/usr/bin/env bash
# The end-to-end run of the real window: builds a throwaway demo vault with
# the command line (300 synthetic patients, a user of each role, a drop
# folder, the corpus scans imported, some filed by Folio cover sheets, some
# filed from the queue, QA sampling at 100 %), then starts bin/folio under
# Xvfb (SCREEN, default 1366x768; software GL, light theme) and drives it from the keyboard
# with xdotool through every screen, saving docs/screenshots/window-*.png.
#
#   make screenshots             (installs the test packages, builds, runs this)
#   scripts/screenshots.sh       (bin/folio already built)
#   KEEP=1 scripts/screenshots.sh   keeps the demo vault (/tmp/folio-demo/data)
#   SYNC_ONLY=1 scripts/screenshots.sh   only the sync pictures (below)
#   SCREEN=1024x600 scripts/screenshots.sh   a clinic netbook's screen: the
#                                pictures go to docs/screenshots/1024x600/
#
# The sync pictures (window-chart-sync*.png, window-conflicts.png,
# window-admin-sync.png, window-join.png) need an
# archive and two workstations: bin/folio-archive serves one on 127.0.0.1,
# ward-a and ward-b join it, and both change the same patient before
# either syncs, so the record is in conflict.
#
# Every step waits by polling the window (it has settled when two captures
# in a row are the same; the scanning station is read back with tesseract),
# so a slow machine takes longer instead of taking wrong pictures. A wait
# that runs out is reported and the run goes on. The mouse is never clicked:
# it rests on the title bar so no hover highlight shows.
# Needs: Xvfb, xdotool, ImageMagick (import, convert), qpdf, tesseract
# (scripts/deps.sh test).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
start=$SECONDS
screen=${SCREEN:-1366x768}
case $screen in [0-9]*x[0-9]*) ;; *) echo "screenshots: SCREEN=$screen is not WIDTHxHEIGHT" >&2; exit 1 ;; esac
sw=${screen%x*} sh=${screen#*x}
shots=$root/docs/screenshots
[ "$screen" = 1366x768 ] || shots=$shots/$screen
corpus=${CORPUS:-$root/testdata/corpus}/scans
for tool in Xvfb xdotool import convert qpdf tesseract; do
  command -v "$tool" >/dev/null || { echo "screenshots: $tool is missing: run scripts/deps.sh test" >&2; exit 1; }
done
[ -x bin/folio ] || { echo "screenshots: build bin/folio first (make build)" >&2; exit 1; }
[ -x bin/folio-archive ] || go build -o bin/folio-archive ./cmd/folio-archive
[ -d "$corpus" ] || { echo "screenshots: the corpus is not at $corpus (set CORPUS=…/corpus)" >&2; exit 1; }
mkdir -p "$shots"

# A fixed folder, so the pictures show a sensible drop-folder path and do
# not change from run to run; one run at a time.
work=${FOLIO_DEMO_DIR:-/tmp/folio-demo}
if [ -f "$work/run.pid" ] && kill -0 "$(cat "$work/run.pid")" 2>/dev/null; then
  echo "screenshots: another run is using $work (pid $(cat "$work/run.pid"))" >&2
  exit 1
fi
rm -rf "$work"
mkdir -p "$work"
echo $$ >"$work/run.pid"
data=$work/data
drop=$work/scanner
app="" xvfb="" archive=""
cleanup() {
  set +e
  [ -n "$app" ] && kill "$app" 2>/dev/null && wait "$app" 2>/dev/null
  [ -n "$archive" ] && kill "$archive" 2>/dev/null && wait "$archive" 2>/dev/null
  [ -n "$xvfb" ] && kill "$xvfb" 2>/dev/null
  if [ -n "${KEEP:-}" ]; then echo "demo vault kept in $data (FOLIO_DATA=$data)"; else rm -rf "$work"; fi
}
trap cleanup EXIT
step() { printf '%4ds  %s\n' $((SECONDS - start)) "$*"; }

# --- The demo vault, with the command line. ---------------------------------

admin_pw="correct horse battery staple"
grace_pw="records clerk passphrase"    # records clerk: indexes and files
peter_pw="second clerk passphrase"     # records clerk: the QA check (a second person)
export FOLIO_DATA=$data OMP_THREAD_LIMIT=1
folio() { ./bin/folio "$@"; }
as() { local u=$1 p=$2; shift 2; FOLIO_USER=$u FOLIO_PASSWORD=$p ./bin/folio "$@"; }
# first_doc FILE: the first document id in `folio import --json` output.
first_doc() { grep -m1 -o '"document": *"[^"]*"' "$1" | sed 's/.*"\([^"]*\)"$/\1/'; }

# The first-run setup is the window over a folder with no vault yet.
mkdir -p "$data" "$drop"

if [ -z "${SYNC_ONLY:-}" ]; then # the demo vault (to the drop folder's batch)
step "demo vault: users, 300 patients, settings"
FOLIO_USER=admin FOLIO_PASSWORD=$admin_pw folio init --site KAB >/dev/null
as admin "$admin_pw" demo --patients 300 >/dev/null
FOLIO_NEW_PASSWORD=$grace_pw as admin "$admin_pw" user add grace --role records --full-name "Grace Atim" >/dev/null
FOLIO_NEW_PASSWORD=$peter_pw as admin "$admin_pw" user add peter --role records --full-name "Peter Mugisha" >/dev/null
FOLIO_NEW_PASSWORD="scanning clerk passphrase" as admin "$admin_pw" user add sam --role scanning --full-name "Sam Kato" >/dev/null
FOLIO_NEW_PASSWORD="clinician passphrase" as admin "$admin_pw" user add dr.nankya --role clinician --full-name "Dr Ruth Nankya" >/dev/null
as admin "$admin_pw" settings drop-folder "$drop" >/dev/null
as grace "$grace_pw" settings qa-sample 100 >/dev/null   # so QA has work

# The demo patients are the same for every run (seed 1): OKELLO Kamau,
# born 1982-12-24, is the patient whose chart the pictures show.
kamau=KAB-000141-R
wanjiru=KAB-000298-6
other=KAB-000029-F
as grace "$grace_pw" patient show "$kamau" >"$work/kamau.txt"
grep -q 'OKELLO' "$work/kamau.txt" ||
  { echo "screenshots: $kamau is not OKELLO Kamau any more: update the script to the demo generator" >&2; exit 1; }

step "importing the corpus scans (OCR: about a minute on 2 cores under load)"
# A laboratory report that names the patient by MRN: it waits in the queue
# with Folio's proposal (patient, type, date) for the indexing screenshot.
convert -size 1275x1650 xc:white -fill black -font DejaVu-Sans \
  -pointsize 44 -annotate +110+170 'Kabale District Hospital' \
  -pointsize 34 -annotate +110+235 'LABORATORY REPORT' \
  -pointsize 26 -annotate +110+340 'Patient: OKELLO Kamau' \
  -annotate +110+385 "MRN: $kamau" \
  -annotate +110+430 'Specimen collected: 14 March 2026' \
  -font DejaVu-Sans-Mono \
  -annotate +110+540 'Test            Result      Reference range' \
  -annotate +110+590 'Haemoglobin     11.2 g/dL   13.0 - 17.0' \
  -annotate +110+635 'White cells     7.4         4.0 - 11.0' \
  -annotate +110+680 'Platelets       212         150 - 400' \
  -annotate +110+725 'Malaria RDT     negative' \
  -font DejaVu-Sans \
  -annotate +110+860 'Comment: mild anaemia. Repeat in 4 weeks.' \
  -annotate +110+960 'Laboratory technologist: S. Namara' \
  -units PixelsPerInch -density 150 "$work/lab-report.png"
as grace "$grace_pw" import "$work/lab-report.png" >/dev/null

# Batches with a Folio cover sheet on top file themselves: the scanner's
# output is the printed sheet followed by the pages.
batch() { # OUT MRN TYPE DATE SCAN
  as grace "$grace_pw" coversheet --patient "$2" --type "$3" --date "$4" --out "$work/cover.pdf" >/dev/null
  qpdf --empty --pages "$work/cover.pdf" "$5" -- "$1"
}
# The newest, a 4-page discharge summary scanned every which way (turned
# upright), is the document the viewer shows.
batch "$work/discharge.pdf" "$kamau" discharge-summary 2026-03-02 "$corpus/paperless__rotated.pdf"
batch "$work/referral.pdf" "$kamau" referral 2026-01-20 "$corpus/paperless__single-page-mixed.pdf" # 2 pages, text layer
batch "$work/clinic-note.pdf" "$kamau" clinical-note 2025-11-05 "$corpus/ocrmypdf__linn.pdf"       # a real 300 dpi scan
as grace "$grace_pw" import "$work/discharge.pdf" "$work/referral.pdf" "$work/clinic-note.pdf" >/dev/null

# Without a sheet, the rest waits in the queue; some are filed from it.
file_scan() { # SCAN MRN TYPE DATE: import, then file from the queue
  as grace "$grace_pw" import --json "$1" >"$work/out.json"
  as grace "$grace_pw" queue file "$(first_doc "$work/out.json")" --patient "$2" --type "$3" --date "$4" >/dev/null
}
file_scan "$corpus/paperless__multi-page-images.pdf" "$kamau" lab-result 2025-08-11 # 3 pages, image-only
file_scan "$corpus/ocrmypdf__c02-22.pdf" "$kamau" correspondence 2024-06-30    # a book page with a picture
file_scan "$corpus/paperless__simple.jpg" "$other" prescription 2026-02-10
as grace "$grace_pw" import "$corpus/ocrmypdf__typewriter.png" "$corpus/paperless__tagged-but-no-text.pdf" >/dev/null

# What lands in the drop folder while the station is on show: a cover
# sheet and a 4-page scan turned every which way.
batch "$work/scan-0001.pdf" "$wanjiru" referral 2026-04-09 "$corpus/ocrmypdf__cardinal.pdf"
fi # SYNC_ONLY

# --- The window, under Xvfb. -----------------------------------------------

display=""
for n in $(seq 90 120); do
  [ -e "/tmp/.X$n-lock" ] || [ -e "/tmp/.X11-unix/X$n" ] || { display=:$n; break; }
done
[ -n "$display" ] || { echo "screenshots: no free X display between :90 and :120" >&2; exit 1; }
Xvfb "$display" -screen 0 ${screen}x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
export DISPLAY=$display LIBGL_ALWAYS_SOFTWARE=1
export FYNE_THEME=${FYNE_THEME:-light}
# Fyne's own settings in a folder of this run: no animations, so the text
# cursor does not blink and two captures of a still window are the same.
export XDG_CONFIG_HOME=$work/config
mkdir -p "$XDG_CONFIG_HOME/fyne"
echo '{"no_animations": true}' >"$XDG_CONFIG_HOME/fyne/settings.json"
for _ in $(seq 1 50); do xdotool getmouselocation >/dev/null 2>&1 && break; sleep 0.2; done

win=""
# launch [DATA]: starts the window (on another data folder if given) and
# waits for it; it fills the screen.
launch() {
  FOLIO_DATA=${1:-$data} FOLIO_USER="" FOLIO_PASSWORD="" ./bin/folio >"$work/app.log" 2>&1 &
  app=$!
  win=""
  for _ in $(seq 1 120); do
    win=$(xdotool search --name '^Folio' 2>/dev/null | head -n1 || true)
    [ -n "$win" ] && break
    kill -0 "$app" 2>/dev/null || { cat "$work/app.log" >&2; echo "screenshots: the window did not start" >&2; exit 1; }
    sleep 0.25
  done
  [ -n "$win" ] || { echo "screenshots: the Folio window did not appear" >&2; exit 1; }
  # Fill the screen; the window may still place itself (centre, its own
  # size) after it appears, so do it until it stays.
  local geo="" ok=0
  for _ in $(seq 1 40); do
    geo=$(xdotool getwindowgeometry "$win" 2>/dev/null | tr -d '\n')
    case $geo in
      *"Position: 0,0"*"Geometry: ${screen}"*) ok=$((ok + 1)); [ $ok -ge 3 ] && break ;;
      *) ok=0; xdotool windowmove "$win" 0 0 windowsize "$win" "$sw" "$sh" ;;
    esac
    sleep 0.25
  done
  case $geo in *"Geometry: ${screen}"*) ;; *) echo "        (the window would not fill the screen: $geo)" ;; esac
  # The keys go to the focused window; the pointer rests on the menu bar,
  # where it highlights nothing.
  xdotool windowfocus "$win" mousemove --window "$win" 640 12
  settle 20
}
quit() { kill "$app"; wait "$app" 2>/dev/null || true; app=""; }

# frame: a hash of what the window shows now.
frame() { import -window "$win" -depth 8 rgb:- 2>/dev/null | md5sum | cut -c1-32; }
# settle [MAX]: waits until the window stops changing (two captures 0.3 s
# apart are the same), at most MAX seconds.
settle() {
  local max=${1:-10} prev="" cur end
  end=$((SECONDS + max))
  sleep 0.3
  while [ $SECONDS -lt "$end" ]; do
    cur=$(frame)
    [ "$cur" = "$prev" ] && return 0
    prev=$cur
    sleep 0.3
  done
  echo "        (the window was still changing after ${max}s)"
}
# screen_text: what the window says, read with tesseract (about a second).
screen_text() {
  import -window "$win" -depth 8 png:- 2>/dev/null | convert png:- -colorspace Gray png:- |
    tesseract stdin stdout 2>/dev/null || true
}
# wait_text REGEX [MAX] [STILL]: waits until the window shows text matching
# REGEX (case ignored), at most MAX seconds, or, given STILL, until the
# window has not changed for STILL seconds (a screen reworded since this
# script was written costs a little time, not minutes). When it gives up it
# says what it read.
wait_text() {
  local end=$((SECONDS + ${2:-30})) still=${3:-0} seen="" h last="" since=$SECONDS why
  why="after ${2:-30}s"
  while [ $SECONDS -lt "$end" ]; do
    seen=$(screen_text)
    grep -Eqi "$1" <<<"$seen" && return 0
    if [ "$still" -gt 0 ]; then
      h=$(frame)
      if [ "$h" != "$last" ]; then
        last=$h since=$SECONDS
      elif [ $((SECONDS - since)) -ge "$still" ]; then
        why="; the window has not changed for ${still}s"
        break
      fi
    fi
    sleep 0.3
  done
  echo "        (no \"$1\" on the screen $why; it read:)"
  grep -v '^\s*$' <<<"$seen" | head -n 12 | sed 's/^/        | /'
  return 1
}
shot() { import -window "$win" "$shots/window-$1.png"; step "window-$1.png"; }
key() { xdotool key --delay 60 "$@"; }
typed() { xdotool type --delay 40 "$1"; }
# login USER PASSWORD: logs in. A fresh login has the user name focused;
# after a lock the password is (Shift+Tab goes back to the user name).
# Enter in the user name moves to the password.
login() {
  [ "${fresh:-}" = 1 ] || key shift+Tab
  key ctrl+a
  typed "$1"
  key Return
  typed "$2"
  key Return
  settle 15
}

if [ -z "${SYNC_ONLY:-}" ]; then # every screen but sync's
step "first run: the setup screen and the recovery key"
launch "$work/empty"
shot setup
typed admin; key Return      # Enter goes on to the next field
typed "$admin_pw"; key Return
typed "$admin_pw"; key Return
typed KAB; key Return        # creates the vault (Argon2id: about a second)
settle 20
shot recovery-key
key space Tab space          # "I have written it down", Continue to log in
wait_text 'log in to folio' 20 >/dev/null || echo "        (the recovery key screen did not lead to the login)"
quit

step "the demo vault"
launch
shot login

# The records clerk: patients, the chart, the viewer, registration,
# scanning, the queue.
fresh=1 login grace "$grace_pw"
typed "okello"
settle
shot search
key ctrl+a
typed "okello kam"      # narrows to OKELLO Kamau; Enter opens the first
settle
key Return
settle 15
shot chart-timeline
key ctrl+Next           # Ctrl+Page Down: the next tab
settle 15
shot chart-documents
key ctrl+Next
settle
shot chart-demographics
key ctrl+Next
settle
shot chart-access-log
key ctrl+Next           # round to the Timeline, the newest document focused
settle
key Return              # opens it: the 4-page discharge summary
settle 15
shot document-viewer
key Next                # Page Down: page 2
settle
key plus plus           # zoom in
settle
shot document-zoom
key ctrl+1              # fit width again
key ctrl+g              # with the search empty, Ctrl+G goes to the search field
typed "weird"           # on page 3 only
key Return
settle 15
shot document-search
key Escape              # back to the chart
settle
key Escape              # back to the search

key ctrl+n              # register OKELLO Kamau again: Folio says he may be there
settle
typed "Okello"
key Tab
typed "Kamau"
key Tab Tab Right Right # other names; sex: Female → Male
key Tab
typed "1982-12-24"
key Tab Tab
typed "0778 426 962"
settle
shot register
key ctrl+s
settle 15
shot register-duplicates
key space               # Cancel (focused)
settle
key Escape              # leave the form

key ctrl+i
settle 15
cp "$work/scan-0001.pdf" "$drop/.scan-0001.pdf.part"
mv "$drop/.scan-0001.pdf.part" "$drop/scan-0001.pdf"   # whole at once (dot files are not taken)
wait_text 'rendering|reading the text|page [0-9]+ of' 40 && shot scanning-progress
# Done: "5 pages, 1 document filed, 0 waiting in the queue" (or a failure).
# A page's OCR may take more than 10 s on a loaded machine: still for 45 s.
wait_text 'documents? filed|[0-9]+ waiting in the|needs indexing|failed|could not be read' 180 45 || true
settle 10
shot scanning

key ctrl+j              # the lab report, with Folio's proposal
settle 15
shot queue
key ctrl+Return         # file it as proposed
settle

# The second records clerk checks what the first filed.
key ctrl+l
settle
login peter "$peter_pw"
key ctrl+k
settle 15
shot qa

# The administrator.
key ctrl+l
settle
login admin "$admin_pw"
key ctrl+u
settle 15
shot admin-users
key ctrl+2
settle 15
shot admin-settings
key ctrl+l
settle
shot lock
quit

step "the document viewer in the dark variant"
FYNE_THEME=dark launch
fresh=1 login grace "$grace_pw"
typed "$kamau"
settle
key Return
settle 15
key Return
settle 15
shot document-viewer-dark
quit
fi # SYNC_ONLY

# --- Sync: an archive, two workstations, a conflict. ------------------------

step "sync: an archive, ward-a and ward-b, a patient changed on both offline"
arc=$work/archive
wa=$work/ward-a
wb=$work/ward-b
nurse_pw="second ward passphrase"
kamau=KAB-000141-R       # OKELLO Kamau, as in the demo vault
mkdir -p "$wa" "$wb"
port=$((20000 + RANDOM % 20000))
./bin/folio-archive init --data "$arc" --org "Kabale District Health" --host 127.0.0.1 >/dev/null
./bin/folio-archive serve --data "$arc" --listen "127.0.0.1:$port" >"$work/archive.log" 2>&1 &
archive=$!
./bin/folio-archive device add --data "$arc" --name ward-a --address "127.0.0.1:$port" --out "$work/ward-a.enroll" >/dev/null
./bin/folio-archive device add --data "$arc" --name ward-b --address "127.0.0.1:$port" --out "$work/ward-b.enroll" >/dev/null
on_a() { local u=$1 p=$2; shift 2; FOLIO_DATA=$wa FOLIO_USER=$u FOLIO_PASSWORD=$p ./bin/folio "$@"; }
on_b() { local u=$1 p=$2; shift 2; FOLIO_DATA=$wb FOLIO_USER=$u FOLIO_PASSWORD=$p ./bin/folio "$@"; }
on_a admin "$admin_pw" init --site KAB >/dev/null
on_a admin "$admin_pw" demo --patients 300 >/dev/null
FOLIO_NEW_PASSWORD=$grace_pw on_a admin "$admin_pw" user add grace --role records --full-name "Grace Atim" >/dev/null
FOLIO_NEW_PASSWORD=$nurse_pw on_a admin "$admin_pw" user add nurse --role records --full-name "Esther Nabirye" >/dev/null
on_a admin "$admin_pw" sync enroll "$work/ward-a.enroll" >/dev/null
# Two documents of OKELLO Kamau, filed by their cover sheets.
for d in "referral 2026-01-20 paperless__single-page-mixed.pdf" "discharge-summary 2026-03-02 paperless__rotated.pdf"; do
  set -- $d
  on_a grace "$grace_pw" coversheet --patient "$kamau" --type "$1" --date "$2" --out "$work/cover.pdf" >/dev/null
  qpdf --empty --pages "$work/cover.pdf" "$corpus/$3" -- "$work/sync-$1.pdf"
  on_a grace "$grace_pw" import "$work/sync-$1.pdf" >/dev/null
done
on_a admin "$admin_pw" sync now >/dev/null
on_b nurse "$nurse_pw" init --join "$work/ward-b.enroll" >/dev/null
fp=$(on_b nurse "$nurse_pw" sync status --json | sed -n 's/.*"join_key_fingerprint": "\(.*\)".*/\1/p')
on_a admin "$admin_pw" sync approve ward-b --fingerprint "$fp" >/dev/null
on_b nurse "$nurse_pw" sync now >/dev/null
# Offline, each workstation changes the same patient, a different field.
on_a grace "$grace_pw" patient amend "$kamau" --phone "0772 555 019" >/dev/null
on_b nurse "$nurse_pw" patient amend "$kamau" --village "Rubanda" >/dev/null
on_a admin "$admin_pw" sync now >/dev/null
on_b nurse "$nurse_pw" sync now >/dev/null
on_a admin "$admin_pw" sync now >/dev/null

launch "$wa"
fresh=1 login grace "$grace_pw"
wait_text 'up to date' 30 >/dev/null || true
typed "$kamau"
settle
key Return
settle 15
wait_text 'synced' 20 >/dev/null || true
shot chart-sync
key ctrl+Next ctrl+Next  # Demographics
settle
shot chart-sync-demographics
# The sync indicator's "Resolve 1 conflict…", at the foot of the sidebar.
xdotool mousemove --window "$win" 110 770 click 1 mousemove --window "$win" 640 12
settle 15
shot conflicts
quit

# Setting sync up in the window: ward-c joins (the command line's
# 'folio init --join') and waits for the keys; ward-a's administrator sees
# it on the Sync page, and ward-c's window shows the fingerprint to compare.
step "sync set-up: ward-c waits for the keys; ward-a's Sync page"
wc=$work/ward-c
mkdir -p "$wc"
./bin/folio-archive device add --data "$arc" --name ward-c --address "127.0.0.1:$port" --out "$work/ward-c.enroll" >/dev/null
FOLIO_DATA=$wc FOLIO_USER=nurse FOLIO_PASSWORD=$nurse_pw ./bin/folio init --join "$work/ward-c.enroll" >/dev/null
launch "$wa"
fresh=1 login admin "$admin_pw"
wait_text 'up to date' 30 >/dev/null || true
key ctrl+u
settle
key ctrl+3
settle 15
# The wheel brings the waiting workstation into view under the status.
xdotool mousemove --window "$win" 760 500 click --repeat 14 5 mousemove --window "$win" 640 12
settle
wait_text 'ward-c' 20 >/dev/null || true
shot admin-sync
quit
launch "$wc"
wait_text 'approval|no link' 30 >/dev/null || true
shot join
quit

echo "$(ls "$shots"/window-*.png | wc -l) screenshots in ${shots#$root/}/ in $((SECONDS - start)) s"
