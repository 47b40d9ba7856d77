package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// File names inside the PKI folder.
const (
	orgFile        = "org.json"
	caCertFile     = "ca.crt"
	caKeyFile      = "ca.key"
	serverCertFile = "server.crt"
	serverKeyFile  = "server.key"
	registryFile   = "devices.json"
	crlFile        = "crl.pem"
)

// Validity periods.
const (
	CAValidity     = 20 * 365 * 24 * time.Hour
	ServerValidity = 5 * 365 * 24 * time.Hour
	DeviceValidity = 2 * 365 * 24 * time.Hour
	backdate       = time.Hour
)

// DefaultPort is the archive's port when an address names only a host.
const DefaultPort = "8443"

// Errors callers branch on.
var (
	ErrExists          = errors.New("pki: an organisation CA already exists")
	ErrNotInitialised  = errors.New("pki: no organisation CA here")
	ErrDeviceExists    = errors.New("pki: a device with this name is already enrolled")
	ErrUnknownDevice   = errors.New("pki: no such device")
	ErrAlreadyRevoked  = errors.New("pki: the device is already revoked")
	ErrRevoked         = errors.New("pki: the device's certificate is revoked")
	ErrExpired         = errors.New("pki: the certificate is expired or not yet valid")
	ErrUnauthenticated = errors.New("pki: no verified device certificate")
	ErrBadName         = errors.New("pki: invalid name")
)

// Org describes an initialised organisation.
type Org struct {
	Name string `json:"name"`
	// Hosts are the server certificate's names and addresses.
	Hosts []string `json:"hosts"`
	// CAFingerprint is the SHA-256 of the CA certificate, hex with colons,
	// for an administrator to compare by eye.
	CAFingerprint string    `json:"ca_fingerprint"`
	Created       time.Time `json:"created"`
	CAExpires     time.Time `json:"ca_expires"`
	ServerExpires time.Time `json:"server_expires"`
}

// DefaultAddress is the archive address written into enrollment files when
// none is given: the first host on DefaultPort.
func (o *Org) DefaultAddress() string {
	h := "localhost"
	if len(o.Hosts) > 0 {
		h = o.Hosts[0]
	}
	return net.JoinHostPort(h, DefaultPort)
}

// Init creates the organisation's CA and the archive server's certificate
// in dir (created 0700 if missing). hosts are the server's DNS names and IP
// addresses (default localhost and 127.0.0.1). It refuses to overwrite an
// existing CA (ErrExists).
func Init(dir, org string, hosts []string) (*Org, error) {
	org = strings.TrimSpace(org)
	if org == "" || len(org) > 64 || strings.ContainsFunc(org, isControl) {
		return nil, fmt.Errorf("%w: organisation name must be 1 to 64 printable characters", ErrBadName)
	}
	if len(hosts) == 0 {
		hosts = []string{"localhost", "127.0.0.1"}
	}
	for _, h := range hosts {
		if err := checkHost(h); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	for _, f := range []string{caCertFile, caKeyFile} {
		if _, err := os.Lstat(filepath.Join(dir, f)); err == nil {
			return nil, fmt.Errorf("%w in %s (%s); remove the folder to start over, but every enrolled device will then need a new enrollment file", ErrExists, dir, f)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("check %s: %w", dir, err)
		}
	}

	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          mustSerial(),
		Subject:               pkix.Name{CommonName: org + " Folio CA", Organization: []string{org}},
		NotBefore:             now.Add(-24 * time.Hour),
		NotAfter:              now.Add(CAValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		return nil, fmt.Errorf("create CA certificate: %w", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}

	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	srvTmpl := &x509.Certificate{
		SerialNumber: mustSerial(),
		Subject:      pkix.Name{CommonName: hosts[0], Organization: []string{org}},
		NotBefore:    now.Add(-backdate),
		NotAfter:     now.Add(ServerValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			srvTmpl.IPAddresses = append(srvTmpl.IPAddresses, ip)
		} else {
			srvTmpl.DNSNames = append(srvTmpl.DNSNames, h)
		}
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, ca, srvKey.Public(), caKey)
	if err != nil {
		return nil, fmt.Errorf("create server certificate: %w", err)
	}

	o := &Org{Name: org, Hosts: hosts, CAFingerprint: Fingerprint(ca), Created: now.UTC().Truncate(time.Second),
		CAExpires: ca.NotAfter.UTC(), ServerExpires: srvTmpl.NotAfter.UTC().Truncate(time.Second)}
	reg := &registry{Version: registryVersion}
	crlPEM, err := makeCRL(reg, ca, caKey, now)
	if err != nil {
		return nil, err
	}
	orgJSON, err := json.MarshalIndent(o, "", "  ")
	if err != nil {
		return nil, err
	}
	srvKeyPEM, err := keyPEM(srvKey)
	if err != nil {
		return nil, err
	}
	caKeyPEM, err := keyPEM(caKey)
	if err != nil {
		return nil, err
	}
	regJSON, err := reg.marshal()
	if err != nil {
		return nil, err
	}
	// The CA certificate is written last: its presence means "initialised".
	for _, f := range []struct {
		name string
		data []byte
		perm fs.FileMode
	}{
		{orgFile, append(orgJSON, '\n'), 0o644},
		{serverKeyFile, srvKeyPEM, 0o600},
		{serverCertFile, certPEM(srvDER), 0o644},
		{registryFile, regJSON, 0o644},
		{crlFile, crlPEM, 0o644},
		{caKeyFile, caKeyPEM, 0o600},
		{caCertFile, certPEM(caDER), 0o644},
	} {
		if err := writeFileAtomic(filepath.Join(dir, f.name), f.data, f.perm); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// Load reads the organisation's description from dir.
func Load(dir string) (*Org, error) {
	if _, err := os.Stat(filepath.Join(dir, caCertFile)); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w in %s; run 'folio-archive init' first", ErrNotInitialised, dir)
	}
	b, err := os.ReadFile(filepath.Join(dir, orgFile))
	if err != nil {
		return nil, fmt.Errorf("read organisation: %w", err)
	}
	var o Org
	if err := json.Unmarshal(b, &o); err != nil {
		return nil, fmt.Errorf("read %s: %w", filepath.Join(dir, orgFile), err)
	}
	return &o, nil
}

// Fingerprint is the SHA-256 of a certificate, upper-case hex with colons.
func Fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	var b strings.Builder
	for i, x := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", x)
	}
	return b.String()
}

// loadCA reads the CA certificate and, if withKey, its private key.
func loadCA(dir string, withKey bool) (*x509.Certificate, crypto.Signer, error) {
	ca, err := readCert(dir, caCertFile, "CA")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("%w in %s; run 'folio-archive init' first", ErrNotInitialised, dir)
	}
	if err != nil {
		return nil, nil, err
	}
	if !withKey {
		return ca, nil, nil
	}
	key, err := readKey(dir, caKeyFile, "CA key", ca, caCertFile)
	if err != nil {
		return nil, nil, err
	}
	return ca, key, nil
}

