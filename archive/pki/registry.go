package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Status of an enrolled device.
type Status string

const (
	Active  Status = "active"
	Revoked Status = "revoked"
)

// Device is one entry of the device registry. A name may appear more than
// once: a revoked device can be enrolled again under the same name, with a
// new certificate (a new serial).
type Device struct {
	Name    string     `json:"name"`
	Serial  string     `json:"serial"` // lower-case hex
	Status  Status     `json:"status"`
	Issued  time.Time  `json:"issued"`
	Expires time.Time  `json:"expires"`
	Revoked *time.Time `json:"revoked,omitempty"`
}

const registryVersion = 1

type registry struct {
	Version   int      `json:"version"`
	CRLNumber int64    `json:"crl_number"`
	Devices   []Device `json:"devices"`
}

func (r *registry) marshal() ([]byte, error) {
	if r.Devices == nil {
		r.Devices = []Device{}
	}
	b, err := json.MarshalIndent(r, "", "  ")
	return append(b, '\n'), err
}

func readRegistry(dir string) (*registry, error) {
	path := filepath.Join(dir, registryFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read device registry: %w", err)
	}
	var r registry
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if r.Version != registryVersion {
		return nil, fmt.Errorf("read %s: unknown registry version %d", path, r.Version)
	}
	return &r, nil
}

// active returns the index of name's active entry, or -1.
func (r *registry) active(name string) int {
	return slices.IndexFunc(r.Devices, func(d Device) bool { return d.Name == name && d.Status == Active })
}

// Devices lists the registry in enrollment order.
func Devices(dir string) ([]Device, error) {
	if _, _, err := loadCA(dir, false); err != nil {
		return nil, err
	}
	r, err := readRegistry(dir)
	if err != nil {
		return nil, err
	}
	return r.Devices, nil
}

// CheckDeviceName accepts 1 to 64 letters, digits, '.', '_' and '-',
// starting with a letter or digit: a name that is safe as a certificate
// CN, a file name and a log field.
func CheckDeviceName(name string) error {
	if len(name) == 0 || len(name) > 64 {
		return fmt.Errorf("%w: a device name has 1 to 64 characters", ErrBadName)
	}
	for i, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			i > 0 && (r == '.' || r == '_' || r == '-')
		if !ok {
			return fmt.Errorf("%w: device name %q: use letters, digits, '.', '_' and '-' (starting with a letter or digit)", ErrBadName, name)
		}
	}
	return nil
}

// AddDevice enrolls a device: it issues a client certificate (CN = name,
// a fresh random serial, DeviceValidity), records it in the registry and
// returns the enrollment file for the device. archiveAddr is the archive's
// host:port as the device will dial it ("" = the organisation's default).
// The device's private key exists only in the returned enrollment.
// The enrollment file must be used within DefaultEnrollWindow.
func AddDevice(dir, name, archiveAddr string) (*Enrollment, error) {
	return AddDeviceWithin(dir, name, archiveAddr, DefaultEnrollWindow)
}

// AddDeviceWithin is AddDevice with the enrollment file's first use due
// within window (EnrollBy).
func AddDeviceWithin(dir, name, archiveAddr string, window time.Duration) (*Enrollment, error) {
	if window <= 0 {
		return nil, fmt.Errorf("%w: an enrollment file must be valid for some time, not %s", ErrBadName, window)
	}
	now := time.Now()
	return addDevice(dir, name, archiveAddr, now.Add(-backdate), now.Add(DeviceValidity), now.Add(window))
}

