package app

import (
	"slices"
	"sync"
)

// docCache keeps the documents a session decoded, by record id, each
// with the version it was decoded from. A version never changes, so an
// entry is right for as long as it is the record's head: docStore.load
// still reads and decrypts the head (which checks it), and skips only the
// JSON decoding when it finds that version here. The sidebar's counts
// (Completion.Counts, on every screen change) and a chart's opening read
// the same thousands of documents again and again; decoding them is most
// of that work. Entries are handed out and taken in as deep copies, so
// no caller's change reaches another. The cache is dropped on Lock, as
// the patient cache is, and holds at most docCacheSize documents.
type docCache struct {
	// mu protects the following.
	mu      sync.Mutex
	docs    map[string]Document
	dropped bool // the session is locked: nothing more is kept
}

// docCacheSize bounds the cache: past it, an entry is dropped for each
// one added (a big chart's documents, and those of the worklists, fit).
const docCacheSize = 20000

// get returns a copy of the document id decoded from version v.
func (c *docCache) get(id string, v Version) (Document, bool) {
	c.mu.Lock()
	d, ok := c.docs[id]
	c.mu.Unlock()
	if !ok || d.Version != v {
		return Document{}, false
	}
	return d.clone(), true
}

// put keeps a copy of d, decoded from record id.
func (c *docCache) put(id string, d Document) {
	d = d.clone()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dropped {
		return
	}
	if c.docs == nil {
		c.docs = map[string]Document{}
	}
	if _, ok := c.docs[id]; !ok && len(c.docs) >= docCacheSize {
		for other := range c.docs {
			delete(c.docs, other)
			break
		}
	}
	c.docs[id] = d
}

// drop forgets every document, for good (the session is locked).
func (c *docCache) drop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.docs, c.dropped = nil, true
}

// clone is a deep copy of d: it shares no slice with d.
// TestDocumentCloneCopiesEverySlice fails when Document gains a field
// this does not copy.
func (d Document) clone() Document {
	d.Pages = clonePages(d.Pages)
	d.Removed = clonePages(d.Removed)
	d.ArchiveIDs = slices.Clone(d.ArchiveIDs)
	d.Problems = slices.Clone(d.Problems)
	d.Learned = slices.Clone(d.Learned)
	for i := range d.Learned {
		d.Learned[i].Texts = slices.Clone(d.Learned[i].Texts)
	}
	return d
}

func clonePages(pages []DocPage) []DocPage {
	pages = slices.Clone(pages)
	for i := range pages {
		pages[i].Barcodes = slices.Clone(pages[i].Barcodes)
	}
	return pages
}
