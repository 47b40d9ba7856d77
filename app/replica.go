package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strconv"
	"strings"

	"folio/endorse"
)

// This file is the session's side of sync, the Replica service: the
// syncer sends and receives sealed versions and sealed blob files and
// holds no key; whatever needs a key or the plaintext — checking and
// storing the versions that come in (incoming.go), the blob manifests, the
// key slots, the index of a document whose text arrived, the bundle's
// reply key, the restored vault's audit splice, the vault statements and
// key grants of joining (join.go) — is done here, through the session,
// which checks and audits. The two kinds of record that exist for sync
// alone are declared here too.

// Replica is what the sync engine and joining a workstation do through a
// signed-in session: take in the versions written elsewhere (checked
// against the vault's signing keys, refusals audited) and screen this
// workstation's own, share key slots, read and write blob manifests,
// authenticate received blobs, index again documents whose text arrived,
// keep the bundle's reply key sealed, rejoin a restored vault's audit
// trail, sign statements about the vault and grant its keys to a joining
// workstation. It implements syncer.Session; the engine holds it, never
// the session or a key.
type Replica struct{ s *Session }

// Replica returns the session's sync service.
func (s *Session) Replica() Replica { return Replica{s} }

// Checkpoint signs the audit trail's keyed head (the core's Checkpoint),
// for the engine after it spliced a restored vault's trail.
func (rp Replica) Checkpoint(ctx context.Context) error { return rp.s.Checkpoint(ctx) }

// Record kinds kept for sync.
const (
	// KindBlob is a blob's manifest: its class, patient, and the SHA-256
	// and size of its sealed file, which is how the archive addresses it.
	// The record id is the blob id.
	KindBlob Kind = "blob"
	// KindKeySlots carries one user's password slots (or, with id
	// RecoverySlotsID, the recovery slot), so staff sign in at every
	// workstation of the organisation. A slot wraps the vault's master key
	// under a password: it is sealed again here like any record.
	KindKeySlots Kind = "keyslots"
	// RecoverySlotsID is the KindKeySlots record of the recovery slot.
	RecoverySlotsID = "~recovery"
)

// BlobClass says what a blob holds; the syncer moves small, urgent classes
// first.
type BlobClass string

// Blob classes in the order they are sent: text and thumbnails before
// page images, page images before the scanned originals.
const (
	BlobText     BlobClass = "text"
	BlobThumb    BlobClass = "thumb"
	BlobWords    BlobClass = "words"
	BlobView     BlobClass = "view"
	BlobOriginal BlobClass = "original"
	BlobOther    BlobClass = "other"
)

// Rank orders classes for transfer (lower first).
func (c BlobClass) Rank() int {
	switch c {
	case BlobText, BlobThumb:
		return 0
	case BlobWords:
		return 1
	case BlobView:
		return 2
	case BlobOriginal:
		return 3
	}
	return 4
}

// BlobManifest is the data of a KindBlob record.
type BlobManifest struct {
	Class   BlobClass `json:"class"`
	Patient string    `json:"patient,omitempty"` // the patient the blob's document is filed to
	SHA256  string    `json:"sha256"`            // of the sealed file: the archive's id
	Size    int64     `json:"size"`              // of the sealed file
}

// BlobRef is where a blob belongs: its class and patient.
type BlobRef struct {
	Class   BlobClass
	Patient string
}

// errNoReplica is a vault not wired for sync (Config.Replica unset).
var errNoReplica = errors.New("this vault is not set up for sync")

// store returns the record store's side of sync, sealed with the
// session's record key, or ErrLocked.
func (rp Replica) store() (ReplicaStore, error) {
	keys, err := rp.s.keyring()
	if err != nil {
		return nil, err
	}
	if rp.s.v.cfg.Replica == nil {
		return nil, errNoReplica
	}
	return rp.s.v.cfg.Replica(keys.RecordAEAD()), nil
}

// SealedBlob is what the syncer reads off a sealed blob file: its SHA-256
// and size, by which the archive knows it. It holds no plaintext.
type SealedBlob struct {
	ID     string
	SHA256 string
	Size   int64
}

