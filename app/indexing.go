package app

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Indexing is the work on documents after intake: the indexing queue and
// its orphans, filing a document to a patient (and taking a filing back),
// the indexing clerk's corrections to a document's pages (order, turn,
// removal and restoring of left-out pages, split, merge, duplex
// collation), and the QA check of filed documents, sampled. Every change
// is a new version of the document and is audited; every method checks
// the user's role, as the session does.
type Indexing struct{ s *Session }

// Indexing returns the session's indexing service.
func (s *Session) Indexing() Indexing { return Indexing{s} }

// Queue lists the documents waiting for a person (oldest scan first);
// orphans (naming a patient the index does not know) are among them.
func (ix Indexing) Queue(ctx context.Context) ([]Document, error) {
	return ix.documentList(ctx, PermDocIndex, "doc:status:"+string(DocQueued), "indexing queue")
}

// Orphans lists the waiting documents whose cover sheet, barcode or text
// names a patient the index does not know, for the records clerk to
// resolve (register the patient, or correct the MRN), oldest scan first.
func (ix Indexing) Orphans(ctx context.Context) ([]Document, error) {
	return ix.documentList(ctx, PermDocIndex, "doc:orphan", "orphan list")
}

// WorkCounts is how many documents wait for a person: in the indexing
// queue (Orphans of them name a patient the index does not know) and in
// QA. A count the user's role does not work on is -1.
type WorkCounts struct {
	Queue, Orphans, QA int
}

// WorkCounts counts the documents waiting for the user's role from the
// index alone, opening none of them, for the sidebar. A count names no
// patient and shows nothing of a record, so it is not an audited access.
func (ix Indexing) WorkCounts(ctx context.Context) (WorkCounts, error) {
	c := WorkCounts{Queue: -1, Orphans: -1, QA: -1}
	role := ix.s.User().Roles
	for _, n := range []struct {
		perm Permission
		term string
		to   *int
	}{
		{PermDocIndex, "doc:status:" + string(DocQueued), &c.Queue},
		{PermDocIndex, "doc:orphan", &c.Orphans},
		{PermDocVerify, "doc:qa", &c.QA},
	} {
		if !role.Can(n.perm) {
			continue
		}
		ids, err := ix.s.charts.lookup(ctx, n.term)
		if err != nil {
			return c, err
		}
		*n.to = len(ids)
	}
	return c, nil
}

// documentList lists the documents an index term holds, oldest scan
// first, for a user with perm (leaving out those in charts the user may
// not open); the listing is audited under its name.
func (ix Indexing) documentList(ctx context.Context, perm Permission, term, name string) ([]Document, error) {
	ctx, err := ix.s.require(ctx, perm, ActDocRead, "")
	if err != nil {
		return nil, err
	}
	docs, err := ix.s.docs.byTerm(ctx, term)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(docs, func(a, b Document) int { return a.Provenance.Scanned.Compare(b.Provenance.Scanned) })
	return docs, ix.s.audit(ctx, AuditEvent{Action: ActDocRead, Detail: fmt.Sprintf("%s: %d", name, len(docs))})
}

// FileParams are what an indexing clerk confirms for a queued document.
type FileParams struct {
	Patient string    // MRN or id
	Type    string    // document type slug
	Date    time.Time // date of service; zero keeps the proposal
}

