package crypto_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"sync"
	"testing"

	"folio/app"
	"folio/crypto"
)

// Slot header offsets (see slot.go), for forging slots.
const (
	offVersion = 8
	offKind    = 9
	offTime    = 10
	offMemory  = 14
	offThreads = 18
	slotHeader = 35
)

// testSeed is the signing-key seed the test vault's password slots hold.
var testSeed = bytes.Repeat([]byte{9}, crypto.SigningSeedSize)

// vault is a keyring with its stored form: bundle, a password slot and the
// recovery slot, all made with FastKDF parameters.
type vault struct {
	keys                *crypto.Keyring
	bundle, slot, recov []byte
	user, recoveryKey   string
	password            []byte
}

func newVault(t testing.TB) vault {
	t.Helper()
	k, err := crypto.NewKeyring()
	if err != nil {
		t.Fatalf("NewKeyring: %v", err)
	}
	t.Cleanup(k.Close)
	v := vault{keys: k, user: "alice", password: []byte("correct horse battery staple")}
	if v.bundle, err = k.Bundle(); err != nil {
		t.Fatalf("Bundle: %v", err)
	}
	if v.slot, err = k.PasswordSlot(v.user, v.password, testSeed, crypto.FastKDF()); err != nil {
		t.Fatalf("PasswordSlot: %v", err)
	}
	if v.recoveryKey, err = crypto.NewRecoveryKey(); err != nil {
		t.Fatalf("NewRecoveryKey: %v", err)
	}
	if v.recov, err = k.RecoverySlot(v.recoveryKey); err != nil {
		t.Fatalf("RecoverySlot: %v", err)
	}
	return v
}

// flipBit returns a copy of b with one bit flipped.
func flipBit(b []byte, bit int) []byte {
	c := bytes.Clone(b)
	c[bit/8] ^= 1 << (bit % 8)
	return c
}

func TestOpenPasswordSlot(t *testing.T) {
	a, b := newVault(t), newVault(t)
	tests := []struct {
		name     string
		bundle   []byte
		slot     []byte
		user     string
		password string
		want     error // nil: opens vault a
	}{
		{"right password", a.bundle, a.slot, "alice", string(a.password), nil},
		{"wrong password", a.bundle, a.slot, "alice", "correct horse battery stapler", app.ErrWrongPassword},
		{"empty password", a.bundle, a.slot, "alice", "", app.ErrWrongPassword},
		{"wrong user bound in slot", a.bundle, a.slot, "bob", string(a.password), app.ErrWrongPassword},
		{"user name case matters", a.bundle, a.slot, "Alice", string(a.password), app.ErrWrongPassword},
		// The slot of vault b opens with its password, but its master key
		// does not authenticate vault a's bundle.
		{"slot of another vault", a.bundle, b.slot, "alice", string(b.password), app.ErrTampered},
		{"recovery slot used as password slot", a.bundle, a.recov, "alice", string(a.password), crypto.ErrMalformed},
		{"truncated slot", a.bundle, a.slot[:len(a.slot)-1], "alice", string(a.password), crypto.ErrMalformed},
		{"slot with trailing byte", a.bundle, append(bytes.Clone(a.slot), 0), "alice", string(a.password), crypto.ErrMalformed},
		{"empty slot", a.bundle, nil, "alice", string(a.password), crypto.ErrMalformed},
		{"empty bundle", nil, a.slot, "alice", string(a.password), crypto.ErrMalformed},
		{"truncated bundle", a.bundle[:len(a.bundle)/2], a.slot, "alice", string(a.password), crypto.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, _, err := crypto.OpenPasswordSlot(tt.bundle, tt.slot, tt.user, []byte(tt.password))
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Fatalf("err = %v, want %v", err, tt.want)
				}
				if k != nil {
					t.Fatalf("got a keyring with error %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("OpenPasswordSlot: %v", err)
			}
			defer k.Close()
			if !k.SameVault(a.keys) || k.SameVault(b.keys) {
				t.Fatal("opened keyring is not vault a")
			}
		})
	}
}

