package app

import (
	"slices"
	"strings"
	"testing"
)

// Codes matching the pattern are archive IDs unless they are sheets; with
// the split rule each starts a document and stays its first page, except
// right after a cover sheet, whose document it joins.
func TestSplitAtArchiveIDs(t *testing.T) {
	code39 := func(s string) Barcode { return Barcode{Format: "CODE_39", Value: s} }
	cover := CoverSheet{MRN: FormatMRN("KAB", 1), Type: "lab-result"}
	fa := FileAnalysis{Pages: []PageAnalysis{
		page(0, code39("ASN00123")), page(1),
		page(2, code39("ASN00124"), code39("TAG:x")),
		page(3, Barcode{Format: "QR_CODE", Value: cover.Payload()}),
		page(4, code39("ASN00125")), page(5),
		page(6, code39("PATCHT")), page(7, code39("ASNXYZ")),
	}}
	re, err := ParseArchivePattern(`^(ASN\d+|PATCHT)$`)
	if err != nil {
		t.Fatal(err)
	}
	markArchiveIDs(&fa, re)
	var marked []string
	for _, p := range fa.Pages {
		for _, b := range p.Barcodes {
			if b.ArchiveID {
				marked = append(marked, b.Value)
			}
		}
	}
	if want := []string{"ASN00123", "ASN00124", "ASN00125"}; !slices.Equal(marked, want) {
		t.Fatalf("archive IDs %v, want %v (a PATCH-T sheet is a sheet)", marked, want)
	}
	var got [][]int
	for _, d := range (SplitRules{ArchiveID: re, SplitAtArchiveID: true}).Split(fa) {
		got = append(got, d.Pages)
	}
	if want := [][]int{{0, 1}, {2}, {4, 5}, {7}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("split %v, want %v", got, want)
	}
	got = nil
	for _, d := range (SplitRules{ArchiveID: re}).Split(fa) {
		got = append(got, d.Pages)
	}
	if want := [][]int{{0, 1, 2}, {4, 5}, {7}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("without the split rule %v, want %v", got, want)
	}
	pages := []DocPage{{Barcodes: fa.Pages[0].Barcodes}, {Barcodes: fa.Pages[2].Barcodes}, {Barcodes: fa.Pages[0].Barcodes}}
	if ids := pageArchiveIDs(pages); !slices.Equal(ids, []string{"ASN00123", "ASN00124"}) {
		t.Fatalf("document archive IDs %v", ids)
	}
}

func TestParseArchivePattern(t *testing.T) {
	for pattern, want := range map[string]string{
		"":                       "",
		`^ASN\d+$`:               "",
		`  ^ASN\d+$ `:            "",
		`^ASN(\d+$`:              "not a regular expression",
		`.*`:                     "matches an empty code",
		`^\d*$`:                  "matches an empty code",
		strings.Repeat("a", 201): "longer than 200",
		`^(FOLDER|BOX)-\d{4,8}$`: "",
	} {
		re, err := ParseArchivePattern(pattern)
		switch {
		case want == "" && err != nil:
			t.Errorf("%q: %v", pattern, err)
		case want == "" && (re == nil) != (strings.TrimSpace(pattern) == ""):
			t.Errorf("%q: compiled %v", pattern, re)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%q: %v, want %q", pattern, err, want)
		}
	}
}

func TestBarcodeDescribe(t *testing.T) {
	for _, c := range []struct {
		b    Barcode
		want string
	}{
		{Barcode{Format: "CODE_39", Value: "ASN00124", ArchiveID: true, X: 900, Y: 40, W: 300, H: 1}, "Code 39 ASN00124, archive ID, top right"},
		{Barcode{Format: "QR_CODE", Value: "ADAR-NEXTDOC", X: 500, Y: 700, W: 100, H: 100}, "QR code ADAR-NEXTDOC, middle"},
		{Barcode{Format: "CODE_128", Value: "X", X: 10, Y: 1500, W: 100, H: 30}, "Code 128 X, bottom left"},
		{Barcode{Format: "DATA_MATRIX", Value: "Y"}, "Data Matrix Y"},
	} {
		if got := c.b.Describe(1240, 1754); got != c.want {
			t.Errorf("%+v: %q, want %q", c.b, got, c.want)
		}
	}
}
