package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrScanningOff means this build or profile has no scan pipeline wired.
var ErrScanningOff = errors.New("scanning is not available on this workstation")

// MaxImportSize is the largest file the intake takes: 512 MB (binary
// megabytes, as a file manager counts them). A file is read whole into
// memory and the scan worker opens it whole, so the limit bounds what one
// import costs; the largest real scan batches are a few tens of MB. Files
// are refused by their size before they are read.
const MaxImportSize = 512 << 20

// ErrTooLarge is a file larger than MaxImportSize; the error is a
// *TooLargeError.
var ErrTooLarge = errors.New("too large")

// TooLargeError says how large a refused file is and what the limit is:
// "too large: 1.6 GB, the limit is 512 MB".
type TooLargeError struct {
	Size, Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("too large: %s, the limit is %s", byteSize(e.Size), byteSize(e.Limit))
}

func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// byteSize writes a size in binary units as a clerk reads them: 1.6 GB,
// 512 MB, 700 KB, 12 bytes.
func byteSize(n int64) string {
	const k = 1 << 10
	units := []string{"KB", "MB", "GB", "TB"}
	if n < k {
		return fmt.Sprintf("%d bytes", n)
	}
	v, u := float64(n)/k, 0
	for v >= k && u < len(units)-1 {
		v, u = v/k, u+1
	}
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) + " " + units[u]
}

// ImportResult is what became of one imported file.
type ImportResult struct {
	Batch     Batch
	Documents []Document
	// Duplicate is set when the same file was imported before: nothing new
	// was stored and Batch is the earlier import.
	Duplicate bool
	// Withheld counts the earlier import's documents that are filed in
	// charts this user may not open: they are left out of Documents and
	// their ids out of Batch.Documents (the answer says only that the file
	// is already filed somewhere the user cannot see).
	Withheld int
}

// blobs returns the session's sealed blob store.
func (dc docStore) blobs() (BlobStore, Keyring, error) {
	keys, err := dc.s.keyring()
	if err != nil {
		return nil, nil, err
	}
	if dc.s.v.cfg.Blobs == nil || dc.s.v.cfg.Analyzer == nil {
		return nil, nil, ErrScanningOff
	}
	aead, err := keys.BlobAEAD()
	if err != nil {
		return nil, nil, err
	}
	return dc.s.v.cfg.Blobs(aead), keys, nil
}

// Intake brings scanned files into the vault: it stores each original
// sealed before anything else, reads it through the scan pipeline, splits
// it into documents at cover and separator sheets, files what a cover
// sheet names and queues the rest for a person (Indexing), and resumes
// the imports a closed or crashed app left unfinished. Every method checks
// the user's role and audits what it does, as the session does.
type Intake struct{ s *Session }

// Intake returns the session's intake service.
func (s *Session) Intake() Intake { return Intake{s} }

// ImportFile brings one scanned file in. The original is stored encrypted
// and recorded before anything else happens, so nothing after that can
// lose a page; then the file is analysed, split at cover and separator
// sheets, and each document is filed (a cover sheet naming a known patient)
// or queued for a person. A file the pipeline cannot read is kept, with
// the reason, as a failed batch: that is a result, not an error.
func (in Intake) ImportFile(ctx context.Context, name, source string, data []byte) (ImportResult, error) {
	return in.ImportFileProgress(ctx, name, source, data, nil)
}