func TestOpenRecoverySlot(t *testing.T) {
	a, b := newVault(t), newVault(t)
	tests := []struct {
		name   string
		bundle []byte
		slot   []byte
		key    string
		want   error
	}{
		{"right key", a.bundle, a.recov, a.recoveryKey, nil},
		{"right key as typed", a.bundle, a.recov, strings.ToLower(strings.ReplaceAll(a.recoveryKey, "-", " ")), nil},
		{"key of another vault", a.bundle, a.recov, b.recoveryKey, app.ErrWrongPassword},
		{"slot of another vault", a.bundle, b.recov, b.recoveryKey, app.ErrTampered},
		{"mistyped key", a.bundle, a.recov, a.recoveryKey[:len(a.recoveryKey)-1], crypto.ErrMalformed},
		{"password slot", a.bundle, a.slot, a.recoveryKey, crypto.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := crypto.OpenRecoverySlot(tt.bundle, tt.slot, tt.key)
			if tt.want != nil {
				if !errors.Is(err, tt.want) || k != nil {
					t.Fatalf("err = %v, want %v", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("OpenRecoverySlot: %v", err)
			}
			defer k.Close()
			if !k.SameVault(a.keys) {
				t.Fatal("opened keyring is not vault a")
			}
		})
	}
}

// A reopened keyring has the same keys: tokens, signatures, records and
// audit events cross over, and every bundle opens with every slot.
func TestReopenKeepsKeys(t *testing.T) {
	v := newVault(t)
	bundle2, err := v.keys.Bundle()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(bundle2, v.bundle) {
		t.Error("two bundles are byte-identical; nonces are not fresh")
	}
	k2, _, err := crypto.OpenPasswordSlot(bundle2, v.slot, v.user, v.password)
	if err != nil {
		t.Fatalf("old slot, new bundle: %v", err)
	}
	defer k2.Close()
	slot2, err := k2.PasswordSlot("bob", []byte("another password"), testSeed, crypto.FastKDF())
	if err != nil {
		t.Fatal(err)
	}
	k3, _, err := crypto.OpenPasswordSlot(v.bundle, slot2, "bob", []byte("another password"))
	if err != nil {
		t.Fatalf("new slot, old bundle: %v", err)
	}
	defer k3.Close()

	if !bytes.Equal(v.keys.Token([]byte("smith")), k3.Token([]byte("smith"))) {
		t.Error("token changed after reopening")
	}
	sig, err := v.keys.Sign([]byte("checkpoint"))
	if err != nil {
		t.Fatal(err)
	}
	if err := k3.Verify([]byte("checkpoint"), sig); err != nil {
		t.Errorf("signature of the same vault: %v", err)
	}
	ct, err := v.keys.RecordAEAD().Encrypt([]byte("chart"), []byte("patient/1"))
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := k3.RecordAEAD().Decrypt(ct, []byte("patient/1")); err != nil || string(pt) != "chart" {
		t.Errorf("record of the same vault: %q, %v", pt, err)
	}
	pub1, _ := v.keys.AuditPublicKey()
	pub3, err := k3.AuditPublicKey()
	if err != nil || !bytes.Equal(pub1, pub3) {
		t.Errorf("audit public key changed after reopening (%v)", err)
	}
}

func TestAbsurdSlotParams(t *testing.T) {
	v := newVault(t)
	forge := func(time, mem uint32, threads uint8) []byte {
		s := bytes.Clone(v.slot)
		binary.BigEndian.PutUint32(s[offTime:], time)
		binary.BigEndian.PutUint32(s[offMemory:], mem)
		s[offThreads] = threads
		return s
	}
	// Each case would run for hours or exhaust memory if Argon2id ran
	// before the bounds check, so the test passing shows it does not.
	tests := []struct {
		name string
		slot []byte
	}{
		{"huge time and memory", forge(1<<30, 1<<31, 1)},
		{"time above 16", forge(17, 8*1024, 1)},
		{"time zero", forge(0, 8*1024, 1)},
		{"memory above 1 GiB", forge(1, 1024*1024+1, 1)},
		{"memory below 8 MiB", forge(1, 8*1024-1, 1)},
		{"threads zero", forge(1, 8*1024, 0)},
		{"threads 255", forge(1, 8*1024, 255)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := crypto.SlotParams(tt.slot); !errors.Is(err, crypto.ErrSlotParams) {
				t.Errorf("SlotParams err = %v, want ErrSlotParams", err)
			}
			if _, _, err := crypto.OpenPasswordSlot(v.bundle, tt.slot, v.user, v.password); !errors.Is(err, crypto.ErrSlotParams) {
				t.Errorf("OpenPasswordSlot err = %v, want ErrSlotParams", err)
			}
		})
	}
	t.Run("writing refuses them too", func(t *testing.T) {
		_, err := v.keys.PasswordSlot("alice", []byte("pw"), testSeed, crypto.KDFParams{Time: 1 << 30, MemoryKiB: 1 << 31, Threads: 1})
		if !errors.Is(err, crypto.ErrSlotParams) {
			t.Errorf("PasswordSlot err = %v, want ErrSlotParams", err)
		}
	})
}

