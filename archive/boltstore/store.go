// Package boltstore is the archive's embedded store: one bbolt file for the
// record versions, the global order, the batch answers, the device registry
// and the audit chains, and a directory of content-addressed blob files
// beside it. It needs no set-up and suits one machine.
//
// Layout under the data directory:
//
//	archive.db               bbolt (never NoSync)
//	blobs/ab/abcdef…         complete, verified blobs, named by SHA-256
//	uploads/abcdef…/N        verified chunks of blobs being uploaded
//
// Invariants (besides archive.Store's):
//   - Every file is written temp → fsync → rename → fsync of its directory;
//     a chunk file exists only once its bytes are durable and verified, so
//     the files of uploads/ are the upload's progress.
//   - A blob is visible (in the blobs bucket) only after its file is in
//     place and its whole hash checked.
//   - bbolt rules as in storage/doc.go: values are copied out of a
//     transaction; no transaction is held across file I/O of blobs.
package boltstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"folio/archive"
	"folio/archive/api"
	"folio/endorse"
)

var (
	bucketChanges  = []byte("changes")  // seq → change
	bucketVersions = []byte("versions") // kind 0 id 0 hlc dev → seq
	bucketBatches  = []byte("batches")  // device batch → digest ‖ answer JSON
	bucketDevices  = []byte("devices")  // device → deviceRecord JSON
	bucketAudit    = []byte("audit")    // device seq → hash ‖ sealed
	bucketBlobs    = []byte("blobs")    // id → size
	bucketUploads  = []byte("uploads")  // id → size ‖ last chunk (unix ns; absent in older stores)
	bucketStats    = []byte("stats")    // name → uint64
	bucketBindings = []byte("bindings") // certificate serial → Binding JSON
	bucketDevCerts = []byte("devcerts") // device → certificate serial
	bucketKeyReqs  = []byte("keyreqs")  // device → KeyRequest JSON
	bucketBundleWS = []byte("bundlews") // device → archive.BundleWorkstation JSON
	bucketVault    = []byte("vault")    // "org" → api.OrgVault JSON; device → claim time (members)
	bucketCharges  = []byte("charges")  // blob id → device ‖ size: who was charged for it (Charge)
	bucketEndorse  = []byte("endorse")  // seq → the change's endorsement (JSON), for the changes that have one
	bucketQuotas   = []byte("quotas")   // workstation name → its quota (int64; NoQuota: none), SetQuota

	statRecordBytes = []byte("record_bytes")
	statBlobBytes   = []byte("blob_bytes")
)

// Store is the embedded archive store.
type Store struct {
	dir string
	db  *bolt.DB
	// finishMu serialises assembling blobs (two uploads of one blob may
	// finish at once).
	finishMu sync.Mutex
}

var _ archive.Store = (*Store)(nil)

// Open opens (creating if needed) the store in dir.
func Open(dir string) (*Store, error) {
	for _, d := range []string{dir, filepath.Join(dir, "blobs"), filepath.Join(dir, "uploads")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("open archive store: %w", err)
		}
	}
	path := filepath.Join(dir, "archive.db")
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open archive store %s (is another archive running on it?): %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketChanges, bucketVersions, bucketBatches, bucketDevices, bucketAudit, bucketBlobs, bucketUploads, bucketStats, bucketBindings, bucketDevCerts, bucketKeyReqs, bucketBundleWS, bucketVault, bucketCharges, bucketEndorse, bucketQuotas} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open archive store %s: %w", path, err)
	}
	s := &Store{dir: dir, db: db}
	if err := s.sweep(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open archive store %s: clean up after a crash: %w", dir, err)
	}
	return s, nil
}

// sweep removes what a crash can leave behind: temp files of cut writes,
// and the chunks of uploads that completed (or were discarded) before
// their directory was removed. Verified chunks of live uploads stay.
func (s *Store) sweep() error {
	live := map[string]bool{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketUploads).ForEach(func(k, _ []byte) error {
			live[string(k)] = true
			return nil
		})
	})
	if err != nil {
		return err
	}
	uploads := filepath.Join(s.dir, "uploads")
	ents, err := os.ReadDir(uploads)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if !live[e.Name()] {
			if err := os.RemoveAll(filepath.Join(uploads, e.Name())); err != nil {
				return err
			}
		}
	}
	return filepath.WalkDir(s.dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasPrefix(d.Name(), ".tmp-") {
			return os.Remove(path)
		}
		return nil
	})
}

