package codeset

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// shippedSet opens the embedded ICD-10-CM once for the package's tests.
var shippedSet Lazy

func shipped(t testing.TB) *Set {
	t.Helper()
	s, err := shippedSet.Set()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func codes(hits []Hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.Code.Code)
	}
	return out
}

func TestShippedCodeSet(t *testing.T) {
	s := shipped(t)
	if s.Len() != 95524 {
		t.Errorf("%d entries, want the order file's 95,524", s.Len())
	}
	billable := 0
	for i := range s.ents {
		if s.ents[i].billable {
			billable++
		}
	}
	if billable != 72748 {
		t.Errorf("%d billable codes, want 72,748", billable)
	}
	for _, tc := range []struct {
		code, long string
		billable   bool
		poaExempt  bool
		chronic    Chronicity
	}{
		{"A00.0", "Cholera due to Vibrio cholerae 01, biovar cholerae", true, false, Acute},
		{"E11.9", "Type 2 diabetes mellitus without complications", true, false, Chronic},
		{"J45.909", "Unspecified asthma, uncomplicated", true, false, Chronic},
		{"O80", "Encounter for full-term uncomplicated delivery", true, true, Acute},
		{"Z00.00", "Encounter for general adult medical examination without abnormal findings", true, true, NotApplicable},
		{"U07.1", "COVID-19", true, false, Acute},
		{"J18", "Pneumonia, unspecified organism", false, false, ChronicityUnknown},
		{"E11", "Type 2 diabetes mellitus", false, false, ChronicityUnknown},
	} {
		c, err := s.Lookup(tc.code)
		if err != nil {
			t.Errorf("Lookup(%s): %v", tc.code, err)
			continue
		}
		if c.Code != tc.code || c.Long != tc.long || c.Billable != tc.billable || c.Assignable() != tc.billable ||
			c.POAExempt != tc.poaExempt || c.Chronic != tc.chronic || c.System != "ICD-10-CM" || c.Version != "FY2022" {
			t.Errorf("Lookup(%s) = %+v", tc.code, c)
		}
	}
	// Codes added after FY2022 are not there.
	if _, err := s.Lookup("E11.A"); !errors.Is(err, ErrUnknownCode) {
		t.Errorf("E11.A (FY2025): %v, want ErrUnknownCode", err)
	}
}

func TestLookupForms(t *testing.T) {
	s := shipped(t)
	for _, typed := range []string{"J18.9", "j18.9", "J189", "j189", " J18.9 "} {
		c, err := s.Lookup(typed)
		if err != nil || c.Code != "J18.9" {
			t.Errorf("Lookup(%q) = %v, %v", typed, c.Code, err)
		}
	}
}

