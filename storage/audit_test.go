package storage

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"folio/app"
)

type signer struct {
	pub  ed25519.PublicKey
	priv ed25519.PrivateKey
}

func newSigner(t testing.TB) signer {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return signer{pub, priv}
}

func (s signer) verify(msg, sig []byte) error {
	if !ed25519.Verify(s.pub, msg, sig) {
		return errors.New("bad signature")
	}
	return nil
}

// Sign and Verify make a signer the app.AuditKey of a test chain.
func (s signer) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(s.priv, msg), nil }
func (s signer) Verify(msg, sig []byte) error    { return s.verify(msg, sig) }

// checkpoint signs the chain's current head, as the app does, and returns
// the newest checkpoint.
func (s signer) checkpoint(t testing.TB, db *DB) app.AuditCheckpoint {
	t.Helper()
	ctx := context.Background()
	if err := db.Audit().Checkpoint(ctx, s); err != nil {
		t.Fatal(err)
	}
	cps, err := db.Audit().Checkpoints(ctx)
	if err != nil || len(cps) == 0 {
		t.Fatalf("checkpoints %v %v", cps, err)
	}
	return cps[len(cps)-1]
}

func events(from, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = []byte(fmt.Sprintf("sealed event %d", from+i))
	}
	return out
}

func TestAuditChain(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{})
	if head, err := f.db.Audit().AuditHead(ctx); err != nil || head.Seq != 0 || head.Hash != nil {
		t.Fatalf("empty head %+v %v", head, err)
	}
	for range f.db.Audit().AuditEntries(ctx) {
		t.Fatal("entries in an empty chain")
	}
	if err := f.db.Audit().AppendAudit(ctx, nil); err != nil {
		t.Fatal(err)
	}
	n := 2*auditPage + 3 // several pages
	if err := f.db.Audit().AppendAudit(ctx, events(1, 10)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.rec.Commit(ctx, app.Commit{Writes: []app.RecordWrite{write(kindP, "p", app.Version{}, "x")}, Audit: events(11, 2)}); err != nil {
		t.Fatal(err)
	}
	if err := f.db.Audit().AppendAudit(ctx, events(13, n-12)); err != nil {
		t.Fatal(err)
	}
	prev := make([]byte, 32)
	seq := uint64(0)
	for e, err := range f.db.Audit().AuditEntries(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		seq++
		h := sha256.New()
		h.Write(prev)
		h.Write(seqKey(seq))
		h.Write(e.Sealed)
		if e.Seq != seq || string(e.Sealed) != fmt.Sprintf("sealed event %d", seq) || !bytes.Equal(e.Hash, h.Sum(nil)) {
			t.Fatalf("entry %d = {%d %q %x}", seq, e.Seq, e.Sealed, e.Hash)
		}
		prev = e.Hash
	}
	if seq != uint64(n) {
		t.Fatalf("%d entries, want %d", seq, n)
	}
	head, err := f.db.Audit().AuditHead(ctx)
	if err != nil || head.Seq != uint64(n) || !bytes.Equal(head.Hash, prev) {
		t.Fatalf("head %+v %v", head, err)
	}
	// The loop body may append: no transaction is held across a yield.
	i := 0
	for _, err := range f.db.Audit().AuditEntries(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if i++; i == 3 {
			if err := f.db.Audit().AppendAudit(ctx, [][]byte{[]byte("appended while reading")}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if i != n+1 {
		t.Fatalf("read %d entries, want %d", i, n+1)
	}
}

func TestCheckpoints(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{})
	s := newSigner(t)
	if err := f.db.Audit().AppendAudit(ctx, events(1, 5)); err != nil {
		t.Fatal(err)
	}
	cp5 := s.checkpoint(t, f.db)
	if err := f.db.Audit().AppendAudit(ctx, events(6, 2)); err != nil {
		t.Fatal(err)
	}
	cp7 := s.checkpoint(t, f.db)
	// Signing the same head again keeps the first checkpoint.
	if err := f.db.Audit().Checkpoint(ctx, newSigner(t)); !errors.Is(err, app.ErrTampered) {
		t.Fatalf("a checkpoint with another key: %v, want ErrTampered", err)
	}
	s.checkpoint(t, f.db)
	cps, err := f.db.Audit().Checkpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(cps) != 2 || cps[0].Seq != 5 || cps[1].Seq != 7 || !bytes.Equal(cps[1].Signature, cp7.Signature) || !bytes.Equal(cps[0].Hash, cp5.Hash) {
		t.Fatalf("checkpoints %+v", cps)
	}
	rep, err := f.db.Audit().VerifyChain(ctx, s.verify)
	if err != nil || len(rep.Problems) > 0 || rep.Entries != 7 || rep.Checkpoints != 2 || rep.HeadSeq != 7 {
		t.Fatalf("VerifyChain = %+v, %v", rep, err)
	}
	if _, err := f.db.Audit().VerifyChain(ctx, nil); !errors.Is(err, app.ErrInvalid) {
		t.Fatalf("nil verifier: %v", err)
	}
}

// Every way of editing the stored chain is reported by VerifyChain.
func TestVerifyChainFindsTampering(t *testing.T) {
	ctx := context.Background()
	s := newSigner(t)
	other := newSigner(t)
	get := func(tx *bolt.Tx, seq uint64) []byte { return bytes.Clone(tx.Bucket(bucketAudit).Get(seqKey(seq))) }
	put := func(tx *bolt.Tx, seq uint64, v []byte) error { return tx.Bucket(bucketAudit).Put(seqKey(seq), v) }
	// rehash rewrites the chain's hashes from seq on so every link holds:
	// only a signed checkpoint can tell.
	rehash := func(tx *bolt.Tx, from uint64) error {
		var prev []byte
		if from > 1 {
			prev, _, _ = decodeAuditValue(get(tx, from-1))
		}
		c := tx.Bucket(bucketAudit).Cursor()
		for k, v := c.Seek(seqKey(from)); k != nil; k, v = c.Next() {
			seq, _ := decodeSeq(k)
			_, sealed, _ := decodeAuditValue(v)
			h := chainHash(prev, seq, sealed)
			if err := put(tx, seq, encodeAuditValue(h, sealed)); err != nil {
				return err
			}
			prev = h
		}
		return nil
	}
	for _, tc := range []struct {
		name   string
		tamper func(tx *bolt.Tx) error
		want   []string
	}{
		{"event edited", func(tx *bolt.Tx) error {
			v := get(tx, 4)
			v[len(v)-1] ^= 1
			return put(tx, 4, v)
		}, []string{"audit entry 4: its hash does not match", "audit checkpoint 10: the chain up to entry 10 no longer matches"}},
		{"event edited, chain rehashed", func(tx *bolt.Tx) error {
			v := get(tx, 4)
			v[len(v)-1] ^= 1
			if err := put(tx, 4, v); err != nil {
				return err
			}
			return rehash(tx, 4)
		}, []string{"audit checkpoint 10: the chain up to entry 10 no longer matches"}},
		{"entry deleted", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketAudit).Delete(seqKey(6))
		}, []string{"audit entry 6 is missing", "audit checkpoint 10"}},
		{"entries deleted and renumbered", func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketAudit)
			for seq := uint64(3); seq < 12; seq++ {
				_, sealed, _ := decodeAuditValue(get(tx, seq+1))
				if err := put(tx, seq, encodeAuditValue(make([]byte, 32), sealed)); err != nil {
					return err
				}
			}
			if err := b.Delete(seqKey(12)); err != nil {
				return err
			}
			return rehash(tx, 3)
		}, []string{"audit checkpoint 10: the chain up to entry 10 no longer matches"}},
		{"entries reordered", func(tx *bolt.Tx) error {
			a, b := get(tx, 3), get(tx, 4)
			if err := put(tx, 3, b); err != nil {
				return err
			}
			return put(tx, 4, a)
		}, []string{"audit entry 3: its hash does not match", "audit entry 4: its hash does not match"}},
		{"entry inserted", func(tx *bolt.Tx) error {
			for seq := uint64(12); seq >= 5; seq-- {
				if err := put(tx, seq+1, get(tx, seq)); err != nil {
					return err
				}
			}
			if err := put(tx, 5, encodeAuditValue(make([]byte, 32), []byte("forged event"))); err != nil {
				return err
			}
			return rehash(tx, 5)
		}, []string{"audit checkpoint 10: the chain up to entry 10 no longer matches"}},
		{"tail removed past a checkpoint", func(tx *bolt.Tx) error {
			for seq := uint64(9); seq <= 12; seq++ {
				if err := tx.Bucket(bucketAudit).Delete(seqKey(seq)); err != nil {
					return err
				}
			}
			return nil
		}, []string{"audit checkpoint 10: beyond the end of the chain (last entry 8)"}},
		{"first entry deleted", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketAudit).Delete(seqKey(1))
		}, []string{"audit entry 1 is missing", "audit checkpoint 10"}},
		{"checkpoint signature forged", func(tx *bolt.Tx) error {
			h, _, _ := decodeAuditValue(get(tx, 10))
			sig := ed25519.Sign(other.priv, app.CheckpointMessage(10, h))
			return tx.Bucket(bucketCheckpoints).Put(seqKey(10), encodeCheckpoint(h, sig))
		}, []string{"audit checkpoint 10: the signature does not verify"}},
		{"checkpoint moved to another seq", func(tx *bolt.Tx) error {
			cp := bytes.Clone(tx.Bucket(bucketCheckpoints).Get(seqKey(10)))
			return tx.Bucket(bucketCheckpoints).Put(seqKey(11), cp)
		}, []string{"audit checkpoint 11: the signature does not verify"}},
		{"entry damaged", func(tx *bolt.Tx) error {
			return put(tx, 7, []byte("short"))
		}, []string{"audit entry 7", "audit checkpoint 10"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, Options{})
			if err := f.db.Audit().AppendAudit(ctx, events(1, 10)); err != nil {
				t.Fatal(err)
			}
			s.checkpoint(t, f.db)
			if err := f.db.Audit().AppendAudit(ctx, events(11, 2)); err != nil {
				t.Fatal(err)
			}
			if rep, err := f.db.Audit().VerifyChain(ctx, s.verify); err != nil || len(rep.Problems) > 0 {
				t.Fatalf("before: %+v %v", rep, err)
			}
			f.raw(t, tc.tamper)
			rep, err := f.db.Audit().VerifyChain(ctx, s.verify)
			if err != nil {
				t.Fatal(err)
			}
			all := strings.Join(rep.Problems, "\n")
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Fatalf("problems %q do not mention %q", rep.Problems, w)
				}
			}
			ir, err := f.db.CheckIntegrity(ctx, f.aead, s.verify)
			if err != nil || len(ir.Problems) == 0 || ir.Checkpoints == 0 {
				t.Fatalf("CheckIntegrity: %+v %v", ir, err)
			}
		})
	}
}

