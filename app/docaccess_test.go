package app_test

import (
	"context"
	"errors"
	"io"
	"slices"
	"testing"

	"folio/app"
)

// restrictedDesk is a scanning desk with a restricted patient whose chart
// holds a three-page lab result (labData is its scan), a scanning clerk
// (sam) and a clinician (doc).
type restrictedDesk struct {
	*scanningDesk
	vip      app.Patient
	lab      app.Document
	labData  []byte
	sam, doc *app.Session
}

var restrictedPW = map[string]string{"sam": "scanning clerk passphrase", "doc": "the clinician's passphrase"}

func newRestrictedDesk(t *testing.T) *restrictedDesk {
	t.Helper()
	ctx := context.Background()
	d := &restrictedDesk{scanningDesk: newScanningDesk(t)}
	admin := login(t, d.prof.Vault, "admin", adminPW)
	for _, u := range []app.User{{Name: "sam", Roles: app.RoleSet{app.RoleScanning}}, {Name: "doc", Roles: app.RoleSet{app.RoleClinician}}} {
		if err := admin.Users().Add(ctx, u, []byte(restrictedPW[u.Name])); err != nil {
			t.Fatal(err)
		}
	}
	d.vip = register(t, d.clerk, app.Patient{Family: "Mwale", Given: "Ruth", Sex: app.SexFemale, BirthDate: bd(1979, 5, 6),
		NationalID: "CM7911223344", Address: "Plot 9, Kabwe", Notes: "HIV positive, on ART", Restricted: true})[0]
	d.labData = corpusFile(t, "scans/paperless__multi-page-images.tiff")
	r := importFile(t, d.clerk, "lab.tiff", d.labData)
	lab, err := d.clerk.Indexing().FileDocument(ctx, r.Documents[0].ID, app.FileParams{Patient: d.vip.MRN, Type: "lab-result"})
	if err != nil {
		t.Fatal(err)
	}
	d.lab = lab
	d.sam = login(t, d.prof.Vault, "sam", restrictedPW["sam"])
	d.doc = login(t, d.prof.Vault, "doc", restrictedPW["doc"])
	return d
}

