package pki

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

// archive is a real HTTPS server on 127.0.0.1 with ServerTLS(dir); the
// handler answers with the device it authenticated. Handshake errors the
// server logs arrive on errs.
type archive struct {
	srv  *httptest.Server
	addr string
	errs chan string
}

func startArchive(t *testing.T, dir string) *archive {
	t.Helper()
	cfg, err := ServerTLS(dir)
	if err != nil {
		t.Fatal(err)
	}
	a := &archive{errs: make(chan string, 16)}
	a.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := DeviceFromRequest(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, "%s %s", id.Name, id.Serial)
	}))
	a.srv.TLS = cfg
	a.srv.Config.ErrorLog = log.New(lineWriter(a.errs), "", 0)
	a.srv.StartTLS()
	t.Cleanup(a.srv.Close)
	a.addr = a.srv.Listener.Addr().String()
	return a
}

// lastError waits for the server to log a handshake error.
func (a *archive) lastError(t *testing.T) string {
	t.Helper()
	select {
	case s := <-a.errs:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("the server logged no handshake error")
		return ""
	}
}

type lineWriter chan string

func (w lineWriter) Write(p []byte) (int, error) {
	select {
	case w <- string(p):
	default:
	}
	return len(p), nil
}

// get makes one request on a fresh connection.
func get(cfg *tls.Config, addr string) (string, error) {
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg, DisableKeepAlives: true}}
	defer c.CloseIdleConnections()
	resp, err := c.Get("https://" + addr + "/")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %s: %s", resp.Status, b)
	}
	return string(b), err
}

func initOrg(t *testing.T, org string) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := Init(dir, org, nil); err != nil {
		t.Fatal(err)
	}
	return dir
}

func clientFor(t *testing.T, e *Enrollment) *tls.Config {
	t.Helper()
	cfg, err := ClientTLS(e)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestEnrolledDeviceConnects(t *testing.T) {
	dir := initOrg(t, "Hill Clinic")
	a := startArchive(t, dir)
	e := enrolled(t, dir, "ws-1", a.addr)
	got, err := get(clientFor(t, e), a.addr)
	if err != nil {
		t.Fatal(err)
	}
	if want := "ws-1 " + e.Cert.SerialNumber.Text(16); got != want {
		t.Errorf("server saw %q, want %q", got, want)
	}
}

// enrolled adds the device name to the organisation in dir, its archive
// at addr, and returns its enrollment.
func enrolled(t testing.TB, dir, name, addr string) *Enrollment {
	t.Helper()
	e, err := AddDevice(dir, name, addr)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestServerRefuses(t *testing.T) {
	dir := initOrg(t, "Hill Clinic")
	other := initOrg(t, "Other Clinic")
	a := startArchive(t, dir)

	good := enrolled(t, dir, "good", a.addr)
	now := time.Now()
	expired, err := addDevice(dir, "old", a.addr, now.Add(-3*DeviceValidity), now.Add(-time.Hour), now.Add(-2*DeviceValidity))
	if err != nil {
		t.Fatal(err)
	}
	foreign := enrolled(t, other, "intruder", a.addr)

	noCert := clientFor(t, good)
	noCert.Certificates = nil
	wrongCA := clientFor(t, good) // trusts our server, presents another CA's device certificate
	wrongCA.Certificates = clientFor(t, foreign).Certificates

	for _, tc := range []struct {
		name      string
		cfg       *tls.Config
		serverLog string // in the server's handshake error
	}{
		{"no client certificate", noCert, "didn't provide a certificate"},
		{"expired certificate", clientFor(t, expired), "expired"},
		// Go's client offers only a certificate the server's CA list names, so
		// another CA's device certificate is not even sent.
		{"certificate from another CA", wrongCA, "certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The archive may close the connection before the client reads
			// its alert (the client then sees only a closed connection): a
			// refusal shows on one of a few attempts.
			var err error
			for range 3 {
				if _, err = get(tc.cfg, a.addr); err == nil {
					t.Fatal("connected; want refused")
				}
				if errors.Is(Explain(err), ErrRefused) {
					break
				}
			}
			if !strings.Contains(Explain(err).Error(), "archive re") { // "refused" / "requires"
				t.Errorf("client error not explained: %v", Explain(err))
			}
			if s := a.lastError(t); !strings.Contains(s, tc.serverLog) {
				t.Errorf("server logged %q, want it to mention %q", s, tc.serverLog)
			}
		})
	}
}

func TestRevokedDeviceRefusedWithoutRestart(t *testing.T) {
	dir := initOrg(t, "Hill Clinic")
	a := startArchive(t, dir)
	e := enrolled(t, dir, "ws-1", a.addr)
	keep := enrolled(t, dir, "ws-2", a.addr)
	cfg := clientFor(t, e)
	// A session cache: the next connection resumes the TLS session, which
	// must not skip the revocation check.
	cfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
	if _, err := get(cfg, a.addr); err != nil {
		t.Fatalf("before revoking: %v", err)
	}
	if _, err := Revoke(dir, "ws-1"); err != nil {
		t.Fatal(err)
	}
	_, err := get(cfg, a.addr)
	if err == nil {
		t.Fatal("a revoked device connected")
	}
	if !strings.Contains(Explain(err).Error(), "refused this workstation's certificate") {
		t.Errorf("client error: %v", Explain(err))
	}
	s := a.lastError(t)
	if !strings.Contains(s, ErrRevoked.Error()) || !strings.Contains(s, `"ws-1"`) {
		t.Errorf("server logged %q, want the device named and %q", s, ErrRevoked)
	}
	if _, err := get(clientFor(t, keep), a.addr); err != nil {
		t.Errorf("another device refused after revoking ws-1: %v", err)
	}

	// Enrolled again under the same name: a new certificate works.
	again := enrolled(t, dir, "ws-1", a.addr)
	if _, err := get(clientFor(t, again), a.addr); err != nil {
		t.Errorf("re-enrolled device: %v", err)
	}
}

func TestTamperedCRLRefusesEveryone(t *testing.T) {
	dir := initOrg(t, "Hill Clinic")
	other := initOrg(t, "Other Clinic")
	a := startArchive(t, dir)
	e := enrolled(t, dir, "ws-1", a.addr)
	// Another CA's (empty) CRL in place of ours: not signed by our CA.
	crl := readFile(t, other+"/"+crlFile)
	if err := writeFileAtomic(dir+"/"+crlFile, crl, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := get(clientFor(t, e), a.addr); err == nil {
		t.Fatal("connected with a CRL signed by another CA")
	}
	if s := a.lastError(t); !strings.Contains(s, "not signed by the organisation's CA") {
		t.Errorf("server logged %q", s)
	}
}

func TestClientRefusesServerFromAnotherCA(t *testing.T) {
	dir := initOrg(t, "Hill Clinic")
	impostor := initOrg(t, "Hill Clinic") // same name and hosts, another key
	a := startArchive(t, impostor)
	e := enrolled(t, dir, "ws-1", a.addr)
	_, err := get(clientFor(t, e), a.addr)
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Fatalf("got %v, want an unknown-authority error", err)
	}
	if !strings.Contains(Explain(err).Error(), "not from this organisation's CA") {
		t.Errorf("Explain: %v", Explain(err))
	}
}

func TestDeviceFromRequestWithoutTLS(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	if _, err := DeviceFromRequest(r); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("got %v, want ErrUnauthenticated", err)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
