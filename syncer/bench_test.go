package syncer_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"folio/app"
	"folio/archive/api"
	"folio/archive/archivecmd"
	"folio/archive/pki"
	"folio/profile"
	"folio/syncer"
)

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// benchArchive runs the real folio-archive server code (archivecmd.Serve)
// on 127.0.0.1, with its log discarded.
type benchArchive struct{ dir, addr string }

func startBenchArchive(b *testing.B) *benchArchive {
	dir := b.TempDir()
	if code := archivecmd.Run(context.Background(), []string{"init", "--data", dir, "--org", "Bench District", "--host", "127.0.0.1"},
		archivecmd.Params{Stdout: io.Discard, Stderr: io.Discard}); code != 0 {
		b.Fatalf("folio-archive init: exit %d", code)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- archivecmd.Serve(ctx, archivecmd.ServeParams{DataDir: dir, Listener: ln, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	}()
	b.Cleanup(func() { cancel(); <-done })
	return &benchArchive{dir: dir, addr: ln.Addr().String()}
}

// benchStation is a vault of the bench with its client and engine.
type benchStation struct {
	prof   *profile.Profile
	s      *app.Session
	client *syncer.Client
	eng    *syncer.Engine
	enr    *pki.Enrollment
}

func openStation(b *testing.B, arc *benchArchive, name string, opts syncer.ClientOptions) *benchStation {
	prof, err := profile.Open(b.TempDir(), profile.Options{FastKDF: true, Workers: 1})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { prof.Close() })
	enr, err := pki.AddDevice(filepath.Join(arc.dir, "pki"), name, arc.addr)
	if err != nil {
		b.Fatal(err)
	}
	c, err := syncer.NewClient(enr, api.DeviceID(prof.DB.DeviceID()), opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	return &benchStation{prof: prof, client: c, enr: enr}
}

func (w *benchStation) start(s *app.Session) {
	w.s = s
	w.eng = syncer.New(syncer.Params{DB: w.prof.DB, Blobs: w.prof.Blobs, Session: s.Replica(), Client: w.client})
}

func (w *benchStation) round(b *testing.B) (syncer.Report, time.Duration) {
	b.Helper()
	t0 := time.Now()
	rep, err := w.eng.Round(context.Background())
	if err != nil {
		b.Fatalf("round: %v (%s)", err, rep)
	}
	return rep, time.Since(t0)
}

// addBlobs stores n random blobs of size bytes (sealed like scans).
func addBlobs(b *testing.B, w *benchStation, n, size int) {
	st := w.prof.Blobs.Sealed(blobKey(b, w.prof.DB, w.s))
	data := make([]byte, size)
	for range n {
		rand.Read(data)
		id := make([]byte, 16)
		rand.Read(id)
		if err := st.PutBlob(context.Background(), hex.EncodeToString(id), data); err != nil {
			b.Fatal(err)
		}
	}
}

func registerMany(b *testing.B, s *app.Session, n int, tag string) []app.Patient {
	var out []app.Patient
	dob, _ := app.ParseBirthDate("1980")
	for i := 0; i < n; i += 1000 {
		var ps []app.Patient
		for j := i; j < min(n, i+1000); j++ {
			ps = append(ps, app.Patient{Family: fmt.Sprintf("%s%06d", tag, j), Given: "Bench", Sex: app.SexFemale, BirthDate: dob, Village: "Kisumu"})
		}
		got, err := s.Patients().Register(context.Background(), ps...)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, got...)
	}
	return out
}

// joinStation gives w the vault keys of admin's vault through the archive.
func joinStation(b *testing.B, adminW *benchStation, w *benchStation) {
	ctx := context.Background()
	req, err := w.prof.Vault.PrepareJoin(ctx, "nurse", []byte(nursePW))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := w.client.RequestKeys(ctx, req.PublicKey); err != nil {
		b.Fatal(err)
	}
	if _, err := syncer.SendGrant(ctx, adminW.client, adminW.s.Replica(), api.KeyRequest{Device: api.DeviceID(w.prof.DB.DeviceID()), Name: "bench", PublicKey: req.PublicKey}); err != nil {
		b.Fatal(err)
	}
	grant, err := syncer.ReceiveGrant(ctx, w.client, req.PublicKey, nil)
	if err != nil || grant == nil {
		b.Fatalf("grant: %+v, %v", grant, err)
	}
	s, err := w.prof.Vault.CompleteJoin(ctx, []byte(nursePW), *grant)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Lock(context.Background()) })
	w.start(s)
}

