package syncer_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"folio/app"
	"folio/archive"
	"folio/archive/api"
	"folio/archive/archivecmd"
	"folio/archive/pki"
	"folio/internal/testkit"
	"folio/profile"
	"folio/syncer"
)

// These tests look at the archive's refusals from the workstation's side:
// through the real syncer.Client and syncer.Engine, against the real
// folio-archive server (archivecmd.Serve, TLS 1.3 with client certificates
// on 127.0.0.1). Each case checks what a person is told — the round's
// error and the sync indicator's words (syncer.Describe) — and that
// nothing was stored: the archive's figures and the vault's are unchanged.

// secArchive is a folio-archive data folder made by 'folio-archive init',
// served by archivecmd.Serve. stop and serve again keep the address, so
// enrollment files stay valid across a restart.
type secArchive struct {
	dir  string
	addr string
	halt func()
	// ahead moves the archive's clock forward (nanoseconds; TLS keeps
	// the system clock).
	ahead atomic.Int64
	// limits and expiry are the serve flags (zero: defaults).
	limits archive.Limits
	expiry time.Duration
}

func startSecArchive(t *testing.T, org string) *secArchive {
	t.Helper()
	a := &secArchive{dir: t.TempDir()}
	a.command(t, "init", "--org", org, "--host", "127.0.0.1")
	a.serve(t)
	t.Cleanup(func() { a.stop(t) })
	return a
}

// command runs a folio-archive command on the archive's folder.
func (a *secArchive) command(t *testing.T, args ...string) string {
	t.Helper()
	var out, errs bytes.Buffer
	args = append(args, "--data", a.dir)
	if code := archivecmd.Run(context.Background(), args, archivecmd.Params{Stdout: &out, Stderr: &errs}); code != archivecmd.ExitOK {
		t.Fatalf("folio-archive %s: exit %d: %s", strings.Join(args, " "), code, errs.String())
	}
	return out.String()
}

func (a *secArchive) pki() string { return filepath.Join(a.dir, "pki") }

// serve runs the server on a.addr (a free port the first time).
func (a *secArchive) serve(t *testing.T) {
	t.Helper()
	addr := a.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	a.addr = ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- archivecmd.Serve(ctx, archivecmd.ServeParams{DataDir: a.dir, Listener: ln, Log: slog.New(slog.DiscardHandler),
			Now: func() time.Time { return time.Now().Add(time.Duration(a.ahead.Load())) }, Limits: a.limits, UploadExpiry: a.expiry})
	}()
	a.halt = func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("archive server: %v", err)
		}
	}
}

// stop shuts the server down and closes its store.
func (a *secArchive) stop(t *testing.T) {
	t.Helper()
	if a.halt != nil {
		a.halt()
		a.halt = nil
	}
}

