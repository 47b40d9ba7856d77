package storage

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"folio/app"
)

// This file holds the on-disk layout: bucket names, key and value encodings
// and their decoders. doc.go describes the same layout in prose; keep the two
// in step. Every decoder takes untrusted bytes (the file may be damaged or
// edited) and returns an error, never panics; fuzz_test.go holds it to that.

// Bucket names.
var (
	bucketMeta        = []byte("meta")
	bucketVersions    = []byte("versions")
	bucketHeads       = []byte("heads")
	bucketIndex       = []byte("index")
	bucketTokens      = []byte("tokens")
	bucketOplog       = []byte("oplog")
	bucketAudit       = []byte("audit")
	bucketCheckpoints = []byte("checkpoints")
)

// allBuckets is every top-level bucket of schema 1.
var allBuckets = [][]byte{
	bucketMeta, bucketVersions, bucketHeads, bucketIndex,
	bucketTokens, bucketOplog, bucketAudit, bucketCheckpoints,
}

// schemaVersion is the layout this package writes and reads.
const schemaVersion = 1

// Meta keys the store keeps for itself. The prefix is reserved: MetaStore
// callers may read these keys but not write or delete them.
const (
	metaReserved = "storage/"
	metaSchema   = "storage/schema" // uint64 BE
	metaDevice   = "storage/device" // uint64 BE, never zero
	metaHLC      = "storage/hlc"    // uint64 BE, last HLC given to a version
	// metaKeyedHead is the audit chain's keyed head (encodeKeyedHead).
	metaKeyedHead = "storage/audit-head"
	// metaScrubPending is set by a commit that removed a secret and
	// cleared by the scrub that rewrites the file (compact.go).
	metaScrubPending = "storage/scrub-pending"
)

// Limits on what the store accepts. They keep every key far below bbolt's
// 32 KiB key limit and bound what a damaged file can make a reader allocate.
const (
	maxKindLen     = 64
	maxIDLen       = 512
	maxTokenLen    = 1024
	maxTokens      = 4096     // per record version
	maxDataLen     = 64 << 20 // plaintext payload of one version
	maxSealedLen   = 1 << 20  // one sealed audit event
	maxMetaKeyLen  = 1024
	maxMetaLen     = 16 << 20 // one meta value
	maxRecordKey   = maxKindLen + 1 + maxIDLen
	maxKeyLen      = 2 + maxTokenLen + maxRecordKey + 1 + versionLen // longest key of any bucket
	maxCiphertext  = maxDataLen + 64<<10
	versionLen     = 16 // HLC (8 BE) ‖ device (8 BE)
	hashLen        = sha256.Size
	headerLen      = 1 + versionLen // format byte ‖ parent version
	versionFormat1 = 1
	versionFormat2 = 2 // with an endorsement
	// maxEndorsement bounds the endorsement kept with a version (the JSON
	// of an endorse.Endorsement is well under 1 KiB).
	maxEndorsement = 8 << 10
)

// errDecode marks bytes that do not parse. Callers wrap it with ErrCorrupt
// and the place it was found.
var errDecode = errors.New("malformed stored value")

func decodeErr(what string, b []byte) error {
	const show = 48
	if len(b) > show {
		return fmt.Errorf("%w: %s %x… (%d bytes)", errDecode, what, b[:show], len(b))
	}
	return fmt.Errorf("%w: %s %x", errDecode, what, b)
}

// checkName validates a kind or record id: not empty, no NUL, not too long.
func checkName(what, s string, max int) error {
	switch {
	case s == "":
		return app.Invalidf("empty record %s", what)
	case len(s) > max:
		return app.Invalidf("record %s longer than %d bytes", what, max)
	case bytes.IndexByte([]byte(s), 0) >= 0:
		return app.Invalidf("record %s %q contains a NUL byte", what, s)
	}
	return nil
}

func checkRecord(kind app.Kind, id string) error {
	if err := checkName("kind", string(kind), maxKindLen); err != nil {
		return err
	}
	return checkName("id", id, maxIDLen)
}

func checkToken(t []byte) error {
	if len(t) == 0 || len(t) > maxTokenLen {
		return app.Invalidf("index token of %d bytes (want 1 to %d)", len(t), maxTokenLen)
	}
	return nil
}

// --- versions and record keys ---

func appendVersion(dst []byte, v app.Version) []byte {
	dst = binary.BigEndian.AppendUint64(dst, v.HLC)
	return binary.BigEndian.AppendUint64(dst, uint64(v.Device))
}

func encodeVersion(v app.Version) []byte { return appendVersion(make([]byte, 0, versionLen), v) }

