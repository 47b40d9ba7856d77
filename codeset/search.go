package codeset

import (
	"math/bits"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// How search works. The words of every description (long and short, lower
// case, split at anything not a letter or digit) make a sorted vocabulary
// (8,574 words for ICD-10-CM); each word has the ascending list of the
// entries that hold it (its postings), and each entry the list of its
// words' numbers, its long description's first. A word typed matches every
// vocabulary word it begins, a contiguous range of the vocabulary; with
// typos, also the words whose beginning is within one or two edits of it
// (a bounded edit distance over the words that start with its first or
// second letter). A query's candidates are the postings of its most
// selective word, or the codes under its code prefix; each candidate is
// graded in one pass over its own words, and put in its tier: how it
// matched (Match), how much of its description the query leaves out
// (Hit.Close), whether its description starts with a word typed
// (Hit.Leads). Typos are looked for only when the other matches do not fill
// the page asked for, since they would all come after.

// Match is how a result matched the query; it orders the results (the
// lower first), and the code order orders each tier.
type Match uint8

const (
	// MatchCode: the code starts with what was typed (J18, J18.9, j189).
	MatchCode Match = iota
	// MatchWords: every word typed is a whole word of the description.
	MatchWords
	// MatchPrefixes: some word typed is the start of a word of the
	// description (pneum → pneumonia).
	MatchPrefixes
	// MatchTypo: some word typed matched a word one edit away (a letter
	// missing, extra, wrong, or two letters swapped: pnuemonia).
	MatchTypo
	// MatchTypos: some word typed matched a word two edits away.
	MatchTypos
)

func (m Match) String() string {
	switch m {
	case MatchCode:
		return "code"
	case MatchWords:
		return "words"
	case MatchPrefixes:
		return "prefixes"
	case MatchTypo:
		return "typo"
	case MatchTypos:
		return "typos"
	}
	return "?"
}

// Hit is one search result.
type Hit struct {
	Code  Code
	Match Match
	// Close grades, from 3 down to 0, how much of the description the
	// words typed cover: 3 when they leave at most one word of it out, 2
	// for three, 1 for six, 0 beyond. Within a Match, closer hits come
	// first: "cerebral infarction" finds "Cerebral infarction, unspecified"
	// before the infarctions of each artery. (0 for MatchCode.)
	Close int
	// Leads: the description starts with a word typed (pneumonia →
	// "Pneumonia, unspecified organism"); within a Match and a Close, such
	// hits come first.
	Leads bool
}

// index is the Set's word index; see "How search works".
type index struct {
	vocab   []string  // sorted
	post    [][]int32 // per word, the entries holding it, ascending
	cum     []int     // cum[w] = postings of words before w (cost of a range)
	termOff []uint32  // entry i's words are terms[termOff[i]:termOff[i+1]]
	terms   []int32   // word numbers: the long description's, then the short one's not in it
	nLong   []uint8   // per entry, how many of its terms are the long description's
	lead    []int32   // per entry, the first word of its long description, or -1
}

// words calls f with each word of s, lower case, in a buffer f may not
// keep (string(w) copies it).
func words(s string, buf []byte, f func(w []byte)) []byte {
	for i := 0; i < len(s); {
		if !isWordByte(s[i]) {
			i++
			continue
		}
		j := i
		ascii := true
		buf = buf[:0]
		for ; j < len(s) && isWordByte(s[j]); j++ {
			b := s[j]
			if b >= utf8.RuneSelf {
				ascii = false
			}
			if 'A' <= b && b <= 'Z' {
				b += 'a' - 'A'
			}
			buf = append(buf, b)
		}
		if ascii {
			f(buf)
		} else {
			buf = wordsBeyondASCII(s[i:j], buf, f)
		}
		i = j
	}
	return buf
}

// wordsBeyondASCII calls f with each word of a run of word bytes that holds
// characters beyond ASCII: the run cut at what is not a letter or digit
// (a dash, a non-breaking space), lower case.
func wordsBeyondASCII(run string, buf []byte, f func(w []byte)) []byte {
	buf = buf[:0]
	for _, r := range run {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			buf = utf8.AppendRune(buf, unicode.ToLower(r))
			continue
		}
		if len(buf) > 0 {
			f(buf)
		}
		buf = buf[:0]
	}
	if len(buf) > 0 {
		f(buf)
	}
	return buf
}

// isWordByte: ASCII letters and digits, and any byte of a multi-byte
// character (letters beyond ASCII in a code set of another language).
func isWordByte(c byte) bool {
	return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') || c >= utf8.RuneSelf
}

