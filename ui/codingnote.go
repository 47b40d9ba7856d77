package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"folio/app"
	"folio/visible"
)

// How an encounter's note reads beside the coding and under a query: the
// visit on top (type, date, clinician, MRN, whether signed), the reason,
// the vital signs, the four sections of the note, the addenda, then the
// coding so far (codes in force, queries and their answers). Read-only
// text, every value through visible.

// The note's styles: a heading on a line of its own, a muted line.
var (
	styleHeading    = widget.RichTextStyle{TextStyle: fyne.TextStyle{Bold: true}}
	styleMutedBlock = widget.RichTextStyle{ColorName: colorNameMuted}
)

// encounterHead is the line above the note: the visit and its status.
func encounterHead(e app.Encounter, status string) []widget.RichTextSegment {
	title := fmt.Sprintf("%s  %s", e.Type.Label(), e.Time.Local().Format("2006-01-02 15:04"))
	line := []string{"MRN " + e.MRN, "clinician " + e.Clinician}
	if e.Signed != nil {
		line = append(line, "signed "+whenText(e.Signed.At))
	}
	if status != "" {
		line = append(line, "coding: "+status)
	}
	return []widget.RichTextSegment{
		&widget.TextSegment{Text: visible.Line(title), Style: styleHeading},
		&widget.TextSegment{Text: visible.Line(strings.Join(line, "  ·  ")), Style: styleMutedBlock},
	}
}

// noteSegments is the encounter's note as paragraphs under headings.
func noteSegments(e app.Encounter) []widget.RichTextSegment {
	var segs []widget.RichTextSegment
	section := func(name, body string) {
		if strings.TrimSpace(body) == "" {
			return
		}
		segs = append(segs, &widget.TextSegment{Text: name, Style: styleHeading},
			&widget.TextSegment{Text: visible.Text(body), Style: widget.RichTextStyleParagraph})
	}
	section("Reason for visit", e.Reason)
	section("Vital signs", vitalsText(e.Vitals))
	section("History", e.Note.History)
	section("Examination", e.Note.Examination)
	section("Assessment", e.Note.Assessment)
	section("Plan", e.Note.Plan)
	for _, a := range e.Addenda {
		section("Addendum by "+a.By+", "+whenText(a.At), a.Text)
	}
	if len(segs) == 0 {
		segs = append(segs, &widget.TextSegment{Text: "The note is empty.", Style: styleMuted})
	}
	return segs
}

// codingSegments is the coding so far: the codes in force, and each query
// with its answer.
func codingSegments(st app.EncounterCoding) []widget.RichTextSegment {
	var segs []widget.RichTextSegment
	if st.Current != nil {
		segs = append(segs, &widget.TextSegment{Text: "Coded by " + visible.Line(st.Current.By) + ", " + whenText(st.Current.At), Style: styleHeading},
			&widget.TextSegment{Text: visible.Line(codesText(*st.Current)), Style: widget.RichTextStyleParagraph})
	}
	for _, h := range st.History {
		switch h.What {
		case app.CodingQuery:
			segs = append(segs, &widget.TextSegment{Text: "Query from " + visible.Line(h.By) + ", " + whenText(h.At), Style: styleHeading},
				&widget.TextSegment{Text: visible.Text(h.Text), Style: widget.RichTextStyleParagraph})
		case app.CodingAnswer:
			segs = append(segs, &widget.TextSegment{Text: "Answer from " + visible.Line(h.By) + ", " + whenText(h.At), Style: styleHeading},
				&widget.TextSegment{Text: visible.Text(h.Text), Style: widget.RichTextStyleParagraph})
		}
	}
	return segs
}
