package pki

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
)

// Enrollment is everything one workstation needs to reach its archive: the
// organisation's CA certificate (pinned: the only root it trusts), its own
// client certificate and private key, and the archive's address.
//
// The encoded file holds a private key: it is written 0600, carried by USB,
// and should be deleted from the stick once the workstation has read it.
type Enrollment struct {
	Org     string
	Device  string
	Address string // host:port of the archive
	CA      *x509.Certificate
	Cert    *x509.Certificate
	Key     crypto.Signer
	// BundleKey is the archive's public key for sync bundles (a Tink
	// hybrid public keyset: 'folio sync export' encrypts to it). Files
	// written before bundles existed have none.
	BundleKey []byte
}

// EnrollmentFormat and EnrollmentVersion identify the file format.
const (
	EnrollmentFormat  = "folio-enrollment"
	EnrollmentVersion = 1
	// MaxEnrollmentSize bounds what ParseEnrollment reads.
	MaxEnrollmentSize = 64 << 10
	// MaxBundleKey bounds the archive's bundle key in an enrollment.
	MaxBundleKey = 8 << 10
)

// ErrBadEnrollment wraps every reason an enrollment file is refused.
var ErrBadEnrollment = errors.New("not a valid Folio enrollment file")

// enrollmentJSON is the version 1 encoding: JSON with PEM strings.
type enrollmentJSON struct {
	Format      string `json:"format"`
	Version     int    `json:"version"`
	Org         string `json:"org"`
	Device      string `json:"device"`
	Address     string `json:"address"`
	CA          string `json:"ca"`
	Certificate string `json:"certificate"`
	Key         string `json:"key"`
	BundleKey   []byte `json:"bundle_key,omitempty"`
}

// Marshal encodes the enrollment file.
func (e *Enrollment) Marshal() ([]byte, error) {
	if e.CA == nil || e.Cert == nil || e.Key == nil {
		return nil, errors.New("pki: incomplete enrollment")
	}
	key, err := keyPEM(e.Key)
	if err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(enrollmentJSON{
		Format: EnrollmentFormat, Version: EnrollmentVersion,
		Org: e.Org, Device: e.Device, Address: e.Address,
		CA: string(certPEM(e.CA.Raw)), Certificate: string(certPEM(e.Cert.Raw)), Key: string(key),
		BundleKey: e.BundleKey,
	}, "", "  ")
	return append(b, '\n'), err
}

// WriteFile writes the enrollment to a new file, 0600; it refuses to
// overwrite an existing file.
func (e *Enrollment) WriteFile(path string) (err error) {
	b, err := e.Marshal()
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("write enrollment file: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(path)
		}
	}()
	if _, err = f.Write(b); err != nil {
		return fmt.Errorf("write enrollment file %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("write enrollment file %s: %w", path, err)
	}
	return f.Close()
}

// ReadEnrollment reads and checks an enrollment file.
func ReadEnrollment(path string) (*Enrollment, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read enrollment file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxEnrollmentSize+1))
	if err != nil {
		return nil, fmt.Errorf("read enrollment file %s: %w", path, err)
	}
	e, err := ParseEnrollment(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return e, nil
}

// ParseEnrollment decodes and checks an enrollment file strictly: known
// format and version, no unknown fields or trailing data, a self-signed CA,
// a client certificate signed by that CA for this device, and the private
// key that belongs to it. It does not look at the clock (an expired
// certificate parses; the archive refuses it).
func ParseEnrollment(b []byte) (*Enrollment, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrBadEnrollment, fmt.Sprintf(format, args...))
	}
	if len(b) > MaxEnrollmentSize {
		return nil, bad("larger than %d bytes", MaxEnrollmentSize)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var j enrollmentJSON
	if err := dec.Decode(&j); err != nil {
		return nil, bad("%v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, bad("data after the end")
	}
	if j.Format != EnrollmentFormat {
		return nil, bad("format %q", j.Format)
	}
	if j.Version != EnrollmentVersion {
		return nil, bad("version %d; this program reads version %d (update Folio)", j.Version, EnrollmentVersion)
	}
	if j.Org == "" {
		return nil, bad("no organisation")
	}
	if err := CheckDeviceName(j.Device); err != nil {
		return nil, bad("%v", err)
	}
	if err := checkAddress(j.Address); err != nil {
		return nil, bad("%v", err)
	}
	ca, err := parseCertPEM([]byte(j.CA))
	if err != nil {
		return nil, bad("CA certificate: %v", err)
	}
	if !ca.IsCA || ca.CheckSignatureFrom(ca) != nil {
		return nil, bad("the CA certificate is not a self-signed CA")
	}
	cert, err := parseCertPEM([]byte(j.Certificate))
	if err != nil {
		return nil, bad("device certificate: %v", err)
	}
	if err := cert.CheckSignatureFrom(ca); err != nil {
		return nil, bad("the device certificate is not signed by the organisation's CA")
	}
	if cert.IsCA || cert.Subject.CommonName != j.Device || !slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageClientAuth) {
		return nil, bad("the certificate is not a client certificate for device %q", j.Device)
	}
	key, err := parseKeyPEM([]byte(j.Key))
	if err != nil {
		return nil, bad("private key: %v", err)
	}
	if !publicKeyEqual(key.Public(), cert.PublicKey) {
		return nil, bad("the private key does not belong to the certificate")
	}
	if len(j.BundleKey) > MaxBundleKey {
		return nil, bad("the archive's bundle key is over %d bytes", MaxBundleKey)
	}
	return &Enrollment{Org: j.Org, Device: j.Device, Address: j.Address, CA: ca, Cert: cert, Key: key, BundleKey: j.BundleKey}, nil
}

// checkAddress accepts host:port with a valid host and a port 1..65535.
func checkAddress(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%w: archive address %q: want HOST:PORT", ErrBadName, addr)
	}
	if err := checkHost(host); err != nil {
		return err
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 || strconv.Itoa(p) != port {
		return fmt.Errorf("%w: archive address %q: bad port", ErrBadName, addr)
	}
	return nil
}

// CACertificate returns the organisation's CA certificate from the PKI
// folder dir (what a bundle's signer must chain to).
func CACertificate(dir string) (*x509.Certificate, error) {
	ca, _, err := loadCA(dir, false)
	return ca, err
}
