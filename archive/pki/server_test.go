package pki

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestServerSigner(t *testing.T) {
	dir := initOrg(t, "Hill Clinic")
	key, cert, err := ServerSigner(dir)
	if err != nil {
		t.Fatal(err)
	}
	ca, _, err := loadCA(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := cert.CheckSignatureFrom(ca); err != nil {
		t.Fatalf("server certificate not from the CA: %v", err)
	}
	sum := sha256.Sum256([]byte("audit head"))
	sig, err := key.Sign(rand.Reader, sum[:], nil)
	if err != nil {
		t.Fatal(err)
	}
	if !ecdsa.VerifyASN1(cert.PublicKey.(*ecdsa.PublicKey), sum[:], sig) {
		t.Fatal("the server key's signature does not verify with the server certificate")
	}

	if _, _, err := ServerSigner(t.TempDir()); !errors.Is(err, ErrNotInitialised) {
		t.Errorf("ServerSigner of an empty folder: %v, want ErrNotInitialised", err)
	}
	// A key that is not the certificate's.
	other := initOrg(t, "Other Clinic")
	copyFile(t, other, dir, serverKeyFile, 0o600)
	if _, _, err := ServerSigner(dir); err == nil {
		t.Error("ServerSigner accepted another organisation's key")
	}
}

func TestRevocations(t *testing.T) {
	dir := initOrg(t, "Hill Clinic")
	e := enrolled(t, dir, "ws-1", "")
	l, err := LoadRevocations(dir)
	if err != nil {
		t.Fatal(err)
	}
	id := Identity{Name: "ws-1", Serial: e.Cert.SerialNumber.Text(16)}
	if err := l.Check(id); err != nil {
		t.Fatalf("active device: %v", err)
	}
	if _, err := Revoke(dir, "ws-1"); err != nil {
		t.Fatal(err)
	}
	if err := l.Check(id); !errors.Is(err, ErrRevoked) {
		t.Fatalf("revoked device: %v, want ErrRevoked (the list re-read)", err)
	}
	// A list not signed by the CA refuses everyone.
	other := initOrg(t, "Other Clinic")
	copyFile(t, other, dir, crlFile, 0o644)
	if err := l.Check(Identity{Name: "x", Serial: "abc"}); err == nil || errors.Is(err, ErrRevoked) {
		t.Fatalf("foreign revocation list: %v, want a failure", err)
	}
	if _, err := LoadRevocations(dir); err == nil {
		t.Fatal("LoadRevocations accepted a foreign list")
	}
}

// copyFile copies the file name from the folder from to the folder to,
// with perm.
func copyFile(t *testing.T, from, to, name string, perm os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(from, name))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(to, name), b, perm); err != nil {
		t.Fatal(err)
	}
}
