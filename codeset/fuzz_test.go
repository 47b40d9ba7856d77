package codeset

import (
	"errors"
	"strings"
	"testing"
)

// FuzzOpen: any bytes given to Open give a Set or a FileError, never a
// panic; a Set's every code is found by Lookup, and its first codes by the
// first word of their description.
func FuzzOpen(f *testing.F) {
	f.Add([]byte("code\tbillable\tshort_description\tlong_description\tpoa_exempt\tchronic_indicator\nJ18\t0\tPneumonia\tPneumonia, unspecified organism\t\t\nJ18.9\t1\tPneumonia, unsp\tPneumonia, unspecified organism\tN\tA\n"), "ICD-10-CM")
	f.Add([]byte("00001 A00     0 Cholera                                                      Cholera\n00002 A000    1 Cholera due to Vibrio cholerae 01, biovar cholerae           Cholera due to Vibrio cholerae 01, biovar cholerae\n"), "ICD-10-CM")
	f.Add([]byte("billable\tcode\tlong_description\n1\t1A00\tCholera\n1\tBA00.Z\tEssential hypertension\n"), "ICD-11")
	f.Add([]byte("code\tbillable\tlong_description\nJ18.9\t1\tPneumonie, organisme non précisé\n"), "CIM-10")
	f.Add([]byte("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"), "ICD-10")
	f.Add([]byte("code\tbillable\tlong_description\r\nA00\t0\t\xff\xfe\r\n"), "ICD-10")
	f.Fuzz(func(t *testing.T, data []byte, system string) {
		s, err := Open(strings.NewReader(string(data)), system, "v1")
		if err != nil {
			if !errors.Is(err, ErrBadFile) {
				t.Fatalf("an error that is not ErrBadFile: %v", err)
			}
			return
		}
		for i := range s.ents {
			c, err := s.Lookup(s.ents[i].code)
			if err != nil || c.Key() != s.ents[i].key {
				t.Fatalf("Lookup(%q) = %v, %v", s.ents[i].code, c.Code, err)
			}
			if i < 20 {
				s.Search(s.ents[i].code, 10)
				s.Search(s.ents[i].long, 10)
				// Its description's first word finds it.
				var first string
				words(s.ents[i].long, nil, func(w []byte) {
					if first == "" {
						first = string(w)
					}
				})
				if first != "" {
					hits, _ := s.Search(first, 0)
					found := false
					for _, h := range hits {
						found = found || h.Code.Key() == s.ents[i].key
					}
					if !found {
						t.Fatalf("%q does not find %s %q", first, s.ents[i].code, s.ents[i].long)
					}
				}
			}
		}
		s.Search(string(data), 5)
	})
}
