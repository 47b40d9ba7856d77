package scan

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"

	"folio/app"
)

// This file is the wire protocol between the pool and a worker process,
// spoken over the worker's stdin (requests) and stdout (replies).
//
// A frame is
//
//	type    1 byte
//	length  4 bytes, big-endian: the payload's size
//	payload length bytes
//
// and each frame type has a size limit that ReadFrame checks before it
// allocates anything. A payload is a fixed sequence of fields, each an
// unsigned varint (numbers) or a varint length followed by that many bytes
// (strings, JSON, JPEG images); nothing may follow the last field.
//
// The conversation: the pool sends hello, the worker sends ready (both at
// once, without waiting for the other), then the pool sends one request at a
// time and reads its one reply before the next:
//
//	open(file, name, options, data) → opened(file, format, pages) | error
//	page(file, index)               → [stage(file, index, render)] [stage(file, index, read)]
//	                                  page(file, index, JSON, thumbnail, view) | error
//	close(file)                     → no reply
//
// While it reads a page the worker says where it has got to: a stage frame
// as it starts drawing the page and another as it starts reading it, in
// that order, before the reply. Stage frames are progress reports only; a
// reply may come without them (a page that fails early), but a stage frame
// about another page, out of order, twice, or in answer to anything but a
// page request is a protocol error.
//
// The worker holds one file open at a time; file is an id the pool chooses.

// protocolVersion is the version both sides send in their greeting; they
// must match, since pool and worker come from the same executable. Version
// 2 added the stage frame.
const protocolVersion = 2

// ErrProtocol is the error for a frame or payload that is not well formed.
var ErrProtocol = errors.New("scan worker protocol error")

// Frame types. Requests go to the worker, replies come from it.
const (
	frameHello  byte = 0x10 // pool → worker: version
	frameOpen   byte = 0x11 // pool → worker: file, name, options, data
	framePage   byte = 0x12 // pool → worker: file, index
	frameClose  byte = 0x13 // pool → worker: file
	frameReady  byte = 0x20 // worker → pool: version, pid
	frameOpened byte = 0x21 // worker → pool: file, format, pages
	frameResult byte = 0x22 // worker → pool: file, index, page JSON, thumbnail, view
	frameError  byte = 0x23 // worker → pool: file, code, message
	frameStage  byte = 0x24 // worker → pool: file, index, stage
)

// Stages of a page a stage frame reports, in the order they come.
const (
	stageRender = 1 // drawing the page (MuPDF)
	stageRead   = 2 // reading it: text layer or OCR, barcodes, images
)

// Size limits per frame type, in payload bytes.
const (
	// MaxFileSize is the largest file a worker accepts: the intake's limit.
	MaxFileSize   = app.MaxImportSize
	maxOpenFrame  = MaxFileSize + 64<<10 // the file, its name and options
	maxPageFrame  = 256 << 20            // two JPEG images and the page's text and words
	maxSmallFrame = 64 << 10             // everything else
	frameHeader   = 5
)

// maxFrame returns the payload limit of a frame type, or -1 for an unknown type.
func maxFrame(typ byte) int {
	switch typ {
	case frameOpen:
		return maxOpenFrame
	case frameResult:
		return maxPageFrame
	case frameHello, framePage, frameClose, frameReady, frameOpened, frameError, frameStage:
		return maxSmallFrame
	}
	return -1
}

// Error codes of an error reply. They carry the error's nature across the
// pipe; the message carries the words.
const (
	codeFailed  = 1 // the file or page could not be read
	codeInvalid = 2 // the input is not acceptable: wraps app.ErrInvalid
)

// remoteError is an error reply from a worker. It reads as the worker's
// message and matches app.ErrInvalid when the worker's error did.
type remoteError struct {
	code uint64
	msg  string
}

func (e *remoteError) Error() string { return e.msg }

func (e *remoteError) Is(target error) bool {
	return e.code == codeInvalid && target == app.ErrInvalid
}

// errorCode maps an error to its wire code.
func errorCode(err error) uint64 {
	if errors.Is(err, app.ErrInvalid) {
		return codeInvalid
	}
	return codeFailed
}

// errorReply is the error frame of err. Input the reader refuses
// (app.InvalidError) travels as its reason alone, which replyError makes
// an app.InvalidError again on the other side, so the window shows the
// reason as the worker wrote it.
func errorReply(file uint64, err error) errorMsg {
	var inv *app.InvalidError
	if errors.As(err, &inv) {
		return errorMsg{File: file, Code: codeInvalid, Message: inv.Reason}
	}
	return errorMsg{File: file, Code: errorCode(err), Message: err.Error()}
}

