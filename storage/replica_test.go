package storage

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"folio/app"
)

// replicaPair is two devices' vaults sharing the organisation's keys.
func replicaPair(t *testing.T) (a, b *fixture) {
	t.Helper()
	a, b = newFixture(t, Options{}), newFixture(t, Options{})
	b.aead, b.rec = a.aead, b.db.Records(a.aead)
	return a, b
}

// sharedBase is replicaPair with the record p written on a and imported
// by b, a's push acknowledged: the version base both then fork from.
func sharedBase(t *testing.T) (a, b *fixture, base app.Version) {
	t.Helper()
	a, b = replicaPair(t)
	v := a.commit(t, write(kindP, "p", app.Version{}, "base"))
	if _, err := b.db.Replica().ImportVersions(context.Background(), b.aead, sent(t, a), dataTokens); err != nil {
		t.Fatal(err)
	}
	if err := a.db.Oplog().Ack(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	return a, b, v[0]
}

// sent is what a device pushes: the sealed versions of its oplog.
func sent(t *testing.T, f *fixture) []SealedVersion {
	t.Helper()
	ctx := context.Background()
	ops, err := f.db.Oplog().Pending(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []SealedVersion
	for _, op := range ops {
		sv, err := f.db.Replica().Sealed(ctx, op.Kind, op.ID, op.Version)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, sv)
	}
	return out
}

// dataTokens indexes a version under its whole payload, as a stand-in for
// the app's per-kind token derivation.
func dataTokens(r app.StoredRecord) ([][]byte, error) { return [][]byte{r.Data}, nil }

func headData(t *testing.T, f *fixture, id string) (app.StoredRecord, string) {
	t.Helper()
	r, err := f.rec.Head(context.Background(), kindP, id)
	if err != nil {
		t.Fatal(err)
	}
	return r, string(r.Data)
}

// Versions cross to another replica as sealed; a replay stores nothing;
// the index follows; the clock passes what was seen; the oplog holds only
// local writes.
func TestImportVersions(t *testing.T) {
	ctx := context.Background()
	a, b := replicaPair(t)
	v := a.commit(t, write(kindP, "p", app.Version{}, "first"))
	a.commit(t, write(kindP, "p", v[0], "second"))
	out := sent(t, a)
	rep, err := b.db.Replica().ImportVersions(ctx, b.aead, out, dataTokens)
	if err != nil || rep.Stored != 2 || rep.Known != 0 || len(rep.Changed) != 1 || len(rep.Forked) != 0 {
		t.Fatalf("import: %+v, %v", rep, err)
	}
	if _, d := headData(t, b, "p"); d != "second" {
		t.Fatalf("head on b: %q", d)
	}
	if ids, err := b.rec.Lookup(ctx, tok("second")); err != nil || !slices.Equal(ids, []string{"p"}) {
		t.Fatalf("index on b: %v, %v", ids, err)
	}
	if ops, _ := b.db.Oplog().Pending(ctx, 0, 0); len(ops) != 0 {
		t.Fatalf("imported versions entered b's oplog: %v", ops)
	}
	if rep, err := b.db.Replica().ImportVersions(ctx, b.aead, out, dataTokens); err != nil || rep.Stored != 0 || rep.Known != 2 || len(rep.Changed) != 0 {
		t.Fatalf("replay: %+v, %v", rep, err)
	}
	// b writes on top with its own, slower clock: its version still orders
	// after a's.
	b.db.now = func() time.Time { return time.Unix(0, 0) }
	head, _ := headData(t, b, "p")
	nv := b.commit(t, write(kindP, "p", head.Version, "third", "third"))
	if !head.Version.Less(nv[0]) {
		t.Fatalf("b's version %s does not order after %s", nv[0], head.Version)
	}
	if ir, err := b.db.CheckIntegrity(ctx, b.aead, newSigner(t).verify); err != nil || len(ir.Problems) > 0 {
		t.Fatalf("integrity on b: %+v, %v", ir, err)
	}
}

// Two devices amend the same record offline: after they exchange, both
// keep both versions, pick the same current one, and list the conflict
// until it is resolved.
func TestImportForkedRecord(t *testing.T) {
	ctx := context.Background()
	a, b, base := sharedBase(t)
	a.commit(t, write(kindP, "p", base, "from a", "from a"))
	b.commit(t, write(kindP, "p", base, "from b", "from b"))
	fromA, fromB := sent(t, a), sent(t, b)
	ra, err := a.db.Replica().ImportVersions(ctx, a.aead, fromB, dataTokens)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := b.db.Replica().ImportVersions(ctx, b.aead, fromA, dataTokens)
	if err != nil {
		t.Fatal(err)
	}
	if len(ra.Forked) != 1 || len(rb.Forked) != 1 {
		t.Fatalf("forks: a %+v, b %+v", ra, rb)
	}
	ha, da := headData(t, a, "p")
	hb, db := headData(t, b, "p")
	if ha.Version != hb.Version || da != db {
		t.Fatalf("the replicas chose different versions: a %s %q, b %s %q", ha.Version, da, hb.Version, db)
	}
	for _, f := range []*fixture{a, b} {
		hist, err := f.rec.History(ctx, kindP, "p")
		if err != nil || len(hist) != 3 {
			t.Fatalf("history: %d versions, %v", len(hist), err)
		}
		cs, err := f.db.Replica().Conflicts(ctx)
		if err != nil || len(cs) != 1 || cs[0].ID != "p" || len(cs[0].Tips) != 2 {
			t.Fatalf("conflicts: %+v, %v", cs, err)
		}
		if ids, _ := f.rec.Lookup(ctx, []byte(da)); !slices.Equal(ids, []string{"p"}) {
			t.Fatalf("index does not follow the chosen version %q: %v", da, ids)
		}
		if ir, err := f.db.CheckIntegrity(ctx, f.aead, newSigner(t).verify); err != nil || len(ir.Problems) > 0 {
			t.Fatalf("integrity with a fork: %+v, %v", ir, err)
		}
		if err := f.db.Replica().ResolveConflict(ctx, kindP, "p"); err != nil {
			t.Fatal(err)
		}
		if cs, _ := f.db.Replica().Conflicts(ctx); len(cs) != 0 {
			t.Fatalf("after resolving: %+v", cs)
		}
	}
}

// A ciphertext changed on the way, or one sealed with another vault's
// key, is refused and nothing of the import is stored.
func TestImportRefusesTampered(t *testing.T) {
	ctx := context.Background()
	a, b := replicaPair(t)
	a.commit(t, write(kindP, "p", app.Version{}, "one"), write(kindP, "q", app.Version{}, "two"))
	out := sent(t, a)
	bad := slices.Clone(out)
	bad[1].Ciphertext = slices.Clone(bad[1].Ciphertext)
	bad[1].Ciphertext[len(bad[1].Ciphertext)/2] ^= 1
	moved := slices.Clone(out)
	moved[0].ID = "elsewhere"
	stranger := newFixture(t, Options{})
	for name, vs := range map[string][]SealedVersion{"a flipped bit": bad, "a version moved to another record": moved} {
		if _, err := b.db.Replica().ImportVersions(ctx, b.aead, vs, dataTokens); !errors.Is(err, app.ErrTampered) {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if _, err := stranger.db.Replica().ImportVersions(ctx, stranger.aead, out, dataTokens); !errors.Is(err, app.ErrTampered) {
		t.Fatalf("another vault's versions: %v", err)
	}
	if _, err := b.rec.Head(ctx, kindP, "p"); !errors.Is(err, app.ErrNotFound) {
		t.Fatalf("a refused import stored something: %v", err)
	}
}

// The conflict marker lists the tips of the branches, so replicas holding
// the same versions list the same tips whatever order they came in:
// a version continuing a branch, written here or imported, replaces its
// parent in the list.
func TestConflictTipsFollowBranches(t *testing.T) {
	ctx := context.Background()
	a, b, base := sharedBase(t)
	a1 := a.commit(t, write(kindP, "p", base, "a1"))
	b1 := b.commit(t, write(kindP, "p", base, "b1"))
	b2 := b.commit(t, write(kindP, "p", b1[0], "b2"))
	fromA, fromB := sent(t, a), sent(t, b)
	if _, err := a.db.Replica().ImportVersions(ctx, a.aead, fromB, dataTokens); err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.Replica().ImportVersions(ctx, b.aead, fromA, dataTokens); err != nil {
		t.Fatal(err)
	}
	tips := func(f *fixture) []app.Version {
		t.Helper()
		cs, err := f.db.Replica().Conflicts(ctx)
		if err != nil || len(cs) != 1 {
			t.Fatalf("conflicts: %+v, %v", cs, err)
		}
		return cs[0].Tips
	}
	want := []app.Version{a1[0], b2[0]}
	slices.SortFunc(want, func(x, y app.Version) int {
		if x.Less(y) {
			return -1
		}
		return 1
	})
	if ta, tb := tips(a), tips(b); !slices.Equal(ta, want) || !slices.Equal(tb, want) {
		t.Fatalf("tips: a %v, b %v; want %v (b1 is continued by b2)", ta, tb, want)
	}
	// a writes on its current version, b1's branch continues on b: both
	// replace their parents.
	head, _ := headData(t, a, "p")
	if err := a.db.Oplog().Ack(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if err := b.db.Oplog().Ack(ctx, 2); err != nil {
		t.Fatal(err)
	}
	a2 := a.commit(t, write(kindP, "p", head.Version, "a2"))
	if _, err := b.db.Replica().ImportVersions(ctx, b.aead, sent(t, a), dataTokens); err != nil {
		t.Fatal(err)
	}
	ta, tb := tips(a), tips(b)
	if !slices.Equal(ta, tb) || !slices.Contains(ta, a2[0]) || slices.Contains(ta, head.Version) || len(ta) != 2 {
		t.Fatalf("after a2 on %s: a %v, b %v", head.Version, ta, tb)
	}
}