// FileDocument files a queued (or corrects a filed) document: patient,
// type, date. The correction is a new version; audited.
func (ix Indexing) FileDocument(ctx context.Context, id string, fp FileParams) (Document, error) {
	ctx, d, err := ix.s.docs.open(ctx, id, useFile)
	if err != nil {
		return Document{}, err
	}
	if len(d.Pages) == 0 && d.Status != DocMerged {
		return Document{}, Invalidf("document %s has no pages (%s): restore a page with content before filing it, or merge it into another document",
			id, emptyProblem(d.Removed))
	}
	p, err := ix.s.charts.resolve(ctx, fp.Patient, true)
	if err != nil {
		return Document{}, err
	}
	if !validSlug(fp.Type) {
		return Document{}, Invalidf("document type %q: use one of %s", fp.Type, strings.Join(DocumentTypes, ", "))
	}
	parent := d.Version
	d.PatientID, d.MRN, d.Type, d.Orphan = p.ID, p.MRN, fp.Type, false
	if !fp.Date.IsZero() {
		d.Date = fp.Date
	}
	d.Status, d.VerifiedBy = DocIndexed, ""
	d.Changed, d.ChangedBy = ix.s.v.now(), ix.s.User().Name
	if err := ix.s.docs.chooseForQA(ctx, &d); err != nil {
		return Document{}, err
	}
	return ix.s.docs.write(ctx, d, parent, AuditEvent{Action: ActDocFile, Patient: p.MRN, Object: "document/" + d.ID,
		Detail: fmt.Sprintf("%s, %s", d.Type, d.Date.Format(time.DateOnly))})
}

const metaQASample = "settings/qa-sample"

// defaultQASample is the share of filed documents, in percent, chosen for
// the second-person check when no setting says otherwise.
const defaultQASample = 10

// SetQASampling sets the share (0 to 100 percent) of filed documents a
// second person checks. Documents with a problem are always checked.
// Records managers; audited.
func (ix Indexing) SetQASampling(ctx context.Context, percent int) error {
	ctx, err := ix.s.require(ctx, PermDocVerify, ActSettings, "")
	if err != nil {
		return err
	}
	if percent < 0 || percent > 100 {
		return Invalidf("QA sampling %d%%: choose between 0 and 100", percent)
	}
	return ix.s.commit(ctx, nil, AuditEvent{Action: ActSettings, Detail: fmt.Sprintf("QA sampling %d%%", percent)},
		map[string][]byte{metaQASample: []byte(strconv.Itoa(percent))}, nil)
}

// QASampling returns the share of filed documents, in percent, chosen for
// the second-person check (default 10).
func (v *Vault) QASampling(ctx context.Context) int {
	b, err := v.cfg.Meta.GetMeta(ctx, metaQASample)
	if err != nil {
		return defaultQASample
	}
	n, err := strconv.Atoi(string(b))
	if err != nil || n < 0 || n > 100 {
		return defaultQASample
	}
	return n
}

// chooseForQA marks a document that is being filed for the QA check: always
// when something about it needs a look, else by sampling. The draw is a
// keyed hash of the document id, so it is the same on every workstation
// and cannot be predicted by the person filing.
func (dc docStore) chooseForQA(ctx context.Context, d *Document) error {
	if len(d.Problems) > 0 {
		d.QA = true
		return nil
	}
	keys, err := dc.s.keyring()
	if err != nil {
		return err
	}
	draw := binary.BigEndian.Uint32(keys.Token([]byte("qa:" + d.ID))[:4])
	d.QA = int(draw%100) < dc.s.v.QASampling(ctx)
	return nil
}

// QAQueue lists the filed documents chosen for the second-person check,
// oldest scan first.
func (ix Indexing) QAQueue(ctx context.Context) ([]Document, error) {
	return ix.documentList(ctx, PermDocVerify, "doc:qa", "QA queue")
}

// FiledPatient opens the registration of the patient whose chart a
// document is filed in, for the QA check that its pages belong to that
// patient: a read of the patient, audited as one and naming the document
// checked. For those who check filings (and may read patients).
func (ix Indexing) FiledPatient(ctx context.Context, docID string) (Patient, error) {
	ctx, err := ix.s.require(ctx, PermPatientRead, ActPatientRead, "")
	if err != nil {
		return Patient{}, err
	}
	ctx, d, err := ix.s.docs.open(ctx, docID, useVerify)
	if err != nil {
		return Patient{}, err
	}
	if d.PatientID == "" {
		return Patient{}, fmt.Errorf("%w: document %s is not filed to a patient yet", ErrNotFound, docID)
	}
	p, _, err := ix.s.docs.chart(ctx, d) // the guard above let this user open it
	if err != nil {
		return Patient{}, err
	}
	return p, ix.s.audit(ctx, AuditEvent{Action: ActPatientRead, Patient: p.MRN, Object: objectRef(p),
		Detail: "QA check of a filed document: " + DocumentDescription(d)})
}

