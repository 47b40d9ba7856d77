package scan

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"folio/app"
)

// sampleMessages holds one of every message, with empty and full fields.
func sampleMessages() []message {
	return []message{
		helloMsg{Version: protocolVersion},
		readyMsg{Version: protocolVersion, PID: 4242},
		openMsg{File: 1, Name: "scan.pdf", Data: []byte("%PDF-1.7 …")},
		openMsg{File: 1 << 40, Name: "", Options: EngineOptions{ViewDPI: 150, OCRDPI: 300, ThumbWidth: 200,
			MaxPages: 2000, MaxPixels: 60e6, Languages: []string{"eng", "deu"}}},
		pageMsg{File: 7, Index: 0},
		pageMsg{File: 7, Index: 1999},
		closeMsg{File: 7},
		openedMsg{File: 7, Format: "tiff", Pages: 3},
		resultMsg{File: 7, Index: 2, Page: app.PageAnalysis{Index: 2}},
		resultMsg{File: 7, Index: 2, Page: app.PageAnalysis{Index: 2, Width: 1238, Height: 1602,
			Text: "This is a multi page document. Page 3.", TextSource: "ocr", Confidence: 96.75, Rotation: 90,
			Barcodes: []app.Barcode{{Format: "QR_CODE", Value: "FOLIO1 S"}},
			Words:    []app.Word{{Text: "This", X: 1, Y: 2, W: 3, H: 4}},
			Blank:    true, Thumbnail: []byte{0xFF, 0xD8, 0xFF, 0}, View: []byte{0xFF, 0xD8, 0xFF, 1, 2}}},
		errorMsg{File: 7, Code: codeInvalid, Message: "invalid input: \"x\" is not a PDF, TIFF, JPEG or PNG file"},
		stageMsg{File: 7, Index: 0, Stage: stageRender},
		stageMsg{File: 1 << 40, Index: 1999, Stage: stageRead},
	}
}