func TestLookupErrors(t *testing.T) {
	s := shipped(t)
	for _, tc := range []struct {
		typed string
		want  error
		says  string
	}{
		{"J18.99", ErrUnknownCode, "J18.99 is not a code in ICD-10-CM FY2022 (the nearest is J18.9, Pneumonia, unspecified organism)"},
		{"J99.9", ErrUnknownCode, "J99.9 is not a code in ICD-10-CM FY2022"},
		{"", ErrMalformedCode, "no code was given"},
		{"J1", ErrMalformedCode, `"J1" is not an ICD-10-CM code: it has at least three characters, a letter and two more (as in J18)`},
		{"118.9", ErrMalformedCode, "starts with a letter"},
		{"JJ8", ErrMalformedCode, "its second character is a digit"},
		{"J1.89", ErrMalformedCode, "the dot comes after the third character"},
		{"J18.91234", ErrMalformedCode, "at most seven characters"},
		{"J18,9", ErrMalformedCode, "only letters, digits and one dot"},
		{"J18..9", ErrMalformedCode, "at most one dot"},
		{"J18.", ErrMalformedCode, "a dot is followed by at least one character"},
	} {
		_, err := s.Lookup(tc.typed)
		if !errors.Is(err, tc.want) {
			t.Errorf("Lookup(%q): %v, want %v", tc.typed, err, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.says) {
			t.Errorf("Lookup(%q) says %q, want it to say %q", tc.typed, err, tc.says)
		}
	}
	var u *UnknownCodeError
	if _, err := s.Lookup("J18.99"); !errors.As(err, &u) || u.Nearest == nil || u.Nearest.Code != "J18.9" {
		t.Errorf("Lookup(J18.99): %#v, want an UnknownCodeError nearest J18.9", err)
	}
}

func TestCategoryHeadersAreNotAssignable(t *testing.T) {
	s := shipped(t)
	c, err := s.Assignable("J18")
	if !errors.Is(err, ErrNotAssignable) || c.Code != "J18" || c.Billable {
		t.Fatalf("Assignable(J18) = %+v, %v; want the header and ErrNotAssignable", c, err)
	}
	if want := "J18 (Pneumonia, unspecified organism) is a category, not a code that can be assigned: choose one of the 5 codes under it, J18.0 to J18.9"; !strings.Contains(err.Error(), want) {
		t.Errorf("Assignable(J18) says %q, want %q", err, want)
	}
	if c, err := s.Assignable("j18.9"); err != nil || c.Code != "J18.9" || !c.Assignable() {
		t.Errorf("Assignable(j18.9) = %+v, %v", c, err)
	}
	if _, err := s.Assignable("J18.99"); !errors.Is(err, ErrUnknownCode) {
		t.Errorf("Assignable(J18.99): %v", err)
	}
	// In search, headers are shown, flagged.
	hits, _ := s.Search("J18", 50)
	if len(hits) != 6 || hits[0].Code.Code != "J18" || hits[0].Code.Assignable() || !hits[5].Code.Assignable() {
		t.Errorf("J18: %v", codes(hits))
	}
}

func TestSearchByCode(t *testing.T) {
	s := shipped(t)
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"J18", []string{"J18", "J18.0", "J18.1", "J18.2", "J18.8", "J18.9"}},
		{"j18", []string{"J18", "J18.0", "J18.1", "J18.2", "J18.8", "J18.9"}},
		{"J18.9", []string{"J18.9"}},
		{"j189", []string{"J18.9"}},
		{"J18.", []string{"J18", "J18.0", "J18.1", "J18.2", "J18.8", "J18.9"}},
		{"S52.521A", []string{"S52.521A"}},
		{"s52521a", []string{"S52.521A"}},
	} {
		hits, more := s.Search(tc.query, 50)
		if got := codes(hits); strings.Join(got, " ") != strings.Join(tc.want, " ") || more {
			t.Errorf("Search(%q) = %v (more %v), want %v", tc.query, got, more, tc.want)
		}
		for _, h := range hits {
			if h.Match != MatchCode {
				t.Errorf("Search(%q): %s matched by %v, want code", tc.query, h.Code.Code, h.Match)
			}
		}
	}
	// The tabular order: C4A (Merkel cell carcinoma) comes after C43 and
	// before C44, as in the order file, not after C49.
	hits, more := s.Search("C", 0)
	if !more && len(hits) == 0 {
		t.Fatal("C: nothing")
	}
	hits, _ = s.Search("c4", 0)
	var cats []string
	for _, h := range hits {
		if len(h.Code.Code) == 3 {
			cats = append(cats, h.Code.Code)
		}
	}
	if got := strings.Join(cats, " "); got != "C40 C41 C43 C4A C44 C45 C46 C47 C48 C49" {
		t.Errorf("categories under C4, in code order: %s", got)
	}
	// A first letter shows the chapter's first codes.
	hits, more = s.Search("a", 10)
	if got := strings.Join(codes(hits), " "); got != "A00 A00.0 A00.1 A00.9 A01 A01.0 A01.00 A01.01 A01.02 A01.03" || !more {
		t.Errorf("a: %s (more %v)", got, more)
	}
}

// position is where code is in hits, or -1.
func position(hits []Hit, code string) int {
	for i, h := range hits {
		if h.Code.Code == code {
			return i
		}
	}
	return -1
}

// searchCase is a query whose hits must hold code among the first within,
// found by match.
type searchCase struct {
	query, code string
	within      int
	match       Match
}