func decodeVersion(b []byte) (app.Version, error) {
	if len(b) != versionLen {
		return app.Version{}, decodeErr("version", b)
	}
	return app.Version{HLC: binary.BigEndian.Uint64(b), Device: app.DeviceID(binary.BigEndian.Uint64(b[8:]))}, nil
}

// recordKey is kind ‖ 0 ‖ id: the key of heads and tokens.
func recordKey(kind app.Kind, id string) []byte {
	k := make([]byte, 0, len(kind)+1+len(id))
	k = append(k, kind...)
	k = append(k, 0)
	return append(k, id...)
}

// decodeRecordKey splits kind ‖ 0 ‖ id.
func decodeRecordKey(k []byte) (app.Kind, string, error) {
	if len(k) > maxRecordKey {
		return "", "", decodeErr("record key", k)
	}
	i := bytes.IndexByte(k, 0)
	if i < 0 {
		return "", "", decodeErr("record key", k)
	}
	kind, id := app.Kind(k[:i]), string(k[i+1:])
	if checkRecord(kind, id) != nil {
		return "", "", decodeErr("record key", k)
	}
	return kind, id, nil
}

// kindPrefix is kind ‖ 0: every heads/tokens key of one kind starts with it.
func kindPrefix(kind app.Kind) []byte { return append([]byte(kind), 0) }

// versionPrefix is kind ‖ 0 ‖ id ‖ 0: every version key of one record starts
// with it, and no other record's (an id holds no NUL).
func versionPrefix(kind app.Kind, id string) []byte { return append(recordKey(kind, id), 0) }

// versionKey is kind ‖ 0 ‖ id ‖ 0 ‖ HLC (8 BE) ‖ device (8 BE), so a record's
// versions sort oldest first, in app.Version.Less order.
func versionKey(kind app.Kind, id string, v app.Version) []byte {
	return appendVersion(versionPrefix(kind, id), v)
}

func decodeVersionKey(k []byte) (app.Kind, string, app.Version, error) {
	if len(k) < versionLen+3 || k[len(k)-versionLen-1] != 0 {
		return "", "", app.Version{}, decodeErr("version key", k)
	}
	rk := k[:len(k)-versionLen-1]
	kind, id, err := decodeRecordKey(rk)
	if err != nil {
		return "", "", app.Version{}, decodeErr("version key", k)
	}
	v, _ := decodeVersion(k[len(k)-versionLen:])
	return kind, id, v, nil
}

// --- version values ---

// encodeVersionValue is format 1 ‖ parent version ‖ ciphertext, or, for a
// version that carries an endorsement, format 2 ‖ parent version ‖
// uvarint(len) ‖ endorsement ‖ ciphertext.
func encodeVersionValue(parent app.Version, endorsement, ciphertext []byte) []byte {
	b := make([]byte, 0, headerLen+binary.MaxVarintLen64+len(endorsement)+len(ciphertext))
	if len(endorsement) == 0 {
		b = append(b, versionFormat1)
		b = appendVersion(b, parent)
		return append(b, ciphertext...)
	}
	b = append(b, versionFormat2)
	b = appendVersion(b, parent)
	b = binary.AppendUvarint(b, uint64(len(endorsement)))
	b = append(b, endorsement...)
	return append(b, ciphertext...)
}

// decodeVersionValue returns the parent, the endorsement (nil without one)
// and the ciphertext; both slices alias val.
func decodeVersionValue(val []byte) (parent app.Version, endorsement, ct []byte, err error) {
	if len(val) < headerLen+1 || len(val) > headerLen+binary.MaxVarintLen64+maxEndorsement+maxCiphertext {
		return app.Version{}, nil, nil, decodeErr("version header", val)
	}
	parent, _ = decodeVersion(val[1:headerLen])
	rest := val[headerLen:]
	switch val[0] {
	case versionFormat1:
	case versionFormat2:
		n, w := binary.Uvarint(rest)
		// A zero length is written as format 1; a longer varint than
		// needed is not canonical.
		if w <= 0 || n == 0 || n > maxEndorsement || w != len(binary.AppendUvarint(nil, n)) || uint64(len(rest)-w) <= n {
			return app.Version{}, nil, nil, decodeErr("version endorsement", val)
		}
		endorsement, rest = rest[w:w+int(n)], rest[w+int(n):]
	default:
		return app.Version{}, nil, nil, decodeErr("version header", val)
	}
	if len(rest) > maxCiphertext {
		return app.Version{}, nil, nil, decodeErr("version header", val)
	}
	return parent, endorsement, rest, nil
}

