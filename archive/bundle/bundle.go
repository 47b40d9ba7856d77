// Package bundle is the sync bundle: one file that carries a sync round
// on a USB stick, for a site with no link at all. A workstation exports
// what the archive lacks from it ('folio sync export'); the archive
// imports it and writes a reply ('folio-archive import … --reply'); the
// workstation imports the reply ('folio sync import'). Both sides move the
// same wire types (package api) through the same code paths as online
// sync, so online sync and bundles mix freely.
//
// # File layout (version 1)
//
//	"FOLIOSYN" | version (1 byte) |
//	ciphertext: the body, Tink streaming AEAD (crypto.SealBundleStream) |
//	header JSON | signature | header length (uint32 BE) |
//	signature length (uint32 BE) | "FOLIOEND"
//
// The header (Header) is last so that a body of gigabytes is written in
// one pass: the header names the ciphertext's size and SHA-256, and the
// signature covers the header. Everything is therefore signed, and a
// changed, cut or appended byte anywhere fails before anything is applied.
//
// The body, once decrypted, is a sequence of frames: type (1 byte) |
// length (uint32 BE) | payload. The payloads are strict JSON of the api
// types (Info first, End last) and raw blob chunks:
//
//	export: 'I' ExportInfo, 'P' Batch*, ('B' BlobHead, 'C' chunk*)*, 'E' End
//	reply:  'I' ReplyInfo, 'G' api.PullResponse*, ('B' BlobHead, 'C' chunk*)*, 'E' End
//
// A length-prefixed sequence of the wire types was preferred to a tar
// archive: tar adds names, modes and padding that mean nothing here, and
// neither integrity nor limits; the frames keep every payload under the
// api's own limits, reuse its strict decoders, and a blob streams as its
// chunks of api.ChunkSize, each checked for its length, the whole against
// its SHA-256 (its id).
//
// # Invariants
//
//   - Every bundle is signed by its sender's certificate key (a device
//     certificate for an export, the archive server's for a reply; both
//     chain to the organisation's CA, VerifySender) and encrypted to its
//     recipient's bundle key; the stream's associated data binds it to the
//     header's identity (kind, id, org, sender, recipient, device).
//   - Decoders never panic and never trust a length: every frame is
//     checked against its type's limit before it is read (fuzzed).
//   - Nothing here applies anything: the archive (archive.ImportBundle)
//     and the workstation (syncer) read a bundle completely once to
//     verify it, and only then a second time to apply it.
package bundle

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"

	"folio/app"
	"folio/archive/api"
	fcrypto "folio/crypto"
)

// Format, Version and the kinds of bundle.
const (
	Format  = "folio-sync-bundle"
	Version = 1
	// KindExport goes from a workstation to the archive.
	KindExport = "export"
	// KindReply goes from the archive to one workstation.
	KindReply = "reply"
	// Archive is the sender or recipient name of the archive.
	Archive = "archive"
)

const (
	magic      = "FOLIOSYN"
	footMagic  = "FOLIOEND"
	footerSize = 4 + 4 + len(footMagic)
	// MaxHeader bounds the header JSON (a certificate and a wrapped key).
	MaxHeader = 64 << 10
	// MaxSignature bounds the signature.
	MaxSignature = 512
	sigContext   = "folio sync bundle signature v1\x00"
	streamCtx    = "folio sync bundle v1"
)

// Errors callers branch on. Every refusal wraps one of them, and says in
// words what is wrong and what to do.
var (
	// ErrNotBundle: the file is not a sync bundle at all.
	ErrNotBundle = errors.New("not a Folio sync bundle")
	// ErrDamaged: the file is a bundle, but cut short, altered or
	// malformed: copy it again.
	ErrDamaged = errors.New("the sync bundle is damaged")
	// ErrNotForUs: a valid bundle for another recipient or organisation,
	// or signed by a certificate that is not the organisation's.
	ErrNotForUs = errors.New("the sync bundle is not for this place")
)

// Header is a bundle's cleartext, signed description.
type Header struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	Kind    string `json:"kind"`
	// ID is random (32 hex digits); a reply names the export it answers.
	ID  string `json:"id"`
	Org string `json:"org"`
	// From and To are device names (as on their certificates), or
	// Archive.
	From string `json:"from"`
	To   string `json:"to"`
	// Device is the vault device id the bundle comes from (an export) or
	// is for (a reply).
	Device  api.DeviceID `json:"device"`
	Created time.Time    `json:"created"`
	// Certificate is the sender's (DER), whose key signed the header.
	Certificate []byte `json:"certificate"`
	// WrappedKey is the body's stream key, wrapped to the recipient.
	WrappedKey       []byte `json:"wrapped_key"`
	CiphertextSize   int64  `json:"ciphertext_size"`
	CiphertextSHA256 string `json:"ciphertext_sha256"`
}

