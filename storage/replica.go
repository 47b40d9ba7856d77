package storage

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"folio/app"
)

// This file is the store's side of sync: versions leave as they were
// sealed (the archive and the other devices of the organisation hold the
// same ciphertext; the associated data binds kind, id, version and parent,
// so a version cannot be moved or altered on the way), and versions written
// elsewhere come in the same way.
//
// Every replica picks the same current version of a record: the greatest
// of all its versions by (HLC, device). A child is always greater than its
// parent (a device's clock passes every version it has seen), so that
// version is one the record's last writers made, whatever order the
// versions arrived in. A version whose parent is not the head it meets
// forks the record: both branches are kept and the record is listed as in
// conflict until a person resolves it (ResolveConflict).

// SealedVersion is one record version as it travels between replicas
// (app.SealedVersion).
type SealedVersion = app.SealedVersion

// RecordRef names a record.
type RecordRef = app.RecordRef

// ImportReport says what an import changed.
type ImportReport = app.ReplicaReport

// TokensFunc derives a record version's blind-index tokens from its
// plaintext (the app knows how, per kind); nil tokens take the record out
// of the index.
type TokensFunc = app.TokensFunc

var _ app.ReplicaStore = (*Records)(nil)

// Sealed is Replica.Sealed (app.ReplicaStore).
func (r *Records) Sealed(ctx context.Context, kind app.Kind, id string, v app.Version) (SealedVersion, error) {
	return r.db.Replica().Sealed(ctx, kind, id, v)
}

// OpenVersion is OpenVersion with the store's key (app.ReplicaStore).
func (r *Records) OpenVersion(v SealedVersion) ([]byte, error) {
	if r.aead == nil {
		return nil, fmt.Errorf("open a version: %w", app.ErrLocked)
	}
	return OpenVersion(r.aead, v)
}

// ImportVersions is Replica.ImportVersions with the store's key
// (app.ReplicaStore).
func (r *Records) ImportVersions(ctx context.Context, vs []SealedVersion, tokens TokensFunc) (ImportReport, error) {
	if err := r.ready(ctx); err != nil {
		return ImportReport{}, err
	}
	return r.db.Replica().ImportVersions(ctx, r.aead, vs, tokens)
}

// Reindex is Replica.Reindex (app.ReplicaStore).
func (r *Records) Reindex(ctx context.Context, kind app.Kind, id string, v app.Version, tokens [][]byte) error {
	return r.db.Replica().Reindex(ctx, kind, id, v, tokens)
}

// Replica is the replica side of a DB, with no key of its own: sealed
// versions read for sending and imported from elsewhere, index tokens
// derived again, and the records in conflict (app.ConflictStore). It is
// cheap to make.
type Replica struct {
	db *DB
}

// Replica returns the replica side of db.
func (db *DB) Replica() *Replica { return &Replica{db: db} }

// metaConflict prefixes the conflict markers: kind NUL id → the versions
// that are branch tips, as the import saw them.
const metaConflict = metaReserved + "conflict/"

// Sealed returns one version of a record as it is stored, for sending.
func (rp *Replica) Sealed(ctx context.Context, kind app.Kind, id string, v app.Version) (SealedVersion, error) {
	if err := checkRecord(kind, id); err != nil {
		return SealedVersion{}, err
	}
	var s sealed
	err := rp.db.view(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketVersions).Get(versionKey(kind, id, v)) == nil {
			return fmt.Errorf("version %s of %s/%s: %w", v, kind, id, app.ErrNotFound)
		}
		s = rp.db.readVersion(tx.Bucket(bucketVersions), kind, id, v)
		return s.err
	})
	if err != nil {
		return SealedVersion{}, err
	}
	return SealedVersion{Kind: kind, ID: id, Version: v, Parent: s.parent, Ciphertext: s.ct, Endorsement: s.endorse}, nil
}

