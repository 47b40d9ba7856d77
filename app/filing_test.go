package app

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func page(i int, codes ...Barcode) PageAnalysis {
	return PageAnalysis{Index: i, Barcodes: codes, Text: "text"}
}

func TestSplitBatch(t *testing.T) {
	cover := CoverSheet{MRN: FormatMRN("KAB", 1), Type: "lab-result", Pages: 2}
	qr := func(s string) Barcode { return Barcode{Format: "QR_CODE", Value: s} }
	fa := FileAnalysis{Pages: []PageAnalysis{
		page(0, qr(cover.Payload())),
		page(1), page(2),
		{Index: 3, Blank: true},
		page(4, Barcode{Format: "CODE_39", Value: "PATCHT"}),
		page(5), page(6, qr("FOLIO1 C KAB-000001-Y referral - 0")), // damaged code: a page with a problem
		page(7, qr(SeparatorPayload)),
		page(8, qr(CoverSheet{MRN: FormatMRN("KAB", 2), Type: "consent", Pages: 3}.Payload())),
		page(9),
	}}
	docs := SplitBatch(fa)
	if len(docs) != 3 {
		t.Fatalf("%d documents: %+v", len(docs), docs)
	}
	if docs[0].Cover == nil || docs[0].Cover.MRN != cover.MRN || !slices.Equal(docs[0].Pages, []int{1, 2}) || len(docs[0].Problems) != 0 {
		t.Errorf("doc 1: %+v", docs[0])
	}
	if docs[1].Cover != nil || !slices.Equal(docs[1].Pages, []int{5, 6}) || len(docs[1].Problems) != 1 {
		t.Errorf("doc 2: %+v", docs[1])
	}
	if docs[2].Cover == nil || !slices.Equal(docs[2].Pages, []int{9}) || !strings.Contains(strings.Join(docs[2].Problems, ""), "announces 3 pages but 1") {
		t.Errorf("doc 3: %+v", docs[2])
	}
	if got := SplitBatch(FileAnalysis{Pages: []PageAnalysis{page(0), page(1)}}); len(got) != 1 || len(got[0].Pages) != 2 {
		t.Errorf("no sheets: %+v", got)
	}
	// Nothing vanishes: each sheet and blank page is left out of the
	// document it comes with, in page order.
	if want := []LeftPage{{0, LeftCover}, {3, LeftBlank}}; !slices.Equal(docs[0].Left, want) {
		t.Errorf("doc 1 left out %v, want %v", docs[0].Left, want)
	}
	if want := []LeftPage{{4, LeftSeparator}, {7, LeftSeparator}}; !slices.Equal(docs[1].Left, want) {
		t.Errorf("doc 2 left out %v, want %v (a separator followed by nothing goes with the document before)", docs[1].Left, want)
	}
	if want := []LeftPage{{8, LeftCover}}; !slices.Equal(docs[2].Left, want) {
		t.Errorf("doc 3 left out %v, want %v", docs[2].Left, want)
	}
	if got := SplitBatch(FileAnalysis{Pages: []PageAnalysis{{Index: 0, Blank: true}}}); len(got) != 1 || len(got[0].Pages) != 0 ||
		!slices.Equal(got[0].Left, []LeftPage{{0, LeftBlank}}) {
		t.Errorf("only blank: %+v, want one document of no pages with the blank page left out", got)
	}
}

