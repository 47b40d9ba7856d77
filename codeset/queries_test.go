package codeset

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/queries.tsv from the shipped code set")

// clinical is what clinicians and coders type for common diagnoses, with
// the code each should find.
var clinical = [][2]string{
	{"hypertension", "I10"}, {"type 2 diabetes", "E11.9"}, {"asthma", "J45.909"},
	{"pneumonia", "J18.9"}, {"urinary tract infection", "N39.0"}, {"malaria", "B54"},
	{"tuberculosis lung", "A15.0"}, {"hiv disease", "B20"}, {"anemia", "D64.9"},
	{"otitis media", "H66.90"}, {"gastroenteritis colitis", "K52.9"}, {"headache", "R51.9"},
	{"low back pain", "M54.50"}, {"covid", "U07.1"}, {"fever", "R50.9"},
	{"cough", "R05.9"}, {"depression", "F32.A"}, {"anxiety", "F41.9"},
	{"obesity", "E66.9"}, {"supervision normal pregnancy", "Z34.90"}, {"full term delivery", "O80"},
	{"general adult examination", "Z00.00"}, {"chest pain", "R07.9"}, {"abdominal pain", "R10.9"},
	{"dehydration", "E86.0"}, {"sepsis", "A41.9"}, {"heart failure", "I50.9"},
	{"atrial fibrillation", "I48.91"}, {"cerebral infarction", "I63.9"}, {"chronic obstructive pulmonary", "J44.9"},
	{"acute bronchitis", "J20.9"}, {"chronic sinusitis", "J32.9"}, {"pharyngitis", "J02.9"},
	{"tonsillitis", "J03.90"}, {"conjunctivitis", "H10.9"}, {"dermatitis", "L30.9"},
	{"cellulitis", "L03.90"}, {"scabies", "B86"}, {"malnutrition", "E46"},
	{"vitamin d deficiency", "E55.9"}, {"hypothyroidism", "E03.9"}, {"epilepsy", "G40.909"},
	{"migraine", "G43.909"}, {"schizophrenia", "F20.9"}, {"alcohol dependence", "F10.20"},
	{"osteoarthritis knee", "M17.9"}, {"rheumatoid arthritis", "M06.9"}, {"gout", "M10.9"},
	{"chronic kidney disease", "N18.9"}, {"kidney calculus", "N20.0"}, {"typhoid fever", "A01.00"},
	{"dengue", "A90"}, {"cholera", "A00.9"}, {"chronic hepatitis b", "B18.1"},
	{"measles", "B05.9"}, {"varicella", "B01.9"}, {"immunization", "Z23"},
	{"dizziness", "R42"}, {"diarrhea", "R19.7"}, {"reflux esophagitis", "K21.9"},
	{"acute appendicitis", "K35.80"}, {"diabetes hyperglycemia", "E11.65"}, {"dysuria", "R30.0"},
	{"fall", "W19.XXXA"}, {"concussion", "S06.0X0A"}, {"hyperlipidemia", "E78.5"},
	{"hypertensive heart failure", "I11.0"}, {"neonatal jaundice", "P59.9"}, {"viral infection", "B34.9"},
	{"upper respiratory infection", "J06.9"},
}

// typo makes one deterministic typing slip in the longest word of q: two
// neighbouring letters swapped, or one left out, or one doubled.
func typo(q string, n int) string {
	ws := strings.Fields(q)
	long := 0
	for i, w := range ws {
		if len(w) > len(ws[long]) {
			long = i
		}
	}
	w := ws[long]
	if len(w) < 5 {
		return ""
	}
	at := 1 + n%(len(w)-3)
	switch n % 3 {
	case 0:
		w = w[:at] + w[at+1:at+2] + w[at:at+1] + w[at+2:]
	case 1:
		w = w[:at] + w[at+1:]
	default:
		w = w[:at] + w[at:at+1] + w[at:]
	}
	ws[long] = w
	return strings.Join(ws, " ")
}

