package storage

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"

	"folio/app"
)

// rejoinChain builds a vault whose chain is e1..e3 plus ours, and the
// archive's entries after e3 (theirs, linked from e3 as the archive holds
// them).
func rejoinChain(t *testing.T, theirs, ours []string) (*fixture, signer, []app.AuditEntry) {
	t.Helper()
	ctx := context.Background()
	f := newFixture(t, Options{})
	key := newSigner(t)
	for _, s := range append([]string{"e1", "e2", "e3"}, ours...) {
		if _, err := f.rec.Commit(ctx, app.Commit{Audit: [][]byte{[]byte(s)}, AuditKey: key}); err != nil {
			t.Fatal(err)
		}
	}
	var prev []byte
	for e, err := range f.db.Audit().AuditEntries(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if e.Seq == 3 {
			prev = e.Hash
		}
	}
	var out []app.AuditEntry
	for i, s := range theirs {
		seq := uint64(4 + i)
		h := chainHash(prev, seq, []byte(s))
		out = append(out, app.AuditEntry{Seq: seq, Sealed: []byte(s), Hash: h})
		prev = h
	}
	return f, key, out
}

func sealedChain(t *testing.T, db *DB) []string {
	t.Helper()
	var out []string
	for e, err := range db.Audit().AuditEntries(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(e.Sealed))
	}
	return out
}

// A vault restored from a backup takes the archive's entries after the
// fork, appends its own entries since the restore after them (a copy of
// one the archive holds only once), then the restore's event; the chain
// and its keyed head verify, and a second rejoin changes nothing.
func TestRejoinAudit(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name         string
		theirs, ours []string
		want         []string
		fork         uint64
	}{
		{"restored, then worked", []string{"a4", "a5"}, []string{"n4", "n5"}, []string{"e1", "e2", "e3", "a4", "a5", "n4", "n5", "restored"}, 3},
		{"restored, nothing since", []string{"a4", "a5"}, nil, []string{"e1", "e2", "e3", "a4", "a5", "restored"}, 3},
		{"the copy held part of it", []string{"a4", "a5"}, []string{"a4", "n5"}, []string{"e1", "e2", "e3", "a4", "a5", "n5", "restored"}, 4},
		{"an entry the archive holds, moved", []string{"a4", "a5"}, []string{"a5", "n5"}, []string{"e1", "e2", "e3", "a4", "a5", "n5", "restored"}, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, key, theirs := rejoinChain(t, tc.theirs, tc.ours)
			r := AuditRejoin{From: 4, Theirs: theirs, Append: [][]byte{[]byte("restored")}, Key: key,
				Meta: map[string][]byte{"sync/audit-sent": []byte("5")}}
			rep, err := f.db.Audit().RejoinAudit(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			got := sealedChain(t, f.db)
			if rep.Fork != tc.fork || !slices.Equal(got, tc.want) || rep.Head != uint64(len(tc.want)) {
				t.Fatalf("after the rejoin: fork %d, head %d, chain %q; want fork %d, chain %q", rep.Fork, rep.Head, got, tc.fork, tc.want)
			}
			if v, err := f.db.Meta().GetMeta(ctx, "sync/audit-sent"); err != nil || string(v) != "5" {
				t.Errorf("the meta given with the rejoin: %q, %v", v, err)
			}
			ir, err := f.db.CheckIntegrity(ctx, f.aead, key.verify)
			if err != nil || len(ir.Problems) > 0 {
				t.Fatalf("check after the rejoin: %v %q", err, ir.Problems)
			}
			again, err := f.db.Audit().RejoinAudit(ctx, r)
			if err != nil || again.Fetched != 0 || !slices.Equal(sealedChain(t, f.db), tc.want) {
				t.Fatalf("a second rejoin: %+v, %v; chain %q", again, err, sealedChain(t, f.db))
			}
		})
	}

	// The archive's entries do not continue this vault's trail: a vault
	// of another workstation, or one whose trail was rewritten.
	f, key, theirs := rejoinChain(t, []string{"a4"}, []string{"n4"})
	theirs[0].Hash = bytes.Repeat([]byte{7}, hashLen)
	before := sealedChain(t, f.db)
	if _, err := f.db.Audit().RejoinAudit(ctx, AuditRejoin{From: 4, Theirs: theirs, Key: key}); !errors.Is(err, app.ErrConflict) {
		t.Fatalf("rejoin with entries that do not link: %v, want ErrConflict", err)
	}
	if got := sealedChain(t, f.db); !slices.Equal(got, before) {
		t.Fatalf("a refused rejoin changed the chain: %q", got)
	}
}