// contextInfo binds the wrapped key and the stream to the header's
// identity.
func (h Header) contextInfo() []byte {
	return []byte(fmt.Sprintf("%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s", streamCtx, h.Kind, h.ID, h.Org, h.From, h.To, h.Device))
}

func (h Header) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: header: %s", ErrDamaged, fmt.Sprintf(format, args...))
	}
	if h.Format != Format {
		return fmt.Errorf("%w (format %.40q)", ErrNotBundle, h.Format)
	}
	if h.Version != Version {
		return bad("version %d; this program reads version %d (update Folio)", h.Version, Version)
	}
	if h.Kind != KindExport && h.Kind != KindReply {
		return bad("kind %.20q", h.Kind)
	}
	if len(h.ID) != 32 {
		return bad("id %.40q", h.ID)
	}
	if _, err := hex.DecodeString(h.ID); err != nil {
		return bad("id %.40q", h.ID)
	}
	if h.Org == "" || len(h.Org) > 256 || h.From == "" || len(h.From) > 256 || h.To == "" || len(h.To) > 256 {
		return bad("no organisation, sender or recipient")
	}
	if h.Device == 0 {
		return bad("no device")
	}
	if h.Created.IsZero() || len(h.Certificate) == 0 || len(h.WrappedKey) == 0 {
		return bad("no time, certificate or key")
	}
	if h.CiphertextSize < 0 {
		return bad("negative size")
	}
	if _, err := api.ParseSHA256(h.CiphertextSHA256); err != nil {
		return bad("digest: %v", err)
	}
	return nil
}

// NewID returns a random bundle id.
func NewID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Frame types.
const (
	FrameInfo    = 'I'
	FrameBatch   = 'P'
	FrameChanges = 'G'
	FrameBlob    = 'B'
	FrameChunk   = 'C'
	FrameEnd     = 'E'
)

// maxFrame is each frame type's payload limit.
func maxFrame(typ byte) int {
	switch typ {
	case FrameInfo:
		return 32 << 20 // the blob lists of a large vault
	case FrameBatch:
		return api.MaxPushBody + 4<<10
	case FrameChanges:
		return api.MaxPullBody
	case FrameBlob, FrameEnd:
		return 4 << 10
	case FrameChunk:
		return api.ChunkSize
	}
	return -1
}

// ExportInfo opens an export's body: what the workstation already has,
// so the reply carries only what it lacks, and where to send the reply.
type ExportInfo struct {
	// Cursor is the workstation's pull cursor: it holds every change
	// through it.
	Cursor uint64 `json:"cursor"`
	// ReplyKey is the workstation's public keyset for the reply.
	ReplyKey []byte `json:"reply_key"`
	// Have lists the blobs (archive ids: SHA-256 of the sealed file) the
	// workstation holds complete: the reply brings every other one the
	// archive holds.
	Have []string `json:"have,omitempty"`
	// Vault is the workstation's claim to the organisation's vault (the
	// archive takes an export only from a member, or with this claim).
	Vault *api.VaultClaim `json:"vault,omitempty"`
}

// Batch is one push batch of an export, numbered as the online push
// numbers them, with the range of the workstation's oplog it carries (the
// workstation acknowledges the range once the archive confirms it).
type Batch struct {
	OplogFrom    uint64          `json:"oplog_from,omitempty"`
	OplogThrough uint64          `json:"oplog_through,omitempty"`
	Request      api.PushRequest `json:"request"`
}

// Digest is the batch content's SHA-256 (hex), by which a reply confirms
// it.
func (b Batch) Digest() string {
	j, _ := json.Marshal(b)
	s := sha256.Sum256(j)
	return hex.EncodeToString(s[:])
}

// BlobHead announces a blob; its chunks follow.
type BlobHead struct {
	ID   string `json:"id"`
	Size int64  `json:"size"`
}