func (x *index) build(ents []entry) {
	ids := make(map[string]int32, 1<<14)
	var vocab []string
	flat := make([]int32, 0, len(ents)*12)
	lead := make([]int32, len(ents))
	nLong := make([]uint8, len(ents))
	var buf []byte
	var cur []int32
	termOff := make([]uint32, len(ents)+1)
	for i := range ents {
		cur = cur[:0]
		first := true
		add := func(w []byte) {
			id, ok := ids[string(w)]
			if !ok {
				id = int32(len(vocab))
				ids[string(w)] = id
				vocab = append(vocab, string(w))
			}
			if first {
				lead[i] = id
				first = false
			}
			if !slices.Contains(cur, id) {
				cur = append(cur, id)
			}
		}
		lead[i] = -1
		buf = words(ents[i].long, buf, add)
		nLong[i] = uint8(min(len(cur), 255))
		if ents[i].short != ents[i].long {
			buf = words(ents[i].short, buf, add)
		}
		flat = append(flat, cur...)
		termOff[i+1] = uint32(len(flat))
	}
	// Number the words in sorted order.
	order := make([]int32, len(vocab))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return strings.Compare(vocab[a], vocab[b]) })
	renum := make([]int32, len(vocab))
	x.vocab = make([]string, len(vocab))
	for newID, old := range order {
		renum[old] = int32(newID)
		x.vocab[newID] = vocab[old]
	}
	counts := make([]int, len(vocab))
	x.termOff = termOff
	x.terms = flat
	for k, t := range flat {
		flat[k] = renum[t]
		counts[flat[k]]++
	}
	for i := range lead {
		if lead[i] >= 0 {
			lead[i] = renum[lead[i]]
		}
	}
	x.lead = lead
	x.nLong = nLong
	// Postings, carved from one array.
	x.cum = make([]int, len(vocab)+1)
	for w, n := range counts {
		x.cum[w+1] = x.cum[w] + n
	}
	all := make([]int32, x.cum[len(vocab)])
	x.post = make([][]int32, len(vocab))
	for w := range x.post {
		x.post[w] = all[x.cum[w]:x.cum[w]:x.cum[w+1]]
	}
	for i := range ents {
		for _, t := range flat[termOff[i]:termOff[i+1]] {
			x.post[t] = append(x.post[t], int32(i))
		}
	}
}

// prefixRange is the range of the vocabulary that starts with p.
func (x *index) prefixRange(p string) (lo, hi int32) {
	l := sort.SearchStrings(x.vocab, p)
	h := l + sort.Search(len(x.vocab)-l, func(j int) bool { return !strings.HasPrefix(x.vocab[l+j], p) })
	return int32(l), int32(h)
}

// token is one word or code of a query.
type token struct {
	code       string // upper case, no dot: the token may be a code prefix; "" if not
	codeLo     int    // its range in byKey
	codeHi     int
	word       string // lower case
	lo, hi     int32  // the vocabulary words it begins
	exact      int32  // the vocabulary word it is, or -1
	typo       []uint8
	typos      []int32 // words with typo distance, for candidates
	maxTypo    int
	candidates int // how many postings its candidates would take
}

// matchesWord reports whether t matches vocabulary word w.
func (t *token) matchesWord(w int32) bool {
	return w >= 0 && ((t.lo <= w && w < t.hi) || (t.typo != nil && t.typo[w] != 0))
}

// Search finds the codes that match query, best first, at most limit of
// them (limit ≤ 0: all), and whether more matched than it returns. The
// query is a code or the start of one (J18, J18.9, j189: dots optional, any
// case) or words in any order, each the start of a word of the long or
// short description (pneum unspec), typos allowed in words of four letters
// or more (pnuemonia); the two may mix (E11 neuropathy). Results come by
// Match, then the closer (Hit.Close), then those whose description starts
// with a word typed, then in code order. Typo matches are looked for only
// when the others do not fill limit.
func (s *Set) Search(query string, limit int) (hits []Hit, more bool) {
	toks := s.tokens(query)
	if len(toks) == 0 {
		return nil, false
	}
	hits, more = s.search(toks, limit)
	if limit > 0 && len(hits) >= limit {
		return hits, more
	}
	if !s.addTypos(toks) {
		return hits, more
	}
	return s.search(toks, limit)
}