// SendBack returns a filed document from QA to the indexing queue with the
// checker's reason (shown to the indexer as a problem). Audited.
func (ix Indexing) SendBack(ctx context.Context, id, reason string) (Document, error) {
	reason = strings.TrimSpace(reason)
	ctx, d, err := ix.s.docs.open(ctx, id, useVerify)
	if err != nil {
		return Document{}, err
	}
	if reason == "" {
		return Document{}, Invalidf("say what is wrong, for the indexer")
	}
	if d.Status != DocIndexed && d.Status != DocVerified {
		return Document{}, Invalidf("document %s is %s; only filed documents are sent back", id, d.Status)
	}
	parent := d.Version
	d.Status, d.QA, d.VerifiedBy = DocQueued, false, ""
	d.Problems = append(d.Problems, "sent back by "+ix.s.User().Name+": "+reason)
	d.Changed, d.ChangedBy = ix.s.v.now(), ix.s.User().Name
	return ix.s.docs.write(ctx, d, parent, AuditEvent{Action: ActDocVerify, Patient: d.MRN, Object: "document/" + d.ID,
		Detail: "sent back: " + reason})
}

// UndoFiling takes back a filing its clerk made, until QA has verified
// it: the document returns to the indexing queue with what it was filed
// as proposed again (patient, type; its date kept), and the undo is
// audited under the patient it had been filed to. Only the clerk who filed
// it may undo it; anyone else's correction goes through QA (SendBack).
func (ix Indexing) UndoFiling(ctx context.Context, id string) (Document, error) {
	ctx, d, err := ix.s.docs.open(ctx, id, useFile)
	if err != nil {
		return Document{}, err
	}
	switch {
	case d.Status == DocVerified:
		return Document{}, Invalidf("QA has verified document %s (by %s), so its filing cannot be undone: correct it by filing it again",
			id, d.VerifiedBy)
	case d.Status != DocIndexed:
		return Document{}, Invalidf("document %s is %s, not filed: there is no filing to undo", id, d.Status)
	case d.ChangedBy != ix.s.User().Name:
		return Document{}, Invalidf("%s filed document %s; only they can undo it (QA can send it back)", d.ChangedBy, id)
	}
	parent, mrn := d.Version, d.MRN
	d.ProposedPatient = Proposal{Value: d.MRN, Reason: "filed there, then undone", Confidence: 1}
	d.ProposedType = Proposal{Value: d.Type, Reason: "filed as this, then undone", Confidence: 1}
	d.PatientID, d.MRN, d.Status, d.QA, d.VerifiedBy = "", "", DocQueued, false, ""
	d.Changed, d.ChangedBy = ix.s.v.now(), ix.s.User().Name
	return ix.s.docs.write(ctx, d, parent, AuditEvent{Action: ActDocFile, Patient: mrn, Object: "document/" + d.ID,
		Detail: "filing undone: back to the queue"})
}

// editable reads a document an indexing clerk may change.
func (ix Indexing) editable(ctx context.Context, id string) (context.Context, Document, error) {
	ctx, d, err := ix.s.docs.open(ctx, id, useEdit)
	if err != nil {
		return ctx, Document{}, err
	}
	if d.Status == DocMerged {
		return ctx, Document{}, Invalidf("document %s was merged into %s; change that one", id, d.MergedInto)
	}
	return ctx, d, nil
}

