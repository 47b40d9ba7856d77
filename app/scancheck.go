package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// DamagedPart is one scan file of a document that is missing or fails its
// integrity check.
type DamagedPart struct {
	What    string // "original", "page 2 image", "page 2 text", "page 2 thumbnail", "page 2 word boxes"
	Blob    string // the blob id
	Missing bool   // the file is gone; otherwise it is there but fails its check
}

func (p DamagedPart) String() string {
	if p.Missing {
		return p.What + " missing"
	}
	return p.What + " damaged"
}

// DamagedDocument is a document with damaged scan files, or a batch whose
// original is damaged and that no document comes from.
type DamagedDocument struct {
	Document string // "" for a batch without documents
	Batch    string // the batch of the damaged original, if any
	// MRN is the chart's MRN when the document is filed and the user may
	// open the chart; Restricted says it is filed in a chart the user may
	// not open.
	MRN        string
	Restricted bool
	Parts      []DamagedPart
}

// String says what is damaged, as `folio verify` prints it.
func (d DamagedDocument) String() string {
	var b strings.Builder
	if d.Document != "" {
		fmt.Fprintf(&b, "document %s", d.Document)
	} else {
		fmt.Fprintf(&b, "batch %s", d.Batch)
	}
	switch {
	case d.MRN != "":
		fmt.Fprintf(&b, " (patient %s)", d.MRN)
	case d.Restricted:
		b.WriteString(" (a restricted chart)")
	}
	b.WriteString(": ")
	for i, p := range d.Parts {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// checkScans reads every scan file the vault's batches and documents name
// (originals, page images, text, thumbnails, word boxes) and authenticates
// it, keeping no plaintext, and returns the documents with damaged files
// and how many files it read. A vault without scanning has none.
func (au Audit) checkScans(ctx context.Context) ([]DamagedDocument, int, error) {
	blobs, _, err := au.s.docs.blobs()
	if errors.Is(err, ErrScanningOff) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	checked := map[string]*DamagedPart{} // blob id → its damage, nil when sound
	check := func(id, what string) (*DamagedPart, error) {
		if d, ok := checked[id]; ok {
			if d == nil {
				return nil, nil
			}
			return &DamagedPart{What: what, Blob: id, Missing: d.Missing}, nil
		}
		err := blobs.Verify(ctx, id)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var d *DamagedPart
		if err != nil {
			// Not found, tampered, or unreadable: each is a file to restore.
			d = &DamagedPart{What: what, Blob: id, Missing: errors.Is(err, ErrNotFound)}
		}
		checked[id] = d
		return d, nil
	}

	originals := map[string]*DamagedPart{} // batch id → its damaged original
	var batchOrder []string
	// A damaged record is verify's other checks' finding.
	for b, err := range heads(ctx, au.s, KindBatch, decodeBatch, skipDamaged) {
		if err != nil {
			return nil, 0, fmt.Errorf("check scans: %w", err)
		}
		if b.Original == "" {
			continue
		}
		d, err := check(b.Original, "original")
		if err != nil {
			return nil, 0, err
		}
		if d != nil {
			originals[b.ID] = d
			batchOrder = append(batchOrder, b.ID)
		}
	}
	var out []DamagedDocument
	fromDocs := map[string]bool{}
	for doc, err := range heads(ctx, au.s, KindDocument, decodeDocument, skipDamaged) {
		if err != nil {
			return nil, 0, fmt.Errorf("check scans: %w", err)
		}
		dd := DamagedDocument{Document: doc.ID}
		for _, pg := range doc.Pages {
			if o := originals[pg.Batch]; o != nil && dd.Batch == "" {
				dd.Batch = pg.Batch
				dd.Parts = append(dd.Parts, *o)
			}
			fromDocs[pg.Batch] = true
		}
		for i, pg := range slices.Concat(doc.Pages, doc.Removed) {
			name := fmt.Sprintf("page %d", i+1)
			if i >= len(doc.Pages) {
				name = fmt.Sprintf("removed page %d", i-len(doc.Pages)+1)
			}
			for _, f := range []struct{ id, what string }{
				{pg.View, "image"}, {pg.Text, "text"}, {pg.Thumb, "thumbnail"}, {pg.Words, "word boxes"},
			} {
				if f.id == "" {
					continue
				}
				d, err := check(f.id, name+" "+f.what)
				if err != nil {
					return nil, 0, err
				}
				if d != nil {
					dd.Parts = append(dd.Parts, *d)
				}
			}
		}
		if len(dd.Parts) == 0 {
			continue
		}
		chart, ok, err := au.s.docs.chart(ctx, doc)
		switch {
		case err != nil:
		case ok:
			dd.MRN = chart.MRN
		default:
			dd.Restricted = true
		}
		out = append(out, dd)
	}
	for _, id := range batchOrder {
		if !fromDocs[id] {
			out = append(out, DamagedDocument{Batch: id, Parts: []DamagedPart{*originals[id]}})
		}
	}
	return out, len(checked), nil
}

// DamagedBlobs lists the blob ids of every damaged part, once each.
func DamagedBlobs(docs []DamagedDocument) []string {
	var out []string
	for _, d := range docs {
		for _, p := range d.Parts {
			if !slices.Contains(out, p.Blob) {
				out = append(out, p.Blob)
			}
		}
	}
	return out
}
