package crypto

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"folio/app"
)

// fuzzVault is a vault for the fuzz targets: its keyring, bundle, master key
// and slots (password "pw" for "alice").
type fuzzVault struct {
	keys           *Keyring
	bundle, master []byte
	slot, recovery []byte
	recoveryKey    string
}

// testKeyring makes a new vault's keyring, closed when the test ends.
func testKeyring(tb testing.TB) *Keyring {
	tb.Helper()
	k, err := NewKeyring()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(k.Close)
	return k
}

func newFuzzVault(f *testing.F) fuzzVault {
	f.Helper()
	k := testKeyring(f)
	v := fuzzVault{keys: k}
	var err error
	if v.bundle, err = k.Bundle(); err != nil {
		f.Fatal(err)
	}
	if v.master, err = k.masterCopy(); err != nil {
		f.Fatal(err)
	}
	if v.slot, err = k.PasswordSlot("alice", []byte("pw"), bytes.Repeat([]byte{9}, SigningSeedSize), FastKDF()); err != nil {
		f.Fatal(err)
	}
	if v.recoveryKey, err = NewRecoveryKey(); err != nil {
		f.Fatal(err)
	}
	if v.recovery, err = k.RecoverySlot(v.recoveryKey); err != nil {
		f.Fatal(err)
	}
	return v
}

// isKnown reports whether err wraps one of the errors decoders may return.
func isKnown(err error, targets ...error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}

func FuzzSlotParams(f *testing.F) {
	v := newFuzzVault(f)
	f.Add(v.slot)
	f.Add(v.recovery)
	f.Add(v.slot[:slotHeaderSize])
	f.Add(v.slot[:slotHeaderSize-1])
	f.Add([]byte(slotMagic))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, slot []byte) {
		p, err := SlotParams(slot)
		if err != nil {
			if !isKnown(err, ErrMalformed, ErrSlotParams, app.ErrNewerSchema) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if p.check() != nil {
			t.Fatalf("SlotParams accepted out-of-bounds %+v", p)
		}
	})
}

func FuzzOpenPasswordSlot(f *testing.F) {
	v := newFuzzVault(f)
	f.Add(v.slot, []byte("pw"))
	f.Add(v.slot, []byte("wrong"))
	f.Add(v.recovery, []byte("pw"))
	f.Add(v.slot[:slotHeaderSize], []byte("pw"))
	f.Add([]byte{}, []byte{})
	f.Fuzz(func(t *testing.T, slot, password []byte) {
		if p, err := SlotParams(slot); err == nil && (p.MemoryKiB > 16*1024 || p.Time > 2 || p.Threads > 4) {
			return // legal but slow to derive; the header was parsed above
		}
		k, _, err := OpenPasswordSlot(v.bundle, slot, "alice", password)
		if err != nil {
			if !isKnown(err, ErrMalformed, ErrSlotParams, app.ErrNewerSchema, app.ErrWrongPassword, app.ErrTampered) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		defer k.Close()
		if !k.SameVault(v.keys) {
			t.Fatal("a slot opened to a foreign master key")
		}
	})
}

func FuzzBundle(f *testing.F) {
	v := newFuzzVault(f)
	f.Add(v.bundle)
	f.Add(v.bundle[:len(v.bundle)-1])
	f.Add(v.bundle[:20])
	f.Add([]byte(bundleMagic + "\x01\x06"))
	f.Add([]byte{})
	_, macKey, err := bundleKeys(v.master)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		bf, err := parseBundle(b)
		if err != nil {
			if !isKnown(err, ErrMalformed, app.ErrNewerSchema) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		k, err := bf.open(bytes.Clone(v.master))
		if err == nil {
			k.Close()
		} else if !errors.Is(err, app.ErrTampered) {
			t.Fatalf("unexpected error kind: %v", err)
		}
		// Give the changed framing a valid MAC, so the keyset decoders
		// behind it are fuzzed too.
		resigned := append(bytes.Clone(bf.signed), bundleMAC(macKey, bf.signed)...)
		bf2, err := parseBundle(resigned)
		if err != nil {
			t.Fatalf("re-signed bundle no longer parses: %v", err)
		}
		k2, err := bf2.open(bytes.Clone(v.master))
		if err == nil {
			k2.Close()
		} else if !errors.Is(err, app.ErrTampered) {
			t.Fatalf("unexpected error kind: %v", err)
		}
	})
}

func FuzzParseRecoveryKey(f *testing.F) {
	v := newFuzzVault(f)
	f.Add(v.recoveryKey)
	f.Add(strings.ToLower(v.recoveryKey))
	f.Add(strings.ReplaceAll(v.recoveryKey, "-", " "))
	f.Add("0000-0000-0000-0000-0000-0000-0000-0000-0000")
	f.Add("OOOO IIII LLLL")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		key, err := ParseRecoveryKey(s)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if len(key) != recoveryKeyBytes {
			t.Fatalf("parsed key is %d bytes", len(key))
		}
		again, err := ParseRecoveryKey(formatRecoveryKey(key))
		if err != nil || !bytes.Equal(again, key) {
			t.Fatalf("formatted key does not parse back: %v", err)
		}
	})
}

func FuzzNewAuditSealer(f *testing.F) {
	v := newFuzzVault(f)
	pub, err := v.keys.AuditPublicKey()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(pub)
	f.Add(pub[:len(pub)/2])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := NewAuditSealer(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		_, _ = s.Seal([]byte("event"), []byte("ctx"))
	})
}

// FuzzRecordOpen feeds arbitrary bytes to the record envelope's Decrypt:
// it must fail cleanly, never panic, and never accept a forgery.
func FuzzRecordOpen(f *testing.F) {
	a := testKeyring(f).RecordAEAD()
	good, err := a.Encrypt([]byte("a patient record"), []byte("ad"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, ct []byte) {
		pt, err := a.Decrypt(ct, []byte("ad"))
		if err == nil && !bytes.Equal(ct, good) {
			t.Fatalf("a forged envelope opened: %q", pt)
		}
	})
}

// FuzzOpenAudit feeds arbitrary bytes to the audit event opener.
func FuzzOpenAudit(f *testing.F) {
	k := testKeyring(f)
	pub, err := k.AuditPublicKey()
	if err != nil {
		f.Fatal(err)
	}
	s, err := NewAuditSealer(pub)
	if err != nil {
		f.Fatal(err)
	}
	good, err := s.Seal([]byte("event"), []byte("ctx"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:10])
	f.Fuzz(func(t *testing.T, sealed []byte) {
		if pt, err := k.OpenAudit(sealed, []byte("ctx")); err == nil && !bytes.Equal(sealed, good) && !bytes.Equal(pt, []byte("event")) {
			t.Fatalf("forged audit event opened: %q", pt)
		}
	})
}