// edited stamps a changed document: a verified document goes back to
// filed (and to QA), since what was checked has changed.
func (ix Indexing) edited(d *Document) {
	d.Changed, d.ChangedBy = ix.s.v.now(), ix.s.User().Name
	if d.Status == DocVerified {
		d.Status, d.VerifiedBy, d.QA = DocIndexed, "", true
	}
}

// ReorderPages puts a document's pages in a new order: order lists every
// current page (0-based) once, in the order wanted.
func (ix Indexing) ReorderPages(ctx context.Context, id string, order []int) (Document, error) {
	ctx, d, err := ix.editable(ctx, id)
	if err != nil {
		return Document{}, err
	}
	if len(order) != len(d.Pages) {
		return Document{}, Invalidf("the new order names %d pages; document %s has %d", len(order), id, len(d.Pages))
	}
	seen := make([]bool, len(d.Pages))
	pages := make([]DocPage, 0, len(d.Pages))
	for _, i := range order {
		if i < 0 || i >= len(d.Pages) || seen[i] {
			return Document{}, Invalidf("page %d is out of range or named twice", i+1)
		}
		seen[i] = true
		pages = append(pages, d.Pages[i])
	}
	parent := d.Version
	d.Pages = pages
	ix.edited(&d)
	return ix.s.docs.write(ctx, d, parent, AuditEvent{Action: ActDocEdit, Patient: d.MRN, Object: "document/" + d.ID,
		Detail: "pages reordered: " + pageList(order)})
}

// TurnPage turns one page a further quarter-turns×90° clockwise (negative
// turns anticlockwise).
func (ix Indexing) TurnPage(ctx context.Context, id string, page, quarterTurns int) (Document, error) {
	ctx, d, err := ix.editable(ctx, id)
	if err != nil {
		return Document{}, err
	}
	if page < 0 || page >= len(d.Pages) {
		return Document{}, Invalidf("document %s has %d pages", id, len(d.Pages))
	}
	parent := d.Version
	d.Pages[page].Turn = ((d.Pages[page].Turn+quarterTurns*90)%360 + 360) % 360
	ix.edited(&d)
	return ix.s.docs.write(ctx, d, parent, AuditEvent{Action: ActDocEdit, Patient: d.MRN, Object: "document/" + d.ID,
		Detail: fmt.Sprintf("page %d turned to %d°", page+1, d.Pages[page].Turn)})
}

// RemovePage takes one page (0-based) out of a document: a blank back
// the detector missed, a stray sheet. The page is kept as a left-out page
// of the document (RestorePage puts it back) and in the batch's original,
// so nothing is lost; a document's only page cannot be removed.
func (ix Indexing) RemovePage(ctx context.Context, id string, page int) (Document, error) {
	ctx, d, err := ix.editable(ctx, id)
	if err != nil {
		return Document{}, err
	}
	if page < 0 || page >= len(d.Pages) {
		return Document{}, Invalidf("document %s has %d pages", id, len(d.Pages))
	}
	if len(d.Pages) == 1 {
		return Document{}, Invalidf("page 1 is the only page of document %s; a document keeps at least one page", id)
	}
	parent := d.Version
	leaveOut(&d, d.Pages[page], LeftByPerson)
	d.Pages = slices.Delete(slices.Clone(d.Pages), page, page+1)
	ix.edited(&d)
	return ix.s.docs.write(ctx, d, parent, AuditEvent{Action: ActDocEdit, Patient: d.MRN, Object: "document/" + d.ID,
		Detail: fmt.Sprintf("page %d removed (kept with the batch's original)", page+1)})
}