// tokens cuts a query into tokens: at spaces and punctuation other than a
// dot inside a code.
func (s *Set) tokens(query string) []token {
	var toks []token
	for _, raw := range strings.FieldsFunc(query, func(r rune) bool {
		return r != '.' && !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if looksLikeCode(raw) {
			t := token{code: Normalize(raw), exact: -1}
			t.codeLo, t.codeHi = s.keyRange(t.code)
			t.word = strings.ToLower(t.code)
			toks = append(toks, t)
			continue
		}
		words(raw, nil, func(w []byte) { toks = append(toks, token{word: string(w), exact: -1}) })
	}
	for k := range toks {
		t := &toks[k]
		t.lo, t.hi = s.idx.prefixRange(t.word)
		if t.lo < t.hi && s.idx.vocab[t.lo] == t.word {
			t.exact = t.lo
		}
		t.candidates = s.idx.cum[t.hi] - s.idx.cum[t.lo] + (t.codeHi - t.codeLo)
	}
	return toks
}

// looksLikeCode: a letter then a digit, then letters, digits and at most
// one dot (J18, j189, S52.521A, 1A00 for ICD-11's shape too), or a single
// letter (the start of a chapter's codes).
func looksLikeCode(raw string) bool {
	if len(raw) > 9 || strings.Count(raw, ".") > 1 || raw[0] == '.' {
		return false
	}
	k := Normalize(raw)
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !('0' <= c && c <= '9') && !('A' <= c && c <= 'Z') {
			return false
		}
	}
	if len(k) == 1 {
		return 'A' <= k[0] && k[0] <= 'Z'
	}
	letter := func(c byte) bool { return 'A' <= c && c <= 'Z' }
	digit := func(c byte) bool { return '0' <= c && c <= '9' }
	return (letter(k[0]) && digit(k[1])) || (digit(k[0]) && letter(k[1]))
}

// maxTypos is how many edits a word typed may be from a word of the set.
func maxTypos(word string) int {
	switch n := utf8.RuneCountInString(word); {
	case n < 4:
		return 0
	case n < 8:
		return 1
	default:
		return 2
	}
}

// addTypos finds, for each word typed that allows typos, the vocabulary
// words whose start is within its edit distance (outside its prefix
// range); false when no token allows any.
func (s *Set) addTypos(toks []token) bool {
	some := false
	var rows [3][]int
	for k := range toks {
		t := &toks[k]
		t.maxTypo = maxTypos(t.word)
		if t.maxTypo == 0 || t.code != "" {
			continue
		}
		some = true
		t.typo = make([]uint8, len(s.idx.vocab))
		// Only words that start with the first or the second letter typed:
		// a slip in the first letter itself is not looked for.
		lo1, hi1 := s.idx.prefixRange(t.word[:1])
		lo2, hi2 := s.idx.prefixRange(t.word[1:2])
		for _, r := range [2][2]int32{{lo1, hi1}, {lo2, hi2}} {
			for w := r[0]; w < r[1]; w++ {
				if (w >= t.lo && w < t.hi) || t.typo[w] != 0 {
					continue
				}
				if d := prefixDistance(t.word, s.idx.vocab[w], t.maxTypo, &rows); d > 0 && d <= t.maxTypo {
					t.typo[w] = uint8(d)
					t.typos = append(t.typos, w)
					t.candidates += len(s.idx.post[w])
				}
			}
		}
	}
	return some
}

// prefixDistance is the least optimal-string-alignment distance (insert,
// delete, substitute, swap two neighbours) between t and any start of w,
// or max+1 when it is more than max.
func prefixDistance(t, w string, max int, rows *[3][]int) int {
	m := len(t)
	if len(w) < m-max {
		return max + 1
	}
	for i := range rows {
		if cap(rows[i]) < m+1 {
			rows[i] = make([]int, m+1)
		}
		rows[i] = rows[i][:m+1]
	}
	prev2, prev, cur := rows[0], rows[1], rows[2]
	for i := 0; i <= m; i++ {
		prev[i] = i
	}
	best := prev[m]
	prevMin := 0
	for j := 1; j <= len(w); j++ {
		cur[0] = j
		rowMin := j
		for i := 1; i <= m; i++ {
			cost := 1
			if t[i-1] == w[j-1] {
				cost = 0
			}
			v := prev[i-1] + cost
			if d := prev[i] + 1; d < v {
				v = d
			}
			if d := cur[i-1] + 1; d < v {
				v = d
			}
			if i > 1 && j > 1 && t[i-1] == w[j-2] && t[i-2] == w[j-1] {
				if d := prev2[i-2] + 1; d < v {
					v = d
				}
			}
			cur[i] = v
			if v < rowMin {
				rowMin = v
			}
		}
		if cur[m] < best {
			best = cur[m]
		}
		if rowMin > max && prevMin > max {
			break
		}
		prevMin = rowMin
		prev2, prev, cur = prev, cur, prev2
	}
	if best > max {
		return max + 1
	}
	return best
}

// closeness is the number of steps of Hit.Close.
const closeness = 4

// tiers is the number of tiers: per Match, per closeness, leading or not.
const tiers = (int(MatchTypos) + 1) * closeness * 2