// ImportFileProgress is ImportFile reporting its progress to progress (may
// be nil). progress is called from the importing goroutine or the
// analyzer's goroutines, never twice at once for one import, in order; the
// last call is one of the final stages (filed, needs indexing, failed,
// duplicate) unless ctx ended.
//
// The reports: StageStored once the original is durable; then, page by
// page, StageRendering and StageOCR with the page and the count of pages
// done (pages read side by side interleave; an analyzer without progress
// reports none); StageFiling when every page is read; and last the
// outcome, reported once the batch's new state is committed. StageFailed
// comes with the batch's recorded reason when the file could not be read,
// and with the error's words when ImportFileProgress returns an error
// (then nothing, or only the original, was stored). StageDuplicate alone
// is reported for a file imported before, with that import's page count.
// progress must return quickly: a page's reader may wait for it.
func (in Intake) ImportFileProgress(ctx context.Context, name, source string, data []byte, progress func(ImportProgress)) (_ ImportResult, err error) {
	rep := newImportReport(progress)
	defer rep.failOn(ctx, &err)
	ctx, err = in.s.require(ctx, PermDocImport, ActDocImport, "")
	if err != nil {
		return ImportResult{}, err
	}
	if len(data) > MaxImportSize {
		return ImportResult{}, fmt.Errorf("%s: %w", name, &TooLargeError{Size: int64(len(data)), Limit: MaxImportSize})
	}
	blobs, keys, err := in.s.docs.blobs()
	if err != nil {
		return ImportResult{}, err
	}
	b, dup, err := in.storeOriginal(ctx, blobs, keys, name, source, data)
	if err != nil {
		return ImportResult{}, err
	}
	if dup && b.Status == BatchStored {
		// An earlier import stored this file but stopped before reading it
		// (the app was closed or crashed): read it now. If another import
		// or resume finishes it first, the commit conflicts and this one
		// answers as a duplicate of that.
		rep.stage(StageStored)
		r, err := in.analyse(ctx, blobs, keys, b, data, rep)
		if !errors.Is(err, ErrConflict) {
			return r, err
		}
		if b, _, err = in.batchByOriginal(ctx, b.Original); err != nil {
			return ImportResult{}, err
		}
	}
	if dup {
		r, err := in.duplicateOf(ctx, b)
		if err != nil {
			return ImportResult{}, err
		}
		rep.read(b.Pages)
		rep.finish(StageDuplicate, "")
		return r, nil
	}
	rep.stage(StageStored)
	return in.analyse(ctx, blobs, keys, b, data, rep)
}

// storeOriginal stores a file's original and its batch record, or finds
// the batch of an earlier import of the same content (dup). Imports run
// side by side, so the check and the store are one step under the
// vault's intake lock.
func (in Intake) storeOriginal(ctx context.Context, blobs BlobStore, keys Keyring, name, source string, data []byte) (b Batch, dup bool, err error) {
	orig := blobID(keys, "orig", data)
	in.s.v.intake.Lock()
	defer in.s.v.intake.Unlock()
	if prev, ok, err := in.batchByOriginal(ctx, orig); err != nil || ok {
		return prev, ok, err
	}
	if err := blobs.PutBlob(ctx, orig, data); err != nil {
		return Batch{}, false, fmt.Errorf("store %s: %w", name, err)
	}
	b = Batch{ID: newID(), Name: name, Source: source, Original: orig, Size: int64(len(data)),
		Status: BatchStored, Imported: in.s.v.now(), Operator: in.s.User().Name, Device: in.s.v.cfg.Device.String()}
	vs, err := in.s.commitVersions(ctx, []RecordWrite{in.s.encode.batch(b, Version{})},
		AuditEvent{Action: ActDocImport, Object: "batch/" + b.ID, Detail: fmt.Sprintf("%s (%d bytes) stored", name, len(data))}, nil)
	if err != nil {
		return Batch{}, false, fmt.Errorf("record %s: %w", name, err)
	}
	b.Version = vs[0]
	return b, false, nil
}

// ResumeImports finishes the batches whose original was stored but whose
// analysis did not complete (the app was closed or crashed), oldest first.
func (in Intake) ResumeImports(ctx context.Context) ([]ImportResult, error) {
	return in.ResumeImportsProgress(ctx, nil)
}

