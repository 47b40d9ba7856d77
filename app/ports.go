package app

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"iter"
	"strconv"
	"strings"
	"time"
)

// This file declares what the services need from the parts below them. The
// implementations live in storage (bbolt) and crypto (Tink); main.go wires them.

// AEAD is Tink's two-method authenticated-encryption shape. The record store
// takes one to seal every version it writes (encryption is a decorator over
// storage); associated data binds a ciphertext to its place.
type AEAD interface {
	Encrypt(plaintext, associatedData []byte) ([]byte, error)
	Decrypt(ciphertext, associatedData []byte) ([]byte, error)
}

// Kind names a type of record ("patient", "user"). Kinds are ASCII words
// without a NUL byte.
type Kind string

// Record kinds kept by the services.
const (
	KindPatient Kind = "patient"
	KindUser    Kind = "user"
)

// DeviceID names one workstation profile. It is random, chosen when the vault
// is created, and never changes.
type DeviceID uint64

// String returns the device id as 16 hex digits.
func (d DeviceID) String() string { return fmt.Sprintf("%016x", uint64(d)) }

// Version identifies one immutable version of a record: a hybrid logical
// clock reading (unix milliseconds << 16 | logical counter) and the device
// that wrote it. Versions of one record are totally ordered by (HLC, Device).
// The zero Version means "none" (the parent of a first version).
type Version struct {
	HLC    uint64
	Device DeviceID
}

// IsZero reports whether v is the zero ("no version") value.
func (v Version) IsZero() bool { return v.HLC == 0 && v.Device == 0 }

// Less orders versions by clock, then device.
func (v Version) Less(w Version) bool {
	if v.HLC != w.HLC {
		return v.HLC < w.HLC
	}
	return v.Device < w.Device
}

// String renders a version as "hlc.device" in hex, the form the CLI shows.
func (v Version) String() string { return fmt.Sprintf("%x.%s", v.HLC, v.Device) }

// StoredRecord is one decrypted version of a record as the store returns it.
type StoredRecord struct {
	Kind    Kind
	ID      string
	Version Version
	Parent  Version // zero for the first version
	Data    []byte  // plaintext payload, owned by the caller
	// Endorsement is the version's endorsement as written (JSON of
	// endorse.Endorsement; nil when it has none).
	Endorsement []byte
}

// RecordWrite asks for one new version of a record.
type RecordWrite struct {
	Kind Kind
	ID   string
	// Parent is the version the writer read and changed; it must be the
	// record's current head (zero when creating). A mismatch fails the whole
	// commit with ErrConflict.
	Parent Version
	Data   []byte
	// Endorsement, for a KindUser or KindKeySlots version, is the JSON of
	// the endorse.Endorsement the writer's session signed: the store keeps
	// it with the version, in clear, and sync sends it along (package
	// endorse says who may write these records).
	Endorsement []byte
	// Tokens is the record's complete blind-index token set for this version:
	// it replaces the tokens of the previous version. Nil removes the record
	// from the index.
	Tokens [][]byte
}

// Commit is one atomic change: new record versions and the audit events that
// describe them. Either all of it is durable or none of it.
type Commit struct {
	Writes []RecordWrite
	Audit  [][]byte // sealed audit events, appended to the chain in order
	// Meta puts and deletes cleartext meta values (counters, key slots) in
	// the same transaction, so a counter and the record that used it, or a
	// new key slot and its audit event, are durable together.
	Meta       map[string][]byte
	DeleteMeta []string
	// AuditKey, when set (an unlocked vault), re-signs the audit chain's
	// keyed head over the appended events in the same transaction.
	AuditKey AuditKey
	// Scrub says the commit removes or replaces a secret (a key slot):
	// once the commit is durable the store rewrites its file so that no
	// copy of the file made afterwards holds the old value (a database
	// file keeps deleted values in its free space until it reuses it).
	// When that rewrite fails the commit stands and the store returns an
	// error wrapping ErrScrubPending; it tries again each time it opens.
	Scrub bool
}

