package storage

import (
	"bytes"
	"testing"

	"folio/app"
)

// Every decoder of stored bytes: never panics on any input, and what it
// accepts re-encodes to the same bytes (one encoding per value).

var fuzzVersion = app.Version{HLC: 0x0195_4a3b_2c1d_0001, Device: 0x1234_5678_9abc_def0}

func FuzzDecodeVersionKey(f *testing.F) {
	f.Add(versionKey(app.KindPatient, "3f0e2a9c-1b7d-4c55-9a61-0d3e8f7b2c44", fuzzVersion))
	f.Add(versionKey("k", "i", app.Version{}))
	f.Add([]byte("patient\x00id\x00"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		kind, id, v, err := decodeVersionKey(b)
		if err != nil {
			return
		}
		if !bytes.Equal(versionKey(kind, id, v), b) {
			t.Fatalf("%x decodes to %q %q %v, which encodes differently", b, kind, id, v)
		}
	})
}

func FuzzDecodeRecordKey(f *testing.F) {
	f.Add(recordKey(app.KindUser, "alice"))
	f.Add([]byte("\x00"))
	f.Add([]byte("kind\x00id\x00more"))
	f.Fuzz(func(t *testing.T, b []byte) {
		kind, id, err := decodeRecordKey(b)
		if err != nil {
			return
		}
		if !bytes.Equal(recordKey(kind, id), b) {
			t.Fatalf("%x round-trips differently", b)
		}
	})
}

func FuzzDecodeVersionHeader(f *testing.F) {
	f.Add(encodeVersionValue(fuzzVersion, nil, []byte("ciphertext")))
	f.Add(encodeVersionValue(app.Version{}, nil, []byte{0}))
	f.Add(encodeVersionValue(fuzzVersion, []byte(`{"signer":"admin"}`), []byte("ciphertext")))
	f.Add(encodeVersionValue(fuzzVersion, bytes.Repeat([]byte{'e'}, 300), []byte{0}))
	f.Add([]byte{1})
	f.Add([]byte{2, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		parent, endorsement, ct, err := decodeVersionValue(b)
		if err != nil {
			return
		}
		if len(endorsement) > maxEndorsement || len(ct) == 0 || len(ct) > maxCiphertext {
			t.Fatalf("%x decodes out of bounds", b)
		}
		if !bytes.Equal(encodeVersionValue(parent, endorsement, ct), b) {
			t.Fatalf("%x round-trips differently", b)
		}
	})
}

func FuzzDecodeVersion(f *testing.F) {
	f.Add(encodeVersion(fuzzVersion))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := decodeVersion(b)
		if err != nil {
			return
		}
		if !bytes.Equal(encodeVersion(v), b) {
			t.Fatalf("%x round-trips differently", b)
		}
	})
}

func FuzzDecodeTokenSet(f *testing.F) {
	f.Add(encodeTokenSet(fuzzVersion, [][]byte{{0xAA}, []byte("smith"), bytes.Repeat([]byte{7}, 16)}))
	f.Add(encodeTokenSet(app.Version{}, nil))
	f.Add(append(encodeVersion(fuzzVersion), 0, 0))
	f.Add(append(encodeVersion(fuzzVersion), 0xff, 0xff, 1))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, toks, err := decodeTokenSet(b)
		if err != nil {
			return
		}
		if len(toks) > maxTokens {
			t.Fatalf("%d tokens accepted", len(toks))
		}
		for _, tk := range toks {
			if checkToken(tk) != nil {
				t.Fatalf("bad token %x accepted", tk)
			}
		}
		if !bytes.Equal(encodeTokenSet(v, toks), b) {
			t.Fatalf("%x round-trips differently", b)
		}
	})
}

func FuzzDecodeIndexKey(f *testing.F) {
	f.Add(indexKey(bytes.Repeat([]byte{0x5a}, 16), app.KindPatient, "3f0e2a9c"))
	f.Add(indexKey([]byte{1}, "k", "i"))
	f.Add([]byte{0, 0})
	f.Add([]byte{0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		token, kind, id, err := decodeIndexKey(b)
		if err != nil {
			return
		}
		if !bytes.Equal(indexKey(token, kind, id), b) {
			t.Fatalf("%x round-trips differently", b)
		}
	})
}

func FuzzDecodeOplogEntry(f *testing.F) {
	f.Add(encodeOp(app.KindPatient, "p1", fuzzVersion))
	f.Add(encodeVersion(fuzzVersion))
	f.Fuzz(func(t *testing.T, b []byte) {
		kind, id, v, err := decodeOp(b)
		if err != nil {
			return
		}
		if !bytes.Equal(encodeOp(kind, id, v), b) {
			t.Fatalf("%x round-trips differently", b)
		}
	})
}

func FuzzDecodeAuditEntry(f *testing.F) {
	f.Add(encodeAuditValue(chainHash(nil, 1, []byte("event")), []byte("event")))
	f.Add(make([]byte, 32))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, sealed, err := decodeAuditValue(b)
		if err != nil {
			return
		}
		if len(h) != hashLen || len(sealed) == 0 || !bytes.Equal(encodeAuditValue(h, sealed), b) {
			t.Fatalf("%x round-trips differently", b)
		}
	})
}

func FuzzDecodeCheckpoint(f *testing.F) {
	f.Add(encodeCheckpoint(make([]byte, 32), []byte("signature")))
	f.Add([]byte("short"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, sig, err := decodeCheckpoint(b)
		if err != nil {
			return
		}
		if len(h) != hashLen || len(sig) == 0 || !bytes.Equal(encodeCheckpoint(h, sig), b) {
			t.Fatalf("%x round-trips differently", b)
		}
	})
}

func FuzzDecodeSeq(f *testing.F) {
	f.Add(seqKey(42))
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := decodeSeq(b)
		if err != nil {
			return
		}
		if !bytes.Equal(seqKey(n), b) {
			t.Fatalf("%x round-trips differently", b)
		}
	})
}
