package classify

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"unicode"
)

// Limits of what the model keeps.
const (
	minWordLen = 3
	maxWordLen = 24
	// MaxWordsPerType bounds a type's vocabulary: past it, Learn drops
	// the words seen in a single document of that type (most are OCR
	// noise and names), so a type's stored evidence stays small.
	MaxWordsPerType = 20000
)

// Evidence is what was learned of one document type: how many filed
// documents taught it and, per word, in how many of them it occurs.
type Evidence struct {
	Documents int            `json:"documents"`
	Words     map[string]int `json:"words"`
}

// ErrBadEvidence is the error of stored evidence that does not decode.
var ErrBadEvidence = errors.New("damaged classifier evidence")

// Encode returns the evidence as stored.
func (e Evidence) Encode() []byte {
	if e.Words == nil {
		e.Words = map[string]int{}
	}
	b, _ := json.Marshal(e) // a map of strings to ints always encodes
	return b
}

// DecodeEvidence reads evidence Encode wrote, refusing negative counts
// and words Words would not give.
func DecodeEvidence(b []byte) (Evidence, error) {
	var e Evidence
	if err := json.Unmarshal(b, &e); err != nil {
		return Evidence{}, fmt.Errorf("%w: %v", ErrBadEvidence, err)
	}
	if e.Documents < 0 {
		return Evidence{}, fmt.Errorf("%w: %d documents", ErrBadEvidence, e.Documents)
	}
	for w, n := range e.Words {
		if n <= 0 || n > e.Documents || !validWord(w) {
			return Evidence{}, fmt.Errorf("%w: word %q counted %d times in %d documents", ErrBadEvidence, w, n, e.Documents)
		}
	}
	if e.Words == nil {
		e.Words = map[string]int{}
	}
	return e, nil
}

