package storage

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"

	bolt "go.etcd.io/bbolt"

	"folio/app"
)

// A version's endorsement is kept with it, in clear, read back with the
// version, sent as sealed and kept by the replica that imports it; a
// version without one reads back none.
func TestEndorsementKeptWithVersion(t *testing.T) {
	ctx := context.Background()
	a, b := replicaPair(t)
	endorsement := []byte(`{"signer":"admin","content":"c2lnbmVk","signature":"c2ln"}`)
	w := write("user", "clerk", app.Version{}, "the user")
	w.Endorsement = endorsement
	vs := a.commit(t, w, write(kindP, "p", app.Version{}, "a patient"))

	head, err := a.rec.Head(ctx, "user", "clerk")
	if err != nil || !bytes.Equal(head.Endorsement, endorsement) || string(head.Data) != "the user" {
		t.Fatalf("head: %+v, %v", head, err)
	}
	if p, _ := headData(t, a, "p"); p.Endorsement != nil {
		t.Fatalf("a version written without an endorsement reads back %q", p.Endorsement)
	}
	hist, err := a.rec.History(ctx, "user", "clerk")
	if err != nil || len(hist) != 1 || !bytes.Equal(hist[0].Endorsement, endorsement) {
		t.Fatalf("history: %+v, %v", hist, err)
	}
	sv, err := a.db.Replica().Sealed(ctx, "user", "clerk", vs[0])
	if err != nil || !bytes.Equal(sv.Endorsement, endorsement) {
		t.Fatalf("sealed: %+v, %v", sv, err)
	}

	// The endorsement is in clear (the archive checks it), the data not.
	a.reopen(t, Options{})
	raw, err := os.ReadFile(a.path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, endorsement) || bytes.Contains(raw, []byte("the user")) {
		t.Fatal("the endorsement is not in clear beside a sealed payload")
	}

	rep, err := b.db.Replica().ImportVersions(ctx, b.aead, sent(t, a), dataTokens)
	if err != nil || rep.Stored != 2 {
		t.Fatalf("import: %+v, %v", rep, err)
	}
	got, err := b.rec.Head(ctx, "user", "clerk")
	if err != nil || !bytes.Equal(got.Endorsement, endorsement) {
		t.Fatalf("imported head: %+v, %v", got, err)
	}
	if sv, err := b.db.Replica().Sealed(ctx, "user", "clerk", vs[0]); err != nil || !bytes.Equal(sv.Endorsement, endorsement) {
		t.Fatalf("imported, sent on: %+v, %v", sv, err)
	}
	if ir, err := b.db.CheckIntegrity(ctx, b.aead, newSigner(t).verify); err != nil || len(ir.Problems) > 0 {
		t.Fatalf("integrity: %+v, %v", ir, err)
	}

	big := write("user", "other", app.Version{}, "x")
	big.Endorsement = bytes.Repeat([]byte{'e'}, maxEndorsement+1)
	if _, err := a.rec.Commit(ctx, app.Commit{Writes: []app.RecordWrite{big}}); !errors.Is(err, app.ErrInvalid) {
		t.Fatalf("an oversized endorsement: %v", err)
	}
}

// Versions stored in format 1, before endorsements existed, still read.
func TestVersionFormat1StillReads(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{})
	vs := f.commit(t, write(kindP, "p", app.Version{}, "old"))
	key := versionKey(kindP, "p", vs[0])
	f.raw(t, func(tx *bolt.Tx) error {
		val := tx.Bucket(bucketVersions).Get(key)
		if val[0] != versionFormat1 {
			t.Fatalf("a version without an endorsement is written in format %d", val[0])
		}
		return nil
	})
	r, err := f.rec.Head(ctx, kindP, "p")
	if err != nil || string(r.Data) != "old" || r.Endorsement != nil {
		t.Fatalf("format 1 head: %+v, %v", r, err)
	}
}