// grade is entry i's tier for the query, or -1 when it does not match: its
// Match is the worst of the tokens' best matches; then its closeness, how
// many of its long description's words the query leaves out (0 when at
// most one, 1 for three, 2 for six, 3 beyond); then whether its first word
// is one typed. A word found only in the short description (an
// abbreviation) is a prefix match at best.
func (s *Set) grade(toks []token, i int32, best []uint8) int {
	allCode := true
	for k := range toks {
		best[k] = 255
		if t := &toks[k]; t.code != "" && strings.HasPrefix(s.ents[i].key, t.code) {
			best[k] = uint8(MatchCode)
		} else {
			allCode = false
		}
	}
	if allCode {
		return 0
	}
	x := &s.idx
	left := 0
	long := int(x.nLong[i])
	for j, w := range x.terms[x.termOff[i]:x.termOff[i+1]] {
		matched := false
		for k := range toks {
			t := &toks[k]
			kd := uint8(255)
			switch {
			case w == t.exact:
				kd = uint8(MatchWords)
			case t.lo <= w && w < t.hi:
				kd = uint8(MatchPrefixes)
			case t.typo != nil && t.typo[w] != 0:
				kd = uint8(MatchTypo) + t.typo[w] - 1
			default:
				continue
			}
			if j >= long && kd < uint8(MatchPrefixes) {
				// A word of the short description only, an abbreviation
				// (diab, fx): at best a prefix of the word it stands for.
				kd = uint8(MatchPrefixes)
			}
			matched = true
			if kd < best[k] {
				best[k] = kd
			}
		}
		if !matched && j < long {
			left++
		}
	}
	worst := uint8(0)
	for _, b := range best[:len(toks)] {
		if b > worst {
			worst = b
		}
	}
	if worst == 255 {
		return -1
	}
	tier := int(worst) * closeness * 2
	switch {
	case left <= 1:
	case left <= 3:
		tier += 2
	case left <= 6:
		tier += 4
	default:
		tier += 6
	}
	l := x.lead[i]
	for k := range toks {
		if toks[k].matchesWord(l) {
			return tier
		}
	}
	return tier + 1
}

// search runs the query's tokens over the index: the hits of the first
// limit in tier order, and whether there are more.
func (s *Set) search(toks []token, limit int) ([]Hit, bool) {
	n := len(s.ents)
	marks := make([]uint64, (n+63)/64)
	mark := func(i int32) { marks[i>>6] |= 1 << (uint(i) & 63) }
	// A code or the start of one, alone (J18, or a first letter): its
	// codes come first, in code order; when they fill the page, nothing
	// else need be looked at.
	if t := &toks[0]; len(toks) == 1 && t.code != "" && limit > 0 && t.codeHi-t.codeLo > limit {
		for _, i := range s.byKey[t.codeLo:t.codeHi] {
			mark(i)
		}
		hits := make([]Hit, 0, limit)
		for word, m := range marks {
			for ; m != 0 && len(hits) < limit; m &= m - 1 {
				hits = append(hits, Hit{Code: s.code(int32(word<<6 + bits.TrailingZeros64(m))), Match: MatchCode})
			}
		}
		return hits, true
	}
	// The most selective token gives the candidates.
	lead := 0
	for k := range toks {
		if toks[k].candidates < toks[lead].candidates {
			lead = k
		}
	}
	t := &toks[lead]
	for _, i := range s.byKey[t.codeLo:t.codeHi] {
		mark(i)
	}
	for w := t.lo; w < t.hi; w++ {
		for _, i := range s.idx.post[w] {
			mark(i)
		}
	}
	for _, w := range t.typos {
		for _, i := range s.idx.post[w] {
			mark(i)
		}
	}
	var byTier [tiers][]int32
	best := make([]uint8, len(toks))
	total := 0
	for word, m := range marks {
		for ; m != 0; m &= m - 1 {
			i := int32(word<<6 + bits.TrailingZeros64(m))
			tier := s.grade(toks, i, best)
			if tier < 0 {
				continue
			}
			total++
			if limit <= 0 || len(byTier[tier]) < limit {
				byTier[tier] = append(byTier[tier], i)
			}
		}
	}
	size := total
	if limit > 0 && size > limit {
		size = limit
	}
	hits := make([]Hit, 0, size)
	for tier := range byTier {
		for _, i := range byTier[tier] {
			if len(hits) == size {
				return hits, true
			}
			h := Hit{Code: s.code(i), Match: Match(tier / (closeness * 2))}
			if h.Match != MatchCode {
				h.Close = closeness - 1 - tier/2%closeness
				h.Leads = tier%2 == 0
			}
			hits = append(hits, h)
		}
	}
	return hits, false
}
