package app

import (
	"errors"
	"strings"
	"testing"
)

func TestMRNRoundTrip(t *testing.T) {
	for _, n := range []uint64{1, 42, 999999, 1000000} {
		mrn := FormatMRN("KAB", n)
		got, err := ParseMRN(strings.ToLower(mrn))
		if err != nil || got != mrn {
			t.Fatalf("ParseMRN(%q) = %q, %v", mrn, got, err)
		}
	}
}

// Luhn mod N catches every single-character substitution.
func TestMRNCatchesEverySingleMistype(t *testing.T) {
	mrn := FormatMRN("KAB", 123)
	for i := range mrn {
		if mrn[i] == '-' {
			continue
		}
		for _, c := range mrnAlphabet {
			if byte(c) == mrn[i] {
				continue
			}
			bad := mrn[:i] + string(c) + mrn[i+1:]
			if _, err := ParseMRN(bad); err == nil {
				t.Errorf("mistyped %q accepted", bad)
			}
		}
	}
}

func TestParseMRNRejects(t *testing.T) {
	for name, in := range map[string]string{
		"empty": "", "no check": "KAB-000123", "letters in number": "KAB-00A123-4",
		"prefix too long": "KABALEX-000001-1", "words": "john smith",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseMRN(in); !errors.Is(err, ErrInvalid) {
				t.Fatalf("ParseMRN(%q) err = %v, want ErrInvalid", in, err)
			}
		})
	}
}
