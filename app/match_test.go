package app

import (
	"slices"
	"testing"
	"time"
)

func TestNameWords(t *testing.T) {
	for in, want := range map[string][]string{
		"Zoë O'Neil-Ávila": {"zoe", "oneil", "avila"},
		"  MÜLLER ":        {"muller"},
		"N'Diaye, Fatou":   {"ndiaye", "fatou"},
		"":                 nil,
	} {
		if got := nameWords(in); !slices.Equal(got, want) {
			t.Errorf("nameWords(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWordSimilarityRanksVariants(t *testing.T) {
	// A spelling variant or typo must score above the match threshold and
	// above an unrelated name.
	for _, tc := range []struct{ typed, name, other string }{
		{"jon", "john", "jane"},
		{"mohamed", "muhammad", "mukasa"},
		{"okelo", "okello", "otieno"},
		{"smtih", "smith", "simon"},
	} {
		s, o := wordSimilarity(newNameKey(tc.typed), newNameKey(tc.name)), wordSimilarity(newNameKey(tc.typed), newNameKey(tc.other))
		if s < 0.75 || s <= o {
			t.Errorf("%s~%s = %.2f, vs %s = %.2f", tc.typed, tc.name, s, tc.other, o)
		}
	}
}

func TestParseQuery(t *testing.T) {
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	q := parseQuery("Mary Okello 1984", now)
	if !slices.Equal(q.words, []string{"mary", "okello"}) || !slices.Equal(q.exact, []string{"yob:1984"}) {
		t.Fatalf("got %+v", q)
	}
	q = parseQuery("+256 772 123456", now)
	if !slices.Equal(q.exact, []string{"tel:772123456"}) || len(q.words) != 0 {
		t.Fatalf("phone: %+v", q)
	}
	q = parseQuery("02/04/1980", now)
	if !slices.Equal(q.exact, []string{"dob:1980-04-02"}) {
		t.Fatalf("dmy: %+v", q)
	}
	mrn := FormatMRN("KAB", 7)
	q = parseQuery(mrn, now)
	if !slices.Equal(q.exact, []string{"mrn:" + mrn}) {
		t.Fatalf("mrn: %+v", q)
	}
}

func TestPatientTermsHoldNoMergedNames(t *testing.T) {
	p := Patient{MRN: "KAB-000001-X", Family: "Okello", Given: "Grace", BirthDate: BirthDate{Year: 1990, Month: 1, Day: 2}, Phone: "0772 123456"}
	terms := patientTerms(p)
	for _, want := range []string{"n:okello", "n:grace", "p3:oke", "p5:okell", "yob:1990", "dob:1990-01-02", "tel:772123456", "mrn:KAB-000001-X"} {
		if !slices.Contains(terms, want) {
			t.Errorf("terms lack %q: %q", want, terms)
		}
	}
}