// readCert reads the certificate in dir's file; what names it in errors
// ("CA"), and a missing file is fs.ErrNotExist.
func readCert(dir, file, what string) (*x509.Certificate, error) {
	b, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	cert, err := parseCertPEM(b)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", filepath.Join(dir, file), err)
	}
	return cert, nil
}

// readKey reads the private key in dir's file (what names it in errors:
// "CA key") and checks that it is the key of cert, read from certFile.
func readKey(dir, file, what string, cert *x509.Certificate, certFile string) (crypto.Signer, error) {
	b, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	key, err := parseKeyPEM(b)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", filepath.Join(dir, file), err)
	}
	if !publicKeyEqual(key.Public(), cert.PublicKey) {
		return nil, fmt.Errorf("%s does not belong to %s", file, certFile)
	}
	return key, nil
}

func publicKeyEqual(a, b crypto.PublicKey) bool {
	k, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && k.Equal(b)
}

// mustSerial is a random positive 127-bit serial number: unique without
// coordination (RFC 5280 allows up to 20 octets).
func mustSerial() *big.Int {
	limit := new(big.Int).Lsh(big.NewInt(1), 127)
	for {
		n, err := rand.Int(rand.Reader, limit)
		if err != nil {
			panic("pki: crypto/rand failed: " + err.Error()) // crypto/rand does not fail on supported platforms
		}
		if n.Sign() > 0 {
			return n
		}
	}
}

func certPEM(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func keyPEM(k crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// parseCertPEM parses exactly one PEM certificate, nothing around it but
// white space.
func parseCertPEM(b []byte) (*x509.Certificate, error) {
	blk, rest := pem.Decode(b)
	if blk == nil || blk.Type != "CERTIFICATE" || len(blk.Headers) != 0 || strings.TrimSpace(string(rest)) != "" {
		return nil, errors.New("want exactly one PEM CERTIFICATE")
	}
	return x509.ParseCertificate(blk.Bytes)
}

// parseKeyPEM parses exactly one PKCS#8 ECDSA or Ed25519 private key.
func parseKeyPEM(b []byte) (crypto.Signer, error) {
	blk, rest := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" || len(blk.Headers) != 0 || strings.TrimSpace(string(rest)) != "" {
		return nil, errors.New("want exactly one PEM PRIVATE KEY")
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, err
	}
	s, _ := k.(crypto.Signer)
	switch s.(type) {
	case *ecdsa.PrivateKey, ed25519.PrivateKey:
		return s, nil
	}
	return nil, fmt.Errorf("unsupported private key type %T", k)
}

// checkHost accepts an IP address or a DNS name.
func checkHost(h string) error {
	if net.ParseIP(h) != nil {
		return nil
	}
	if h == "" || len(h) > 253 || strings.HasPrefix(h, ".") || strings.HasSuffix(h, ".") || strings.Contains(h, "..") {
		return fmt.Errorf("%w: host %q is neither an IP address nor a DNS name", ErrBadName, h)
	}
	for _, r := range h {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return fmt.Errorf("%w: host %q is neither an IP address nor a DNS name", ErrBadName, h)
		}
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// writeFileAtomic writes data to path through a temporary file in the same
// folder: write, fsync, rename, fsync the folder. A crash leaves either the
// old file or the new one, never a mix.
func writeFileAtomic(path string, data []byte, perm fs.FileMode) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = f.Chmod(perm); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if d, derr := os.Open(dir); derr == nil {
		d.Sync() // best effort: not every platform can sync a folder
		d.Close()
	}
	return nil
}
