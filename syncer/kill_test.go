package syncer_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/image/tiff"

	"folio/archive/api"
	"folio/archive/boltstore"
	"folio/internal/testkit"
	"folio/syncer"
)

// TestKillSync runs the archive and three workstations as real processes
// and kills them with SIGKILL at random moments while they sync: each
// round starts 'folio sync now' on every idle workstation, waits a random
// time, then kills the archive server (restarted at once) or one of the
// running syncs. Between rounds idle workstations work offline: patients
// registered and amended (the same patients on several workstations, so
// conflicts arise), synthetic patients in bulk, new multi-MiB scans. Sync
// is capped at killBandwidth so that a scan's 1 MiB chunks take seconds
// and kills land mid-transfer; until one kill has landed mid-upload and
// one mid-download, a round waits for such a moment (see target).
//
// After the last kill the workstations sync until a whole pass moves
// nothing, and then:
//   - every vault opens and verifies, and all hold the same records
//     (patients, conflicts, documents) and the same number of versions;
//   - nothing is lost or doubled: every patient registered anywhere is
//     everywhere, once; the archive holds each version once (its head is
//     the vaults' version count) and no upload is left half done;
//   - blob transfers resumed rather than restarted: counted from the
//     archive's request log (one line per request, written when it ends),
//     no verified chunk was uploaded twice, the chunk bytes received
//     exceed the blobs' bytes by at most one chunk per killed sync, the
//     upload cut mid-blob went on, the download cut mid-blob asked for
//     a range from at least the bytes it held, and no download that had
//     resumed once started over from byte 0.
//
// FOLIO_KILL_ROUNDS sets the number of kills (default 10); FOLIO_KILL_SEED
// replays a run's choices (the seed is logged; the processes' timing is
// not replayed, so neither are which transfers a kill cuts).
func TestKillSync(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the real programs")
	}
	if raceDetector {
		// Its programs are built without the detector (built with it, they
		// take minutes more to compile, and run too slowly for kills aimed
		// at transfers by their timing); the plain pass runs it.
		t.Skip("the kill test runs in the pass without the race detector")
	}
	rounds := testkit.EnvInt(t, "FOLIO_KILL_ROUNDS", 10)
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("FOLIO_KILL_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("FOLIO_KILL_SEED=%q: %v", s, err)
		}
	}
	t.Logf("seed %d, %d kills (replay: FOLIO_KILL_SEED=%d FOLIO_KILL_ROUNDS=%d)", seed, rounds, seed, rounds)
	rng := rand.New(rand.NewPCG(seed, 0x6b696c6c))
	start := time.Now()

	r := newKillRig(t)
	r.setUp()
	t.Logf("set up in %s: %d patients, %d scans of %d bytes", time.Since(start).Round(time.Millisecond), r.patients, r.scans, r.scanSize)

	loop := time.Now()
	for i := range rounds {
		r.round(i, rng)
	}
	r.reapAll(3 * time.Minute)
	t.Logf("%d kills in %s (%d of the archive); %d syncs ran, %d were killed, %d stopped on their own with an error",
		len(r.kills), time.Since(loop).Round(time.Millisecond), r.serverKills(), r.syncs, r.syncsKilled, r.syncsFailed)
	for msg, n := range r.syncErrors {
		t.Logf("  sync error ×%d: %s", n, msg)
	}

	r.heal()
	r.checkReplicas()
	r.checkArchive()
	t.Logf("total %s", time.Since(start).Round(time.Millisecond))
}

// killBandwidth caps every workstation's sync during the kill rounds
// (bytes per second): a scan of 9 chunks takes about 4 s to upload.
const killBandwidth = 2 << 20

const (
	killAdminPW = "correct horse battery"
	killNursePW = "the ward clerk words"
	killClerkPW = "green paper folders"
	// killFamily is the family name of the patients registered one by
	// one during the kill rounds, killShared of those every workstation
	// amends.
	killFamily = "Wanjiru"
	killShared = "Achieng"
)

// killRig is the organisation of TestKillSync: the archive server's data,
// address and current process, and the workstations.
type killRig struct {
	t      *testing.T
	bins   string
	logs   string
	arc    string
	addr   string
	srvLog *os.File // the servers' stderr, every start appended
	srv    *killProc
	starts int
	ws     []*killWS

	scanDir  string
	scans    int   // scans imported (each a new variant)
	scanSize int64 // bytes of one scan file
	patients int   // patients registered, on all workstations
	shared   []string
	tracked  []string // MRNs of the patients registered one by one
	versions int      // record versions in every vault, once healed

	kills       []killEvent
	up, down    *killTarget      // the kills aimed mid-upload and mid-download
	logOff      int64            // how far round has read the archive's log
	partials    map[string]int64 // partial download files seen, by path, and their sizes
	syncs       int
	syncsKilled int
	syncsFailed int
	syncErrors  map[string]int
}

// killWS is one workstation: its vault's environment and the sync it runs.
type killWS struct {
	name  string
	dir   string   // its data folder
	env   []string // its own user
	nurse []string // the nurse, who may read documents
	sync  *killProc
}

type killEvent struct {
	at     time.Time
	victim string // "archive" or a workstation's name
}