// RecordStore keeps versioned encrypted records and their blind index. The
// storage package implements it over bbolt; every Data is sealed with the
// AEAD the store was opened with, associated data binding kind, id and
// version.
type RecordStore interface {
	// Commit writes c atomically and durably and returns the version given
	// to each write, in order. Errors: ErrConflict when a Parent is stale.
	Commit(ctx context.Context, c Commit) ([]Version, error)
	// Head returns the current version of a record, or ErrNotFound.
	Head(ctx context.Context, kind Kind, id string) (StoredRecord, error)
	// History returns every version of a record, oldest first, or ErrNotFound.
	History(ctx context.Context, kind Kind, id string) ([]StoredRecord, error)
	// Heads yields the current version of every record of a kind, in id order.
	Heads(ctx context.Context, kind Kind) iter.Seq2[StoredRecord, error]
	// Lookup returns the ids of the records whose current token set holds
	// token, in id order.
	Lookup(ctx context.Context, token []byte) ([]string, error)
	// Tokens returns the token set stored with a record's current version.
	Tokens(ctx context.Context, kind Kind, id string) ([][]byte, error)
}

// MetaStore keeps small cleartext values that are never PHI: the schema,
// key slots, the sealed key bundle, public keys, failed-login counters.
type MetaStore interface {
	// GetMeta returns the value stored under key, or ErrNotFound.
	GetMeta(ctx context.Context, key string) ([]byte, error)
	// MetaPrefix returns every key/value whose key starts with prefix.
	MetaPrefix(ctx context.Context, prefix string) (map[string][]byte, error)
	// UpdateMeta applies puts then deletes in one durable transaction.
	UpdateMeta(ctx context.Context, puts map[string][]byte, deletes []string) error
	// EraseMeta deletes keys in one durable transaction and then rewrites
	// the file as a Commit with Scrub does, so that no copy of the file
	// made afterwards holds their values. When the rewrite fails the
	// deletion stands and the error wraps ErrScrubPending.
	EraseMeta(ctx context.Context, keys []string) error
}

// AuditEntry is one stored link of the audit chain.
type AuditEntry struct {
	Seq    uint64 // 1, 2, 3 … without gaps
	Sealed []byte // the sealed event as appended
	Hash   []byte // SHA-256 over (previous Hash ‖ Seq ‖ Sealed)
}

// AuditCheckpoint is a signed statement of the chain's head. The keyed
// head counts the checkpoints, so one dropped from the file is noticed.
type AuditCheckpoint struct {
	Seq       uint64
	Hash      []byte
	Signature []byte
}

// AuditKey is the secret that makes the audit chain tamper-evident without
// trusting the file: the audit signing key of the vault's key bundle
// (Ed25519), which only an unlocked vault holds. A Keyring is one.
type AuditKey interface {
	Sign(msg []byte) ([]byte, error)
	Verify(msg, sig []byte) error
}

// KeyedHead is the signed statement of the whole audit chain: the device
// whose chain it is, the last entry it covers (Seq and its link Hash, which
// commits to every entry before it), how many checkpoints the chain holds,
// and KeyedFrom, the last entry written before the chain was first keyed
// (0 for a chain keyed from its first entry; a vault from before keyed
// heads is keyed from where it stood at its first unlock after the
// upgrade). It is re-signed with every append made while the vault is
// unlocked; entries appended while locked follow it unauthenticated until
// the next one. Signature is over KeyedHeadMessage.
type KeyedHead struct {
	Device      DeviceID
	Seq         uint64
	Hash        []byte
	Checkpoints uint64
	KeyedFrom   uint64
	Signature   []byte
}

// KeyedHeadMessage is the exact byte string a keyed head signs.
func KeyedHeadMessage(h KeyedHead) []byte {
	msg := []byte("folio audit keyed head v1\x00")
	for _, n := range []uint64{uint64(h.Device), h.Seq, h.Checkpoints, h.KeyedFrom} {
		msg = binary.BigEndian.AppendUint64(msg, n)
	}
	return append(msg, h.Hash...)
}

