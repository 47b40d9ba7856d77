package app

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
)

// Left-out pages. A page of a scanned file that is not part of its
// document — a page the pipeline found blank, the cover or separator sheet
// that started the document, a page a person took out — stays with the
// document in Document.Removed, with its encrypted images and text and
// the reason (DocPage.LeftOut), in page order. Nothing of a file vanishes:
// every page of an analysed batch is a page or a left-out page of one of
// its documents. A person sees them listed ("page 4 left out as blank")
// and puts one back with RestorePage.
//
// A document whose every page was left out has no pages: it is never
// filed (not by its cover sheet, not by a person) and waits in the queue
// with a problem that says so, until a page is restored.

// LeftOut is why a page is not part of its document.
type LeftOut string

// The reasons a page is left out. A Removed page without a reason was
// taken out by a person (documents written before reasons were kept).
const (
	LeftBlank     LeftOut = "blank"           // the scan pipeline found nothing on it
	LeftCover     LeftOut = "cover sheet"     // the Folio cover sheet that started the document
	LeftSeparator LeftOut = "separator sheet" // the separator sheet that started the document
	LeftByPerson  LeftOut = "removed"         // a person took it out (RemovePage)
)

// Problems of a document with no pages, shown in the queue.
const (
	problemAllBlank  = "every page was left out as blank — check and restore pages"
	problemAllSheets = "every page was a cover or separator sheet — check and restore pages"
)

// LeftPage is one page of a batch that comes with a document but is not
// part of it.
type LeftPage struct {
	Index int // page index in the batch file
	Why   LeftOut
}

// Why says why p is left out; a page without a reason was taken out by a
// person.
func (p DocPage) Why() LeftOut {
	if p.LeftOut == "" {
		return LeftByPerson
	}
	return p.LeftOut
}

// LeftOutLine says, for people, which page of its file p is and why it is
// not part of the document: "page 4 left out as blank".
func (p DocPage) LeftOutLine() string {
	n := "page " + strconv.Itoa(p.Index+1)
	switch p.Why() {
	case LeftBlank:
		return n + " left out as blank"
	case LeftCover:
		return n + " left out: cover sheet"
	case LeftSeparator:
		return n + " left out: separator sheet"
	default:
		return n + " taken out by a person"
	}
}

// emptyProblem is the problem of a document whose pages were all left out.
func emptyProblem(left []DocPage) string {
	if slices.ContainsFunc(left, func(p DocPage) bool { return p.Why() == LeftBlank }) {
		return problemAllBlank
	}
	return problemAllSheets
}

func isEmptyProblem(p string) bool { return p == problemAllBlank || p == problemAllSheets }

// leaveOut adds p to d's left-out pages, keeping them in page order.
func leaveOut(d *Document, p DocPage, why LeftOut) {
	p.LeftOut = why
	i, _ := slices.BinarySearchFunc(d.Removed, p, func(a, b DocPage) int { return cmp.Compare(a.Index, b.Index+1) })
	d.Removed = slices.Insert(slices.Clone(d.Removed), i, p)
}

// restoreAt is where a left-out page goes back among pages: after the page
// of its file that comes last before it in the file, else before the one
// that comes first after it, else at the end.
func restoreAt(pages []DocPage, p DocPage) int {
	before, after := -1, -1
	for i, q := range pages {
		if q.Batch != p.Batch {
			continue
		}
		if q.Index < p.Index && (before < 0 || q.Index > pages[before].Index) {
			before = i
		}
		if q.Index > p.Index && (after < 0 || q.Index < pages[after].Index) {
			after = i
		}
	}
	switch {
	case before >= 0:
		return before + 1
	case after >= 0:
		return after
	}
	return len(pages)
}

