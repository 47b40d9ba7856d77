package syncer_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"io"
	"log/slog"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/image/tiff"

	"folio/app"
	"folio/archive"
	"folio/archive/api"
	"folio/syncer"
	"folio/syncer/faultnet"
)

// These tests run the sync protocol through a faultnet.Proxy that cuts,
// refuses and drops connections, against a real archive that can be
// restarted, and check that every round fails cleanly (a *syncer.NetError)
// and that once the link heals both workstations hold exactly the same
// records, the archive holds each version once, and blobs resumed instead
// of starting over.

// faultSeed shifts the seeds of the fault proxies, for soak runs:
// go test ./syncer -run Cuts -count=1 -args -fault.seed=N
var faultSeed = flag.Uint64("fault.seed", 0, "added to each fault test's fixed proxy seed")

// storeHooks let a test act inside the archive right after its store
// answered, before the answer is written to the wire. Each hook is nil
// unless a test sets it.
type storeHooks struct {
	afterPush atomic.Pointer[func(api.PushResponse)]
	afterPull atomic.Pointer[func(api.PullResponse)]
	replayed  atomic.Int64 // push answers given again for a replayed batch
}

// hookedStore is the archive's store with storeHooks around it.
type hookedStore struct {
	archive.Store
	h *storeHooks
}

func (s *hookedStore) Push(ctx context.Context, req api.PushRequest, at time.Time) (api.PushResponse, error) {
	resp, err := s.Store.Push(ctx, req, at)
	if err == nil {
		if resp.Replayed {
			s.h.replayed.Add(1)
		}
		if f := s.h.afterPush.Load(); f != nil {
			(*f)(resp)
		}
	}
	return resp, err
}

func (s *hookedStore) Pull(ctx context.Context, device api.DeviceID, after uint64, limit int, at time.Time) (api.PullResponse, error) {
	resp, err := s.Store.Pull(ctx, device, after, limit, at)
	if err == nil {
		if f := s.h.afterPull.Load(); f != nil {
			(*f)(resp)
		}
	}
	return resp, err
}

// faultRig is an archive behind a fault proxy and two workstations: a
// (administrator session) and b (joined, nurse session). The join runs on
// a clean link; the tests' engines go through the proxy.
type faultRig struct {
	arc          *testArchive
	px           *faultnet.Proxy
	a, b         *workstation
	admin, nurse *app.Session
}

func newFaultRig(t *testing.T, seed uint64, withB bool) *faultRig {
	t.Helper()
	r := &faultRig{arc: startArchive(t)}
	px, err := faultnet.Listen(r.arc.Addr, seed+*faultSeed)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { px.Close() })
	r.px = px
	r.a = newWorkstation(t, r.arc, "ward-a")
	r.admin = firstVault(t, r.a)
	r.a.round(t, r.admin)
	if withB {
		r.b = newWorkstation(t, r.arc, "ward-b")
		r.nurse = join(t, r.a, r.admin, r.b)
		r.a.round(t, r.admin) // take in what b shared on joining
	}
	return r
}

// engine returns an engine of w whose client dials through the proxy.
func (r *faultRig) engine(t *testing.T, w *workstation, s *app.Session, batch int) *syncer.Engine {
	t.Helper()
	return syncer.New(syncer.Params{
		DB: w.prof.DB, Blobs: w.prof.Blobs, Session: s.Replica(),
		Client:       w.client(t, syncer.ClientOptions{Dial: r.px.Dial}),
		Log:          slog.New(slog.DiscardHandler),
		PushVersions: batch, PullLimit: batch,
	})
}

// faultRounds is what it took to finish a round through faults.
type faultRounds struct {
	failed int           // rounds that ended in a NetError
	sum    syncer.Report // the reports of every round, added up
}

