package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"folio/endorse"
)

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fuzzDecoder checks that decode never panics, refuses with ErrInvalid or
// ErrTooLarge, and that what it accepts encodes and decodes back to the
// same bytes.
func fuzzDecoder[T any](f *testing.F, decode func([]byte) (T, error), seeds ...any) {
	for _, s := range seeds {
		f.Add(mustJSON(f, s))
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"x":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := decode(b)
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("error %v wraps neither ErrInvalid nor ErrTooLarge", err)
			}
			return
		}
		enc := mustJSON(t, v)
		v2, err := decode(enc)
		if err != nil {
			t.Fatalf("re-decode of %s: %v", enc, err)
		}
		if enc2 := mustJSON(t, v2); !bytes.Equal(enc, enc2) {
			t.Fatalf("round trip differs:\n%s\n%s", enc, enc2)
		}
	})
}

func reader[T any](dec func(r *bytes.Reader) (T, error)) func([]byte) (T, error) {
	return func(b []byte) (T, error) { return dec(bytes.NewReader(b)) }
}

var (
	devA    = DeviceID(0xa1b2c3d4e5f60718)
	sampleV = RecordVersion{Kind: "patient", ID: "p-1", Version: Version{HLC: 2 << 16, Device: devA}, Parent: Version{HLC: 1 << 16, Device: devA}, Ciphertext: []byte{1, 2, 3}}
	sampleT = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	// sampleU is a user version with its endorsement.
	sampleU = RecordVersion{Kind: "user", ID: "clerk", Version: Version{HLC: 3 << 16, Device: devA}, Ciphertext: []byte{4, 5},
		Endorsement: &endorse.Endorsement{Signer: "admin", Cert: &endorse.UserCert{Name: "clerk", Key: make([]byte, 32)},
			Content: make([]byte, 32), Signature: make([]byte, 64)}}
)

func FuzzDecodePushRequest(f *testing.F) {
	h := AuditChainHash(nil, 1, []byte("e1"))
	fuzzDecoder(f, reader(func(r *bytes.Reader) (PushRequest, error) { return DecodePushRequest(r) }),
		PushRequest{Device: devA, Batch: 1, Versions: []RecordVersion{sampleV, sampleU}, Audit: []AuditEntry{{Seq: 1, Sealed: []byte("e1"), Hash: h}}})
}

func FuzzDecodePushResponse(f *testing.F) {
	fuzzDecoder(f, reader(func(r *bytes.Reader) (PushResponse, error) { return DecodePushResponse(r) }),
		PushResponse{Batch: 3, Results: []PushResult{{Seq: 1}, {Seq: 7, Duplicate: true}}, AuditThrough: 4, Replayed: true})
}

func FuzzDecodePullResponse(f *testing.F) {
	fuzzDecoder(f, reader(func(r *bytes.Reader) (PullResponse, error) { return DecodePullResponse(r) }),
		PullResponse{Changes: []Change{{Seq: 5, Pusher: devA, RecordVersion: sampleV}, {Seq: 6, Pusher: devA, RecordVersion: sampleU}}, Next: 6, More: true, Head: 9},
		PullResponse{Changes: []Change{}, Next: 9, Head: 9})
}

func FuzzDecodeBlobStatus(f *testing.F) {
	id := BlobID([]byte("x"))
	fuzzDecoder(f, reader(func(r *bytes.Reader) (BlobStatus, error) { return DecodeBlobStatus(r) }),
		BlobStatus{ID: id, Size: 3*ChunkSize + 1, ChunkSize: ChunkSize, Chunks: 4, Have: []int{0, 2}},
		BlobStatus{ID: id, Size: 10, ChunkSize: ChunkSize, Chunks: 1, Complete: true})
}

func FuzzDecodeDeviceInfo(f *testing.F) {
	fuzzDecoder(f, reader(func(r *bytes.Reader) (DeviceInfo, error) { return DecodeDeviceInfo(r) }),
		DeviceInfo{ID: devA, FirstSeen: sampleT, LastSeen: sampleT.Add(time.Hour), LastBatch: 3, Versions: 10, Cursor: 4, Backlog: 2})
}

