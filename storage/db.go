package storage

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"folio/app"
)

// Errors of this package; the app's sentinels (app.ErrNotFound,
// app.ErrConflict, app.ErrTampered, app.ErrInvalid, app.ErrNewerSchema,
// app.ErrNotInitialized) are used where they fit.
var (
	// ErrCorrupt: the file is not a readable vault (truncated, overwritten,
	// not a bbolt file, damaged pages or values).
	ErrCorrupt = errors.New("the vault file is damaged; restore it from a backup")
	// ErrInUse: another process (or another DB in this one) holds the file.
	ErrInUse = errors.New("the vault is open in another Folio window or process")
	// ErrReadOnly: a write on a DB opened with Options.ReadOnly.
	ErrReadOnly = errors.New("the vault is open read-only")
)

// Options tune Open.
type Options struct {
	// Now is the clock of the hybrid logical clock; nil means time.Now.
	Now func() time.Time
	// ReadOnly opens the file without write access (verify, audit review).
	// It fails with app.ErrNotInitialized when the file does not exist, and
	// with ErrInUse while a writer has it open (bbolt's shared lock waits
	// for the writer's exclusive one); read-only opens share the file.
	ReadOnly bool
	// Timeout bounds the wait for the file lock; 0 means 1 s. When it
	// expires Open fails with ErrInUse.
	Timeout time.Duration
}

// DB is one open vault file. It is safe for concurrent use; bbolt
// serialises writers and lets readers run beside them.
type DB struct {
	// swap guards bolt: every transaction holds it for reading; a scrub
	// (compact.go) and Close hold it for writing while they replace or
	// close the file.
	swap     sync.RWMutex
	bolt     *bolt.DB
	path     string
	device   app.DeviceID
	now      func() time.Time
	readOnly bool
	// damaged is set once a read panicked inside bbolt (a damaged page);
	// from then on the DB refuses writes so the damage does not spread.
	damaged atomic.Bool

	closeOnce sync.Once
	closeErr  error
}

var (
	_ app.MetaStore        = (*Meta)(nil)
	_ app.AuditChain       = (*Audit)(nil)
	_ app.IntegrityChecker = (*DB)(nil)
	_ app.ConflictStore    = (*Replica)(nil)
)

// Open opens the vault file at path, creating it (mode 0600, its folder
// 0700) when it does not exist and opts.ReadOnly is false. See the package
// documentation for the errors it returns.
func Open(path string, opts Options) (*DB, error) {
	if path == "" {
		return nil, fmt.Errorf("open vault: %w", app.Invalidf("no file name"))
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = time.Second
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if opts.ReadOnly {
			return nil, fmt.Errorf("open vault %s: %w", path, app.ErrNotInitialized)
		}
		if err := create(path, timeout); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, fmt.Errorf("open vault %s: %w", path, err)
	case info.IsDir():
		return nil, fmt.Errorf("open vault %s: %w", path, app.Invalidf("it is a folder, not a vault file"))
	}
	if err := inspect(path); err != nil {
		return nil, err
	}
	b, err := openCurrent(path, opts.ReadOnly, timeout)
	if err != nil {
		return nil, err
	}
	db := &DB{bolt: b, path: path, now: now, readOnly: opts.ReadOnly}
	if err := inspect(path); err != nil { // again, now under the lock
		_ = b.Close()
		return nil, err
	}
	if err := db.load(); err != nil {
		_ = b.Close()
		return nil, err
	}
	if !opts.ReadOnly {
		db.finishScrub()
	}
	return db, nil
}

// Close closes the file. It waits for open transactions and a scrub; no
// transaction is held outside a method call, so it returns promptly.
// Closing twice is a no-op.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		db.swap.Lock()
		defer db.swap.Unlock()
		db.closeErr = db.bolt.Close()
	})
	return db.closeErr
}

// Path returns the file's path as given to Open.
func (db *DB) Path() string { return db.path }

// DeviceID returns the random id chosen when the file was created.
func (db *DB) DeviceID() app.DeviceID { return db.device }

// openCurrent opens the file at path with bbolt, making sure the file it
// locked is still the one at path: a scrub in another process replaces the
// file while holding its lock, and a process that waited for that lock
// would otherwise get the old, unlinked file, and its commits would be
// lost.
func openCurrent(path string, readOnly bool, timeout time.Duration) (*bolt.DB, error) {
	for range 8 {
		b, err := openBolt(path, readOnly, timeout)
		if !errors.Is(err, errReplaced) {
			return b, err
		}
	}
	return nil, fmt.Errorf("open vault %s: %w (it is being rewritten)", path, ErrInUse)
}

// errReplaced: the file bbolt locked is no longer the one at its path.
var errReplaced = errors.New("the vault file was replaced while opening it")

