package storage

import (
	"bytes"
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"folio/app"
)

const (
	kindP = app.KindPatient
	kindU = app.KindUser
)

func TestCommitAndHead(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{})
	vs := f.commit(t, write(kindP, "p1", app.Version{}, `{"name":"one"}`, "t1", "t2"), write(kindU, "alice", app.Version{}, "user"))
	if len(vs) != 2 || vs[0].IsZero() || vs[1].IsZero() || !vs[0].Less(vs[1]) {
		t.Fatalf("versions %v", vs)
	}
	if vs[0].Device != f.db.DeviceID() || f.db.DeviceID() == 0 {
		t.Fatalf("device %v, db device %v", vs[0].Device, f.db.DeviceID())
	}
	rec, err := f.rec.Head(ctx, kindP, "p1")
	if err != nil {
		t.Fatal(err)
	}
	want := app.StoredRecord{Kind: kindP, ID: "p1", Version: vs[0], Data: []byte(`{"name":"one"}`)}
	if rec.Kind != want.Kind || rec.ID != want.ID || rec.Version != want.Version || !rec.Parent.IsZero() || !bytes.Equal(rec.Data, want.Data) {
		t.Fatalf("head %+v, want %+v", rec, want)
	}
	// The caller owns Data.
	rec.Data[0] = 'X'
	again, _ := f.rec.Head(ctx, kindP, "p1")
	if again.Data[0] != '{' {
		t.Fatal("Head returned shared memory")
	}
	// Empty data round-trips.
	v := f.commit(t, write(kindP, "empty", app.Version{}, ""))
	if rec, err := f.rec.Head(ctx, kindP, "empty"); err != nil || len(rec.Data) != 0 || rec.Version != v[0] {
		t.Fatalf("empty record: %+v %v", rec, err)
	}
}

// wantErrEach runs each call as a subtest of its name, which fails unless
// the call's error is want.
func wantErrEach(t *testing.T, want error, calls map[string]func() error) {
	t.Helper()
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			if err := call(); !errors.Is(err, want) {
				t.Fatalf("got %v, want %v", err, want)
			}
		})
	}
}

func TestNotFound(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{})
	f.commit(t, write(kindP, "p1", app.Version{}, "x"))
	wantErrEach(t, app.ErrNotFound, map[string]func() error{
		"head":               func() error { _, err := f.rec.Head(ctx, kindP, "nope"); return err },
		"head of other kind": func() error { _, err := f.rec.Head(ctx, kindU, "p1"); return err },
		"history":            func() error { _, err := f.rec.History(ctx, kindP, "nope"); return err },
		"history of prefix":  func() error { _, err := f.rec.History(ctx, kindP, "p"); return err },
		"tokens":             func() error { _, err := f.rec.Tokens(ctx, kindP, "nope"); return err },
		"meta":               func() error { _, err := f.db.Meta().GetMeta(ctx, "nope"); return err },
	})
}

