package storage

import (
	"bytes"
	"context"
	"fmt"
	"iter"
	"slices"

	bolt "go.etcd.io/bbolt"

	"folio/app"
)

// Records is the record store of a DB, sealing every version with one AEAD.
// It is cheap to make; make one per unlocked session.
type Records struct {
	db   *DB
	aead app.AEAD
}

var _ app.RecordStore = (*Records)(nil)

// Records returns the record store sealed with aead. A nil aead gives a
// store whose every method fails with app.ErrLocked.
func (db *DB) Records(aead app.AEAD) *Records { return &Records{db: db, aead: aead} }

// headsPage is how many records Heads reads per transaction.
const headsPage = 256

func (r *Records) ready(ctx context.Context) error {
	if r.aead == nil {
		return fmt.Errorf("record store: %w", app.ErrLocked)
	}
	return ctx.Err()
}

// Commit writes c in one bbolt transaction and returns each write's new
// version, in order. Nothing is written when it fails. Errors: ErrConflict
// when a Parent is not the record's head; ErrInvalid for an empty or
// NUL-holding kind or id, a bad token, or two writes of one record in one
// commit (a record gets at most one new version per commit).
func (r *Records) Commit(ctx context.Context, c app.Commit) ([]app.Version, error) {
	if err := r.ready(ctx); err != nil {
		return nil, err
	}
	if len(c.Writes) == 0 && len(c.Audit) == 0 && len(c.Meta) == 0 && len(c.DeleteMeta) == 0 {
		return []app.Version{}, nil
	}
	tokens := make([][][]byte, len(c.Writes))
	seen := make(map[string]bool, len(c.Writes))
	for i, w := range c.Writes {
		if err := checkRecord(w.Kind, w.ID); err != nil {
			return nil, fmt.Errorf("commit: %w", err)
		}
		if len(w.Data) > maxDataLen {
			return nil, fmt.Errorf("commit: %w", app.Invalidf("record %s/%s is %d bytes (at most %d)", w.Kind, w.ID, len(w.Data), maxDataLen))
		}
		if len(w.Endorsement) > maxEndorsement {
			return nil, fmt.Errorf("commit: %w", app.Invalidf("the endorsement of %s/%s is %d bytes (at most %d)", w.Kind, w.ID, len(w.Endorsement), maxEndorsement))
		}
		rk := string(recordKey(w.Kind, w.ID))
		if seen[rk] {
			return nil, fmt.Errorf("commit: %w", app.Invalidf("record %s/%s written twice in one commit", w.Kind, w.ID))
		}
		seen[rk] = true
		t, err := canonicalTokens(w.Tokens)
		if err != nil {
			return nil, fmt.Errorf("commit %s/%s: %w", w.Kind, w.ID, err)
		}
		tokens[i] = t
	}
	if err := checkAudit(c.Audit); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	if err := checkMeta(c.Meta, c.DeleteMeta); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}

	versions := make([]app.Version, len(c.Writes))
	err := r.db.update(ctx, func(tx *bolt.Tx) error {
		heads := tx.Bucket(bucketHeads)
		// Check every parent first: a conflict writes nothing.
		for _, w := range c.Writes {
			head, err := headOf(heads, w.Kind, w.ID)
			if err != nil {
				return err
			}
			switch {
			case head == w.Parent:
			case head.IsZero():
				return fmt.Errorf("record %s/%s: %w (it does not exist; the write was based on version %s)", w.Kind, w.ID, app.ErrConflict, w.Parent)
			case w.Parent.IsZero():
				return fmt.Errorf("record %s/%s: %w (it exists already, at version %s)", w.Kind, w.ID, app.ErrConflict, head)
			default:
				return fmt.Errorf("record %s/%s: %w (current version %s, the write was based on %s)", w.Kind, w.ID, app.ErrConflict, head, w.Parent)
			}
		}
		meta := tx.Bucket(bucketMeta)
		last, err := decodeUint64(meta.Get([]byte(metaHLC)))
		if err != nil {
			return err
		}
		now := r.db.clock()
		vers, toks := tx.Bucket(bucketVersions), tx.Bucket(bucketTokens)
		index, oplog := tx.Bucket(bucketIndex), tx.Bucket(bucketOplog)
		oplog.FillPercent = 1 // append-only
		for i, w := range c.Writes {
			if i%256 == 255 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			last = max(now, last+1)
			v := app.Version{HLC: last, Device: r.db.device}
			versions[i] = v
			ct, err := r.aead.Encrypt(w.Data, associatedData(w.Kind, w.ID, v, w.Parent))
			if err != nil {
				return fmt.Errorf("seal record %s/%s: %w", w.Kind, w.ID, err)
			}
			vk := versionKey(w.Kind, w.ID, v)
			if vers.Get(vk) != nil {
				return corrupt(r.db.path, fmt.Sprintf("version %s of %s/%s exists already: the clock state was lost", v, w.Kind, w.ID))
			}
			if err := vers.Put(vk, encodeVersionValue(w.Parent, w.Endorsement, ct)); err != nil {
				return err
			}
			rk := recordKey(w.Kind, w.ID)
			if err := heads.Put(rk, encodeVersion(v)); err != nil {
				return err
			}
			if err := continueBranch(meta, RecordRef{Kind: w.Kind, ID: w.ID}, w.Parent, v); err != nil {
				return err
			}
			if err := replaceTokens(toks, index, w.Kind, w.ID, v, tokens[i]); err != nil {
				return err
			}
			seq, err := oplog.NextSequence()
			if err != nil {
				return err
			}
			if err := oplog.Put(seqKey(seq), encodeOp(w.Kind, w.ID, v)); err != nil {
				return err
			}
		}
		if len(c.Writes) > 0 {
			if err := meta.Put([]byte(metaHLC), encodeUint64(last)); err != nil {
				return err
			}
		}
		if err := r.db.Audit().appendKeyed(tx, c.Audit, c.AuditKey); err != nil {
			return err
		}
		if c.Scrub {
			if err := meta.Put([]byte(metaScrubPending), []byte{1}); err != nil {
				return err
			}
		}
		return applyMeta(tx, c.Meta, c.DeleteMeta)
	})
	if err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	if c.Scrub {
		return versions, r.db.scrub()
	}
	return versions, nil
}