// create makes a new vault file atomically: a bbolt file with every bucket,
// the schema version and a device id is written under a temporary name and
// then linked into place. A crash leaves either no vault or a whole one,
// never an empty file, so an empty file at path means damage.
func create(path string, timeout time.Duration) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return writeErr(path, err)
	}
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return fmt.Errorf("create vault %s: %w", path, err)
	}
	tmp := path + ".creating-" + hex.EncodeToString(rnd[:])
	defer os.Remove(tmp)
	b, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: timeout})
	if err != nil {
		return writeErr(path, err)
	}
	device, err := newDeviceID()
	if err == nil {
		err = b.Update(func(tx *bolt.Tx) error {
			for _, name := range allBuckets {
				if _, err := tx.CreateBucketIfNotExists(name); err != nil {
					return err
				}
			}
			m := tx.Bucket(bucketMeta)
			if err := m.Put([]byte(metaSchema), encodeUint64(schemaVersion)); err != nil {
				return err
			}
			if err := m.Put([]byte(metaDevice), encodeUint64(uint64(device))); err != nil {
				return err
			}
			return m.Put([]byte(metaHLC), encodeUint64(0))
		})
	}
	if cerr := b.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return writeErr(path, err)
	}
	// Link fails if another process created the vault meanwhile: then use
	// theirs. Where hard links are not supported, fall back to rename.
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil
		}
		if _, serr := os.Stat(path); serr == nil {
			return nil
		}
		if err := os.Rename(tmp, path); err != nil {
			return writeErr(path, err)
		}
	}
	if err := syncDir(dir); err != nil {
		return writeErr(path, err)
	}
	return nil
}

func newDeviceID() (app.DeviceID, error) {
	var b [8]byte
	for {
		if _, err := rand.Read(b[:]); err != nil {
			return 0, fmt.Errorf("choose device id: %w", err)
		}
		if d := app.DeviceID(binary.BigEndian.Uint64(b[:])); d != 0 {
			return d, nil
		}
	}
}

// syncDir makes a rename or link in dir durable. Windows cannot sync a
// folder and does not need to.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// openBolt opens the file with bbolt, turning the panics and memory faults
// bbolt can hit on a damaged file into ErrCorrupt.
func openBolt(path string, readOnly bool, timeout time.Duration) (b *bolt.DB, err error) {
	var file *os.File
	defer func() {
		if r := recover(); r != nil {
			if file != nil {
				_ = file.Close() // releases the lock; the mapping leaks
			}
			b, err = nil, corrupt(path, fmt.Sprintf("opening: %v", r))
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	b, err = bolt.Open(path, 0o600, &bolt.Options{
		Timeout:         timeout,
		ReadOnly:        readOnly,
		PreLoadFreelist: true, // read the freelist here, under recover, not lazily
		FreelistType:    bolt.FreelistMapType,
		OpenFile: func(name string, flag int, perm os.FileMode) (*os.File, error) {
			f, err := os.OpenFile(name, flag, perm)
			file = f
			return f, err
		},
	})
	if err == nil {
		if err := checkLocked(b, file, path); err != nil {
			return nil, err
		}
		return b, nil
	}
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("open vault %s: %w", path, ErrInUse)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrChecksum):
		return nil, corrupt(path, err.Error())
	case !readOnly && isWriteProblem(err):
		return nil, writeErr(path, err)
	}
	return nil, fmt.Errorf("open vault %s: %w", path, err)
}

// checkLocked closes b and returns errReplaced when file, which b opened
// and locked, is no longer the file at path.
func checkLocked(b *bolt.DB, file *os.File, path string) error {
	locked, err := file.Stat()
	var current fs.FileInfo
	if err == nil {
		current, err = os.Stat(path)
	}
	switch {
	case err != nil:
		err = fmt.Errorf("open vault %s: %w", path, err)
	case !os.SameFile(locked, current):
		err = errReplaced
	default:
		return nil
	}
	_ = b.Close()
	return err
}

func isWriteProblem(err error) bool {
	return errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS) ||
		errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

func writeErr(path string, err error) error {
	return fmt.Errorf("cannot write the vault at %s: %w; check the folder is writable and the disk has space", path, err)
}

func corrupt(path, detail string) error {
	return fmt.Errorf("vault %s: %w (%s)", path, ErrCorrupt, detail)
}

// bbolt's file format, as far as inspect needs it: every page starts with a
// 16-byte header (id u64, flags u16, count u16, overflow u32); pages 0 and 1
// are meta pages whose body is magic u32, version u32, page size u32, flags
// u32, root bucket (pgid u64, sequence u64), freelist pgid u64, high-water
// pgid u64, txid u64, checksum u64 (FNV-64a of the 56 bytes before it); a
// freelist page holds count page ids (u64) after its header, count being
// the header's u16 or, when that is 0xFFFF, the first u64. All fields are in
// the machine's byte order.
const (
	boltMagic        = 0xED0CDAED
	boltVersion      = 2
	boltMetaFlag     = 0x04
	boltFreelistFlag = 0x10
	boltNoFreelist   = ^uint64(0)
	pageHeaderLen    = 16
	metaLen          = 64
)

