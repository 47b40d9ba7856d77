package pki

import (
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"path/filepath"
)

// ServerSigner returns the archive server's private key and its
// certificate from dir. The key countersigns the devices' audit heads
// (archive.ServerParams.Countersigner); the certificate, chained to the
// organisation's CA, is what a workstation verifies them against.
func ServerSigner(dir string) (crypto.Signer, *x509.Certificate, error) {
	cert, err := readCert(dir, serverCertFile, "server certificate")
	if errors.Is(err, fs.ErrNotExist) {
		if _, _, cerr := loadCA(dir, false); cerr != nil {
			return nil, nil, cerr
		}
	}
	if err != nil {
		return nil, nil, err
	}
	key, err := readKey(dir, serverKeyFile, "server key", cert, serverCertFile)
	if err != nil {
		return nil, nil, err
	}
	return key, cert, nil
}

// Revocations answers whether a device certificate is revoked, from the
// CA-signed crl.pem as it is on disk at the moment of asking (re-read when
// it changes). ServerTLS checks every handshake; a server also checks every
// request with it, so that revoking cuts off a device that keeps a
// connection open too. Safe for concurrent use.
type Revocations struct {
	r *revocations
}

// LoadRevocations reads dir's revocation list; it fails when the list is
// missing, unreadable or not signed by the organisation's CA.
func LoadRevocations(dir string) (*Revocations, error) {
	ca, _, err := loadCA(dir, false)
	if err != nil {
		return nil, err
	}
	r := &revocations{path: filepath.Join(dir, crlFile), ca: ca}
	if _, err := r.isRevoked(big.NewInt(0)); err != nil {
		return nil, err
	}
	return &Revocations{r: r}, nil
}

// Check returns nil for a device certificate in good standing, ErrRevoked
// for a revoked serial (lower-case hex, as Identity.Serial), and an error
// (fail closed) when the list cannot be read.
func (l *Revocations) Check(id Identity) error {
	n, ok := new(big.Int).SetString(id.Serial, 16)
	if !ok {
		return fmt.Errorf("%w: serial %q is not hex", ErrUnauthenticated, id.Serial)
	}
	revoked, err := l.r.isRevoked(n)
	if err != nil {
		return fmt.Errorf("device %q refused: %w", id.Name, err)
	}
	if revoked {
		return fmt.Errorf("device %q (serial %s): %w", id.Name, id.Serial, ErrRevoked)
	}
	return nil
}