func TestCommitInvalid(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{})
	big := make([]byte, maxTokenLen+1)
	for _, tc := range []struct {
		name string
		c    app.Commit
	}{
		{"empty kind", app.Commit{Writes: []app.RecordWrite{write("", "a", app.Version{}, "x")}}},
		{"empty id", app.Commit{Writes: []app.RecordWrite{write(kindP, "", app.Version{}, "x")}}},
		{"NUL in id", app.Commit{Writes: []app.RecordWrite{write(kindP, "a\x00b", app.Version{}, "x")}}},
		{"NUL in kind", app.Commit{Writes: []app.RecordWrite{write("pa\x00t", "a", app.Version{}, "x")}}},
		{"long id", app.Commit{Writes: []app.RecordWrite{write(kindP, strings.Repeat("i", maxIDLen+1), app.Version{}, "x")}}},
		{"same record twice", app.Commit{Writes: []app.RecordWrite{write(kindP, "a", app.Version{}, "x"), write(kindP, "a", app.Version{}, "y")}}},
		{"empty token", app.Commit{Writes: []app.RecordWrite{{Kind: kindP, ID: "a", Tokens: [][]byte{{}}}}}},
		{"huge token", app.Commit{Writes: []app.RecordWrite{{Kind: kindP, ID: "a", Tokens: [][]byte{big}}}}},
		{"empty audit event", app.Commit{Audit: [][]byte{{}}}},
		{"reserved meta key", app.Commit{Meta: map[string][]byte{"storage/hlc": {1}}}},
		{"delete reserved meta key", app.Commit{DeleteMeta: []string{"storage/schema"}}},
		{"empty meta key", app.Commit{Meta: map[string][]byte{"": {1}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := f.rec.Commit(ctx, tc.c); !errors.Is(err, app.ErrInvalid) {
				t.Fatalf("got %v, want ErrInvalid", err)
			}
		})
	}
	// Nothing of it was written.
	st, err := f.db.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Versions != 0 || st.AuditEntries != 0 || st.Pending != 0 {
		t.Fatalf("invalid commits wrote something: %+v", st)
	}
	wantErrEach(t, app.ErrInvalid, map[string]func() error{
		"head empty kind":   func() error { _, err := f.rec.Head(ctx, "", "a"); return err },
		"history NUL":       func() error { _, err := f.rec.History(ctx, kindP, "a\x00"); return err },
		"tokens empty id":   func() error { _, err := f.rec.Tokens(ctx, kindP, ""); return err },
		"lookup empty":      func() error { _, err := f.rec.Lookup(ctx, nil); return err },
		"append empty":      func() error { return f.db.Audit().AppendAudit(ctx, [][]byte{nil}) },
		"update reserved":   func() error { return f.db.Meta().UpdateMeta(ctx, map[string][]byte{"storage/device": {1}}, nil) },
		"checkpoint no key": func() error { return f.db.Audit().Checkpoint(ctx, nil) },
		"signed no key":     func() error { return f.db.Audit().AppendSignedAudit(ctx, [][]byte{[]byte("e")}, nil) },
		"heads empty kind": func() error {
			for _, err := range f.rec.Heads(ctx, "") {
				return err
			}
			return nil
		},
	})
}

func TestConflict(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{})
	v1 := f.commit(t, write(kindP, "p1", app.Version{}, "v1", "a"))[0]
	v2 := f.commit(t, write(kindP, "p1", v1, "v2", "b"))[0]
	for _, tc := range []struct {
		name string
		w    app.RecordWrite
	}{
		{"stale parent", write(kindP, "p1", v1, "stale")},
		{"create existing", write(kindP, "p1", app.Version{}, "again")},
		{"parent of a new record", write(kindP, "p2", v2, "new")},
		{"parent from the future", write(kindP, "p1", app.Version{HLC: v2.HLC + 1, Device: v2.Device}, "x")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.rec.Commit(ctx, app.Commit{
				// A valid write first: the whole commit must fail.
				Writes: []app.RecordWrite{write(kindP, "other-"+tc.name, app.Version{}, "ok", "c"), tc.w},
				Audit:  [][]byte{[]byte("event")},
				Meta:   map[string][]byte{"k": []byte("v")},
			})
			if !errors.Is(err, app.ErrConflict) {
				t.Fatalf("got %v, want ErrConflict", err)
			}
		})
	}
	st, err := f.db.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Versions != 2 || st.AuditEntries != 0 || st.Pending != 2 || st.Records[kindP] != 1 {
		t.Fatalf("a failed commit left traces: %+v", st)
	}
	if _, err := f.db.Meta().GetMeta(ctx, "k"); !errors.Is(err, app.ErrNotFound) {
		t.Fatalf("meta of a failed commit: %v", err)
	}
	if ids, _ := f.rec.Lookup(ctx, tok("c")); len(ids) != 0 {
		t.Fatalf("index of a failed commit: %v", ids)
	}
	if rec, _ := f.rec.Head(ctx, kindP, "p1"); rec.Version != v2 || string(rec.Data) != "v2" {
		t.Fatalf("head moved: %+v", rec)
	}
}

func TestHistory(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	f := newFixture(t, Options{Now: clk.Now})
	var vs []app.Version
	parent := app.Version{}
	for i, data := range []string{"first", "second", "third", "fourth"} {
		if i == 2 {
			clk.Add(-time.Hour) // the clock going back does not reorder history
		}
		v := f.commit(t, write(kindP, "p1", parent, data))[0]
		vs = append(vs, v)
		parent = v
		// A neighbour whose id extends p1's must not show up in its history.
		f.commit(t, write(kindP, "p1x"+string(rune('a'+i)), app.Version{}, "neighbour"))
	}
	hist, err := f.rec.History(ctx, kindP, "p1")
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 4 {
		t.Fatalf("%d versions, want 4", len(hist))
	}
	for i, rec := range hist {
		want := app.Version{}
		if i > 0 {
			want = vs[i-1]
		}
		if rec.Version != vs[i] || rec.Parent != want || string(rec.Data) != []string{"first", "second", "third", "fourth"}[i] {
			t.Fatalf("history[%d] = %+v", i, rec)
		}
	}
	head, _ := f.rec.Head(ctx, kindP, "p1")
	if head.Version != vs[3] || head.Parent != vs[2] {
		t.Fatalf("head %+v", head)
	}
}