// killTarget is a kill aimed at a transfer under way: a sync killed right
// after the archive stored chunk 1–5 of a 9-chunk upload, or while its
// partial download file grows past 1 MiB.
type killTarget struct {
	ws      string
	id      string // the blob (uploads: from the archive's log; downloads: from the partial file's name)
	at      time.Time
	partial int64 // bytes of the download on disk just before the kill
}

// killProc is a program started in its own process group.
type killProc struct {
	label string
	cmd   *exec.Cmd
	out   bytes.Buffer // stdout and stderr, when not a file; read after done
	done  chan struct{}
	err   error // Wait's answer, set before done closes
}

// startProc starts bin in its own process group, with stdout and stderr
// to out (p.out when nil).
func startProc(label string, env []string, out, errOut *os.File, bin string, args ...string) (*killProc, error) {
	p := &killProc{label: label, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(os.Environ(), env...)
	if out != nil {
		p.cmd.Stdout, p.cmd.Stderr = out, errOut
	} else {
		p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	}
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", label, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *killProc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGKILL to the process group and reaps the process.
func (p *killProc) stop() error {
	if err := syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill %s: %w", p.label, err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(30 * time.Second):
		return fmt.Errorf("%s does not die after SIGKILL", p.label)
	}
}

func (p *killProc) kill(t *testing.T) {
	t.Helper()
	if err := p.stop(); err != nil {
		t.Fatal(err)
	}
}

// code is the exit code, -1 when a signal ended the process.
func (p *killProc) code() int {
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	if p.err != nil {
		return -2
	}
	return 0
}

// finish waits up to limit for p to end with exit code want.
func (p *killProc) finish(want int, limit time.Duration) (string, error) {
	select {
	case <-p.done:
	case <-time.After(limit):
		err := p.stop()
		return "", errors.Join(fmt.Errorf("%s: still running after %s\n%s", p.label, limit, p.out.String()), err)
	}
	if c := p.code(); c != want {
		return p.out.String(), fmt.Errorf("%s: exit %d (%v), want %d\n%s", p.label, c, p.err, want, p.out.String())
	}
	return p.out.String(), nil
}

func newKillRig(t *testing.T) *killRig {
	// Every folder is made before the cleanup that kills the processes
	// is registered, so that it runs first.
	r := &killRig{t: t, bins: t.TempDir(), logs: t.TempDir(), arc: t.TempDir(), scanDir: t.TempDir(), syncErrors: map[string]int{}, partials: map[string]int64{}}
	users := [][2]string{{"admin", killAdminPW}, {"nurse", killNursePW}, {"clerk", killClerkPW}}
	for i, n := range []string{"ward-a", "ward-b", "ward-c"} {
		dir := t.TempDir()
		r.ws = append(r.ws, &killWS{
			name:  n,
			dir:   dir,
			env:   []string{"FOLIO_DATA=" + dir, "FOLIO_USER=" + users[i][0], "FOLIO_PASSWORD=" + users[i][1]},
			nurse: []string{"FOLIO_DATA=" + dir, "FOLIO_USER=nurse", "FOLIO_PASSWORD=" + killNursePW},
		})
	}
	testkit.Build(t, r.bins, "folio", "folio")
	testkit.Build(t, r.bins, "folio/cmd/folio-archive", "folio-archive")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.addr = ln.Addr().String()
	ln.Close()
	if r.srvLog, err = os.OpenFile(filepath.Join(r.logs, "archive.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, w := range r.ws {
			if w.sync != nil {
				w.sync.kill(t)
			}
		}
		if r.srv != nil {
			r.srv.kill(t)
		}
		r.srvLog.Close()
		if t.Failed() {
			if b, err := os.ReadFile(r.srvLog.Name()); err == nil {
				if len(b) > 20000 {
					b = b[len(b)-20000:]
				}
				t.Logf("tail of the archive's log:\n%s", b)
			}
		}
	})
	return r
}

// killCmd is one command line of the rig and the exit code it must end
// with.
type killCmd struct {
	env  []string
	want int
	name string
	args []string
}

func kcmd(env []string, want int, name string, args ...string) killCmd {
	return killCmd{env: env, want: want, name: name, args: args}
}

func (c killCmd) label() string { return c.name + " " + strings.Join(c.args, " ") }

// exec runs c to its end (3 minutes at most).
func (r *killRig) exec(c killCmd) (string, error) {
	p, err := startProc(c.label(), c.env, nil, nil, filepath.Join(r.bins, c.name), c.args...)
	if err != nil {
		return "", err
	}
	return p.finish(c.want, 3*time.Minute)
}

// run runs a command line to its end and checks its exit code.
func (r *killRig) run(env []string, want int, name string, args ...string) string {
	r.t.Helper()
	out, err := r.exec(kcmd(env, want, name, args...))
	if err != nil {
		r.t.Fatal(err)
	}
	return out
}