// Close closes the bbolt file.
func (s *Store) Close() error { return s.db.Close() }

func u64(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

func devKey(d api.DeviceID, n uint64) []byte { return append(u64(uint64(d)), u64(n)...) }

func versionKey(kind, id string, v api.Version) []byte {
	k := make([]byte, 0, len(kind)+len(id)+18)
	k = append(k, kind...)
	k = append(k, 0)
	k = append(k, id...)
	k = append(k, 0)
	k = append(k, u64(v.HLC)...)
	return append(k, u64(uint64(v.Device))...)
}

// encodeChange: pusher, hlc, device, parent hlc, parent device (8 each),
// kind length (2), kind, id length (2), id, ciphertext.
func encodeChange(pusher api.DeviceID, v api.RecordVersion) []byte {
	b := make([]byte, 0, 44+len(v.Kind)+len(v.ID)+len(v.Ciphertext))
	for _, n := range []uint64{uint64(pusher), v.Version.HLC, uint64(v.Version.Device), v.Parent.HLC, uint64(v.Parent.Device)} {
		b = binary.BigEndian.AppendUint64(b, n)
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(v.Kind)))
	b = append(b, v.Kind...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(v.ID)))
	b = append(b, v.ID...)
	return append(b, v.Ciphertext...)
}

// readChange reads change seq, with its endorsement, copied out of tx.
func readChange(tx *bolt.Tx, seq uint64) (api.Change, error) {
	c, err := decodeChange(seq, tx.Bucket(bucketChanges).Get(u64(seq)))
	if err != nil {
		return c, err
	}
	return c, addEndorsement(tx, &c)
}

// addEndorsement reads c's endorsement, if it has one, into c.
func addEndorsement(tx *bolt.Tx, c *api.Change) error {
	raw := tx.Bucket(bucketEndorse).Get(u64(c.Seq))
	if raw == nil {
		return nil
	}
	var e endorse.Endorsement
	if err := json.Unmarshal(raw, &e); err != nil {
		return fmt.Errorf("%w: the endorsement of change %d is damaged in the archive store: %v", api.ErrInternal, c.Seq, err)
	}
	c.Endorsement = &e
	return nil
}

// putEndorsement keeps change seq's endorsement, if it has one.
func putEndorsement(tx *bolt.Tx, seq uint64, e *endorse.Endorsement) error {
	if e == nil {
		return nil
	}
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketEndorse).Put(u64(seq), b)
}

// decodeChange copies everything out of b (the endorsement is kept apart:
// readChange).
func decodeChange(seq uint64, b []byte) (api.Change, error) {
	bad := fmt.Errorf("%w: change %d is damaged in the archive store", api.ErrInternal, seq)
	if len(b) < 42 {
		return api.Change{}, bad
	}
	n := func(i int) uint64 { return binary.BigEndian.Uint64(b[8*i:]) }
	c := api.Change{Seq: seq, Pusher: api.DeviceID(n(0))}
	c.Version = api.Version{HLC: n(1), Device: api.DeviceID(n(2))}
	c.Parent = api.Version{HLC: n(3), Device: api.DeviceID(n(4))}
	rest := b[40:]
	kl := int(binary.BigEndian.Uint16(rest))
	if len(rest) < 2+kl+2 {
		return api.Change{}, bad
	}
	c.Kind = string(rest[2 : 2+kl])
	rest = rest[2+kl:]
	il := int(binary.BigEndian.Uint16(rest))
	if len(rest) < 2+il {
		return api.Change{}, bad
	}
	c.ID = string(rest[2 : 2+il])
	c.Ciphertext = bytes.Clone(rest[2+il:])
	return c, nil
}

type deviceRecord struct {
	Name         string    `json:"name,omitempty"`
	FirstSeen    time.Time `json:"first_seen"`
	LastSeen     time.Time `json:"last_seen"`
	LastBatch    uint64    `json:"last_batch"`
	Versions     uint64    `json:"versions"`
	AuditThrough uint64    `json:"audit_through"`
	Cursor       uint64    `json:"cursor"`
	Held         int64     `json:"held,omitempty"` // bytes counted against its quota (Charge)
}

func getDevice(tx *bolt.Tx, d api.DeviceID) (deviceRecord, bool, error) {
	var r deviceRecord
	v := tx.Bucket(bucketDevices).Get(u64(uint64(d)))
	if v == nil {
		return r, false, nil
	}
	if err := json.Unmarshal(v, &r); err != nil {
		return r, false, fmt.Errorf("%w: device %s's record is damaged: %v", api.ErrInternal, d, err)
	}
	return r, true, nil
}

