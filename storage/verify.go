package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"folio/app"
)

// maxProblems bounds a report: a vault opened with the wrong key would
// otherwise list every version.
const maxProblems = 1000

type problems struct {
	items []string
	more  int
}

func newProblems() *problems { return &problems{} }

func (p *problems) add(format string, args ...any) {
	if len(p.items) < maxProblems {
		p.items = append(p.items, fmt.Sprintf(format, args...))
		return
	}
	p.more++
}

func (p *problems) list() []string {
	if p.more > 0 {
		return append(slices.Clone(p.items), fmt.Sprintf("… and %d more problems", p.more))
	}
	return p.items
}

// has reports whether key is in b (a zero-length value counts).
func has(b *bolt.Bucket, key []byte) bool {
	k, _ := b.Cursor().Seek(key)
	return k != nil && bytes.Equal(k, key)
}

// VerifyReport is what Records.VerifyAll found. The records are intact when
// Problems is empty.
type VerifyReport struct {
	Records      int // records with a head
	Versions     int
	TokenSets    int
	IndexEntries int
	Problems     []string // each names kind/id/version and what is wrong
}

// verifyPage is how many versions VerifyAll decrypts per read transaction.
const verifyPage = 256

// VerifyAll checks every record: that every version decrypts where it
// stands, that every head names an existing version, that each record's
// versions form one parent chain ending at its head, that every token set
// belongs to the current version, and that the index holds exactly the
// entries of the token sets. It reports every problem it finds (up to
// maxProblems). The structural checks run in one read transaction (a
// consistent view, held for the time it takes to walk the keys); the
// decryption runs page by page with no transaction open. The error is for
// a store it could not read (cancelled, closed, unreadable pages).
func (r *Records) VerifyAll(ctx context.Context) (rep VerifyReport, err error) {
	if err := r.ready(ctx); err != nil {
		return rep, err
	}
	p := newProblems()
	defer func() { rep.Problems = p.list() }()
	if err := r.db.view(ctx, func(tx *bolt.Tx) error { return r.verifyStructure(ctx, tx, &rep, p) }); err != nil {
		return rep, fmt.Errorf("verify records: %w", err)
	}
	if err := r.verifyDecrypt(ctx, p); err != nil {
		return rep, fmt.Errorf("verify records: %w", err)
	}
	return rep, nil
}

type chainNode struct {
	v, parent app.Version
	bad       bool // header did not parse (already reported)
}

func (r *Records) verifyStructure(ctx context.Context, tx *bolt.Tx, rep *VerifyReport, p *problems) error {
	buckets := map[string]*bolt.Bucket{}
	for _, name := range [][]byte{bucketVersions, bucketHeads, bucketTokens, bucketIndex} {
		b := tx.Bucket(name)
		if b == nil {
			p.add("the %s bucket is missing", name)
			return nil
		}
		buckets[string(name)] = b
	}
	vers, heads := buckets[string(bucketVersions)], buckets[string(bucketHeads)]
	toks, index := buckets[string(bucketTokens)], buckets[string(bucketIndex)]
	meta := tx.Bucket(bucketMeta)
	n := 0
	// walk runs check on every key of b, counting them in count; it stops
	// when ctx ends (looked at every 1024 keys of the walks).
	walk := func(b *bolt.Bucket, count *int, check func(k, v []byte)) error {
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if n++; n%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			*count++
			check(k, v)
		}
		return nil
	}

	// Versions, record by record (keys sort by kind, id, version).
	var (
		cur   []byte
		kind  app.Kind
		id    string
		group []chainNode
	)
	flush := func() {
		if len(group) > 0 {
			forked := meta != nil && meta.Get([]byte(metaConflict+string(recordKey(kind, id)))) != nil
			checkChain(p, heads, kind, id, group, forked)
		}
		group = group[:0]
	}
	if err := walk(vers, &rep.Versions, func(k, val []byte) {
		kd, rid, v, err := decodeVersionKey(k)
		if err != nil {
			p.add("versions: %v", err)
			return
		}
		if rk := recordKey(kd, rid); !bytes.Equal(rk, cur) {
			flush()
			cur, kind, id = rk, kd, rid
		}
		parent, _, _, err := decodeVersionValue(val)
		if err != nil {
			p.add("record %s/%s version %s: %v", kd, rid, v, err)
		}
		group = append(group, chainNode{v: v, parent: parent, bad: err != nil})
	}); err != nil {
		return err
	}
	flush()

	// Heads.
	if err := walk(heads, &rep.Records, func(k, val []byte) {
		kd, rid, err := decodeRecordKey(k)
		if err != nil {
			p.add("heads: %v", err)
			return
		}
		v, err := decodeVersion(val)
		if err != nil {
			p.add("record %s/%s: head: %v", kd, rid, err)
			return
		}
		if !has(vers, versionKey(kd, rid, v)) {
			p.add("record %s/%s: its head names version %s, which is missing", kd, rid, v)
		}
	}); err != nil {
		return err
	}

	// Token sets: each belongs to the current version and has its entries.
	if err := walk(toks, &rep.TokenSets, func(k, val []byte) {
		kd, rid, err := decodeRecordKey(k)
		if err != nil {
			p.add("tokens: %v", err)
			return
		}
		v, set, err := decodeTokenSet(val)
		if err != nil {
			p.add("record %s/%s: index tokens: %v", kd, rid, err)
			return
		}
		head, err := headOf(heads, kd, rid)
		switch {
		case err != nil:
			return // reported with the heads
		case head.IsZero():
			p.add("record %s/%s: index tokens are kept for a record that does not exist", kd, rid)
		case head != v:
			p.add("record %s/%s: index tokens belong to version %s, not the current version %s", kd, rid, v, head)
		}
		for _, t := range set {
			if !has(index, indexKey(t, kd, rid)) {
				p.add("record %s/%s version %s: index entry for token %x is missing", kd, rid, v, t)
			}
		}
	}); err != nil {
		return err
	}

	// Index entries: each is in its record's token set.
	if err := walk(index, &rep.IndexEntries, func(k, _ []byte) {
		t, kd, rid, err := decodeIndexKey(k)
		if err != nil {
			p.add("index: %v", err)
			return
		}
		raw := toks.Get(recordKey(kd, rid))
		if raw == nil {
			p.add("record %s/%s: index entry for token %x, but the record has no index tokens", kd, rid, t)
			return
		}
		_, set, err := decodeTokenSet(raw)
		if err != nil {
			return // reported with the token sets
		}
		if _, found := slices.BinarySearchFunc(set, t, bytes.Compare); !found {
			p.add("record %s/%s: index entry for token %x is not in its token set (stale)", kd, rid, t)
		}
	}); err != nil {
		return err
	}
	return nil
}