func frame(t testing.TB, m message) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := writeMessage(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestMessageRoundTrip(t *testing.T) {
	var stream bytes.Buffer
	msgs := sampleMessages()
	for _, m := range msgs {
		stream.Write(frame(t, m))
	}
	for i, want := range msgs {
		got, err := readMessage(&stream)
		if err != nil {
			t.Fatalf("message %d (%T): %v", i, want, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("message %d:\n got %#v\nwant %#v", i, got, want)
		}
	}
	if _, err := readMessage(&stream); err != io.EOF {
		t.Errorf("after the last frame: %v, want io.EOF", err)
	}
}

// TestMessageRoundTripRandom is the round-trip property over random
// messages of every type.
func TestMessageRoundTripRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	blob := func() []byte {
		if r.IntN(4) == 0 {
			return nil
		}
		b := make([]byte, r.IntN(3000)+1)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	text := func() string {
		runes := []rune("abc xyz é€ 🙂\n\t\"\\<>&\x00")
		var s strings.Builder
		for range r.IntN(40) {
			s.WriteRune(runes[r.IntN(len(runes))])
		}
		return s.String()
	}
	n := func() int { return r.IntN(1 << 20) }
	for i := range 2000 {
		var m message
		switch i % 9 {
		case 0:
			m = helloMsg{Version: r.Uint64()}
		case 1:
			m = readyMsg{Version: r.Uint64(), PID: r.Uint64()}
		case 2:
			o := openMsg{File: r.Uint64(), Name: text(), Data: blob(), Options: EngineOptions{
				ViewDPI: n(), OCRDPI: n(), ThumbWidth: n(), MaxPages: n(), MaxPixels: r.Int64()}}
			for range r.IntN(3) {
				o.Options.Languages = append(o.Options.Languages, text())
			}
			m = o
		case 3:
			m = pageMsg{File: r.Uint64(), Index: r.Uint64()}
		case 4:
			m = closeMsg{File: r.Uint64()}
		case 5:
			m = openedMsg{File: r.Uint64(), Format: text(), Pages: r.Uint64()}
		case 6:
			p := app.PageAnalysis{Index: n(), Width: n(), Height: n(), Text: text(), TextSource: text(),
				Confidence: r.Float64() * 100, Rotation: 90 * r.IntN(4), Blank: r.IntN(2) == 0,
				Thumbnail: blob(), View: blob()}
			for range r.IntN(3) {
				p.Barcodes = append(p.Barcodes, app.Barcode{Format: text(), Value: text()})
			}
			for range r.IntN(30) {
				p.Words = append(p.Words, app.Word{Text: text(), X: n(), Y: n(), W: n(), H: n()})
			}
			m = resultMsg{File: r.Uint64(), Index: r.Uint64(), Page: p}
		case 7:
			m = errorMsg{File: r.Uint64(), Code: r.Uint64(), Message: text()}
		case 8:
			m = stageMsg{File: r.Uint64(), Index: r.Uint64(), Stage: uint64(stageRender + r.IntN(2))}
		}
		got, err := readMessage(bytes.NewReader(frame(t, m)))
		if err != nil {
			t.Fatalf("%#v: %v", m, err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Fatalf("round trip:\n got %#v\nwant %#v", got, m)
		}
	}
}

func header(typ byte, n uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{typ}, n)
}

func TestReadFrameMalformed(t *testing.T) {
	page := frame(t, pageMsg{File: 1, Index: 2})
	tests := []struct {
		name string
		in   []byte
	}{
		{"partial header", []byte{framePage, 0, 0}},
		{"unknown type", append(header(0x7F, 1), 0)},
		{"small frame over its limit", header(framePage, maxSmallFrame+1)},
		{"file frame over its limit", header(frameOpen, maxOpenFrame+1)},
		{"page frame over its limit", header(frameResult, maxPageFrame+1)},
		{"cut short", page[:len(page)-1]},
		{"stray byte", append(header(framePage, 3), 1, 2, 3)},
		{"missing field", append(header(framePage, 1), 1)},
		{"bad varint", append(header(frameClose, 10), 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF)},
		{"string longer than frame", append(header(frameOpened, 3), 1, 100, 'x')},
		{"bad page JSON", append(header(frameResult, 6), 1, 0, 1, '{', 0, 0)},
		{"int out of range", append(header(frameOpen, 8), 1, 0, 0x80, 0x80, 0x80, 0x80, 0x10, 0)},
		{"languages over frame", append(header(frameOpen, 9), 1, 0, 0, 0, 0, 0, 0, 100, 0)},
		{"stage frame over its limit", header(frameStage, maxSmallFrame+1)},
		{"unknown stage", append(header(frameStage, 3), 1, 0, 3)},
		{"no stage", append(header(frameStage, 3), 1, 0, 0)},
		{"stage missing", append(header(frameStage, 2), 1, 0)},
		{"stage stray byte", append(header(frameStage, 4), 1, 0, 1, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readMessage(bytes.NewReader(tt.in))
			if !errors.Is(err, ErrProtocol) {
				t.Fatalf("got %v, want ErrProtocol", err)
			}
		})
	}
}

// TestReadFrameLyingHeader checks that a header declaring a huge frame
// followed by little data costs little memory.
func TestReadFrameLyingHeader(t *testing.T) {
	in := append(header(frameOpen, maxOpenFrame), make([]byte, 100)...)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, err := readFrame(bytes.NewReader(in))
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrProtocol) {
		t.Fatalf("got %v, want ErrProtocol", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 4<<20 {
		t.Fatalf("reading a cut-short 512 MiB frame allocated %d bytes", n)
	}
}

func TestEncodeOverLimit(t *testing.T) {
	err := writeMessage(io.Discard, errorMsg{Message: strings.Repeat("x", maxSmallFrame)})
	if !errors.Is(err, ErrProtocol) {
		t.Fatalf("got %v, want ErrProtocol", err)
	}
}

func TestEncodeUnknownStage(t *testing.T) {
	if err := writeMessage(io.Discard, stageMsg{File: 1, Stage: 9}); err == nil {
		t.Fatal("a stage frame of an unknown stage was written")
	}
}

func TestRemoteErrorInvalid(t *testing.T) {
	e := &remoteError{code: errorCode(errors.Join(app.ErrInvalid)), msg: "invalid input: bad"}
	if !errors.Is(e, app.ErrInvalid) || e.Error() != "invalid input: bad" {
		t.Fatalf("invalid remote error: %v, Is ErrInvalid %v", e, errors.Is(e, app.ErrInvalid))
	}
	if e := (&remoteError{code: errorCode(errors.New("x")), msg: "x"}); errors.Is(e, app.ErrInvalid) {
		t.Fatal("a failure matched ErrInvalid")
	}
}

// FuzzReadFrame feeds arbitrary bytes to the decoder: it must not panic,
// must fail only with io.EOF or ErrProtocol, and what it accepts must
// encode and decode to the same message.
func FuzzReadFrame(f *testing.F) {
	for _, m := range sampleMessages() {
		f.Add(frame(f, m))
	}
	f.Add(header(frameOpen, maxOpenFrame))
	f.Fuzz(func(t *testing.T, in []byte) {
		m, err := readMessage(bytes.NewReader(in))
		if err != nil {
			if err != io.EOF && !errors.Is(err, ErrProtocol) {
				t.Fatalf("error %v is neither io.EOF nor ErrProtocol", err)
			}
			return
		}
		var b bytes.Buffer
		if err := writeMessage(&b, m); err != nil {
			t.Fatalf("re-encode %#v: %v", m, err)
		}
		again, err := readMessage(&b)
		if err != nil {
			t.Fatalf("decode re-encoded %#v: %v", m, err)
		}
		if !reflect.DeepEqual(again, m) {
			t.Fatalf("round trip:\n got %#v\nwant %#v", again, m)
		}
	})
}

func BenchmarkFrameRoundTrip(b *testing.B) {
	// A typical OCR'd page: 26 KB view, 3 KB thumbnail, a few hundred words.
	p := app.PageAnalysis{Width: 1238, Height: 1602, Text: strings.Repeat("word ", 400), TextSource: "ocr",
		Thumbnail: make([]byte, 3<<10), View: make([]byte, 26<<10)}
	for i := range 400 {
		p.Words = append(p.Words, app.Word{Text: "word", X: i, Y: i, W: 40, H: 12})
	}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := writeMessage(&buf, resultMsg{File: 1, Index: 1, Page: p}); err != nil {
			b.Fatal(err)
		}
		if _, err := readMessage(&buf); err != nil {
			b.Fatal(err)
		}
	}
}