// AuditState says how much of the chain its keyed head covers.
type AuditState struct {
	Head  uint64 // the last entry (0: empty chain)
	Keyed bool   // a keyed head is stored
	// KeyedSeq is the last entry the keyed head covers; entries after it
	// were appended while the vault was locked (not yet authenticated).
	KeyedSeq  uint64
	KeyedFrom uint64 // see KeyedHead
}

// Unauthenticated is how many entries follow the keyed head.
func (s AuditState) Unauthenticated() uint64 {
	if s.Head > s.KeyedSeq {
		return s.Head - s.KeyedSeq
	}
	return 0
}

// AuditChain is the append-only, hash-chained audit log with a keyed head.
// Appending needs no key (events are sealed to a public key first) so
// failed logins and the send-only sync engine are recorded while the vault
// is locked; such entries are authenticated by the next append made with
// the key. An append or checkpoint made with the key re-signs the keyed
// head only when the stored one verifies and the chain still leads to it:
// a key never vouches for a chain changed behind its back.
type AuditChain interface {
	// AppendAudit appends sealed events durably, in order, without a key.
	AppendAudit(ctx context.Context, sealed [][]byte) error
	// AppendSignedAudit appends sealed events and re-signs the keyed head
	// over them, in one transaction.
	AppendSignedAudit(ctx context.Context, sealed [][]byte, key AuditKey) error
	// AuditEntries yields the chain from seq 1 on, in order.
	AuditEntries(ctx context.Context) iter.Seq2[AuditEntry, error]
	// AuditEntriesFrom yields the chain from seq from on, in order.
	AuditEntriesFrom(ctx context.Context, from uint64) iter.Seq2[AuditEntry, error]
	// AuditHead returns the last entry (Seq 0 when the chain is empty).
	AuditHead(ctx context.Context) (AuditEntry, error)
	// Checkpoint signs a checkpoint of the current head and re-signs the
	// keyed head counting it, in one transaction. It fails with
	// ErrTampered, storing nothing, when the keyed head does not verify or
	// the chain no longer leads to it.
	Checkpoint(ctx context.Context, key AuditKey) error
	// Checkpoints returns every stored checkpoint, oldest first.
	Checkpoints(ctx context.Context) ([]AuditCheckpoint, error)
	// AuditState says how much of the chain the keyed head covers (it does
	// not verify the signature: VerifyChain does).
	AuditState(ctx context.Context) (AuditState, error)
}

// AuditCountersignature is the archive's signed statement that it holds
// this device's audit chain through Seq, whose link hash is Hash.
type AuditCountersignature struct {
	Seq  uint64
	Hash []byte
	Time time.Time
}

// AuditWitness gives the latest archive countersignature of this device's
// audit chain that verifies against what the workstation trusts (the
// organisation's CA from its enrollment; the syncer implements it). ok is
// false when there is none (not enrolled, never synced). One that does not
// verify wraps ErrTampered.
type AuditWitness interface {
	LatestCountersignature(ctx context.Context) (cs AuditCountersignature, ok bool, err error)
}

// CheckpointMessage is the exact byte string an audit checkpoint signs.
func CheckpointMessage(seq uint64, hash []byte) []byte {
	msg := append([]byte("folio audit checkpoint v1\x00"), binary.BigEndian.AppendUint64(nil, seq)...)
	return append(msg, hash...)
}

// IntegrityReport is what a full check of the store found.
type IntegrityReport struct {
	Records, Versions, IndexEntries, AuditEntries, Checkpoints int
	Problems                                                   []string
	// Notes are facts a reviewer should know that are not damage (audit
	// entries older than the keyed trail, entries not yet authenticated).
	Notes []string
}

// IntegrityChecker checks the store below the services: file consistency,
// that every version decrypts where it stands, heads, parent chains, index
// consistency, and the audit hash chain with its signed checkpoints.
type IntegrityChecker interface {
	CheckIntegrity(ctx context.Context, aead AEAD, verifySig func(msg, sig []byte) error) (IntegrityReport, error)
}