// ReplyInfo opens a reply's body: what the archive holds of the device
// and confirms of its export.
type ReplyInfo struct {
	// InReplyTo is the id of the export answered ("" for a reply the
	// archive wrote without one).
	InReplyTo string `json:"in_reply_to,omitempty"`
	// State is the device as the archive knows it after the import.
	State api.DeviceInfo `json:"state"`
	// Confirmed are the export's batches the archive holds.
	Confirmed []Confirmed `json:"confirmed,omitempty"`
	// BlobsStored are the export's blobs the archive holds complete.
	BlobsStored []string `json:"blobs_stored,omitempty"`
	// Countersign signs the device's audit head (nil without one).
	Countersign *api.Countersignature `json:"countersign,omitempty"`
	// After is the cursor the changes start after (End.Through is where
	// they stop).
	After uint64 `json:"after"`
}

// Confirmed is one batch of an export that the archive holds.
type Confirmed struct {
	Batch        uint64 `json:"batch"`
	StoredAs     uint64 `json:"stored_as"`
	Digest       string `json:"digest"`
	OplogFrom    uint64 `json:"oplog_from,omitempty"`
	OplogThrough uint64 `json:"oplog_through,omitempty"`
	AuditThrough uint64 `json:"audit_through"`
}

// End closes a body with its counts (a check against a writer that
// stopped early) and, in a reply, the cursor the changes end at.
type End struct {
	Batches int    `json:"batches"`
	Pages   int    `json:"pages"`
	Blobs   int    `json:"blobs"`
	Through uint64 `json:"through,omitempty"`
}

// decodeStrict reads one JSON value from b into v: no unknown fields, no
// trailing data.
func decodeStrict(b []byte, what string, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("%w: %s is not valid: %v", ErrDamaged, what, err)
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: %s has data after its end", ErrDamaged, what)
	}
	return nil
}

// DecodeExportInfo reads and checks an export's info frame.
func DecodeExportInfo(b []byte) (ExportInfo, error) {
	var v ExportInfo
	if err := decodeStrict(b, "export info", &v); err != nil {
		return ExportInfo{}, err
	}
	if len(v.ReplyKey) == 0 || len(v.ReplyKey) > 8<<10 {
		return ExportInfo{}, fmt.Errorf("%w: export info has no reply key", ErrDamaged)
	}
	for _, id := range v.Have {
		if _, err := api.ParseBlobID(id); err != nil {
			return ExportInfo{}, fmt.Errorf("%w: export info: %v", ErrDamaged, err)
		}
	}
	return v, nil
}

// DecodeBatch reads and checks a batch frame.
func DecodeBatch(b []byte) (Batch, error) {
	var v Batch
	if err := decodeStrict(b, "batch", &v); err != nil {
		return Batch{}, err
	}
	if err := v.Request.Validate(); err != nil {
		return Batch{}, fmt.Errorf("%w: batch: %v", ErrDamaged, err)
	}
	if (len(v.Request.Versions) == 0) != (v.OplogThrough == 0) || v.OplogFrom > v.OplogThrough {
		return Batch{}, fmt.Errorf("%w: batch %d has an oplog range %d..%d for %d versions", ErrDamaged, v.Request.Batch, v.OplogFrom, v.OplogThrough, len(v.Request.Versions))
	}
	return v, nil
}

// DecodeReplyInfo reads and checks a reply's info frame.
func DecodeReplyInfo(b []byte) (ReplyInfo, error) {
	var v ReplyInfo
	if err := decodeStrict(b, "reply info", &v); err != nil {
		return ReplyInfo{}, err
	}
	if v.State.ID == 0 {
		return ReplyInfo{}, fmt.Errorf("%w: reply info names no device", ErrDamaged)
	}
	for _, id := range v.BlobsStored {
		if _, err := api.ParseBlobID(id); err != nil {
			return ReplyInfo{}, fmt.Errorf("%w: reply info: %v", ErrDamaged, err)
		}
	}
	for _, c := range v.Confirmed {
		if c.Batch == 0 || c.StoredAs == 0 || len(c.Digest) != 64 || c.OplogFrom > c.OplogThrough {
			return ReplyInfo{}, fmt.Errorf("%w: reply info confirms a malformed batch", ErrDamaged)
		}
	}
	return v, nil
}

// DecodeChanges reads and checks a page of changes.
func DecodeChanges(b []byte) (api.PullResponse, error) {
	p, err := api.DecodePullResponse(bytes.NewReader(b))
	if err != nil {
		return api.PullResponse{}, fmt.Errorf("%w: changes: %v", ErrDamaged, err)
	}
	return p, nil
}

