package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Documents is the viewing of a session's scanned documents: a patient's
// document list, opening a document and reading its pages and thumbnails,
// the viewer's header (whose chart it is), full-text search, the export
// of a searchable PDF, the second person's verification, and break-glass
// into the restricted chart a document is filed in. Every method goes
// through the guard in docaccess.go, checks the user's role and audits
// what it does, as the session does.
type Documents struct{ s *Session }

// Documents returns the session's document service.
func (s *Session) Documents() Documents { return Documents{s} }

// byTerm loads the documents the index holds for a term, leaving
// out those in charts the user may not open.
func (dc docStore) byTerm(ctx context.Context, term string) ([]Document, error) {
	ids, err := dc.s.charts.lookup(ctx, term)
	if err != nil {
		return nil, err
	}
	out, _, err := dc.visibleOnTwo(ctx, ids)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b Document) int {
		if c := b.Date.Compare(a.Date); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// OfPatient lists a patient's filed documents, newest date of
// service first. Audited as a chart read.
func (ds Documents) OfPatient(ctx context.Context, ref string) ([]Document, error) {
	ctx, p, err := ds.s.charts.open(ctx, PermDocRead, ActDocRead, ref)
	if err != nil {
		return nil, err
	}
	out, err := ds.s.docs.ofChart(ctx, p)
	if err != nil {
		return nil, err
	}
	return out, ds.s.audit(ctx, documentListEvent(p, out))
}

// ofChart reads the documents filed in chart p and in the records merged
// into it, each record's newest date of service first.
func (dc docStore) ofChart(ctx context.Context, p Patient) ([]Document, error) {
	var out []Document
	for _, id := range chartIDs(p) {
		docs, err := dc.byTerm(ctx, "doc:pat:"+id)
		if err != nil {
			return nil, err
		}
		out = append(out, docs...)
	}
	return out, nil
}

// documentListEvent is the audit event of a read of chart p's list of
// documents.
func documentListEvent(p Patient, list []Document) AuditEvent {
	return AuditEvent{Action: ActDocRead, Patient: p.MRN, Detail: fmt.Sprintf("document list: %d", len(list))}
}

// Open opens one document: one access, audited as one event that
// says what was opened (DocumentDescription). The reads of its pages that
// follow (Page) are part of this opening and add no event.
func (ds Documents) Open(ctx context.Context, id string) (Document, error) {
	ctx, d, err := ds.s.docs.open(ctx, id, useRead)
	if err != nil {
		return Document{}, err
	}
	ds.s.mu.Lock()
	ds.s.open = d.ID
	ds.s.mu.Unlock()
	return d, ds.s.docs.auditOpening(ctx, d)
}

// DocumentDescription is what an audit event of a document's opening
// keeps in its (encrypted) detail, for the access log to name the object:
// "lab-result, 2026-03-02, 3 pages" (type slug, date of service or
// "date not known", pages).
func DocumentDescription(d Document) string {
	date := "date not known"
	if !d.Date.IsZero() {
		date = d.Date.Format(time.DateOnly)
	}
	pages := fmt.Sprintf("%d pages", len(d.Pages))
	if len(d.Pages) == 1 {
		pages = "1 page"
	}
	return d.Type + ", " + date + ", " + pages
}

// auditOpening appends the one event of an opening of d. When it cannot
// be written, the session forgets that d is open, so the next page read
// tries again before it shows anything.
func (dc docStore) auditOpening(ctx context.Context, d Document) error {
	err := dc.s.audit(ctx, AuditEvent{Action: ActDocRead, Patient: d.MRN, Object: "document/" + d.ID, Detail: DocumentDescription(d)})
	if err != nil {
		dc.s.mu.Lock()
		if dc.s.open == d.ID {
			dc.s.open = ""
		}
		dc.s.mu.Unlock()
	}
	return err
}

// opening reports whether reading id starts a new access: id is not the
// document this session opened last. It then becomes that document.
func (dc docStore) opening(id string) bool {
	dc.s.mu.Lock()
	defer dc.s.mu.Unlock()
	if dc.s.open == id {
		return false
	}
	dc.s.open = id
	return true
}

// openPage opens a document for a read of one of its pages (open, for
// use): a page of the document this session opened last is part of that
// access; a page of any other document opens it, one audited access,
// written before the page is read.
func (dc docStore) openPage(ctx context.Context, id string, use docUse) (context.Context, Document, error) {
	ctx, d, err := dc.open(ctx, id, use)
	if err != nil {
		return ctx, Document{}, err
	}
	if dc.opening(d.ID) {
		if err := dc.auditOpening(ctx, d); err != nil {
			return ctx, Document{}, err
		}
	}
	return ctx, d, nil
}

// PageContent is a page's viewing image, text and word boxes, decrypted.
type PageContent struct {
	View, Thumb []byte
	Text        string
	Words       []Word
	// Turn is the clockwise turn a person asked for, for the viewer to
	// apply to View and Thumb.
	Turn int
}

// Page returns a page's image and text, decrypted. Every read
// goes through the guard. A page of the document this session opened
// last (Open, or an earlier page) is part of that access; a page of
// any other document opens it: one audited access, written before the
// page is read. Going back to a document after another is a new access.
func (ds Documents) Page(ctx context.Context, id string, page int) (PageContent, error) {
	ctx, d, err := ds.s.docs.openPage(ctx, id, useRead)
	if err != nil {
		return PageContent{}, err
	}
	return ds.s.docs.pageContent(ctx, d, page)
}

// PageThumbnail returns the thumbnail of one page of a patient's document,
// for the chart's document grid. Opening the chart's document list is the
// audited read; thumbnails shown with it are not audited one by one.
func (ds Documents) PageThumbnail(ctx context.Context, id string, page int) ([]byte, error) {
	ctx, d, err := ds.s.docs.open(ctx, id, useRead)
	if err != nil {
		return nil, err
	}
	if page < 0 || page >= len(d.Pages) || d.Pages[page].Thumb == "" {
		return nil, fmt.Errorf("%w: document %s has no page %d thumbnail", ErrNotFound, id, page+1)
	}
	blobs, _, err := ds.s.docs.blobs()
	if err != nil {
		return nil, err
	}
	return blobs.GetBlob(ctx, d.Pages[page].Thumb)
}

// Thumbnails returns the thumbnails of every page of a document
// (nil for a page without one), for the viewer's page strip: one read of
// the document and one access check for all of them. Like PageThumbnail,
// not audited page by page; opening the document is the audited read.
func (ds Documents) Thumbnails(ctx context.Context, id string) ([][]byte, error) {
	ctx, d, err := ds.s.docs.open(ctx, id, useRead)
	if err != nil {
		return nil, err
	}
	blobs, _, err := ds.s.docs.blobs()
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(d.Pages))
	for i, p := range d.Pages {
		if p.Thumb == "" {
			continue
		}
		if out[i], err = blobs.GetBlob(ctx, p.Thumb); err != nil {
			return nil, fmt.Errorf("thumbnail of page %d of document %s: %w", i+1, id, err)
		}
	}
	return out, nil
}