func putDevice(tx *bolt.Tx, d api.DeviceID, r deviceRecord) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketDevices).Put(u64(uint64(d)), b)
}

func seen(r *deviceRecord, at time.Time) {
	at = at.UTC().Round(0)
	if r.FirstSeen.IsZero() {
		r.FirstSeen = at
	}
	if at.After(r.LastSeen) {
		r.LastSeen = at
	}
}

func addStat(tx *bolt.Tx, name []byte, n int64) error {
	b := tx.Bucket(bucketStats)
	var cur uint64
	if v := b.Get(name); len(v) == 8 {
		cur = binary.BigEndian.Uint64(v)
	}
	return b.Put(name, u64(uint64(int64(cur)+n)))
}

func getStat(tx *bolt.Tx, name []byte) int64 {
	if v := tx.Bucket(bucketStats).Get(name); len(v) == 8 {
		return int64(binary.BigEndian.Uint64(v))
	}
	return 0
}

// Push implements archive.Store.
func (s *Store) Push(ctx context.Context, req api.PushRequest, at time.Time) (api.PushResponse, error) {
	digest, err := archive.CheckPush(req)
	if err != nil {
		return api.PushResponse{}, err
	}
	if err := ctx.Err(); err != nil {
		return api.PushResponse{}, err
	}
	var resp api.PushResponse
	err = s.db.Update(func(tx *bolt.Tx) error {
		resp = api.PushResponse{}
		bk := devKey(req.Device, req.Batch)
		if prev := tx.Bucket(bucketBatches).Get(bk); prev != nil {
			if len(prev) < sha256.Size || !bytes.Equal(prev[:sha256.Size], digest[:]) {
				return fmt.Errorf("%w: batch %d of device %s was already pushed with different content: number new batches after %d", api.ErrConflict, req.Batch, req.Device, req.Batch)
			}
			if err := json.Unmarshal(prev[sha256.Size:], &resp); err != nil {
				return fmt.Errorf("%w: stored answer to batch %d is damaged: %v", api.ErrInternal, req.Batch, err)
			}
			resp.Replayed = true
			return nil
		}
		dev, _, err := getDevice(tx, req.Device)
		if err != nil {
			return err
		}
		changes, versions := tx.Bucket(bucketChanges), tx.Bucket(bucketVersions)
		changes.FillPercent = 1 // append-only
		caughtUp := dev.Cursor >= changes.Sequence()
		resp.Batch = req.Batch
		resp.Results = make([]api.PushResult, len(req.Versions))
		var added int64
		for i, v := range req.Versions {
			vk := versionKey(v.Kind, v.ID, v.Version)
			if old := versions.Get(vk); old != nil {
				seq := binary.BigEndian.Uint64(old)
				had, err := readChange(tx, seq)
				if err != nil {
					return err
				}
				if had.Parent != v.Parent || !bytes.Equal(had.Ciphertext, v.Ciphertext) || !archive.SameEndorsement(had.Endorsement, v.Endorsement) {
					return fmt.Errorf("%w: %s %s version %s is already stored with different content (global seq %d): a version is immutable", api.ErrConflict, v.Kind, v.ID, v.Version, seq)
				}
				resp.Results[i] = api.PushResult{Seq: seq, Duplicate: true}
				continue
			}
			seq, err := changes.NextSequence()
			if err != nil {
				return err
			}
			if err := changes.Put(u64(seq), encodeChange(req.Device, v)); err != nil {
				return err
			}
			if err := versions.Put(vk, u64(seq)); err != nil {
				return err
			}
			if err := putEndorsement(tx, seq, v.Endorsement); err != nil {
				return err
			}
			resp.Results[i] = api.PushResult{Seq: seq}
			dev.Versions++
			added += int64(len(v.Ciphertext))
		}
		if err := appendAudit(tx, req.Device, &dev, req.Audit); err != nil {
			return err
		}
		resp.AuditThrough = dev.AuditThrough
		dev.LastBatch = max(dev.LastBatch, req.Batch)
		if caughtUp {
			// It held everything before its own new versions: it still
			// does, and no backlog is shown for what it sent itself.
			dev.Cursor = changes.Sequence()
		}
		seen(&dev, at)
		dev.Held += added
		if err := putDevice(tx, req.Device, dev); err != nil {
			return err
		}
		if err := addStat(tx, statRecordBytes, added); err != nil {
			return err
		}
		ans, err := json.Marshal(resp)
		if err != nil {
			return err
		}
		return tx.Bucket(bucketBatches).Put(bk, append(digest[:], ans...))
	})
	if err != nil {
		return api.PushResponse{}, fmt.Errorf("push batch %d of device %s: %w", req.Batch, req.Device, err)
	}
	return resp, nil
}