// StreamingAEAD is Tink's streaming shape (AES256-GCM-HKDF in 1 MiB
// segments), for scanned originals and page images. A stream is verified
// segment by segment; truncation shows only at the end, so a reader must
// not use the plaintext before it has read to EOF without error.
type StreamingAEAD interface {
	NewEncryptingWriter(w io.Writer, associatedData []byte) (io.WriteCloser, error)
	NewDecryptingReader(r io.Reader, associatedData []byte) (io.Reader, error)
}

// BlobStore keeps large encrypted files (scanned originals, page images,
// page text) beside the vault, each under an id the caller derives from its
// content. The storage package implements it over a directory.
type BlobStore interface {
	// PutBlob seals data and stores it under id durably (temp file, fsync,
	// rename, fsync of the directory). Storing an id that exists keeps the
	// existing blob and succeeds: puts are idempotent.
	PutBlob(ctx context.Context, id string, data []byte) error
	// GetBlob returns the whole verified plaintext, ErrNotFound, or an
	// error wrapping ErrTampered.
	GetBlob(ctx context.Context, id string) ([]byte, error)
	// HasBlob reports whether id is stored.
	HasBlob(ctx context.Context, id string) (bool, error)
	// DeleteBlob removes a blob (end of retention); a missing id is no error.
	DeleteBlob(ctx context.Context, id string) error
	// Verify reads id's whole file and authenticates it, keeping no
	// plaintext: nil, ErrNotFound, or an error wrapping ErrTampered.
	Verify(ctx context.Context, id string) error
}

// Analyzer reads a scanned file: pages, text, barcodes, blank pages (the
// scan package's worker pool implements it). It must not crash the caller
// on any input: a file it cannot read gives an error that says why.
type Analyzer interface {
	Analyze(ctx context.Context, name string, data []byte) (FileAnalysis, error)
}

// ProgressAnalyzer is an Analyzer that says how far it has got with a file
// (the scan package's worker pool implements it). ImportFileProgress uses
// it when the configured Analyzer has it, and plain Analyze otherwise.
type ProgressAnalyzer interface {
	// AnalyzeProgress is Analyze calling event as each page is drawn
	// (StageRendering), read (StageOCR) and done (StagePageDone), in that
	// order for each page; pages read side by side interleave. event is
	// called from one goroutine at a time, in order, never after
	// AnalyzeProgress returns, and must return quickly: a page's reader
	// may wait for it. A page that fails may stop before its done event.
	AnalyzeProgress(ctx context.Context, name string, data []byte, event func(PageEvent)) (FileAnalysis, error)
}

// PageAnalyzer reads one page of a file again, as Analyzer reads each page
// (the scan package's worker pool implements it): for a page put back into
// its document that was never read.
type PageAnalyzer interface {
	AnalyzePage(ctx context.Context, name string, data []byte, page int) (PageAnalysis, error)
}

// PageEvent is one page of a file reaching a stage of its analysis.
type PageEvent struct {
	Page  int         // 1-based
	Pages int         // the file's page count
	Stage ImportStage // StageRendering, StageOCR or StagePageDone
}

// StagePageDone is the stage of a PageEvent whose page has been read. It
// is an analyzer's report only: ImportProgress never has it (it counts the
// page in PagesDone instead).
const StagePageDone ImportStage = "page done"

// RecordConflict is a record changed on two workstations from the same
// version: Tips are the versions that end its branches. Every replica
// keeps all of them and shows the greatest as current.
type RecordConflict struct {
	Kind Kind
	ID   string
	Tips []Version
}

// ConflictStore lists conflicted records and clears a record's flag once a
// person resolved it (the storage package implements it).
type ConflictStore interface {
	RecordConflicts(ctx context.Context) ([]RecordConflict, error)
	ClearConflict(ctx context.Context, kind Kind, id string) error
}

