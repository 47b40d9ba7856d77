package storage

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"

	bolt "go.etcd.io/bbolt"
)

// checkPages walks the B+tree of every bucket by reading the file itself
// (bounds-checked byte slices, not bbolt's memory map) and checks what bbolt
// trusts when it reads a page: page ids inside the file, each page reached
// once (no cycles), known page types, element arrays, keys and values inside
// their page, keys in order, no nested buckets (schema 1 has none). Check
// runs it before bbolt's own checker, which reads pages in a goroutine of
// its own where a fault cannot be caught.
//
// Page layout (machine byte order): header id u64, flags u16, count u16,
// overflow u32; then count 16-byte elements. A branch element is pos u32,
// ksize u32, child pgid u64; a leaf element is flags u32, pos u32, ksize
// u32, vsize u32; pos counts from the element, the value follows the key.
// The root bucket's leaf elements are buckets (flag 1) whose value starts
// with the bucket's root pgid (u64, 0 when the bucket is inline) and
// sequence (u64), an inline bucket's page following.
func (db *DB) checkPages(ctx context.Context, tx *bolt.Tx, p *problems) error {
	f, err := os.Open(db.path)
	if err != nil {
		return fmt.Errorf("read vault file: %w", err)
	}
	defer f.Close()
	ps := int64(tx.DB().Info().PageSize)
	w := &pageWalker{ctx: ctx, f: f, ps: ps, hwm: uint64(tx.Size() / ps), seen: map[uint64]bool{}, p: p}
	w.walk(uint64(tx.Cursor().Bucket().Root()), 0, true)
	return w.err
}

const (
	branchFlag     = 0x01
	leafFlag       = 0x02
	bucketLeafFlag = 0x01
	boltMaxKey     = 32768
	maxTreeDepth   = 32
	maxPageBytes   = maxCiphertext + maxEndorsement + 2*headerLen + 1<<20 // a leaf holding the largest value
)

type pageWalker struct {
	ctx  context.Context
	f    *os.File
	ps   int64
	hwm  uint64
	seen map[uint64]bool
	p    *problems
	n    int
	err  error // context ended
}

func (w *pageWalker) walk(id uint64, depth int, root bool) {
	if w.err != nil {
		return
	}
	if w.n++; w.n%1024 == 0 {
		if w.err = w.ctx.Err(); w.err != nil {
			return
		}
	}
	switch {
	case depth > maxTreeDepth:
		w.p.add("page %d: the tree is deeper than %d levels", id, maxTreeDepth)
		return
	case id < 2 || id >= w.hwm:
		w.p.add("page %d: outside the file's %d pages", id, w.hwm)
		return
	case w.seen[id]:
		w.p.add("page %d: reached twice (a loop or a shared page)", id)
		return
	}
	var hdr [pageHeaderLen]byte
	if n, _ := w.f.ReadAt(hdr[:], int64(id)*w.ps); n < len(hdr) {
		w.p.add("page %d: unreadable", id)
		return
	}
	e := binary.NativeEndian
	overflow := uint64(e.Uint32(hdr[12:]))
	if got := e.Uint64(hdr[0:]); got != id {
		w.p.add("page %d: holds page %d", id, got)
		return
	}
	if id+overflow >= w.hwm || int64(overflow+1)*w.ps > maxPageBytes {
		w.p.add("page %d: its %d overflow pages run past the file", id, overflow)
		return
	}
	for i := uint64(0); i <= overflow; i++ {
		if w.seen[id+i] {
			w.p.add("page %d: overlaps page %d, reached before", id, id+i)
			return
		}
		w.seen[id+i] = true
	}
	page := make([]byte, int64(overflow+1)*w.ps)
	if n, _ := w.f.ReadAt(page, int64(id)*w.ps); n < len(page) {
		w.p.add("page %d: unreadable", id)
		return
	}
	switch flags := e.Uint16(page[8:]); flags {
	case branchFlag:
		w.branch(id, page, depth, root)
	case leafFlag:
		w.leaf(id, page, root)
	default:
		w.p.add("page %d: unknown page type %#x", id, flags)
	}
}

// elements returns the count elements' offsets, or false when they do not
// fit the page.
func elements(page []byte) (int, bool) {
	count := int(binary.NativeEndian.Uint16(page[10:]))
	return count, pageHeaderLen+count*16 <= len(page)
}

// span returns page[off+pos : off+pos+n], or false when outside the page.
func span(page []byte, off int, pos, n uint32) ([]byte, bool) {
	start := uint64(off) + uint64(pos)
	end := start + uint64(n)
	if end > uint64(len(page)) {
		return nil, false
	}
	return page[start:end], true
}

func (w *pageWalker) branch(id uint64, page []byte, depth int, root bool) {
	count, ok := elements(page)
	if !ok || count == 0 {
		w.p.add("page %d: a branch page with %d elements", id, count)
		return
	}
	e := binary.NativeEndian
	var prev []byte
	for i := range count {
		off := pageHeaderLen + i*16
		ksize := e.Uint32(page[off+4:])
		key, ok := span(page, off, e.Uint32(page[off:]), ksize)
		if !ok || ksize == 0 || ksize > boltMaxKey {
			w.p.add("page %d: branch element %d lies outside its page", id, i)
			return
		}
		if i > 0 && bytes.Compare(prev, key) >= 0 {
			w.p.add("page %d: branch keys out of order at element %d", id, i)
			return
		}
		prev = key
		w.walk(e.Uint64(page[off+8:]), depth+1, root)
	}
}

func (w *pageWalker) leaf(id uint64, page []byte, root bool) {
	count, ok := elements(page)
	if !ok {
		w.p.add("page %d: a leaf page claiming %d elements", id, count)
		return
	}
	e := binary.NativeEndian
	var prev []byte
	for i := range count {
		off := pageHeaderLen + i*16
		flags, pos, ksize, vsize := e.Uint32(page[off:]), e.Uint32(page[off+4:]), e.Uint32(page[off+8:]), e.Uint32(page[off+12:])
		kv, ok := span(page, off, pos, ksize+vsize)
		if !ok || ksize == 0 || ksize > boltMaxKey || uint64(ksize)+uint64(vsize) > uint64(len(page)) {
			w.p.add("page %d: leaf element %d lies outside its page", id, i)
			return
		}
		key, val := kv[:ksize], kv[ksize:]
		if i > 0 && bytes.Compare(prev, key) >= 0 {
			w.p.add("page %d: leaf keys out of order at element %d", id, i)
			return
		}
		prev = key
		switch {
		case !root && flags != 0:
			w.p.add("page %d: element %d is a nested bucket, which this vault never writes", id, i)
		case root && flags != bucketLeafFlag:
			w.p.add("page %d: top-level element %q is not a bucket", id, key)
		case root && len(val) < 16:
			w.p.add("page %d: bucket %q has a short header", id, key)
		case root:
			if child := e.Uint64(val); child != 0 {
				w.walk(child, 0, false)
			} else {
				w.inline(id, key, val[16:])
			}
		}
	}
}

// inline checks the page embedded in a small bucket's value.
func (w *pageWalker) inline(id uint64, name, page []byte) {
	if len(page) < pageHeaderLen {
		w.p.add("page %d: inline bucket %q is truncated", id, name)
		return
	}
	if flags := binary.NativeEndian.Uint16(page[8:]); flags != leafFlag {
		w.p.add("page %d: inline bucket %q has page type %#x", id, name, flags)
		return
	}
	before := len(w.p.items) + w.p.more
	w.leaf(id, page, false)
	if len(w.p.items)+w.p.more > before {
		w.p.add("page %d: in inline bucket %q", id, name)
	}
}
