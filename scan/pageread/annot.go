package pageread

import (
	"strings"
	"unicode"
)

// What a PDF page says beyond its contents. Text a person sees or wrote on
// a page may live in its annotations (FreeText comments, stamps, sticky
// notes, as Preview, Acrobat and most PDF readers write them) and in form
// fields; ink may be only an annotation. All of it is drawn (muPage.render
// runs the whole page), read into the page's text, and keeps the page from
// being taken for blank.

// pdfText is what MuPDF reads from one PDF page.
type pdfText struct {
	// contents is the text of the page's contents: its text layer, which
	// decides whether the page is OCR'd.
	contents string
	// all is the text of the whole page as drawn: contents, annotations'
	// and form fields' appearances.
	all string
	// notes are the annotations' texts (their Contents: a sticky note's
	// text is shown only in a pop-up, never drawn) and the text and choice
	// fields' values, in page order.
	notes []string
	// marked is set when an annotation or a filled-in field shows on the
	// page, or when the annotations could not be read.
	marked bool
}

// readPDFText reads p's text, annotations and form fields. A failure to
// read the text leaves it empty (the page is then OCR'd); a failure to list
// the annotations marks the page, so that it is never dropped as blank.
func readPDFText(p *muPage) pdfText {
	var t pdfText
	t.contents, _ = p.text(false)
	all, err := p.text(true)
	if err != nil {
		all = t.contents
	}
	t.all = all
	annots, err := p.annotations()
	if err != nil {
		t.marked = true
	}
	for _, a := range annots {
		if a.Kind == "Link" || a.Kind == "Popup" {
			continue // a link is not drawn; a pop-up repeats its parent's text
		}
		text := strings.TrimSpace(a.Text)
		if a.Widget {
			switch a.FieldType {
			case muWidgetText, muWidgetCombo, muWidgetList:
				if text != "" {
					t.notes = append(t.notes, text)
					t.marked = t.marked || !a.Hidden
				}
			case muWidgetCheckbox, muWidgetRadio:
				t.marked = t.marked || (!a.Hidden && text != "" && text != "Off")
			}
			continue
		}
		if text != "" {
			t.notes = append(t.notes, text)
		}
		t.marked = t.marked || !a.Hidden
	}
	return t
}

// hasText reports whether the page has any letter or digit in its text,
// drawn or in its annotations.
func (t pdfText) hasText() bool {
	if hasLetters(t.all) {
		return true
	}
	for _, n := range t.notes {
		if hasLetters(n) {
			return true
		}
	}
	return false
}

// extra is the text to add to an OCR reading of the page: the lines drawn
// by the page and its annotations, and the annotations' texts.
func (t pdfText) extra() []string {
	var out []string
	for _, l := range strings.Split(t.all, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return append(out, t.notes...)
}

func hasLetters(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0
}

// withNotes returns text followed by each of notes that it does not already
// contain (compared in lower case, with white space collapsed), one to a
// line.
func withNotes(text string, notes []string) string {
	have := foldSpace(text)
	var b strings.Builder
	b.WriteString(text)
	for _, n := range notes {
		f := foldSpace(n)
		if f == "" || strings.Contains(have, f) {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(strings.TrimSpace(n))
		have += "\n" + f
	}
	return b.String()
}

// foldSpace lower-cases s and collapses its white space to single spaces.
func foldSpace(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}