// SplitDocument moves the pages from at (0-based) onwards into a new
// document, which waits in the indexing queue with the same proposals.
// It returns the shortened document and the new one.
func (ix Indexing) SplitDocument(ctx context.Context, id string, at int) (Document, Document, error) {
	ctx, d, err := ix.editable(ctx, id)
	if err != nil {
		return Document{}, Document{}, err
	}
	if at < 1 || at >= len(d.Pages) {
		return Document{}, Document{}, Invalidf("split document %s of %d pages before page %d: choose a page from 2 to %d",
			id, len(d.Pages), at+1, len(d.Pages))
	}
	parent := d.Version
	rest := d
	rest.ID, rest.Version, rest.Status, rest.QA, rest.VerifiedBy = newID(), Version{}, DocQueued, false, ""
	rest.Pages = slices.Clone(d.Pages[at:])
	rest.Problems, rest.Expected, rest.Removed = nil, 0, nil
	var keep []DocPage // left-out pages that would go back after the split go with the rest
	for _, p := range d.Removed {
		if restoreAt(d.Pages, p) > at {
			rest.Removed = append(rest.Removed, p)
		} else {
			keep = append(keep, p)
		}
	}
	d.Pages, d.Removed = slices.Clone(d.Pages[:at]), keep
	ix.edited(&d)
	rest.Changed, rest.ChangedBy = d.Changed, d.ChangedBy
	docs, err := ix.s.docs.writeAll(ctx, []Document{d, rest}, []Version{parent, {}}, AuditEvent{Action: ActDocEdit,
		Patient: d.MRN, Object: "document/" + d.ID, Detail: fmt.Sprintf("split before page %d into document/%s", at+1, rest.ID)})
	if err != nil {
		return Document{}, Document{}, err
	}
	return docs[0], docs[1], nil
}

// MergeDocuments appends the pages of the others, in order, to the first
// document. The others are kept, empty, marked merged into the first.
func (ix Indexing) MergeDocuments(ctx context.Context, ids []string) (Document, error) {
	if len(ids) < 2 {
		return Document{}, Invalidf("merging needs at least two documents")
	}
	ctx, docs, parents, err := ix.editables(ctx, ids)
	if err != nil {
		return Document{}, err
	}
	into := &docs[0]
	for i := range docs[1:] {
		from := &docs[1+i]
		into.Pages = append(into.Pages, from.Pages...)
		carryLeftOut(into, from)
		ix.mergedInto(from, into.ID)
	}
	if len(into.Pages) > 0 {
		into.Problems = slices.DeleteFunc(into.Problems, isEmptyProblem)
	}
	ix.edited(into)
	out, err := ix.s.docs.writeAll(ctx, docs, parents, AuditEvent{Action: ActDocEdit, Patient: into.MRN, Object: "document/" + into.ID,
		Detail: "merged " + strings.Join(ids[1:], ", ")})
	if err != nil {
		return Document{}, err
	}
	return out[0], nil
}

// CollateDuplex merges two single-sided passes of the same sheets into one
// document in reading order: the fronts, then the backs scanned after
// turning the stack over (so in reverse). Sheet n's front is page n of the
// fronts' file and its back is page (sheets-1-n) of the backs' file; blank
// backs, already left out, stay left out (with the fronts document). The backs document is kept, empty,
// marked merged into the fronts one.
func (ix Indexing) CollateDuplex(ctx context.Context, frontsID, backsID string) (Document, error) {
	ctx, docs, parents, err := ix.editables(ctx, []string{frontsID, backsID})
	if err != nil {
		return Document{}, err
	}
	fronts, backs := &docs[0], &docs[1]
	fb, err := ix.singleBatch(ctx, *fronts)
	if err != nil {
		return Document{}, err
	}
	bb, err := ix.singleBatch(ctx, *backs)
	if err != nil {
		return Document{}, err
	}
	if fb.ID == bb.ID {
		return Document{}, Invalidf("both documents come from the same file %s; collate the fronts pass with the backs pass", fb.Name)
	}
	if fb.Pages != bb.Pages {
		return Document{}, Invalidf("the fronts pass (%s) has %d pages and the backs pass (%s) has %d: scan the same sheets both times",
			fb.Name, fb.Pages, bb.Name, bb.Pages)
	}
	front := map[int]DocPage{}
	for _, p := range fronts.Pages {
		front[p.Index] = p
	}
	back := map[int]DocPage{}
	for _, p := range backs.Pages {
		back[p.Index] = p
	}
	var pages []DocPage
	for sheet := range fb.Pages {
		if p, ok := front[sheet]; ok {
			pages = append(pages, p)
		}
		if p, ok := back[bb.Pages-1-sheet]; ok {
			pages = append(pages, p)
		}
	}
	fronts.Pages = pages
	carryLeftOut(fronts, backs)
	ix.mergedInto(backs, fronts.ID)
	ix.edited(fronts)
	out, err := ix.s.docs.writeAll(ctx, docs, parents, AuditEvent{Action: ActDocEdit, Patient: fronts.MRN, Object: "document/" + fronts.ID,
		Detail: fmt.Sprintf("duplex collated with document/%s: %d pages", backs.ID, len(pages))})
	if err != nil {
		return Document{}, err
	}
	return out[0], nil
}