// wantFound searches s for each case's query and checks where and how
// its code is found.
func wantFound(t *testing.T, s *Set, cases []searchCase) {
	t.Helper()
	for _, tc := range cases {
		hits, _ := s.Search(tc.query, 50)
		p := position(hits, tc.code)
		if p < 0 || p >= tc.within {
			t.Errorf("Search(%q): %s at %d, want within the first %d: %v", tc.query, tc.code, p, tc.within, codes(hits[:min(len(hits), 10)]))
			continue
		}
		if hits[p].Match != tc.match {
			t.Errorf("Search(%q): %s matched by %v, want %v", tc.query, tc.code, hits[p].Match, tc.match)
		}
	}
}

func TestSearchByWords(t *testing.T) {
	s := shipped(t)
	wantFound(t, s, []searchCase{
		{"pneumonia unspecified organism", "J18.9", 3, MatchWords},
		{"organism unspecified pneumonia", "J18.9", 3, MatchWords},
		{"pneum unspec", "J18.9", 10, MatchPrefixes},
		{"unspec pneum", "J18.9", 10, MatchPrefixes},
		{"PNEUMONIA", "J18.9", 20, MatchWords},
		{"pneumonia", "J18.9", 20, MatchWords},
		{"cerebral infarction", "I63.9", 3, MatchWords},
		{"type 2 diabetes", "E11.9", 20, MatchWords},
		{"diab type 2 without", "E11.9", 3, MatchPrefixes},
		{"fracture lower end right radius initial closed", "S52.501A", 10, MatchWords},
		{"covid", "U07.1", 3, MatchWords},
		{"e11 neuropathy", "E11.40", 3, MatchWords},
		{"malaria", "B54", 20, MatchWords},
	})
	// Every hit holds every word typed.
	hits, _ := s.Search("fract radius shaft", 0)
	if len(hits) < 100 {
		t.Fatalf("fract radius shaft: %d hits", len(hits))
	}
	for _, h := range hits {
		l := strings.ToLower(h.Code.Long + " " + h.Code.Short)
		if !strings.Contains(l, "fract") || !strings.Contains(l, "radius") || !strings.Contains(l, "shaft") {
			t.Errorf("fract radius shaft found %s %q", h.Code.Code, h.Code.Long)
		}
	}
	// Results come in tier order, and in code order within a tier.
	for i := 1; i < len(hits); i++ {
		a, b := hits[i-1], hits[i]
		ta := [3]int{int(a.Match), -a.Close, boolInt(!a.Leads)}
		tb := [3]int{int(b.Match), -b.Close, boolInt(!b.Leads)}
		if tb[0] < ta[0] || (tb[0] == ta[0] && (tb[1] < ta[1] || (tb[1] == ta[1] && tb[2] < ta[2]))) {
			t.Fatalf("%s before %s: tiers out of order", a.Code.Code, b.Code.Code)
		}
	}
	if hits, _ := s.Search("zzzzqqq", 50); len(hits) != 0 {
		t.Errorf("zzzzqqq: %v", codes(hits))
	}
	if hits, _ := s.Search("  ,;  ", 50); len(hits) != 0 {
		t.Errorf("punctuation: %v", codes(hits))
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestSearchWithTypos(t *testing.T) {
	s := shipped(t)
	wantFound(t, s, []searchCase{
		{"pnuemonia", "J18.9", 20, MatchTypo},            // swapped letters
		{"pnuemonia unspecified", "J18.9", 5, MatchTypo}, // with a word spelt right
		{"pneumoni unspecifed organism", "J18.9", 3, MatchTypo},
		{"pnuem unspec", "J18.9", 10, MatchTypo}, // a typo in a prefix, as typed
		{"diabetis type 2 without", "E11.9", 3, MatchTypo},
		{"hypertenshun", "I10", 20, MatchTypos}, // two edits in a long word
		{"asthmma", "J45.909", 50, MatchTypo},
	})
	// Short words get no typo allowance: "flu" is not "flux".
	if hits, _ := s.Search("fuu", 50); len(hits) != 0 {
		t.Errorf("fuu: %v", codes(hits))
	}
	// A typo match never comes before an exact one.
	hits, _ := s.Search("pneumonia", 50)
	for _, h := range hits {
		if h.Match >= MatchTypo {
			t.Fatalf("pneumonia: %s by %v though exact matches fill no limit", h.Code.Code, h.Match)
		}
	}
}

// icd10Sample is the first lines of the shipped file, plus one.
func icd10Sample(t *testing.T, n int) string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(shippedBytes(t)))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	buf := make([]byte, 64<<10)
	k, _ := zr.Read(buf)
	lines := strings.SplitAfter(string(buf[:k]), "\n")
	for _, l := range lines[:n] {
		b.WriteString(l)
	}
	return b.String()
}