// pageContent decrypts one page of a document the caller has opened.
func (dc docStore) pageContent(ctx context.Context, d Document, page int) (PageContent, error) {
	if page < 0 || page >= len(d.Pages) {
		return PageContent{}, Invalidf("document %s has %d pages", d.ID, len(d.Pages))
	}
	blobs, _, err := dc.blobs()
	if err != nil {
		return PageContent{}, err
	}
	p := d.Pages[page]
	pc := PageContent{Turn: p.Turn}
	var text, words []byte
	for _, b := range []struct {
		id  string
		dst *[]byte
	}{{p.View, &pc.View}, {p.Thumb, &pc.Thumb}, {p.Text, &text}, {p.Words, &words}} {
		if b.id == "" {
			continue
		}
		if *b.dst, err = blobs.GetBlob(ctx, b.id); err != nil {
			return PageContent{}, fmt.Errorf("page %d of document %s: %w", page+1, d.ID, err)
		}
	}
	pc.Text = string(text)
	if len(words) > 0 {
		if err := json.Unmarshal(words, &pc.Words); err != nil {
			return PageContent{}, fmt.Errorf("word boxes of page %d of document %s: %w: %v", page+1, d.ID, ErrTampered, err)
		}
	}
	return pc, nil
}

// Verify records the quality check of a filed document by a
// second person (not the one who filed it).
func (ds Documents) Verify(ctx context.Context, id string) (Document, error) {
	ctx, d, err := ds.s.docs.open(ctx, id, useVerify)
	if err != nil {
		return Document{}, err
	}
	if d.Status != DocIndexed {
		return Document{}, Invalidf("document %s is %s; only filed documents are verified", id, d.Status)
	}
	if d.ChangedBy == ds.s.User().Name {
		return Document{}, Invalidf("a second person must verify what %s filed", d.ChangedBy)
	}
	parent := d.Version
	d.Status, d.VerifiedBy, d.QA = DocVerified, ds.s.User().Name, false
	return ds.s.docs.write(ctx, d, parent, AuditEvent{Action: ActDocVerify, Patient: d.MRN, Object: "document/" + d.ID})
}

