package app

import (
	"regexp"
	"strings"
)

// Phrases in a document search. A query's words may appear anywhere on a
// page; words in quotes ("press record and play") must also appear there
// one after the other, in that order, across line breaks and punctuation,
// as a person reads the page: on a page set in columns that is down each
// column, which is the order the OCR writes its lines in.

// quoted finds the quoted parts of a query; typographic quotes count too.
var quoted = regexp.MustCompile(`["“”„]([^"“”„]*)["“”„]`)

// queryPhrases returns the quoted phrases of q, each as its search words
// in order. A quote of fewer than two words is left out: the word search
// already asks for its word.
func queryPhrases(q string) [][]string {
	var out [][]string
	for _, m := range quoted.FindAllStringSubmatch(q, -1) {
		if p := textSequence(m[1]); len(p) >= 2 {
			out = append(out, p)
		}
	}
	return out
}

// textSequence splits text into its search words as textWords does, but in
// the order they come, repeats kept.
func textSequence(text string) []string {
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

// phraseAt returns where phrase first occurs in seq as consecutive words,
// or -1.
func phraseAt(seq, phrase []string) int {
	for i := 0; i+len(phrase) <= len(seq); i++ {
		if equalWords(seq[i:i+len(phrase)], phrase) {
			return i
		}
	}
	return -1
}

func equalWords(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// pageSnippet is snippet for a query with phrases: the page must also hold
// each phrase, and the snippet shows the first one whole.
func pageSnippet(text string, words []string, phrases [][]string) (string, bool) {
	if len(phrases) == 0 {
		return snippet(text, words)
	}
	seq := textSequence(text)
	for _, p := range phrases {
		if phraseAt(seq, p) < 0 {
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

// phrasePattern matches phrase's words in text, whatever separates them.
func phrasePattern(phrase []string) *regexp.Regexp {
	q := make([]string, len(phrase))
	for i, w := range phrase {
		q[i] = regexp.QuoteMeta(w)
	}
	return regexp.MustCompile(`(?i)` + strings.Join(q, `[^\p{L}\p{N}]+`))
}