func FuzzDecodeMetrics(f *testing.F) {
	fuzzDecoder(f, reader(func(r *bytes.Reader) (Metrics, error) { return DecodeMetrics(r) }),
		Metrics{Head: 9, Devices: []DeviceInfo{{ID: devA, LastSeen: sampleT}}, RecordBytes: 100, Blobs: 1, BlobBytes: 5, Uploads: 1})
}

func FuzzDecodeHealth(f *testing.F) {
	fuzzDecoder(f, reader(func(r *bytes.Reader) (Health, error) { return DecodeHealth(r) }), Health{Status: "ok", Time: sampleT})
}

func FuzzDecodeError(f *testing.F) {
	f.Add(400, mustJSON(f, ErrorBody{Code: CodeInvalid, Message: "bad"}))
	f.Add(500, []byte("<html>"))
	f.Fuzz(func(t *testing.T, status int, b []byte) {
		e := DecodeError(status, bytes.NewReader(b))
		if e == nil || e.Code == "" || e.Message == "" || e.Unwrap() == nil {
			t.Fatalf("DecodeError gave %+v", e)
		}
	})
}

// FuzzParsers covers the decoders of path segments and headers.
func FuzzParsers(f *testing.F) {
	f.Add("a1b2c3d4e5f60718", BlobID(nil), "1048577", "1")
	f.Add("", "", "", "")
	f.Add("0000000000000000", strings.Repeat("A", 64), "-1", "01")
	f.Fuzz(func(t *testing.T, dev, id, size, n string) {
		if d, err := ParseDeviceID(dev); err == nil {
			if d2, err := ParseDeviceID(d.String()); err != nil || d2 != d {
				t.Fatalf("device id %q round trip: %v", dev, err)
			}
		} else if !errors.Is(err, ErrInvalid) {
			t.Fatal(err)
		}
		if got, err := ParseBlobID(id); err == nil && (got != id || len(id) != 64) {
			t.Fatalf("blob id %q accepted as %q", id, got)
		}
		sz, err := ParseBlobSize(size)
		if err != nil {
			return
		}
		if sz < 1 || sz > MaxBlobSize {
			t.Fatalf("size %q accepted as %d", size, sz)
		}
		if c, err := ParseChunkIndex(n, sz); err == nil && (c < 0 || c >= ChunkCount(sz) || ChunkLen(sz, c) < 1 || ChunkLen(sz, c) > ChunkSize) {
			t.Fatalf("chunk %q of %d accepted as %d", n, sz, c)
		}
	})
}

func TestLimitsCheckedBeforeReading(t *testing.T) {
	big := bytes.NewReader(append([]byte(`{"device":"`), bytes.Repeat([]byte("a"), MaxPushBody+10)...))
	if _, err := DecodePushRequest(big); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized push: %v, want ErrTooLarge", err)
	}
	if rest := big.Len(); rest < 8 {
		t.Fatalf("decoder read past the limit (%d bytes left)", rest)
	}
}