func TestCheckIntegrityClean(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{})
	s := newSigner(t)
	v := f.commit(t, write(kindP, "p", app.Version{}, "x", "t1"), write(kindU, "u", app.Version{}, "y"))
	if _, err := f.rec.Commit(ctx, app.Commit{Writes: []app.RecordWrite{write(kindP, "p", v[0], "x2", "t2")}, Audit: events(1, 3), AuditKey: s}); err != nil {
		t.Fatal(err)
	}
	s.checkpoint(t, f.db)
	ir, err := f.db.CheckIntegrity(ctx, f.aead, s.verify)
	if err != nil || len(ir.Problems) > 0 {
		t.Fatalf("%+v %v", ir, err)
	}
	want := app.IntegrityReport{Records: 2, Versions: 3, IndexEntries: 1, AuditEntries: 3, Checkpoints: 1}
	ir.Problems, ir.Notes = nil, nil
	if fmt.Sprint(ir) != fmt.Sprint(want) {
		t.Fatalf("report %+v, want %+v", ir, want)
	}
}

// The keyed head: entries appended without the key are noted, not
// flagged, and the next signed append authenticates them; a signed append
// or checkpoint never re-signs a chain changed behind the key's back; a
// chain from before keyed heads is keyed from where it stands.
func TestKeyedHead(t *testing.T) {
	ctx := context.Background()
	s := newSigner(t)
	f := newFixture(t, Options{})
	state := func() app.AuditState {
		t.Helper()
		st, err := f.db.Audit().AuditState(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	check := func(wantProblem, wantNote string) {
		t.Helper()
		rep, err := f.db.Audit().VerifyChain(ctx, s.verify)
		if err != nil {
			t.Fatal(err)
		}
		problems, notes := strings.Join(rep.Problems, "\n"), strings.Join(rep.Notes, "\n")
		if (wantProblem == "") != (problems == "") || !strings.Contains(problems, wantProblem) {
			t.Fatalf("problems %q, want %q", rep.Problems, wantProblem)
		}
		if (wantNote == "") != (notes == "") || !strings.Contains(notes, wantNote) {
			t.Fatalf("notes %q, want %q", rep.Notes, wantNote)
		}
	}

	// A chain from before keyed heads: flagged until keyed, then keyed
	// from its last entry.
	if err := f.db.Audit().AppendAudit(ctx, events(1, 4)); err != nil {
		t.Fatal(err)
	}
	check("has no keyed head", "")
	if err := f.db.Audit().AppendSignedAudit(ctx, events(5, 1), s); err != nil {
		t.Fatal(err)
	}
	if st := state(); !st.Keyed || st.KeyedFrom != 4 || st.KeyedSeq != 5 {
		t.Fatalf("after the first signed append: %+v", st)
	}
	check("", "audit entries 1 to 4 were written before the audit trail was keyed")

	// Appends while locked: linked, noted, then authenticated.
	if err := f.db.Audit().AppendAudit(ctx, events(6, 3)); err != nil {
		t.Fatal(err)
	}
	if st := state(); st.Unauthenticated() != 3 || st.KeyedSeq != 5 {
		t.Fatalf("after locked appends: %+v", st)
	}
	check("", "audit entries 6 to 8 were written while the vault was locked")
	if err := f.db.Audit().AppendAudit(ctx, events(9, 1)); err != nil {
		t.Fatal(err)
	}
	check("", "audit entries 6 to 9 were written while the vault was locked")
	if err := f.db.Audit().AppendSignedAudit(ctx, events(10, 1), s); err != nil {
		t.Fatal(err)
	}
	if st := state(); st.Unauthenticated() != 0 || st.KeyedSeq != 10 {
		t.Fatalf("after a signed append: %+v", st)
	}

	// An entry edited and the chain re-linked, as an attacker would: the
	// next signed append keeps the head where it was, the checkpoint
	// refuses, and verify keeps reporting it.
	f.raw(t, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAudit)
		var prev []byte
		for seq := uint64(1); seq <= 10; seq++ {
			_, sealed, _ := decodeAuditValue(b.Get(seqKey(seq)))
			if seq == 6 {
				sealed = []byte("forged event")
			}
			prev = AuditLink(prev, seq, sealed)
			if err := b.Put(seqKey(seq), encodeAuditValue(prev, sealed)); err != nil {
				return err
			}
		}
		return nil
	})
	if err := f.db.Audit().AppendSignedAudit(ctx, events(11, 1), s); err != nil {
		t.Fatal(err)
	}
	if st := state(); st.KeyedSeq != 10 {
		t.Fatalf("a signed append re-signed a rewritten chain: %+v", st)
	}
	if err := f.db.Audit().Checkpoint(ctx, s); !errors.Is(err, app.ErrTampered) {
		t.Fatalf("checkpoint of a rewritten chain: %v, want ErrTampered", err)
	}
	if err := f.db.Audit().CheckAuditHead(ctx, nil); !errors.Is(err, app.ErrTampered) {
		t.Fatalf("keyless check of a rewritten chain: %v, want ErrTampered", err)
	}
	check("no longer matches its keyed head", "audit entry 11 was written while the vault was locked")
}