func TestHLC(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	f := newFixture(t, Options{Now: clk.Now})
	base := uint64(clk.Now().UnixMilli()) << 16
	v := f.commit(t, write(kindP, "a", app.Version{}, "x"), write(kindP, "b", app.Version{}, "x"))
	if v[0].HLC != base || v[1].HLC != base+1 {
		t.Fatalf("HLCs %x %x, want %x and +1", v[0].HLC, v[1].HLC, base)
	}
	last := v[1]
	for i, step := range []time.Duration{0, -time.Hour, -24 * time.Hour, time.Millisecond, 48 * time.Hour, -time.Minute} {
		clk.Add(step)
		got := f.commit(t, write(kindU, "u"+string(rune('a'+i)), app.Version{}, "x"))[0]
		if !last.Less(got) {
			t.Fatalf("step %d (%v): version %v not after %v", i, step, got, last)
		}
		last = got
	}
	// After the clock jumped 48 h ahead, the physical part was taken.
	if last.HLC < (uint64(clk.Now().Add(time.Minute).UnixMilli()) << 16) {
		t.Fatalf("HLC %x ignored the clock", last.HLC)
	}
	// Persisted: a reopen with a clock a day back still goes forward.
	clk.Add(-24 * time.Hour)
	f.reopen(t, Options{Now: clk.Now})
	got := f.commit(t, write(kindU, "after-reopen", app.Version{}, "x"))[0]
	if !last.Less(got) || got.HLC != last.HLC+1 {
		t.Fatalf("after reopen: %v, last %v", got, last)
	}
	if raw, err := f.db.Meta().GetMeta(ctx, metaHLC); err != nil || !bytes.Equal(raw, encodeUint64(got.HLC)) {
		t.Fatalf("stored HLC %x, %v", raw, err)
	}
}

func TestHeads(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{})
	n := 2*headsPage + 17 // several pages
	all := ids(n)
	var ws []app.RecordWrite
	for _, id := range slices.Backward(all) { // insertion order must not matter
		ws = append(ws, write(kindP, id, app.Version{}, "data of "+id))
	}
	ws = append(ws, write(kindU, "zed", app.Version{}, "a user"), write("patientx", "id-00000", app.Version{}, "other kind"))
	f.commit(t, ws...)
	var got []string
	for rec, err := range f.rec.Heads(ctx, kindP) {
		if err != nil {
			t.Fatal(err)
		}
		if rec.Kind != kindP || string(rec.Data) != "data of "+rec.ID {
			t.Fatalf("record %+v", rec)
		}
		got = append(got, rec.ID)
	}
	if !slices.Equal(got, all) {
		t.Fatalf("Heads gave %d ids, want %d in order", len(got), len(all))
	}
	// Breaking early works, and the loop body may write to the store: no
	// transaction is held across a yield.
	i := 0
	for rec, err := range f.rec.Heads(ctx, kindP) {
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.rec.Commit(ctx, app.Commit{Writes: []app.RecordWrite{write(kindP, rec.ID, rec.Version, "amended")}, Audit: [][]byte{[]byte("amend")}}); err != nil {
			t.Fatal(err)
		}
		if i++; i == headsPage+3 {
			break
		}
	}
	if i != headsPage+3 {
		t.Fatalf("stopped after %d", i)
	}
	if rec, _ := f.rec.Head(ctx, kindP, all[headsPage]); string(rec.Data) != "amended" {
		t.Fatalf("amend inside the loop: %+v", rec)
	}
	// A kind with no records yields nothing.
	for rec, err := range f.rec.Heads(ctx, "encounter") {
		t.Fatalf("unexpected %+v %v", rec, err)
	}
}