// appendAudit continues device d's audit chain with entries.
func appendAudit(tx *bolt.Tx, d api.DeviceID, dev *deviceRecord, entries []api.AuditEntry) error {
	b := tx.Bucket(bucketAudit)
	b.FillPercent = 1
	hashAt := func(seq uint64) []byte {
		if seq == 0 {
			return nil
		}
		if v := b.Get(devKey(d, seq)); len(v) >= sha256.Size {
			return bytes.Clone(v[:sha256.Size])
		}
		return nil
	}
	for _, e := range entries {
		switch {
		case e.Seq <= dev.AuditThrough:
			if !bytes.Equal(hashAt(e.Seq), e.Hash) {
				return fmt.Errorf("%w: audit entry %d of device %s differs from the one the archive holds: the device's audit trail was altered", api.ErrConflict, e.Seq, d)
			}
		case e.Seq == dev.AuditThrough+1:
			if want := api.AuditChainHash(hashAt(e.Seq-1), e.Seq, e.Sealed); !bytes.Equal(want, e.Hash) {
				return fmt.Errorf("%w: audit entry %d of device %s does not link to entry %d", api.ErrHashMismatch, e.Seq, d, e.Seq-1)
			}
			if err := b.Put(devKey(d, e.Seq), append(bytes.Clone(e.Hash), e.Sealed...)); err != nil {
				return err
			}
			dev.AuditThrough = e.Seq
		default:
			return fmt.Errorf("%w: audit entry %d of device %s leaves a gap: the archive holds its trail through %d, send from %d on", api.ErrInvalid, e.Seq, d, dev.AuditThrough, dev.AuditThrough+1)
		}
	}
	return nil
}

// Pull implements archive.Store.
func (s *Store) Pull(ctx context.Context, device api.DeviceID, after uint64, limit int, at time.Time) (api.PullResponse, error) {
	if device == 0 {
		return api.PullResponse{}, fmt.Errorf("%w: pull names no device", api.ErrInvalid)
	}
	limit = min(max(limit, 1), api.MaxPullLimit)
	if err := ctx.Err(); err != nil {
		return api.PullResponse{}, err
	}
	resp := api.PullResponse{Next: after, Changes: []api.Change{}}
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketChanges)
		resp.Head = b.Sequence()
		if after > resp.Head {
			return fmt.Errorf("%w: cursor %d is past the archive's last change %d: this workstation synced with a different archive", api.ErrConflict, after, resp.Head)
		}
		c := b.Cursor()
		pageBytes := 0
		for k, v := c.Seek(u64(after + 1)); k != nil; k, v = c.Next() {
			if len(resp.Changes) == limit {
				resp.More = true
				break
			}
			ch, err := decodeChange(binary.BigEndian.Uint64(k), v)
			if err != nil {
				return err
			}
			if err := addEndorsement(tx, &ch); err != nil {
				return err
			}
			if len(resp.Changes) > 0 && pageBytes+len(ch.Ciphertext) > api.MaxPullPageBytes {
				resp.More = true
				break
			}
			resp.Changes = append(resp.Changes, ch)
			resp.Next = ch.Seq
			pageBytes += len(ch.Ciphertext)
		}
		return nil
	})
	if err != nil {
		return api.PullResponse{}, fmt.Errorf("pull after %d for device %s: %w", after, device, err)
	}
	// Batch: the update is idempotent (max of cursor and time).
	err = s.db.Batch(func(tx *bolt.Tx) error {
		dev, _, err := getDevice(tx, device)
		if err != nil {
			return err
		}
		dev.Cursor = max(dev.Cursor, after)
		seen(&dev, at)
		return putDevice(tx, device, dev)
	})
	if err != nil {
		return api.PullResponse{}, fmt.Errorf("record pull cursor of device %s: %w", device, err)
	}
	return resp, nil
}