// checkChain checks one record's versions (sorted oldest first): the head
// exists and every version lies on the parent chain from the head back to a
// first version, unless the record is forked (two devices changed it; sync
// keeps both branches), where a version off that chain is a branch.
func checkChain(p *problems, heads *bolt.Bucket, kind app.Kind, id string, group []chainNode, forked bool) {
	head, err := headOf(heads, kind, id)
	switch {
	case err != nil:
		p.add("record %s/%s: %v", kind, id, err)
		return
	case head.IsZero():
		p.add("record %s/%s: %d versions but no head", kind, id, len(group))
		return
	}
	byV := make(map[app.Version]chainNode, len(group))
	for _, nd := range group {
		byV[nd.v] = nd
	}
	if _, ok := byV[head]; !ok {
		return // reported with the heads
	}
	onChain := map[app.Version]bool{}
	for cur := head; ; {
		onChain[cur] = true
		nd := byV[cur]
		if nd.bad || nd.parent.IsZero() {
			break
		}
		if !nd.parent.Less(cur) {
			p.add("record %s/%s version %s: its parent %s is not older", kind, id, cur, nd.parent)
			break
		}
		if _, ok := byV[nd.parent]; !ok {
			p.add("record %s/%s version %s: its parent %s is missing", kind, id, cur, nd.parent)
			break
		}
		cur = nd.parent
	}
	for _, nd := range group {
		if !onChain[nd.v] && !forked {
			p.add("record %s/%s version %s: not on the parent chain of the current version %s", kind, id, nd.v, head)
		}
	}
}

