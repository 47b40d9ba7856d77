package app

import (
	"strings"
	"unicode"

	"github.com/antzucaro/matchr"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Patient search works on blind-index tokens: each term below is turned into
// a keyed PRF token by the Keyring before it reaches the store, so the disk
// holds no name, date or number. The terms of a patient, by field:
//
//	n:WORD   every normalised name word (family, given, other names)
//	p3:ABC   its first 3 letters, p5:ABCDE its first 5 (search as you type)
//	dm:CODE  its Double Metaphone codes (spelling variants: Jon/John, Mohamed/Muhammad)
//	dob:YYYY-MM-DD, yob:YYYY, mrn:MRN, tel:LAST9DIGITS, nid:ID
//
// Candidates come from the index; ranking is done on the decrypted records.

// foldName lowercases a name, strips accents and keeps letters only, so
// "Zoë O'Neil-Ávila" gives the words "zoe", "oneil", "avila".
func nameWords(s string) []string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	folded, _, err := transform.String(t, s)
	if err != nil {
		folded = s
	}
	folded = strings.ToLower(folded)
	var words []string
	for _, f := range strings.FieldsFunc(folded, func(r rune) bool { return unicode.IsSpace(r) || r == '-' || r == ',' || r == '.' }) {
		var b strings.Builder
		for _, r := range f {
			if unicode.IsLetter(r) {
				b.WriteRune(r)
			}
		}
		if b.Len() > 0 {
			words = append(words, b.String())
		}
	}
	return words
}

// phoneDigits keeps the digits of a phone number.
func phoneDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// phoneKey is the last nine digits, so "+256 772 123456" and "0772 123456"
// meet.
func phoneKey(s string) string {
	d := phoneDigits(s)
	if len(d) > 9 {
		d = d[len(d)-9:]
	}
	return d
}

func prefix(w string, n int) string {
	r := []rune(w)
	if len(r) < n {
		return ""
	}
	return string(r[:n])
}

// nameTerms returns the index terms of one name word.
func nameTerms(w string) []string {
	terms := []string{"n:" + w}
	if p := prefix(w, 3); p != "" {
		terms = append(terms, "p3:"+p)
	}
	if p := prefix(w, 5); p != "" {
		terms = append(terms, "p5:"+p)
	}
	a, b := matchr.DoubleMetaphone(w)
	if a != "" {
		terms = append(terms, "dm:"+a)
	}
	if b != "" && b != a {
		terms = append(terms, "dm:"+b)
	}
	return terms
}

// queryTerms returns the terms that find candidates for one typed word: the
// word itself, its phonetic codes, and the longest prefix term it can give.
func queryTerms(w string) []string {
	terms := []string{"n:" + w}
	a, b := matchr.DoubleMetaphone(w)
	if a != "" && len([]rune(w)) >= 3 {
		terms = append(terms, "dm:"+a)
	}
	if b != "" && b != a && len([]rune(w)) >= 3 {
		terms = append(terms, "dm:"+b)
	}
	switch n := len([]rune(w)); {
	case n >= 5:
		terms = append(terms, "p5:"+prefix(w, 5))
	case n >= 3:
		terms = append(terms, "p3:"+prefix(w, 3))
	}
	return terms
}

// patientTerms returns the whole index term set of a patient.
func patientTerms(p Patient) []string {
	seen := map[string]bool{}
	var terms []string
	add := func(t string) {
		if !seen[t] {
			seen[t] = true
			terms = append(terms, t)
		}
	}
	for _, w := range patientNameWords(p) {
		for _, t := range nameTerms(w) {
			add(t)
		}
	}
	if !p.BirthDate.IsZero() {
		add("yob:" + p.BirthDate.String()[:4])
		if p.BirthDate.Day > 0 {
			add("dob:" + BirthDate{Year: p.BirthDate.Year, Month: p.BirthDate.Month, Day: p.BirthDate.Day}.String())
		}
	}
	add("mrn:" + p.MRN)
	if k := phoneKey(p.Phone); k != "" {
		add("tel:" + k)
	}
	if k := phoneKey(p.NextOfKin.Phone); k != "" {
		add("tel:" + k)
	}
	if n := strings.ToUpper(strings.Join(strings.Fields(p.NationalID), "")); n != "" {
		add("nid:" + n)
	}
	return terms
}

func patientNameWords(p Patient) []string {
	words := nameWords(p.Family)
	words = append(words, nameWords(p.Given)...)
	for _, o := range p.OtherNames {
		words = append(words, nameWords(o)...)
	}
	return words
}

// nameKey is a normalised name word with its Double Metaphone codes,
// computed once per word so ranking compares strings only.
type nameKey struct{ word, dm1, dm2 string }

func newNameKey(w string) nameKey {
	a, b := matchr.DoubleMetaphone(w)
	return nameKey{word: w, dm1: a, dm2: b}
}

func nameKeys(words []string) []nameKey {
	keys := make([]nameKey, len(words))
	for i, w := range words {
		keys[i] = newNameKey(w)
	}
	return keys
}

// soundsAlike reports whether two words share a Double Metaphone code.
func (k nameKey) soundsAlike(o nameKey) bool {
	return k.dm1 != "" && (k.dm1 == o.dm1 || k.dm1 == o.dm2 || (k.dm2 != "" && (k.dm2 == o.dm1 || k.dm2 == o.dm2)))
}

// wordSimilarity scores how well a typed word matches a name word, 0..1:
// exact 1, a prefix of it high (the clerk is still typing), else
// Jaro-Winkler, raised a little when the two sound alike.
func wordSimilarity(typed, name nameKey) float64 {
	if typed.word == name.word {
		return 1
	}
	if strings.HasPrefix(name.word, typed.word) {
		return 0.9 + 0.05*float64(len(typed.word))/float64(len(name.word))
	}
	s := matchr.JaroWinkler(typed.word, name.word, false)
	if typed.soundsAlike(name) {
		s = max(s, 0.85)
	}
	return s
}

// nameScore scores a patient's names against the typed words: the mean,
// over typed words, of the best match among the patient's name words. how
// says what kind of match the weakest word was, for the result's reason.
func nameScore(typed, names []nameKey) (score float64, how string) {
	if len(typed) == 0 {
		return 0, ""
	}
	total, worst := 0.0, 3
	for _, t := range typed {
		best, kind := 0.0, 0
		for _, n := range names {
			s := wordSimilarity(t, n)
			if s > best {
				best = s
				switch {
				case t.word == n.word:
					kind = 3
				case strings.HasPrefix(n.word, t.word):
					kind = 2
				default:
					kind = 1
				}
			}
		}
		total += best
		worst = min(worst, kind)
	}
	return total / float64(len(typed)), [...]string{"", "name spelled differently", "name (partly typed)", "name"}[worst]
}