// roundUntilDone runs rounds until one succeeds. Every failing round must
// fail with a *syncer.NetError and leave the engine offline.
func roundUntilDone(t *testing.T, e *syncer.Engine, maxRounds int) faultRounds {
	t.Helper()
	var fr faultRounds
	for i := 0; ; i++ {
		rep, err := e.Round(context.Background())
		addReport(&fr.sum, rep)
		if err == nil {
			return fr
		}
		var ne *syncer.NetError
		if !errors.As(err, &ne) {
			t.Fatalf("round %d failed with %v (%T), want a *syncer.NetError", i, err, err)
		}
		if st := e.Status().State; st != syncer.StateOffline {
			t.Fatalf("round %d failed (%v) but the engine says %q, want %q", i, err, st, syncer.StateOffline)
		}
		fr.failed++
		if i >= maxRounds {
			t.Fatalf("no round succeeded in %d tries; last error: %v", maxRounds, err)
		}
	}
}

func addReport(sum *syncer.Report, r syncer.Report) {
	sum.Pushed += r.Pushed
	sum.PushedDup += r.PushedDup
	sum.Audit += r.Audit
	sum.Pulled += r.Pulled
	sum.Known += r.Known
	sum.Forked += r.Forked
	sum.Rejected += r.Rejected
	sum.BlobsUp += r.BlobsUp
	sum.BlobsDown += r.BlobsDown
	sum.BytesUp += r.BytesUp
	sum.BytesDown += r.BytesDown
}

// registerPatients registers n made-up patients on s, 50 at a time.
func registerPatients(t *testing.T, s *app.Session, n int) {
	t.Helper()
	villages := []string{"Kisumu", "Siaya", "Bondo", "Homa Bay", "Ahero"}
	for done := 0; done < n; {
		var ps []app.Patient
		for ; done < n && len(ps) < 50; done++ {
			ps = append(ps, app.Patient{
				Family: fmt.Sprintf("Family%04d", done), Given: "Test", Sex: app.SexFemale,
				Village: villages[done%len(villages)], BirthDate: birth(t, fmt.Sprintf("%d", 1940+done%70)),
			})
		}
		if _, err := s.Patients().Register(context.Background(), ps...); err != nil {
			t.Fatal(err)
		}
	}
}

var allKinds = []app.Kind{app.KindPatient, app.KindUser, app.KindBatch, app.KindDocument, app.KindBlob, app.KindKeySlots}

// heads returns every record's current version, by kind/id.
func heads(t *testing.T, w *workstation, s *app.Session) map[string]app.Version {
	t.Helper()
	aead := vaultKeys(t, w.prof.DB, s).RecordAEAD()
	out := map[string]app.Version{}
	for _, k := range allKinds {
		for rec, err := range w.prof.DB.Records(aead).Heads(context.Background(), k) {
			if err != nil {
				t.Fatal(err)
			}
			out[string(k)+"/"+rec.ID] = rec.Version
		}
	}
	return out
}