func TestIndex(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{})
	short, long := []byte{0xAA}, []byte{0xAA, 0x00, 0x01} // a token that is a prefix of another
	v := f.commit(t,
		app.RecordWrite{Kind: kindP, ID: "b", Data: []byte("b"), Tokens: [][]byte{tok("smith"), short, tok("smith")}},
		app.RecordWrite{Kind: kindP, ID: "a", Data: []byte("a"), Tokens: [][]byte{tok("smith"), long}},
		app.RecordWrite{Kind: kindP, ID: "c", Data: []byte("c")},
	)
	for _, tc := range []struct {
		name  string
		token []byte
		want  []string
	}{
		{"shared token, id order", tok("smith"), []string{"a", "b"}},
		{"short token", short, []string{"b"}},
		{"long token", long, []string{"a"}},
		{"no match", tok("jones"), nil},
		{"prefix of a token", tok("smit"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := f.rec.Lookup(ctx, tc.token)
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("Lookup = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	if toks, err := f.rec.Tokens(ctx, kindP, "b"); err != nil || len(toks) != 2 || !bytes.Equal(toks[0], tok("smith")) || !bytes.Equal(toks[1], short) {
		t.Fatalf("Tokens(b) = %q, %v (want sorted, unique)", toks, err)
	}
	if toks, err := f.rec.Tokens(ctx, kindP, "c"); err != nil || toks != nil {
		t.Fatalf("Tokens(c) = %q, %v", toks, err)
	}

	// Amend replaces the token set: old entries go, new ones come.
	v2 := f.commit(t, app.RecordWrite{Kind: kindP, ID: "b", Parent: v[0], Data: []byte("b2"), Tokens: [][]byte{tok("jones"), tok("smith")}})
	for token, want := range map[string][]string{"smith": {"a", "b"}, "jones": {"b"}, string(short): nil} {
		if got, _ := f.rec.Lookup(ctx, tok(token)); !slices.Equal(got, want) {
			t.Fatalf("after amend Lookup(%q) = %q, want %q", token, got, want)
		}
	}
	// Nil tokens remove the record from the index.
	f.commit(t, app.RecordWrite{Kind: kindP, ID: "b", Parent: v2[0], Data: []byte("b3")})
	if got, _ := f.rec.Lookup(ctx, tok("jones")); len(got) != 0 {
		t.Fatalf("after clearing: %q", got)
	}
	if toks, err := f.rec.Tokens(ctx, kindP, "b"); err != nil || toks != nil {
		t.Fatalf("Tokens after clearing = %q, %v", toks, err)
	}
	rep, err := f.rec.VerifyAll(ctx)
	if err != nil || len(rep.Problems) != 0 {
		t.Fatalf("verify: %v %q", err, rep.Problems)
	}
	if rep.Records != 3 || rep.Versions != 5 || rep.IndexEntries != 2 || rep.TokenSets != 1 {
		t.Fatalf("counts %+v", rep)
	}
}

func TestCommitAtomicWithAuditAndMeta(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{})
	if err := f.db.Meta().UpdateMeta(ctx, map[string][]byte{"gone": []byte("x")}, nil); err != nil {
		t.Fatal(err)
	}
	vs, err := f.rec.Commit(ctx, app.Commit{
		Writes:     []app.RecordWrite{write(kindP, "p", app.Version{}, "x")},
		Audit:      [][]byte{[]byte("e1"), []byte("e2")},
		Meta:       map[string][]byte{"mrn/next": []byte("2"), "nil": nil},
		DeleteMeta: []string{"gone"},
	})
	if err != nil || len(vs) != 1 {
		t.Fatal(vs, err)
	}
	head, _ := f.db.Audit().AuditHead(ctx)
	if head.Seq != 2 || string(head.Sealed) != "e2" {
		t.Fatalf("audit head %+v", head)
	}
	if v, err := f.db.Meta().GetMeta(ctx, "mrn/next"); err != nil || string(v) != "2" {
		t.Fatalf("meta %q %v", v, err)
	}
	if v, err := f.db.Meta().GetMeta(ctx, "nil"); err != nil || len(v) != 0 {
		t.Fatalf("nil meta %q %v", v, err)
	}
	if _, err := f.db.Meta().GetMeta(ctx, "gone"); !errors.Is(err, app.ErrNotFound) {
		t.Fatalf("deleted meta: %v", err)
	}
	// An empty commit is a no-op.
	if vs, err := f.rec.Commit(ctx, app.Commit{}); err != nil || len(vs) != 0 {
		t.Fatal(vs, err)
	}
}

func TestMeta(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{})
	puts := map[string][]byte{"slot/user/a/1": []byte("A1"), "slot/user/a/2": []byte("A2"), "slot/user/ab/1": []byte("AB"), "slot/recovery": []byte("R")}
	if err := f.db.Meta().UpdateMeta(ctx, puts, nil); err != nil {
		t.Fatal(err)
	}
	got, err := f.db.Meta().MetaPrefix(ctx, "slot/user/a/")
	if err != nil || len(got) != 2 || string(got["slot/user/a/1"]) != "A1" || string(got["slot/user/a/2"]) != "A2" {
		t.Fatalf("MetaPrefix = %q, %v", got, err)
	}
	// Puts then deletes: a key in both ends deleted.
	if err := f.db.Meta().UpdateMeta(ctx, map[string][]byte{"slot/user/a/3": []byte("A3")}, []string{"slot/user/a/1", "slot/user/a/3", "never-there"}); err != nil {
		t.Fatal(err)
	}
	got, _ = f.db.Meta().MetaPrefix(ctx, "slot/user/a/")
	if len(got) != 1 || string(got["slot/user/a/2"]) != "A2" {
		t.Fatalf("after delete: %q", got)
	}
	if all, _ := f.db.Meta().MetaPrefix(ctx, ""); len(all) < 5 || all[metaSchema] == nil {
		t.Fatalf("MetaPrefix(\"\") = %d keys", len(all))
	}
	if none, err := f.db.Meta().MetaPrefix(ctx, "zzz"); err != nil || len(none) != 0 {
		t.Fatalf("MetaPrefix(zzz) = %q, %v", none, err)
	}
	v, _ := f.db.Meta().GetMeta(ctx, "slot/recovery")
	v[0] = 'X'
	if again, _ := f.db.Meta().GetMeta(ctx, "slot/recovery"); string(again) != "R" {
		t.Fatal("GetMeta returned shared memory")
	}
}