// Versions implements archive.Store.
func (s *Store) Versions(ctx context.Context, kind, id string) ([]api.Change, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	prefix := append(append(append([]byte(kind), 0), id...), 0)
	var out []api.Change
	err := s.db.View(func(tx *bolt.Tx) error {
		var seqs []uint64
		c := tx.Bucket(bucketVersions).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+16; k, v = c.Next() {
			seqs = append(seqs, binary.BigEndian.Uint64(v))
		}
		var err error
		out, err = readChanges(tx, seqs)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("versions of %s %s: %w", kind, id, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: the archive holds no version of %s %s", api.ErrNotFound, kind, id)
	}
	return out, nil
}

// readChanges reads the changes seqs, in global order.
func readChanges(tx *bolt.Tx, seqs []uint64) ([]api.Change, error) {
	slices.Sort(seqs)
	out := make([]api.Change, 0, len(seqs))
	for _, seq := range seqs {
		ch, err := readChange(tx, seq)
		if err != nil {
			return nil, err
		}
		out = append(out, ch)
	}
	return out, nil
}

// Endorsed implements archive.Store: the versions of users and key slots
// are found under their kinds' prefixes of the versions bucket.
func (s *Store) Endorsed(ctx context.Context, after uint64) ([]api.Change, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []api.Change
	err := s.db.View(func(tx *bolt.Tx) error {
		var seqs []uint64
		for _, kind := range []string{endorse.EndorsedUser, endorse.EndorsedKeySlots} {
			prefix := append([]byte(kind), 0)
			c := tx.Bucket(bucketVersions).Cursor()
			for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
				if seq := binary.BigEndian.Uint64(v); seq > after {
					seqs = append(seqs, seq)
				}
			}
		}
		var err error
		out, err = readChanges(tx, seqs)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list the users' and key slots' versions after %d: %w", after, err)
	}
	return out, nil
}

// AuditEntries implements archive.Store.
func (s *Store) AuditEntries(ctx context.Context, device api.DeviceID, after uint64, limit int) (api.AuditPage, error) {
	limit = min(max(limit, 1), api.MaxBatchAudit)
	if err := ctx.Err(); err != nil {
		return api.AuditPage{}, err
	}
	page := api.AuditPage{Entries: []api.AuditEntry{}}
	err := s.db.View(func(tx *bolt.Tx) error {
		dev, _, err := getDevice(tx, device)
		if err != nil {
			return err
		}
		page.Through = dev.AuditThrough
		c := tx.Bucket(bucketAudit).Cursor()
		size := 0
		for seq := after + 1; seq <= dev.AuditThrough; seq++ {
			k, v := c.Seek(devKey(device, seq))
			if !bytes.Equal(k, devKey(device, seq)) || len(v) < sha256.Size {
				return fmt.Errorf("%w: audit entry %d of device %s is missing or damaged in the archive store", api.ErrInternal, seq, device)
			}
			if len(page.Entries) == limit || (len(page.Entries) > 0 && size+len(v) > api.MaxPullPageBytes) {
				page.More = true
				break
			}
			page.Entries = append(page.Entries, api.AuditEntry{Seq: seq, Hash: bytes.Clone(v[:sha256.Size]), Sealed: bytes.Clone(v[sha256.Size:])})
			size += len(v)
		}
		return nil
	})
	if err != nil {
		return api.AuditPage{}, fmt.Errorf("audit entries of device %s after %d: %w", device, after, err)
	}
	return page, nil
}

// Device implements archive.Store.
func (s *Store) Device(ctx context.Context, id api.DeviceID) (api.DeviceInfo, error) {
	if err := ctx.Err(); err != nil {
		return api.DeviceInfo{}, err
	}
	var info api.DeviceInfo
	err := s.db.View(func(tx *bolt.Tx) error {
		r, ok, err := getDevice(tx, id)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: the archive has not heard from device %s yet", api.ErrNotFound, id)
		}
		info = deviceInfo(id, r, tx.Bucket(bucketChanges).Sequence())
		return nil
	})
	if err != nil {
		return api.DeviceInfo{}, fmt.Errorf("device %s: %w", id, err)
	}
	return info, nil
}

func deviceInfo(id api.DeviceID, r deviceRecord, head uint64) api.DeviceInfo {
	return api.DeviceInfo{
		ID: id, Name: r.Name, FirstSeen: r.FirstSeen, LastSeen: r.LastSeen, LastBatch: r.LastBatch,
		Versions: r.Versions, AuditThrough: r.AuditThrough, Cursor: r.Cursor,
		Backlog: head - min(r.Cursor, head), Held: r.Held,
	}
}

// Metrics implements archive.Store.
func (s *Store) Metrics(ctx context.Context) (api.Metrics, error) {
	if err := ctx.Err(); err != nil {
		return api.Metrics{}, err
	}
	m := api.Metrics{Devices: []api.DeviceInfo{}}
	err := s.db.View(func(tx *bolt.Tx) error {
		m.Head = tx.Bucket(bucketChanges).Sequence()
		m.RecordBytes = getStat(tx, statRecordBytes)
		m.BlobBytes = getStat(tx, statBlobBytes)
		m.Blobs = int64(tx.Bucket(bucketBlobs).Stats().KeyN)
		m.Uploads = tx.Bucket(bucketUploads).Stats().KeyN
		return tx.Bucket(bucketDevices).ForEach(func(k, _ []byte) error {
			id := api.DeviceID(binary.BigEndian.Uint64(k))
			r, _, err := getDevice(tx, id)
			if err != nil {
				return err
			}
			if len(m.Devices) < api.MaxDevices {
				m.Devices = append(m.Devices, deviceInfo(id, r, m.Head))
			}
			return nil
		})
	})
	if err != nil {
		return api.Metrics{}, fmt.Errorf("archive metrics: %w", err)
	}
	return m, nil
}

// ---- blobs ----

func (s *Store) blobPath(id string) string  { return filepath.Join(s.dir, "blobs", id[:2], id) }
func (s *Store) uploadDir(id string) string { return filepath.Join(s.dir, "uploads", id) }
func chunkName(n int) string                { return strconv.Itoa(n) }
func (s *Store) chunkPath(id string, n int) string {
	return filepath.Join(s.uploadDir(id), chunkName(n))
}

// blobState reads what the bbolt file knows of a blob: its size if complete,
// or its upload's size.
func (s *Store) blobState(id string) (complete bool, size int64, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketBlobs).Get([]byte(id)); len(v) == 8 {
			complete, size = true, int64(binary.BigEndian.Uint64(v))
			return nil
		}
		if v := tx.Bucket(bucketUploads).Get([]byte(id)); len(v) >= 8 {
			size = int64(binary.BigEndian.Uint64(v))
		}
		return nil
	})
	return complete, size, err
}