func decodeBlobHead(b []byte) (BlobHead, error) {
	var v BlobHead
	if err := decodeStrict(b, "blob", &v); err != nil {
		return BlobHead{}, err
	}
	if _, err := api.ParseBlobID(v.ID); err != nil || v.Size < 1 || v.Size > api.MaxBlobSize {
		return BlobHead{}, fmt.Errorf("%w: blob %.70q of %d bytes", ErrDamaged, v.ID, v.Size)
	}
	return v, nil
}

func decodeEnd(b []byte) (End, error) {
	var v End
	if err := decodeStrict(b, "end", &v); err != nil {
		return End{}, err
	}
	if v.Batches < 0 || v.Pages < 0 || v.Blobs < 0 {
		return End{}, fmt.Errorf("%w: end has negative counts", ErrDamaged)
	}
	return v, nil
}

// sign signs the header JSON with key.
func sign(key crypto.Signer, header []byte) ([]byte, error) {
	msg := append([]byte(sigContext), header...)
	if _, ok := key.Public().(ed25519.PublicKey); ok {
		return key.Sign(rand.Reader, msg, crypto.Hash(0))
	}
	sum := sha256.Sum256(msg)
	return key.Sign(rand.Reader, sum[:], crypto.SHA256)
}

func verify(cert *x509.Certificate, header, sig []byte) error {
	msg := append([]byte(sigContext), header...)
	switch pub := cert.PublicKey.(type) {
	case ed25519.PublicKey:
		if ed25519.Verify(pub, msg, sig) {
			return nil
		}
	case *ecdsa.PublicKey:
		sum := sha256.Sum256(msg)
		if ecdsa.VerifyASN1(pub, sum[:], sig) {
			return nil
		}
	}
	return fmt.Errorf("%w: its signature does not verify (the header was altered)", ErrDamaged)
}

// hashCounter counts and hashes what is written through it.
type hashCounter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (c *hashCounter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	return n, err
}

// Writer writes one bundle. Call its frame methods in the body's order,
// then Close.
type Writer struct {
	out    io.Writer
	h      Header
	signer crypto.Signer
	hc     *hashCounter
	enc    io.WriteCloser
	buf    *bufio.Writer
	end    End
	err    error
}

// NewWriter starts a bundle on w: h names kind, org, sender, recipient
// and device (its ID, time, format and crypto fields are filled in),
// recipientPublic is the recipient's bundle key, cert and signer the
// sender's certificate and its key.
func NewWriter(w io.Writer, h Header, recipientPublic []byte, cert *x509.Certificate, signer crypto.Signer) (*Writer, error) {
	h.Format, h.Version = Format, Version
	if h.ID == "" {
		h.ID = NewID()
	}
	if h.Created.IsZero() {
		h.Created = time.Now()
	}
	h.Created = h.Created.UTC().Round(0)
	h.Certificate = cert.Raw
	if _, err := io.WriteString(w, magic); err != nil {
		return nil, fmt.Errorf("write bundle: %w", err)
	}
	if _, err := w.Write([]byte{Version}); err != nil {
		return nil, fmt.Errorf("write bundle: %w", err)
	}
	hc := &hashCounter{w: w, h: sha256.New()}
	wrapped, enc, err := fcrypto.SealBundleStream(recipientPublic, h.contextInfo(), hc)
	if err != nil {
		return nil, err
	}
	h.WrappedKey = wrapped
	return &Writer{out: w, h: h, signer: signer, hc: hc, enc: enc, buf: bufio.NewWriterSize(enc, 256<<10)}, nil
}

// Header returns the header as it will be written (without its digest
// until Close).
func (w *Writer) Header() Header { return w.h }

func (w *Writer) frame(typ byte, payload []byte) error {
	if w.err != nil {
		return w.err
	}
	if len(payload) > maxFrame(typ) {
		w.err = fmt.Errorf("bundle frame %c of %d bytes is over its limit %d", typ, len(payload), maxFrame(typ))
		return w.err
	}
	var hdr [5]byte
	hdr[0] = typ
	binary.BigEndian.PutUint32(hdr[1:], uint32(len(payload)))
	if _, err := w.buf.Write(hdr[:]); err != nil {
		w.err = fmt.Errorf("write bundle: %w", err)
		return w.err
	}
	if _, err := w.buf.Write(payload); err != nil {
		w.err = fmt.Errorf("write bundle: %w", err)
	}
	return w.err
}