func TestReadOnlyMode(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{})
	v := f.commit(t, write(kindP, "p", app.Version{}, "x", "t"))
	if err := f.db.Audit().AppendAudit(ctx, [][]byte{[]byte("e")}); err != nil {
		t.Fatal(err)
	}
	f.reopen(t, Options{ReadOnly: true})
	if rec, err := f.rec.Head(ctx, kindP, "p"); err != nil || rec.Version != v[0] {
		t.Fatalf("read-only Head: %+v %v", rec, err)
	}
	wantErrEach(t, ErrReadOnly, map[string]func() error{
		"commit": func() error {
			_, err := f.rec.Commit(ctx, app.Commit{Writes: []app.RecordWrite{write(kindP, "q", app.Version{}, "x")}})
			return err
		},
		"append":     func() error { return f.db.Audit().AppendAudit(ctx, [][]byte{[]byte("e")}) },
		"meta":       func() error { return f.db.Meta().UpdateMeta(ctx, map[string][]byte{"a": nil}, nil) },
		"ack":        func() error { return f.db.Oplog().Ack(ctx, 1) },
		"checkpoint": func() error { return f.db.Audit().Checkpoint(ctx, newSigner(t)) },
	})
	wantSound(t, f.db, f.aead)
}

func TestLockedStore(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{})
	r := f.db.Records(nil)
	if _, err := r.Commit(ctx, app.Commit{Writes: []app.RecordWrite{write(kindP, "p", app.Version{}, "x")}}); !errors.Is(err, app.ErrLocked) {
		t.Fatalf("commit without a key: %v", err)
	}
	if _, err := r.Head(ctx, kindP, "p"); !errors.Is(err, app.ErrLocked) {
		t.Fatalf("head without a key: %v", err)
	}
}

func TestCancelledContext(t *testing.T) {
	f := newFixture(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.rec.Commit(ctx, app.Commit{Writes: []app.RecordWrite{write(kindP, "p", app.Version{}, "x")}}); !errors.Is(err, context.Canceled) {
		t.Fatalf("commit: %v", err)
	}
	if _, err := f.rec.VerifyAll(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("verify: %v", err)
	}
	for _, err := range f.db.Audit().AuditEntries(ctx) {
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("audit entries: %v", err)
		}
	}
}

func TestClosedDB(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{})
	if err := f.db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.db.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	if _, err := f.rec.Head(ctx, kindP, "p"); err == nil {
		t.Fatal("read from a closed vault")
	}
	if _, err := f.rec.Commit(ctx, app.Commit{Writes: []app.RecordWrite{write(kindP, "p", app.Version{}, "x")}}); err == nil {
		t.Fatal("write to a closed vault")
	}
}