// editables reads several distinct documents for one change.
func (ix Indexing) editables(ctx context.Context, ids []string) (context.Context, []Document, []Version, error) {
	docs := make([]Document, len(ids))
	parents := make([]Version, len(ids))
	for i, id := range ids {
		if slices.Contains(ids[:i], id) {
			return ctx, nil, nil, Invalidf("document %s is named twice", id)
		}
		var err error
		ctx, docs[i], err = ix.editable(ctx, id)
		if err != nil {
			return ctx, nil, nil, err
		}
		parents[i] = docs[i].Version
	}
	return ctx, docs, parents, nil
}

// mergedInto empties a document whose pages moved to another.
func (ix Indexing) mergedInto(d *Document, into string) {
	d.Pages, d.Status, d.MergedInto, d.QA = nil, DocMerged, into, false
	d.Changed, d.ChangedBy = ix.s.v.now(), ix.s.User().Name
}

// singleBatch returns the batch all of a document's pages come from.
func (ix Indexing) singleBatch(ctx context.Context, d Document) (Batch, error) {
	if len(d.Pages) == 0 {
		return Batch{}, Invalidf("document %s has no pages", d.ID)
	}
	id := d.Pages[0].Batch
	for _, p := range d.Pages {
		if p.Batch != id {
			return Batch{}, Invalidf("document %s holds pages of several files; collate whole passes", d.ID)
		}
	}
	return readHead(ctx, ix.s, KindBatch, id, decodeBatch)
}

// writeAll commits new versions of several documents in one
// transaction, each with its search tokens.
//
// A person's writes are what teach the type proposals: the evidence each
// document gives is brought in line with its new version in the same
// transaction (learn).
func (dc docStore) writeAll(ctx context.Context, docs []Document, parents []Version, e AuditEvent) ([]Document, error) {
	out := slices.Clone(docs)
	texts := make([][]string, len(out))
	for i, d := range out {
		var err error
		if texts[i], err = dc.storedTexts(ctx, d); err != nil {
			return nil, err
		}
	}
	dc.s.v.learn.Lock()
	defer dc.s.v.learn.Unlock()
	learned, err := dc.s.learner.learn(ctx, out, texts)
	if err != nil {
		return nil, err
	}
	writes := make([]RecordWrite, len(out))
	for i, d := range out {
		if writes[i], err = dc.s.encode.document(d, parents[i], texts[i]); err != nil {
			return nil, err
		}
	}
	vs, err := dc.s.commitVersions(ctx, writes, e, learned)
	if len(learned) > 0 {
		dc.s.v.learned.Add(1) // committed (or perhaps not): proposals read the model again
	}
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Version = vs[i]
		out[i].ArchiveIDs = pageArchiveIDs(out[i].Pages) // as encoder.document stored them
	}
	return out, nil
}

func pageList(order []int) string {
	parts := make([]string, len(order))
	for i, n := range order {
		parts[i] = strconv.Itoa(n + 1)
	}
	return strings.Join(parts, ",")
}