// BlobManifests returns every blob manifest of the vault, by blob id. A
// manifest that does not read is left out (and named in skipped).
func (rp Replica) BlobManifests(ctx context.Context) (ms map[string]BlobManifest, skipped []string, err error) {
	if _, err := rp.s.keyring(); err != nil {
		return nil, nil, err
	}
	ms = map[string]BlobManifest{}
	for rec, err := range rp.s.records.Heads(ctx, KindBlob) {
		if err != nil {
			return nil, nil, fmt.Errorf("read blob manifests: %w", err)
		}
		var m BlobManifest
		if err := json.Unmarshal(rec.Data, &m); err != nil || len(m.SHA256) != 64 || m.Size <= 0 {
			skipped = append(skipped, rec.ID)
			continue
		}
		ms[rec.ID] = m
	}
	return ms, skipped, nil
}

// manifestsPerCommit bounds the manifests AddBlobManifests writes in one
// commit.
const manifestsPerCommit = 500

// AddBlobManifests writes a manifest for each sealed blob file of files
// (blobs this vault holds that have none): the session names its class and
// patient from the documents and batches that use it; the syncer only
// hashed the sealed file. The manifests travel with the next push. It
// writes them manifestsPerCommit at a time, as files yields them, and
// returns those it wrote.
func (rp Replica) AddBlobManifests(ctx context.Context, files iter.Seq2[SealedBlob, error]) (map[string]BlobManifest, error) {
	if _, err := rp.s.keyring(); err != nil {
		return nil, err
	}
	out := map[string]BlobManifest{}
	var refs map[string]BlobRef
	var writes []RecordWrite
	flush := func() error {
		if len(writes) == 0 {
			return nil
		}
		_, err := rp.s.records.Commit(ctx, Commit{Writes: writes})
		writes = writes[:0]
		return err
	}
	for f, err := range files {
		if err != nil {
			return nil, err
		}
		if refs == nil {
			if refs, err = rp.blobRefs(ctx); err != nil {
				return nil, err
			}
		}
		ref, ok := refs[f.ID]
		if !ok {
			ref = BlobRef{Class: BlobOther}
		}
		m := BlobManifest{Class: ref.Class, Patient: ref.Patient, SHA256: f.SHA256, Size: f.Size}
		data, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		writes = append(writes, RecordWrite{Kind: KindBlob, ID: f.ID, Data: data})
		out[f.ID] = m
		if len(writes) == manifestsPerCommit {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	return out, flush()
}

// ErrBlobRemoved wraps the reason a blob file the syncer received did not
// open with the vault's blob key: it was removed (CheckReceivedBlob).
var ErrBlobRemoved = errors.New("does not open with the vault's blob key; removed")

// CheckReceivedBlob authenticates the whole file of a blob the syncer
// received (downloaded, or from a sync bundle) with the vault's blob key,
// keeping no plaintext. One that does not open is removed, and the error
// wraps ErrBlobRemoved and the reason.
func (rp Replica) CheckReceivedBlob(ctx context.Context, id string) error {
	keys, err := rp.s.keyring()
	if err != nil {
		return err
	}
	if rp.s.v.cfg.Blobs == nil {
		return ErrScanningOff
	}
	aead, err := keys.BlobAEAD()
	if err != nil {
		return err
	}
	blobs := rp.s.v.cfg.Blobs(aead)
	if err := blobs.Verify(ctx, id); err != nil {
		_ = blobs.DeleteBlob(ctx, id)
		return fmt.Errorf("blob %s %w: %w", id, ErrBlobRemoved, err)
	}
	return nil
}

// ReindexTexts derives again the index tokens of the documents whose page
// text is one of the blobs in texts (just arrived), so their words become
// searchable here. It goes on past a document that fails and returns what
// failed.
func (rp Replica) ReindexTexts(ctx context.Context, texts map[string]bool) error {
	if len(texts) == 0 {
		return nil
	}
	replica, err := rp.store()
	if err != nil {
		return err
	}
	ids, err := rp.documentTextBlobs(ctx, texts)
	if err != nil {
		return fmt.Errorf("find the documents to index again: %w", err)
	}
	var errs []error
	for _, id := range ids {
		rec, err := rp.s.records.Head(ctx, KindDocument, id)
		if err != nil {
			continue
		}
		toks, err := rp.s.encode.indexTokens(ctx, rec)
		if err == nil {
			err = replica.Reindex(ctx, KindDocument, id, rec.Version, toks)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("index the text of document %s: %w", id, err))
		}
	}
	return errors.Join(errs...)
}

// HoldsUsers reports whether the vault holds a user record (the vault that
// created the organisation does; a joining one only once they arrived).
func (rp Replica) HoldsUsers(ctx context.Context) bool {
	for _, err := range rp.s.records.Heads(ctx, KindUser) {
		return err == nil
	}
	return false
}

// adBundleKey is the associated data of the sealed private half of this
// vault's sync-bundle reply key (+ device id).
const adBundleKey = "folio sync bundle reply key "

// SealBundleKey seals the private half of this vault's sync-bundle reply
// key with the record key, bound to this device, for the syncer to keep in
// the vault's meta.
func (rp Replica) SealBundleKey(private []byte) ([]byte, error) {
	keys, err := rp.s.keyring()
	if err != nil {
		return nil, err
	}
	return keys.RecordAEAD().Encrypt(private, []byte(adBundleKey+rp.s.v.cfg.Device.String()))
}

// OpenBundleKey opens what SealBundleKey sealed; the caller clears it
// after use.
func (rp Replica) OpenBundleKey(sealed []byte) ([]byte, error) {
	keys, err := rp.s.keyring()
	if err != nil {
		return nil, err
	}
	return keys.RecordAEAD().Decrypt(sealed, []byte(adBundleKey+rp.s.v.cfg.Device.String()))
}

// RestoreEvent seals the audit event that records this vault, restored
// from a backup, rejoining its archive's copy of its audit trail; detail
// says what was fetched back. The syncer links it after the spliced trail
// (storage.Audit.RejoinAudit) and then asks for a Checkpoint.
func (rp Replica) RestoreEvent(detail string) ([]byte, error) {
	if _, err := rp.s.keyring(); err != nil {
		return nil, err
	}
	return sealEvent(rp.s.sealer, rp.s.stamp(context.Background(), AuditEvent{Action: ActVaultRestored, Outcome: OutcomeOK, Detail: detail}))
}

// AuditKey returns the key that signs the audit trail's keyed head, for
// the syncer's splice of a restored vault's trail (only Sign and Verify,
// not the keyring).
func (rp Replica) AuditKey() (AuditKey, error) {
	keys, err := rp.s.keyring()
	if err != nil {
		return nil, err
	}
	return auditKey{keys}, nil
}

// auditKey narrows a Keyring to AuditKey.
type auditKey struct{ k Keyring }

func (a auditKey) Sign(msg []byte) ([]byte, error) { return a.k.Sign(msg) }
func (a auditKey) Verify(msg, sig []byte) error    { return a.k.Verify(msg, sig) }

// documentTextBlobs returns, for each document whose page text blob is
// one of ids, the document id: the documents to index again once those
// blobs arrived.
func (rp Replica) documentTextBlobs(ctx context.Context, ids map[string]bool) ([]string, error) {
	var out []string
	for d, err := range heads(ctx, rp.s, KindDocument, decodeDocument, skipDamaged) {
		if err != nil {
			return nil, err
		}
		for _, p := range d.Pages {
			if ids[p.Text] {
				out = append(out, d.ID)
				break
			}
		}
	}
	return out, nil
}

// blobRefs maps every blob the documents and batches of the vault name to
// its class and patient.
func (rp Replica) blobRefs(ctx context.Context) (map[string]BlobRef, error) {
	out := map[string]BlobRef{}
	for b, err := range heads(ctx, rp.s, KindBatch, decodeBatch, skipDamaged) {
		if err != nil {
			return nil, err
		}
		if b.Original != "" {
			out[b.Original] = BlobRef{Class: BlobOriginal}
		}
	}
	for d, err := range heads(ctx, rp.s, KindDocument, decodeDocument, skipDamaged) {
		if err != nil {
			return nil, err
		}
		for _, p := range slices.Concat(d.Pages, d.Removed) {
			for id, c := range map[string]BlobClass{p.View: BlobView, p.Thumb: BlobThumb, p.Text: BlobText, p.Words: BlobWords} {
				if id != "" {
					out[id] = BlobRef{Class: c, Patient: d.PatientID}
				}
			}
		}
	}
	return out, nil
}

// RecentPatients returns the ids of the patients this session has read or
// written: blob downloads serve their documents first.
func (rp Replica) RecentPatients() map[string]bool {
	rp.s.mu.Lock()
	defer rp.s.mu.Unlock()
	out := make(map[string]bool, len(rp.s.cache))
	for id := range rp.s.cache {
		out[id] = true
	}
	return out
}

// keySlots is the data of a KindKeySlots record: meta key → slot, and the
// public signing key of the slots' user as its writer knew it (how an
// administrator learns the key a user registered with their own slots).
type keySlots struct {
	Slots map[string][]byte `json:"slots"`
	Key   []byte            `json:"key,omitempty"`
}

// slotsRecordID returns the KindKeySlots record id of a slot meta key.
func slotsRecordID(metaKey string) (string, bool) {
	if metaKey == slotRecovery {
		return RecoverySlotsID, true
	}
	rest, ok := strings.CutPrefix(metaKey, slotPrefix)
	if !ok {
		return "", false
	}
	user, _, ok := strings.Cut(rest, "/")
	return user, ok && user != ""
}

// ShareKeySlots writes a new KindKeySlots version for every user whose
// slots in this vault differ from the ones its record holds (a password set
// here), so they travel to the other workstations. Each version is
// endorsed by the signed-in user: their own slots, or, for an
// administrator whose key is certified, anyone's and the recovery slot.
// Slots this session may not sign wait for a session that may (package
// endorse). It returns how
// many records it wrote.
func (rp Replica) ShareKeySlots(ctx context.Context) (int, error) {
	all, err := rp.s.v.cfg.Meta.MetaPrefix(ctx, "slot/")
	if err != nil {
		return 0, err
	}
	local := map[string]map[string][]byte{}
	for k, v := range all {
		if id, ok := slotsRecordID(k); ok {
			if local[id] == nil {
				local[id] = map[string][]byte{}
			}
			local[id][k] = v
		}
	}
	held := map[string]StoredRecord{}
	for rec, err := range rp.s.records.Heads(ctx, KindKeySlots) {
		if err != nil {
			return 0, err
		}
		held[rec.ID] = rec
	}
	me := rp.s.User()
	mine := rp.s.SigningKey()
	// Others' slots only in the session of an administrator whose key
	// their user version certifies: the rules would refuse the others'.
	admin := me.Roles.Has(RoleAdmin) && mine != nil && bytes.Equal(me.SigningKey, mine)
	var writes []RecordWrite
	for _, id := range slices.Sorted(maps.Keys(local)) {
		if mine == nil || id != me.Name && !admin {
			continue
		}
		rec, ok := held[id]
		var ks keySlots
		if ok {
			if json.Unmarshal(rec.Data, &ks) == nil && maps.EqualFunc(ks.Slots, local[id], bytes.Equal) {
				continue
			}
		}
		next := keySlots{Slots: local[id]}
		var cert *endorse.UserCert
		switch {
		case id == me.Name:
			next.Key = mine
			if !bytes.Equal(me.SigningKey, mine) {
				// No user version certifies the key yet: register it
				// as the user's first (refused where one is registered).
				cert = &endorse.UserCert{Name: id, Key: mine}
			}
		case id != RecoverySlotsID:
			next.Key = rp.s.signing.known(ctx, id)
		}
		data, err := json.Marshal(next)
		if err != nil {
			return 0, err
		}
		e, err := rp.s.signing.endorse(KindKeySlots, id, rec.Version, data, cert)
		if err != nil {
			return 0, fmt.Errorf("share key slots: %w", err)
		}
		writes = append(writes, RecordWrite{Kind: KindKeySlots, ID: id, Parent: rec.Version, Data: data, Endorsement: e})
	}
	if len(writes) == 0 {
		return 0, nil
	}
	if _, err := rp.s.records.Commit(ctx, Commit{Writes: writes}); err != nil {
		return 0, fmt.Errorf("share key slots: %w", err)
	}
	return len(writes), nil
}

// applyReplicated makes this vault's slots of the given KindKeySlots records
// the ones their current versions hold (a password set on another
// workstation now opens this one too), removes the slots of users disabled
// elsewhere, and drops the session's cached patients that changed. A slot
// removed here is scrubbed from the file like one removed locally.
func (rp Replica) applyReplicated(ctx context.Context, kinds map[Kind][]string) error {
	rp.s.mu.Lock()
	for _, id := range kinds[KindPatient] {
		delete(rp.s.cache, id)
	}
	rp.s.mu.Unlock()
	errs := []error{rp.clearSettled(ctx, kinds)}
	for _, id := range kinds[KindKeySlots] {
		if err := rp.installSlots(ctx, id); err != nil {
			errs = append(errs, fmt.Errorf("install key slots of %s: %w", id, err))
		}
	}
	for _, id := range kinds[KindUser] {
		if !rp.userDisabled(ctx, id) {
			continue
		}
		if err := rp.replaceSlots(ctx, slotPrefix+id+"/", func(map[string][]byte) (map[string][]byte, []string) {
			return nil, nil
		}); err != nil {
			errs = append(errs, fmt.Errorf("remove the key slots of disabled user %s: %w", id, err))
		}
	}
	return errors.Join(errs...)
}

// clearSettled drops the flag of conflicted records whose current version
// settles every branch the flag names (a resolution made elsewhere).
func (rp Replica) clearSettled(ctx context.Context, changed map[Kind][]string) error {
	if rp.s.v.cfg.Conflicts == nil {
		return nil
	}
	refs, err := rp.s.v.cfg.Conflicts.RecordConflicts(ctx)
	if err != nil || len(refs) == 0 {
		return err
	}
	var errs []error
	for _, r := range refs {
		if !slices.Contains(changed[r.Kind], r.ID) {
			continue
		}
		head, err := rp.s.records.Head(ctx, r.Kind, r.ID)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var res struct {
			Resolves []string `json:"sync_resolves"`
		}
		if json.Unmarshal(head.Data, &res) != nil || len(res.Resolves) == 0 {
			continue
		}
		settled := map[string]bool{}
		for _, v := range res.Resolves {
			settled[v] = true
		}
		all := true
		for _, t := range r.Tips {
			if !settled[t.String()] && t != head.Version {
				all = false
			}
		}
		if all {
			errs = append(errs, rp.s.v.cfg.Conflicts.ClearConflict(ctx, r.Kind, r.ID))
		}
	}
	return errors.Join(errs...)
}

// installSlots makes this vault's slots of one KindKeySlots record the
// ones its current version holds. A slot the record lacks is dropped when
// the record holds a newer one (its password was set again elsewhere); a
// newer local slot (set here since) stays, and travels next round. A
// disabled user gets no slots.
func (rp Replica) installSlots(ctx context.Context, id string) error {
	rec, err := rp.s.records.Head(ctx, KindKeySlots, id)
	if err != nil {
		return err
	}
	var ks keySlots
	if err := json.Unmarshal(rec.Data, &ks); err != nil {
		return fmt.Errorf("%w: %v", ErrTampered, err)
	}
	prefix := slotPrefix + id + "/"
	if id == RecoverySlotsID {
		prefix = slotRecovery
	}
	disabled := id != RecoverySlotsID && rp.userDisabled(ctx, id)
	newest := int64(0)
	for k := range ks.Slots {
		newest = max(newest, slotTime(k))
	}
	return rp.replaceSlots(ctx, prefix, func(old map[string][]byte) (map[string][]byte, []string) {
		if disabled {
			return nil, nil
		}
		var keep []string
		for k := range old {
			if _, ok := ks.Slots[k]; ok || slotTime(k) >= newest {
				keep = append(keep, k)
			}
		}
		puts := map[string][]byte{}
		for k, v := range ks.Slots {
			if rid, ok := slotsRecordID(k); ok && rid == id {
				puts[k] = v
			}
		}
		return puts, keep
	})
}

// replaceSlots changes the slots under prefix: next is given the current
// ones and returns the slots to write and the names of current ones to
// keep (nil, nil removes them all). Removed or replaced slots are scrubbed
// from the file (Commit.Scrub).
func (rp Replica) replaceSlots(ctx context.Context, prefix string, next func(old map[string][]byte) (puts map[string][]byte, keep []string)) error {
	rp.s.v.mu.Lock()
	defer rp.s.v.mu.Unlock()
	old, err := rp.s.v.cfg.Meta.MetaPrefix(ctx, prefix)
	if err != nil {
		return err
	}
	puts, keep := next(old)
	var deletes []string
	for k := range old {
		if _, put := puts[k]; !put && !slices.Contains(keep, k) {
			deletes = append(deletes, k)
		}
	}
	for k, v := range puts {
		if bytes.Equal(old[k], v) {
			delete(puts, k)
		}
	}
	if len(puts) == 0 && len(deletes) == 0 {
		return nil
	}
	_, err = rp.s.records.Commit(ctx, Commit{Meta: puts, DeleteMeta: deletes, Scrub: removesSlot(puts, deletes)})
	return err
}

// userDisabled reports whether a user's current record says disabled (a
// user whose record is not here yet is not).
func (rp Replica) userDisabled(ctx context.Context, name string) bool {
	rec, err := rp.s.records.Head(ctx, KindUser, name)
	if err != nil {
		return false
	}
	var u User
	return json.Unmarshal(rec.Data, &u) == nil && u.Disabled
}

// slotTime is the time a password slot was written (its key's suffix, Unix
// nanoseconds), 0 for the recovery slot.
func slotTime(metaKey string) int64 {
	i := strings.LastIndexByte(metaKey, '/')
	n, err := strconv.ParseInt(metaKey[i+1:], 10, 64)
	if err != nil {
		return 0
	}
	return n
}
