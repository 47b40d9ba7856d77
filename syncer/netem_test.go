//go:build linux

package syncer_test

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mathrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"folio/app"
	"folio/archive/archivetest"
	"folio/internal/testkit"
	"folio/syncer"
)

// The netem profile of the issue, applied to each direction of the link:
// a rural clinic's 64 kbit/s line with a satellite hop's delay and a bad
// radio's loss.
const (
	netemDelay   = 600 * time.Millisecond
	netemLoss    = 0.10
	netemRate    = 8000 // bytes per second: 64 kbit/s
	netemLimit   = 1000 // packets queued per direction (netem's default limit)
	netemTCArgs  = "delay 600ms loss 10% rate 64kbit limit 1000"
	netemEthHead = 14 // netem on a veth counts the Ethernet header in the rate
)

// pagesPerBatch is how many pages one scanned file (one original) holds in
// the day's work: a clinic document of a few sheets.
const pagesPerBatch = 5

// TestNetemSoak syncs a day's work of one clinic to the real folio-archive
// server running in its own network namespace, across a link with the
// netem profile in both directions (600 ms delay, 10 % loss, 64 kbit/s),
// and reports the total time against the time the link's bandwidth
// allows (payload bytes / 8,000 B/s; the goal is at most 1.10×), the bytes
// on the wire, and the rounds the engine's retry loop (Engine.Run, with its
// backoff) needed. It asserts that the archive ends up holding every
// version and blob, and, with FOLIO_NETEM_PULL=1, that a second
// workstation pulls the whole day across the same link.
//
// It runs only with FOLIO_NETEM=1, as root, with ip and tc (make soak does
// this when run as root). The day is FOLIO_NETEM_PATIENTS patients touched
// (default 200) and FOLIO_NETEM_PAGES scanned pages (default 25). A page
// is sized by importing real 300 dpi bilevel scans from the corpus through
// the real scan pipeline and measuring what the vault stores for their
// average page: the original's share, the 150 dpi view, the thumbnail, the
// text and the word boxes. FOLIO_NETEM_SCAN, a comma-separated list of
// files, picks them; the default is one dense typed page (UNLV, some
// 550 kB stored) and a fax of two sparse pages and a separator sheet
// (some 100 kB a page), about 250 kB a page on average. The default of 25
// pages (6.5 MB) kept the soak under 30 minutes (its push took 27, about
// twice its link time); the full day of the issue (200 patients, 500
// pages, some 125 MB) needs over 4 hours of link time at 64 kbit/s, so
// some 9 hours at that pace:
//
//	sudo FOLIO_NETEM=1 FOLIO_NETEM_PAGES=500 FOLIO_NETEM_MAX=20h go test -count=1 -run TestNetemSoak -timeout 24h -v ./syncer/
//
// FOLIO_NETEM_MAX (default 80m) bounds each sync; FOLIO_NETEM_PULL=1
// adds the second workstation's pull; FOLIO_NETEM_BLOBCONNS sets
// ClientOptions.BlobConnections (default syncer.DefaultBlobConnections).
//
// The link is a veth pair with tc netem on both ends when the kernel has
// sch_netem. A kernel built without it (CONFIG_NET_SCH_NETEM unset, and no
// modules to load) gets the same profile from the test process itself: the
// namespaces are joined by two TUN devices and the test moves each IP
// packet between them, dropping 10 % at random, pacing them at 64 kbit/s
// (Ethernet header counted, as netem on a veth does) and delivering each
// 600 ms after it left, with netem's queue limit of 1,000 packets.
// FOLIO_NETEM_MODE=kernel or =tun picks one; the default tries the kernel
// first and says which it used.
func TestNetemSoak(t *testing.T) {
	if os.Getenv("FOLIO_NETEM") != "1" {
		t.Skip("the netem soak runs with FOLIO_NETEM=1, as root (make soak)")
	}
	if os.Geteuid() != 0 {
		t.Fatal("FOLIO_NETEM=1 but the test does not run as root: network namespaces and tc need root; run make soak as root, or unset FOLIO_NETEM")
	}
	for _, tool := range []string{"ip", "tc"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("FOLIO_NETEM=1 needs %s on the PATH (Debian: apt-get install iproute2): %v", tool, err)
		}
	}
	patients := envInt("FOLIO_NETEM_PATIENTS", 200)
	pages := envInt("FOLIO_NETEM_PAGES", 25)
	scans := strings.Split(cmp.Or(os.Getenv("FOLIO_NETEM_SCAN"),
		"../testdata/corpus/ocr-gt/tesseract-test__8087_054.3B.tif,../testdata/corpus/barcodes/paperless__barcode-fax-image.pdf"), ",")
	withPull := os.Getenv("FOLIO_NETEM_PULL") == "1"
	ctx := context.Background()

	bin := testkit.Build(t, t.TempDir(), "folio/cmd/folio-archive", "folio-archive")
	link := newNetemLink(t, os.Getenv("FOLIO_NETEM_MODE"))
	t.Logf("netem link: %s; the archive at %s in namespace %s; profile per direction: %s", link.mode, link.arcIP, link.ns, netemTCArgs)

	// The archive, served by the real binary inside the namespace.
	arcDir := t.TempDir()
	runCmd(t, bin, "init", "--data", arcDir, "--org", "Netem Health District", "--host", link.arcIP)
	arc := &testArchive{Archive: &archivetest.Archive{Dir: filepath.Join(arcDir, "pki"), Addr: net.JoinHostPort(link.arcIP, "8443")}}
	a := newWorkstation(t, arc, "ward-a")
	var b *workstation
	if withPull {
		b = newWorkstation(t, arc, "ward-b")
	}
	startArchiveIn(t, link.ns, bin, arcDir, arc.Addr)

	// The clinic before the day, synced while the link is clean: its
	// patients, and the real scans that size the day's pages.
	if _, err := a.prof.Vault.Create(ctx, app.CreateParams{Admin: "admin", Password: []byte(adminPW), SitePrefix: "NA"}); err != nil {
		t.Fatal(err)
	}
	admin := login(t, a, "admin", adminPW)
	if err := admin.Users().Add(ctx, app.User{Name: "nurse", Roles: app.RoleSet{app.RoleRecords}}, []byte(nursePW)); err != nil {
		t.Fatal(err)
	}
	ps := registerClinic(t, admin, patients)
	page := measurePage(t, a, admin, scans)
	t.Logf("netem page (the average of %s through the scan pipeline): original %d B, view %d B, thumbnail %d B, text %d B, words %d B: %d B a page",
		strings.Join(scans, ", "), page.original, page.view, page.thumb, page.text, page.words, page.total())
	a.round(t, admin)
	var nurse *app.Session
	if withPull {
		nurse = join(t, a, admin, b)
	}

	// The day, made while the link has the profile (it is offline work;
	// the profile only matters once the sync starts).
	link.setProfile(t, true)
	_, blobBytes0, err := a.prof.Blobs.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	touchPatients(t, admin, ps)
	addPages(t, a, admin, page, pages)
	nBlobs, blobBytes1, err := a.prof.Blobs.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("netem day: %d patients touched, %d scanned pages (%d scanned files of up to %d pages): %d B of sealed blobs",
		patients, pages, (pages+pagesPerBatch-1)/pagesPerBatch, pagesPerBatch, blobBytes1-blobBytes0)

	// The push: the engine's own loop until the archive holds everything.
	ca := a.client(t, syncer.ClientOptions{BlobConnections: envInt("FOLIO_NETEM_BLOBCONNS", 0)})
	up := runUntilSynced(t, a, admin, ca, link, "push")
	up.log(t, "push")
	if up.sum.BytesUp != blobBytes1-blobBytes0 {
		// A chunk whose answer the link lost is stored but not counted.
		t.Logf("netem push: the engine counted %d B of blob chunks; the day's blobs are %d B", up.sum.BytesUp, blobBytes1-blobBytes0)
	}
	checkArchiveHolds(t, ca, a, nBlobs, blobBytes1)

	if withPull {
		cb := b.client(t, syncer.ClientOptions{BlobConnections: envInt("FOLIO_NETEM_BLOBCONNS", 0)})
		down := runUntilSynced(t, b, nurse, cb, link, "pull")
		down.log(t, "pull")
		for id, err := range a.prof.Blobs.List(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			if !b.prof.Blobs.Has(id) {
				t.Fatalf("blob %s of ward-a is missing on ward-b after the pull", id)
			}
		}
		if ha, hb := heads(t, a, admin), heads(t, b, nurse); len(ha) != len(hb) {
			t.Fatalf("ward-a holds %d records, ward-b %d after the pull", len(ha), len(hb))
		}
	}
}

