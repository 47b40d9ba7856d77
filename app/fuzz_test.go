package app

import (
	"strings"
	"testing"
	"time"
)

// The parsers of what clerks type must never panic, and what they accept
// must print back to something they accept again.

func FuzzParseBirthDate(f *testing.F) {
	for _, s := range []string{"1980-04-02", "1980", "about 1975", "1980~", "2023-02-29", "-", "9999-99-99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseBirthDate(s)
		if err != nil {
			return
		}
		back, err := ParseBirthDate(b.String())
		if err != nil || back != b {
			t.Fatalf("%q → %+v → %q → %+v, %v", s, b, b.String(), back, err)
		}
	})
}

func FuzzParseMRN(f *testing.F) {
	for _, s := range []string{"KAB-000001-X", "kab-000001-x", "A-1-1", "KAB--", "KAB-0000000000000000000001-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		mrn, err := ParseMRN(s)
		if err != nil {
			return
		}
		if again, err := ParseMRN(mrn); err != nil || again != mrn {
			t.Fatalf("%q → %q → %q, %v", s, mrn, again, err)
		}
	})
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"mary okello 1984", "+256 772 123456", "02/04/1980", "KAB-000001-X", "Zoë O'Neil", "\xff\xfe"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		q := parseQuery(s, now)
		for _, w := range q.words {
			if w == "" || strings.ContainsAny(w, " \t") {
				t.Fatalf("bad word %q from %q", w, s)
			}
			_ = queryTerms(w)
		}
	})
}

func FuzzDecodeAuditEvent(f *testing.F) {
	f.Add([]byte(`{"time":"2026-11-23T09:00:00Z","user":"admin","device":"00","action":"login","outcome":"ok"}`))
	f.Add([]byte(`{"time":1}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := decodeEvent(data, 7)
		if err == nil && (e.Seq != 7 || e.Action == "") {
			t.Fatalf("accepted %q as %+v", data, e)
		}
	})
}

func FuzzParseSheet(f *testing.F) {
	for _, s := range []string{"FOLIO1 C KAB-000001-X lab-result 2026-11-23 3", "FOLIO1 S", "PATCHT", "FOLIO1 C x y z w", "FOLIO1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		kind, c, err := ParseSheet(Barcode{Format: "QR_CODE", Value: s})
		if err != nil || kind != SheetCover {
			return
		}
		again, c2, err := ParseSheet(Barcode{Format: "QR_CODE", Value: c.Payload()})
		if err != nil || again != SheetCover || c2 != c {
			t.Fatalf("%q → %+v → %q → %+v, %v", s, c, c.Payload(), c2, err)
		}
	})
}