// verifyDecrypt decrypts every version, verifyPage per read transaction.
func (r *Records) verifyDecrypt(ctx context.Context, p *problems) error {
	var after []byte
	for {
		var page []sealed
		scanned := 0
		err := r.db.view(ctx, func(tx *bolt.Tx) error {
			vers := tx.Bucket(bucketVersions)
			if vers == nil {
				return nil
			}
			c := vers.Cursor()
			for k, val := resume(c, nil, after); k != nil && scanned < verifyPage; k, val = c.Next() {
				scanned++
				if len(k) > maxKeyLen {
					return decodeErr("version key", k)
				}
				after = bytes.Clone(k)
				kind, id, v, err := decodeVersionKey(k)
				if err != nil {
					continue // reported by the structure check
				}
				parent, endorsement, ct, err := decodeVersionValue(val)
				if err != nil {
					continue
				}
				page = append(page, sealed{kind: kind, id: id, version: v, parent: parent, endorse: bytes.Clone(endorsement), ct: bytes.Clone(ct)})
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, s := range page {
			if _, err := r.open(s); err != nil {
				p.add("%v", err)
			}
		}
		if scanned < verifyPage {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// Check checks the file's pages: first its own walk of every bucket's tree
// (checkPages), then, when that found nothing, bbolt's consistency check
// (every page reachable once or free, freelist sane, keys in order across
// pages). On a writable DB it runs in a write transaction that is rolled
// back (bbolt's check must not run beside writers), so commits wait while
// it runs. Problems wrap ErrCorrupt.
func (db *DB) Check(ctx context.Context) error {
	p := newProblems()
	err := db.rollbackTx(ctx, func(tx *bolt.Tx) error {
		if err := db.checkPages(ctx, tx, p); err != nil || len(p.items) > 0 {
			return err
		}
		for err := range tx.Check() { // drain fully: the checker blocks on send
			p.add("%v", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("check vault file: %w", err)
	}
	if found := p.list(); len(found) > 0 {
		if len(found) > 20 {
			found = append(found[:20], fmt.Sprintf("… and %d more", len(found)-20))
		}
		return corrupt(db.path, strings.Join(found, "; "))
	}
	return nil
}

// CheckIntegrity implements app.IntegrityChecker: Check, then
// Records(aead).VerifyAll, then VerifyChain over this DB's audit chain. A
// damaged file is a problem in the report, not an error; the error is for
// a check that could not run (cancelled, closed).
func (db *DB) CheckIntegrity(ctx context.Context, aead app.AEAD, verifySig func(msg, sig []byte) error) (app.IntegrityReport, error) {
	var rep app.IntegrityReport
	asProblem := func(err error) error {
		if errors.Is(err, ErrCorrupt) {
			rep.Problems = append(rep.Problems, err.Error())
			return nil
		}
		return err
	}
	if err := db.Check(ctx); err != nil {
		if err := asProblem(err); err != nil {
			return rep, err
		}
	}
	if db.scrubPending(ctx) {
		rep.Problems = append(rep.Problems, "the vault file still holds a password or recovery key removed earlier: it could not be rewritten without it; check the disk has space, then open Folio again")
	}
	vr, err := db.Records(aead).VerifyAll(ctx)
	rep.Records, rep.Versions, rep.IndexEntries = vr.Records, vr.Versions, vr.IndexEntries
	rep.Problems = append(rep.Problems, vr.Problems...)
	if err != nil {
		if err := asProblem(err); err != nil {
			return rep, err
		}
	}
	cr, err := db.Audit().VerifyChain(ctx, verifySig)
	rep.AuditEntries, rep.Checkpoints = cr.Entries, cr.Checkpoints
	rep.Problems = append(rep.Problems, cr.Problems...)
	rep.Notes = append(rep.Notes, cr.Notes...)
	if err != nil {
		if err := asProblem(err); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// Stats are counts for `folio stats` and the sync indicator.
type Stats struct {
	FileSize     int64            // bytes on disk
	Records      map[app.Kind]int // records with a head, per kind
	Versions     int
	IndexEntries int
	AuditEntries int
	Checkpoints  int
	Pending      int // oplog entries not yet acknowledged by an archive
}

// Stats counts what the file holds. It walks the heads' keys and the other
// buckets' pages in one read transaction.
func (db *DB) Stats(ctx context.Context) (Stats, error) {
	s := Stats{Records: map[app.Kind]int{}}
	err := db.view(ctx, func(tx *bolt.Tx) error {
		s.FileSize = tx.Size()
		count := func(name []byte) int {
			if b := tx.Bucket(name); b != nil {
				return b.Stats().KeyN
			}
			return 0
		}
		s.Versions = count(bucketVersions)
		s.IndexEntries = count(bucketIndex)
		s.AuditEntries = count(bucketAudit)
		s.Checkpoints = count(bucketCheckpoints)
		s.Pending = count(bucketOplog)
		if b := tx.Bucket(bucketHeads); b != nil {
			c := b.Cursor()
			for k, _ := c.First(); k != nil; k, _ = c.Next() {
				if len(k) > maxRecordKey {
					return decodeErr("head key", k)
				}
				if i := bytes.IndexByte(k, 0); i > 0 {
					s.Records[app.Kind(k[:i])]++
				}
			}
		}
		return nil
	})
	if err != nil {
		return Stats{}, fmt.Errorf("vault statistics: %w", err)
	}
	if st, err := os.Stat(db.path); err == nil {
		s.FileSize = st.Size()
	}
	return s, nil
}
