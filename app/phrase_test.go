package app

import (
	"slices"
	"strings"
	"testing"
)

func TestQueryPhrases(t *testing.T) {
	for _, c := range []struct {
		name, q string
		want    [][]string
	}{
		{"no quotes", "press record", nil},
		{"one phrase", `"Press RECORD and play" banda`, [][]string{{"press", "record", "and", "play"}}},
		{"typographic quotes", "“heavy rain” and „next day”", [][]string{{"heavy", "rain"}, {"next", "day"}}},
		{"one word in quotes", `"record" play`, nil},
		{"accents folded", `"Café Noël"`, [][]string{{"cafe", "noel"}}},
	} {
		if got := queryPhrases(c.q); !slices.EqualFunc(got, c.want, slices.Equal) {
			t.Errorf("%s: queryPhrases(%q) = %q, want %q", c.name, c.q, got, c.want)
		}
	}
}

// A two-column page: read down each column, a phrase that runs over a
// line break of its column is found; read straight across the columns, it
// is not.
func TestPageSnippetPhraseOverColumnLine(t *testing.T) {
	const inOrder = "Recording a Sequence\n\nTo record a sequence, simply press RECORD and PLAY,\nthen play your MIDI keyboard in time.\n\n" +
		"simply use LOCATE, FAST FORWARD, or REWIND to\nfind the desired bar number, then start recording."
	const across = "To record a sequence, simply press RECORD and PLAY, find the desired bar number, then start recording.\n" +
		"then play your MIDI keyboard in time."
	q := `"press record and play then play your midi keyboard" sequence`
	words, phrases := textWords(q), queryPhrases(q)

	snip, ok := pageSnippet(inOrder, words, phrases)
	if !ok {
		t.Fatalf("the phrase over the line break was not found in %q", inOrder)
	}
	if want := "…Sequence To record a sequence, simply press RECORD and PLAY, then play your MIDI keyboard in time. simply us…"; snip != want {
		t.Errorf("snippet %q, want %q", snip, want)
	}
	if _, ok := pageSnippet(across, words, phrases); ok {
		t.Errorf("the phrase was found in text read across the columns: %q", across)
	}
	// Without quotes the words may stand anywhere on the page.
	if _, ok := pageSnippet(across, textWords("press play keyboard"), nil); !ok {
		t.Error("words without quotes were not found")
	}
	// Every word outside the quotes is still needed.
	if _, ok := pageSnippet(inOrder, textWords(q+" tempo"), phrases); ok {
		t.Error("a page without the word tempo matched")
	}
}

// A word hyphenated over a line end of its column is found whole, by a
// phrase and by the word search, and still as its two parts.
func TestHyphenatedOverLineEnd(t *testing.T) {
	const page = "added, erased, or changed using the SINGLE STEP func-\ntion. To overdub notes at specific points\n" +
		"the Greco-\nRoman city of Epi-\n\ndaurus, first mentioned"
	for _, c := range []struct {
		q    string
		want bool
	}{
		{`"single step function"`, true},
		{`"single step func tion"`, true},
		{"function", true},
		{`"the greco roman city of epidaurus first"`, true}, // a hyphen before a capital stays a hyphen; a blank line between parts is bridged
		{`"step function to overdub"`, true},
		{"grecoroman", false},
		{`"function step"`, false},
	} {
		_, got := pageSnippet(page, textWords(c.q), queryPhrases(c.q))
		if got != c.want {
			t.Errorf("search %s: found %v, want %v", c.q, got, c.want)
		}
	}
	q := `"single step function"`
	if snip, _ := pageSnippet(page, textWords(q), queryPhrases(q)); !strings.Contains(snip, "SINGLE STEP func- tion") {
		t.Errorf("snippet %q does not show the phrase", snip)
	}
	if !slices.Contains(textWords(page), "epidaurus") || !slices.Contains(textWords(page), "epi") {
		t.Errorf("the index words %q lack epidaurus or its part epi", textWords(page))
	}
}
