package crypto_test

import (
	"testing"
	"time"

	"folio/crypto"
)

func BenchmarkRecordSeal(b *testing.B) {
	aead := newVault(b).keys.RecordAEAD()
	plain, ad := make([]byte, 1024), []byte("patient\x00p1\x00v1")
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := aead.Encrypt(plain, ad); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRecordOpen(b *testing.B) {
	aead := newVault(b).keys.RecordAEAD()
	plain, ad := make([]byte, 1024), []byte("patient\x00p1\x00v1")
	ct, err := aead.Encrypt(plain, ad)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := aead.Decrypt(ct, ad); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkToken(b *testing.B) {
	k := newVault(b).keys
	term := []byte("smith")
	b.ReportAllocs()
	for b.Loop() {
		k.Token(term)
	}
}

// BenchmarkUnlock opens a password slot made with the parameters the app
// calibrates to (700 ms target) on this machine.
func BenchmarkUnlock(b *testing.B) {
	v := newVault(b)
	p := crypto.Calibrate(700 * time.Millisecond)
	b.Logf("calibrated parameters: %+v", p)
	slot, err := v.keys.PasswordSlot(v.user, v.password, nil, p)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for b.Loop() {
		k, _, err := crypto.OpenPasswordSlot(v.bundle, slot, v.user, v.password)
		if err != nil {
			b.Fatal(err)
		}
		k.Close()
		n++
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(n), "ms/op")
}
