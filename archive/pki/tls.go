package pki

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"syscall"
	"time"
)

// ServerTLS is the archive server's TLS configuration: TLS 1.3 only, the
// server certificate from dir, a client certificate required and verified
// against the organisation's CA, and every handshake (full or resumed)
// checked against the revocation list as it is on disk then, and against
// the certificate's validity period.
func ServerTLS(dir string) (*tls.Config, error) {
	ca, _, err := loadCA(dir, false)
	if err != nil {
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, serverCertFile), filepath.Join(dir, serverKeyFile))
	if err != nil {
		return nil, fmt.Errorf("load server certificate: %w", err)
	}
	crl := &revocations{path: filepath.Join(dir, crlFile), ca: ca}
	if _, err := crl.isRevoked(big.NewInt(0)); err != nil {
		return nil, err // fail at start-up rather than refuse every device later
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
		VerifyConnection: func(cs tls.ConnectionState) error {
			return checkPeer(cs, crl, time.Now())
		},
	}, nil
}

// checkPeer refuses a connection without a verified chain, with an expired
// leaf or with a revoked serial.
func checkPeer(cs tls.ConnectionState, crl *revocations, t time.Time) error {
	if len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 {
		return ErrUnauthenticated
	}
	leaf := cs.VerifiedChains[0][0]
	who := fmt.Sprintf("device %q (serial %s)", leaf.Subject.CommonName, leaf.SerialNumber.Text(16))
	if t.Before(leaf.NotBefore) || t.After(leaf.NotAfter) {
		return fmt.Errorf("%s: %w (valid %s to %s)", who, ErrExpired,
			leaf.NotBefore.UTC().Format(time.DateOnly), leaf.NotAfter.UTC().Format(time.DateOnly))
	}
	revoked, err := crl.isRevoked(leaf.SerialNumber)
	if err != nil {
		return fmt.Errorf("%s refused: %w", who, err)
	}
	if revoked {
		return fmt.Errorf("%s: %w", who, ErrRevoked)
	}
	return nil
}

// revocations is the CA-signed CRL file, re-read whenever it changes on
// disk (one stat per handshake).
type revocations struct {
	path string
	ca   *x509.Certificate

	mu      sync.Mutex // protects the following
	info    fs.FileInfo
	serials map[string]bool
}