// Left-out pages without a page of content after them go with a
// neighbour, except a cover sheet's blank pages: that document waits.
func TestSplitBatchLeftOutPages(t *testing.T) {
	qr := func(s string) Barcode { return Barcode{Format: "QR_CODE", Value: s} }
	sep := func(i int) PageAnalysis { return page(i, qr(SeparatorPayload)) }
	blank := func(i int) PageAnalysis { return PageAnalysis{Index: i, Blank: true} }
	cover := qr(CoverSheet{MRN: FormatMRN("KAB", 1), Type: "consent"}.Payload())
	for _, c := range []struct {
		name  string
		pages []PageAnalysis
		want  []DocumentDraft
	}{
		{"blank before anything goes with the next document", []PageAnalysis{blank(0), blank(1), sep(2), page(3)},
			[]DocumentDraft{{Pages: []int{3}, Left: []LeftPage{{0, LeftBlank}, {1, LeftBlank}, {2, LeftSeparator}}}}},
		{"a separator and its blank back at the end go with the document before", []PageAnalysis{page(0), blank(1), sep(2), blank(3)},
			[]DocumentDraft{{Pages: []int{0}, Left: []LeftPage{{1, LeftBlank}, {2, LeftSeparator}, {3, LeftBlank}}}}},
		{"a cover sheet of blank pages waits on its own", []PageAnalysis{page(0), page(1, cover), blank(2), sep(3), page(4)},
			[]DocumentDraft{{Pages: []int{0}}, {Pages: nil, Left: []LeftPage{{1, LeftCover}, {2, LeftBlank}}}, {Pages: []int{4}, Left: []LeftPage{{3, LeftSeparator}}}}},
		{"only sheets", []PageAnalysis{sep(0), sep(1)},
			[]DocumentDraft{{Left: []LeftPage{{0, LeftSeparator}, {1, LeftSeparator}}}}},
		{"blank in the middle stays in place", []PageAnalysis{page(0), blank(1), page(2)},
			[]DocumentDraft{{Pages: []int{0, 2}, Left: []LeftPage{{1, LeftBlank}}}}},
	} {
		got := SplitBatch(FileAnalysis{Pages: c.pages})
		if len(got) != len(c.want) {
			t.Errorf("%s: %d documents %+v, want %d", c.name, len(got), got, len(c.want))
			continue
		}
		for i, w := range c.want {
			if !slices.Equal(got[i].Pages, w.Pages) || !slices.Equal(got[i].Left, w.Left) {
				t.Errorf("%s: document %d: pages %v left %v, want %v %v", c.name, i+1, got[i].Pages, got[i].Left, w.Pages, w.Left)
			}
		}
	}
}

func TestRestoreAt(t *testing.T) {
	pg := func(b string, i int) DocPage { return DocPage{Batch: b, Index: i} }
	pages := []DocPage{pg("a", 0), pg("a", 2), pg("b", 0), pg("a", 5)}
	for _, c := range []struct {
		p    DocPage
		want int
	}{
		{pg("a", 1), 1}, {pg("a", 3), 2}, {pg("a", 9), 4}, {pg("b", 1), 3}, {pg("c", 0), 4},
	} {
		if got := restoreAt(pages, c.p); got != c.want {
			t.Errorf("%+v goes back at %d, want %d", c.p, got, c.want)
		}
	}
	if got := restoreAt([]DocPage{pg("a", 4), pg("a", 6)}, pg("a", 1)); got != 0 {
		t.Errorf("before every page: %d", got)
	}
}

func TestFindDates(t *testing.T) {
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	got := FindDates("Seen 12/03/2024, reviewed 2024-03-19 and on 2nd April 2024; next visit 01/01/2030; 12.03.2024 again", now)
	want := []string{"2024-03-12", "2024-03-19", "2024-04-02"}
	var s []string
	for _, d := range got {
		s = append(s, d.Format(time.DateOnly))
	}
	if !slices.Equal(s, want) {
		t.Fatalf("dates %v, want %v", s, want)
	}
}

// Dates of birth and of printing are not dates of service.
func TestFindDatesSkipsBirthDates(t *testing.T) {
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	got := FindDates("Name: BANDA, Amina\nDate of birth: 1984-03-12\nDOB 12/03/1984\nborn 3 March 1984\n"+
		"Printed by grace at 2026-11-20 10:15\nSpecimen collected 2026-10-14", now)
	if len(got) != 1 || got[0].Format(time.DateOnly) != "2026-10-14" {
		t.Fatalf("dates %v, want only 2026-10-14", got)
	}
}

func TestFindMRNs(t *testing.T) {
	good, bad := FormatMRN("KAB", 12), "KAB-000012-0"
	if good == bad {
		bad = "KAB-000012-1"
	}
	got := FindMRNs("Patient MRN: "+strings.ToLower(good)+" (old "+bad+")", []Barcode{{Format: "CODE_128", Value: good}})
	if !slices.Equal(got, []string{good}) {
		t.Fatalf("%v", got)
	}
}

func TestInOrder(t *testing.T) {
	pg := func(i int) DocPage { return DocPage{Batch: "a", Index: i} }
	d := Document{Pages: []DocPage{pg(1), pg(3)}, Removed: []DocPage{pg(0), pg(2), pg(4)}}
	want := []PageRef{{-1, 0}, {0, -1}, {-1, 1}, {1, -1}, {-1, 2}}
	if got := d.InOrder(); !slices.Equal(got, want) {
		t.Fatalf("in order %v, want %v", got, want)
	}
}