// write commits a new version of a document, re-deriving its
// search tokens from its stored page text.
func (dc docStore) write(ctx context.Context, d Document, parent Version, e AuditEvent) (Document, error) {
	out, err := dc.writeAll(ctx, []Document{d}, []Version{parent}, e)
	if err != nil {
		return Document{}, err
	}
	return out[0], nil
}

// storedTexts decrypts the text of each of a document's pages.
func (dc docStore) storedTexts(ctx context.Context, d Document) ([]string, error) {
	blobs, _, err := dc.blobs()
	if err != nil {
		return nil, err
	}
	texts := make([]string, len(d.Pages))
	for i, p := range d.Pages {
		if p.Text == "" {
			continue
		}
		t, err := blobs.GetBlob(ctx, p.Text)
		if err != nil {
			return nil, fmt.Errorf("text of page %d of document %s: %w", i+1, d.ID, err)
		}
		texts[i] = string(t)
	}
	return texts, nil
}

// TextHit is one full-text search result.
type TextHit struct {
	Document Document
	Page     int    // 0-based page of the document
	Snippet  string // the words around the first match
}

// Search finds documents whose text holds every word of q, and
// each phrase of q in quotes as consecutive words, in one patient's chart
// (patientRef) or across the vault. Restricted charts are
// left out unless the user may open them. A document whose page text is
// missing or damaged is skipped and returned in skipped (its id): the
// search goes on, and `folio verify` says what to restore. Audited.
func (ds Documents) Search(ctx context.Context, q, patientRef string) (hits []TextHit, skipped []string, err error) {
	ctx, err = ds.s.require(ctx, PermDocRead, ActDocSearch, "")
	if err != nil {
		return nil, nil, err
	}
	words, phrases := textWords(q), queryPhrases(q)
	if len(words) == 0 {
		return nil, nil, nil
	}
	var sets [][]string
	for _, w := range words {
		ids, err := ds.s.charts.lookup(ctx, "dw:"+w)
		if err != nil {
			return nil, nil, err
		}
		sets = append(sets, ids)
	}
	mrn := ""
	if patientRef != "" {
		p, err := ds.s.charts.resolve(ctx, patientRef, true)
		if err != nil {
			return nil, nil, err
		}
		if err := ds.s.charts.canOpen(ctx, p, ActDocSearch); err != nil {
			return nil, nil, err
		}
		ids, err := ds.s.charts.lookup(ctx, "doc:pat:"+p.ID)
		if err != nil {
			return nil, nil, err
		}
		sets, mrn = append(sets, ids), p.MRN
	}
	blobs, _, err := ds.s.docs.blobs()
	if err != nil {
		return nil, nil, err
	}
	docs, _, err := ds.s.docs.visible(ctx, intersect(sets))
	if err != nil {
		return nil, nil, err
	}
	for _, d := range docs {
		for i, pg := range d.Pages {
			if pg.Text == "" && len(pg.Barcodes) == 0 {
				continue
			}
			var t []byte
			if pg.Text != "" {
				t, err = blobs.GetBlob(ctx, pg.Text)
				if errors.Is(err, ErrNotFound) || errors.Is(err, ErrTampered) {
					skipped = append(skipped, d.ID)
					break
				}
				if err != nil {
					return nil, nil, err
				}
			}
			// A page's barcode values are searched as lines after its text.
			if snip, ok := pageSnippet(string(t)+"\n"+codeText(pg.Barcodes), words, phrases); ok {
				hits = append(hits, TextHit{Document: d, Page: i, Snippet: snip})
				break
			}
		}
	}
	detail := fmt.Sprintf("%q: %d documents", q, len(hits))
	if len(skipped) > 0 {
		detail += fmt.Sprintf(", %d skipped (damaged page text)", len(skipped))
	}
	return hits, skipped, ds.s.audit(ctx, AuditEvent{Action: ActDocSearch, Patient: mrn, Detail: detail})
}

// snippet returns about 80 characters of text around the first word of
// words, when the text holds them all.
func snippet(text string, words []string) (string, bool) {
	have := textWords(text)
	for _, w := range words {
		if !slices.Contains(have, w) {
			return "", false
		}
	}
	at := max(0, strings.Index(strings.ToLower(text), words[0]))
	return snippetAt(text, at, at), true
}