func (r *revocations) isRevoked(serial *big.Int) (bool, error) {
	fi, err := os.Stat(r.path)
	if err != nil {
		return false, fmt.Errorf("revocation list: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.info == nil || !os.SameFile(r.info, fi) || !fi.ModTime().Equal(r.info.ModTime()) || fi.Size() != r.info.Size() {
		serials, err := readCRL(r.path, r.ca)
		if err != nil {
			r.info, r.serials = nil, nil
			return false, err
		}
		r.info, r.serials = fi, serials
	}
	return r.serials[serial.Text(16)], nil
}

func readCRL(path string, ca *x509.Certificate) (map[string]bool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("revocation list: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "X509 CRL" {
		return nil, fmt.Errorf("revocation list %s: not a PEM X509 CRL", path)
	}
	crl, err := x509.ParseRevocationList(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("revocation list %s: %w", path, err)
	}
	if err := crl.CheckSignatureFrom(ca); err != nil {
		return nil, fmt.Errorf("revocation list %s is not signed by the organisation's CA: %w", path, err)
	}
	m := make(map[string]bool, len(crl.RevokedCertificateEntries))
	for _, e := range crl.RevokedCertificateEntries {
		m[e.SerialNumber.Text(16)] = true
	}
	return m, nil
}

// ClientTLS is a workstation's TLS configuration for its archive: TLS 1.3,
// the organisation's CA as the only root (pinned; the system's roots are
// not consulted), the server name from the enrollment's address, and the
// device certificate presented.
func ClientTLS(e *Enrollment) (*tls.Config, error) {
	if e == nil || e.CA == nil || e.Cert == nil || e.Key == nil {
		return nil, errors.New("pki: incomplete enrollment")
	}
	host, _, err := net.SplitHostPort(e.Address)
	if err != nil {
		return nil, fmt.Errorf("archive address %q: %w", e.Address, err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(e.CA)
	return &tls.Config{
		MinVersion: tls.VersionTLS13,
		RootCAs:    pool,
		ServerName: host,
		Certificates: []tls.Certificate{{
			Certificate: [][]byte{e.Cert.Raw},
			PrivateKey:  e.Key,
			Leaf:        e.Cert,
		}},
	}, nil
}

// Identity is the device a verified request comes from.
type Identity struct {
	Name   string
	Serial string // lower-case hex
	// EnrollBy is the deadline for the certificate's first use (zero: none).
	EnrollBy time.Time
}

// DeviceFromRequest returns the device that made r, from the chain the TLS
// handshake verified (ServerTLS has already refused unknown, expired and
// revoked certificates). ErrUnauthenticated if there is none.
func DeviceFromRequest(r *http.Request) (Identity, error) {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return Identity{}, ErrUnauthenticated
	}
	leaf := r.TLS.VerifiedChains[0][0]
	if err := CheckDeviceName(leaf.Subject.CommonName); err != nil {
		return Identity{}, fmt.Errorf("%w: %v", ErrUnauthenticated, err)
	}
	return Identity{Name: leaf.Subject.CommonName, Serial: leaf.SerialNumber.Text(16), EnrollBy: EnrollBy(leaf)}, nil
}

// ErrRefused marks an error Explain returns for a certificate refused, by
// the archive (this workstation's) or by the workstation (the archive's):
// trying again does not help until a person acts, unlike a cut link.
var ErrRefused = errors.New("pki: certificate refused")

// refusal is Explain's answer for a refused certificate: its message, then
// the TLS error; it matches ErrRefused and the TLS error.
type refusal struct {
	msg string
	err error
}

func (r *refusal) Error() string   { return r.msg + ": " + r.err.Error() }
func (r *refusal) Unwrap() []error { return []error{ErrRefused, r.err} }

// Explain turns a workstation's TLS failure into a sentence an
// administrator can act on; other errors are returned unchanged. A refused
// certificate (either side's) matches ErrRefused. In TLS 1.3 the server
// judges the client certificate after the client has finished its side, so
// a refusal shows up on the first read as a TLS alert, which names the
// reason.
func Explain(err error) error {
	if err == nil {
		return nil
	}
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	switch {
	case errors.As(err, &unknownCA):
		return &refusal{"the archive's certificate is not from this organisation's CA (wrong server, or a machine in the middle); check the address or enroll again", err}
	case errors.As(err, &hostErr):
		return &refusal{"the archive's certificate does not name the address in the enrollment file; check the archive's address", err}
	}
	switch remoteAlert(err) {
	case 45: // certificate_expired
		return &refusal{"the archive refused this workstation's certificate: it has expired (or this computer's clock is wrong); ask the administrator for a new enrollment file", err}
	case 42, 44: // bad_certificate (Go's server: revoked), certificate_revoked
		return &refusal{"the archive refused this workstation's certificate: it was revoked or is no longer valid; ask the administrator to enroll this workstation again (a new enrollment file)", err}
	case 48: // unknown_ca
		return &refusal{"the archive refused this workstation's certificate: it is from another organisation's CA; enroll this workstation with a file from this archive's administrator", err}
	case 116: // certificate_required: none sent, or none the archive's CA issued
		return &refusal{"the archive requires a certificate from its organisation and this workstation showed none (it is not enrolled with this archive, or only with another organisation); enroll it with a file from this archive's administrator", err}
	}
	// The archive may close the connection before its alert is read: the
	// first write then fails instead.
	if errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) {
		return fmt.Errorf("the connection to the archive was cut: the link dropped or the archive stopped, or it refused this workstation's certificate (revoked, expired or from another organisation); if it keeps happening, ask the administrator: %w", err)
	}
	return err
}

// remoteAlert is the TLS alert code the peer sent, or -1. crypto/tls
// reports a received alert as a *net.OpError{Op: "remote error"} around an
// unexported uint8 type, so the code is read by reflection, not by parsing
// the message.
func remoteAlert(err error) int {
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "remote error" || op.Err == nil {
		return -1
	}
	var a tls.AlertError
	if errors.As(op.Err, &a) {
		return int(a)
	}
	if v := reflect.ValueOf(op.Err); v.CanUint() {
		return int(v.Uint())
	}
	return -1
}