func (w *Writer) json(typ byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return w.frame(typ, b)
}

// Info writes the info frame (ExportInfo or ReplyInfo): first, once.
func (w *Writer) Info(v any) error { return w.json(FrameInfo, v) }

// Batch writes one push batch (an export).
func (w *Writer) Batch(b Batch) error {
	w.end.Batches++
	return w.json(FrameBatch, b)
}

// Changes writes one page of changes (a reply).
func (w *Writer) Changes(p api.PullResponse) error {
	w.end.Pages++
	return w.json(FrameChanges, p)
}

// Blob writes one blob of size bytes read from r, in chunks.
func (w *Writer) Blob(id string, size int64, r io.Reader) error {
	if err := w.json(FrameBlob, BlobHead{ID: id, Size: size}); err != nil {
		return err
	}
	w.end.Blobs++
	buf := make([]byte, api.ChunkSize)
	for n := range api.ChunkCount(size) {
		c := buf[:api.ChunkLen(size, n)]
		if _, err := io.ReadFull(r, c); err != nil {
			w.err = fmt.Errorf("read blob %s for the bundle: %w", id, err)
			return w.err
		}
		if err := w.frame(FrameChunk, c); err != nil {
			return err
		}
	}
	return nil
}

// Close writes the end frame (through: a reply's last cursor), finishes
// the stream and writes the signed header. The bundle is complete only
// when Close returns nil.
func (w *Writer) Close(through uint64) error {
	w.end.Through = through
	if err := w.json(FrameEnd, w.end); err != nil {
		return err
	}
	if err := w.buf.Flush(); err != nil {
		return fmt.Errorf("write bundle: %w", err)
	}
	if err := w.enc.Close(); err != nil {
		return fmt.Errorf("write bundle: %w", err)
	}
	w.h.CiphertextSize = w.hc.n
	w.h.CiphertextSHA256 = hex.EncodeToString(w.hc.h.Sum(nil))
	hj, err := json.Marshal(w.h)
	if err != nil {
		return err
	}
	sig, err := sign(w.signer, hj)
	if err != nil {
		return fmt.Errorf("sign the bundle: %w", err)
	}
	foot := make([]byte, 0, len(hj)+len(sig)+footerSize)
	foot = append(append(foot, hj...), sig...)
	foot = binary.BigEndian.AppendUint32(foot, uint32(len(hj)))
	foot = binary.BigEndian.AppendUint32(foot, uint32(len(sig)))
	foot = append(foot, footMagic...)
	if _, err := w.out.Write(foot); err != nil {
		return fmt.Errorf("write bundle: %w", err)
	}
	return nil
}

// File is an opened bundle whose header signature verified against the
// certificate it names (VerifySender checks that certificate).
type File struct {
	Header Header
	Cert   *x509.Certificate
	r      io.ReaderAt
	body   int64 // offset of the ciphertext
}

// Open reads a bundle's header from r (size bytes) and verifies its
// signature against the certificate in it. It reads nothing of the body.
func Open(r io.ReaderAt, size int64) (*File, error) {
	head := make([]byte, len(magic)+1)
	if size < int64(len(head)) {
		return nil, fmt.Errorf("%w (the file is %d bytes)", ErrNotBundle, size)
	}
	if _, err := r.ReadAt(head, 0); err != nil {
		return nil, fmt.Errorf("read bundle: %w", err)
	}
	if string(head[:len(magic)]) != magic {
		return nil, fmt.Errorf("%w (it does not start like one)", ErrNotBundle)
	}
	if head[len(magic)] != Version {
		return nil, fmt.Errorf("%w: version %d; this program reads version %d (update Folio)", ErrDamaged, head[len(magic)], Version)
	}
	cut := fmt.Errorf("%w: the file is cut short or has bytes added at its end: copy it again from the sender", ErrDamaged)
	if size < int64(len(head)+footerSize) {
		return nil, cut
	}
	foot := make([]byte, footerSize)
	if _, err := r.ReadAt(foot, size-int64(footerSize)); err != nil {
		return nil, fmt.Errorf("read bundle: %w", err)
	}
	if string(foot[8:]) != footMagic {
		return nil, cut
	}
	hl, sl := int64(binary.BigEndian.Uint32(foot[0:4])), int64(binary.BigEndian.Uint32(foot[4:8]))
	if hl == 0 || hl > MaxHeader || sl == 0 || sl > MaxSignature || hl+sl+int64(footerSize+len(head)) > size {
		return nil, cut
	}
	tail := make([]byte, hl+sl)
	if _, err := r.ReadAt(tail, size-int64(footerSize)-hl-sl); err != nil {
		return nil, fmt.Errorf("read bundle: %w", err)
	}
	hj, sig := tail[:hl], tail[hl:]
	var h Header
	if err := decodeStrict(hj, "header", &h); err != nil {
		return nil, err
	}
	if err := h.validate(); err != nil {
		return nil, err
	}
	if want := size - int64(footerSize) - hl - sl - int64(len(head)); h.CiphertextSize != want {
		return nil, cut
	}
	cert, err := x509.ParseCertificate(h.Certificate)
	if err != nil {
		return nil, fmt.Errorf("%w: the sender's certificate: %v", ErrDamaged, err)
	}
	if err := verify(cert, hj, sig); err != nil {
		return nil, err
	}
	return &File{Header: h, Cert: cert, r: r, body: int64(len(head))}, nil
}