// clock is the physical part of the HLC: unix milliseconds << 16.
func (db *DB) clock() uint64 {
	ms := db.now().UnixMilli()
	if ms < 0 {
		ms = 0
	}
	return uint64(ms) << 16
}

// headOf returns a record's head, zero when the record does not exist.
func headOf(heads *bolt.Bucket, kind app.Kind, id string) (app.Version, error) {
	raw := heads.Get(recordKey(kind, id))
	if raw == nil {
		return app.Version{}, nil
	}
	v, err := decodeVersion(raw)
	if err != nil {
		return app.Version{}, fmt.Errorf("head of %s/%s: %w", kind, id, err)
	}
	return v, nil
}

// replaceTokens removes the record's previous index entries and adds the
// new ones; toks is canonical (sorted, unique).
func replaceTokens(toks, index *bolt.Bucket, kind app.Kind, id string, v app.Version, set [][]byte) error {
	rk := recordKey(kind, id)
	if old := toks.Get(rk); old != nil {
		_, prev, err := decodeTokenSet(old)
		if err != nil {
			return fmt.Errorf("index tokens of %s/%s: %w", kind, id, err)
		}
		for _, t := range prev {
			if _, found := slices.BinarySearchFunc(set, t, bytes.Compare); found {
				continue
			}
			if err := index.Delete(indexKey(t, kind, id)); err != nil {
				return err
			}
		}
	}
	if len(set) == 0 {
		return toks.Delete(rk)
	}
	for _, t := range set {
		if err := index.Put(indexKey(t, kind, id), []byte{}); err != nil {
			return err
		}
	}
	return toks.Put(rk, encodeTokenSet(v, set))
}

// sealed is one version as read from the file, copied out of the tx.
type sealed struct {
	kind    app.Kind
	id      string
	version app.Version
	parent  app.Version
	endorse []byte // nil without an endorsement
	ct      []byte
	err     error // the value did not parse
}