// Words returns the distinct words of a text the model learns from, in
// order of first appearance: runs of letters, in lower case, of 3 to 24
// letters.
func Words(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, f := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) }) {
		if validWord(f) && !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

func validWord(w string) bool {
	n := len([]rune(w))
	return n >= minWordLen && n <= maxWordLen && strings.IndexFunc(w, func(r rune) bool { return !unicode.IsLetter(r) || unicode.IsUpper(r) }) < 0
}

// Model is a multinomial naive Bayes classifier over the distinct words
// of filed documents. The zero Model is empty and ready. Learn, Forget and
// Set change it; Guess prepares its sums on first use after a change. A
// model shared between goroutines must be Prepared first and no longer
// changed: then Guess only reads it.
type Model struct {
	types map[string]*Evidence
	// The sums Guess needs, made by Prepare (ready) and dropped by any
	// change: per type the sum of its word counts, and the size of the
	// vocabulary of every learned type.
	ready  bool
	totals map[string]int
	vocab  int
}

// Prepare makes the sums Guess uses, once per change of the model.
func (m *Model) Prepare() {
	if m.ready {
		return
	}
	m.totals = map[string]int{}
	seen := map[string]bool{}
	for t, e := range m.types {
		if e.Documents == 0 {
			continue
		}
		for w, n := range e.Words {
			m.totals[t] += n
			seen[w] = true
		}
	}
	m.vocab = len(seen)
	m.ready = true
}

// known reports whether any learned type has seen w.
func (m *Model) known(w string, types []string) bool {
	for _, t := range types {
		if m.types[t].Words[w] > 0 {
			return true
		}
	}
	return false
}

// Set puts a type's stored evidence into the model.
func (m *Model) Set(typ string, e Evidence) {
	if m.types == nil {
		m.types = map[string]*Evidence{}
	}
	m.ready = false
	e.Words = maps.Clone(e.Words)
	if e.Words == nil {
		e.Words = map[string]int{}
	}
	m.types[typ] = &e
}

// Evidence returns what the model learned of a type (a copy).
func (m *Model) Evidence(typ string) Evidence {
	e, ok := m.types[typ]
	if !ok {
		return Evidence{Words: map[string]int{}}
	}
	return Evidence{Documents: e.Documents, Words: maps.Clone(e.Words)}
}

// Types returns the types the model has learned, in order.
func (m *Model) Types() []string {
	var out []string
	for t, e := range m.types {
		if e.Documents > 0 {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out
}

// Documents returns how many filed documents taught the model a type, or
// all types when typ is "".
func (m *Model) Documents(typ string) int {
	if typ != "" {
		if e, ok := m.types[typ]; ok {
			return e.Documents
		}
		return 0
	}
	n := 0
	for _, e := range m.types {
		n += e.Documents
	}
	return n
}

// Learn adds one filed document of type typ, given by its Words.
func (m *Model) Learn(typ string, words []string) {
	m.ready = false
	if m.types == nil {
		m.types = map[string]*Evidence{}
	}
	e := m.types[typ]
	if e == nil {
		e = &Evidence{Words: map[string]int{}}
		m.types[typ] = e
	}
	e.Documents++
	for _, w := range distinct(words) {
		e.Words[w]++
	}
	if len(e.Words) > MaxWordsPerType {
		maps.DeleteFunc(e.Words, func(_ string, n int) bool { return n <= 1 })
	}
}

// Forget takes back one document Learn added with the same type and
// words.
func (m *Model) Forget(typ string, words []string) {
	e := m.types[typ]
	if e == nil || e.Documents == 0 {
		return
	}
	m.ready = false
	e.Documents--
	for _, w := range distinct(words) {
		if n := e.Words[w]; n > 1 {
			e.Words[w] = n - 1
		} else {
			delete(e.Words, w)
		}
	}
	// Forgetting words that were never learned leaves others counted in
	// more documents than remain: no word occurs in more than all of them.
	if e.Documents == 0 {
		clear(e.Words)
	}
	for w, n := range e.Words {
		e.Words[w] = min(n, e.Documents)
	}
}

func distinct(words []string) []string {
	out := make([]string, 0, len(words))
	seen := make(map[string]bool, len(words))
	for _, w := range words {
		if validWord(w) && !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// Guess is the model's best type for some words.
type Guess struct {
	Type string
	// Probability is the model's posterior for Type (0..1); naive Bayes
	// is known to be over-sure, so it is a ranking more than a chance.
	Probability float64
	// Documents is how many filed documents of Type taught the model.
	Documents int
	// Telling are up to three of the words that weighed most for Type
	// against the runner-up, most telling first.
	Telling []string
}

// Guess ranks the learned types for words; ok is false when the model
// has learned fewer than two types (it cannot tell anything apart yet).
func (m *Model) Guess(words []string) (g Guess, ok bool) {
	types := m.Types()
	if len(types) < 2 {
		return Guess{}, false
	}
	m.Prepare()
	words = distinct(words)
	// Multinomial naive Bayes over each document's distinct words, with
	// add-one smoothing over the vocabulary of every learned type; words
	// no type has seen are left out.
	logLike := func(t, w string) float64 {
		return math.Log(float64(m.types[t].Words[w]+1) / float64(m.totals[t]+m.vocab))
	}
	known := words[:0:0]
	for _, w := range words {
		if m.known(w, types) {
			known = append(known, w)
		}
	}
	words = known
	scores := make([]float64, len(types))
	for i, t := range types {
		s := 0.0 // a uniform prior: a type filed less often is not proposed less for it
		for _, w := range words {
			s += logLike(t, w)
		}
		scores[i] = s
	}
	best, second := 0, -1
	for i := range scores {
		if scores[i] > scores[best] {
			best = i
		}
	}
	for i := range scores {
		if i != best && (second < 0 || scores[i] > scores[second]) {
			second = i
		}
	}
	sum := 0.0
	for _, s := range scores {
		sum += math.Exp(s - scores[best])
	}
	g = Guess{Type: types[best], Probability: 1 / sum, Documents: m.types[types[best]].Documents}
	type weigh struct {
		w string
		d float64
	}
	var ws []weigh
	for _, w := range words {
		if m.types[g.Type].Words[w] >= 2 {
			if d := logLike(g.Type, w) - logLike(types[second], w); d > 0 {
				ws = append(ws, weigh{w, d})
			}
		}
	}
	slices.SortStableFunc(ws, func(a, b weigh) int {
		switch {
		case a.d > b.d:
			return -1
		case a.d < b.d:
			return 1
		}
		return 0
	})
	for _, x := range ws[:min(3, len(ws))] {
		g.Telling = append(g.Telling, x.w)
	}
	return g, true
}
