package app

import (
	"testing"
	"time"
)

func TestSheetPayloads(t *testing.T) {
	c := CoverSheet{MRN: FormatMRN("KAB", 1), Type: "lab-result", Date: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), Pages: 3}
	kind, got, err := ParseSheet(Barcode{Format: "QR_CODE", Value: c.Payload()})
	if err != nil || kind != SheetCover || got != c {
		t.Fatalf("round trip: %v %+v %v", kind, got, err)
	}
	for name, tc := range map[string]struct {
		b    Barcode
		kind SheetKind
		bad  bool
	}{
		"separator":        {Barcode{Format: "QR_CODE", Value: SeparatorPayload}, SheetSeparator, false},
		"patch-t":          {Barcode{Format: "CODE_39", Value: "PATCHT"}, SheetSeparator, false},
		"other code":       {Barcode{Format: "CODE_128", Value: "ASN00123"}, SheetNone, false},
		"bad check char":   {Barcode{Format: "QR_CODE", Value: "FOLIO1 C KAB-000001-Y lab-result - 0"}, SheetNone, true},
		"bad date":         {Barcode{Format: "QR_CODE", Value: "FOLIO1 C KAB-000001-X lab-result 2026-13-01 0"}, SheetNone, true},
		"truncated":        {Barcode{Format: "QR_CODE", Value: "FOLIO1 C KAB-000001-X"}, SheetNone, true},
		"type not a slug":  {Barcode{Format: "QR_CODE", Value: "FOLIO1 C KAB-000001-X Lab_Result - 0"}, SheetNone, true},
		"no date no count": {Barcode{Format: "QR_CODE", Value: "FOLIO1 C KAB-000001-X referral - 0"}, SheetCover, false},
	} {
		t.Run(name, func(t *testing.T) {
			kind, _, err := ParseSheet(tc.b)
			if kind != tc.kind || (err != nil) != tc.bad {
				t.Fatalf("kind %v err %v; want %v bad=%v", kind, err, tc.kind, tc.bad)
			}
		})
	}
}