// have lists the verified chunks of an upload (the chunk files present).
func (s *Store) have(id string, size int64) ([]int, error) {
	ents, err := os.ReadDir(s.uploadDir(id))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []int
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil || chunkName(n) != e.Name() || n < 0 || n >= api.ChunkCount(size) {
			continue // temp files of a cut write
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out, nil
}

// BlobStatus implements archive.Store.
func (s *Store) BlobStatus(ctx context.Context, id string) (api.BlobStatus, error) {
	if _, err := api.ParseBlobID(id); err != nil {
		return api.BlobStatus{}, err
	}
	if err := ctx.Err(); err != nil {
		return api.BlobStatus{}, err
	}
	complete, size, err := s.blobState(id)
	if err != nil {
		return api.BlobStatus{}, fmt.Errorf("blob %s: %w", id, err)
	}
	if complete {
		return api.CompleteBlob(id, size), nil
	}
	if size == 0 {
		return api.BlobStatus{}, fmt.Errorf("%w: the archive holds no part of blob %s", api.ErrNotFound, id)
	}
	return s.uploadStatus(id, size)
}

// uploadStatus lists an upload's chunks, assembling the blob once all are in.
func (s *Store) uploadStatus(id string, size int64) (api.BlobStatus, error) {
	// Another request may have just completed the blob.
	if complete, _, err := s.blobState(id); err != nil || complete {
		return api.CompleteBlob(id, size), err
	}
	have, err := s.have(id, size)
	if err != nil {
		return api.BlobStatus{}, fmt.Errorf("blob %s: %w", id, err)
	}
	if len(have) == api.ChunkCount(size) {
		if err := s.finish(id, size); err != nil {
			return api.BlobStatus{}, err
		}
		return api.CompleteBlob(id, size), nil
	}
	return api.PartialBlob(id, size, have), nil
}

// PutChunk implements archive.Store.
func (s *Store) PutChunk(ctx context.Context, id string, size int64, n int, sum [32]byte, data []byte) (api.BlobStatus, error) {
	if err := archive.CheckChunk(id, size, n, sum, data); err != nil {
		return api.BlobStatus{}, err
	}
	if err := ctx.Err(); err != nil {
		return api.BlobStatus{}, err
	}
	var complete bool
	err := s.db.Update(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketBlobs).Get([]byte(id)); len(v) == 8 {
			complete = true
			if got := int64(binary.BigEndian.Uint64(v)); got != size {
				return fmt.Errorf("%w: blob %s is stored with %d bytes, not %d", api.ErrConflict, id, got, size)
			}
			return nil
		}
		up := tx.Bucket(bucketUploads)
		if v := up.Get([]byte(id)); len(v) >= 8 {
			if got := int64(binary.BigEndian.Uint64(v)); got != size {
				return fmt.Errorf("%w: blob %s is being uploaded with %d bytes, not %d", api.ErrConflict, id, got, size)
			}
		}
		// The upload is alive as long as chunks arrive (ExpireUploads).
		return up.Put([]byte(id), append(u64(uint64(size)), u64(uint64(time.Now().UnixNano()))...))
	})
	if err != nil {
		return api.BlobStatus{}, fmt.Errorf("blob %s chunk %d: %w", id, n, err)
	}
	if complete {
		return api.CompleteBlob(id, size), nil
	}
	path := s.chunkPath(id, n)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(s.uploadDir(id), 0o700); err != nil {
			return api.BlobStatus{}, fmt.Errorf("blob %s chunk %d: %w", id, n, err)
		}
		if err := writeFile(path, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
			return api.BlobStatus{}, fmt.Errorf("store blob %s chunk %d: %w", id, n, err)
		}
	} else if err != nil {
		return api.BlobStatus{}, fmt.Errorf("blob %s chunk %d: %w", id, n, err)
	}
	return s.uploadStatus(id, size)
}