func TestOpenOtherCodeSet(t *testing.T) {
	// A WHO ICD-10-like file: its own columns, one description, codes with
	// dots; the column order differs and an extra column is ignored.
	file := "billable\tcode\tnote\tlong_description\n" +
		"0\tA00\tx\tCholera\n" +
		"1\tA00.0\t\tCholera due to Vibrio cholerae 01, biovar cholerae\n" +
		"1\tA00.1\t\tCholera due to Vibrio cholerae 01, biovar eltor\n" +
		"1\tA00.9\t\tCholera, unspecified\r\n" +
		"\n"
	s, err := Open(strings.NewReader(file), "ICD-10", "2019")
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Lookup("a009")
	if err != nil || c.Code != "A00.9" || c.Long != "Cholera, unspecified" || c.Short != c.Long || c.System != "ICD-10" || c.Version != "2019" {
		t.Fatalf("Lookup(a009) = %+v, %v", c, err)
	}
	hits, _ := s.Search("choler eltor", 10)
	if got := codes(hits); len(got) != 1 || got[0] != "A00.1" || hits[0].Code.System != "ICD-10" {
		t.Errorf("choler eltor: %v", got)
	}
	// Gzip-compressed, the same.
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write([]byte(file))
	zw.Close()
	if s2, err := Open(&z, "ICD-10", "2019"); err != nil || s2.Len() != 4 {
		t.Fatalf("gzip: %v", err)
	}
	// An ICD-11-shaped code set: codes of another shape are taken as given.
	s11, err := Open(strings.NewReader("code\tbillable\tshort_description\n1A00\t1\tCholera\nBA00.Z\t1\tEssential hypertension, unspecified\n"), "ICD-11", "2024-01")
	if err != nil {
		t.Fatal(err)
	}
	if c, err := s11.Lookup("ba00.z"); err != nil || c.Code != "BA00.Z" {
		t.Errorf("ICD-11 BA00.Z: %+v %v", c, err)
	}
	if hits, _ := s11.Search("1a0", 5); len(hits) != 1 || hits[0].Code.Code != "1A00" {
		t.Errorf("ICD-11 1a0: %v", codes(hits))
	}
}

// TestOpenWordyAndForeignCodeSet: descriptions of many words (more than
// the index first makes room for) and of another language are searched by
// each of their words.
func TestOpenWordyAndForeignCodeSet(t *testing.T) {
	var b strings.Builder
	b.WriteString("code\tbillable\tlong_description\n")
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&b, "A%02d.%d\t1\tword%da", i/10, i%10, i)
		for k := 0; k < 30; k++ {
			fmt.Fprintf(&b, " filler%d", (i*31+k)%500)
		}
		b.WriteString("\n")
	}
	b.WriteString("J18.9\t1\tPneumonie, organisme non précisé–sans\u00a0autre indication\n")
	s, err := Open(strings.NewReader(b.String()), "CIM-10", "2019")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []struct{ words, code string }{{"word0a", "A00.0"}, {"filler387 word77a", "A07.7"}, {"word199a", "A19.9"}} {
		// The others are typos (word1a…), shown after it to fill the page.
		if hits, _ := s.Search(q.words, 5); len(hits) == 0 || hits[0].Code.Code != q.code || hits[0].Match != MatchWords || (len(hits) > 1 && hits[1].Match < MatchTypo) {
			t.Errorf("%s: %v", q.words, codes(hits))
		}
	}
	for _, q := range []string{"précisé", "PRÉCISÉ", "sans autre", "autre pneumonie"} {
		if hits, _ := s.Search(q, 5); len(hits) != 1 || hits[0].Code.Code != "J18.9" || hits[0].Match != MatchWords {
			t.Errorf("%s: %v", q, codes(hits))
		}
	}
}