// replyError is the error an error frame carries.
func replyError(m errorMsg) error {
	if m.Code == codeInvalid {
		return &app.InvalidError{Reason: m.Message}
	}
	return &remoteError{code: m.Code, msg: m.Message}
}

// The messages. Each is one frame; message is the union of them.
type (
	helloMsg struct{ Version uint64 }
	readyMsg struct{ Version, PID uint64 }
	openMsg  struct {
		File    uint64
		Name    string
		Options EngineOptions
		Data    []byte
	}
	pageMsg   struct{ File, Index uint64 }
	closeMsg  struct{ File uint64 }
	openedMsg struct {
		File   uint64
		Format string
		Pages  uint64
	}
	resultMsg struct {
		File, Index uint64
		Page        app.PageAnalysis // with its Thumbnail and View
	}
	errorMsg struct {
		File, Code uint64
		Message    string
	}
	stageMsg struct {
		File, Index uint64
		Stage       uint64 // stageRender or stageRead
	}
)

type message interface{ frameType() byte }

func (helloMsg) frameType() byte  { return frameHello }
func (readyMsg) frameType() byte  { return frameReady }
func (openMsg) frameType() byte   { return frameOpen }
func (pageMsg) frameType() byte   { return framePage }
func (closeMsg) frameType() byte  { return frameClose }
func (openedMsg) frameType() byte { return frameOpened }
func (resultMsg) frameType() byte { return frameResult }
func (errorMsg) frameType() byte  { return frameError }
func (stageMsg) frameType() byte  { return frameStage }

// encode returns m's payload.
func encode(m message) ([]byte, error) {
	var b []byte
	num := func(v uint64) { b = binary.AppendUvarint(b, v) }
	bytes := func(s []byte) { num(uint64(len(s))); b = append(b, s...) }
	str := func(s string) { num(uint64(len(s))); b = append(b, s...) }
	switch m := m.(type) {
	case helloMsg:
		num(m.Version)
	case readyMsg:
		num(m.Version)
		num(m.PID)
	case openMsg:
		b = make([]byte, 0, len(m.Data)+len(m.Name)+64)
		num(m.File)
		str(m.Name)
		o := m.Options
		for _, v := range []int{o.ViewDPI, o.OCRDPI, o.ThumbWidth, o.MaxPages} {
			num(uint64(max(v, 0)))
		}
		num(uint64(max(o.MaxPixels, 0)))
		num(uint64(len(o.Languages)))
		for _, l := range o.Languages {
			str(l)
		}
		bytes(m.Data)
	case pageMsg:
		num(m.File)
		num(m.Index)
	case closeMsg:
		num(m.File)
	case openedMsg:
		num(m.File)
		str(m.Format)
		num(m.Pages)
	case resultMsg:
		js, err := json.Marshal(m.Page)
		if err != nil {
			return nil, fmt.Errorf("encode page %d: %w", m.Index, err)
		}
		b = make([]byte, 0, len(js)+len(m.Page.Thumbnail)+len(m.Page.View)+64)
		num(m.File)
		num(m.Index)
		bytes(js)
		bytes(m.Page.Thumbnail)
		bytes(m.Page.View)
	case errorMsg:
		num(m.File)
		num(m.Code)
		str(m.Message)
	case stageMsg:
		if m.Stage != stageRender && m.Stage != stageRead {
			return nil, fmt.Errorf("encode stage of page %d: unknown stage %d", m.Index+1, m.Stage)
		}
		num(m.File)
		num(m.Index)
		num(m.Stage)
	default:
		return nil, fmt.Errorf("encode %T: not a message", m)
	}
	if lim := maxFrame(m.frameType()); len(b) > lim {
		return nil, fmt.Errorf("%w: a %d-byte message is over the limit of %d bytes", ErrProtocol, len(b), lim)
	}
	return b, nil
}

// writeMessage writes m as one frame.
func writeMessage(w io.Writer, m message) error {
	payload, err := encode(m)
	if err != nil {
		return err
	}
	var h [frameHeader]byte
	h[0] = m.frameType()
	binary.BigEndian.PutUint32(h[1:], uint32(len(payload)))
	if _, err := w.Write(h[:]); err != nil {
		return err
	}
	_, err = w.Write(payload)
	return err
}