// RestorePage puts a left-out page (0-based, in the order of
// Document.Removed) back into its document, where it was in its file. A
// document that had no pages loses its "every page was left out" problem
// and can be filed. A page left out as blank that has no text (left out
// before Folio read such pages) is read now from the batch's original, by
// the same pipeline as an import, so its words are searched, shown and
// exported; if it cannot be read it is put back all the same, without
// text, and the audit detail says why. Indexing clerks; audited as a page
// correction.
func (ix Indexing) RestorePage(ctx context.Context, id string, left int) (Document, error) {
	ctx, d, err := ix.editable(ctx, id)
	if err != nil {
		return Document{}, err
	}
	if left < 0 || left >= len(d.Removed) {
		if len(d.Removed) == 0 {
			return Document{}, Invalidf("document %s has no left-out pages", id)
		}
		return Document{}, Invalidf("document %s has %d left-out pages", id, len(d.Removed))
	}
	parent := d.Version
	p := d.Removed[left]
	line := p.LeftOutLine()
	if p.Why() == LeftBlank && p.Text == "" {
		read, err := ix.readLeftOut(ctx, p)
		switch {
		case ctx.Err() != nil:
			return Document{}, ctx.Err()
		case err != nil:
			line += " (its text could not be read: " + err.Error() + ")"
		default:
			p = read
		}
	}
	d.Removed = slices.Delete(slices.Clone(d.Removed), left, left+1)
	at := restoreAt(d.Pages, p)
	p.LeftOut = ""
	d.Pages = slices.Insert(slices.Clone(d.Pages), at, p)
	d.Problems = slices.DeleteFunc(slices.Clone(d.Problems), isEmptyProblem)
	ix.edited(&d)
	return ix.s.docs.write(ctx, d, parent, AuditEvent{Action: ActDocEdit, Patient: d.MRN, Object: "document/" + d.ID,
		Detail: fmt.Sprintf("%s restored as page %d", line, at+1)})
}

// readLeftOut reads left-out page p again from its batch's original
// through the scan pipeline (PageAnalyzer) and stores what it found: the
// page as p with its text, word boxes, rotation and images as read now.
// Without a PageAnalyzer, p comes back as it is.
func (ix Indexing) readLeftOut(ctx context.Context, p DocPage) (DocPage, error) {
	pa, ok := ix.s.v.cfg.Analyzer.(PageAnalyzer)
	if !ok {
		return p, nil
	}
	blobs, keys, err := ix.s.docs.blobs()
	if err != nil {
		return p, err
	}
	b, err := readHead(ctx, ix.s, KindBatch, p.Batch, decodeBatch)
	if err != nil {
		return p, err
	}
	data, err := blobs.GetBlob(ctx, b.Original)
	if err != nil {
		return p, fmt.Errorf("original of %s: %w", b.Name, err)
	}
	a, err := pa.AnalyzePage(ctx, b.Name, data, p.Index)
	if err != nil {
		return p, err
	}
	a.Index = p.Index
	markArchiveIDs(&FileAnalysis{Pages: []PageAnalysis{a}}, ix.s.v.splitRules(ctx).ArchiveID)
	read, err := storePage(ctx, blobs, keys, b, a)
	if err != nil {
		return p, err
	}
	read.Turn, read.LeftOut = p.Turn, p.LeftOut
	return read, nil
}

// LeftOutPage returns a left-out page's image and text (0-based, in the
// order of Document.Removed), decrypted, for a person deciding whether to
// restore it. Audited as Documents.Page is: part of the document's opening.
func (ix Indexing) LeftOutPage(ctx context.Context, id string, left int) (PageContent, error) {
	ctx, d, err := ix.s.docs.openPage(ctx, id, useRead)
	if err != nil {
		return PageContent{}, err
	}
	if left < 0 || left >= len(d.Removed) {
		return PageContent{}, Invalidf("document %s has %d left-out pages", id, len(d.Removed))
	}
	d.Pages = d.Removed
	return ix.s.docs.pageContent(ctx, d, left)
}

// carryLeftOut moves from's left-out pages to into (merging documents).
func carryLeftOut(into, from *Document) {
	for _, p := range from.Removed {
		leaveOut(into, p, p.Why())
	}
	from.Removed = nil
}

// PageRef is one entry of a document in reading order: a page (Page, an
// index into Pages; Left is -1) or a left-out page in its place (Left, an
// index into Removed; Page is -1).
type PageRef struct{ Page, Left int }

// InOrder lists d's pages with its left-out pages where RestorePage would
// put them back, so a person sees the file's pages in their order.
func (d Document) InOrder() []PageRef {
	at := make([]int, len(d.Removed))
	for k, p := range d.Removed {
		at[k] = restoreAt(d.Pages, p)
	}
	out := make([]PageRef, 0, len(d.Pages)+len(d.Removed))
	for i := 0; i <= len(d.Pages); i++ {
		for k := range d.Removed {
			if at[k] == i {
				out = append(out, PageRef{Page: -1, Left: k})
			}
		}
		if i < len(d.Pages) {
			out = append(out, PageRef{Page: i, Left: -1})
		}
	}
	return out
}