type boltMeta struct {
	pageID                    uint64
	pageFlags                 uint16
	magic, version, pageSize  uint32
	root, freelist, hwm, txid uint64
	headerOK, checksumOK      bool
}

func readMeta(f io.ReaderAt, off int64) boltMeta {
	var b [pageHeaderLen + metaLen]byte
	if n, _ := f.ReadAt(b[:], off); n < len(b) {
		return boltMeta{}
	}
	e := binary.NativeEndian
	m := boltMeta{
		pageID:    e.Uint64(b[0:]),
		pageFlags: e.Uint16(b[8:]),
		magic:     e.Uint32(b[16:]),
		version:   e.Uint32(b[20:]),
		pageSize:  e.Uint32(b[24:]),
		root:      e.Uint64(b[32:]),
		freelist:  e.Uint64(b[48:]),
		hwm:       e.Uint64(b[56:]),
		txid:      e.Uint64(b[64:]),
	}
	h := fnv.New64a()
	h.Write(b[pageHeaderLen : pageHeaderLen+56])
	m.headerOK = m.magic == boltMagic && m.version == boltVersion && m.pageFlags == boltMetaFlag
	m.checksumOK = m.headerOK && h.Sum64() == e.Uint64(b[72:])
	return m
}

func sanePageSize(n uint32) bool { return n >= 512 && n <= 1<<24 && n&(n-1) == 0 }

// inspect rejects files that are not a sound bbolt file before bbolt maps
// them, and checks again once bbolt holds the lock: not empty; bbolt's
// marker on both meta pages (a torn write can spoil one meta page's
// checksum, never its marker, which is rewritten with the same bytes); at
// least one meta page whose checksum holds; the pages it names lie inside
// the file (a truncated copy fails here rather than faulting later); and a
// freelist page that is one and not absurdly long (bbolt reads it while
// opening and sizes memory by it). Without the lock a writer may be
// committing, so the freelist is trusted only if the meta pages read the
// same before and after it.
func inspect(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return nil // let bbolt's open report it with the right wording
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("open vault %s: %w", path, err)
	}
	size := st.Size()
	if size == 0 {
		return corrupt(path, "the file is empty")
	}
	m0 := readMeta(f, 0)
	if !m0.headerOK || m0.pageID != 0 || !sanePageSize(m0.pageSize) {
		return corrupt(path, "the first page is not a vault header")
	}
	ps := int64(m0.pageSize)
	if size < 4*ps {
		return corrupt(path, fmt.Sprintf("the file is truncated at %d bytes", size))
	}
	m1 := readMeta(f, ps)
	if !m1.headerOK || m1.pageID != 1 || m1.pageSize != m0.pageSize {
		return corrupt(path, "the second page is not a vault header")
	}
	var m boltMeta
	switch {
	case m0.checksumOK && (!m1.checksumOK || m0.txid >= m1.txid):
		m = m0
	case m1.checksumOK:
		m = m1
	default:
		return corrupt(path, "both headers fail their checksum")
	}
	pages := uint64(size / ps)
	switch {
	case m.hwm < 4 || m.hwm > pages:
		return corrupt(path, fmt.Sprintf("the file is truncated: it ends at %d bytes but its pages reach %d", size, m.hwm*uint64(ps)))
	case m.root < 2 || m.root >= m.hwm:
		return corrupt(path, "the root page lies outside the file")
	case m.freelist == boltNoFreelist:
		return nil
	case m.freelist < 2 || m.freelist >= m.hwm:
		return corrupt(path, "the freelist page lies outside the file")
	}
	var hdr [pageHeaderLen + 8]byte
	if n, _ := f.ReadAt(hdr[:], int64(m.freelist)*ps); n < len(hdr) {
		return corrupt(path, "the freelist page lies outside the file")
	}
	if readMeta(f, 0) != m0 || readMeta(f, ps) != m1 {
		return nil // a writer committed meanwhile; checked again under the lock
	}
	e := binary.NativeEndian
	id, flags, overflow := e.Uint64(hdr[0:]), e.Uint16(hdr[8:]), uint64(e.Uint32(hdr[12:]))
	count := uint64(e.Uint16(hdr[10:]))
	if count == 0xFFFF {
		count = e.Uint64(hdr[16:])
	}
	if id != m.freelist || flags != boltFreelistFlag || count > m.hwm || m.freelist+overflow >= m.hwm {
		return corrupt(path, "the freelist page is damaged")
	}
	return nil
}

// maxSchema bounds the schema numbers taken for a newer Folio's; a larger
// one is damage.
const maxSchema = 1 << 16

