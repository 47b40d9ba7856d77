package app

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Phrases in a document search. A query's words may appear anywhere on a
// page; words in quotes ("press record and play") must also appear there
// one after the other, in that order, across line breaks and punctuation,
// as a person reads the page: on a page set in columns that is down each
// column, which is the order the OCR writes its lines in. A word broken
// over a line end with a hyphen ("sim-" / "ple") is found whole as well as
// in its two parts, by a phrase and by the word search alike.

// quoted finds the quoted parts of a query; typographic quotes count too.
var quoted = regexp.MustCompile(`["“”„]([^"“”„]*)["“”„]`)

// queryPhrases returns the quoted phrases of q, each as its search words
// in order. A quote of fewer than two words is left out: the word search
// already asks for its word.
func queryPhrases(q string) [][]string {
	var out [][]string
	for _, m := range quoted.FindAllStringSubmatch(q, -1) {
		if p := searchWords(m[1]); len(p) >= 2 {
			out = append(out, p)
		}
	}
	return out
}

// wordSequence is a text's search words in the order they come, repeats
// kept.
type wordSequence struct {
	words []string
	// joined holds, at the index of the first part of a word hyphenated
	// over a line end, the whole word.
	joined map[int]string
}

// textSequence splits text into its search words as textWords does, in
// order, and finds the words hyphenated over line ends.
func textSequence(text string) wordSequence {
	var seq wordSequence
	hyphen := false // the last line with words ended in a word part and a hyphen
	for line := range strings.Lines(text) {
		words := searchWords(line)
		if len(words) == 0 {
			continue
		}
		if first, _ := utf8.DecodeRuneInString(strings.TrimSpace(line)); hyphen && unicode.IsLower(first) {
			if seq.joined == nil {
				seq.joined = map[int]string{}
			}
			n := len(seq.words) - 1
			seq.joined[n] = seq.words[n] + words[0]
		}
		seq.words = append(seq.words, words...)
		hyphen = endsInHyphenatedWord(line)
	}
	return seq
}

// endsInHyphenatedWord tells a line that ends in a letter and a hyphen (or
// a soft hyphen), as a word broken over the line end does.
func endsInHyphenatedWord(line string) bool {
	line = strings.TrimRightFunc(line, unicode.IsSpace)
	last, n := utf8.DecodeLastRuneInString(line)
	if last != '-' && last != '\u00ad' && last != '\u2010' {
		return false
	}
	before, _ := utf8.DecodeLastRuneInString(line[:len(line)-n])
	return unicode.IsLetter(before)
}

// searchWords splits text into normalised search words (letters and
// digits, accents folded, 2 to 40 characters) in order, repeats kept.
func searchWords(text string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(strings.ToLower(text), notSearchRune) {
		for _, w := range nameWordsOrDigits(f) {
			if len(w) >= 2 && len(w) <= 40 {
				out = append(out, w)
			}
		}
	}
	return out
}

// notSearchRune tells the runes that separate search words.
func notSearchRune(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127)
}

// has tells whether phrase occurs in seq as consecutive words, a word
// hyphenated over a line end counting whole or as its parts.
func (seq wordSequence) has(phrase []string) bool {
	for i := range seq.words {
		if seq.matchAt(i, phrase) {
			return true
		}
	}
	return false
}

// matchAt tells whether phrase occurs in seq from word i on.
func (seq wordSequence) matchAt(i int, phrase []string) bool {
	if len(phrase) == 0 {
		return true
	}
	if i >= len(seq.words) {
		return false
	}
	if seq.words[i] == phrase[0] && seq.matchAt(i+1, phrase[1:]) {
		return true
	}
	whole, ok := seq.joined[i]
	return ok && whole == phrase[0] && seq.matchAt(i+2, phrase[1:])
}

// pageSnippet is snippet for a query with phrases: the page must also hold
// each phrase, and the snippet shows the first one whole.
func pageSnippet(text string, words []string, phrases [][]string) (string, bool) {
	if len(phrases) == 0 {
		return snippet(text, words)
	}
	seq := textSequence(text)
	for _, p := range phrases {
		if !seq.has(p) {
			return "", false
		}
	}
	if _, ok := snippet(text, words); !ok {
		return "", false
	}
	if loc := phrasePattern(phrases[0]).FindStringIndex(text); loc != nil {
		return snippetAt(text, loc[0], loc[1]), true
	}
	// A phrase with accents folded: around its first word is near enough.
	return snippet(text, phrases[0])
}

// phrasePattern matches phrase's words in text, whatever separates them
// and wherever a word is hyphenated over a line end.
func phrasePattern(phrase []string) *regexp.Regexp {
	const lineBreak = `(?:[-\x{ad}\x{2010}]\s*\n\s*)?`
	q := make([]string, len(phrase))
	for i, w := range phrase {
		var b strings.Builder
		for j, r := range w {
			if j > 0 {
				b.WriteString(lineBreak)
			}
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
		q[i] = b.String()
	}
	return regexp.MustCompile(`(?i)` + strings.Join(q, `[^\p{L}\p{N}]+`))
}