func TestValidate(t *testing.T) {
	ok := PushRequest{Device: devA, Batch: 1, Versions: []RecordVersion{sampleV}}
	mod := func(f func(*PushRequest)) PushRequest {
		p := ok
		p.Versions = []RecordVersion{sampleV}
		f(&p)
		return p
	}
	cases := []struct {
		name string
		req  PushRequest
		want error
	}{
		{"ok", ok, nil},
		{"no device", mod(func(p *PushRequest) { p.Device = 0 }), ErrInvalid},
		{"kind with control char", mod(func(p *PushRequest) { p.Versions[0].Kind = "pa\ntient" }), ErrInvalid},
		{"id too long", mod(func(p *PushRequest) { p.Versions[0].ID = strings.Repeat("x", MaxIDLen+1) }), ErrInvalid},
		{"half-zero parent", mod(func(p *PushRequest) { p.Versions[0].Parent.Device = 0 }), ErrInvalid},
		{"no version", mod(func(p *PushRequest) { p.Versions[0].Version.HLC = 0 }), ErrInvalid},
		{"ciphertext too big", mod(func(p *PushRequest) { p.Versions[0].Ciphertext = make([]byte, MaxCiphertext+1) }), ErrInvalid},
		{"twice", mod(func(p *PushRequest) { p.Versions = append(p.Versions, sampleV) }), ErrInvalid},
		{"too many", mod(func(p *PushRequest) { p.Versions = make([]RecordVersion, MaxBatchVersions+1) }), ErrTooLarge},
		{"audit gap", mod(func(p *PushRequest) {
			p.Audit = []AuditEntry{{Seq: 1, Sealed: []byte("a"), Hash: make([]byte, 32)}, {Seq: 3, Sealed: []byte("b"), Hash: make([]byte, 32)}}
		}), ErrInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.req.Validate()
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("Validate: %v, want %v", err, tc.want)
			}
		})
	}
}

func TestChunks(t *testing.T) {
	cases := []struct {
		size         int64
		chunks, last int
	}{
		{1, 1, 1}, {ChunkSize, 1, ChunkSize}, {ChunkSize + 1, 2, 1}, {3 * ChunkSize, 3, ChunkSize},
	}
	for _, tc := range cases {
		if n := ChunkCount(tc.size); n != tc.chunks || ChunkLen(tc.size, n-1) != tc.last || ChunkLen(tc.size, n) != 0 {
			t.Errorf("size %d: %d chunks, last %d", tc.size, n, ChunkLen(tc.size, n-1))
		}
	}
}

func TestErrorCodes(t *testing.T) {
	for _, c := range codes {
		code, status := CodeOf(errors.Join(errors.New("x"), c.err))
		if code != c.code || status != c.status {
			t.Errorf("%v → %s %d", c.err, code, status)
		}
		e := DecodeError(status, bytes.NewReader(mustJSON(t, ErrorBody{Code: code, Message: "m"})))
		if !errors.Is(e, c.err) {
			t.Errorf("code %s does not unwrap to %v", code, c.err)
		}
	}
}

func FuzzDecodeAuditPage(f *testing.F) {
	h1 := AuditChainHash(nil, 1, []byte("e1"))
	h2 := AuditChainHash(h1, 2, []byte("e2"))
	fuzzDecoder(f, reader(func(r *bytes.Reader) (AuditPage, error) { return DecodeAuditPage(r) }),
		AuditPage{Entries: []AuditEntry{{Seq: 1, Sealed: []byte("e1"), Hash: h1}, {Seq: 2, Sealed: []byte("e2"), Hash: h2}}, Through: 5, More: true},
		AuditPage{Entries: []AuditEntry{}, Through: 0},
		AuditPage{Entries: []AuditEntry{{Seq: 3, Sealed: []byte("e3"), Hash: h2}}, Through: 2})
}

// An endorsement travels only on users and key slots, and only well formed.
func TestRecordVersionEndorsement(t *testing.T) {
	if err := sampleU.Validate(); err != nil {
		t.Fatalf("a well-formed endorsement: %v", err)
	}
	onPatient := sampleV
	onPatient.Endorsement = sampleU.Endorsement
	short := sampleU
	short.Endorsement = &endorse.Endorsement{Signer: "admin", Content: make([]byte, 31), Signature: make([]byte, 64)}
	control := sampleU
	control.Endorsement = &endorse.Endorsement{Signer: "ad\nmin", Content: make([]byte, 32), Signature: make([]byte, 64)}
	badCert := sampleU
	badCert.Endorsement = &endorse.Endorsement{Signer: "admin", Cert: &endorse.UserCert{Name: "clerk", Key: []byte{1}}, Content: make([]byte, 32), Signature: make([]byte, 64)}
	for name, v := range map[string]RecordVersion{"on a patient": onPatient, "short hash": short, "control character": control, "short key": badCert} {
		if err := v.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