// associatedData binds a ciphertext to its place: the record's kind and id,
// its version and its parent. A ciphertext copied anywhere else, or given
// another parent, fails to decrypt.
func associatedData(kind app.Kind, id string, v, parent app.Version) []byte {
	const label = "folio/v1\x00"
	ad := make([]byte, 0, len(label)+len(kind)+len(id)+2+2*versionLen)
	ad = append(ad, label...)
	ad = append(ad, kind...)
	ad = append(ad, 0)
	ad = append(ad, id...)
	ad = append(ad, 0)
	ad = appendVersion(ad, v)
	return appendVersion(ad, parent)
}

// --- token sets and index keys ---

// canonicalTokens returns a sorted copy of toks without duplicates.
func canonicalTokens(toks [][]byte) ([][]byte, error) {
	if len(toks) > maxTokens {
		return nil, app.Invalidf("%d index tokens for one record (at most %d)", len(toks), maxTokens)
	}
	out := make([][]byte, 0, len(toks))
	for _, t := range toks {
		if err := checkToken(t); err != nil {
			return nil, err
		}
		out = append(out, bytes.Clone(t))
	}
	slices.SortFunc(out, bytes.Compare)
	return slices.CompactFunc(out, bytes.Equal), nil
}

// encodeTokenSet is version ‖ (len (2 BE) ‖ token)*, tokens strictly
// increasing. The version is the record version the set belongs to.
func encodeTokenSet(v app.Version, toks [][]byte) []byte {
	n := versionLen
	for _, t := range toks {
		n += 2 + len(t)
	}
	b := appendVersion(make([]byte, 0, n), v)
	for _, t := range toks {
		b = binary.BigEndian.AppendUint16(b, uint16(len(t)))
		b = append(b, t...)
	}
	return b
}

// decodeTokenSet returns the tokens as copies.
func decodeTokenSet(b []byte) (app.Version, [][]byte, error) {
	if len(b) < versionLen {
		return app.Version{}, nil, decodeErr("token set", b)
	}
	v, _ := decodeVersion(b[:versionLen])
	rest := b[versionLen:]
	var toks [][]byte
	for len(rest) > 0 {
		if len(rest) < 2 || len(toks) == maxTokens {
			return app.Version{}, nil, decodeErr("token set", b)
		}
		n := int(binary.BigEndian.Uint16(rest))
		rest = rest[2:]
		if n == 0 || n > maxTokenLen || n > len(rest) {
			return app.Version{}, nil, decodeErr("token set", b)
		}
		t := rest[:n]
		if len(toks) > 0 && bytes.Compare(toks[len(toks)-1], t) >= 0 {
			return app.Version{}, nil, decodeErr("token set (not sorted)", b)
		}
		toks = append(toks, bytes.Clone(t))
		rest = rest[n:]
	}
	return v, toks, nil
}

// indexPrefix is len(token) (2 BE) ‖ token: the length prefix keeps a token
// that is a prefix of another from matching the other's entries.
func indexPrefix(token []byte) []byte {
	p := binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(token)), uint16(len(token)))
	return append(p, token...)
}

// indexKey is indexPrefix(token) ‖ kind ‖ 0 ‖ id; its value is empty.
func indexKey(token []byte, kind app.Kind, id string) []byte {
	return append(indexPrefix(token), recordKey(kind, id)...)
}

func decodeIndexKey(k []byte) ([]byte, app.Kind, string, error) {
	if len(k) < 2 {
		return nil, "", "", decodeErr("index key", k)
	}
	n := int(binary.BigEndian.Uint16(k))
	if n == 0 || n > maxTokenLen || 2+n > len(k) {
		return nil, "", "", decodeErr("index key", k)
	}
	kind, id, err := decodeRecordKey(k[2+n:])
	if err != nil {
		return nil, "", "", decodeErr("index key", k)
	}
	return bytes.Clone(k[2 : 2+n]), kind, id, nil
}

// --- sequences: oplog, audit, checkpoints ---

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(make([]byte, 0, 8), seq) }

func decodeSeq(k []byte) (uint64, error) {
	if len(k) != 8 {
		return 0, decodeErr("sequence key", k)
	}
	return binary.BigEndian.Uint64(k), nil
}

// encodeOp is the oplog value: version ‖ kind ‖ 0 ‖ id.
func encodeOp(kind app.Kind, id string, v app.Version) []byte {
	return append(encodeVersion(v), recordKey(kind, id)...)
}