// deriveQueries makes the 200 benchmark queries from the code set: 50 codes
// typed as coders type them, 70 clinical terms, 40 word queries taken from
// real descriptions (words shuffled, some cut to their first letters) and
// 40 of those with a typo.
func deriveQueries(s *Set) [][3]string {
	var out [][3]string
	var billable []int32
	for i := range s.ents {
		if s.ents[i].billable {
			billable = append(billable, int32(i))
		}
	}
	for k := 0; k < 50; k++ {
		e := s.ents[billable[(k*7919+13)%len(billable)]]
		q := e.code
		switch k % 4 {
		case 1:
			q = strings.ToLower(e.key)
		case 3:
			q = strings.ToLower(e.code)
		}
		want := e.code
		if k%4 == 2 { // the category: the code's first three characters
			q, want = e.code[:3], e.code[:3]
		}
		out = append(out, [3]string{"code", q, want})
	}
	for _, c := range clinical {
		out = append(out, [3]string{"clinical", c[0], c[1]})
	}
	var wordQueries [][3]string
	for k := 0; len(wordQueries) < 40; k++ {
		e := s.ents[billable[(k*4999+101)%len(billable)]]
		// The description's four rarest words, as a coder types the words
		// that tell a code from its neighbours.
		var ws []string
		words(e.long, nil, func(w []byte) {
			if len(w) > 3 && !slices.Contains(ws, string(w)) {
				ws = append(ws, string(w))
			}
		})
		if len(ws) < 2 {
			continue
		}
		postings := func(w string) int {
			lo, _ := s.idx.prefixRange(w)
			return len(s.idx.post[lo])
		}
		slices.SortStableFunc(ws, func(a, b string) int { return postings(a) - postings(b) })
		if len(ws) > 4 {
			ws = ws[:4]
		}
		// Any order: the last word first; every other word cut to 5 letters.
		ws = append(ws[len(ws)-1:], ws[:len(ws)-1]...)
		for i := range ws {
			if i%2 == 1 && len(ws[i]) > 5 {
				ws[i] = ws[i][:5]
			}
		}
		wordQueries = append(wordQueries, [3]string{"words", strings.Join(ws, " "), e.code})
	}
	out = append(out, wordQueries...)
	n := 0
	for _, src := range append(out[50:120:120], wordQueries...) {
		if t := typo(src[1], n); t != "" && len(out) < 200 {
			out = append(out, [3]string{"typo", t, src[2]})
			n++
		}
		if n == 40 {
			break
		}
	}
	return out
}

func readQueries(t testing.TB) [][3]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "queries.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	var qs [][3]string
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.Split(l, "\t")
		if len(f) != 3 {
			t.Fatalf("queries.tsv: %q", l)
		}
		qs = append(qs, [3]string{f[0], f[1], f[2]})
	}
	return qs
}

// TestQueriesFile: testdata/queries.tsv is what deriveQueries makes of the
// shipped code set (go test -run TestQueriesFile -update rewrites it).
func TestQueriesFile(t *testing.T) {
	s := shipped(t)
	qs := deriveQueries(s)
	if len(qs) != 200 {
		t.Fatalf("%d queries derived, want 200", len(qs))
	}
	var b strings.Builder
	b.WriteString("# kind\tquery as typed\tthe code it should find (derived by deriveQueries in queries_test.go; -update rewrites)\n")
	for _, q := range qs {
		fmt.Fprintf(&b, "%s\t%s\t%s\n", q[0], q[1], q[2])
	}
	path := filepath.Join("testdata", "queries.tsv")
	if *update {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != b.String() {
		t.Fatalf("%s is not what deriveQueries makes: run go test -run TestQueriesFile -update ./codeset", path)
	}
	for _, q := range qs {
		if _, err := s.Lookup(q[2]); err != nil {
			t.Errorf("query %q expects %s: %v", q[1], q[2], err)
		}
	}
}

// TestQueriesFindTheirCode: each of the 200 queries, typed in full, finds
// the code it was made for among the first 50 results (a page of the
// coding screen): every code and clinical term does; of the description's
// words, a few may not (words shared by many codes: 197 of 200 did when
// this was written).
func TestQueriesFindTheirCode(t *testing.T) {
	s := shipped(t)
	found := map[string]int{}
	kinds := map[string]int{}
	for _, q := range readQueries(t) {
		kinds[q[0]]++
		hits, _ := s.Search(q[1], 50)
		ok := false
		for _, h := range hits {
			if h.Code.Code == q[2] {
				ok = true
				break
			}
		}
		if ok {
			found[q[0]]++
		} else {
			t.Logf("%s %q: %s not among the first 50", q[0], q[1], q[2])
		}
	}
	total := 0
	for k, n := range kinds {
		t.Logf("%s: %d of %d found", k, found[k], n)
		total += found[k]
	}
	if found["code"] != kinds["code"] {
		t.Errorf("every code typed must find its code")
	}
	if found["clinical"] != kinds["clinical"] {
		t.Errorf("%d of %d clinical terms found their code; want all", found["clinical"], kinds["clinical"])
	}
	if total < 190 {
		t.Errorf("%d of 200 queries found their code among the first 50; want at least 190", total)
	}
}