// readFrame reads one frame and returns its type and payload. It checks the
// type and the declared length before it allocates, and grows the payload
// buffer only as data arrives, so a lying header costs no memory. A clean
// EOF before the first byte is io.EOF; anything else malformed or cut short
// wraps ErrProtocol.
func readFrame(r io.Reader) (typ byte, payload []byte, err error) {
	var h [frameHeader]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		if err == io.EOF {
			return 0, nil, io.EOF
		}
		return 0, nil, fmt.Errorf("%w: frame header: %v", ErrProtocol, err)
	}
	typ = h[0]
	n := int64(binary.BigEndian.Uint32(h[1:]))
	lim := maxFrame(typ)
	if lim < 0 {
		return 0, nil, fmt.Errorf("%w: unknown frame type %#x", ErrProtocol, typ)
	}
	if n > int64(lim) {
		return 0, nil, fmt.Errorf("%w: frame type %#x of %d bytes is over its limit of %d", ErrProtocol, typ, n, lim)
	}
	const step = 1 << 20
	payload = make([]byte, 0, min(n, step))
	for int64(len(payload)) < n {
		if len(payload) == cap(payload) {
			grown := make([]byte, len(payload), min(n, 2*int64(cap(payload))))
			copy(grown, payload)
			payload = grown
		}
		m, err := r.Read(payload[len(payload):cap(payload)])
		payload = payload[:len(payload)+m]
		if err != nil && int64(len(payload)) < n {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, nil, fmt.Errorf("%w: frame type %#x cut short after %d of %d bytes: %v", ErrProtocol, typ, len(payload), n, err)
		}
	}
	return typ, payload, nil
}

// readMessage reads one frame and decodes it.
func readMessage(r io.Reader) (message, error) {
	typ, payload, err := readFrame(r)
	if err != nil {
		return nil, err
	}
	return decode(typ, payload)
}

// decoder reads a payload's fields; the first problem sticks in err and
// every later read returns zero values.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: "+format, append([]any{ErrProtocol}, args...)...)
	}
}

func (d *decoder) num() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad number")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// int reads a number that must fit in an int of at most 31 bits.
func (d *decoder) int() int {
	v := d.num()
	if v > math.MaxInt32 {
		d.fail("number %d out of range", v)
		return 0
	}
	return int(v)
}

func (d *decoder) bytes() []byte {
	n := d.num()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.fail("field of %d bytes in %d remaining", n, len(d.b))
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	if n == 0 {
		return nil
	}
	return v
}

func (d *decoder) str() string { return string(d.bytes()) }

// decode parses a payload of the given frame type.
func decode(typ byte, payload []byte) (message, error) {
	d := &decoder{b: payload}
	var m message
	switch typ {
	case frameHello:
		m = helloMsg{Version: d.num()}
	case frameReady:
		m = readyMsg{Version: d.num(), PID: d.num()}
	case frameOpen:
		o := openMsg{File: d.num(), Name: d.str()}
		o.Options.ViewDPI = d.int()
		o.Options.OCRDPI = d.int()
		o.Options.ThumbWidth = d.int()
		o.Options.MaxPages = d.int()
		if px := d.num(); px > math.MaxInt64 {
			d.fail("pixel limit %d out of range", px)
		} else {
			o.Options.MaxPixels = int64(px)
		}
		nl := d.num()
		if nl > uint64(len(d.b)) { // each language takes at least one byte
			d.fail("%d languages in %d bytes", nl, len(d.b))
		}
		for i := uint64(0); i < nl && d.err == nil; i++ {
			o.Options.Languages = append(o.Options.Languages, d.str())
		}
		o.Data = d.bytes()
		m = o
	case framePage:
		m = pageMsg{File: d.num(), Index: d.num()}
	case frameClose:
		m = closeMsg{File: d.num()}
	case frameOpened:
		m = openedMsg{File: d.num(), Format: d.str(), Pages: d.num()}
	case frameResult:
		r := resultMsg{File: d.num(), Index: d.num()}
		js := d.bytes()
		if d.err == nil {
			if err := json.Unmarshal(js, &r.Page); err != nil {
				d.fail("page JSON: %v", err)
			}
		}
		r.Page.Thumbnail = d.bytes()
		r.Page.View = d.bytes()
		m = r
	case frameError:
		m = errorMsg{File: d.num(), Code: d.num(), Message: d.str()}
	case frameStage:
		st := stageMsg{File: d.num(), Index: d.num(), Stage: d.num()}
		if d.err == nil && st.Stage != stageRender && st.Stage != stageRead {
			d.fail("unknown page stage %d", st.Stage)
		}
		m = st
	default:
		return nil, fmt.Errorf("%w: unknown frame type %#x", ErrProtocol, typ)
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d stray bytes after frame type %#x", len(d.b), typ)
	}
	if d.err != nil {
		return nil, d.err
	}
	return m, nil
}

// frameWriter writes messages through a buffer and flushes each one, so a
// frame reaches the other side whole and at once.
type frameWriter struct{ w *bufio.Writer }

func newFrameWriter(w io.Writer) *frameWriter { return &frameWriter{bufio.NewWriterSize(w, 64<<10)} }

func (f *frameWriter) send(m message) error {
	if err := writeMessage(f.w, m); err != nil {
		return err
	}
	return f.w.Flush()
}