// VerifySender checks that the signing certificate chains to the
// organisation's CA for usage, was valid when the bundle was made, and
// names the sender (a device's CN; any name for the archive's server
// certificate).
func (f *File) VerifySender(ca *x509.Certificate, usage x509.ExtKeyUsage) error {
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	if _, err := f.Cert.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: f.Header.Created, KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
		return fmt.Errorf("%w: it is signed by %q, a certificate that is not this organisation's or was not valid on %s (%v)", ErrNotForUs, f.Cert.Subject.CommonName, f.Header.Created.Format(time.DateOnly), err)
	}
	if usage == x509.ExtKeyUsageClientAuth && f.Cert.Subject.CommonName != f.Header.From {
		return fmt.Errorf("%w: it says it is from %q but is signed by %q", ErrNotForUs, f.Header.From, f.Cert.Subject.CommonName)
	}
	return nil
}

func (f *File) section() *io.SectionReader {
	return io.NewSectionReader(f.r, f.body, f.Header.CiphertextSize)
}

// CheckDigest reads the whole ciphertext and compares it with the signed
// digest: after it, no byte of the file can have been changed.
func (f *File) CheckDigest() error {
	h := sha256.New()
	if _, err := io.Copy(h, f.section()); err != nil {
		return fmt.Errorf("read bundle: %w", err)
	}
	if hex.EncodeToString(h.Sum(nil)) != f.Header.CiphertextSHA256 {
		return fmt.Errorf("%w: its content does not match its signed digest (altered or badly copied): copy it again from the sender", ErrDamaged)
	}
	return nil
}

// Body decrypts the body with the recipient's private bundle key (sealed
// under wrap, or clear when wrap is nil).
func (f *File) Body(private []byte, wrap app.AEAD) (*Body, error) {
	r, err := fcrypto.OpenBundleStream(private, wrap, f.Header.WrappedKey, f.Header.contextInfo(), f.section())
	if err != nil {
		if errors.Is(err, app.ErrTampered) {
			return nil, fmt.Errorf("%w: it was not encrypted for this recipient's key (%v)", ErrNotForUs, err)
		}
		return nil, err
	}
	return newBody(r, f.Header.Kind), nil
}

// Item is one element of a body: a JSON frame (Info, Batch, Changes) or
// a blob (Blob set; read its bytes from Data before the next Next).
type Item struct {
	Type byte
	JSON []byte
	Blob *BlobHead
	// Data yields the blob's bytes, each chunk checked for its length and
	// the whole for its SHA-256; it returns io.EOF only after the last
	// chunk matched.
	Data io.Reader
}

// Body reads a decrypted body frame by frame, in its grammar.
type Body struct {
	r      *bufio.Reader
	kind   string
	n      int // items read
	blob   *blobReader
	seenB  bool
	counts End
	done   bool
	End    End
}

func newBody(r io.Reader, kind string) *Body {
	return &Body{r: bufio.NewReaderSize(r, 64<<10), kind: kind}
}