func TestSlotParams(t *testing.T) {
	v := newVault(t)
	tests := []struct {
		name string
		slot []byte
		want crypto.KDFParams
		err  error
	}{
		{"password slot", v.slot, crypto.FastKDF(), nil},
		{"recovery slot", v.recov, crypto.FastKDF(), nil},
		{"header only", v.slot[:slotHeader], crypto.FastKDF(), nil},
		{"short header", v.slot[:slotHeader-1], crypto.KDFParams{}, crypto.ErrMalformed},
		{"wrong magic", append([]byte("FOLIOSLX"), v.slot[8:]...), crypto.KDFParams{}, crypto.ErrMalformed},
		{"unknown kind", func() []byte { s := bytes.Clone(v.slot); s[offKind] = 9; return s }(), crypto.KDFParams{}, crypto.ErrMalformed},
		{"version 0", func() []byte { s := bytes.Clone(v.slot); s[offVersion] = 0; return s }(), crypto.KDFParams{}, crypto.ErrMalformed},
		{"newer version", func() []byte { s := bytes.Clone(v.slot); s[offVersion] = 4; return s }(), crypto.KDFParams{}, app.ErrNewerSchema},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := crypto.SlotParams(tt.slot)
			if !errors.Is(err, tt.err) || got != tt.want {
				t.Fatalf("SlotParams = %+v, %v; want %+v, %v", got, err, tt.want, tt.err)
			}
		})
	}
}

// Every single-bit change of a slot must fail to open, never panic.
func TestSlotBitFlips(t *testing.T) {
	v := newVault(t)
	for bit := range len(v.slot) * 8 {
		flipped := flipBit(v.slot, bit)
		if p, err := crypto.SlotParams(flipped); err == nil && p.MemoryKiB > 64*1024 && testing.Short() {
			continue // a legal but slow derivation (up to 520 MiB); run without -short
		}
		k, _, err := crypto.OpenPasswordSlot(v.bundle, flipped, v.user, v.password)
		if err == nil {
			k.Close()
			t.Errorf("bit %d (byte %d) flipped: slot still opens", bit, bit/8)
		}
	}
}

// Every single-bit change of a bundle must fail to open, never panic. Each
// attempt runs Argon2id, so positions are sampled: the whole framing at the
// start, every 8th bit of the body, the whole MAC.
func TestBundleBitFlips(t *testing.T) {
	v := newVault(t)
	n := len(v.bundle) * 8
	for bit := 0; bit < n; bit++ {
		if bit >= 16*8 && bit < n-32*8 && bit%61 != 0 {
			continue
		}
		k, _, err := crypto.OpenPasswordSlot(flipBit(v.bundle, bit), v.slot, v.user, v.password)
		if err == nil {
			k.Close()
			t.Errorf("bit %d (byte %d) flipped: bundle still opens", bit, bit/8)
			continue
		}
		if !errors.Is(err, crypto.ErrMalformed) && !errors.Is(err, app.ErrTampered) && !errors.Is(err, app.ErrNewerSchema) {
			t.Errorf("bit %d flipped: err = %v, want ErrMalformed, ErrTampered or ErrNewerSchema", bit, err)
		}
	}
}