// Issue 12, item 2: a scanning clerk reached a restricted chart's document
// by importing its scan again (the answer named the document), re-filing
// it to another patient and exporting it, or by splitting it. Every
// operation on a document now goes through one guard: each is refused,
// each refusal is audited under the patient, and the document stays where
// it was filed.
func TestAttackScanningClerkReadsRestrictedDocument(t *testing.T) {
	ctx := context.Background()
	d := newRestrictedDesk(t)
	sam, lab := d.sam, d.lab.ID

	// The duplicate answer no longer names the document.
	again := importFile(t, sam, "again.tiff", d.labData)
	if !again.Duplicate || again.Withheld != 1 || len(again.Documents) != 0 || slices.Contains(again.Batch.Documents, lab) {
		t.Fatalf("duplicate answer to the scanning clerk: withheld %d, documents %v, batch lists %v",
			again.Withheld, again.Documents, again.Batch.Documents)
	}

	// A document of sam's own, to merge and collate with.
	own := importFile(t, sam, "own.png", corpusFile(t, "scans/paperless__simple.png")).Documents[0]

	refused := map[string]error{}
	try := func(name string, err error) { refused[name] = err }
	_, err := sam.Indexing().FileDocument(ctx, lab, app.FileParams{Patient: d.joseph.MRN, Type: "lab-result"})
	try("re-file to another chart", err)
	_, err = sam.Documents().Open(ctx, lab)
	try("open", err)
	_, err = sam.Documents().Page(ctx, lab, 0)
	try("page", err)
	_, err = sam.Documents().PageThumbnail(ctx, lab, 0)
	try("thumbnail", err)
	_, err = sam.Documents().Thumbnails(ctx, lab)
	try("thumbnails", err)
	_, err = sam.Documents().ExportPDF(ctx, lab, "stolen.pdf", io.Discard)
	try("export", err)
	_, _, err = sam.Indexing().SplitDocument(ctx, lab, 1)
	try("split", err)
	_, err = sam.Indexing().ReorderPages(ctx, lab, []int{2, 1, 0})
	try("reorder", err)
	_, err = sam.Indexing().TurnPage(ctx, lab, 0, 1)
	try("turn", err)
	_, err = sam.Indexing().RemovePage(ctx, lab, 0)
	try("remove page", err)
	_, err = sam.Indexing().MergeDocuments(ctx, []string{own.ID, lab})
	try("merge into own", err)
	_, err = sam.Indexing().MergeDocuments(ctx, []string{lab, own.ID})
	try("merge own into it", err)
	_, err = sam.Indexing().CollateDuplex(ctx, own.ID, lab)
	try("collate", err)
	_, err = sam.Documents().Verify(ctx, lab)
	try("QA verify", err)
	_, err = sam.Indexing().SendBack(ctx, lab, "looks wrong")
	try("QA send back", err)
	for name, err := range refused {
		if !errors.Is(err, app.ErrForbidden) {
			t.Errorf("%s: %v, want refused", name, err)
		}
	}

	// The clinician is asked for a reason; after break-glass it opens.
	if _, err := d.doc.Documents().Open(ctx, lab); !errors.Is(err, app.ErrNeedsBreakGlass) {
		t.Fatalf("clinician opening the document: %v", err)
	}
	if _, err := d.doc.Patients().BreakGlass(ctx, d.vip.MRN, "seen in casualty tonight"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.doc.Documents().Page(ctx, lab, 0); err != nil {
		t.Fatalf("clinician after break-glass: %v", err)
	}

	// Listings and search hits leave it out; a document sent back from QA
	// waits in the queue, but not in the scanning clerk's.
	if _, err := d.clerk.Indexing().SendBack(ctx, lab, "page 2 is upside down"); err != nil {
		t.Fatal(err)
	}
	queue, err := sam.Indexing().Queue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(queue, func(x app.Document) bool { return x.ID == lab }) {
		t.Error("the scanning clerk's queue lists the restricted chart's document")
	}
	hits, _, err := sam.Documents().Search(ctx, "page", "")
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(hits, func(h app.TextHit) bool { return h.Document.ID == lab }) {
		t.Error("the scanning clerk's search hits include the restricted chart's document")
	}
	if queue, _ := d.clerk.Indexing().Queue(ctx); !slices.ContainsFunc(queue, func(x app.Document) bool { return x.ID == lab }) {
		t.Error("the records clerk's queue lost the sent-back document")
	}

	// Nothing moved, and every refusal is on the patient's audit trail.
	kept, err := d.clerk.Documents().Open(ctx, lab)
	if err != nil || kept.PatientID != d.vip.ID || len(kept.Pages) != 3 {
		t.Fatalf("the document after the attack: patient %s, %d pages, %v", kept.PatientID, len(kept.Pages), err)
	}
	events, err := login(t, d.prof.Vault, "admin", adminPW).Audit().Events(ctx, app.AuditFilter{PatientMRN: d.vip.MRN, User: "sam"})
	if err != nil {
		t.Fatal(err)
	}
	denied := map[app.Action]int{}
	for _, e := range events {
		if e.Outcome == app.OutcomeDenied {
			denied[e.Action]++
		}
	}
	want := map[app.Action]int{app.ActDocImport: 1, app.ActDocFile: 1, app.ActDocRead: 4, app.ActDocExport: 1, app.ActDocEdit: 7}
	for act, n := range want {
		if denied[act] != n {
			t.Errorf("%s refusals audited under %s: %d, want %d (all: %v)", act, d.vip.MRN, denied[act], n, denied)
		}
	}
}

// A records clerk (who reads restricted charts) gets the full duplicate
// answer, and may move the document.
func TestDuplicateAnswerForRecordsClerk(t *testing.T) {
	d := newRestrictedDesk(t)
	again := importFile(t, d.clerk, "again.tiff", d.labData)
	if again.Withheld != 0 || len(again.Documents) != 1 || again.Documents[0].ID != d.lab.ID {
		t.Fatalf("records clerk's duplicate answer: withheld %d, %d documents", again.Withheld, len(again.Documents))
	}
	if _, err := d.clerk.Indexing().FileDocument(context.Background(), d.lab.ID, app.FileParams{Patient: d.joseph.MRN, Type: "lab-result"}); err != nil {
		t.Fatalf("records clerk re-filing: %v", err)
	}
}