// OpenVersion opens a version as sealed elsewhere, as ImportVersions
// would, without storing it: the syncer checks a user's or key slots'
// plaintext against its endorsement first. A failure wraps app.ErrTampered.
func OpenVersion(aead app.AEAD, v SealedVersion) ([]byte, error) {
	if err := checkRecord(v.Kind, v.ID); err != nil {
		return nil, err
	}
	pt, err := aead.Decrypt(v.Ciphertext, associatedData(v.Kind, v.ID, v.Version, v.Parent))
	if err != nil {
		return nil, fmt.Errorf("version %s of %s/%s: %w: it does not open with this vault's key as that version (%v)", v.Version, v.Kind, v.ID, app.ErrTampered, err)
	}
	return pt, nil
}

// ImportVersions stores versions written on other devices, as sealed
// there. Each must open with aead under its own kind, id, version and
// parent, or the whole import is refused (ErrTampered) and nothing is
// stored. A version already here is skipped if it is the same ciphertext;
// a different one under the same version is ErrTampered. Imported versions
// do not enter this device's oplog, and the clock moves past them so local
// writes order after what was seen. A record whose current version changes
// gets that version's index tokens from tokens, in the same transaction.
func (rp *Replica) ImportVersions(ctx context.Context, aead app.AEAD, vs []SealedVersion, tokens TokensFunc) (ImportReport, error) {
	plain := make([][]byte, len(vs))
	for i, v := range vs {
		if err := checkRecord(v.Kind, v.ID); err != nil {
			return ImportReport{}, fmt.Errorf("import: %w", err)
		}
		if v.Version.IsZero() || len(v.Ciphertext) > maxCiphertext || len(v.Endorsement) > maxEndorsement {
			return ImportReport{}, fmt.Errorf("import: %w", app.Invalidf("version %s of %s/%s (%d bytes, an endorsement of %d)", v.Version, v.Kind, v.ID, len(v.Ciphertext), len(v.Endorsement)))
		}
		pt, err := aead.Decrypt(v.Ciphertext, associatedData(v.Kind, v.ID, v.Version, v.Parent))
		if err != nil {
			return ImportReport{}, fmt.Errorf("import version %s of %s/%s: %w: it does not open with this vault's key as that version (%v)",
				v.Version, v.Kind, v.ID, app.ErrTampered, err)
		}
		plain[i] = pt
	}
	// The index follows each changed record's new head: its tokens are
	// derived before the transaction, from the greatest new version.
	newest := map[RecordRef]int{}
	for i, v := range vs {
		ref := RecordRef{Kind: v.Kind, ID: v.ID}
		if j, ok := newest[ref]; !ok || vs[j].Version.Less(v.Version) {
			newest[ref] = i
		}
	}
	toks := map[RecordRef][][]byte{}
	for ref, i := range newest {
		v := vs[i]
		var set [][]byte
		if tokens != nil {
			t, err := tokens(app.StoredRecord{Kind: v.Kind, ID: v.ID, Version: v.Version, Parent: v.Parent, Data: plain[i], Endorsement: v.Endorsement})
			if err != nil {
				return ImportReport{}, fmt.Errorf("import: index tokens of %s/%s: %w", v.Kind, v.ID, err)
			}
			if set, err = canonicalTokens(t); err != nil {
				return ImportReport{}, fmt.Errorf("import: index tokens of %s/%s: %w", v.Kind, v.ID, err)
			}
		}
		toks[ref] = set
	}
	var rep ImportReport
	err := rp.db.update(ctx, func(tx *bolt.Tx) error {
		rep = ImportReport{}
		vers, heads, meta := tx.Bucket(bucketVersions), tx.Bucket(bucketHeads), tx.Bucket(bucketMeta)
		tokBucket, index := tx.Bucket(bucketTokens), tx.Bucket(bucketIndex)
		last, err := decodeUint64(meta.Get([]byte(metaHLC)))
		if err != nil {
			return err
		}
		changed, forked := map[RecordRef]bool{}, map[RecordRef]bool{}
		for _, v := range vs {
			vk := versionKey(v.Kind, v.ID, v.Version)
			if old := vers.Get(vk); old != nil {
				// The endorsement is not compared: the version held keeps
				// the one it came with.
				parent, _, ct, err := decodeVersionValue(old)
				if err != nil || parent != v.Parent || !bytes.Equal(ct, v.Ciphertext) {
					return fmt.Errorf("version %s of %s/%s: %w: this replica holds a different version under the same name", v.Version, v.Kind, v.ID, app.ErrTampered)
				}
				rep.Known++
				continue
			}
			if err := vers.Put(vk, encodeVersionValue(v.Parent, v.Endorsement, v.Ciphertext)); err != nil {
				return err
			}
			rep.Stored++
			last = max(last, v.Version.HLC)
			head, err := headOf(heads, v.Kind, v.ID)
			if err != nil {
				return err
			}
			ref := RecordRef{Kind: v.Kind, ID: v.ID}
			if err := continueBranch(meta, ref, v.Parent, v.Version); err != nil {
				return err
			}
			if !head.IsZero() && head != v.Parent {
				forked[ref] = true
				if err := markConflict(meta, ref, head, v.Version); err != nil {
					return err
				}
			}
			if head.Less(v.Version) {
				if err := heads.Put(recordKey(v.Kind, v.ID), encodeVersion(v.Version)); err != nil {
					return err
				}
				changed[ref] = true
			}
		}
		for ref := range changed {
			// The head is the greatest version stored; when it is one of
			// this import's, its tokens were derived above.
			head, err := headOf(heads, ref.Kind, ref.ID)
			if err != nil {
				return err
			}
			if i := newest[ref]; vs[i].Version == head {
				if err := replaceTokens(tokBucket, index, ref.Kind, ref.ID, head, toks[ref]); err != nil {
					return err
				}
			}
		}
		if err := meta.Put([]byte(metaHLC), encodeUint64(last)); err != nil {
			return err
		}
		rep.Changed, rep.Forked = sortedRefs(changed), sortedRefs(forked)
		return nil
	})
	if err != nil {
		return ImportReport{}, fmt.Errorf("import versions: %w", err)
	}
	return rep, nil
}