func TestRecordAEAD(t *testing.T) {
	a, b := newVault(t), newVault(t)
	aead := a.keys.RecordAEAD()
	plain := []byte("Jane Doe, 1970-01-01, asthma")
	ad := []byte("patient\x00p1\x00v1")
	ct, err := aead.Encrypt(plain, ad)
	if err != nil {
		t.Fatal(err)
	}
	ct2, err := aead.Encrypt(plain, ad)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(ct, ct2) {
		t.Error("two encryptions of the same plaintext are equal")
	}
	if bytes.Contains(ct, plain) {
		t.Error("ciphertext contains the plaintext")
	}
	tests := []struct {
		name string
		aead app.AEAD
		ct   []byte
		ad   []byte
	}{
		{"other associated data", aead, ct, []byte("patient\x00p2\x00v1")},
		{"no associated data", aead, ct, nil},
		{"other vault", b.keys.RecordAEAD(), ct, ad},
		{"truncated", aead, ct[:len(ct)-1], ad},
		{"empty", aead, nil, ad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.aead.Decrypt(tt.ct, tt.ad); !errors.Is(err, app.ErrTampered) {
				t.Fatalf("err = %v, want ErrTampered", err)
			}
		})
	}
	t.Run("every bit flip", func(t *testing.T) {
		for bit := range len(ct) * 8 {
			if _, err := aead.Decrypt(flipBit(ct, bit), ad); err == nil {
				t.Errorf("bit %d flipped: decrypts", bit)
			}
		}
	})
	t.Run("round trip", func(t *testing.T) {
		got, err := aead.Decrypt(ct, ad)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("Decrypt = %q, %v", got, err)
		}
	})
}

func TestToken(t *testing.T) {
	a, b := newVault(t), newVault(t)
	t1 := a.keys.Token([]byte("smith"))
	tests := []struct {
		name  string
		other []byte
		same  bool
	}{
		{"same term, same vault", a.keys.Token([]byte("smith")), true},
		{"other term", a.keys.Token([]byte("smyth")), false},
		{"same term, other vault", b.keys.Token([]byte("smith")), false},
	}
	if len(t1) != 16 {
		t.Fatalf("token is %d bytes, want 16", len(t1))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.other) != 16 || bytes.Equal(t1, tt.other) != tt.same {
				t.Fatalf("token %x vs %x: same = %v, want %v", t1, tt.other, !tt.same, tt.same)
			}
		})
	}
}