// No plaintext payload reaches the file.
func TestNoPlaintextOnDisk(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{})
	const marker = "Xanthopoulou-Philomena-1961-07-14"
	var ws []app.RecordWrite
	for i, id := range ids(300) {
		w := write(kindP, id, app.Version{}, strings.Repeat(marker+" ", 1+i%5), "tok-"+id)
		ws = append(ws, w)
	}
	vs := f.commit(t, ws...)
	f.commit(t, write(kindP, "id-00000", vs[0], marker+" amended"))
	if err := f.db.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(f.path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(marker)) || bytes.Contains(raw, []byte("Philomena")) {
		t.Fatal("plaintext payload found in the vault file")
	}
	_ = ctx
}

// Several goroutines commit and read at once (run with -race).
func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{})
	done := make(chan error, 8)
	key := newSigner(t)
	for g := range 4 {
		go func() {
			var last app.Version
			for i := range 20 {
				vs, err := f.rec.Commit(ctx, app.Commit{Writes: []app.RecordWrite{write(kindP, "g"+string(rune('a'+g)), last, "x", "t")}, Audit: [][]byte{[]byte("e")}, AuditKey: key})
				if err != nil {
					done <- err
					return
				}
				last = vs[0]
				_ = i
			}
			done <- nil
		}()
		go func() {
			for range 20 {
				for _, err := range f.rec.Heads(ctx, kindP) {
					if err != nil {
						done <- err
						return
					}
				}
				if _, err := f.rec.Lookup(ctx, tok("t")); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	cr, err := f.db.Audit().VerifyChain(ctx, key.verify)
	if err != nil || len(cr.Problems) > 0 || cr.Entries != 80 {
		t.Fatalf("chain after concurrent appends: %+v %v", cr, err)
	}
	rep, err := f.rec.VerifyAll(ctx)
	if err != nil || len(rep.Problems) > 0 || rep.Versions != 80 {
		t.Fatalf("records after concurrent commits: %+v %v", rep, err)
	}
}

func TestOplog(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{})
	v := f.commit(t, write(kindP, "a", app.Version{}, "x"), write(kindU, "u", app.Version{}, "y"))
	v2 := f.commit(t, write(kindP, "a", v[0], "x2"))
	all, err := f.db.Oplog().Pending(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []OpEntry{{1, kindP, "a", v[0]}, {2, kindU, "u", v[1]}, {3, kindP, "a", v2[0]}}
	if !slices.Equal(all, want) {
		t.Fatalf("Pending = %+v, want %+v", all, want)
	}
	if page, _ := f.db.Oplog().Pending(ctx, 1, 1); !slices.Equal(page, want[1:2]) {
		t.Fatalf("Pending(1, 1) = %+v", page)
	}
	if n, _ := f.db.Oplog().PendingCount(ctx); n != 3 {
		t.Fatalf("PendingCount = %d", n)
	}
	if err := f.db.Oplog().Ack(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if err := f.db.Oplog().Ack(ctx, 2); err != nil {
		t.Fatalf("second ack: %v", err)
	}
	if err := f.db.Oplog().Ack(ctx, 4); !errors.Is(err, app.ErrInvalid) {
		t.Fatalf("ack beyond the end: %v", err)
	}
	if rest, _ := f.db.Oplog().Pending(ctx, 0, 10); !slices.Equal(rest, want[2:]) {
		t.Fatalf("after ack: %+v", rest)
	}
	// Seqs are never reused after an ack.
	f.commit(t, write(kindU, "v", app.Version{}, "z"))
	if rest, _ := f.db.Oplog().Pending(ctx, 0, 0); len(rest) != 2 || rest[1].Seq != 4 {
		t.Fatalf("after another commit: %+v", rest)
	}
	if err := f.db.Oplog().Ack(ctx, 4); err != nil {
		t.Fatal(err)
	}
	if n, _ := f.db.Oplog().PendingCount(ctx); n != 0 {
		t.Fatalf("PendingCount = %d after acking all", n)
	}
}

func TestStats(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{})
	v := f.commit(t, write(kindP, "a", app.Version{}, "x", "t1", "t2"), write(kindP, "b", app.Version{}, "x", "t1"), write(kindU, "u", app.Version{}, "y"))
	f.commit(t, write(kindP, "a", v[0], "x2", "t3"))
	if err := f.db.Audit().AppendAudit(ctx, [][]byte{[]byte("e1"), []byte("e2")}); err != nil {
		t.Fatal(err)
	}
	st, err := f.db.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.FileSize <= 0 || st.Records[kindP] != 2 || st.Records[kindU] != 1 || st.Versions != 4 || st.IndexEntries != 2 || st.AuditEntries != 2 || st.Pending != 4 || st.Checkpoints != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// Tampering with stored bytes is found by Head, History and VerifyAll.
func TestTamperedRecords(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		tamper func(tx *bolt.Tx, a, b app.Version) error
		victim string // record whose Head/History must fail
	}{
		{"bit flip in ciphertext", func(tx *bolt.Tx, a, _ app.Version) error {
			vers := tx.Bucket(bucketVersions)
			k := versionKey(kindP, "alice", a)
			v := bytes.Clone(vers.Get(k))
			v[len(v)-5] ^= 0x01
			return vers.Put(k, v)
		}, "alice"},
		{"ciphertext moved to another id", func(tx *bolt.Tx, a, b app.Version) error {
			vers := tx.Bucket(bucketVersions)
			from := bytes.Clone(vers.Get(versionKey(kindP, "alice", a)))
			return vers.Put(versionKey(kindP, "bob", b), from)
		}, "bob"},
		{"ciphertext moved to another kind", func(tx *bolt.Tx, a, _ app.Version) error {
			vers := tx.Bucket(bucketVersions)
			from := bytes.Clone(vers.Get(versionKey(kindP, "alice", a)))
			if err := vers.Put(versionKey(kindU, "alice", a), from); err != nil {
				return err
			}
			return tx.Bucket(bucketHeads).Put(recordKey(kindU, "alice"), encodeVersion(a))
		}, "user:alice"},
		{"ciphertext moved to another version", func(tx *bolt.Tx, a, _ app.Version) error {
			vers := tx.Bucket(bucketVersions)
			from := bytes.Clone(vers.Get(versionKey(kindP, "alice", a)))
			other := app.Version{HLC: a.HLC + 7, Device: a.Device}
			if err := vers.Put(versionKey(kindP, "alice", other), from); err != nil {
				return err
			}
			return tx.Bucket(bucketHeads).Put(recordKey(kindP, "alice"), encodeVersion(other))
		}, "alice"},
		{"parent rewritten", func(tx *bolt.Tx, a, _ app.Version) error {
			vers := tx.Bucket(bucketVersions)
			k := versionKey(kindP, "alice", a)
			v := bytes.Clone(vers.Get(k))
			copy(v[1:], encodeVersion(app.Version{HLC: 1, Device: a.Device}))
			return vers.Put(k, v)
		}, "alice"},
		{"header format byte", func(tx *bolt.Tx, a, _ app.Version) error {
			vers := tx.Bucket(bucketVersions)
			k := versionKey(kindP, "alice", a)
			v := bytes.Clone(vers.Get(k))
			v[0] = 9
			return vers.Put(k, v)
		}, "alice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, Options{})
			vs := f.commit(t, write(kindP, "alice", app.Version{}, "alice's chart", "ta"), write(kindP, "bob", app.Version{}, "bob's chart", "tb"))
			f.raw(t, func(tx *bolt.Tx) error { return tc.tamper(tx, vs[0], vs[1]) })
			kind, id := kindP, tc.victim
			if k, rest, ok := strings.Cut(tc.victim, ":"); ok {
				kind, id = app.Kind(k), rest
			}
			wantErr := func(what string, err error) {
				t.Helper()
				if !errors.Is(err, app.ErrTampered) && !errors.Is(err, ErrCorrupt) {
					t.Fatalf("%s: got %v, want ErrTampered or ErrCorrupt", what, err)
				}
				if !strings.Contains(err.Error(), string(kind)+"/"+id) {
					t.Fatalf("%s: error does not name the record: %v", what, err)
				}
			}
			_, err := f.rec.Head(ctx, kind, id)
			wantErr("Head", err)
			_, err = f.rec.History(ctx, kind, id)
			wantErr("History", err)
			var headsErr error
			for _, err := range f.rec.Heads(ctx, kind) {
				if err != nil {
					headsErr = err
				}
			}
			wantErr("Heads", headsErr)
			rep, err := f.rec.VerifyAll(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Problems) == 0 {
				t.Fatal("VerifyAll found nothing")
			}
			if !strings.Contains(strings.Join(rep.Problems, "\n"), string(kind)+"/"+id) {
				t.Fatalf("problems do not name %s/%s: %q", kind, id, rep.Problems)
			}
		})
	}
}

// Structural damage (heads, index, tokens, parents) shows in VerifyAll.
func TestVerifyAllFindsStructuralProblems(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		tamper func(tx *bolt.Tx, v1, v2 app.Version) error
		want   string
	}{
		{"index entry deleted", func(tx *bolt.Tx, _, _ app.Version) error {
			return tx.Bucket(bucketIndex).Delete(indexKey(tok("t2"), kindP, "p"))
		}, "index entry for token 7432 is missing"},
		{"stale index entry added", func(tx *bolt.Tx, _, _ app.Version) error {
			return tx.Bucket(bucketIndex).Put(indexKey(tok("t1"), kindP, "p"), nil)
		}, "is not in its token set"},
		{"index entry of a record without tokens", func(tx *bolt.Tx, _, _ app.Version) error {
			return tx.Bucket(bucketIndex).Put(indexKey(tok("zz"), kindP, "q"), nil)
		}, "has no index tokens"},
		{"head deleted", func(tx *bolt.Tx, _, _ app.Version) error {
			return tx.Bucket(bucketHeads).Delete(recordKey(kindP, "p"))
		}, "versions but no head"},
		{"head to a missing version", func(tx *bolt.Tx, _, v2 app.Version) error {
			return tx.Bucket(bucketHeads).Put(recordKey(kindP, "p"), encodeVersion(app.Version{HLC: v2.HLC + 100, Device: v2.Device}))
		}, "which is missing"},
		{"head moved back", func(tx *bolt.Tx, v1, _ app.Version) error {
			return tx.Bucket(bucketHeads).Put(recordKey(kindP, "p"), encodeVersion(v1))
		}, "not on the parent chain"},
		{"first version deleted", func(tx *bolt.Tx, v1, _ app.Version) error {
			return tx.Bucket(bucketVersions).Delete(versionKey(kindP, "p", v1))
		}, "is missing"},
		{"token set of an old version", func(tx *bolt.Tx, v1, _ app.Version) error {
			return tx.Bucket(bucketTokens).Put(recordKey(kindP, "p"), encodeTokenSet(v1, [][]byte{tok("t2")}))
		}, "index tokens belong to version"},
		{"malformed token set", func(tx *bolt.Tx, _, _ app.Version) error {
			return tx.Bucket(bucketTokens).Put(recordKey(kindP, "p"), []byte{1, 2, 3})
		}, "token set"},
		{"malformed version key", func(tx *bolt.Tx, _, _ app.Version) error {
			return tx.Bucket(bucketVersions).Put([]byte("garbage"), []byte{1})
		}, "version key"},
		{"malformed index key", func(tx *bolt.Tx, _, _ app.Version) error {
			return tx.Bucket(bucketIndex).Put([]byte{0xff, 0xff, 1}, nil)
		}, "index key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, Options{})
			v1 := f.commit(t, write(kindP, "p", app.Version{}, "one", "t1"), write(kindP, "q", app.Version{}, "q"))[0]
			v2 := f.commit(t, write(kindP, "p", v1, "two", "t2"))[0]
			rep, err := f.rec.VerifyAll(ctx)
			if err != nil || len(rep.Problems) > 0 {
				t.Fatalf("before tampering: %v %q", err, rep.Problems)
			}
			f.raw(t, func(tx *bolt.Tx) error { return tc.tamper(tx, v1, v2) })
			rep, err = f.rec.VerifyAll(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(strings.Join(rep.Problems, "\n"), tc.want) {
				t.Fatalf("problems %q do not mention %q", rep.Problems, tc.want)
			}
			// The file itself is sound; CheckIntegrity reports the same.
			ir, err := f.db.CheckIntegrity(ctx, f.aead, func(_, _ []byte) error { return nil })
			if err != nil || len(ir.Problems) == 0 {
				t.Fatalf("CheckIntegrity: %v %q", err, ir.Problems)
			}
		})
	}
}

func TestVerifyAllReportsEveryProblem(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{})
	var ws []app.RecordWrite
	for _, id := range ids(2*verifyPage + 5) {
		ws = append(ws, write(kindP, id, app.Version{}, "x"))
	}
	f.commit(t, ws...)
	// Another key: every version fails to decrypt, and all are listed.
	rep, err := f.db.Records(newAEAD(t)).VerifyAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) != len(ws) || rep.Versions != len(ws) {
		t.Fatalf("%d problems for %d versions", len(rep.Problems), len(ws))
	}
	for _, p := range rep.Problems {
		if !strings.Contains(p, "patient/id-") || !strings.Contains(p, "version") {
			t.Fatalf("problem does not name the version: %q", p)
		}
	}
}