// continueBranch keeps a conflicted record's marker listing the tips of
// its branches: a version continuing a branch replaces its parent there.
// So every replica holding the same versions lists the same tips, in
// whatever order they arrived.
func continueBranch(meta *bolt.Bucket, ref RecordRef, parent, v app.Version) error {
	key := []byte(metaConflict + string(recordKey(ref.Kind, ref.ID)))
	raw := meta.Get(key)
	if raw == nil {
		return nil
	}
	have, err := decodeVersions(raw)
	if err != nil {
		return fmt.Errorf("conflict marker of %s/%s: %w", ref.Kind, ref.ID, err)
	}
	if !slices.Contains(have, parent) {
		return nil // a new branch: the fork check adds it
	}
	have = slices.DeleteFunc(have, func(t app.Version) bool { return t == parent })
	if err := meta.Delete(key); err != nil {
		return err
	}
	if len(have) == 0 {
		return markConflict(meta, ref, v)
	}
	return markConflict(meta, ref, append(have, v)...)
}

// markConflict adds branch tips to a record's conflict marker.
func markConflict(meta *bolt.Bucket, ref RecordRef, tips ...app.Version) error {
	key := []byte(metaConflict + string(recordKey(ref.Kind, ref.ID)))
	var have []app.Version
	if raw := meta.Get(key); raw != nil {
		var err error
		if have, err = decodeVersions(raw); err != nil {
			return fmt.Errorf("conflict marker of %s/%s: %w", ref.Kind, ref.ID, err)
		}
	}
	for _, t := range tips {
		if !slices.Contains(have, t) {
			have = append(have, t)
		}
	}
	slices.SortFunc(have, func(a, b app.Version) int {
		switch {
		case a.Less(b):
			return -1
		case b.Less(a):
			return 1
		}
		return 0
	})
	var out []byte
	for _, v := range have {
		out = appendVersion(out, v)
	}
	return meta.Put(key, out)
}