// open decrypts a sealed version. A failure wraps app.ErrTampered.
func (r *Records) open(s sealed) (app.StoredRecord, error) {
	rec := app.StoredRecord{Kind: s.kind, ID: s.id, Version: s.version, Parent: s.parent, Endorsement: s.endorse}
	if s.err != nil {
		return rec, s.err
	}
	data, err := r.aead.Decrypt(s.ct, associatedData(s.kind, s.id, s.version, s.parent))
	if err != nil {
		return rec, fmt.Errorf("record %s/%s version %s: %w: %v", s.kind, s.id, s.version, app.ErrTampered, err)
	}
	if data == nil {
		data = []byte{}
	}
	rec.Data = data
	return rec, nil
}

// readVersion copies one version out of the tx; a missing or malformed
// value is reported in sealed.err as ErrCorrupt.
func (db *DB) readVersion(vers *bolt.Bucket, kind app.Kind, id string, v app.Version) sealed {
	s := sealed{kind: kind, id: id, version: v}
	raw := vers.Get(versionKey(kind, id, v))
	if raw == nil {
		s.err = corrupt(db.path, fmt.Sprintf("record %s/%s: its head names version %s, which is missing", kind, id, v))
		return s
	}
	parent, endorsement, ct, err := decodeVersionValue(raw)
	if err != nil {
		s.err = corrupt(db.path, fmt.Sprintf("record %s/%s version %s: %v", kind, id, v, err))
		return s
	}
	s.parent, s.endorse, s.ct = parent, bytes.Clone(endorsement), bytes.Clone(ct)
	return s
}

// Head returns the current version of a record, decrypted, or an error
// wrapping app.ErrNotFound.
func (r *Records) Head(ctx context.Context, kind app.Kind, id string) (app.StoredRecord, error) {
	var s sealed
	err := r.viewHead(ctx, kind, id, bucketVersions, "read record", func(vers *bolt.Bucket, head app.Version) error {
		s = r.db.readVersion(vers, kind, id, head)
		return nil
	})
	if err != nil {
		return app.StoredRecord{}, err
	}
	return r.open(s)
}

// viewHead runs read in a read transaction with the bucket named and the
// record's current version, head. A record not there is app.ErrNotFound;
// other errors are wrapped with what ("read record") and the record.
func (r *Records) viewHead(ctx context.Context, kind app.Kind, id string, bucket []byte, what string, read func(b *bolt.Bucket, head app.Version) error) error {
	if err := r.ready(ctx); err != nil {
		return err
	}
	if err := checkRecord(kind, id); err != nil {
		return err
	}
	found := false
	err := r.db.view(ctx, func(tx *bolt.Tx) error {
		heads, b := tx.Bucket(bucketHeads), tx.Bucket(bucket)
		if heads == nil || b == nil {
			return nil
		}
		head, err := headOf(heads, kind, id)
		if err != nil || head.IsZero() {
			return err
		}
		found = true
		return read(b, head)
	})
	if err != nil {
		return fmt.Errorf("%s %s/%s: %w", what, kind, id, err)
	}
	if !found {
		return fmt.Errorf("record %s/%s: %w", kind, id, app.ErrNotFound)
	}
	return nil
}