// snippetAt returns the text from byte offset at to offset to, with about
// 40 characters on either side (80 in all for at == to).
func snippetAt(text string, at, to int) string {
	at = min(at, len(text))
	start, end := max(0, at-40), min(len(text), max(at+40, to+20))
	for start > 0 && text[start]&0xC0 == 0x80 {
		start--
	}
	for end < len(text) && text[end]&0xC0 == 0x80 {
		end++
	}
	s := strings.Join(strings.Fields(text[start:end]), " ")
	if start > 0 {
		s = "…" + s
	}
	if end < len(text) {
		s += "…"
	}
	return s
}

// ExportedPDF says what ExportPDF wrote.
type ExportedPDF struct {
	Title string // the PDF's title: the document type in words and the MRN
	Pages int
}

// ExportPDF decrypts every page of a document and writes it to w as a
// searchable PDF: each page's image under its words, titled with the
// document type and the patient's MRN. The export is audited with its
// destination, dest (a file name, a printer), before anything is written;
// the window and the command line both export through it.
func (ds Documents) ExportPDF(ctx context.Context, id, dest string, w io.Writer) (ExportedPDF, error) {
	if ds.s.v.cfg.PDF == nil {
		return ExportedPDF{}, errors.New("export a document: no PDF writer is wired")
	}
	ctx, d, err := ds.s.docs.open(ctx, id, useExport)
	if err != nil {
		return ExportedPDF{}, err
	}
	pages := make([]PDFPage, len(d.Pages))
	for i := range d.Pages {
		p, err := ds.s.docs.pageContent(ctx, d, i)
		if err != nil {
			return ExportedPDF{}, err
		}
		pages[i] = PDFPage{JPEG: p.View, WidthPx: d.Pages[i].Width, HeightPx: d.Pages[i].Height, DPI: 150,
			Words: p.Words, Text: p.Text, Turn: p.Turn}
	}
	if err := ds.s.audit(ctx, AuditEvent{Action: ActDocExport, Patient: d.MRN, Object: "document/" + d.ID,
		Detail: fmt.Sprintf("%d pages to %s", len(pages), dest)}); err != nil {
		return ExportedPDF{}, err
	}
	out := ExportedPDF{Title: DocTypeLabel(d.Type) + " " + d.MRN, Pages: len(pages)}
	if err := ds.s.v.cfg.PDF(w, out.Title, pages); err != nil {
		return ExportedPDF{}, fmt.Errorf("write the PDF of document %s: %w", d.ID, err)
	}
	return out, nil
}

// OpenedChart returns whose chart the open document (the last one
// Open opened, id) is filed in — name, sex, date of birth, MRN — for
// the viewer's header: a clinician must never wonder whose page they read.
// It is part of the opening (whose audit event names the patient), so it
// writes no event of its own; for another document it opens nothing.
func (ds Documents) OpenedChart(ctx context.Context, id string) (Patient, error) {
	ds.s.mu.Lock()
	open := ds.s.open
	ds.s.mu.Unlock()
	if open == "" || open != id {
		return Patient{}, Invalidf("document %s is not the one open", id)
	}
	ctx, d, err := ds.s.docs.open(ctx, id, useRead)
	if err != nil {
		return Patient{}, err
	}
	if d.PatientID == "" {
		return Patient{}, fmt.Errorf("%w: document %s is not filed to a patient yet", ErrNotFound, id)
	}
	p, _, err := ds.s.docs.chart(ctx, d) // the guard let this user open it
	return p, err
}

// FirstSteps says what an empty vault lacks, so the window can say what to
// do first: no patient registered, no document imported, no user but the
// first administrator. It stops at the first record of each kind (a
// question about the vault, not an access to a record: not audited).
type FirstSteps struct {
	NoPatients, NoDocuments, NoOtherUsers bool
}

// FirstSteps looks whether the vault holds any patient, any document and
// more than one user.
func (ds Documents) FirstSteps(ctx context.Context) (FirstSteps, error) {
	if _, err := ds.s.keyring(); err != nil {
		return FirstSteps{}, err
	}
	var f FirstSteps
	for _, k := range []struct {
		kind  Kind
		upTo  int
		empty *bool
	}{{KindPatient, 1, &f.NoPatients}, {KindDocument, 1, &f.NoDocuments}, {KindUser, 2, &f.NoOtherUsers}} {
		n := 0
		for _, err := range ds.s.records.Heads(ctx, k.kind) {
			if err != nil {
				return FirstSteps{}, err
			}
			if n++; n >= k.upTo {
				break
			}
		}
		*k.empty = n < k.upTo
	}
	return f, nil
}