// ResumeImportsProgress is ResumeImports reporting each batch's progress
// to progress (may be nil) as ImportFileProgress does, with the batch as
// it was found (status stored; its ID tells two files of one name apart).
// Each batch's reports start with StageStored and, unless ctx ended, end
// with one final stage; a batch that fails with an error is reported
// failed, and ResumeImportsProgress stops there and returns the error.
// Batches are resumed one after the other, so calls never overlap.
func (in Intake) ResumeImportsProgress(ctx context.Context, progress func(b Batch, p ImportProgress)) ([]ImportResult, error) {
	ctx, err := in.s.require(ctx, PermDocImport, ActDocImport, "")
	if err != nil {
		return nil, err
	}
	blobs, keys, err := in.s.docs.blobs()
	if err != nil {
		return nil, err
	}
	ids, err := in.s.charts.lookup(ctx, "batch:status:"+string(BatchStored))
	if err != nil {
		return nil, err
	}
	var out []ImportResult
	for _, id := range ids {
		rec, err := in.s.records.Head(ctx, KindBatch, id)
		if err != nil {
			return out, err
		}
		b, err := decodeBatch(rec)
		if err != nil {
			return out, err
		}
		r, err := in.resume(ctx, blobs, keys, b, progress)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// resume finishes one stored batch, reporting to progress.
func (in Intake) resume(ctx context.Context, blobs BlobStore, keys Keyring, b Batch, progress func(Batch, ImportProgress)) (_ ImportResult, err error) {
	var rep *importReport
	if progress != nil {
		rep = newImportReport(func(p ImportProgress) { progress(b, p) })
	}
	defer rep.failOn(ctx, &err)
	rep.stage(StageStored)
	data, err := blobs.GetBlob(ctx, b.Original)
	if err != nil {
		return ImportResult{}, fmt.Errorf("resume %s: %w", b.Name, err)
	}
	return in.analyse(ctx, blobs, keys, b, data, rep)
}

func (in Intake) batchByOriginal(ctx context.Context, orig string) (Batch, bool, error) {
	ids, err := in.s.charts.lookup(ctx, "batch:orig:"+orig)
	if err != nil || len(ids) == 0 {
		return Batch{}, false, err
	}
	rec, err := in.s.records.Head(ctx, KindBatch, ids[0])
	if err != nil {
		return Batch{}, false, err
	}
	b, err := decodeBatch(rec)
	return b, err == nil, err
}

func (ec encoder) batch(b Batch, parent Version) RecordWrite {
	data, _ := json.Marshal(b)
	toks, _ := ec.tokens([]string{"batch:orig:" + b.Original, "batch:status:" + string(b.Status)})
	return RecordWrite{Kind: KindBatch, ID: b.ID, Parent: parent, Data: data, Tokens: toks}
}

// analyse runs the pipeline on a stored batch and commits its documents
// together with the batch's new status, reporting to rep (may be nil) from
// the first page to the final stage.
func (in Intake) analyse(ctx context.Context, blobs BlobStore, keys Keyring, b Batch, data []byte, rep *importReport) (ImportResult, error) {
	var fa FileAnalysis
	var aerr error
	if pa, ok := in.s.v.cfg.Analyzer.(ProgressAnalyzer); ok && rep != nil {
		fa, aerr = pa.AnalyzeProgress(ctx, b.Name, data, rep.page)
	} else {
		fa, aerr = in.s.v.cfg.Analyzer.Analyze(ctx, b.Name, data)
	}
	warning := cutShort(data)
	if aerr == nil && warning != "" && !hasContent(fa) {
		aerr = errors.New(warning)
	}
	if aerr != nil {
		if ctx.Err() != nil {
			return ImportResult{}, ctx.Err() // stopping: the batch stays "stored" and resumes later
		}
		parent := b.Version
		b.Status, b.Error = BatchFailed, clerkReason(aerr)
		vs, err := in.s.commitVersions(ctx, []RecordWrite{in.s.encode.batch(b, parent)},
			AuditEvent{Action: ActDocImport, Object: "batch/" + b.ID, Outcome: OutcomeFailed, Detail: b.Name + ": " + b.Error}, nil)
		if err != nil {
			return ImportResult{}, err
		}
		b.Version = vs[0]
		rep.finish(StageFailed, b.Error)
		return ImportResult{Batch: b}, nil
	}
	rep.read(len(fa.Pages))
	rep.stage(StageFiling)
	rules := in.s.v.splitRules(ctx)
	markArchiveIDs(&fa, rules.ArchiveID)
	pages := make(map[int]DocPage, len(fa.Pages))
	texts := make(map[int]string, len(fa.Pages))
	for _, p := range fa.Pages {
		dp, err := storePage(ctx, blobs, keys, b, p)
		if err != nil {
			return ImportResult{}, err
		}
		pages[p.Index], texts[p.Index] = dp, p.Text
	}
	now := in.s.v.now()
	prov := Provenance{Operator: b.Operator, Source: b.Source, Device: b.Device, Scanned: b.Imported}
	var docs []Document
	var writes []RecordWrite
	filed := 0
	for _, draft := range rules.Split(fa) {
		d := Document{ID: newID(), Status: DocQueued, Problems: draft.Problems, Provenance: prov,
			Changed: now, ChangedBy: in.s.User().Name}
		if warning != "" {
			d.Problems = append(d.Problems, warning)
		}
		var text strings.Builder
		var codes []Barcode
		for _, i := range draft.Pages {
			d.Pages = append(d.Pages, pages[i])
			text.WriteString(texts[i])
			text.WriteString("\n")
			codes = append(codes, fa.Pages[i].Barcodes...)
		}
		d.ArchiveIDs = pageArchiveIDs(d.Pages)
		for _, l := range draft.Left {
			leaveOut(&d, pages[l.Index], l.Why)
		}
		if len(d.Pages) == 0 {
			d.Problems = append(d.Problems, emptyProblem(d.Removed))
		}
		if err := in.propose(ctx, &d, draft.Cover, text.String(), codes, now); err != nil {
			return ImportResult{}, err
		}
		if d.Status == DocIndexed {
			filed++
		}
		w, err := in.s.encode.document(d, Version{}, pageTexts(d, texts))
		if err != nil {
			return ImportResult{}, err
		}
		docs, writes = append(docs, d), append(writes, w)
		b.Documents = append(b.Documents, d.ID)
	}
	parent := b.Version
	b.Status, b.Format, b.Pages = BatchAnalysed, fa.Format, len(fa.Pages)
	writes = append(writes, in.s.encode.batch(b, parent))
	vs, err := in.s.commitVersions(ctx, writes, AuditEvent{Action: ActDocImport, Object: "batch/" + b.ID,
		Detail: fmt.Sprintf("%s: %d pages, %d documents, %d filed, %d queued", b.Name, len(fa.Pages), len(docs), filed, len(docs)-filed)}, nil)
	if err != nil {
		return ImportResult{}, fmt.Errorf("file the documents of %s: %w", b.Name, err)
	}
	for i := range docs {
		docs[i].Version = vs[i]
	}
	b.Version = vs[len(vs)-1]
	if filed == len(docs) {
		rep.finish(StageFiled, "")
	} else {
		rep.finish(StageNeedsIndexing, "")
	}
	return ImportResult{Batch: b, Documents: docs}, nil
}

// storePage stores what the pipeline found on page p of batch b — its
// images, text and word boxes, sealed — and returns it as a DocPage.
func storePage(ctx context.Context, blobs BlobStore, keys Keyring, b Batch, p PageAnalysis) (DocPage, error) {
	dp := DocPage{Batch: b.ID, Index: p.Index, TextSource: p.TextSource, Confidence: p.Confidence,
		Rotation: p.Rotation, Width: p.Width, Height: p.Height, Barcodes: p.Barcodes}
	for _, blob := range []struct {
		kind string
		data []byte
		dst  *string
	}{{"view", p.View, &dp.View}, {"thumb", p.Thumbnail, &dp.Thumb}, {"text", []byte(p.Text), &dp.Text},
		{"words", wordsJSON(p.Words), &dp.Words}} {
		if len(blob.data) == 0 {
			continue
		}
		*blob.dst = blobID(keys, blob.kind, blob.data)
		if err := blobs.PutBlob(ctx, *blob.dst, blob.data); err != nil {
			return DocPage{}, fmt.Errorf("store page %d of %s: %w", p.Index+1, b.Name, err)
		}
	}
	return dp, nil
}

// proposeByNameAndBirth looks for a registered patient whose date of birth
// is written in the text and whose family name and a given name are there
// too. Exactly one such patient is proposed; several, or none, propose
// nobody (a person decides).
func (in Intake) proposeByNameAndBirth(ctx context.Context, text string, now time.Time) (Proposal, error) {
	words := map[string]bool{}
	for _, w := range nameWords(text) {
		words[w] = true
	}
	found := map[string]Patient{}
	for _, dob := range findDates(text, now, false) {
		ids, err := in.s.charts.lookup(ctx, "dob:"+dob.Format(time.DateOnly))
		if err != nil {
			return Proposal{}, err
		}
		for _, id := range ids {
			p, err := in.s.charts.head(ctx, id)
			if err != nil {
				return Proposal{}, err
			}
			if p.MergedInto == "" && !p.Deleted && allIn(nameWords(p.Family), words) && anyIn(nameWords(p.Given+" "+strings.Join(p.OtherNames, " ")), words) {
				found[p.ID] = p
			}
		}
	}
	if len(found) != 1 {
		return Proposal{}, nil
	}
	for _, p := range found {
		return Proposal{Value: p.MRN, Confidence: 0.6, Reason: fmt.Sprintf("the page names %s %s, born %s",
			strings.ToUpper(p.Family), p.Given, p.BirthDate)}, nil
	}
	return Proposal{}, nil
}

func allIn(ws []string, set map[string]bool) bool {
	for _, w := range ws {
		if !set[w] {
			return false
		}
	}
	return len(ws) > 0
}

func anyIn(ws []string, set map[string]bool) bool {
	for _, w := range ws {
		if set[w] {
			return true
		}
	}
	return false
}

// cutShort warns about a PDF whose end is missing (a copy or transfer cut
// short): MuPDF repairs what it can, so pages may be missing or blank.
func cutShort(data []byte) string {
	if !bytes.HasPrefix(data, []byte("%PDF-")) {
		return ""
	}
	tail := data[max(0, len(data)-1024):]
	if bytes.Contains(tail, []byte("%%EOF")) {
		return ""
	}
	return "the PDF looks cut short (its end is missing): pages may be missing or incomplete; scan or copy it again"
}

// hasContent reports whether any page of a file is not blank.
func hasContent(fa FileAnalysis) bool {
	for _, p := range fa.Pages {
		if !p.Blank {
			return true
		}
	}
	return false
}

// wordsJSON encodes a page's word boxes for their blob; none is nil.
func wordsJSON(words []Word) []byte {
	if len(words) == 0 {
		return nil
	}
	b, _ := json.Marshal(words)
	return b
}

func pageTexts(d Document, texts map[int]string) []string {
	out := make([]string, len(d.Pages))
	for i, p := range d.Pages {
		out[i] = texts[p.Index]
	}
	return out
}

// propose fills a new document's patient, type and date from its cover
// sheet or, failing that, from its text, and files it when a cover sheet
// names a known patient and nothing needs a person's eye.
func (in Intake) propose(ctx context.Context, d *Document, cover *CoverSheet, text string, codes []Barcode, now time.Time) error {
	if cover != nil {
		d.Expected = cover.Pages
		d.ProposedType = Proposal{Value: cover.Type, Reason: "cover sheet", Confidence: 1}
		if !cover.Date.IsZero() {
			d.ProposedDate = Proposal{Value: cover.Date.Format(time.DateOnly), Reason: "cover sheet", Confidence: 1}
		}
		p, err := in.s.charts.resolve(ctx, cover.MRN, true)
		switch {
		case err == nil:
			d.ProposedPatient = Proposal{Value: p.MRN, Reason: "cover sheet", Confidence: 1}
			if len(d.Pages) > 0 { // a document of no pages is in no chart until a person files it
				d.PatientID, d.MRN = p.ID, p.MRN
			}
		case errors.Is(err, ErrNotFound):
			d.Orphan, d.MRN = true, cover.MRN
			d.ProposedPatient = Proposal{Value: cover.MRN, Reason: "cover sheet names " + cover.MRN + ", which is not in the patient index", Confidence: 0}
		default:
			return err
		}
	} else {
		for _, mrn := range FindMRNs(text, codes) {
			p, err := in.s.charts.resolve(ctx, mrn, true)
			if errors.Is(err, ErrNotFound) {
				d.Orphan = true
				d.ProposedPatient = Proposal{Value: mrn, Reason: "the page shows " + mrn + ", which is not in the patient index"}
				continue
			}
			if err != nil {
				return err
			}
			d.Orphan = false
			d.ProposedPatient = Proposal{Value: p.MRN, Reason: "the page shows MRN " + mrn, Confidence: 0.8}
			break
		}
		if d.ProposedPatient.Value == "" {
			prop, err := in.proposeByNameAndBirth(ctx, text, now)
			if err != nil {
				return err
			}
			d.ProposedPatient = prop
		}
	}
	if d.ProposedType.Value == "" {
		d.ProposedType = in.proposeType(ctx, text)
	}
	if d.ProposedDate.Value == "" {
		if dates := FindDates(text, now); len(dates) > 0 {
			d.ProposedDate = Proposal{Value: dates[0].Format(time.DateOnly), Reason: "first date in the text", Confidence: 0.5}
		}
	}
	d.Type = d.ProposedType.Value
	if d.ProposedDate.Value != "" {
		d.Date, _ = time.Parse(time.DateOnly, d.ProposedDate.Value)
	}
	if cover != nil && d.PatientID != "" && len(d.Pages) > 0 {
		d.Status = DocIndexed
		if err := in.s.docs.chooseForQA(ctx, d); err != nil {
			return err
		}
	}
	return nil
}

// document encodes a document version with its index tokens: its
// patient, status, batch, and a blind token per distinct word of its text
// and of its pages' barcode values, for full-text search.
func (ec encoder) document(d Document, parent Version, texts []string) (RecordWrite, error) {
	d.ArchiveIDs = pageArchiveIDs(d.Pages)
	terms := []string{"doc:status:" + string(d.Status)}
	if d.PatientID != "" && d.Status != DocMerged {
		terms = append(terms, "doc:pat:"+d.PatientID)
	}
	if d.Orphan {
		terms = append(terms, "doc:orphan")
	}
	if d.QA && d.Status == DocIndexed {
		terms = append(terms, "doc:qa")
	}
	seen := map[string]bool{}
	for _, p := range d.Pages {
		if !seen["doc:batch:"+p.Batch] {
			seen["doc:batch:"+p.Batch] = true
			terms = append(terms, "doc:batch:"+p.Batch)
		}
	}
	texts = slices.Clip(texts) // the codes' text must not land in the caller's array
	for _, p := range d.Pages {
		texts = append(texts, codeText(p.Barcodes))
	}
	for _, t := range texts {
		for _, w := range textWords(t) {
			if !seen[w] {
				seen[w] = true
				terms = append(terms, "dw:"+w)
			}
		}
	}
	return ec.write(KindDocument, d.ID, parent, d, terms)
}

// textWords splits page text into normalised search words (letters and
// digits, accents folded, 2 to 40 characters), without duplicates; a word
// hyphenated over a line end is there whole and as its parts.
func textWords(text string) []string {
	var out []string
	seen := map[string]bool{}
	seq := textSequence(text)
	for i, w := range seq.words {
		for _, w := range []string{w, seq.joined[i]} {
			if w != "" && len(w) <= 40 && !seen[w] {
				seen[w] = true
				out = append(out, w)
			}
		}
	}
	return out
}

// nameWordsOrDigits folds accents of a word; digits stay.
func nameWordsOrDigits(f string) []string {
	if strings.IndexFunc(f, func(r rune) bool { return r > 127 }) < 0 {
		return []string{f}
	}
	return nameWords(f)
}

// duplicateOf answers the import of a file imported before: the earlier
// batch and its documents, in page order, less those filed in charts the
// user may not open (counted in Withheld, their ids dropped from the
// batch, the refusal audited under each such chart's patient).
func (in Intake) duplicateOf(ctx context.Context, b Batch) (ImportResult, error) {
	docs, withheld, err := in.s.docs.visible(ctx, b.Documents)
	if err != nil {
		return ImportResult{}, err
	}
	firstPage := func(d Document) int {
		if len(d.Pages) == 0 {
			return -1 // merged into another document: empty
		}
		return d.Pages[0].Index
	}
	slices.SortStableFunc(docs, func(a, b Document) int { return firstPage(a) - firstPage(b) })
	b.Documents = make([]string, len(docs))
	for i, d := range docs {
		b.Documents[i] = d.ID
	}
	in.s.docs.auditWithheld(ctx, ActDocImport, "batch/"+b.ID, withheld, "the same file was imported before and filed here")
	return ImportResult{Batch: b, Documents: docs, Duplicate: true, Withheld: len(withheld)}, nil
}