func TestSignVerify(t *testing.T) {
	a, b := newVault(t), newVault(t)
	msg := app.CheckpointMessage(42, bytes.Repeat([]byte{7}, 32))
	sig, err := a.keys.Sign(msg)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		k    *crypto.Keyring
		msg  []byte
		sig  []byte
		want error
	}{
		{"valid", a.keys, msg, sig, nil},
		{"other message", a.keys, app.CheckpointMessage(43, bytes.Repeat([]byte{7}, 32)), sig, app.ErrTampered},
		{"flipped signature", a.keys, msg, flipBit(sig, 3), app.ErrTampered},
		{"empty signature", a.keys, msg, nil, app.ErrTampered},
		{"other vault", b.keys, msg, sig, app.ErrTampered},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.k.Verify(tt.msg, tt.sig); !errors.Is(err, tt.want) {
				t.Fatalf("Verify err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestAudit(t *testing.T) {
	a, b := newVault(t), newVault(t)
	pub, err := a.keys.AuditPublicKey()
	if err != nil {
		t.Fatal(err)
	}
	s, err := crypto.NewAuditSealer(pub)
	if err != nil {
		t.Fatal(err)
	}
	event, info := []byte(`{"user":"alice","action":"login","outcome":"failed"}`), []byte("audit\x00seq 7")
	sealed, err := s.Seal(event, info)
	if err != nil {
		t.Fatal(err)
	}
	got, err := a.keys.OpenAudit(sealed, info)
	if err != nil || !bytes.Equal(got, event) {
		t.Fatalf("OpenAudit = %q, %v", got, err)
	}
	fails := []struct {
		name   string
		k      *crypto.Keyring
		sealed []byte
		info   []byte
	}{
		{"wrong context", a.keys, sealed, []byte("audit\x00seq 8")},
		{"other vault", b.keys, sealed, info},
		{"flipped", a.keys, flipBit(sealed, 100), info},
		{"truncated", a.keys, sealed[:10], info},
	}
	for _, tt := range fails {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.k.OpenAudit(tt.sealed, tt.info); !errors.Is(err, app.ErrTampered) {
				t.Fatalf("err = %v, want ErrTampered", err)
			}
		})
	}
	garbage := []struct {
		name string
		pub  []byte
	}{
		{"nil", nil},
		{"text", []byte("not a keyset")},
		{"truncated", pub[:len(pub)/2]},
		{"bundle", a.bundle},
	}
	for _, tt := range garbage {
		t.Run("sealer from "+tt.name, func(t *testing.T) {
			if _, err := crypto.NewAuditSealer(tt.pub); !errors.Is(err, crypto.ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
		})
	}
}

func TestClose(t *testing.T) {
	v := newVault(t)
	other := newVault(t)
	aead := v.keys.RecordAEAD()
	ct, err := aead.Encrypt([]byte("x"), nil)
	if err != nil {
		t.Fatal(err)
	}
	v.keys.Close()
	v.keys.Close() // idempotent
	checks := []struct {
		name string
		err  error
	}{
		{"Bundle", func() error { _, err := v.keys.Bundle(); return err }()},
		{"PasswordSlot", func() error { _, err := v.keys.PasswordSlot("a", []byte("b"), testSeed, crypto.FastKDF()); return err }()},
		{"RecoverySlot", func() error { _, err := v.keys.RecoverySlot(v.recoveryKey); return err }()},
		{"Encrypt", func() error { _, err := aead.Encrypt([]byte("x"), nil); return err }()},
		{"Decrypt", func() error { _, err := aead.Decrypt(ct, nil); return err }()},
		{"BlobAEAD", func() error { _, err := v.keys.BlobAEAD(); return err }()},
		{"Sign", func() error { _, err := v.keys.Sign(nil); return err }()},
		{"Verify", v.keys.Verify(nil, nil)},
		{"AuditPublicKey", func() error { _, err := v.keys.AuditPublicKey(); return err }()},
		{"OpenAudit", func() error { _, err := v.keys.OpenAudit(nil, nil); return err }()},
	}
	for _, c := range checks {
		if !errors.Is(c.err, app.ErrLocked) {
			t.Errorf("%s after Close: err = %v, want ErrLocked", c.name, c.err)
		}
	}
	if tok := v.keys.Token([]byte("x")); tok != nil {
		t.Errorf("Token after Close = %x, want nil", tok)
	}
	if v.keys.SameVault(v.keys) || v.keys.SameVault(other.keys) || other.keys.SameVault(v.keys) {
		t.Error("a closed keyring is the same vault as something")
	}
	var nilKeys *crypto.Keyring
	if _, err := nilKeys.Sign(nil); !errors.Is(err, app.ErrLocked) {
		t.Errorf("nil keyring Sign: err = %v, want ErrLocked", err)
	}
}

// Run with -race: the keyring is used from many goroutines while it closes.
func TestConcurrentUse(t *testing.T) {
	v := newVault(t)
	aead := v.keys.RecordAEAD()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 50 {
				v.keys.Token([]byte{byte(i)})
				if ct, err := aead.Encrypt([]byte("x"), nil); err == nil {
					_, _ = aead.Decrypt(ct, nil)
				}
				_, _ = v.keys.Sign([]byte("m"))
			}
		})
	}
	wg.Go(v.keys.Close)
	wg.Wait()
}

func TestBlobAEAD(t *testing.T) {
	v := newVault(t)
	s, err := v.keys.BlobAEAD()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := s.NewEncryptingWriter(&buf, []byte("blob-1"))
	if err != nil {
		t.Fatal(err)
	}
	page := bytes.Repeat([]byte("scan"), 1000)
	if _, err := w.Write(page); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := s.NewDecryptingReader(bytes.NewReader(buf.Bytes()), []byte("blob-1"))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := out.ReadFrom(r); err != nil || !bytes.Equal(out.Bytes(), page) {
		t.Fatalf("blob round trip: %d bytes, %v", out.Len(), err)
	}
}
