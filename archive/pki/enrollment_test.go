package pki

import (
	"bytes"
	"testing"
)

// An enrollment file survives its own round trip, and the parser turns
// any other bytes into an error, never a panic.
func FuzzParseEnrollment(f *testing.F) {
	dir := f.TempDir()
	if _, err := Init(dir, "Hill Clinic", nil); err != nil {
		f.Fatal(err)
	}
	e := enrolled(f, dir, "ws-1", "archive.example:8443")
	good, err := e.Marshal()
	if err != nil {
		f.Fatal(err)
	}
	back, err := ParseEnrollment(good)
	if err != nil {
		f.Fatalf("its own enrollment file: %v", err)
	}
	again, err := back.Marshal()
	if err != nil || !bytes.Equal(again, good) {
		f.Fatalf("round trip changed the file: %v", err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte("{}"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseEnrollment(b)
		if err == nil && e == nil {
			t.Fatal("no enrollment and no error")
		}
	})
}