// History returns every version of a record, oldest first, decrypted, or an
// error wrapping app.ErrNotFound. Any version that fails to decrypt fails
// the call with app.ErrTampered.
func (r *Records) History(ctx context.Context, kind app.Kind, id string) ([]app.StoredRecord, error) {
	if err := r.ready(ctx); err != nil {
		return nil, err
	}
	if err := checkRecord(kind, id); err != nil {
		return nil, err
	}
	var all []sealed
	err := r.db.view(ctx, func(tx *bolt.Tx) error {
		vers := tx.Bucket(bucketVersions)
		if vers == nil {
			return nil
		}
		p := versionPrefix(kind, id)
		c := vers.Cursor()
		for k, val := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, val = c.Next() {
			s := sealed{kind: kind, id: id}
			v, err := decodeVersion(k[len(p):])
			if err != nil {
				return fmt.Errorf("record %s/%s: %w", kind, id, err)
			}
			s.version = v
			parent, endorsement, ct, err := decodeVersionValue(val)
			if err != nil {
				return fmt.Errorf("record %s/%s version %s: %w", kind, id, v, err)
			}
			s.parent, s.endorse, s.ct = parent, bytes.Clone(endorsement), bytes.Clone(ct)
			all = append(all, s)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read history of %s/%s: %w", kind, id, err)
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("record %s/%s: %w", kind, id, app.ErrNotFound)
	}
	out := make([]app.StoredRecord, len(all))
	for i, s := range all {
		rec, err := r.open(s)
		if err != nil {
			return nil, err
		}
		out[i] = rec
	}
	return out, nil
}

// Heads yields the current version of every record of kind, in id order.
// It reads headsPage records per transaction and decrypts and yields them
// with no transaction open, so the loop body may call any method of the
// store. The listing is not a snapshot: records committed meanwhile may or
// may not appear. A record that fails to decrypt or parse is yielded with
// an error (app.ErrTampered, ErrCorrupt) and the listing goes on; any other
// error ends it.
func (r *Records) Heads(ctx context.Context, kind app.Kind) iter.Seq2[app.StoredRecord, error] {
	return func(yield func(app.StoredRecord, error) bool) {
		if err := r.ready(ctx); err != nil {
			yield(app.StoredRecord{}, err)
			return
		}
		if err := checkName("kind", string(kind), maxKindLen); err != nil {
			yield(app.StoredRecord{}, err)
			return
		}
		prefix := kindPrefix(kind)
		var after []byte // last key read
		for {
			var page []sealed
			err := r.db.view(ctx, func(tx *bolt.Tx) error {
				heads, vers := tx.Bucket(bucketHeads), tx.Bucket(bucketVersions)
				if heads == nil || vers == nil {
					return nil
				}
				c := heads.Cursor()
				for k, val := resume(c, prefix, after); k != nil && bytes.HasPrefix(k, prefix) && len(page) < headsPage; k, val = c.Next() {
					if len(k) > maxRecordKey {
						return decodeErr("head key", k)
					}
					after = bytes.Clone(k)
					id := string(k[len(prefix):])
					v, err := decodeVersion(val)
					if err != nil || checkName("id", id, maxIDLen) != nil {
						page = append(page, sealed{kind: kind, id: id, err: corrupt(r.db.path, fmt.Sprintf("head of %s/%q: %v", kind, id, err))})
						continue
					}
					page = append(page, r.db.readVersion(vers, kind, id, v))
				}
				return nil
			})
			if err != nil {
				yield(app.StoredRecord{}, fmt.Errorf("list %s records: %w", kind, err))
				return
			}
			for _, s := range page {
				if !yield(r.open(s)) {
					return
				}
			}
			if len(page) < headsPage {
				return
			}
		}
	}
}

// Lookup returns the ids of the records (of any kind) whose current token
// set holds token, sorted, without duplicates. No match is an empty result,
// not an error.
func (r *Records) Lookup(ctx context.Context, token []byte) ([]string, error) {
	if err := r.ready(ctx); err != nil {
		return nil, err
	}
	if err := checkToken(token); err != nil {
		return nil, err
	}
	var ids []string
	err := r.db.view(ctx, func(tx *bolt.Tx) error {
		index := tx.Bucket(bucketIndex)
		if index == nil {
			return nil
		}
		p := indexPrefix(token)
		c := index.Cursor()
		for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
			_, _, id, err := decodeIndexKey(k)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("search the index: %w", err)
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// Tokens returns the token set stored with a record's current version,
// sorted; nil when the record has none. A missing record is app.ErrNotFound.
func (r *Records) Tokens(ctx context.Context, kind app.Kind, id string) ([][]byte, error) {
	var toks [][]byte
	err := r.viewHead(ctx, kind, id, bucketTokens, "read index tokens of", func(tb *bolt.Bucket, head app.Version) error {
		raw := tb.Get(recordKey(kind, id))
		if raw == nil {
			return nil
		}
		v, set, err := decodeTokenSet(raw)
		if err != nil {
			return err
		}
		if v != head {
			return corrupt(r.db.path, fmt.Sprintf("record %s/%s: its index tokens belong to version %s, not the current %s", kind, id, v, head))
		}
		toks = set
		return nil
	})
	if err != nil {
		return nil, err
	}
	return toks, nil
}
