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
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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
	db    *bolt.DB
	files *blobDir
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
	s := &Store{db: db, files: &blobDir{dir: dir, db: db}}
	if err := s.files.sweep(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open archive store %s: clean up after a crash: %w", dir, err)
	}
	return s, nil
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
			var err error
			cut := min(len(prev), sha256.Size) // digest ‖ answer
			resp, err = archive.Replay(req, digest, prev[:cut], prev[cut:])
			return err
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
				if resp.Results[i], err = archive.Duplicate(had, v); err != nil {
					return err
				}
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
	held := func(seq uint64) []byte {
		if v := b.Get(devKey(d, seq)); len(v) >= sha256.Size {
			return bytes.Clone(v[:sha256.Size])
		}
		return nil
	}
	add, err := archive.ContinueAudit(d, dev.AuditThrough, entries, held)
	if err != nil {
		return err
	}
	for _, e := range add {
		if err := b.Put(devKey(d, e.Seq), append(bytes.Clone(e.Hash), e.Sealed...)); err != nil {
			return err
		}
		dev.AuditThrough = e.Seq
	}
	return nil
}

// Pull implements archive.Store.
func (s *Store) Pull(ctx context.Context, device api.DeviceID, after uint64, limit int, at time.Time) (api.PullResponse, error) {
	limit, err := archive.CheckPull(device, limit)
	if err != nil {
		return api.PullResponse{}, err
	}
	if err := ctx.Err(); err != nil {
		return api.PullResponse{}, err
	}
	resp := api.PullResponse{Next: after, Changes: []api.Change{}}
	err = s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketChanges)
		resp.Head = b.Sequence()
		if err := archive.CheckCursor(after, resp.Head); err != nil {
			return err
		}
		c := b.Cursor()
		pageBytes := 0
		for k, v := c.Seek(u64(after + 1)); k != nil; k, v = c.Next() {
			ch, err := decodeChange(binary.BigEndian.Uint64(k), v)
			if err != nil {
				return err
			}
			if archive.PageFull(len(resp.Changes), limit, pageBytes, len(ch.Ciphertext)) {
				resp.More = true
				break
			}
			if err := addEndorsement(tx, &ch); err != nil {
				return err
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
		return nil, archive.NoVersions(kind, id)
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
			if archive.PageFull(len(page.Entries), limit, size, len(v)) {
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
			return archive.UnknownDevice(id)
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