func decodeVersions(raw []byte) ([]app.Version, error) {
	if len(raw)%versionLen != 0 {
		return nil, decodeErr("version list", raw)
	}
	var out []app.Version
	for i := 0; i < len(raw); i += versionLen {
		v, err := decodeVersion(raw[i : i+versionLen])
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Conflict is a record with more than one branch and the tips seen.
type Conflict struct {
	RecordRef
	Tips []app.Version
}

// Conflicts lists the records in conflict, in kind and id order.
func (rp *Replica) Conflicts(ctx context.Context) ([]Conflict, error) {
	var out []Conflict
	err := rp.db.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketMeta).Cursor()
		for k, v := c.Seek([]byte(metaConflict)); k != nil && strings.HasPrefix(string(k), metaConflict); k, v = c.Next() {
			kind, id, ok := strings.Cut(strings.TrimPrefix(string(k), metaConflict), "\x00")
			if !ok {
				return corrupt(rp.db.path, fmt.Sprintf("conflict marker %q", k))
			}
			tips, err := decodeVersions(v)
			if err != nil {
				return corrupt(rp.db.path, fmt.Sprintf("conflict marker of %s/%s: %v", kind, id, err))
			}
			out = append(out, Conflict{RecordRef{Kind: app.Kind(kind), ID: id}, tips})
		}
		return nil
	})
	return out, err
}

// ResolveConflict clears a record's conflict marker, once a person has
// written the version that settles it.
func (rp *Replica) ResolveConflict(ctx context.Context, kind app.Kind, id string) error {
	if err := checkRecord(kind, id); err != nil {
		return err
	}
	return rp.db.update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Delete([]byte(metaConflict + string(recordKey(kind, id))))
	})
}

func sortedRefs(m map[RecordRef]bool) []RecordRef {
	out := make([]RecordRef, 0, len(m))
	for r := range m {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b RecordRef) int {
		if c := strings.Compare(string(a.Kind), string(b.Kind)); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// Reindex replaces the index tokens of a record whose current version is
// still v (the tokens were derived again, from page text that arrived
// after the version did). A record that moved on since is left alone: its
// new head brought its own tokens. It writes no version and no oplog entry.
func (rp *Replica) Reindex(ctx context.Context, kind app.Kind, id string, v app.Version, tokens [][]byte) error {
	if err := checkRecord(kind, id); err != nil {
		return err
	}
	set, err := canonicalTokens(tokens)
	if err != nil {
		return fmt.Errorf("reindex %s/%s: %w", kind, id, err)
	}
	return rp.db.update(ctx, func(tx *bolt.Tx) error {
		head, err := headOf(tx.Bucket(bucketHeads), kind, id)
		if err != nil || head != v {
			return err
		}
		return replaceTokens(tx.Bucket(bucketTokens), tx.Bucket(bucketIndex), kind, id, v, set)
	})
}

// RecordConflicts lists the records in conflict in app's terms
// (app.ConflictStore).
func (rp *Replica) RecordConflicts(ctx context.Context) ([]app.RecordConflict, error) {
	cs, err := rp.Conflicts(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]app.RecordConflict, len(cs))
	for i, c := range cs {
		out[i] = app.RecordConflict{Kind: c.Kind, ID: c.ID, Tips: c.Tips}
	}
	return out, nil
}

// ClearConflict is ResolveConflict (app.ConflictStore).
func (rp *Replica) ClearConflict(ctx context.Context, kind app.Kind, id string) error {
	return rp.ResolveConflict(ctx, kind, id)
}