// BenchmarkSync measures, on a real archive over mTLS on loopback: the
// initial sync of a vault (FOLIO_BENCH_SYNC_PATIENTS patients, default
// 10k, and FOLIO_BENCH_SYNC_MB of scans, default 1024) to an empty
// workstation; an incremental sync of 100 changes; the bytes on the wire
// per byte of blob payload; and a small day's work over a 64 kbit/s cap.
func BenchmarkSync(b *testing.B) {
	if b.N > 1 {
		b.Skip("run with -benchtime=1x")
	}
	ctx := context.Background()
	patients := envInt("FOLIO_BENCH_SYNC_PATIENTS", 10000)
	mb := envInt("FOLIO_BENCH_SYNC_MB", 1024)
	arc := startBenchArchive(b)
	a := openStation(b, arc, "bench-a", syncer.ClientOptions{})
	if _, err := a.prof.Vault.Create(ctx, app.CreateParams{Admin: "admin", Password: []byte(adminPW), SitePrefix: "BA"}); err != nil {
		b.Fatal(err)
	}
	s, err := a.prof.Vault.Login(ctx, "admin", []byte(adminPW))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Lock(ctx) })
	a.start(s)
	if err := s.Users().Add(ctx, app.User{Name: "nurse", Roles: app.RoleSet{app.RoleRecords}}, []byte(nursePW)); err != nil {
		b.Fatal(err)
	}
	ps := registerMany(b, s, patients, "Bench")
	addBlobs(b, a, mb/4, 4<<20) // scans of 4 MiB
	b.ResetTimer()

	rep, upTime := a.round(b)
	_, upWire := a.client.WireBytes()
	b.ReportMetric(upTime.Seconds(), "push-initial-s")
	b.ReportMetric(float64(upWire)/float64(max(rep.BytesUp, 1)), "upload-wire/payload")

	bw := openStation(b, arc, "bench-b", syncer.ClientOptions{})
	joinStation(b, a, bw)
	rep, downTime := bw.round(b)
	if rep.Pulled < patients || rep.BytesDown < int64(mb)<<20 {
		b.Fatalf("initial sync moved too little: %s", rep)
	}
	downWire, _ := bw.client.WireBytes()
	b.ReportMetric(downTime.Seconds(), "initial-sync-s")
	b.ReportMetric(float64(rep.BytesDown)/downTime.Seconds()/1e6, "initial-MB/s")
	b.ReportMetric(float64(downWire)/float64(rep.BytesDown), "initial-wire/payload")

	// Blob bytes on the wire per payload byte, blobs alone: 64 MiB more.
	addBlobs(b, a, 16, 4<<20)
	_, w0 := a.client.WireBytes()
	rep, _ = a.round(b)
	_, w1 := a.client.WireBytes()
	b.ReportMetric(float64(w1-w0)/float64(rep.BytesUp), "blob-wire/payload")
	r0, _ := bw.client.WireBytes()
	rep, _ = bw.round(b)
	r1, _ := bw.client.WireBytes()
	b.ReportMetric(float64(r1-r0)/float64(rep.BytesDown), "blob-down-wire/payload")

	// Incremental: 100 amended patients, pushed by a and pulled by b.
	for i := range 100 {
		p := ps[i*len(ps)/100]
		p.Phone = fmt.Sprintf("+254 7%08d", i)
		if _, err := s.Patients().Amend(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
	_, pushT := a.round(b)
	rep, pullT := bw.round(b)
	if rep.Pulled < 100 {
		b.Fatalf("incremental pulled %s", rep)
	}
	b.ReportMetric(float64((pushT + pullT).Milliseconds()), "incremental-100-ms")

	// A small day over 64 kbit/s: 20 patients touched and 256 KiB of
	// scans, through a client capped at 8,000 bytes/s; the figure is the
	// time taken over the time the payload (scans and sealed records)
	// needs at that rate.
	capped, err := syncer.NewClient(a.enr, api.DeviceID(a.prof.DB.DeviceID()), syncer.ClientOptions{BytesPerSecond: 8000})
	if err != nil {
		b.Fatal(err)
	}
	defer capped.Close()
	for i := range 20 {
		p, _ := s.Patients().Open(ctx, ps[i].MRN)
		p.Village = "Bondo"
		if _, err := s.Patients().Amend(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
	addBlobs(b, a, 4, 64<<10)
	eng := syncer.New(syncer.Params{DB: a.prof.DB, Blobs: a.prof.Blobs, Session: s.Replica(), Client: capped})
	t0 := time.Now()
	rep, err = eng.Round(ctx)
	if err != nil {
		b.Fatal(err)
	}
	el := time.Since(t0)
	rd, wr := capped.WireBytes()
	payload := rep.BytesUp + rep.RecordBytesUp + rep.RecordBytesDown
	b.ReportMetric(el.Seconds(), "slow-day-s")
	b.ReportMetric(el.Seconds()/(float64(payload)/8000), "slow-day-time/payload-time")
	b.ReportMetric(float64(rd+wr)/float64(payload), "slow-day-wire/payload")
}