func TestOpenCDCOrderFile(t *testing.T) {
	// CDC's fixed-width order file, as icd10cm-order-2022.txt has these
	// lines.
	line := func(order int, code string, billable int, short, long string) string {
		return fmt.Sprintf("%05d %-7s %d %-60s %s\n", order, code, billable, short, long)
	}
	file := line(1, "A00", 0, "Cholera", "Cholera") +
		line(2, "A000", 1, "Cholera due to Vibrio cholerae 01, biovar cholerae", "Cholera due to Vibrio cholerae 01, biovar cholerae") +
		line(3, "J189", 1, "Pneumonia, unspecified organism", "Pneumonia, unspecified organism") +
		line(4, "S52521A", 1, "Torus fx lower end of right radius, init for clos fx", "Torus fracture of lower end of right radius, initial encounter for closed fracture")
	s, err := Open(strings.NewReader(file), "ICD-10-CM", "FY2023")
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Lookup("S52.521A")
	if err != nil || c.Code != "S52.521A" || c.Short != "Torus fx lower end of right radius, init for clos fx" || !c.Billable || c.Version != "FY2023" {
		t.Fatalf("S52.521A: %+v %v", c, err)
	}
	if c, _ := s.Lookup("A00"); c.Billable {
		t.Error("A00 is a header")
	}
	// Searched by its short description's abbreviations too.
	if hits, _ := s.Search("torus fx clos", 5); len(hits) != 1 {
		t.Errorf("torus fx clos: %v", codes(hits))
	}
	bad := line(1, "A00", 0, "Cholera", "Cholera") + line(2, "A000", 7, "Cholera due", "Cholera due")
	_, err = Open(strings.NewReader(bad), "ICD-10-CM", "FY2023")
	var fe *FileError
	if !errors.As(err, &fe) || fe.Line != 2 || !strings.Contains(err.Error(), "billable flag") {
		t.Errorf("a bad billable flag: %v", err)
	}
}

func TestOpenBadFiles(t *testing.T) {
	header := "code\tbillable\tshort_description\tlong_description\tpoa_exempt\tchronic_indicator\n"
	good := "J18\t0\tPneumonia, unspecified organism\tPneumonia, unspecified organism\t\t\n"
	for _, tc := range []struct {
		name, file string
		line       int
		says       string
	}{
		{"empty", "", 1, "the file is empty"},
		{"header only", header, 2, "holds no code"},
		{"not a code set", "hello world\nfoo\n", 1, "neither a tab-separated header"},
		{"no code column", "billable\tshort_description\n1\tx\n", 1, "lacks the column code"},
		{"no description", "code\tbillable\n", 1, "lacks the column short_description or long_description"},
		{"column twice", "code\tcode\tbillable\tlong_description\n", 1, `the column "code" is named twice`},
		{"too few columns", header + good + "J18.9\t1\tPneumonia\n", 3, "3 columns, but the header names 6"},
		{"too many columns", header + good + "J18.9\t1\ta\tb\t\t\t\t\n", 3, "8 columns, but the header names 6"},
		{"billable", header + good + "J18.9\tyes\ta\tb\tN\tA\n", 3, `billable is "yes": it must be 1 (a code that may be assigned) or 0 (a category header)`},
		{"malformed code", header + good + "J1\t1\ta\tb\tN\tA\n", 3, `"J1" is not an ICD-10-CM code: it has at least three characters`},
		{"no code", header + good + "\t1\ta\tb\tN\tA\n", 3, "no code was given"},
		{"no description", header + good + "J18.9\t1\t\t\tN\tA\n", 3, "J18.9 has no description"},
		{"poa", header + good + "J18.9\t1\ta\tb\tmaybe\tA\n", 3, `poa_exempt is "maybe"`},
		{"chronic", header + good + "J18.9\t1\ta\tb\tN\tX\n", 3, `chronic_indicator is "X"`},
		{"twice", header + good + "J18.9\t1\ta\tb\tN\tA\n\nj189\t1\ta\tb\tN\tA\n", 5, "j189 is given again (first on line 3)"},
		{"dotted differs", "code\tcode_dotted\tbillable\tshort_description\nJ189\tJ18.8\t1\tx\n", 2, `code_dotted "J18.8" is not the code "J189"`},
		{"gzip broken", "\x1f\x8b\x08\x00garbage", 0, "gzip"},
	} {
		_, err := Open(strings.NewReader(tc.file), "ICD-10-CM", "FY2022")
		var fe *FileError
		if !errors.As(err, &fe) || !errors.Is(err, ErrBadFile) {
			t.Errorf("%s: %v, want a FileError", tc.name, err)
			continue
		}
		if fe.Line != tc.line || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %q (line %d), want line %d saying %q", tc.name, err, fe.Line, tc.line, tc.says)
		}
	}
	// Too large: refused after MaxFileSize bytes, not read to the end.
	huge := io.MultiReader(strings.NewReader(header), &endless{line: []byte(good)})
	if _, err := Open(huge, "ICD-10-CM", "FY2022"); !errors.Is(err, ErrBadFile) || !strings.Contains(err.Error(), "larger than 128 MB") {
		t.Errorf("a file without end: %v", err)
	}
	if _, err := Open(strings.NewReader(header+good), "", "FY2022"); !errors.Is(err, ErrBadFile) || !strings.Contains(err.Error(), "no system name") {
		t.Errorf("no system: %v", err)
	}
	if _, err := Open(strings.NewReader(header+good), "ICD-10-CM", " "); !errors.Is(err, ErrBadFile) || !strings.Contains(err.Error(), "no version") {
		t.Errorf("no version: %v", err)
	}
	// The shipped file's first lines open as they are.
	if s, err := Open(strings.NewReader(icd10Sample(t, 30)), "ICD-10-CM", "FY2022"); err != nil || s.Len() != 29 {
		t.Errorf("sample: %v", err)
	}
}