// ParseVersion reads a version in the form String writes ("hlc.device",
// hex).
func ParseVersion(s string) (Version, error) {
	h, d, ok := strings.Cut(s, ".")
	hlc, err1 := strconv.ParseUint(h, 16, 64)
	dev, err2 := strconv.ParseUint(d, 16, 64)
	if !ok || err1 != nil || err2 != nil || len(d) != 16 {
		return Version{}, Invalidf("version %q is not hlc.device in hex", s)
	}
	return Version{HLC: hlc, Device: DeviceID(dev)}, nil
}

// PDFPage is one scanned page of a searchable PDF, as an export hands it
// to the PDFWriter.
type PDFPage struct {
	JPEG              []byte // the page image (a JPEG)
	WidthPx, HeightPx int    // of the image; 0 takes the JPEG's own size
	DPI               int    // of the JPEG; page size in points = px*72/DPI
	Words             []Word
	// Text is the page text. Where there are Words, the lines of Text
	// they do not hold are written too: what the page's PDF said beyond
	// what was read on its image (a sticky note's text, a form field's
	// value, a comment the OCR misread).
	Text string
	// Turn is a clockwise turn (0, 90, 180, 270) to apply to the image and
	// its words, as a person asked for it; a turned page is re-encoded.
	Turn int
}

// PDFWriter writes pages as a searchable PDF titled title to w (package
// printout's SearchablePDF; main.go wires it through profile).
type PDFWriter func(w io.Writer, title string, pages []PDFPage) error

// SealedVersion is one record version as it is stored and as it travels
// between replicas: sealed with the vault's record key, its associated
// data binding kind, id, version and parent, so that it cannot be moved or
// altered on the way. The syncer sends and receives these and never opens
// one; the session does (replica.go).
type SealedVersion struct {
	Kind       Kind
	ID         string
	Version    Version
	Parent     Version
	Ciphertext []byte
	// Endorsement is the version's endorsement as its writer made it (JSON
	// of an endorse.Endorsement, kept in clear; nil without one).
	Endorsement []byte
}

// RecordRef names a record.
type RecordRef struct {
	Kind Kind
	ID   string
}

// VersionRef names one version of a record.
type VersionRef struct {
	Kind    Kind
	ID      string
	Version Version
}

// TokensFunc derives a record version's blind-index tokens from its
// plaintext (the session knows how, per kind); nil tokens take the record
// out of the index.
type TokensFunc func(StoredRecord) ([][]byte, error)

// ReplicaReport says what taking in versions written elsewhere changed.
type ReplicaReport struct {
	Stored  int         // versions new to this replica
	Known   int         // versions it had already (a replayed pull)
	Changed []RecordRef // records whose current version changed (their index now follows it)
	Forked  []RecordRef // records that now have more than one branch
}

// ReplicaStore is the record store's side of sync, sealed with the vault's
// record key like the RecordStore it comes with (storage.Records). Only the
// session uses it: it checks what comes in before it is stored.
type ReplicaStore interface {
	// Sealed returns one version as stored, or ErrNotFound.
	Sealed(ctx context.Context, kind Kind, id string, v Version) (SealedVersion, error)
	// OpenVersion opens a version sealed elsewhere without storing it; a
	// version that does not open as exactly that version wraps ErrTampered.
	OpenVersion(v SealedVersion) ([]byte, error)
	// ImportVersions stores versions written on other workstations, as
	// sealed there, all or none: one that does not open wraps ErrTampered.
	// A record whose current version changes gets that version's tokens.
	ImportVersions(ctx context.Context, vs []SealedVersion, tokens TokensFunc) (ReplicaReport, error)
	// Reindex replaces the tokens of a record whose head is still v.
	Reindex(ctx context.Context, kind Kind, id string, v Version, tokens [][]byte) error
}

// NotePDFWriter writes a signed visit note as a PDF to w (package
// printout's VisitNotePDF; main.go wires it through profile).
type NotePDFWriter func(w io.Writer, n NotePrint) error

// ReferralPDFWriter writes a referral letter as a PDF to w (package
// printout's ReferralPDF).
type ReferralPDFWriter func(w io.Writer, r ReferralPrint) error
