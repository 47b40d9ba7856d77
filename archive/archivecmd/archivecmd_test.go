package archivecmd_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"folio/archive"
	"folio/archive/api"
	"folio/archive/archivecmd"
	"folio/archive/pki"
	"folio/archive/storetest"
	"folio/endorse"
)

// run runs one command line in-process and returns its exit code, stdout
// and stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := archivecmd.Run(t.Context(), args, archivecmd.Params{Stdout: &out, Stderr: &errb})
	return code, out.String(), errb.String()
}

// mustRun runs a command line that must succeed.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errs := run(t, args...)
	if code != 0 {
		t.Fatalf("folio-archive %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// station is one enrolled workstation talking to the archive as a vault's
// device.
type station struct {
	t      *testing.T
	base   string // https://host:port
	enr    *pki.Enrollment
	client *http.Client
}

func newStation(t *testing.T, enrollFile, addr string) *station {
	t.Helper()
	enr, err := pki.ReadEnrollment(enrollFile)
	if err != nil {
		t.Fatal(err)
	}
	s := &station{t: t, base: "https://" + addr, enr: enr}
	s.reconnect()
	return s
}

// reconnect drops the station's connections: the next request makes a new
// TLS handshake.
func (s *station) reconnect() {
	cfg, err := pki.ClientTLS(s.enr)
	if err != nil {
		s.t.Fatal(err)
	}
	if s.client != nil {
		s.client.CloseIdleConnections()
	}
	// One connection at a time: a request waits for the previous one's
	// connection to return to the pool (asynchronously) instead of
	// dialing anew, so "the same connection" is deterministic.
	tr := &http.Transport{TLSClientConfig: cfg, MaxConnsPerHost: 1}
	s.client = &http.Client{Transport: tr, Timeout: 30 * time.Second}
	s.t.Cleanup(tr.CloseIdleConnections)
}

// answer is one response: status, body, the archive's certificate, and
// whether it came on a connection used before.
type answer struct {
	status int
	body   []byte
	peer   *x509.Certificate
	reused bool
	proto  string
}

// do sends a request claiming the vault device dev; a transport error is
// returned, not fatal.
func (s *station) do(dev api.DeviceID, method, path string, v any) (answer, error) {
	s.t.Helper()
	var body io.Reader
	if v != nil {
		b, err := json.Marshal(v)
		if err != nil {
			s.t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	var a answer
	ctx := httptrace.WithClientTrace(s.t.Context(), &httptrace.ClientTrace{
		GotConn: func(i httptrace.GotConnInfo) { a.reused = i.Reused },
	})
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	if dev != 0 {
		req.Header.Set(api.HeaderDevice, dev.String())
	}
	if body != nil {
		req.Header.Set("Content-Type", api.ContentTypeJSON)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return answer{}, pki.Explain(err)
	}
	defer resp.Body.Close()
	a.status, a.proto = resp.StatusCode, resp.Proto
	if a.body, err = io.ReadAll(resp.Body); err != nil {
		return answer{}, err
	}
	if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
		a.peer = resp.TLS.PeerCertificates[0]
	}
	return a, nil
}

// must sends a request that must be answered with want.
func (s *station) must(want int, dev api.DeviceID, method, path string, v any) answer {
	s.t.Helper()
	a, err := s.do(dev, method, path, v)
	if err != nil {
		s.t.Fatalf("%s %s as %s (%s): %v", method, path, s.enr.Device, dev, err)
	}
	if a.status != want {
		s.t.Fatalf("%s %s as %s (%s): %d %s, want %d", method, path, s.enr.Device, dev, a.status, a.body, want)
	}
	return a
}

// wantRefused checks an error answer's code and that it explains itself.
func wantRefused(t *testing.T, a answer, code string) {
	t.Helper()
	e := api.DecodeError(a.status, bytes.NewReader(a.body))
	if e.Code != code || len(e.Message) < 20 {
		t.Fatalf("answer %d %s, want code %s with a message", a.status, a.body, code)
	}
}

// auditChain makes n entries of a device's audit chain from seq 1.
func auditChain(n int) []api.AuditEntry {
	var out []api.AuditEntry
	var prev []byte
	for i := 1; i <= n; i++ {
		sealed := []byte("sealed audit event " + string(rune('0'+i)))
		h := api.AuditChainHash(prev, uint64(i), sealed)
		out = append(out, api.AuditEntry{Seq: uint64(i), Sealed: sealed, Hash: h})
		prev = h
	}
	return out
}

const devA, devB = api.DeviceID(0x00a1a1a1a1a1a1a1), api.DeviceID(0x00b2b2b2b2b2b2b2)

// TestServe runs the archive as folio-archive does, on 127.0.0.1, and two
// workstations against it over real mTLS.
func TestServe(t *testing.T) {
	data := t.TempDir()
	out := mustRun(t, "init", "--data", data, "--org", "Test Clinic")
	org, err := pki.Load(filepath.Join(data, "pki"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, org.CAFingerprint) || !strings.Contains(out, "device add") {
		t.Errorf("init output lacks the fingerprint or the next steps:\n%s", out)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	w1, w2 := filepath.Join(t.TempDir(), "ward-1.enroll"), filepath.Join(t.TempDir(), "ward-2.enroll")
	mustRun(t, "device", "add", "--data", data, "--name", "ward-1", "--out", w1, "--address", addr)
	mustRun(t, "device", "add", "--data", data, "--name", "ward-2", "--out", w2, "--address", addr)

	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	var banner bytes.Buffer
	served := make(chan error, 1)
	go func() {
		served <- archivecmd.Serve(ctx, archivecmd.ServeParams{
			DataDir: data, Listener: ln, Out: &banner,
			Log: slog.New(slog.NewTextHandler(testWriter{t}, nil)),
		})
	}()

	s1, s2 := newStation(t, w1, addr), newStation(t, w2, addr)

	// Health.
	a := s1.must(http.StatusOK, devA, http.MethodGet, api.PathHealth, nil)
	var h api.Health
	if err := json.Unmarshal(a.body, &h); err != nil || h.Status != "ok" {
		t.Fatalf("health: %s, %v", a.body, err)
	}
	for _, want := range []string{addr, org.CAFingerprint, "folio-archive device add", "folio sync enroll", "folio init --join"} {
		if !strings.Contains(banner.String(), want) {
			t.Errorf("start-up message lacks %q:\n%s", want, banner.String())
		}
	}

	// HTTP/2 too (the server offers it; Go's client takes it when asked).
	h2 := newStation(t, w1, addr)
	h2.client.Transport.(*http.Transport).ForceAttemptHTTP2 = true
	a = h2.must(http.StatusOK, devA, http.MethodPost, api.PathKeyRequest, api.KeyRequestBody{PublicKey: []byte("ward-1 key")})
	if a.proto != "HTTP/2.0" {
		t.Errorf("HTTP/2 client answered over %s", a.proto)
	}

	// ward-1 shows the archive its vault (the first: the organisation's).
	vault := storetest.NewVaultKey(t)
	s1.must(http.StatusOK, devA, http.MethodPost, api.PathVaultClaim, vault.Claim(devA))

	// A push with two audit entries is countersigned by the server's key.
	audit := auditChain(2)
	push := api.PushRequest{Device: devA, Batch: 1, Audit: audit, Versions: []api.RecordVersion{{
		Kind: "patient", ID: "p1", Version: api.Version{HLC: 100, Device: devA}, Ciphertext: []byte("sealed p1"),
	}}}
	a = s1.must(http.StatusOK, devA, http.MethodPost, api.PathPush, push)
	resp, err := api.DecodePushResponse(bytes.NewReader(a.body))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Results) != 1 || resp.Results[0].Seq != 1 || resp.AuditThrough != 2 {
		t.Fatalf("push answer %+v", resp)
	}
	cs := resp.Countersign
	if cs == nil || cs.Device != devA || cs.Seq != 2 || !bytes.Equal(cs.Hash, audit[1].Hash) {
		t.Fatalf("countersignature %+v, want device %s seq 2 hash %x", cs, devA, audit[1].Hash)
	}
	if a.peer == nil || a.peer.CheckSignatureFrom(s1.enr.CA) != nil {
		t.Fatal("the archive's certificate is not from the organisation's CA")
	}
	if err := archive.VerifyCountersignature(a.peer, *cs); err != nil {
		t.Fatalf("countersignature: %v", err)
	}
	// The workstation checks it offline with its enrollment's CA: the
	// countersignature carries the archive's certificate.
	if err := api.VerifyCountersignature(s1.enr.CA, *cs); err != nil {
		t.Fatalf("countersignature against the CA: %v", err)
	}
	forged := *cs
	forged.Seq = 3
	if archive.VerifyCountersignature(a.peer, forged) == nil {
		t.Fatal("a countersignature for another seq verifies")
	}

	// Users only with an entitled user's signature: the organisation's
	// first administrator certifies themself; a user version nobody
	// signed is refused (403), nothing stored.
	adminPub, adminPriv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	e := endorse.Sign(adminPriv, "admin", &endorse.UserCert{Name: "admin", Key: adminPub, Admin: true}, "user", "admin", endorse.Version{}, []byte("admin"))
	s1.must(http.StatusOK, devA, http.MethodPost, api.PathPush, api.PushRequest{Device: devA, Batch: 2, Versions: []api.RecordVersion{{
		Kind: "user", ID: "admin", Version: api.Version{HLC: 101, Device: devA}, Ciphertext: []byte("sealed admin"), Endorsement: &e,
	}}})
	a = s1.must(http.StatusForbidden, devA, http.MethodPost, api.PathPush, api.PushRequest{Device: devA, Batch: 3, Versions: []api.RecordVersion{{
		Kind: "user", ID: "clerk", Version: api.Version{HLC: 102, Device: devA}, Ciphertext: []byte("sealed clerk"),
	}}})
	wantRefused(t, a, api.CodeForbidden)

	// ward-1's certificate is bound to devA: it cannot claim devB (its
	// enrollment file was used), and ward-2's certificate cannot claim devA.
	a = s1.must(http.StatusForbidden, devB, http.MethodGet, api.PathDevice, nil)
	wantRefused(t, a, api.CodeEnrollUsed)
	a = s2.must(http.StatusForbidden, devA, http.MethodGet, api.PathDevice, nil)
	wantRefused(t, a, api.CodeForbidden)
	// No device named: 401.
	a = s2.must(http.StatusUnauthorized, 0, http.MethodGet, api.PathDevice, nil)
	wantRefused(t, a, api.CodeUnauthenticated)

	// Key transfer: ward-2 (devB) asks, ward-1 (devA) grants, ward-2
	// reads its grant.
	pub := []byte("ward-2's public keyset")
	a = s2.must(http.StatusOK, devB, http.MethodPost, api.PathKeyRequest, api.KeyRequestBody{PublicKey: pub})
	a = s1.must(http.StatusOK, devA, http.MethodGet, api.PathKeyRequests, nil)
	l, err := api.DecodeKeyRequestList(bytes.NewReader(a.body))
	if err != nil || len(l.Requests) != 2 { // ward-1's over HTTP/2 above, and ward-2's
		t.Fatalf("key requests %+v, %v; want two", l, err)
	}
	if k := l.Requests[1]; k.Device != devB || k.Name != "ward-2" || !bytes.Equal(k.PublicKey, pub) || !k.Pending() {
		t.Fatalf("key request %+v; want ward-2's, pending", k)
	}
	grant := []byte("vault keys wrapped to ward-2")
	s1.must(http.StatusOK, devA, http.MethodPost, api.PathKeyGrant, api.KeyGrant{Device: devB, Grant: grant, Signature: vault.Sign(api.GrantMessage(devB, pub, grant))})
	a = s2.must(http.StatusOK, devB, http.MethodGet, api.PathKeyRequest, nil)
	k, err := api.DecodeKeyRequest(bytes.NewReader(a.body))
	if err != nil || !bytes.Equal(k.Grant, grant) || k.GrantedBy != devA {
		t.Fatalf("ward-2's request after the grant: %+v, %v", k, err)
	}

	// While the server runs, the read-only commands show the registry and
	// say the store is busy.
	out = mustRun(t, "device", "list", "--data", data)
	if !strings.Contains(out, "ward-1") || !strings.Contains(out, "ward-2") || !strings.Contains(out, "running") {
		t.Errorf("device list while serving:\n%s", out)
	}
	out = mustRun(t, "status", "--data", data)
	if !strings.Contains(out, "2 enrolled") || !strings.Contains(out, "running") {
		t.Errorf("status while serving:\n%s", out)
	}

	// Revoking ward-2: refused on the connection it holds open (403) and
	// at the handshake of a new one.
	s2.must(http.StatusOK, devB, http.MethodGet, api.PathDevice, nil)
	mustRun(t, "device", "revoke", "--data", data, "--name", "ward-2")
	a = s2.must(http.StatusForbidden, devB, http.MethodGet, api.PathDevice, nil)
	if !a.reused {
		t.Fatal("the request after revoking did not reuse the open connection; the test proves nothing")
	}
	wantRefused(t, a, api.CodeForbidden)
	s2.reconnect()
	if a, err := s2.do(devB, http.MethodGet, api.PathDevice, nil); err == nil {
		t.Fatalf("a revoked workstation connected anew: %d %s", a.status, a.body)
	} else if !strings.Contains(err.Error(), "refused") {
		t.Errorf("revoked workstation's error does not say it was refused: %v", err)
	}
	s1.reconnect()
	s1.must(http.StatusOK, devA, http.MethodGet, api.PathDevice, nil)

	// Graceful stop.
	stop()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve after stop: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Serve did not return after its context ended")
	}

	// The store is free: status and device list show its figures.
	out = mustRun(t, "status", "--data", data)
	for _, want := range []string{"Head                2", "ward-1", "ward-2 (revoked)", devA.String(),
		"admin  users, passwords (administrator)  " + archive.KeyFingerprint(adminPub),
		"Organisation vault  " + api.VaultFingerprint(vault.Public()) + " (first shown by device " + devA.String()} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	out = mustRun(t, "device", "list", "--data", data, "--json")
	var list struct {
		Store   string `json:"store"`
		Devices []struct {
			Name   string           `json:"name"`
			Status string           `json:"status"`
			Vaults []api.DeviceInfo `json:"vaults"`
		} `json:"devices"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("device list --json: %v\n%s", err, out)
	}
	if list.Store != "open" || len(list.Devices) != 2 || list.Devices[0].Name != "ward-1" || list.Devices[1].Status != "revoked" {
		t.Fatalf("device list --json: %s", out)
	}
	if v := list.Devices[0].Vaults; len(v) != 1 || v[0].ID != devA || v[0].Versions != 2 || v[0].AuditThrough != 2 {
		t.Fatalf("ward-1's vaults: %+v", v)
	}
	out = mustRun(t, "status", "--data", data, "--json")
	var st struct {
		DevicesActive  int          `json:"devices_active"`
		DevicesRevoked int          `json:"devices_revoked"`
		Metrics        *api.Metrics `json:"metrics"`
		Signers        []struct {
			Name        string `json:"name"`
			Admin       bool   `json:"admin"`
			Fingerprint string `json:"key_fingerprint"`
		} `json:"signers"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil || st.Metrics == nil || st.Metrics.Head != 2 || st.DevicesActive != 1 || st.DevicesRevoked != 1 ||
		len(st.Signers) != 1 || st.Signers[0].Name != "admin" || !st.Signers[0].Admin || st.Signers[0].Fingerprint != archive.KeyFingerprint(adminPub) {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
}

// TestUsage: command lines that cannot run say why, with exit code 2 for
// usage and 1 for failures.
func TestUsage(t *testing.T) {
	data := t.TempDir()
	mustRun(t, "init", "--data", data, "--org", "Test Clinic")
	empty := t.TempDir()
	enroll := filepath.Join(t.TempDir(), "a.enroll")
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no command", nil, 2, "needs a command"},
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"unknown device command", []string{"device", "frob", "--data", data}, 2, `unknown command "frob"`},
		{"unknown flag", []string{"status", "--data", data, "--frob"}, 2, "unknown flag"},
		{"stray argument", []string{"status", "--data", data, "extra"}, 2, "takes no arguments"},
		{"missing data", []string{"status"}, 2, "--data is required"},
		{"missing data for serve", []string{"serve", "--listen", "127.0.0.1:0"}, 2, "--data is required"},
		{"missing listen", []string{"serve", "--data", data}, 2, "--listen is required"},
		{"missing org", []string{"init", "--data", empty}, 2, "--org is required"},
		{"missing name", []string{"device", "add", "--data", data, "--out", enroll}, 2, "--name is required"},
		{"bad name", []string{"device", "add", "--data", data, "--name", "ward 1", "--out", enroll}, 2, "device name"},
		{"unknown store", []string{"serve", "--data", data, "--listen", "127.0.0.1:0", "--store", "mysql://x"}, 2, "postgres://"},
		{"not initialised", []string{"status", "--data", empty}, 1, "not an archive folder"},
		{"not initialised serve", []string{"serve", "--data", empty, "--listen", "127.0.0.1:0"}, 1, "folio-archive init"},
		{"not initialised add", []string{"device", "add", "--data", empty, "--name", "a", "--out", enroll}, 1, "not an archive folder"},
		{"init twice", []string{"init", "--data", data, "--org", "Other"}, 1, "already exists"},
		{"revoke unknown", []string{"device", "revoke", "--data", data, "--name", "nobody"}, 1, "not enrolled"},
		{"postgres unreachable", []string{"serve", "--data", data, "--listen", "127.0.0.1:0", "--store", "postgres://u:secret@127.0.0.1:1/folio"}, 1, "--store postgres://u:xxxxx@127.0.0.1:1/folio"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, errs := run(t, c.args...)
			if code != c.code || !strings.Contains(errs, c.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", code, errs, c.code, c.want)
			}
			if strings.Count(errs, "\n") != 1 {
				t.Errorf("stderr is not one line: %q", errs)
			}
			if strings.Contains(errs, "secret") {
				t.Errorf("stderr shows a password: %q", errs)
			}
		})
	}
}

// TestDeviceAddRefusesExistingFile: an existing --out is not overwritten,
// and no certificate is issued for it.
func TestDeviceAddRefusesExistingFile(t *testing.T) {
	data := t.TempDir()
	mustRun(t, "init", "--data", data, "--org", "Test Clinic")
	out := filepath.Join(t.TempDir(), "a.enroll")
	mustRun(t, "device", "add", "--data", data, "--name", "a", "--out", out)
	code, _, errs := run(t, "device", "add", "--data", data, "--name", "b", "--out", out)
	if code != 1 || !strings.Contains(errs, "already exists") {
		t.Fatalf("exit %d %q", code, errs)
	}
	devs, err := pki.Devices(filepath.Join(data, "pki"))
	if err != nil || len(devs) != 1 {
		t.Fatalf("registry after the refusal: %+v, %v", devs, err)
	}
	// A device whose file cannot be written is revoked again.
	code, _, errs = run(t, "device", "add", "--data", data, "--name", "c", "--out", filepath.Join(t.TempDir(), "no", "such", "dir"))
	if code != 1 || !strings.Contains(errs, "revoked again") {
		t.Fatalf("exit %d %q", code, errs)
	}
	if _, err := pki.Revoke(filepath.Join(data, "pki"), "c"); !errors.Is(err, pki.ErrAlreadyRevoked) {
		t.Fatalf("c after a failed write: %v, want already revoked", err)
	}
}

// testWriter sends the server's log to the test's.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestStall: a request whose body stops arriving is answered and cut
// after the stall timeout; one that keeps arriving, slowly, for longer
// than the timeout is served.
func TestStall(t *testing.T) {
	const stall = time.Second
	data := t.TempDir()
	mustRun(t, "init", "--data", data, "--org", "Test Clinic")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	w1 := filepath.Join(t.TempDir(), "ward-1.enroll")
	mustRun(t, "device", "add", "--data", data, "--name", "ward-1", "--out", w1, "--address", addr)
	ctx, stop := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() {
		served <- archivecmd.Serve(ctx, archivecmd.ServeParams{DataDir: data, Listener: ln, StallTimeout: stall,
			Log: slog.New(slog.NewTextHandler(testWriter{t}, nil))})
	}()
	defer func() {
		stop()
		if err := <-served; err != nil {
			t.Error(err)
		}
	}()
	enr, err := pki.ReadEnrollment(w1)
	if err != nil {
		t.Fatal(err)
	}
	newStation(t, w1, addr).must(http.StatusOK, devA, http.MethodPost, api.PathVaultClaim, storetest.NewVaultKey(t).Claim(devA))
	cfg, err := pki.ClientTLS(enr)
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(api.PushRequest{Device: devA, Batch: 1, Versions: []api.RecordVersion{{
		Kind: "patient", ID: "p1", Version: api.Version{HLC: 1, Device: devA}, Ciphertext: bytes.Repeat([]byte("x"), 1000),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	// send writes the request's head and then the body in parts, gap
	// apart, and returns the answer's status line (or the read error).
	send := func(parts int, gap time.Duration, stopAfter int) (string, time.Duration) {
		conn, err := tls.Dial("tcp", addr, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(20 * stall))
		start := time.Now()
		fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\n%s: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
			api.PathPush, addr, api.HeaderDevice, devA, api.ContentTypeJSON, len(body))
		size := (len(body) + parts - 1) / parts
		for i := 0; i < stopAfter; i++ {
			if i > 0 {
				time.Sleep(gap) // the point of the test: progress, slowly
			}
			if _, err := conn.Write(body[i*size : min((i+1)*size, len(body))]); err != nil {
				t.Fatal(err)
			}
		}
		line, err := bufio.NewReader(conn).ReadString('\n')
		if err != nil {
			return err.Error(), time.Since(start)
		}
		return strings.TrimSpace(line), time.Since(start)
	}
	// Half the body, then nothing: answered 400 once the stall timeout
	// has passed (not hanging until the client gives up).
	line, took := send(2, 0, 1)
	if !strings.HasPrefix(line, "HTTP/1.1 400") || took < stall || took > 10*stall {
		t.Errorf("stalled push: %q after %v; want a 400 after about %v", line, took, stall)
	}
	// Eight parts a fifth of the timeout apart: longer than the timeout
	// in all, but never stalled.
	line, took = send(8, stall/5, 8)
	if !strings.HasPrefix(line, "HTTP/1.1 200") || took < stall {
		t.Errorf("slow push: %q after %v; want 200 after more than %v", line, took, stall)
	}
}

// TestAttackBundleFileNameControls: a bundle carried from a workstation on
// a USB stick is named by whoever wrote it. A name with a newline and a
// right-to-left override printed a second, forged line ("folio-archive:
// imported") and reversed the text after it; now the error is one line and
// shows both as escapes.
func TestAttackBundleFileNameControls(t *testing.T) {
	data := t.TempDir()
	mustRun(t, "init", "--data", data, "--org", "Test Clinic")
	name := filepath.Join(t.TempDir(), "ward-b\u202eeldnub.\nfolio-archive: imported ward-b.bundle")
	code, _, errs := run(t, "import", "--data", data, name, "--reply", filepath.Join(t.TempDir(), "reply.bundle"))
	if code != 1 {
		t.Fatalf("exit %d, stderr %q; want 1", code, errs)
	}
	if strings.Count(errs, "\n") != 1 || strings.ContainsRune(errs, '\u202e') {
		t.Errorf("the file name's controls act in stderr: %q", errs)
	}
	if !strings.Contains(errs, `ward-b\u202eeldnub.\nfolio-archive: imported`) {
		t.Errorf("stderr does not show the file name escaped: %q", errs)
	}
}

// TestDeviceQuota: 'device quota' sets one enrolled workstation's quota
// in the store (shown by status, kept), in bytes or with a unit, 'none'
// or 'default'; an unknown name or a size that does not read is refused.
func TestDeviceQuota(t *testing.T) {
	data := t.TempDir()
	mustRun(t, "init", "--data", data, "--org", "Test Clinic")
	mustRun(t, "device", "add", "--data", data, "--name", "ward-a", "--out", filepath.Join(t.TempDir(), "a.enroll"))
	for _, c := range []struct {
		size, says string
	}{
		{"80GiB", "ward-a may hold 80.0 GiB"},
		{"2TB", "ward-a may hold 1.8 TiB"},
		{"1048576", "ward-a may hold 1.0 MiB"},
		{"none", "ward-a may hold any amount"},
		{"default", "held to the server's quota again"},
		{"500 MiB", "ward-a may hold 500.0 MiB"},
	} {
		if out := mustRun(t, "device", "quota", "--data", data, "--name", "ward-a", c.size); !strings.Contains(out, c.says) {
			t.Errorf("quota %s: %q, want %q", c.size, out, c.says)
		}
	}
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"--name", "ward-z", "5GiB"}, `no workstation "ward-z"`},
		{[]string{"--name", "ward-a", "--", "-5"}, "give a size in bytes"},
		{[]string{"--name", "ward-a", "lots"}, "give a size in bytes"},
		{[]string{"--name", "ward-a", "0"}, "give a size in bytes"},
		{[]string{"--name", "ward-a", "99999999TiB"}, "give a size in bytes"},
	} {
		code, _, errs := run(t, append([]string{"device", "quota", "--data", data}, c.args...)...)
		if code == 0 || !strings.Contains(errs, c.says) {
			t.Errorf("quota %v: exit %d %q, want a refusal saying %q", c.args, code, errs, c.says)
		}
	}
	out := mustRun(t, "status", "--data", data, "--json")
	if !strings.Contains(out, `"quotas": {`) || !strings.Contains(out, `"ward-a": 524288000`) {
		t.Fatalf("status --json does not show ward-a's quota:\n%s", out)
	}
}
