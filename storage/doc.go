// Package storage keeps a Folio vault in one bbolt file: versioned,
// encrypted records with their blind index, cleartext settings (meta), the
// oplog of local changes awaiting an archive, and the hash-chained audit
// trail with its signed checkpoints. *DB implements app.MetaStore,
// app.AuditChain and app.IntegrityChecker; DB.Records(aead) returns the
// app.RecordStore that seals every version with aead.
//
// # Invariants
//
//   - No plaintext payload is ever written. Record data reaches bbolt only as
//     aead.Encrypt output; associated data binds it to its place (below), so
//     a ciphertext moved to another record, kind, version or parent fails to
//     decrypt with app.ErrTampered. The store never sees a key: it takes
//     app.AEAD and imports no cryptography library. What is stored in clear
//     is not PHI: kinds, record ids (random UUIDs for patients), versions,
//     blind-index tokens (PRF outputs), sealed audit events, and meta values
//     the app chooses to keep in clear (key slots, counters).
//   - Versions are immutable. A commit adds a version and moves the head;
//     nothing deletes or rewrites a version.
//   - Crash safety. Every change is one bbolt read-write transaction,
//     committed with fsync (NoSync is never set): after a crash a commit is
//     wholly there or wholly absent, and the file opens cleanly. A new vault
//     is built under a temporary name and linked into place, so a crash
//     during creation leaves no vault rather than an empty file; an empty or
//     truncated file at the vault's path is therefore damage (ErrCorrupt).
//   - Removed secrets leave the file. bbolt keeps a deleted value in its
//     free pages until it reuses them (and tx.WriteTo copies free pages as
//     they are), so a commit with app.Commit.Scrub (a key slot removed or
//     replaced) is followed by a scrub: the live data is copied into a new
//     file beside the vault (bolt.Compact), synced, renamed over the vault
//     and the folder synced, while every other transaction waits (DB.swap),
//     so no commit is lost and none lands in the old file. The commit sets
//     the meta key "storage/scrub-pending" and the new file lacks it: a
//     kill before the rename leaves the old file, flagged, and a writable
//     Open removes the temporary file (<vault>.scrubbing-*) and scrubs
//     again. A scrub that fails (disk full) leaves the commit standing,
//     returns app.ErrScrubPending and is retried at each Open; Check
//     reports it meanwhile. Open makes sure the file it locked is still
//     the one at the path (a process that waited for the lock of a file a
//     scrub replaced would otherwise write into an unlinked file).
//   - Damage is an error, never a crash. Open rejects files that are not a
//     bbolt file, are empty or truncated, whose header or freelist pages are
//     damaged, or that lack a schema-1 bucket or meta key (ErrCorrupt; a
//     missing bucket is never recreated, which would hide lost records).
//     Every transaction runs with runtime/debug.SetPanicOnFault and a
//     recover, so a damaged page that makes bbolt panic or fault surfaces as
//     ErrCorrupt; after that the DB refuses writes. Values are decoded by
//     functions that reject malformed bytes and bound what they copy
//     (fuzzed). One damaged meta page is still accepted when its marker is
//     intact and only its checksum fails (a torn write; bbolt falls back to
//     the other meta page by design). DB.Check walks every page itself,
//     reading the file with bounds checks, before it lets bbolt's checker
//     (which runs in a goroutine of its own, where a fault cannot be caught)
//     near the pages. Known limit: damage that turns a branch page's child
//     pointer into a pointer to one of its own ancestors makes bbolt recurse
//     without end on an ordinary read (a fatal stack overflow); Check reports
//     such a loop, but Open does not walk the whole file to find one.
//
// # bbolt rules
//
//   - Copy values out of the transaction: a slice from Get or a cursor is
//     valid only until the transaction ends. Every method returns copies.
//   - No nested transactions: a method opens one transaction and calls no
//     other method of the DB inside it (bbolt deadlocks on a write inside a
//     read on the same goroutine, and on remapping).
//   - No transaction is held across a UI call, a network call or a yield.
//     Listings (Records.Heads, Audit.AuditEntries) are iter.Seq2[T, error]: they
//     read a page of entries in one transaction, close it, then decrypt and
//     yield, so the loop body may call the store (even commit). A listing is
//     therefore not a snapshot. A damaged entry is yielded with its error
//     and the listing goes on; any other error ends it.
//   - Decryption happens outside transactions, except that Commit seals
//     inside its write transaction: the version it seals under is assigned
//     there. The AEAD must be local (no network).
//   - Batch only for idempotent functions. This package does not use
//     db.Batch: Commit is the unit of batching, one transaction per call, so
//     callers group writes (hundreds to thousands) into one Commit.
//   - Never NoSync; FreelistType is hashmap; the freelist is preloaded at
//     open (under recover) even read-only.
//   - Write errors (disk full, read-only folder, permissions) come back as
//     "cannot write the vault at PATH: …; check the folder is writable and
//     the disk has space", wrapping the OS error.
//   - Backups (backup.go): Snapshot copies the live data as one read
//     transaction sees it (bolt.Compact, no free pages) while writers go
//     on; Blobs.CopyTo copies blob files as stored. RejoinAudit (rejoin.go)
//     splices the archive's copy of the audit chain into a restored vault.
//   - bbolt's Check must not run beside writers, so DB.Check uses a write
//     transaction that it rolls back (a read transaction when read-only).
//
// # Layout (schema 1)
//
// All integers are big-endian; ‖ is concatenation; "0" is a NUL byte. A
// kind is 1–64 bytes and an id 1–512 bytes, neither holding a NUL; a version
// is HLC (8) ‖ device (8), 16 bytes, which sorts in app.Version.Less order.
//
//	bucket       key                                  value
//	meta         setting name (UTF-8)                  raw bytes
//	versions     kind ‖ 0 ‖ id ‖ 0 ‖ version           0x01 ‖ parent version ‖ ciphertext, or
//	                                                   0x02 ‖ parent version ‖ uvarint len ‖ endorsement ‖ ciphertext
//	heads        kind ‖ 0 ‖ id                         version
//	tokens       kind ‖ 0 ‖ id                         version ‖ (len16 ‖ token)*, sorted, unique
//	index        len16 ‖ token ‖ kind ‖ 0 ‖ id          empty
//	oplog        seq (8)                               version ‖ kind ‖ 0 ‖ id
//	audit        seq (8)                               hash (32) ‖ sealed event
//	checkpoints  seq (8)                               hash (32) ‖ signature
//
// The meta keys under "storage/" belong to this package (MetaStore callers
// may read but not write them): "storage/schema" (uint64, = 1),
// "storage/device" (uint64, random, non-zero, chosen at creation),
// "storage/hlc" (uint64, the last HLC given out or seen in an import),
// "storage/audit-head" (the audit chain's keyed head, below) and
// "storage/conflict/" kind ‖ 0 ‖ id (the branch tips of a record two
// devices changed apart, as versions of 16 bytes each; replica.go) and
// "storage/scrub-pending" (present while a scrub is owed; compact.go). A file
// with a larger schema fails to open with app.ErrNewerSchema.
//
// A record's versions sort oldest first under their common prefix
// kind ‖ 0 ‖ id ‖ 0 (the trailing NUL keeps id "ab" from matching "abc").
// The ciphertext is aead.Encrypt(data, ad) with
//
//	ad = "folio/v1" ‖ 0 ‖ kind ‖ 0 ‖ id ‖ 0 ‖ version ‖ parent version
//
// A version's endorsement (app.RecordWrite.Endorsement: who wrote a user or
// key-slot version, signed; package endorse) is kept in clear beside its
// ciphertext, 1 to 8 KiB, in value format 2; a version without one is
// written in format 1, and both are read. The store neither reads nor
// checks it: sync carries it, and the archive and the other workstations
// check it.
//
// Token lengths (1–1024 bytes) prefix both the index key and each token in
// a token set, so a token that is a prefix of another cannot match the
// other's entries; Lookup is one cursor Seek over len16 ‖ token. The token
// set names the version it was written with, and is deleted (with its index
// entries) when a version has no tokens.
//
// Versions: Commit gives each write HLC = max(unix ms << 16, last + 1),
// "last" being persisted in meta in the same transaction, so versions are
// strictly increasing within a file, in commit order, even when the clock
// goes backwards; Device is the file's device id.
//
// The oplog gets one entry per written version, seq from the bucket's
// sequence (never reused); Ack deletes entries up to a seq. The audit chain
// links entry n to n-1 without a key (AuditLink, the link the archive
// checks too): hash = SHA-256(hash of n-1 ‖ n (8) ‖ sealed), with 32 zero
// bytes before entry 1. A checkpoint stores the signature over
// app.CheckpointMessage(seq, hash). The keyed head, meta
// "storage/audit-head", is 0x01 ‖ seq (8) ‖ checkpoints (8) ‖ keyed-from
// (8) ‖ hash (32) ‖ signature over app.KeyedHeadMessage: the vault's audit
// key vouches for the whole chain through seq and for the number of
// checkpoints. Appends made with the key re-sign it in their transaction
// (keyHead, only over a chain that still leads to the old head); keyless
// appends (a locked vault) follow it unauthenticated. VerifyChain checks
// all of it.
//
// # Commit
//
// Commit checks every write's Parent against the record's head (a mismatch
// is app.ErrConflict and nothing is written), then in the same transaction
// seals and puts the versions, moves the heads, replaces each record's
// token set and index entries, appends oplog entries, links the audit
// events onto the chain, applies the meta puts and deletes, and stores the
// HLC. A commit may hold at most one write per record (a second one is
// app.ErrInvalid): give the record's final state instead.
//
// # Blobs
//
// Large files (scanned originals, page images, page text) live beside the
// vault file in a blob folder (<data>/blobs), one file per blob:
//
//	blobs/<first 2 hex digits of id>/<id>.blob
//
// An id is 16 to 128 lowercase hex digits the caller derives from the
// content with a keyed PRF, so the same file stored twice is one blob and
// ids reveal nothing. A blob file is the Tink streaming AEAD of the content
// (AES256-GCM-HKDF, 1 MiB segments) with associated data
// "folio blob v1" ‖ 0 ‖ id, so a file copied to another id fails to open.
// A put writes a temporary file (.tmp-*) in the subfolder, fsyncs it,
// renames it into place and fsyncs the subfolder (and the blob folder when
// the subfolder is new); a put of an id that exists writes nothing. Temporary
// files older than an hour are removed at open. GetBlob authenticates the
// whole stream before returning any plaintext.
package storage