// par runs each sequence of commands in order, the sequences side by
// side (each works on its own vault), and returns their outputs.
func (r *killRig) par(seqs ...[]killCmd) [][]string {
	r.t.Helper()
	outs := make([][]string, len(seqs))
	errs := make([]error, len(seqs))
	var wg sync.WaitGroup
	for i, seq := range seqs {
		wg.Go(func() {
			for _, c := range seq {
				out, err := r.exec(c)
				outs[i] = append(outs[i], out)
				if err != nil {
					errs[i] = err
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		r.t.Fatal(err)
	}
	return outs
}

// startSync starts 'folio sync now' on w.
func (r *killRig) startSync(w *killWS) {
	r.t.Helper()
	p, err := startProc(w.name+" sync", w.env, nil, nil, filepath.Join(r.bins, "folio"), "sync", "now")
	if err != nil {
		r.t.Fatal(err)
	}
	w.sync = p
	r.syncs++
}

// startServer starts 'folio-archive serve' and waits until it listens.
func (r *killRig) startServer() {
	r.t.Helper()
	r.starts++
	outPath := filepath.Join(r.logs, fmt.Sprintf("serve-%d.out", r.starts))
	out, err := os.Create(outPath)
	if err != nil {
		r.t.Fatal(err)
	}
	defer out.Close()
	p, err := startProc("folio-archive serve", nil, out, r.srvLog, filepath.Join(r.bins, "folio-archive"), "serve", "--data", r.arc, "--listen", r.addr)
	if err != nil {
		r.t.Fatal(err)
	}
	r.srv = p
	deadline := time.Now().Add(time.Minute)
	for {
		b, _ := os.ReadFile(outPath)
		if bytes.Contains(b, []byte("listening on")) {
			c, err := net.DialTimeout("tcp", r.addr, 5*time.Second)
			if err == nil {
				c.Close()
				return
			}
		}
		if p.exited() {
			r.t.Fatalf("the archive stopped on start (%v):\n%s", p.err, b)
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("the archive does not listen on %s after a minute:\n%s", r.addr, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stopServer stops the archive gracefully (SIGTERM) and waits for it.
func (r *killRig) stopServer() {
	r.t.Helper()
	if err := r.srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		r.t.Fatalf("stop the archive: %v", err)
	}
	select {
	case <-r.srv.done:
	case <-time.After(time.Minute):
		r.t.Fatal("the archive does not stop within a minute of SIGTERM")
	}
	if c := r.srv.code(); c != 0 {
		r.t.Errorf("the archive stopped with exit %d (%v)", c, r.srv.err)
	}
	r.srv = nil
}

func (r *killRig) serverKills() int {
	n := 0
	for _, k := range r.kills {
		if k.victim == "archive" {
			n++
		}
	}
	return n
}

// admin is w's environment for its administrator.
func (w *killWS) admin() []string {
	return []string{w.env[0], "FOLIO_USER=admin", "FOLIO_PASSWORD=" + killAdminPW}
}

// setUp makes the archive and three workstations as the README says
// (ward-a creates the vault, ward-b and ward-c join), registers and
// syncs the shared patients, caps the bandwidth, then gives every
// workstation offline work: synthetic patients, one tracked patient and
// a multi-MiB scan.
func (r *killRig) setUp() {
	t := r.t
	r.run(nil, 0, "folio-archive", "init", "--data", r.arc, "--org", "Lake District Health", "--host", "127.0.0.1")
	enroll := map[string]string{}
	for _, w := range r.ws {
		enroll[w.name] = filepath.Join(r.logs, w.name+".enroll")
		r.run(nil, 0, "folio-archive", "device", "add", "--data", r.arc, "--name", w.name, "--out", enroll[w.name], "--address", r.addr)
	}
	r.startServer()

	a, b, c := r.ws[0], r.ws[1], r.ws[2]
	r.run(a.env, 0, "folio", "init", "--site", "WA")
	r.run(append(a.env, "FOLIO_NEW_PASSWORD="+killNursePW), 0, "folio", "user", "add", "nurse", "--role", "records")
	r.run(append(a.env, "FOLIO_NEW_PASSWORD="+killClerkPW), 0, "folio", "user", "add", "clerk", "--role", "records")
	for _, given := range []string{"Mary", "Grace"} {
		r.shared = append(r.shared, r.addPatient(a, killShared, given))
	}
	r.demo(a, 200, 1)
	r.run(a.env, 0, "folio", "sync", "enroll", enroll["ward-a"])
	r.run(a.env, 0, "folio", "sync", "now")

	// b and c join; a approves each.
	outs := r.par(
		[]killCmd{kcmd(b.env, 0, "folio", "init", "--join", enroll["ward-b"]), kcmd(b.env, 1, "folio", "sync", "now")},
		[]killCmd{kcmd(c.env, 0, "folio", "init", "--join", enroll["ward-c"]), kcmd(c.env, 1, "folio", "sync", "now")})
	for i, w := range []*killWS{b, c} {
		fp := between(outs[i][0], "--fingerprint ", "\n")
		if fp == "" {
			t.Fatalf("%s: init --join does not name the key fingerprint:\n%s", w.name, outs[i][0])
		}
		r.run(a.env, 0, "folio", "sync", "approve", w.name, "--fingerprint", fp)
	}

	// Every workstation: its first sync (b, c), the cap, and offline work.
	var seqs [][]killCmd
	for i, w := range r.ws {
		var seq []killCmd
		if w != a {
			seq = append(seq, kcmd(w.env, 0, "folio", "sync", "now"),
				kcmd(w.env, 0, "folio", "demo", "--patients", "200", "--seed", strconv.Itoa(i+1)))
			r.patients += 200
		}
		seq = append(seq, kcmd(w.admin(), 0, "folio", "sync", "bandwidth", strconv.Itoa(killBandwidth)),
			kcmd(w.env, 0, "folio", "patient", "add", "--family", killFamily, "--given", "Setup"+strconv.Itoa(i), "--sex", "female", "--dob", "1980", "--force", "--json"),
			kcmd(w.env, 0, "folio", "import", r.scan()))
		seqs = append(seqs, seq)
	}
	outs = r.par(seqs...)
	for i, w := range r.ws {
		r.tracked = append(r.tracked, r.mrn(w, outs[i][len(outs[i])-2]))
	}
}

// scan writes a new variant of a one-page scan, an uncompressed 8-bit
// TIFF of about 8.4 MB (9 chunks of 1 MiB): the top third of the
// linn.png page, white below (so reading it takes seconds, not many),
// and one pixel per variant a shade off white, so that each file is new
// to the vault that imports it.
func (r *killRig) scan() string {
	r.t.Helper()
	f, err := os.Open("../testdata/corpus/scans/ocrmypdf__linn.png")
	if err != nil {
		r.t.Fatal(err)
	}
	defer f.Close()
	src, err := png.Decode(f)
	if err != nil {
		r.t.Fatal(err)
	}
	b := src.Bounds()
	gray := image.NewGray(b)
	draw.Draw(gray, b, image.White, image.Point{}, draw.Src)
	top := image.Rect(b.Min.X, b.Min.Y, b.Max.X, b.Min.Y+b.Dy()/3)
	draw.Draw(gray, top, src, top.Min, draw.Src)
	gray.SetGray(b.Min.X+r.scans%b.Dx(), b.Max.Y-1-r.scans/b.Dx(), color.Gray{Y: 254})
	var buf bytes.Buffer
	if err := tiff.Encode(&buf, gray, &tiff.Options{Compression: tiff.Uncompressed}); err != nil {
		r.t.Fatal(err)
	}
	path := filepath.Join(r.scanDir, fmt.Sprintf("scan-%d.tiff", r.scans))
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		r.t.Fatal(err)
	}
	r.scans++
	r.scanSize = int64(buf.Len())
	return path
}

// mrn reads the MRN 'patient add --json' printed, and counts the patient.
func (r *killRig) mrn(w *killWS, out string) string {
	r.t.Helper()
	var p struct{ MRN string }
	if err := json.Unmarshal([]byte(out), &p); err != nil || p.MRN == "" {
		r.t.Fatalf("%s: patient add: %v\n%s", w.name, err, out)
	}
	r.patients++
	return p.MRN
}

func (r *killRig) addPatient(w *killWS, family, given string) string {
	r.t.Helper()
	return r.mrn(w, r.run(w.env, 0, "folio", "patient", "add", "--family", family, "--given", given, "--sex", "female", "--dob", "1980", "--force", "--json"))
}

func (r *killRig) demo(w *killWS, n int, seed uint64) {
	r.t.Helper()
	r.run(w.env, 0, "folio", "demo", "--patients", strconv.Itoa(n), "--seed", strconv.FormatUint(seed, 10))
	r.patients += n
}

// round is one kill: idle workstations may work offline, then start a
// sync; after a random wait the archive or one running sync is killed.
// Until a kill has landed mid-upload and one mid-download (see target),
// the round waits at least 8 s for one. Every random number is drawn
// whatever the processes' state, so a seed replays the same choices.
func (r *killRig) round(i int, rng *rand.Rand) {
	t := r.t
	for _, w := range r.ws {
		work, arg := rng.IntN(100), rng.Uint64()
		if w.sync != nil {
			continue
		}
		switch {
		case work < 20:
			r.demo(w, 25+int(arg%50), arg)
		case work < 35:
			r.tracked = append(r.tracked, r.addPatient(w, killFamily, fmt.Sprintf("Round%d", i)))
		case work < 50:
			mrn := r.shared[arg%uint64(len(r.shared))]
			r.run(w.env, 0, "folio", "patient", "amend", mrn, "--phone", fmt.Sprintf("+254 700 %06d", arg%1000000))
		case work < 58 && r.scans < 5:
			r.run(w.env, 0, "folio", "import", r.scan())
		}
		r.startSync(w)
	}
	wait := time.Duration(300+rng.IntN(2700)) * time.Millisecond
	toServer, pick := rng.IntN(3) == 0, rng.IntN(1<<20)
	if r.up == nil || r.down == nil {
		wait = max(wait, 8*time.Second)
	}
	deadline := time.Now().Add(wait)
	var aimed *killTarget
	var victim *killWS
	for time.Now().Before(deadline) {
		if aimed, victim = r.target(); victim != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.reap()
	if victim != nil && victim.sync != nil {
		victim.sync.kill(t)
		aimed.at = time.Now()
		r.kills = append(r.kills, killEvent{at: aimed.at, victim: victim.name})
		r.syncsKilled++
		victim.sync = nil
		if aimed.partial > 0 {
			r.down = aimed
		} else {
			r.up = aimed
		}
		return
	}
	var running []*killWS
	for _, w := range r.ws {
		if w.sync != nil {
			running = append(running, w)
		}
	}
	if toServer || len(running) == 0 {
		r.srv.kill(t)
		r.kills = append(r.kills, killEvent{at: time.Now(), victim: "archive"})
		r.startServer()
		return
	}
	w := running[pick%len(running)]
	w.sync.kill(t)
	r.kills = append(r.kills, killEvent{at: time.Now(), victim: w.name})
	r.syncsKilled++
	w.sync = nil
}

// target finds a transfer under way to kill, until one upload and one
// download were hit: an upload as soon as the archive logs chunk 1–5 of
// a blob (the scans' 9-chunk originals: chunks remain), a download when
// a running workstation's partial download file has grown since the last
// look and holds 1 MiB or more. (Partial downloads are the files
// blobs/*/.part-* of package storage.)
func (r *killRig) target() (*killTarget, *killWS) {
	running := func(name string) *killWS {
		for _, w := range r.ws {
			if w.name == name && w.sync != nil && !w.sync.exited() {
				return w
			}
		}
		return nil
	}
	for _, line := range r.newLogLines() {
		q, ok := parseBlobLine(line)
		if !ok || r.up != nil || !q.put || q.status != 200 || q.chunk < 1 || q.chunk > 5 {
			continue
		}
		if w := running(q.ws); w != nil {
			return &killTarget{ws: w.name, id: q.id}, w
		}
	}
	for _, w := range r.ws {
		files, _ := filepath.Glob(filepath.Join(w.dir, "blobs", "*", ".part-*"))
		for _, f := range files {
			fi, err := os.Stat(f)
			if err != nil {
				continue
			}
			grew := fi.Size() > r.partials[f]
			r.partials[f] = fi.Size()
			if r.down == nil && r.up != nil && grew && fi.Size() >= 1<<20 && running(w.name) != nil {
				id := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), ".part-"), ".download")
				return &killTarget{ws: w.name, id: id, partial: fi.Size()}, w
			}
		}
	}
	return nil, nil
}

// newLogLines returns the archive log's complete lines written since the
// last call.
func (r *killRig) newLogLines() []string {
	f, err := os.Open(r.srvLog.Name())
	if err != nil {
		return nil
	}
	defer f.Close()
	b, err := io.ReadAll(io.NewSectionReader(f, r.logOff, 1<<40))
	if err != nil {
		return nil
	}
	end := bytes.LastIndexByte(b, '\n')
	if end < 0 {
		return nil
	}
	r.logOff += int64(end + 1)
	return strings.Split(string(b[:end]), "\n")
}

// reap collects the syncs that ended on their own.
func (r *killRig) reap() {
	for _, w := range r.ws {
		if w.sync == nil || !w.sync.exited() {
			continue
		}
		r.syncEnded(w)
	}
}

func (r *killRig) syncEnded(w *killWS) {
	p := w.sync
	w.sync = nil
	out := p.out.String()
	switch c := p.code(); {
	case strings.Contains(out, "panic:") || strings.Contains(out, "fatal error:"):
		r.t.Errorf("%s crashed (exit %d):\n%s", p.label, c, out)
	case c == 0:
	case c == 1:
		r.syncsFailed++
		r.syncErrors[killErrorLine(out)]++
	default:
		r.t.Errorf("%s: exit %d (%v)\n%s", p.label, c, p.err, out)
	}
}

var errorNumbers = regexp.MustCompile(`[0-9a-f]{16,}|\d+`)

// killErrorLine is the error a failed command printed, with its numbers
// and hex ids blanked so that like errors count together.
func killErrorLine(out string) string {
	line := ""
	for l := range strings.Lines(out) {
		if strings.HasPrefix(l, "folio:") {
			line = strings.TrimSpace(l)
		}
	}
	if line == "" {
		line = strings.TrimSpace(out)
	}
	line = errorNumbers.ReplaceAllString(line, "N")
	if len(line) > 300 {
		line = line[:300] + "…"
	}
	return line
}

// reapAll waits for every running sync to end.
func (r *killRig) reapAll(limit time.Duration) {
	deadline := time.After(limit)
	for _, w := range r.ws {
		if w.sync == nil {
			continue
		}
		select {
		case <-w.sync.done:
			r.syncEnded(w)
		case <-deadline:
			p := w.sync
			p.kill(r.t)
			r.t.Fatalf("%s still runs %s after the last kill:\n%s", p.label, limit, p.out.String())
		}
	}
}

// quietRound matches the report of a sync round that moved nothing, not
// even its own versions back: the archive keeps as a workstation's cursor
// the start of its last pull, so the versions a round pushes after its
// pull (key slots, blob manifests) count as its backlog until it pulls
// again.
var quietRound = regexp.MustCompile(`Sync: pushed 0 versions \(\d+ already there\) and \d+ audit entries; pulled 0 new versions \(0 known, 0 set aside, \d+ records in conflict\); blobs: 0 up \(0 bytes\), 0 down \(0 bytes\), 0 waiting`)

// heal lifts the bandwidth cap and syncs the workstations side by side
// until a whole pass moves nothing: nobody pushed, so everybody pulled
// everything.
func (r *killRig) heal() {
	t := r.t
	start := time.Now()
	var seqs [][]killCmd
	for _, w := range r.ws {
		seqs = append(seqs, []killCmd{kcmd(w.admin(), 0, "folio", "sync", "bandwidth", "0")})
	}
	r.par(seqs...)
	const passes = 8
	for pass := 1; ; pass++ {
		seqs = seqs[:0]
		for _, w := range r.ws {
			seqs = append(seqs, []killCmd{kcmd(w.env, 0, "folio", "sync", "now")})
		}
		quiet := true
		var outs []string
		for i, out := range r.par(seqs...) {
			outs = append(outs, r.ws[i].name+": "+out[0])
			quiet = quiet && quietRound.MatchString(out[0])
		}
		if quiet {
			t.Logf("healed: %d passes of sync in %s", pass, time.Since(start).Round(time.Millisecond))
			return
		}
		if pass == passes {
			t.Fatalf("the workstations still move changes after %d passes:\n%s", pass, strings.Join(outs, "\n"))
		}
	}
}

var verifyLine = regexp.MustCompile(`records (\d+) \(patients (\d+), users (\d+)\), versions (\d+)`)

// checkReplicas checks that every vault verifies and that all hold the
// same records, everything registered anywhere, once.
func (r *killRig) checkReplicas() {
	t := r.t
	var seqs [][]killCmd
	for _, w := range r.ws {
		seqs = append(seqs, []killCmd{
			kcmd(w.env, 0, "folio", "verify"),
			kcmd(w.env, 0, "folio", "sync", "status", "--json"),
			kcmd(w.nurse, 0, "folio", "patient", "find", killFamily, "--limit", "100000", "--json"),
			kcmd(w.nurse, 0, "folio", "patient", "find", killShared, "--limit", "100000", "--json"),
			kcmd(w.nurse, 0, "folio", "sync", "conflicts"),
			kcmd(w.nurse, 0, "folio", "queue", "list", "--json"),
		})
	}
	var wantCounts, wantState string
	for i, out := range r.par(seqs...) {
		w := r.ws[i]
		m := verifyLine.FindStringSubmatch(out[0])
		if m == nil {
			t.Fatalf("%s: verify says:\n%s", w.name, out[0])
		}
		counts := m[0]
		if n, _ := strconv.Atoi(m[2]); n != r.patients {
			t.Errorf("%s holds %d patients; %d were registered", w.name, n, r.patients)
		}
		r.versions, _ = strconv.Atoi(m[4])

		var st struct {
			PendingChanges int    `json:"pending_changes"`
			Conflicts      int    `json:"conflicts"`
			Reachable      bool   `json:"reachable"`
			Backlog        uint64 `json:"backlog"`
		}
		if err := json.Unmarshal([]byte(out[1]), &st); err != nil || st.PendingChanges != 0 || !st.Reachable || st.Backlog != 0 {
			t.Errorf("%s: sync status after healing: %+v (%v)\n%s", w.name, st, err, out[1])
		}

		var found []struct{ MRN string }
		if err := json.Unmarshal([]byte(out[2]), &found); err != nil {
			t.Fatalf("%s: patient find: %v\n%s", w.name, err, out[2])
		}
		seen := map[string]int{}
		for _, p := range found {
			seen[p.MRN]++
		}
		for _, mrn := range r.tracked {
			if seen[mrn] != 1 {
				t.Errorf("%s: patient %s is found %d times, want once", w.name, mrn, seen[mrn])
			}
		}
		var docs []json.RawMessage
		if err := json.Unmarshal([]byte(out[5]), &docs); err != nil || len(docs) != r.scans {
			t.Errorf("%s: %d documents in the queue (%v); %d scans were imported", w.name, len(docs), err, r.scans)
		}

		state := strings.Join(out[2:], "")
		if i == 0 {
			wantCounts, wantState = counts, state
			t.Logf("every vault: %s; %d records in conflict, %d documents", counts, st.Conflicts, len(docs))
			continue
		}
		if counts != wantCounts {
			t.Errorf("%s holds %s; %s holds %s", w.name, counts, r.ws[0].name, wantCounts)
		}
		if state != wantState {
			t.Errorf("%s differs from %s:\n%s\n--- %s ---\n%s", w.name, r.ws[0].name, state, r.ws[0].name, wantState)
		}
	}
}

// blobLine matches the archive's log line of a chunk upload or a blob
// download: time, method, blob, chunk (uploads), status, bytes written
// (downloads), workstation.
var blobLine = regexp.MustCompile(`^time=(\S+) level=\w+ msg=request method=(PUT|GET) path=/v1/blobs/([0-9a-f]{64})/(?:chunks/(\d+)|data) status=(\d+) bytes=(\d+) ms=(\d+) workstation=(\S+)(?: range="?bytes=(\d+)-"?)?`)

type blobReq struct {
	start   time.Time // when the archive began the request
	at      time.Time // when it ended (the line's time)
	put     bool
	id      string
	chunk   int
	status  int
	written int64
	from    int64 // the first byte a ranged download asked for
	ws      string
}

// checkArchive stops the archive and checks its store: each version once
// (the head is the vaults' version count), no upload half done, every
// blob complete; then reads its request log for the blob transfers.
func (r *killRig) checkArchive() {
	t := r.t
	r.stopServer()
	out := r.run(nil, 0, "folio-archive", "status", "--data", r.arc, "--json")
	var st struct {
		Store   string       `json:"store"`
		Metrics *api.Metrics `json:"metrics"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil || st.Metrics == nil {
		t.Fatalf("folio-archive status: %v\n%s", err, out)
	}
	m := st.Metrics
	if m.Head != uint64(r.versions) {
		t.Errorf("the archive holds %d versions, each vault %d: a version was stored twice or lost", m.Head, r.versions)
	}
	if m.Uploads != 0 {
		t.Errorf("the archive has %d uploads under way after healing", m.Uploads)
	}
	for _, d := range m.Devices {
		if d.Backlog != 0 {
			t.Errorf("device %s (%s) has a backlog of %d after healing", d.Name, d.ID, d.Backlog)
		}
	}

	reqs := r.blobRequests()
	store, err := boltstore.Open(filepath.Join(r.arc, "store"))
	if err != nil {
		t.Fatal(err)
	}
	sizes := map[string]int64{}
	for _, q := range reqs {
		if _, ok := sizes[q.id]; ok {
			continue
		}
		bs, err := store.BlobStatus(context.Background(), q.id)
		if err != nil || !bs.Complete {
			t.Errorf("blob %s: %+v, %v: not complete in the archive", q.id, bs, err)
		}
		sizes[q.id] = bs.Size
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	var blobBytes int64
	for _, s := range sizes {
		blobBytes += s
	}
	if int64(len(sizes)) != m.Blobs || blobBytes != m.BlobBytes {
		t.Errorf("the log names %d blobs of %d bytes; the archive holds %d of %d bytes", len(sizes), blobBytes, m.Blobs, m.BlobBytes)
	}
	r.checkUploads(reqs, sizes)
	r.checkDownloads(reqs, sizes)
}

// parseBlobLine reads one line of the archive's log, if it is a chunk
// upload or a blob download.
func parseBlobLine(line string) (blobReq, bool) {
	m := blobLine.FindStringSubmatch(line)
	if m == nil {
		return blobReq{}, false
	}
	q := blobReq{put: m[2] == "PUT", id: m[3], ws: m[8]}
	var err error
	if q.at, err = time.Parse(time.RFC3339Nano, m[1]); err != nil {
		return blobReq{}, false
	}
	if q.put {
		q.chunk, _ = strconv.Atoi(m[4])
	}
	q.status, _ = strconv.Atoi(m[5])
	q.written, _ = strconv.ParseInt(m[6], 10, 64)
	ms, _ := strconv.ParseInt(m[7], 10, 64)
	q.from, _ = strconv.ParseInt(m[9], 10, 64)
	q.start = q.at.Add(-time.Duration(ms) * time.Millisecond)
	return q, true
}

// blobRequests reads the blob requests from the archive's log.
func (r *killRig) blobRequests() []blobReq {
	t := r.t
	b, err := os.ReadFile(r.srvLog.Name())
	if err != nil {
		t.Fatal(err)
	}
	var out []blobReq
	for line := range strings.Lines(string(b)) {
		if q, ok := parseBlobLine(line); ok {
			out = append(out, q)
		}
	}
	return out
}

// cut says whether a kill of the archive or of workstation ws fell
// between from and to.
func (r *killRig) cut(ws string, from, to time.Time) bool {
	for _, k := range r.kills {
		if (k.victim == "archive" || k.victim == ws) && k.at.After(from) && k.at.Before(to) {
			return true
		}
	}
	return false
}

// checkUploads: a verified chunk is never sent again, the upload the
// aimed kill cut went on after it, and the chunk bytes the archive
// received exceed the blobs' by at most one chunk per blob connection of
// each killed sync (the chunks it was sending). A chunk cut by a kill of the archive leaves no
// log line, so it is not counted.
func (r *killRig) checkUploads(reqs []blobReq, sizes map[string]int64) {
	t := r.t
	type chunkKey struct {
		id string
		n  int
	}
	ok, tries := map[chunkKey]int{}, map[chunkKey]int{}
	// late: chunks stored again after their first sender was killed while
	// the chunk was still arriving: the kernel delivers what a killed
	// process had sent, so the archive may store it after the next sync
	// asked which chunks it holds. That is not a verified chunk sent again.
	late := map[chunkKey]bool{}
	firstOK := map[chunkKey]blobReq{}
	first, last := map[string]time.Time{}, map[string]time.Time{}
	owner := map[string]string{}
	var sent, payload int64
	resumed := false
	for _, q := range reqs {
		if !q.put {
			continue
		}
		k := chunkKey{q.id, q.chunk}
		tries[k]++
		if q.status == 200 {
			ok[k]++
			if f, seen := firstOK[k]; !seen {
				firstOK[k] = q
			} else if r.cut(f.ws, f.start.Add(-time.Second), f.at.Add(100*time.Millisecond)) {
				late[k] = true
			}
		}
		sent += int64(api.ChunkLen(sizes[q.id], q.chunk))
		if _, seen := first[q.id]; !seen {
			first[q.id] = q.at
			payload += sizes[q.id]
		}
		last[q.id], owner[q.id] = q.at, q.ws
		if r.up != nil && q.id == r.up.id && q.status == 200 && q.start.After(r.up.at) {
			resumed = true
		}
	}
	var resent int64
	failed := 0
	for k, n := range tries {
		if ok[k] > 1 && !late[k] {
			t.Errorf("chunk %d of blob %s was stored %d times: a verified chunk was sent again", k.n, k.id, ok[k])
		}
		resent += int64(n-1) * int64(api.ChunkLen(sizes[k.id], k.n))
		failed += n - ok[k]
	}
	spanned := 0
	for id := range first {
		if sizes[id] > api.ChunkSize && r.cut(owner[id], first[id], last[id]) {
			spanned++
		}
	}
	puts := 0
	for _, n := range tries {
		puts += n
	}
	t.Logf("uploads: %d blobs of %d bytes; the archive received %d chunk bytes (%d sent again, %.3f× the blobs) in %d chunk requests, %d of them cut; %d multi-chunk uploads spanned a kill of their sync or the archive",
		len(first), payload, sent, resent, float64(sent)/float64(max(payload, 1)), puts, failed, spanned)
	// A killed sync loses the chunks in flight on each of its blob
	// connections; a late store (above) counts once more.
	if limit := payload + int64(r.syncsKilled*syncer.DefaultBlobConnections+len(late))*api.ChunkSize; sent > limit {
		t.Errorf("the archive received %d chunk bytes for %d bytes of blobs and %d killed syncs: more than %d, uploads restarted instead of resuming", sent, payload, r.syncsKilled, limit)
	}
	switch {
	case r.up == nil && len(r.kills) >= 4:
		t.Errorf("no kill landed mid-upload in %d kills", len(r.kills))
	case r.up != nil && !resumed:
		t.Errorf("the upload of blob %s by %s, killed at %s, did not go on afterwards", r.up.id, r.up.ws, r.up.at.Format(time.StampMilli))
	case r.up != nil:
		t.Logf("the upload of blob %s by %s was killed at %s and resumed", r.up.id[:12], r.up.ws, r.up.at.Format(time.StampMilli))
	}
}

// archiveBlobID names local blob id of workstation ws as the archive does:
// the SHA-256 of its sealed file (a download is kept only when it matches).
func (r *killRig) archiveBlobID(ws, id string) string {
	for _, w := range r.ws {
		if w.name != ws {
			continue
		}
		b, err := os.ReadFile(filepath.Join(w.dir, "blobs", id[:2], id+".blob"))
		if err != nil {
			r.t.Errorf("%s's blob %s, cut mid-download, is not in place after healing: %v", ws, id, err)
			return ""
		}
		sum := sha256.Sum256(b)
		return hex.EncodeToString(sum[:])
	}
	return ""
}

// checkDownloads: a download that once resumed never starts over from
// byte 0, and the download the aimed kill cut resumed with a range from
// at least the bytes it held. The bytes the archive wrote per download
// are reported; they include what the kernel buffered for a process that
// was killed before reading it.
func (r *killRig) checkDownloads(reqs []blobReq, sizes map[string]int64) {
	t := r.t
	type pair struct{ ws, id string }
	served, gets, ranged := map[pair]int64{}, map[pair]int{}, map[pair]int{}
	archiveID := ""
	if r.down != nil {
		archiveID = r.archiveBlobID(r.down.ws, r.down.id)
	}
	var aimed pair // the download the aimed kill cut (blob connections run side by side: it need not be the last begun)
	for _, q := range reqs {
		if !q.put && r.down != nil && q.ws == r.down.ws && q.id == archiveID && q.start.Before(r.down.at) && (q.status == 200 || q.status == 206) {
			aimed = pair{q.ws, q.id}
		}
	}
	resumedFrom := int64(-1)
	for _, q := range reqs {
		if q.put || (q.status != 200 && q.status != 206) {
			continue
		}
		k := pair{q.ws, q.id}
		if q.status == 200 && ranged[k] > 0 {
			t.Errorf("%s downloaded blob %s from byte 0 again after resuming it", k.ws, k.id)
		}
		if k == aimed && q.start.After(r.down.at) && resumedFrom < 0 {
			resumedFrom = q.from
		}
		served[k] += q.written
		gets[k]++
		if q.status == 206 {
			ranged[k]++
		}
	}
	var payload, sent, extra int64
	several, resumed := 0, 0
	for k, n := range served {
		payload += sizes[k.id]
		sent += n
		extra += max(0, n-sizes[k.id])
		if gets[k] > 1 {
			several++
		}
		if ranged[k] > 0 {
			resumed++
		}
	}
	t.Logf("downloads: %d blob copies of %d bytes; the archive wrote %d bytes (%d beyond each blob's size, %.3f× the blobs); %d downloads took several requests, %d resumed with a range",
		len(served), payload, sent, extra, float64(sent)/float64(max(payload, 1)), several, resumed)
	switch {
	case r.down == nil && len(r.kills) >= 4:
		t.Errorf("no kill landed mid-download in %d kills", len(r.kills))
	case r.down == nil:
	case aimed == pair{}:
		var seen []string
		for _, q := range reqs {
			if !q.put && q.id == archiveID {
				seen = append(seen, fmt.Sprintf("%s %s–%s status %d, %d bytes", q.ws, q.start.Format(time.StampMilli), q.at.Format(time.StampMilli), q.status, q.written))
			}
		}
		t.Errorf("%s was killed mid-download of blob %s at %s with %d bytes on disk, but the archive logged no download of it before; its downloads of the blob: %q", r.down.ws, r.down.id, r.down.at.Format(time.StampMilli), r.down.partial, seen)
	case resumedFrom < 0:
		t.Logf("%s, killed at %s with %d bytes of blob %s on disk, asked for no more of it (the bytes had all arrived)", r.down.ws, r.down.at.Format(time.StampMilli), r.down.partial, aimed.id[:12])
	case resumedFrom < r.down.partial:
		t.Errorf("%s, killed at %s with %d bytes of blob %s on disk, asked for it again from byte %d", r.down.ws, r.down.at.Format(time.StampMilli), r.down.partial, aimed.id, max(resumedFrom, 0))
	default:
		t.Logf("the download of blob %s by %s was killed at %s with %d bytes on disk and resumed from byte %d", aimed.id[:12], r.down.ws, r.down.at.Format(time.StampMilli), r.down.partial, resumedFrom)
	}
}