// load is the first read: schema, device id, and every bucket of schema 1
// (a missing one is damage: recreating it empty would hide lost records).
func (db *DB) load() error {
	return db.view(context.Background(), func(tx *bolt.Tx) error {
		m := tx.Bucket(bucketMeta)
		if m == nil {
			return corrupt(db.path, "no meta bucket: not a Folio vault")
		}
		raw := m.Get([]byte(metaSchema))
		schema, err := decodeUint64(raw)
		switch {
		case raw == nil || err != nil || schema == 0 || schema > maxSchema:
			return corrupt(db.path, "no valid schema version")
		case schema > schemaVersion:
			return fmt.Errorf("open vault %s: schema %d (this build reads %d): %w", db.path, schema, schemaVersion, app.ErrNewerSchema)
		}
		dev, err := decodeUint64(m.Get([]byte(metaDevice)))
		if err != nil || dev == 0 {
			return corrupt(db.path, "no valid device id")
		}
		db.device = app.DeviceID(dev)
		if _, err := decodeUint64(m.Get([]byte(metaHLC))); err != nil {
			return corrupt(db.path, "no valid clock state")
		}
		for _, name := range allBuckets {
			if tx.Bucket(name) == nil {
				return corrupt(db.path, fmt.Sprintf("the %s bucket is missing", name))
			}
		}
		return nil
	})
}

// --- transactions ---

// view runs fn in a read transaction. A panic or memory fault inside bbolt
// (a damaged page) becomes ErrCorrupt. fn must copy what it keeps.
func (db *DB) view(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.guard(func() error {
		if err := db.bolt.View(fn); err != nil {
			return db.txErr(err)
		}
		return nil
	})
}

// update runs fn in a write transaction and commits it durably when fn
// returns nil. A failed commit is reported as a write problem (disk full,
// read-only folder); nothing of fn's changes is kept.
func (db *DB) update(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if db.readOnly {
		return fmt.Errorf("vault %s: %w", db.path, ErrReadOnly)
	}
	if db.damaged.Load() {
		return corrupt(db.path, "damage was found earlier; writes are refused")
	}
	return db.guard(func() error {
		tx, err := db.bolt.Begin(true)
		if err != nil {
			return db.txErr(err)
		}
		defer func() {
			if tx.DB() != nil {
				_ = tx.Rollback()
			}
		}()
		if err := fn(tx); err != nil {
			return db.txErr(err)
		}
		if err := tx.Commit(); err != nil {
			return writeErr(db.path, err)
		}
		return nil
	})
}

// rollbackTx runs fn in a write transaction that is always rolled back: a
// read that must not run beside writers (bbolt's Check). A read-only DB
// has no writers, so it uses a read transaction.
func (db *DB) rollbackTx(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if db.readOnly {
		return db.view(ctx, fn)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.guard(func() error {
		tx, err := db.bolt.Begin(true)
		if err != nil {
			return db.txErr(err)
		}
		defer func() { _ = tx.Rollback() }()
		if err := fn(tx); err != nil {
			return db.txErr(err)
		}
		return nil
	})
}

// guard runs fn, a transaction, holding swap for reading, with a panic
// or memory fault inside bbolt (a damaged page) turned into ErrCorrupt;
// the DB then refuses writes.
func (db *DB) guard(fn func() error) (err error) {
	db.swap.RLock()
	defer db.swap.RUnlock()
	defer db.catch(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return fn()
}

// resume starts a page of a listing on c: at the first key after after,
// the key the previous page ended on, or, on the first page (after nil),
// at from (nil: the first key). It returns that key and its value.
func resume(c *bolt.Cursor, from, after []byte) (k, v []byte) {
	switch {
	case after != nil:
		if k, v = c.Seek(after); bytes.Equal(k, after) {
			return c.Next()
		}
		return k, v
	case from != nil:
		return c.Seek(from)
	}
	return c.First()
}

func (db *DB) catch(errp *error) {
	if r := recover(); r != nil {
		db.damaged.Store(true)
		*errp = corrupt(db.path, fmt.Sprintf("reading: %v", r))
	}
}

// txErr words the errors bbolt returns when a transaction cannot start or
// a put is refused; errors of this package pass through.
func (db *DB) txErr(err error) error {
	switch {
	case errors.Is(err, berrors.ErrDatabaseNotOpen):
		return fmt.Errorf("vault %s: %w (the vault is closed)", db.path, err)
	case errors.Is(err, berrors.ErrDatabaseReadOnly), errors.Is(err, berrors.ErrTxNotWritable):
		return fmt.Errorf("vault %s: %w", db.path, ErrReadOnly)
	case errors.Is(err, errDecode):
		return fmt.Errorf("vault %s: %w: %v", db.path, ErrCorrupt, err)
	}
	return err
}