func decodeOp(b []byte) (app.Kind, string, app.Version, error) {
	if len(b) < versionLen {
		return "", "", app.Version{}, decodeErr("oplog entry", b)
	}
	v, _ := decodeVersion(b[:versionLen])
	kind, id, err := decodeRecordKey(b[versionLen:])
	if err != nil {
		return "", "", app.Version{}, decodeErr("oplog entry", b)
	}
	return kind, id, v, nil
}

// encodeAuditValue is hash (32) ‖ sealed event.
func encodeAuditValue(hash, sealed []byte) []byte {
	return append(append(make([]byte, 0, hashLen+len(sealed)), hash...), sealed...)
}

// decodeAuditValue returns copies of the hash and the sealed event.
func decodeAuditValue(b []byte) (hash, sealed []byte, err error) {
	if len(b) < hashLen+1 || len(b) > hashLen+maxSealedLen {
		return nil, nil, decodeErr("audit entry", b)
	}
	return bytes.Clone(b[:hashLen]), bytes.Clone(b[hashLen:]), nil
}

// decodeAuditEntry decodes the audit bucket's key k and value v (copies);
// an error in v names the entry's seq.
func decodeAuditEntry(k, v []byte) (app.AuditEntry, error) {
	seq, err := decodeSeq(k)
	if err != nil {
		return app.AuditEntry{}, err
	}
	hash, sealed, err := decodeAuditValue(v)
	if err != nil {
		return app.AuditEntry{}, fmt.Errorf("audit entry %d: %w", seq, err)
	}
	return app.AuditEntry{Seq: seq, Sealed: sealed, Hash: hash}, nil
}

// encodeCheckpoint is hash (32) ‖ signature.
func encodeCheckpoint(hash, sig []byte) []byte {
	return append(append(make([]byte, 0, hashLen+len(sig)), hash...), sig...)
}

// decodeCheckpoint returns copies of the hash and the signature.
func decodeCheckpoint(b []byte) (hash, sig []byte, err error) {
	if len(b) < hashLen+1 || len(b) > hashLen+maxSealedLen {
		return nil, nil, decodeErr("audit checkpoint", b)
	}
	return bytes.Clone(b[:hashLen]), bytes.Clone(b[hashLen:]), nil
}

// keyedHeadFormat1 starts an encoded keyed head.
const keyedHeadFormat1 = 1

// encodeKeyedHead is 0x01 ‖ seq (8) ‖ checkpoints (8) ‖ keyed-from (8) ‖
// hash (32) ‖ signature. The device is the file's own.
func encodeKeyedHead(h app.KeyedHead) []byte {
	b := []byte{keyedHeadFormat1}
	for _, n := range []uint64{h.Seq, h.Checkpoints, h.KeyedFrom} {
		b = binary.BigEndian.AppendUint64(b, n)
	}
	return append(append(b, h.Hash...), h.Signature...)
}

// decodeKeyedHead reads a keyed head stored in the file of device dev; nil
// bytes are no head (ok false).
func decodeKeyedHead(b []byte, dev app.DeviceID) (h app.KeyedHead, ok bool, err error) {
	const fixed = 1 + 3*8 + hashLen
	if b == nil {
		return h, false, nil
	}
	if len(b) <= fixed || len(b) > fixed+maxSealedLen || b[0] != keyedHeadFormat1 {
		return h, false, decodeErr("keyed audit head", b)
	}
	h = app.KeyedHead{
		Device:      dev,
		Seq:         binary.BigEndian.Uint64(b[1:]),
		Checkpoints: binary.BigEndian.Uint64(b[9:]),
		KeyedFrom:   binary.BigEndian.Uint64(b[17:]),
		Hash:        bytes.Clone(b[25:fixed]),
		Signature:   bytes.Clone(b[fixed:]),
	}
	if h.Seq == 0 || h.KeyedFrom > h.Seq {
		return app.KeyedHead{}, false, decodeErr("keyed audit head", b)
	}
	return h, true, nil
}

// chainHash links one audit entry to the previous one:
// SHA-256(prev ‖ seq (8 BE) ‖ sealed), prev being 32 zero bytes for seq 1.
func chainHash(prev []byte, seq uint64, sealed []byte) []byte {
	h := sha256.New()
	if prev == nil {
		prev = make([]byte, hashLen)
	}
	h.Write(prev)
	h.Write(seqKey(seq))
	h.Write(sealed)
	return h.Sum(nil)
}

func encodeUint64(n uint64) []byte { return seqKey(n) }

func decodeUint64(b []byte) (uint64, error) {
	if len(b) != 8 {
		return 0, decodeErr("number", b)
	}
	return binary.BigEndian.Uint64(b), nil
}
