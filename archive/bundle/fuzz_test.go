package bundle

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"folio/archive/api"
)

// frames encodes a body from (type, payload) pairs.
func frames(parts ...any) []byte {
	var b bytes.Buffer
	for i := 0; i < len(parts); i += 2 {
		typ := parts[i].(byte)
		var p []byte
		switch v := parts[i+1].(type) {
		case []byte:
			p = v
		default:
			p, _ = json.Marshal(v)
		}
		b.WriteByte(typ)
		binary.Write(&b, binary.BigEndian, uint32(len(p)))
		b.Write(p)
	}
	return b.Bytes()
}

// FuzzBody holds the body decoder to its contract: it never panics, it
// refuses with ErrDamaged, and a blob's bytes come out only whole and
// matching their id.
func FuzzBody(f *testing.F) {
	blob := []byte("sealed bytes of a scan")
	id := api.BlobID(blob)
	f.Add([]byte(KindExport), frames(byte(FrameInfo), ExportInfo{ReplyKey: []byte{1}}, byte(FrameBlob), BlobHead{ID: id, Size: int64(len(blob))}, byte(FrameChunk), blob, byte(FrameEnd), End{Blobs: 1}))
	f.Add([]byte(KindReply), frames(byte(FrameInfo), ReplyInfo{State: api.DeviceInfo{ID: 1}}, byte(FrameChanges), api.PullResponse{Changes: []api.Change{}}, byte(FrameEnd), End{Pages: 1}))
	f.Add([]byte(KindExport), frames(byte(FrameInfo), []byte(`{}`), byte(FrameEnd), []byte(`{"batches":1}`)))
	f.Fuzz(func(t *testing.T, kind, body []byte) {
		b := newBody(bytes.NewReader(body), string(kind))
		for range 100 {
			it, err := b.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				if !errors.Is(err, ErrDamaged) {
					t.Fatalf("error %v does not wrap ErrDamaged", err)
				}
				return
			}
			switch it.Type {
			case FrameInfo:
				DecodeExportInfo(it.JSON)
				DecodeReplyInfo(it.JSON)
			case FrameBatch:
				DecodeBatch(it.JSON)
			case FrameChanges:
				DecodeChanges(it.JSON)
			case FrameBlob:
				data, err := io.ReadAll(it.Data)
				if err == nil && api.BlobID(data) != it.Blob.ID {
					t.Fatalf("blob %s yielded bytes of another hash", it.Blob.ID)
				}
			}
		}
	})
}

// FuzzOpen holds the header and footer parser to its contract: it never
// panics and refuses with ErrNotBundle, ErrDamaged or ErrNotForUs.
func FuzzOpen(f *testing.F) {
	f.Add([]byte(magic + "\x01" + footMagic))
	f.Add([]byte("not a bundle"))
	hj, _ := json.Marshal(Header{Format: Format, Version: Version, Kind: KindExport, ID: NewID(), Org: "o", From: "a", To: Archive, Device: 1})
	tail := append(append([]byte(magic+"\x01"), hj...), 1, 2, 3)
	tail = binary.BigEndian.AppendUint32(tail, uint32(len(hj)))
	tail = binary.BigEndian.AppendUint32(tail, 3)
	f.Add(append(tail, footMagic...))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := Open(bytes.NewReader(b), int64(len(b)))
		if err != nil && !errors.Is(err, ErrNotBundle) && !errors.Is(err, ErrDamaged) && !errors.Is(err, ErrNotForUs) {
			t.Fatalf("error %v wraps no bundle sentinel", err)
		}
	})
}