// station is a new workstation profile enrolled with the archive as name.
func (a *secArchive) station(t *testing.T, name string) *workstation {
	t.Helper()
	prof, err := profile.Open(t.TempDir(), profile.Options{FastKDF: true, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { prof.Close() })
	enr, err := pki.AddDevice(a.pki(), name, a.addr)
	if err != nil {
		t.Fatal(err)
	}
	return &workstation{prof: prof, enr: enr}
}

// monitor is an enrolled client that only reads the archive's metrics.
func (a *secArchive) monitor(t *testing.T) *syncer.Client {
	t.Helper()
	enr, err := pki.AddDevice(a.pki(), "monitor", a.addr)
	if err != nil {
		t.Fatal(err)
	}
	c, err := syncer.NewClient(enr, api.DeviceID(0x5ec0000000000001), syncer.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// archiveFigures is what the archive holds, as its metrics show it: the
// head, the bytes and blobs stored, and each device's pushes and cursor
// (the last-seen times left out).
func archiveFigures(t *testing.T, c *syncer.Client) string {
	t.Helper()
	m, err := c.Metrics(context.Background())
	if err != nil {
		t.Fatalf("archive metrics: %v", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "head %d, %d record bytes, %d blobs of %d bytes, %d uploads", m.Head, m.RecordBytes, m.Blobs, m.BlobBytes, m.Uploads)
	slices.SortFunc(m.Devices, func(x, y api.DeviceInfo) int { return strings.Compare(x.ID.String(), y.ID.String()) })
	for _, d := range m.Devices {
		fmt.Fprintf(&b, "; %s %s: batch %d, %d versions, audit %d, cursor %d", d.Name, d.ID, d.LastBatch, d.Versions, d.AuditThrough, d.Cursor)
	}
	return b.String()
}

// vaultFigures is what a vault holds: versions, pending changes, blobs.
func vaultFigures(t *testing.T, w *workstation) string {
	t.Helper()
	ctx := context.Background()
	st, err := w.prof.DB.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n, err := w.prof.DB.Oplog().PendingCount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var blobs []string
	for id, err := range w.prof.Blobs.List(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		blobs = append(blobs, id)
	}
	slices.Sort(blobs)
	return fmt.Sprintf("%d versions, %d pending, blobs %v", st.Versions, n, blobs)
}

// newVault creates a vault on w with an administrator and two patients
// (changes waiting to be pushed), and returns the administrator's session.
func newVault(t *testing.T, w *workstation, prefix string) *app.Session {
	t.Helper()
	ctx := context.Background()
	if _, err := w.prof.Vault.Create(ctx, app.CreateParams{Admin: "admin", Password: []byte(adminPW), SitePrefix: prefix}); err != nil {
		t.Fatal(err)
	}
	s := login(t, w, "admin", adminPW)
	registerPatients(t, s, 2)
	return s
}

// reissue returns a copy of e whose certificate is issued again by the
// CA in pkiDir with the validity notBefore to notAfter: the way a stolen
// CA key or a clock far off would make one.
func reissue(t *testing.T, pkiDir string, e *pki.Enrollment, notBefore, notAfter time.Time) *pki.Enrollment {
	t.Helper()
	ca := readPEM(t, filepath.Join(pkiDir, "ca.crt"), "CERTIFICATE")
	caCert, err := x509.ParseCertificate(ca)
	if err != nil {
		t.Fatal(err)
	}
	k, err := x509.ParsePKCS8PrivateKey(readPEM(t, filepath.Join(pkiDir, "ca.key"), "PRIVATE KEY"))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := *e.Cert
	tmpl.NotBefore, tmpl.NotAfter = notBefore, notAfter
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, caCert, e.Key.Public(), k)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	out := *e
	out.Cert = cert
	return &out
}

func readPEM(t *testing.T, path, typ string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != typ {
		t.Fatalf("%s: no PEM %s", path, typ)
	}
	return blk.Bytes
}

// wantWords fails unless s holds every phrase.
func wantWords(t *testing.T, what, s string, phrases ...string) {
	t.Helper()
	for _, p := range phrases {
		if !strings.Contains(s, p) {
			t.Errorf("%s does not say %q:\n%s", what, p, s)
		}
	}
}

// checkRefusedRound runs one round of w through c and checks that it
// failed with an error saying phrases, that the sync indicator shows it as
// a problem (not as "offline"), and that neither the archive (its figures
// as arc reads them) nor the vault changed.
func checkRefusedRound(t *testing.T, arc *syncer.Client, w *workstation, s *app.Session, c *syncer.Client, phrases ...string) {
	t.Helper()
	var archiveBefore string
	if arc != nil {
		archiveBefore = archiveFigures(t, arc)
	}
	vaultBefore := vaultFigures(t, w)
	eng := syncer.New(syncer.Params{DB: w.prof.DB, Blobs: w.prof.Blobs, Session: s.Replica(), Client: c, Log: slog.New(slog.DiscardHandler)})
	rep, err := eng.Round(context.Background())
	if err == nil {
		t.Fatalf("round succeeded (%s); want it refused", rep)
	}
	wantWords(t, "the round's error", err.Error(), phrases...)
	if rep.Pushed+rep.PushedDup+rep.Pulled+rep.BlobsUp+rep.BlobsDown != 0 {
		t.Errorf("a refused round moved something: %s", rep)
	}
	var ne *syncer.NetError
	if errors.As(err, &ne) {
		t.Errorf("a refused certificate is a *syncer.NetError (%v): the indicator would say the archive cannot be reached", err)
	}
	st := eng.Status()
	text, _, problem := syncer.Describe(st, time.Now())
	t.Logf("the indicator says: %s", text)
	if st.State != syncer.StateError || !problem {
		t.Errorf("after the refusal the engine is %q (problem %v), want %q shown as a problem: %q", st.State, problem, syncer.StateError, text)
	}
	wantWords(t, "the sync indicator", text, phrases...)
	if arc != nil {
		if after := archiveFigures(t, arc); after != archiveBefore {
			t.Errorf("the archive changed after a refused round:\nbefore %s\nafter  %s", archiveBefore, after)
		}
	}
	if after := vaultFigures(t, w); after != vaultBefore {
		t.Errorf("the vault changed after a refused round:\nbefore %s\nafter  %s", vaultBefore, after)
	}
}

// TestSecurityRefusedCertificates: a revoked workstation, an expired
// certificate, another organisation's certificate and an archive from
// another organisation are all refused at the first request of a round,
// with a message that says which and what to do, and nothing is stored on
// either side.
func TestSecurityRefusedCertificates(t *testing.T) {
	ctx := context.Background()
	arc := startSecArchive(t, "Lake Health District")
	other := startSecArchive(t, "Hill Health District")
	mon := arc.monitor(t)

	// ward-a has synced once and keeps its connection open.
	a := arc.station(t, "ward-a")
	admin := newVault(t, a, "WA")
	ca := a.client(t, syncer.ClientOptions{})
	if _, err := syncer.New(syncer.Params{DB: a.prof.DB, Blobs: a.prof.Blobs, Session: admin.Replica(), Client: ca}).Round(ctx); err != nil {
		t.Fatalf("first round of ward-a: %v", err)
	}

	client := func(t *testing.T, w *workstation, e *pki.Enrollment) *syncer.Client {
		c, err := syncer.NewClient(e, api.DeviceID(w.prof.DB.DeviceID()), syncer.ClientOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		return c
	}

	for _, tc := range []struct {
		name string
		// setup returns the workstation, its session and the client a
		// round goes through, and the archive that must stay unchanged.
		setup   func(t *testing.T) (*workstation, *app.Session, *syncer.Client, *syncer.Client)
		phrases []string
	}{{
		name: "revoked, on the connection it kept open",
		setup: func(t *testing.T) (*workstation, *app.Session, *syncer.Client, *syncer.Client) {
			registerPatients(t, admin, 2)
			arc.command(t, "device", "revoke", "--name", "ward-a")
			return a, admin, ca, mon
		},
		phrases: []string{"revoked", "administrator"},
	}, {
		// After the case above (the device is revoked by then).
		name: "revoked, on a new connection",
		setup: func(t *testing.T) (*workstation, *app.Session, *syncer.Client, *syncer.Client) {
			return a, admin, client(t, a, a.enr), mon
		},
		phrases: []string{"refused this workstation's certificate", "revoked", "administrator"},
	}, {
		name: "expired certificate",
		setup: func(t *testing.T) (*workstation, *app.Session, *syncer.Client, *syncer.Client) {
			w := arc.station(t, "ward-old")
			s := newVault(t, w, "WO")
			now := time.Now()
			w.enr = reissue(t, arc.pki(), w.enr, now.Add(-2*pki.DeviceValidity), now.Add(-24*time.Hour))
			return w, s, client(t, w, w.enr), mon
		},
		phrases: []string{"refused this workstation's certificate", "expired", "new enrollment file"},
	}, {
		// A crafted client: it trusts the archive, but its certificate is
		// another organisation's (a real enrollment file cannot mix them).
		name: "certificate from another organisation's CA",
		setup: func(t *testing.T) (*workstation, *app.Session, *syncer.Client, *syncer.Client) {
			w := other.station(t, "intruder")
			s := newVault(t, w, "WI")
			e := *w.enr
			e.CA, e.Address = a.enr.CA, arc.addr
			return w, s, client(t, w, &e), mon
		},
		phrases: []string{"certificate", "organisation", "enroll"},
	}, {
		// An enrollment file from another organisation: the workstation
		// refuses the archive before it sends anything.
		name: "enrolled with another organisation",
		setup: func(t *testing.T) (*workstation, *app.Session, *syncer.Client, *syncer.Client) {
			w := other.station(t, "stray")
			s := newVault(t, w, "WS")
			e := *w.enr
			e.Address = arc.addr
			return w, s, client(t, w, &e), mon
		},
		phrases: []string{"archive's certificate is not from this organisation's CA", "enroll again"},
	}, {
		// The workstation's own enrollment, but another organisation's
		// archive answers at its address (a machine in the middle).
		name: "an archive from another organisation",
		setup: func(t *testing.T) (*workstation, *app.Session, *syncer.Client, *syncer.Client) {
			w := arc.station(t, "ward-c")
			s := newVault(t, w, "WC")
			e := *w.enr
			e.Address = other.addr
			return w, s, client(t, w, &e), other.monitor(t)
		},
		phrases: []string{"archive's certificate is not from this organisation's CA", "machine in the middle"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			w, s, c, watch := tc.setup(t)
			checkRefusedRound(t, watch, w, s, c, tc.phrases...)
		})
	}
}

// TestSecurityNoClientCertificate: a plain TLS client that trusts the
// archive but shows no certificate is refused before its push is read.
func TestSecurityNoClientCertificate(t *testing.T) {
	arc := startSecArchive(t, "Lake Health District")
	mon := arc.monitor(t)
	w := arc.station(t, "ward-a")
	before := archiveFigures(t, mon)

	cfg, err := pki.ClientTLS(w.enr)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Certificates = nil
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg, ForceAttemptHTTP2: true}}
	defer hc.CloseIdleConnections()
	dev := api.DeviceID(w.prof.DB.DeviceID())
	body, err := json.Marshal(api.PushRequest{Device: dev, Batch: 1, Versions: []api.RecordVersion{{
		Kind: "patient", ID: "p-no-cert", Version: api.Version{HLC: 1, Device: dev}, Ciphertext: []byte("sealed elsewhere"),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, "https://"+arc.addr+api.PathPush, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", api.ContentTypeJSON)
	req.Header.Set(api.HeaderDevice, dev.String())
	resp, err := hc.Do(req)
	if err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Fatalf("a push without a client certificate was answered %s: %s", resp.Status, b)
	}
	// The archive's alert, or a cut connection when it closed first.
	t.Logf("push without a certificate: %v", pki.Explain(err))
	if after := archiveFigures(t, mon); after != before {
		t.Errorf("the archive changed after a push without a certificate:\nbefore %s\nafter  %s", before, after)
	}

	// Reading before writing always meets the alert: it says what is
	// missing.
	conn, err := tls.Dial("tcp", arc.addr, cfg)
	if err != nil {
		t.Fatalf("the handshake fails on the client's side: %v; want the archive's alert on the first read", err)
	}
	defer conn.Close()
	_, err = conn.Read(make([]byte, 1))
	if !errors.Is(pki.Explain(err), pki.ErrRefused) {
		t.Errorf("read after the handshake: %v, want a refusal", err)
	}
	wantWords(t, "the explained alert", pki.Explain(err).Error(), "requires a certificate", "enroll")
}

// tamperChange flips the last byte (in the AEAD tag) of the stored
// ciphertext of record kind/id in the stopped archive's bbolt store, and
// returns how many changes it altered.
func tamperChange(t *testing.T, a *secArchive, kind app.Kind, id string) int {
	t.Helper()
	db, err := bolt.Open(filepath.Join(a.dir, "store", "archive.db"), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n := 0
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("changes"))
		if b == nil {
			return errors.New("no changes bucket in the archive store")
		}
		// A change is 40 bytes of numbers, kind and id with 16-bit
		// lengths, then the ciphertext.
		target := binaryLenPrefixed(string(kind), id)
		edits := map[string][]byte{}
		err := b.ForEach(func(k, v []byte) error {
			if len(v) > 40 && bytes.HasPrefix(v[40:], target) {
				nv := bytes.Clone(v)
				nv[len(nv)-1] ^= 0x01
				edits[string(k)] = nv
			}
			return nil
		})
		if err != nil {
			return err
		}
		for k, v := range edits {
			if err := b.Put([]byte(k), v); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func binaryLenPrefixed(ss ...string) []byte {
	var b []byte
	for _, s := range ss {
		b = append(b, byte(len(s)>>8), byte(len(s)))
		b = append(b, s...)
	}
	return b
}

// tamperBlobs flips a byte in the middle of every complete blob file of
// the stopped archive's store and returns their names.
func tamperBlobs(t *testing.T, a *secArchive) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(a.dir, "store", "blobs", "*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		testkit.FlipByte(t, f, 0x80)
		names = append(names, filepath.Base(f))
	}
	return names
}

// TestSecurityTamperedAtArchive alters what the archive stores — one
// record version's ciphertext, then one scan's bytes — and checks that the
// workstation pulling them sets the version aside (imports the rest, and
// says so) and refuses the scan (keeps nothing of it, and says so).
func TestSecurityTamperedAtArchive(t *testing.T) {
	ctx := context.Background()
	arc := startSecArchive(t, "Lake Health District")
	a := arc.station(t, "ward-a")
	b := arc.station(t, "ward-b")
	admin := firstVault(t, a)
	a.round(t, admin)
	nurse := join(t, a, admin, b)
	a.round(t, admin)
	b.round(t, nurse)

	roundOfB := func() (*syncer.Engine, syncer.Report, error) {
		eng := syncer.New(syncer.Params{DB: b.prof.DB, Blobs: b.prof.Blobs, Session: nurse.Replica(), Client: b.client(t, syncer.ClientOptions{}), Log: slog.New(slog.DiscardHandler)})
		rep, err := eng.Round(ctx)
		return eng, rep, err
	}

	t.Run("record version", func(t *testing.T) {
		ps, err := admin.Patients().Register(ctx,
			app.Patient{Family: "Wanjiru", Given: "Grace", Sex: app.SexFemale, Village: "Kisumu", BirthDate: birth(t, "1971")},
			app.Patient{Family: "Odhiambo", Given: "Peter", Sex: app.SexMale, Village: "Siaya", BirthDate: birth(t, "1988")},
			app.Patient{Family: "Akinyi", Given: "Ruth", Sex: app.SexFemale, Village: "Bondo", BirthDate: birth(t, "2001")})
		if err != nil {
			t.Fatal(err)
		}
		a.round(t, admin)
		arc.stop(t)
		if n := tamperChange(t, arc, app.KindPatient, ps[1].ID); n != 1 {
			t.Fatalf("altered %d stored versions of patient %s, want 1", n, ps[1].ID)
		}
		arc.serve(t)

		eng, rep, err := roundOfB()
		if err != nil {
			t.Fatalf("round of b: %v (%s); want the altered version set aside and the round complete", err, rep)
		}
		if rep.Rejected != 1 || rep.Pulled < 2 {
			t.Errorf("round of b: %s; want 1 version set aside and the other patients taken in", rep)
		}
		for i, p := range ps {
			got, err := nurse.Patients().Open(ctx, p.MRN)
			switch {
			case i == 1 && err == nil:
				t.Errorf("b shows the patient whose version was altered at the archive: %+v", got)
			case i == 1 && !errors.Is(err, app.ErrNotFound):
				t.Errorf("the altered patient on b: %v, want not found", err)
			case i != 1 && err != nil:
				t.Errorf("patient %d on b: %v", i, err)
			}
		}
		if ms, err := nurse.Patients().Search(ctx, "odhiambo", 10); err != nil || len(ms) != 0 {
			t.Errorf("b's search finds the altered patient: %+v, %v", ms, err)
		}
		reasons, err := b.prof.DB.Meta().MetaPrefix(ctx, "sync/rejected/")
		if err != nil || len(reasons) != 1 {
			t.Fatalf("b's set-aside changes: %v, %v; want one", reasons, err)
		}
		for _, why := range reasons {
			wantWords(t, "the reason kept for the set-aside change", string(why), "integrity")
		}
		st := eng.Status()
		text, detail, problem := syncer.Describe(st, time.Now())
		t.Logf("the indicator says: %s / %s", text, detail)
		if !problem {
			t.Errorf("the sync indicator does not flag the set-aside change: %q / %q", text, detail)
		}
		wantWords(t, "the sync indicator's detail", detail, "1 incoming change was set aside", "administrator")

		// The next round does not take it in either, and still says so.
		eng, rep, err = roundOfB()
		if err != nil || rep.Pulled != 0 {
			t.Errorf("next round of b: %s, %v", rep, err)
		}
		if _, err := nurse.Patients().Open(ctx, ps[1].MRN); !errors.Is(err, app.ErrNotFound) {
			t.Errorf("the altered patient after another round: %v, want not found", err)
		}
		if _, detail, problem := syncer.Describe(eng.Status(), time.Now()); !problem || !strings.Contains(detail, "set aside") {
			t.Errorf("after another round the indicator forgot the set-aside change: %q", detail)
		}

		// The administrator sees which record it was, and dismisses it.
		cs, err := syncer.SetAside(ctx, b.prof.DB.Meta())
		if err != nil || len(cs) != 1 || cs[0].Kind != app.KindPatient || cs[0].ID != ps[1].ID || !strings.Contains(cs[0].Reason, "integrity") {
			t.Fatalf("set-aside list: %+v, %v; want patient %s", cs, err, ps[1].ID)
		}
		if err := syncer.DismissSetAside(ctx, b.prof.DB.Meta(), cs); err != nil {
			t.Fatal(err)
		}
		eng, _, _ = roundOfB()
		if _, detail, problem := syncer.Describe(eng.Status(), time.Now()); problem || strings.Contains(detail, "set aside") {
			t.Errorf("after the dismissal the indicator still flags: %q", detail)
		}
	})

	t.Run("scan", func(t *testing.T) {
		baead := blobKey(t, a.prof.DB, admin)
		data := make([]byte, 3*api.ChunkSize/2)
		rand.Read(data)
		idb := make([]byte, 16)
		rand.Read(idb)
		id := hex.EncodeToString(idb)
		if err := a.prof.Blobs.Sealed(baead).PutBlob(ctx, id, data); err != nil {
			t.Fatal(err)
		}
		if rep := a.round(t, admin); rep.BlobsUp != 1 {
			t.Fatalf("round of a: %s; want the scan uploaded", rep)
		}
		arc.stop(t)
		if got := tamperBlobs(t, arc); len(got) != 1 {
			t.Fatalf("altered blob files %v, want the one scan", got)
		}
		arc.serve(t)

		for try := range 2 {
			before := vaultFigures(t, b)
			eng, rep, err := roundOfB()
			if err == nil {
				t.Fatalf("round %d of b took in an altered scan: %s", try, rep)
			}
			if !errors.Is(err, app.ErrTampered) {
				t.Errorf("round %d of b: %v, want app.ErrTampered", try, err)
			}
			wantWords(t, "the round's error", err.Error(), id, "integrity check")
			if b.prof.Blobs.Has(id) || b.prof.Blobs.PartialSize(id) != 0 {
				t.Errorf("round %d: b keeps bytes of the altered scan (whole %v, partial %d)", try, b.prof.Blobs.Has(id), b.prof.Blobs.PartialSize(id))
			}
			if rep.BlobsDown != 0 {
				t.Errorf("round %d of b: %s; want no scan taken in", try, rep)
			}
			st := eng.Status()
			text, _, problem := syncer.Describe(st, time.Now())
			if st.State != syncer.StateError || !problem {
				t.Errorf("round %d: the engine is %q (problem %v), want %q shown as a problem", try, st.State, problem, syncer.StateError)
			}
			t.Logf("the indicator says: %s", text)
			wantWords(t, "the sync indicator", text, "Sync problem", "integrity check")
			if after := vaultFigures(t, b); try > 0 && after != before {
				t.Errorf("round %d changed b's vault:\nbefore %s\nafter  %s", try, before, after)
			}
		}
	})
}

// TestSecurityReplayedBatch sends batches by hand through a workstation's
// client: the same batch again is answered as before and stores nothing
// twice; the same number with other content is refused as a conflict and
// stores nothing. (A batch replayed by the engine after a cut is
// TestReplayedBatch.)
func TestSecurityReplayedBatch(t *testing.T) {
	ctx := context.Background()
	arc := startSecArchive(t, "Lake Health District")
	mon := arc.monitor(t)
	a := arc.station(t, "ward-a")
	admin := newVault(t, a, "WA")
	a.round(t, admin)
	c := a.client(t, syncer.ClientOptions{})
	info, err := c.Device(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dev := api.DeviceID(a.prof.DB.DeviceID())
	batch := func(n uint64, id string) api.PushRequest {
		return api.PushRequest{Device: dev, Batch: n, Versions: []api.RecordVersion{{
			Kind: "patient", ID: id, Version: api.Version{HLC: 1 << 40, Device: dev}, Ciphertext: []byte("sealed " + id),
		}}}
	}
	next := info.LastBatch + 1
	first, err := c.Push(ctx, batch(next, "p-first"))
	if err != nil || len(first.Results) != 1 || first.Results[0].Duplicate {
		t.Fatalf("push batch %d: %+v, %v", next, first, err)
	}

	for _, tc := range []struct {
		name    string
		req     api.PushRequest
		wantErr error
		phrases []string
	}{
		{"same batch, same content", batch(next, "p-first"), nil, nil},
		{"same batch, other content", batch(next, "p-other"), api.ErrConflict, []string{"already pushed with different content", "number new batches after"}},
		{"an earlier batch, other content", batch(info.LastBatch, "p-other"), api.ErrConflict, []string{"already pushed with different content"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := archiveFigures(t, mon)
			resp, err := c.Push(ctx, tc.req)
			if tc.wantErr == nil {
				if err != nil || !resp.Replayed || !slices.Equal(resp.Results, first.Results) {
					t.Fatalf("replayed batch: %+v, %v; want the first answer %+v again", resp, err, first)
				}
			} else {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("push: %+v, %v; want %v", resp, err, tc.wantErr)
				}
				wantWords(t, "the archive's refusal", err.Error(), tc.phrases...)
			}
			if after := archiveFigures(t, mon); after != before {
				t.Errorf("the archive changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}