// finish assembles a fully uploaded blob, checks its hash and makes it
// visible; a blob whose chunks do not hash to its id is discarded.
func (s *Store) finish(id string, size int64) error {
	s.finishMu.Lock()
	defer s.finishMu.Unlock()
	if complete, _, err := s.blobState(id); err != nil || complete {
		return err
	}
	path := s.blobPath(id)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("assemble blob %s: %w", id, err)
	}
	h := sha256.New()
	err := writeFile(path, func(w io.Writer) error {
		w = io.MultiWriter(w, h)
		for n := range api.ChunkCount(size) {
			f, err := os.Open(s.chunkPath(id, n))
			if err != nil {
				return err
			}
			got, err := io.Copy(w, f)
			f.Close()
			if err != nil {
				return err
			}
			if int(got) != api.ChunkLen(size, n) {
				return fmt.Errorf("%w: stored chunk %d is %d bytes", api.ErrInternal, n, got)
			}
		}
		if hex.EncodeToString(h.Sum(nil)) != id {
			return fmt.Errorf("%w: the chunks of blob %s do not hash to its id: upload it again", api.ErrHashMismatch, id)
		}
		return nil
	})
	if errors.Is(err, api.ErrHashMismatch) {
		// Every chunk matched what the device said, the whole does not:
		// drop the upload so a fresh one starts clean.
		_ = s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketUploads).Delete([]byte(id)) })
		_ = os.RemoveAll(s.uploadDir(id))
	}
	if err != nil {
		return fmt.Errorf("assemble blob %s: %w", id, err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketBlobs).Put([]byte(id), u64(uint64(size))); err != nil {
			return err
		}
		if err := tx.Bucket(bucketUploads).Delete([]byte(id)); err != nil {
			return err
		}
		return addStat(tx, statBlobBytes, size)
	})
	if err != nil {
		return fmt.Errorf("record blob %s: %w", id, err)
	}
	// The chunks are garbage now; a crash before this only leaves them.
	_ = os.RemoveAll(s.uploadDir(id))
	return nil
}