func addDevice(dir, name, archiveAddr string, notBefore, notAfter, enrollBy time.Time) (*Enrollment, error) {
	if err := CheckDeviceName(name); err != nil {
		return nil, err
	}
	ca, caKey, err := loadCA(dir, true)
	if err != nil {
		return nil, err
	}
	org, err := Load(dir)
	if err != nil {
		return nil, err
	}
	if archiveAddr == "" {
		archiveAddr = org.DefaultAddress()
	}
	if err := checkAddress(archiveAddr); err != nil {
		return nil, err
	}
	reg, err := readRegistry(dir)
	if err != nil {
		return nil, err
	}
	if reg.active(name) >= 0 {
		return nil, fmt.Errorf("%w: %q (revoke it first to enroll it again)", ErrDeviceExists, name)
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial := mustSerial()
	deadline, err := enrollByExtension(enrollBy)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		ExtraExtensions: []pkix.Extension{deadline},
		SerialNumber:    serial,
		Subject:         pkix.Name{CommonName: name, Organization: []string{org.Name}},
		NotBefore:       notBefore,
		NotAfter:        notAfter,
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtKeyUsage:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	if err != nil {
		return nil, fmt.Errorf("issue certificate for %s: %w", name, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	reg.Devices = append(reg.Devices, Device{Name: name, Serial: serial.Text(16), Status: Active,
		Issued: time.Now().UTC().Truncate(time.Second), Expires: notAfter.UTC().Truncate(time.Second)})
	b, err := reg.marshal()
	if err != nil {
		return nil, err
	}
	if err := writeFileAtomic(filepath.Join(dir, registryFile), b, 0o644); err != nil {
		return nil, err
	}
	return &Enrollment{Org: org.Name, Device: name, Address: archiveAddr, CA: ca, Cert: cert, Key: key}, nil
}

// Revoke marks name's active certificate revoked and rewrites the CRL; a
// running server refuses the device from its next handshake on.
func Revoke(dir, name string) (Device, error) {
	ca, caKey, err := loadCA(dir, true)
	if err != nil {
		return Device{}, err
	}
	reg, err := readRegistry(dir)
	if err != nil {
		return Device{}, err
	}
	i := reg.active(name)
	if i < 0 {
		if slices.ContainsFunc(reg.Devices, func(d Device) bool { return d.Name == name }) {
			return Device{}, fmt.Errorf("%w: %q", ErrAlreadyRevoked, name)
		}
		return Device{}, fmt.Errorf("%w: %q is not enrolled (see 'folio-archive device list')", ErrUnknownDevice, name)
	}
	t := time.Now().UTC().Truncate(time.Second)
	reg.Devices[i].Status = Revoked
	reg.Devices[i].Revoked = &t
	crlPEM, err := makeCRL(reg, ca, caKey, t)
	if err != nil {
		return Device{}, err
	}
	b, err := reg.marshal()
	if err != nil {
		return Device{}, err
	}
	// The CRL first: it is what the server enforces; a crash before the
	// registry is written leaves the device refused and still listed as
	// active, and revoking it again repairs the registry.
	if err := writeFileAtomic(filepath.Join(dir, crlFile), crlPEM, 0o644); err != nil {
		return Device{}, err
	}
	if err := writeFileAtomic(filepath.Join(dir, registryFile), b, 0o644); err != nil {
		return Device{}, err
	}
	return reg.Devices[i], nil
}

// makeCRL signs the list of revoked serials in reg (and bumps its number).
func makeCRL(reg *registry, ca *x509.Certificate, caKey crypto.Signer, t time.Time) ([]byte, error) {
	reg.CRLNumber++
	var entries []x509.RevocationListEntry
	for _, d := range reg.Devices {
		if d.Status != Revoked {
			continue
		}
		n, ok := new(big.Int).SetString(d.Serial, 16)
		if !ok {
			return nil, fmt.Errorf("device registry: bad serial %q for %s", d.Serial, d.Name)
		}
		rt := t
		if d.Revoked != nil {
			rt = *d.Revoked
		}
		entries = append(entries, x509.RevocationListEntry{SerialNumber: n, RevocationTime: rt})
	}
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number:                    big.NewInt(reg.CRLNumber),
		ThisUpdate:                t,
		NextUpdate:                ca.NotAfter, // a local file, re-read live; freshness is not the point
		RevokedCertificateEntries: entries,
	}, ca, caKey)
	if err != nil {
		return nil, fmt.Errorf("sign revocation list: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der}), nil
}
