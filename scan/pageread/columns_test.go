package pageread

import (
	"context"
	"strings"
	"testing"
)

// A page in two columns, read by a worker as an import reads it: its text
// and its words (which the searchable PDF's text layer writes in their
// order) run down each column, so a sentence over a line break of its
// column stays whole. In single-block mode the lines of both columns were
// joined straight across.
func TestWorkerReadsColumnsInOrder(t *testing.T) {
	pool := newTestPool(t, 1)
	fa, err := pool.Analyze(context.Background(), "linn.pdf", corpus(t, "scans/ocrmypdf__linn.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	p := fa.Pages[0]
	words := make([]string, len(p.Words))
	for i, w := range p.Words {
		words[i] = w.Text
	}
	inWords := strings.Join(words, " ")
	inText := strings.Join(strings.Fields(p.Text), " ")
	for _, s := range []string{
		"simply press RECORD and PLAY, then play your MIDI keyboard in time", // left column, over a line break
		"record each track all the way through (up to 999 bars)",             // right column, over a line break
	} {
		if !strings.Contains(inText, s) {
			t.Errorf("the page text does not hold %q:\n%s", s, p.Text)
		}
		if !strings.Contains(inWords, s) {
			t.Errorf("the page's words do not hold %q in order:\n%s", s, inWords)
		}
	}
	// Lines of one column are not joined with the other's.
	for _, line := range strings.Split(p.Text, "\n") {
		if strings.Contains(line, "PLAY,") && strings.Contains(line, "desired bar") {
			t.Errorf("a line runs across both columns: %q", line)
		}
	}
}