// runCmd runs a command and fails the test with its output if it fails.
func runCmd(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// startArchiveIn runs `folio-archive serve` inside namespace ns until the
// test ends, and waits until it answers on addr.
func startArchiveIn(t *testing.T, ns, bin, dir, addr string) {
	t.Helper()
	var out bytes.Buffer
	srv := exec.Command("ip", "netns", "exec", ns, bin, "serve", "--data", dir, "--listen", addr)
	srv.Stdout, srv.Stderr = &out, &out
	if err := srv.Start(); err != nil {
		t.Fatalf("start the archive in namespace %s: %v", ns, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- srv.Wait() }()
	t.Cleanup(func() {
		srv.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(45 * time.Second):
			srv.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("archive log:\n%s", out.String())
		}
	})
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		select {
		case err := <-exited:
			t.Fatalf("the archive in namespace %s exited: %v\n%s", ns, err, out.String())
		default:
		}
		if i > 100 {
			t.Fatalf("the archive does not listen on %s in namespace %s: %v", addr, ns, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// pageSize is what the vault stores for one scanned page, in plaintext
// bytes by blob class.
type pageSize struct{ original, view, thumb, text, words int }

func (p pageSize) total() int { return p.original + p.view + p.thumb + p.text + p.words }

// measurePage imports real scans through the scan pipeline and returns the
// blob sizes of their average page.
func measurePage(t *testing.T, w *workstation, s *app.Session, files []string) pageSize {
	t.Helper()
	ctx := context.Background()
	pages := 0
	refs := map[string]app.BlobRef{}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("read a scan that sizes the pages (FOLIO_NETEM_SCAN): %v", err)
		}
		imp, err := s.Intake().ImportFile(ctx, filepath.Base(file), "netem soak", data)
		if err != nil {
			t.Fatalf("import %s: %v", file, err)
		}
		if imp.Batch.Pages == 0 {
			t.Fatalf("the import of %s made no page (batch %+v)", file, imp.Batch)
		}
		pages += imp.Batch.Pages
		refs[imp.Batch.Original] = app.BlobRef{Class: app.BlobOriginal}
		for _, d := range imp.Documents {
			for _, p := range slices.Concat(d.Pages, d.Removed) {
				for id, c := range map[string]app.BlobClass{p.View: app.BlobView, p.Thumb: app.BlobThumb, p.Text: app.BlobText, p.Words: app.BlobWords} {
					if id != "" {
						refs[id] = app.BlobRef{Class: c}
					}
				}
			}
		}
	}
	st := w.prof.Blobs.Sealed(blobKey(t, w.prof.DB, s))
	sizes := map[app.BlobClass]int{}
	views := 0
	for id, ref := range refs {
		b, err := st.GetBlob(ctx, id)
		if err != nil {
			t.Fatalf("read blob %s (%s): %v", id, ref.Class, err)
		}
		sizes[ref.Class] += len(b)
		if ref.Class == app.BlobView {
			views++
		}
	}
	if views == 0 {
		t.Fatalf("the imports of %s made no page view", strings.Join(files, ", "))
	}
	return pageSize{
		original: sizes[app.BlobOriginal] / pages,
		view:     sizes[app.BlobView] / views, thumb: sizes[app.BlobThumb] / views,
		text: sizes[app.BlobText] / views, words: sizes[app.BlobWords] / views,
	}
}

// registerClinic registers n made-up patients on s and returns them.
func registerClinic(t *testing.T, s *app.Session, n int) []app.Patient {
	t.Helper()
	dob := birth(t, "1980")
	var out []app.Patient
	for len(out) < n {
		var ps []app.Patient
		for i := len(out); i < n && len(ps) < 100; i++ {
			ps = append(ps, app.Patient{Family: fmt.Sprintf("Netem%04d", i), Given: "Day", Sex: app.SexFemale, BirthDate: dob, Village: "Kisumu"})
		}
		got, err := s.Patients().Register(context.Background(), ps...)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, got...)
	}
	return out
}

// touchPatients amends each of ps once (a new phone number), as a day at
// the clinic's desk does.
func touchPatients(t *testing.T, s *app.Session, ps []app.Patient) {
	t.Helper()
	ctx := context.Background()
	for i, old := range ps {
		p, err := s.Patients().Open(ctx, old.MRN)
		if err != nil {
			t.Fatal(err)
		}
		p.Phone = fmt.Sprintf("+254 7%08d", i)
		if _, err := s.Patients().Amend(ctx, p); err != nil {
			t.Fatalf("amend patient %s: %v", p.MRN, err)
		}
	}
}

// addPages stores the blobs of n scanned pages of size p, with random
// content (sealed scans are incompressible): per page a view, thumbnail,
// text and word boxes, and per pagesPerBatch pages one original.
func addPages(t *testing.T, w *workstation, s *app.Session, p pageSize, n int) {
	t.Helper()
	ctx := context.Background()
	st := w.prof.Blobs.Sealed(blobKey(t, w.prof.DB, s))
	put := func(size int) {
		if size <= 0 {
			return
		}
		data := make([]byte, size)
		rand.Read(data)
		id := make([]byte, 32)
		rand.Read(id)
		if err := st.PutBlob(ctx, hex.EncodeToString(id), data); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < n; i += pagesPerBatch {
		k := min(pagesPerBatch, n-i)
		put(p.original * k)
		for range k {
			put(p.view)
			put(p.thumb)
			put(p.text)
			put(p.words)
		}
	}
}

// syncRun is what a run of the engine's loop did until everything was
// synced.
type syncRun struct {
	took             time.Duration
	rounds, failures int
	errs             []string
	sum              syncer.Report
	wireRead         int64 // client-counted: TLS records and HTTP
	wireWritten      int64
	linkUp, linkDown int64 // IP bytes on the root end of the link, retransmissions included
	lost             int64 // packets the profile dropped (TUN mode only; -1 otherwise)
}

// runUntilSynced runs the engine of w (Engine.Run, with its backoff after
// failures) until a round ends with nothing left to send or fetch.
func runUntilSynced(t *testing.T, w *workstation, s *app.Session, c *syncer.Client, link *netemLink, what string) syncRun {
	t.Helper()
	eng := syncer.New(syncer.Params{
		DB: w.prof.DB, Blobs: w.prof.Blobs, Session: s.Replica(), Client: c,
		Log: slog.New(slog.NewTextHandler(testLogWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
		// The loop's pause after a round that leaves work (default 2
		// minutes) would count in the time; the profile is what we measure.
		Interval: 5 * time.Second, Poll: time.Second,
	})
	var (
		mu      sync.Mutex
		run     syncRun
		inRound bool
		done    = make(chan struct{})
		once    sync.Once
	)
	eng.Subscribe(func(st syncer.Status) {
		mu.Lock()
		defer mu.Unlock()
		switch st.State {
		case syncer.StateConnecting, syncer.StateSyncing:
			if !inRound {
				inRound = true
				run.rounds++
			}
		case syncer.StateUpToDate, syncer.StateOffline, syncer.StateError:
			if !inRound {
				return // the loop setting the time of its next try
			}
			inRound = false
			addRound(&run.sum, st.LastRound)
			if st.State != syncer.StateUpToDate {
				run.failures++
				if len(run.errs) < 5 {
					run.errs = append(run.errs, st.LastError)
				}
				return
			}
			if st.PendingChanges == 0 && st.PendingBlobs == 0 && st.LastRound.Pending == 0 {
				once.Do(func() { close(done) })
			}
		}
	})
	r0, w0 := c.WireBytes()
	up0, down0 := link.bytes(t)
	lost0 := link.lost()
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	t0 := time.Now()
	go func() { eng.Run(ctx); close(stopped) }()
	select {
	case <-done:
	case <-time.After(envDuration("FOLIO_NETEM_MAX", 80*time.Minute)):
		cancel()
		<-stopped
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("the %s did not finish in FOLIO_NETEM_MAX: %d rounds, %d failed (%q); status %+v", what, run.rounds, run.failures, run.errs, eng.Status())
	}
	took := time.Since(t0)
	cancel()
	<-stopped
	mu.Lock()
	defer mu.Unlock()
	run.took = took
	r1, w1 := c.WireBytes()
	up1, down1 := link.bytes(t)
	run.wireRead, run.wireWritten = r1-r0, w1-w0
	run.linkUp, run.linkDown = up1-up0, down1-down0
	run.lost = link.lost() - lost0
	if link.tun == nil {
		run.lost = -1
	}
	return run
}

func addRound(sum *syncer.Report, r syncer.Report) {
	addReport(sum, r)
	sum.RecordBytesUp += r.RecordBytesUp
	sum.RecordBytesDown += r.RecordBytesDown
}

func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil && d > 0 {
		return d
	}
	return def
}

// log prints the figures of a run, one line each.
func (r syncRun) log(t *testing.T, what string) {
	t.Helper()
	payload := r.sum.BytesUp + r.sum.BytesDown + r.sum.RecordBytesUp + r.sum.RecordBytesDown
	linkTime := time.Duration(float64(payload) / netemRate * float64(time.Second))
	ratio := r.took.Seconds() / linkTime.Seconds()
	wire := r.wireRead + r.wireWritten
	goal := "met"
	if ratio > 1.10 {
		goal = "missed"
	}
	t.Logf("netem %s: total time %s", what, r.took.Round(time.Millisecond))
	t.Logf("netem %s: payload %d B (blobs %d B up, %d B down; records %d B up, %d B down; %d versions pushed, %d pulled, %d blobs up, %d down)",
		what, payload, r.sum.BytesUp, r.sum.BytesDown, r.sum.RecordBytesUp, r.sum.RecordBytesDown, r.sum.Pushed, r.sum.Pulled, r.sum.BlobsUp, r.sum.BlobsDown)
	t.Logf("netem %s: wire %d B (TLS and HTTP, %d B sent, %d B received) = %.3f× payload; link %d B of IP packets (%d B to the archive, %d B back, retransmissions included) = %.3f× payload",
		what, wire, r.wireWritten, r.wireRead, float64(wire)/float64(max(payload, 1)), r.linkUp+r.linkDown, r.linkUp, r.linkDown, float64(r.linkUp+r.linkDown)/float64(max(payload, 1)))
	t.Logf("netem %s: ratio %.2f = total time / link time %s (payload at %d B/s); goal ≤ 1.10 %s", what, ratio, linkTime.Round(time.Millisecond), netemRate, goal)
	lost := "not counted (kernel netem)"
	if r.lost >= 0 {
		lost = strconv.FormatInt(r.lost, 10)
	}
	t.Logf("netem %s: rounds %d, failed and retried %d, packets dropped by the profile %s", what, r.rounds, r.failures, lost)
	for _, e := range r.errs {
		t.Logf("netem %s: a failed round: %s", what, e)
	}
}

// checkArchiveHolds asserts, from the archive's metrics, that it holds
// every blob of w (count and sealed bytes), that no upload is left half
// done, and that w has nothing left unacknowledged.
func checkArchiveHolds(t *testing.T, c *syncer.Client, w *workstation, blobs int, blobBytes int64) {
	t.Helper()
	ctx := context.Background()
	var err error
	for try := range 10 {
		m, err2 := c.Metrics(ctx)
		if err = err2; err != nil {
			time.Sleep(time.Duration(try+1) * time.Second) // the profile cut the call
			continue
		}
		if m.Blobs != int64(blobs) || m.BlobBytes != blobBytes || m.Uploads != 0 {
			t.Fatalf("the archive holds %d blobs (%d B, %d uploads under way); ward-a has %d (%d B)", m.Blobs, m.BlobBytes, m.Uploads, blobs, blobBytes)
		}
		var versions uint64
		for _, d := range m.Devices {
			versions += d.Versions
		}
		if n, err := w.prof.DB.Oplog().PendingCount(ctx); err != nil || n != 0 {
			t.Fatalf("ward-a still has %d versions the archive has not acknowledged (%v)", n, err)
		}
		t.Logf("netem archive: head %d, %d versions pushed, %d blobs (%d B), %d B of records: holds everything ward-a has",
			m.Head, versions, m.Blobs, m.BlobBytes, m.RecordBytes)
		return
	}
	t.Fatalf("read the archive's metrics across the link: %v", err)
}

// testLogWriter sends the engine's log lines to the test's log.
type testLogWriter struct{ t *testing.T }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// netemLink joins the test's network namespace to a new one (ns) where
// the archive runs, with one /30: wsIP here, arcIP there. setProfile turns
// the netem profile on both directions on or off.
type netemLink struct {
	ns, mode     string
	wsIP, arcIP  string
	dev, peerDev string // the link's ends: dev here, peerDev in ns
	tun          *tunPair
}

// newNetemLink builds the link: mode "kernel" (veth and tc netem), "tun"
// (TUN devices and the profile emulated here), or "" for the kernel when
// it has netem and TUN otherwise. Everything is removed when the test
// ends.
func newNetemLink(t *testing.T, mode string) *netemLink {
	t.Helper()
	id := os.Getpid()
	l := &netemLink{
		ns:   fmt.Sprintf("folio-netem-%d", id),
		wsIP: fmt.Sprintf("10.213.%d.1", 1+id%250), arcIP: fmt.Sprintf("10.213.%d.2", 1+id%250),
		dev: fmt.Sprintf("fnw%d", id), peerDev: fmt.Sprintf("fna%d", id),
	}
	runCmd(t, "ip", "netns", "add", l.ns)
	t.Cleanup(func() {
		exec.Command("ip", "link", "del", l.dev).Run()
		if out, err := exec.Command("ip", "netns", "del", l.ns).CombinedOutput(); err != nil {
			t.Errorf("remove network namespace %s: %v\n%s (remove it with: ip netns del %s)", l.ns, err, out, l.ns)
		}
	})
	runCmd(t, "ip", "-n", l.ns, "link", "set", "lo", "up")
	switch mode {
	case "", "kernel":
		runCmd(t, "ip", "link", "add", l.dev, "type", "veth", "peer", "name", l.peerDev, "netns", l.ns)
		out, err := exec.Command("tc", "qdisc", "add", "dev", l.dev, "root", "netem", "delay", "1ms").CombinedOutput()
		if err == nil {
			runCmd(t, "tc", "qdisc", "del", "dev", l.dev, "root")
			runCmd(t, "ip", "addr", "add", l.wsIP+"/30", "dev", l.dev)
			runCmd(t, "ip", "-n", l.ns, "addr", "add", l.arcIP+"/30", "dev", l.peerDev)
			runCmd(t, "ip", "link", "set", l.dev, "up")
			runCmd(t, "ip", "-n", l.ns, "link", "set", l.peerDev, "up")
			l.mode = "veth pair with kernel tc netem on both ends"
			return l
		}
		why := fmt.Sprintf("this kernel has no netem qdisc (tc: %s); it needs CONFIG_NET_SCH_NETEM or the sch_netem module (modprobe sch_netem)", strings.TrimSpace(string(out)))
		if mode == "kernel" {
			t.Fatalf("FOLIO_NETEM_MODE=kernel: %s", why)
		}
		runCmd(t, "ip", "link", "del", l.dev)
		t.Logf("%s: emulating the profile in the test process over TUN devices instead (FOLIO_NETEM_MODE=kernel refuses)", why)
	case "tun":
	default:
		t.Fatalf("FOLIO_NETEM_MODE=%q: want kernel, tun or nothing", mode)
	}
	l.tun = newTunPair(t, l.dev, l.peerDev)
	runCmd(t, "ip", "link", "set", l.peerDev, "netns", l.ns)
	runCmd(t, "ip", "addr", "add", l.wsIP, "peer", l.arcIP, "dev", l.dev)
	runCmd(t, "ip", "-n", l.ns, "addr", "add", l.arcIP, "peer", l.wsIP, "dev", l.peerDev)
	runCmd(t, "ip", "link", "set", l.dev, "up")
	runCmd(t, "ip", "-n", l.ns, "link", "set", l.peerDev, "up")
	l.mode = "userspace netem in the test process between two TUN devices (the kernel has no sch_netem)"
	return l
}

// setProfile turns the netem profile on or off, in both directions.
func (l *netemLink) setProfile(t *testing.T, on bool) {
	t.Helper()
	if l.tun != nil {
		l.tun.up.impaired.Store(on)
		l.tun.down.impaired.Store(on)
		return
	}
	op := "del"
	args := []string{"root"}
	if on {
		op = "add"
		args = append(args, strings.Fields("netem "+netemTCArgs)...)
	}
	runCmd(t, "tc", append([]string{"qdisc", op, "dev", l.dev}, args...)...)
	runCmd(t, "ip", append([]string{"netns", "exec", l.ns, "tc", "qdisc", op, "dev", l.peerDev}, args...)...)
}

// bytes returns the bytes of the IP packets sent to the archive and
// received from it on the link's end here.
func (l *netemLink) bytes(t *testing.T) (up, down int64) {
	t.Helper()
	read := func(name string) int64 {
		b, err := os.ReadFile(filepath.Join("/sys/class/net", l.dev, "statistics", name))
		if err != nil {
			t.Fatalf("read the link's counters: %v", err)
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil {
			t.Fatalf("read the link's counters: %s: %v", name, err)
		}
		return n
	}
	return read("tx_bytes"), read("rx_bytes")
}

// lost returns the packets the profile dropped so far (TUN mode only).
func (l *netemLink) lost() int64 {
	if l.tun == nil {
		return 0
	}
	return l.tun.up.lost.Load() + l.tun.down.lost.Load()
}

// tunPair is two TUN devices and the two emulated lines between them: up
// carries what the workstation sends to the archive, down the answers.
type tunPair struct {
	here, there *os.File
	up, down    *netemLine
}

func newTunPair(t *testing.T, here, there string) *tunPair {
	t.Helper()
	p := &tunPair{here: openTun(t, here), there: openTun(t, there)}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	p.up = newNetemLine(p.here, p.there, stop, &wg)
	p.down = newNetemLine(p.there, p.here, stop, &wg)
	t.Cleanup(func() {
		close(stop)
		p.here.Close() // ends the readers' blocked reads
		p.there.Close()
		wg.Wait()
	})
	return p
}

// openTun creates TUN device name (IP packets, no packet information
// header), removed when the returned file is closed.
func openTun(t *testing.T, name string) *os.File {
	t.Helper()
	const (
		tunSetIff = 0x400454ca // TUNSETIFF
		iffTun    = 0x0001
		iffNoPI   = 0x1000
	)
	fd, err := syscall.Open("/dev/net/tun", syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("open /dev/net/tun (the kernel needs CONFIG_TUN): %v", err)
	}
	var req struct {
		name  [16]byte
		flags uint16
		_     [22]byte
	}
	copy(req.name[:15], name)
	req.flags = iffTun | iffNoPI
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), tunSetIff, uintptr(unsafe.Pointer(&req))); errno != 0 {
		syscall.Close(fd)
		t.Fatalf("create TUN device %s: %v", name, errno)
	}
	// Non-blocking only after TUNSETIFF, so that the runtime's poller
	// sees the device's packets (and Close wakes a blocked Read).
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		t.Fatal(err)
	}
	return os.NewFile(uintptr(fd), "tun "+name)
}

// netemLine carries packets from one TUN device to another like one
// direction of a netem qdisc: while impaired it drops netemLoss of them at
// random, serializes the rest at netemRate and delivers each netemDelay
// after it left; netemLimit packets at most wait, the next are dropped.
type netemLine struct {
	impaired atomic.Bool
	lost     atomic.Int64 // dropped at random
	overflow atomic.Int64 // dropped because the queue was full
}

type timedPacket struct {
	at   time.Time
	data []byte
}

func newNetemLine(from, to *os.File, stop <-chan struct{}, wg *sync.WaitGroup) *netemLine {
	l := &netemLine{}
	q := make(chan timedPacket, netemLimit)
	wg.Add(2)
	go func() { // reader: loss, and the time each packet arrives
		defer wg.Done()
		defer close(q)
		var free time.Time // when the line has sent what is queued
		buf := make([]byte, 65536)
		for {
			n, err := from.Read(buf)
			if err != nil {
				return
			}
			now := time.Now()
			at := now
			if l.impaired.Load() {
				if mathrand.Float64() < netemLoss {
					l.lost.Add(1)
					continue
				}
				free = later(free, now).Add(time.Duration(n+netemEthHead) * time.Second / netemRate)
				at = free.Add(netemDelay)
			}
			select {
			case q <- timedPacket{at: at, data: bytes.Clone(buf[:n])}:
			default:
				l.overflow.Add(1)
			}
		}
	}()
	go func() { // writer: delivers in order, each at its time
		defer wg.Done()
		timer := time.NewTimer(0)
		for p := range q {
			if d := time.Until(p.at); d > 0 {
				timer.Reset(d)
				select {
				case <-timer.C:
				case <-stop:
					return
				}
			}
			// A packet the kernel refuses is lost, as on a real line.
			if _, err := to.Write(p.data); errors.Is(err, os.ErrClosed) {
				return
			}
		}
	}()
	return l
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