// ExpireUploads implements archive.Store. An upload from a store that did
// not record its last chunk counts as idle since forever.
func (s *Store) ExpireUploads(ctx context.Context, before time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.finishMu.Lock() // no upload is assembled meanwhile
	defer s.finishMu.Unlock()
	var gone []string
	err := s.db.Update(func(tx *bolt.Tx) error {
		up := tx.Bucket(bucketUploads)
		c := up.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			var last int64
			if len(v) >= 16 {
				last = int64(binary.BigEndian.Uint64(v[8:]))
			}
			if last < before.UnixNano() {
				gone = append(gone, string(k))
			}
		}
		for _, id := range gone {
			if err := up.Delete([]byte(id)); err != nil {
				return err
			}
			if err := refund(tx, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("expire idle uploads: %w", err)
	}
	// A crash before the chunks are removed leaves them to Open's sweep.
	for _, id := range gone {
		if err := os.RemoveAll(s.uploadDir(id)); err != nil {
			return len(gone), fmt.Errorf("remove the chunks of expired upload %s: %w", id, err)
		}
	}
	return len(gone), nil
}

// SetQuota implements archive.Store.
func (s *Store) SetQuota(ctx context.Context, name string, bytes int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := archive.CheckQuota(name, bytes); err != nil {
		return err
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		if bytes == 0 {
			return tx.Bucket(bucketQuotas).Delete([]byte(name))
		}
		return tx.Bucket(bucketQuotas).Put([]byte(name), u64(uint64(bytes)))
	})
	if err != nil {
		return fmt.Errorf("set the quota of %s: %w", name, err)
	}
	return nil
}

// Quotas implements archive.Store.
func (s *Store) Quotas(ctx context.Context) (map[string]int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := map[string]int64{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketQuotas).ForEach(func(k, v []byte) error {
			if len(v) != 8 {
				return fmt.Errorf("%w: the quota of %q is damaged", api.ErrInternal, k)
			}
			out[string(k)] = int64(binary.BigEndian.Uint64(v))
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read the workstations' quotas: %w", err)
	}
	return out, nil
}

// Charge implements archive.Store.
func (s *Store) Charge(ctx context.Context, device api.DeviceID, blob string, size, quota int64) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var held int64
	err := s.db.Update(func(tx *bolt.Tx) error {
		dev, _, err := getDevice(tx, device)
		if err != nil {
			return err
		}
		held = dev.Held
		id := []byte(blob)
		if tx.Bucket(bucketCharges).Get(id) != nil || tx.Bucket(bucketBlobs).Get(id) != nil || tx.Bucket(bucketUploads).Get(id) != nil {
			return nil // held already: charged once, or stored before quotas were counted
		}
		if quota > 0 && held+size > quota {
			return fmt.Errorf("%w: device %s holds %d bytes of its quota of %d, and blob %s is %d more", api.ErrQuota, device, held, quota, blob, size)
		}
		dev.Held += size
		held = dev.Held
		if err := putDevice(tx, device, dev); err != nil {
			return err
		}
		return tx.Bucket(bucketCharges).Put(id, append(u64(uint64(device)), u64(uint64(size))...))
	})
	if err != nil {
		return held, fmt.Errorf("charge blob %s to device %s: %w", blob, device, err)
	}
	return held, nil
}

// refund gives the charge for blob, an upload being discarded, back to the
// device that paid it.
func refund(tx *bolt.Tx, blob string) error {
	charges := tx.Bucket(bucketCharges)
	v := charges.Get([]byte(blob))
	if len(v) != 16 {
		return nil
	}
	device := api.DeviceID(binary.BigEndian.Uint64(v))
	dev, _, err := getDevice(tx, device)
	if err != nil {
		return err
	}
	dev.Held = max(dev.Held-int64(binary.BigEndian.Uint64(v[8:])), 0)
	if err := putDevice(tx, device, dev); err != nil {
		return err
	}
	return charges.Delete([]byte(blob))
}

// OpenBlob implements archive.Store.
func (s *Store) OpenBlob(ctx context.Context, id string) (io.ReadSeekCloser, int64, error) {
	if _, err := api.ParseBlobID(id); err != nil {
		return nil, 0, err
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	complete, size, err := s.blobState(id)
	if err != nil {
		return nil, 0, fmt.Errorf("blob %s: %w", id, err)
	}
	if !complete {
		return nil, 0, fmt.Errorf("%w: blob %s is not (completely) stored", api.ErrNotFound, id)
	}
	f, err := os.Open(s.blobPath(id))
	if err != nil {
		return nil, 0, fmt.Errorf("open blob %s: %w", id, err)
	}
	return f, size, nil
}

// Blobs lists every complete blob's id, sorted (bbolt keeps keys in order).
func (s *Store) Blobs(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var ids []string
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketBlobs).ForEach(func(k, _ []byte) error {
			ids = append(ids, string(k))
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list blobs: %w", err)
	}
	return ids, nil
}

// writeFile writes path durably: a temp file in its directory, fsync,
// rename, fsync of the directory. On error nothing is left at path.
func writeFile(path string, fill func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = fill(f); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