func (b *Body) readFrame() (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(b.r, hdr[:]); err != nil {
		if errors.Is(err, app.ErrTampered) {
			return 0, nil, fmt.Errorf("%w: %v", ErrDamaged, err)
		}
		return 0, nil, fmt.Errorf("%w: the body stops before its end (%v)", ErrDamaged, err)
	}
	typ, n := hdr[0], int64(binary.BigEndian.Uint32(hdr[1:]))
	limit := maxFrame(typ)
	if limit < 0 {
		return 0, nil, fmt.Errorf("%w: unknown frame type %d", ErrDamaged, typ)
	}
	if n > int64(limit) {
		return 0, nil, fmt.Errorf("%w: a frame of %d bytes is over its limit %d", ErrDamaged, n, limit)
	}
	// Grow as bytes arrive: a forged length cannot make us allocate.
	var buf bytes.Buffer
	if _, err := io.CopyN(&buf, b.r, n); err != nil {
		if errors.Is(err, app.ErrTampered) {
			return 0, nil, fmt.Errorf("%w: %v", ErrDamaged, err)
		}
		return 0, nil, fmt.Errorf("%w: the body stops inside a frame (%v)", ErrDamaged, err)
	}
	return typ, buf.Bytes(), nil
}

// Next returns the next item, or io.EOF after the end frame (whose counts
// are in End).
func (b *Body) Next() (Item, error) {
	if b.done {
		return Item{}, io.EOF
	}
	if b.blob != nil {
		// Skip what the caller left unread of the last blob.
		if _, err := io.Copy(io.Discard, b.blob); err != nil {
			return Item{}, err
		}
		b.blob = nil
	}
	typ, p, err := b.readFrame()
	if err != nil {
		return Item{}, err
	}
	first := b.n == 0
	b.n++
	if first != (typ == FrameInfo) {
		return Item{}, fmt.Errorf("%w: the info frame is not first and only once", ErrDamaged)
	}
	switch typ {
	case FrameInfo:
		return Item{Type: typ, JSON: p}, nil
	case FrameBatch, FrameChanges:
		if (typ == FrameBatch) != (b.kind == KindExport) || b.seenB {
			return Item{}, fmt.Errorf("%w: frame %c out of place in a %s", ErrDamaged, typ, b.kind)
		}
		if typ == FrameBatch {
			b.counts.Batches++
		} else {
			b.counts.Pages++
		}
		return Item{Type: typ, JSON: p}, nil
	case FrameBlob:
		h, err := decodeBlobHead(p)
		if err != nil {
			return Item{}, err
		}
		b.seenB = true
		b.counts.Blobs++
		b.blob = &blobReader{b: b, head: h, h: sha256.New()}
		return Item{Type: typ, Blob: &h, Data: b.blob}, nil
	case FrameEnd:
		end, err := decodeEnd(p)
		if err != nil {
			return Item{}, err
		}
		if end.Batches != b.counts.Batches || end.Pages != b.counts.Pages || end.Blobs != b.counts.Blobs {
			return Item{}, fmt.Errorf("%w: its end counts %+v items, the body holds %+v", ErrDamaged, end, b.counts)
		}
		// Nothing may follow, and the stream must authenticate its end.
		var one [1]byte
		if n, err := io.ReadFull(b.r, one[:]); n != 0 || !errors.Is(err, io.EOF) {
			return Item{}, fmt.Errorf("%w: data after the end of the body", ErrDamaged)
		}
		b.done, b.End = true, end
		return Item{}, io.EOF
	}
	return Item{}, fmt.Errorf("%w: frame %c out of place", ErrDamaged, typ)
}

// blobReader yields one blob's chunks.
type blobReader struct {
	b    *Body
	head BlobHead
	next int    // the next chunk number
	cur  []byte // unread part of the current chunk
	h    hash.Hash
	err  error
}

func (r *blobReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	for len(r.cur) == 0 {
		if r.next == api.ChunkCount(r.head.Size) {
			if hex.EncodeToString(r.h.Sum(nil)) != r.head.ID {
				r.err = fmt.Errorf("%w: blob %s does not match its SHA-256", ErrDamaged, r.head.ID)
			} else {
				r.err = io.EOF
			}
			return 0, r.err
		}
		typ, c, err := r.b.readFrame()
		if err != nil {
			r.err = err
			return 0, err
		}
		if typ != FrameChunk || len(c) != api.ChunkLen(r.head.Size, r.next) {
			r.err = fmt.Errorf("%w: chunk %d of blob %s is missing or has the wrong length", ErrDamaged, r.next, r.head.ID)
			return 0, r.err
		}
		r.h.Write(c)
		r.cur = c
		r.next++
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}