func shippedBytes(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "assets", "icd10cm_fy2022.tsv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestLazyOpensOnce(t *testing.T) {
	calls := 0
	l := Lazy{Load: func() (*Set, error) {
		calls++
		return Open(strings.NewReader("code\tbillable\tlong_description\nA00\t0\tCholera\n"), "ICD-10", "2019")
	}}
	a, err := l.Set()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := l.Set()
	if a != b || calls != 1 {
		t.Errorf("opened %d times", calls)
	}
}

// TestShippedFileIsGenerated: assets/icd10cm_fy2022.tsv.gz is what
// icd10cmgen makes of the shared corpus's order file (skipped where the
// corpus is not beside the repository).
func TestShippedFileIsGenerated(t *testing.T) {
	src := filepath.Join("..", "..", "shared", "corpus", "icd10cm", "icd10cm_order_fy2022.tsv.gz")
	if _, err := os.Stat(src); err != nil {
		t.Skipf("the shared corpus is not at %s", src)
	}
	out := filepath.Join(t.TempDir(), "icd10cm.tsv.gz")
	cmd := exec.Command("go", "run", "./icd10cmgen", "-in", src, "-out", out)
	cmd.Dir = filepath.Join("..", "assets")
	cmd.Args[4], _ = filepath.Abs(src)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("icd10cmgen: %v\n%s", err, b)
	}
	made, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(made, shippedBytes(t)) {
		t.Fatal("assets/icd10cm_fy2022.tsv.gz differs from what icd10cmgen makes: run go generate ./assets")
	}
}

// TestConcurrentSearch: one Set searched from several goroutines at once
// (run under -race by make test) gives each the answer it gives alone.
func TestConcurrentSearch(t *testing.T) {
	var l Lazy
	queries := []string{"J18", "pneum unspec", "pnuemonia", "type 2 diabetes", "s52.5", "fract radius"}
	want := map[string]string{}
	s, err := l.Set()
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range queries {
		hits, _ := s.Search(q, 20)
		want[q] = strings.Join(codes(hits), " ")
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8*len(queries))
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := l.Set()
			if err != nil {
				errs <- err.Error()
				return
			}
			for k := range queries {
				q := queries[(k+g)%len(queries)]
				hits, _ := s.Search(q, 20)
				if got := strings.Join(codes(hits), " "); got != want[q] {
					errs <- fmt.Sprintf("%s: %s, alone %s", q, got, want[q])
				}
				if _, err := s.Lookup("J18.9"); err != nil {
					errs <- err.Error()
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// endless repeats line for ever.
type endless struct{ line []byte }

func (e *endless) Read(p []byte) (int, error) {
	n := 0
	for n+len(e.line) <= len(p) {
		n += copy(p[n:], e.line)
	}
	return n, nil
}