// checkConverged asserts that a and b hold the same heads, that nothing is
// pending on either, and that the archive's global order holds every
// version exactly once: as many entries as distinct versions, as many as
// each vault holds.
func (r *faultRig) checkConverged(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	r.settle(t)
	ha, hb := heads(t, r.a, r.admin), heads(t, r.b, r.nurse)
	if len(ha) != len(hb) {
		t.Errorf("a holds %d records, b %d", len(ha), len(hb))
	}
	for k, v := range ha {
		if hb[k] != v {
			t.Errorf("%s: a's head is %s, b's %s", k, v, hb[k])
		}
	}
	for _, w := range []*workstation{r.a, r.b} {
		if n, err := w.prof.DB.Oplog().PendingCount(ctx); err != nil || n != 0 {
			t.Errorf("%s still has %d changes pending (%v)", w.enr.Device, n, err)
		}
	}
	m, err := r.arc.Store.Metrics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for after := uint64(0); ; {
		page, err := r.arc.Store.Pull(ctx, 1, after, api.MaxPullLimit, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page.Changes {
			k := fmt.Sprintf("%s/%s@%s", c.Kind, c.ID, c.Version)
			if seen[k] {
				t.Errorf("the archive holds %s twice", k)
			}
			seen[k] = true
		}
		after = page.Next
		if !page.More {
			break
		}
	}
	if uint64(len(seen)) != m.Head {
		t.Errorf("the archive's head is %d but it holds %d distinct versions", m.Head, len(seen))
	}
	for _, w := range []*workstation{r.a, r.b} {
		st, err := w.prof.DB.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if uint64(st.Versions) != m.Head {
			t.Errorf("%s holds %d versions, the archive %d", w.enr.Device, st.Versions, m.Head)
		}
	}
}

// settle runs rounds of b and a on a clean link until a pair of rounds
// moves nothing: what one wrote while taking in the other's changes (key
// slots) has reached the other.
func (r *faultRig) settle(t *testing.T) {
	t.Helper()
	r.px.CutAfter(faultnet.Upstream, 0, 0)
	r.px.CutAfter(faultnet.Downstream, 0, 0)
	r.px.SetDown(false)
	ea, eb := r.engine(t, r.a, r.admin, 0), r.engine(t, r.b, r.nurse, 0)
	round := func(e *syncer.Engine) syncer.Report {
		rep, err := e.Round(context.Background())
		if err != nil {
			t.Fatalf("round on a clean link: %v (did: %s)", err, rep)
		}
		return rep
	}
	for i := 0; ; i++ {
		rb, ra := round(eb), round(ea)
		t.Logf("settle %d: b %s; a %s", i, rb, ra)
		if rb.Pushed+rb.Pulled+ra.Pushed+ra.Pulled == 0 {
			return
		}
		if i == 3 {
			t.Fatalf("a and b still exchange changes after %d pairs of rounds", i+1)
		}
	}
}

func archiveHead(t *testing.T, a *testArchive) uint64 {
	t.Helper()
	m, err := a.Store.Metrics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return m.Head
}

// TestCutsMidPushAndPull pushes a few hundred patients through a link cut
// at random offsets in both directions, then pulls them on b through a
// link cut the same way.
func TestCutsMidPushAndPull(t *testing.T) {
	ctx := context.Background()
	patients := 300
	if testing.Short() {
		patients = 120
	}
	r := newFaultRig(t, 1, true)
	registerPatients(t, r.admin, patients)
	before := archiveHead(t, r.arc)
	pending, _ := r.a.prof.DB.Oplog().PendingCount(ctx)

	// Push: every connection dies after 1–40 KiB up or 1–40 KiB down
	// (whichever comes first); batches of 25 versions are ~25 KiB.
	r.px.CutAfter(faultnet.Upstream, 1<<10, 40<<10)
	r.px.CutAfter(faultnet.Downstream, 1<<10, 40<<10)
	ea := r.engine(t, r.a, r.admin, 25)
	push := roundUntilDone(t, ea, 1000)
	pushCuts := r.px.Cuts()
	pushed := archiveHead(t, r.arc) - before
	t.Logf("push of %d versions: %d cuts, %d failed rounds, %d replayed batches, %d bytes up, %d down through the proxy",
		pending, pushCuts, push.failed, r.arc.hooks.replayed.Load(), r.px.Forwarded(faultnet.Upstream), r.px.Forwarded(faultnet.Downstream))
	if pushed != uint64(pending) || push.sum.Pushed != pending || push.sum.PushedDup != 0 {
		t.Errorf("a had %d versions pending; the archive took %d new, the rounds report %d pushed and %d duplicates", pending, pushed, push.sum.Pushed, push.sum.PushedDup)
	}
	if n, _ := r.a.prof.DB.Oplog().PendingCount(ctx); n != 0 {
		t.Errorf("a still has %d changes pending after a successful round", n)
	}

	// Pull on b: pages of 25 changes, the connection cut after 1–40 KiB
	// down.
	r.px.CutAfter(faultnet.Upstream, 0, 0)
	stB, _ := r.b.prof.DB.Stats(ctx)
	eb := r.engine(t, r.b, r.nurse, 25)
	pull := roundUntilDone(t, eb, 1000)
	pullCuts := r.px.Cuts() - pushCuts
	t.Logf("pull: %d cuts, %d failed rounds, %d pulled, %d known", pullCuts, pull.failed, pull.sum.Pulled, pull.sum.Known)
	stB2, _ := r.b.prof.DB.Stats(ctx)
	// b holds what it pulled and what it wrote and pushed itself (its
	// share of the key slots), nothing twice.
	if got := stB2.Versions - stB.Versions; pull.sum.Pulled+pull.sum.Pushed != got || pull.sum.Pulled < patients {
		t.Errorf("b's rounds report %d versions pulled and %d pushed, b holds %d more; want at least the %d patients pulled", pull.sum.Pulled, pull.sum.Pushed, got, patients)
	}
	if min := 30; !testing.Short() && pushCuts+pullCuts < min {
		t.Errorf("only %d cuts (push %d, pull %d): the test wants %d or more", pushCuts+pullCuts, pushCuts, pullCuts, min)
	}
	if pushCuts == 0 || pullCuts == 0 {
		t.Errorf("push saw %d cuts, pull %d: each should see some", pushCuts, pullCuts)
	}
	// a takes in what b shared (nothing new from b's side but its
	// cursor moves), and both agree.
	r.checkConverged(t)
}

// bigScan is a one-page scan stored as an uncompressed 8-bit TIFF: the
// linn.png page (2550×3300), about 8.4 MB, so its original travels as
// 9 chunks of 1 MiB.
func bigScan(t *testing.T) []byte {
	t.Helper()
	f, err := os.Open("../testdata/corpus/scans/ocrmypdf__linn.png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	src, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	gray := image.NewGray(src.Bounds())
	draw.Draw(gray, gray.Bounds(), src, src.Bounds().Min, draw.Src)
	var buf bytes.Buffer
	if err := tiff.Encode(&buf, gray, &tiff.Options{Compression: tiff.Uncompressed}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// blobBytes returns the sealed files of w's blobs, by id.
func blobBytes(t *testing.T, w *workstation) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for id, err := range w.prof.Blobs.List(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		f, _, err := w.prof.Blobs.OpenSealed(id)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[id] = b
	}
	return out
}

// TestCutsMidBlob uploads a multi-MiB scan through a link cut at random
// offsets, then downloads it on b the same way: the upload resumes at the
// last verified chunk, the download at the byte.
func TestCutsMidBlob(t *testing.T) {
	ctx := context.Background()
	r := newFaultRig(t, 2, true)
	data := bigScan(t)
	start := time.Now()
	if _, err := r.admin.Intake().ImportFile(ctx, "linn.tiff", "test", data); err != nil {
		t.Fatal(err)
	}
	t.Logf("imported a %d-byte TIFF in %s", len(data), time.Since(start).Round(time.Millisecond))
	blobsA := blobBytes(t, r.a)
	var total, largest int64
	for _, b := range blobsA {
		total += int64(len(b))
		largest = max(largest, int64(len(b)))
	}
	if largest < 4*api.ChunkSize {
		t.Fatalf("the largest blob is %d bytes; the test wants several chunks of %d", largest, api.ChunkSize)
	}

	// Upload: each connection carries 100 KiB – 2 MiB up, so most chunks
	// take a few tries.
	r.px.CutAfter(faultnet.Upstream, 100<<10, 2<<20)
	ea := r.engine(t, r.a, r.admin, 500)
	up0 := r.px.Forwarded(faultnet.Upstream)
	up := roundUntilDone(t, ea, 500)
	upCuts, upConns := r.px.Cuts(), r.px.Conns()
	wireUp := r.px.Forwarded(faultnet.Upstream) - up0
	t.Logf("upload of %d blobs, %d bytes (largest %d): %d cuts, %d failed rounds, %d chunk bytes acknowledged, %d bytes up through the proxy (%.2f× the blobs)",
		len(blobsA), total, largest, upCuts, up.failed, up.sum.BytesUp, wireUp, float64(wireUp)/float64(total))
	if upCuts < 3 {
		t.Errorf("only %d cuts during the upload", upCuts)
	}
	// (A blob whose last answer a cut lost is found complete and not
	// counted by the round that finds it.)
	if m, err := r.arc.Store.Metrics(ctx); err != nil || m.Blobs != int64(len(blobsA)) || m.BlobBytes != total || m.Uploads != 0 {
		t.Errorf("the archive holds %d blobs of %d bytes, %d uploads under way (%v); a holds %d of %d bytes", m.Blobs, m.BlobBytes, m.Uploads, err, len(blobsA), total)
	}
	// A chunk is acknowledged once: the acknowledged bytes never pass the
	// blobs' size (a restart would send acknowledged chunks again), and
	// fall short of it only by chunks whose answer a cut lost.
	if up.sum.BytesUp > total || up.sum.BytesUp < total-int64(upCuts)*api.ChunkSize {
		t.Errorf("chunk bytes acknowledged: %d for %d bytes of blobs and %d cuts", up.sum.BytesUp, total, upCuts)
	}
	// On the wire: the blobs, at most one chunk lost per cut, and the
	// records, handshakes and framing (well under 512 KiB + 16 KiB per
	// connection here).
	if limit := total + int64(upCuts)*api.ChunkSize + 512<<10 + int64(upConns)*16<<10; wireUp > limit {
		t.Errorf("%d bytes went up for %d bytes of blobs and %d cuts: more than %d, the upload restarted instead of resuming", wireUp, total, upCuts, limit)
	}

	// Download on b: each connection carries 100 KiB – 2 MiB down.
	r.px.CutAfter(faultnet.Upstream, 0, 0)
	r.px.CutAfter(faultnet.Downstream, 100<<10, 2<<20)
	down0, conns0 := r.px.Forwarded(faultnet.Downstream), r.px.Conns()
	eb := r.engine(t, r.b, r.nurse, 500)
	down := roundUntilDone(t, eb, 500)
	downCuts, downConns := r.px.Cuts()-upCuts, r.px.Conns()-conns0
	wireDown := r.px.Forwarded(faultnet.Downstream) - down0
	t.Logf("download: %d cuts, %d failed rounds, %d blob bytes received, %d bytes down through the proxy (%.2f× the blobs)",
		downCuts, down.failed, down.sum.BytesDown, wireDown, float64(wireDown)/float64(total))
	if downCuts < 3 {
		t.Errorf("only %d cuts during the download", downCuts)
	}
	// A download resumes at the byte: every byte received is kept.
	if down.sum.BytesDown != total || down.sum.BlobsDown != len(blobsA) {
		t.Errorf("b received %d bytes in %d blobs; a holds %d bytes in %d", down.sum.BytesDown, down.sum.BlobsDown, total, len(blobsA))
	}
	if limit := total + 512<<10 + int64(downConns)*16<<10; wireDown > limit {
		t.Errorf("%d bytes came down for %d bytes of blobs: more than %d", wireDown, total, limit)
	}
	blobsB := blobBytes(t, r.b)
	for id, b := range blobsA {
		if !bytes.Equal(blobsB[id], b) {
			t.Errorf("blob %s: b's file (%d bytes) differs from a's (%d)", id, len(blobsB[id]), len(b))
		}
	}
	r.checkConverged(t)
}

// TestLinkDown: with the link down a round fails as offline; once it is
// back the next round sends what waited.
func TestLinkDown(t *testing.T) {
	ctx := context.Background()
	r := newFaultRig(t, 3, false)
	e := r.engine(t, r.a, r.admin, 0)
	r.px.SetDown(true)
	registerPatients(t, r.admin, 3)
	before := archiveHead(t, r.arc)
	rep, err := e.Round(ctx)
	var ne *syncer.NetError
	if !errors.As(err, &ne) {
		t.Fatalf("round with the link down: %v (%T), want a *syncer.NetError", err, err)
	}
	if st := e.Status(); st.State != syncer.StateOffline || st.PendingChanges == 0 {
		t.Fatalf("status with the link down: %q with %d changes pending, want %q with some", st.State, st.PendingChanges, syncer.StateOffline)
	}
	if rep.Pushed != 0 || archiveHead(t, r.arc) != before {
		t.Fatalf("a round with the link down pushed %d versions", rep.Pushed)
	}
	r.px.SetDown(false)
	rep, err = e.Round(ctx)
	if err != nil {
		t.Fatalf("round after the link came back: %v", err)
	}
	if st := e.Status(); st.State != syncer.StateUpToDate || st.PendingChanges != 0 {
		t.Fatalf("status after the link came back: %q with %d changes pending", st.State, st.PendingChanges)
	}
	if got := archiveHead(t, r.arc) - before; rep.Pushed < 3 || got != uint64(rep.Pushed) {
		t.Fatalf("after the link came back: %d pushed, the archive took %d; want the 3 patients at least", rep.Pushed, got)
	}
}

// TestArchiveRestartMidSync stops the archive (server and store) in the
// middle of a's push and again in the middle of b's pull, just after the
// store committed and before the answer went out, and serves the same
// data on a new port; the rounds that follow converge.
func TestArchiveRestartMidSync(t *testing.T) {
	patients := 200
	if testing.Short() {
		patients = 80
	}
	r := newFaultRig(t, 4, true)
	registerPatients(t, r.admin, patients)

	// killAt arms hook to stop the archive on its n-th call: the test
	// goroutine restarts it, then lets the handler go on writing its
	// answer to a closed connection.
	restarts := 0
	killAt := func(n int, arm func(func())) func() {
		stopNow, restarted := make(chan struct{}), make(chan struct{})
		var calls atomic.Int64
		arm(func() {
			if calls.Add(1) == int64(n) {
				close(stopNow)
				<-restarted
			}
		})
		return func() {
			<-stopNow
			r.arc.Restart(t)
			r.px.SetTarget(r.arc.Addr)
			restarts++
			close(restarted)
		}
	}
	run := func(e *syncer.Engine, restart func()) (syncer.Report, error) {
		type result struct {
			rep syncer.Report
			err error
		}
		done := make(chan result, 1)
		go func() {
			rep, err := e.Round(context.Background())
			done <- result{rep, err}
		}()
		restart()
		res := <-done
		return res.rep, res.err
	}

	ea := r.engine(t, r.a, r.admin, 20)
	restart := killAt(3, func(f func()) {
		hook := func(api.PushResponse) { f() }
		r.arc.hooks.afterPush.Store(&hook)
	})
	rep, err := run(ea, restart)
	r.arc.hooks.afterPush.Store(nil)
	var ne *syncer.NetError
	if !errors.As(err, &ne) {
		t.Fatalf("a's round across the restart: %v (%T), want a *syncer.NetError (did: %s)", err, err, rep)
	}
	if rep.Pushed != 40 {
		t.Errorf("a's round pushed %d versions before the archive stopped, want the 2 batches of 20 answered", rep.Pushed)
	}
	fr := roundUntilDone(t, ea, 3)
	if fr.sum.PushedDup != 0 || r.arc.hooks.replayed.Load() != 1 {
		t.Errorf("after the restart: %d duplicates, %d replayed batches; want 0 and 1 (the batch whose answer was lost)", fr.sum.PushedDup, r.arc.hooks.replayed.Load())
	}

	eb := r.engine(t, r.b, r.nurse, 20)
	restart = killAt(2, func(f func()) {
		hook := func(api.PullResponse) { f() }
		r.arc.hooks.afterPull.Store(&hook)
	})
	rep, err = run(eb, restart)
	r.arc.hooks.afterPull.Store(nil)
	// A pull is a GET: the HTTP client may send it again by itself on a
	// new connection, to the restarted archive, and the round goes on.
	if err != nil && !errors.As(err, &ne) {
		t.Fatalf("b's round across the restart: %v (%T), want a *syncer.NetError or success (did: %s)", err, err, rep)
	}
	t.Logf("b's round across the restart: %v; did: %s", err, rep)
	roundUntilDone(t, eb, 3)
	roundUntilDone(t, ea, 3)
	if restarts != 2 {
		t.Fatalf("%d restarts, want 2", restarts)
	}
	r.checkConverged(t)
}

// TestReplayedBatch drops the link right after the archive stored a batch,
// before its answer reached a: the next round sends the same batch, the
// archive answers it again without storing anything twice, and a
// acknowledges it once.
func TestReplayedBatch(t *testing.T) {
	ctx := context.Background()
	r := newFaultRig(t, 5, false)
	registerPatients(t, r.admin, 10)
	pending, _ := r.a.prof.DB.Oplog().PendingCount(ctx)
	before := archiveHead(t, r.arc)
	e := r.engine(t, r.a, r.admin, 0)

	var fired atomic.Bool
	hook := func(api.PushResponse) {
		if fired.CompareAndSwap(false, true) {
			r.px.CloseAll()
		}
	}
	r.arc.hooks.afterPush.Store(&hook)
	rep, err := e.Round(ctx)
	var ne *syncer.NetError
	if !errors.As(err, &ne) || rep.Pushed != 0 {
		t.Fatalf("round whose answer was lost: %v (%T), %d pushed; want a *syncer.NetError and nothing acknowledged", err, err, rep.Pushed)
	}
	stored := archiveHead(t, r.arc) - before
	if stored != uint64(pending) {
		t.Fatalf("the archive stored %d versions of a's %d before the cut", stored, pending)
	}
	if n, _ := r.a.prof.DB.Oplog().PendingCount(ctx); n != pending {
		t.Fatalf("a has %d changes pending after losing the answer, want all %d (nothing acknowledged before its answer is stored)", n, pending)
	}

	// The clerk goes on working before the next round: the batch in
	// flight keeps its content, the new patient goes in the next one.
	registerPatients(t, r.admin, 1)
	more, _ := r.a.prof.DB.Oplog().PendingCount(ctx)
	more -= pending

	rep, err = e.Round(ctx)
	if err != nil {
		t.Fatalf("round after the cut: %v", err)
	}
	if got := r.arc.hooks.replayed.Load(); got != 1 {
		t.Errorf("the archive answered %d replayed batches, want 1", got)
	}
	if rep.Pushed != pending+more || rep.PushedDup != 0 {
		t.Errorf("the round after the cut acknowledged %d new and %d duplicate versions, want %d and 0", rep.Pushed, rep.PushedDup, pending+more)
	}
	if got := archiveHead(t, r.arc) - before; got != uint64(pending+more) {
		t.Errorf("the archive holds %d new versions after the replay, want %d: a version was stored twice or lost", got, pending+more)
	}
	if n, _ := r.a.prof.DB.Oplog().PendingCount(ctx); n != 0 {
		t.Errorf("a still has %d changes pending", n)
	}
	st, _ := r.a.prof.DB.Stats(ctx)
	if m := archiveHead(t, r.arc); uint64(st.Versions) != m {
		t.Errorf("a holds %d versions, the archive %d", st.Versions, m)
	}
}
