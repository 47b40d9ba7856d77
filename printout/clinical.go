package printout

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"folio/app"
	"folio/visible"
)

// Portrait A4 geometry of visit notes and referral letters, in
// millimetres.
const (
	letterW, letterH = 210.0, 297.0
	letterMargin     = 18.0
	letterContentW   = letterW - 2*letterMargin
	letterTop        = 15.0
	letterBottom     = 24.0 // the text stops here; the footer is below
	letterFooterY    = letterH - 19
	letterLineH      = 4.8 // a line of body text at letterFontSize
	letterFontSize   = 10.0
	letterLabelW     = 40.0 // the label column of "Label  value" lines
)

// letter is one visit note or referral letter being drawn: the document
// and what its running header and footer repeat on every page.
type letter struct {
	pdf   *fpdf.Fpdf
	title string // "Visit note", "Referral letter"
	n     app.NotePrint
	loc   *time.Location
}

// newLetter starts a portrait A4 document titled title for n's patient
// with its heading drawn (header); its pages after the first carry a
// running header (title, name, MRN) and its text breaks onto a new page
// at letterBottom. A visit whose note is not signed is refused.
func newLetter(title string, n app.NotePrint) (*letter, error) {
	if n.Encounter.Signed == nil {
		return nil, fmt.Errorf("print a %s: %w", strings.ToLower(title), app.Invalidf("the visit's note is not signed"))
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetMargins(letterMargin, letterTop, letterMargin)
	pdf.SetAutoPageBreak(true, letterBottom)
	pdf.SetTitle(title+" "+n.Patient.MRN, true)
	pdf.SetProducer("Folio", true)
	pdf.SetCreator("Folio", true)
	if !n.PrintedAt.IsZero() {
		pdf.SetCreationDate(n.PrintedAt)
	}
	addFonts(pdf, true, false)
	l := &letter{pdf: pdf, title: title, n: n, loc: n.PrintedAt.Location()}
	pdf.SetHeaderFunc(func() {
		if pdf.PageNo() == 1 {
			return
		}
		pdf.SetFont(fontSans, "", 8.5)
		pdf.SetTextColor(90, 90, 90)
		pdf.SetXY(letterMargin, letterTop-6)
		pdf.CellFormat(letterContentW, 4, line(title+" (continued) · "+n.Patient.FullName()+" · MRN "+n.Patient.MRN), "", 0, "L", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
		pdf.SetDrawColor(180, 180, 180)
		pdf.Line(letterMargin, letterTop-1.5, letterMargin+letterContentW, letterTop-1.5)
		pdf.SetXY(letterMargin, letterTop+1)
	})
	pdf.AddPage()
	l.header()
	return l, nil
}

// line makes one line of text a person or a file gave printable: nothing
// in it can start a line or hide characters.
func line(s string) string { return clean(visible.Line(strings.TrimSpace(s))) }

// paragraphs makes free text (a note's section, an addendum) printable,
// keeping its line breaks; tabs become spaces.
func paragraphs(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(strings.TrimSpace(s), "\r\n", "\n"), "\t", "    ")
	ls := strings.Split(s, "\n")
	for i, l := range ls {
		ls[i] = clean(visible.Line(l))
	}
	return strings.Join(ls, "\n")
}

// when prints a time in the letter's time zone.
func (l *letter) when(t time.Time) string { return t.In(l.loc).Format("2006-01-02 15:04 MST") }

// space moves down by mm.
func (l *letter) space(mm float64) { l.pdf.SetY(l.pdf.GetY() + mm) }

// room starts a new page unless mm are left above the bottom margin, so a
// heading is not left alone at the foot of a page.
func (l *letter) room(mm float64) {
	if l.pdf.GetY()+mm > letterH-letterBottom {
		l.pdf.AddPage()
	}
}

// heading prints a section heading.
func (l *letter) heading(s string) {
	l.space(2.5)
	l.room(16)
	l.pdf.SetFont(fontSans, "B", 11.5)
	l.pdf.SetX(letterMargin)
	l.pdf.CellFormat(letterContentW, 6.5, s, "B", 1, "L", false, 0, "")
	l.space(1)
}

// text prints free text as wrapped paragraphs; empty prints none.
func (l *letter) text(s, none string) {
	l.pdf.SetFont(fontSans, "", letterFontSize)
	l.pdf.SetX(letterMargin)
	if s = paragraphs(s); s == "" {
		l.pdf.SetTextColor(100, 100, 100)
		l.pdf.MultiCell(letterContentW, letterLineH, none, "", "L", false)
		l.pdf.SetTextColor(0, 0, 0)
		return
	}
	l.pdf.MultiCell(letterContentW, letterLineH, s, "", "L", false)
}

// field prints a bold label and its value, wrapped beside it.
func (l *letter) field(label, value string) {
	l.room(letterLineH)
	l.pdf.SetFont(fontSans, "B", letterFontSize)
	l.pdf.SetX(letterMargin)
	l.pdf.CellFormat(letterLabelW, letterLineH, line(label), "", 0, "L", false, 0, "")
	l.pdf.SetFont(fontSans, "", letterFontSize)
	l.pdf.MultiCell(letterContentW-letterLabelW, letterLineH, paragraphs(value), "", "L", false)
}

// header draws the first page's heading: the title and the site, the
// patient (name, MRN, sex, date of birth and age at the visit) and the
// visit (type, date, site, clinician).
func (l *letter) header() {
	pdf, n, e := l.pdf, l.n, l.n.Encounter
	pdf.SetXY(letterMargin, letterTop)
	pdf.SetFont(fontSans, "B", 17)
	pdf.CellFormat(letterContentW*0.5, 8, l.title, "", 0, "L", false, 0, "")
	site := e.Site
	if site == "" {
		site = "Folio"
	}
	fitFont(pdf, "B", 11, letterContentW*0.5, line(site))
	pdf.CellFormat(letterContentW*0.5, 5, line(site), "", 1, "R", false, 0, "")
	pdf.SetFont(fontSans, "", 8.5)
	pdf.SetX(letterMargin + letterContentW*0.5)
	sub := "Printed " + l.when(n.PrintedAt)
	if n.Site != "" {
		sub = "MRN site " + line(n.Site) + " · " + sub
	}
	pdf.CellFormat(letterContentW*0.5, 4, sub, "", 1, "R", false, 0, "")
	pdf.SetY(letterTop + 11)

	// The patient, in a box.
	top := pdf.GetY()
	pdf.SetFillColor(242, 242, 242)
	pdf.Rect(letterMargin, top, letterContentW, 17, "F")
	name := line(n.Patient.FullName())
	pdf.SetXY(letterMargin+2, top+1.5)
	fitFont(pdf, "B", 14, letterContentW*0.62, name)
	pdf.CellFormat(letterContentW*0.64, 7, name, "", 0, "L", false, 0, "")
	pdf.SetFont(fontSans, "B", 12)
	pdf.CellFormat(letterContentW*0.36-4, 7, "MRN "+line(n.Patient.MRN), "", 1, "R", false, 0, "")
	pdf.SetFont(fontSans, "", letterFontSize)
	pdf.SetX(letterMargin + 2)
	pdf.CellFormat(letterContentW-4, 6, "Sex: "+n.Patient.Sex.Label()+"    Date of birth: "+birth(n.Patient.BirthDate, e.Time), "", 1, "L", false, 0, "")
	pdf.SetY(top + 19)

	// The visit.
	l.field("Visit", e.Type.Label()+", "+l.when(e.Time))
	if e.Site != "" {
		l.field("Site", e.Site)
	}
	l.field("Clinician", n.Who(e.Clinician))
}

// birth is a date of birth with the age at a visit, or "not known".
func birth(b app.BirthDate, at time.Time) string {
	if b.IsZero() {
		return "not known"
	}
	s := b.String()
	if b.Estimated {
		s = strings.TrimSuffix(s, "~") + " (estimated)"
	}
	age := b.Age(at)
	switch {
	case age >= 2:
		return fmt.Sprintf("%s, %d years at the visit", s, age)
	case age == 1:
		return s + ", 1 year at the visit"
	}
	return s + ", under 1 year at the visit"
}

// num prints a measurement without trailing zeros.
func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// vitals prints the vital signs taken, with their units, three to a row.
func (l *letter) vitals(v app.Vitals) {
	var cells []string
	add := func(ok bool, label, value string) {
		if ok {
			cells = append(cells, label+": "+value)
		}
	}
	add(v.TemperatureC != 0, "Temperature", num(v.TemperatureC)+" °C")
	add(v.Pulse != 0, "Pulse", strconv.Itoa(v.Pulse)+" /min")
	add(v.Systolic != 0, "Blood pressure", fmt.Sprintf("%d/%d mmHg", v.Systolic, v.Diastolic))
	add(v.RespRate != 0, "Respiratory rate", strconv.Itoa(v.RespRate)+" /min")
	add(v.SpO2 != 0, "SpO2", strconv.Itoa(v.SpO2)+" %")
	weight := num(v.WeightKg) + " kg"
	if v.WeightConfirmed {
		weight += " (confirmed)"
	}
	add(v.WeightKg != 0, "Weight", weight)
	add(v.HeightCm != 0, "Height", num(v.HeightCm)+" cm")
	add(v.BMI() != 0, "BMI", num(v.BMI())+" kg/m²")
	add(v.MUACCm != 0, "MUAC", num(v.MUACCm)+" cm")
	if len(cells) == 0 {
		l.text("", "No vital signs recorded.")
		return
	}
	l.pdf.SetFont(fontSans, "", letterFontSize)
	w := letterContentW / 3
	for i, c := range cells {
		if i%3 == 0 {
			l.room(letterLineH + 0.6)
			l.pdf.SetX(letterMargin)
		}
		ln := 0
		if i%3 == 2 || i == len(cells)-1 {
			ln = 1
		}
		l.pdf.CellFormat(w, letterLineH+0.6, c, "", ln, "L", false, 0, "")
	}
}

// note prints the four sections of a note.
func (l *letter) note(nt app.Note) {
	for _, s := range []struct{ title, text string }{
		{"History", nt.History}, {"Examination", nt.Examination}, {"Assessment", nt.Assessment}, {"Plan", nt.Plan},
	} {
		l.heading(s.title)
		l.text(s.text, "Not recorded.")
	}
}

// findings prints what the visit found: the vital signs, the note's four
// sections, the diagnoses and the procedures.
func (l *letter) findings() {
	l.heading("Vital signs")
	l.vitals(l.n.Encounter.Vitals)
	l.note(l.n.Encounter.Note)
	l.codes(l.n.Diagnoses, l.n.Procedures)
}

// codes prints the diagnoses, principal first, and the procedures.
func (l *letter) codes(dx []app.Diagnosis, px []app.Procedure) {
	l.heading("Diagnoses")
	if len(dx) == 0 {
		l.text("", "Not coded yet.")
	}
	for _, d := range dx {
		desc := d.Description
		var notes []string
		if d.Principal {
			notes = append(notes, "principal")
		}
		if d.System != "" {
			notes = append(notes, strings.TrimSpace(d.System+" "+d.Version))
		}
		if d.POA != "" {
			notes = append(notes, "present on admission: "+d.POA)
		}
		if len(notes) > 0 {
			desc += " (" + strings.Join(notes, ", ") + ")"
		}
		l.field(d.Code, desc)
	}
	if len(px) == 0 {
		return
	}
	l.heading("Procedures")
	for _, p := range px {
		desc := p.Description
		if desc == "" {
			desc = p.System + " code"
		}
		l.field(p.Code, desc)
	}
}

// signature prints who signed the note, when, and what the signature
// covers.
func (l *letter) signature() {
	e, n := l.n.Encounter, l.n
	l.space(3)
	l.room(16)
	l.pdf.SetFont(fontSans, "B", letterFontSize)
	l.pdf.SetX(letterMargin)
	l.pdf.MultiCell(letterContentW, letterLineH+0.4, line("Electronically signed by "+n.Who(e.Signed.By)+" on "+l.when(e.Signed.At)), "LTR", "L", false)
	l.pdf.SetFont(fontSans, "", 8)
	l.pdf.SetX(letterMargin)
	l.pdf.MultiCell(letterContentW, 4, "The note above is printed as it was signed (signature over its content: SHA-256 "+
		short(e.Signed.Hash)+"). A signed note is never changed: corrections follow as addenda, each signed by its author.", "LBR", "L", false)
}

// short is the first 16 characters of a hash.
func short(h string) string {
	if len(h) > 16 {
		return h[:16] + "…"
	}
	return h
}

// addenda prints the addenda, oldest first, each with its signature.
func (l *letter) addenda(title string) {
	as := l.n.Encounter.Addenda
	if len(as) == 0 {
		return
	}
	l.heading(title)
	for i, a := range as {
		l.room(14)
		l.pdf.SetFont(fontSans, "B", letterFontSize)
		l.pdf.SetX(letterMargin)
		l.pdf.CellFormat(letterContentW, letterLineH+0.6, fmt.Sprintf("Addendum %d of %d, %s", i+1, len(as), l.when(a.At)), "", 1, "L", false, 0, "")
		l.text(a.Text, "")
		l.pdf.SetFont(fontSans, "", 8.5)
		l.pdf.SetX(letterMargin)
		l.pdf.MultiCell(letterContentW, 4.2, line("Signed by "+l.n.Who(a.By)+" on "+l.when(a.At)+" (SHA-256 "+short(a.Hash)+")"), "", "L", false)
		l.space(1.5)
	}
}

// finish draws every page's footer — the patient's name and MRN and "Page
// n of N", who printed it and when — and writes the document to w.
func (l *letter) finish(w io.Writer, what string) error {
	pdf, n := l.pdf, l.n
	pdf.SetAutoPageBreak(false, 0)
	who := line(n.Patient.FullName()) + " · MRN " + line(n.Patient.MRN)
	if b := n.Patient.BirthDate.String(); b != "" {
		who += " · born " + b
	}
	notice := line("Printed by "+n.Who(n.PrintedBy)+" on "+l.when(n.PrintedAt)+" from Folio.") +
		" Confidential patient information: keep it as you keep patient records."
	total := pdf.PageCount()
	for i := 1; i <= total; i++ {
		pdf.SetPage(i)
		pdf.SetDrawColor(150, 150, 150)
		pdf.SetLineWidth(0.2)
		pdf.Line(letterMargin, letterFooterY, letterMargin+letterContentW, letterFooterY)
		pdf.SetXY(letterMargin, letterFooterY+1)
		fitFont(pdf, "B", 9, letterContentW*0.72, who)
		pdf.CellFormat(letterContentW*0.75, 5, who, "", 0, "L", false, 0, "")
		pdf.SetFont(fontSans, "B", 9)
		pdf.CellFormat(letterContentW*0.25, 5, fmt.Sprintf("Page %d of %d", i, total), "", 0, "R", false, 0, "")
		pdf.SetXY(letterMargin, letterFooterY+6)
		pdf.SetTextColor(90, 90, 90)
		fitFont(pdf, "", 7.5, letterContentW, notice)
		pdf.CellFormat(letterContentW, 4, notice, "", 0, "L", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	}
	return output(pdf, w, what)
}

// VisitNotePDF writes a signed visit note as portrait A4 pages: the
// heading (site, patient's name, MRN, sex, date of birth; the visit's
// type, date and clinician), the reason for the visit, the vital signs
// with their units, the note's four sections, the diagnoses (codes and
// descriptions) and procedures, the signature, then every addendum with
// its own. Long text wraps and flows onto as many pages as it needs; every
// page carries the patient's name, MRN and "Page n of N". A note that is
// not signed is refused.
func VisitNotePDF(w io.Writer, n app.NotePrint) error {
	l, err := newLetter("Visit note", n)
	if err != nil {
		return err
	}
	l.heading("Reason for visit")
	l.text(n.Encounter.Reason, "Not recorded.")
	l.findings()
	l.signature()
	l.addenda("Addenda")
	return l.finish(w, "visit note")
}

// ReferralPDF writes a referral letter built from a signed visit: the
// same heading as a visit note, the recipient, the reason for referral,
// the visit's findings (vital signs, history, examination, assessment,
// plan), its diagnoses and procedures, the chart's allergies, active
// problems and current medications, any addenda, and the referring
// clinician's name above a line for their signature; every page carries
// the patient's name, MRN and "Page n of N".
func ReferralPDF(w io.Writer, r app.ReferralPrint) error {
	l, err := newLetter("Referral letter", r.NotePrint)
	if err != nil {
		return err
	}
	l.space(2)
	l.field("To", r.To.Recipient)
	l.field("Date", r.PrintedAt.In(l.loc).Format("2 January 2006"))
	l.space(3)
	l.text("Dear colleague,", "")
	l.space(1.5)
	l.text(fmt.Sprintf("Thank you for seeing %s (MRN %s), whom I saw on %s (%s). I am referring them for the reason below; my findings at that visit and the chart's current allergies, problems and medications follow.",
		r.Patient.FullName(), r.Patient.MRN, r.Encounter.Time.In(l.loc).Format("2 January 2006"), strings.ToLower(r.Encounter.Type.Label())), "")
	l.heading("Reason for referral")
	l.text(r.To.Reason, "")
	if r.Encounter.Reason != "" && r.Encounter.Reason != r.To.Reason {
		l.heading("Reason for the visit")
		l.text(r.Encounter.Reason, "")
	}
	l.findings()
	l.summary(r.Summary)
	l.addenda("Corrections to the visit note (addenda)")
	l.closing()
	return l.finish(w, "referral letter")
}

// summary prints the chart's allergies, active problems and current
// medications.
func (l *letter) summary(s app.Summary) {
	l.heading("Allergies")
	switch {
	case len(s.Allergies) > 0:
		for _, a := range s.Allergies {
			what := a.Substance
			if a.Reaction != "" {
				what += ": " + a.Reaction
			}
			if a.Severity != "" {
				what += " (" + string(a.Severity) + ")"
			}
			l.text("• "+what, "")
		}
	case s.NoKnownAllergies:
		l.text("No known allergies (recorded in the chart).", "")
	default:
		l.text("", "None recorded: the chart does not say whether the patient has allergies.")
	}
	l.heading("Active problems")
	if len(s.Problems) == 0 {
		l.text("", "None recorded.")
	}
	for _, p := range s.Problems {
		what := p.Text
		if p.Code != "" {
			what = p.Code + " " + p.Text
		}
		if p.Chronic {
			what += " (chronic)"
		}
		if !p.Onset.IsZero() {
			what += ", since " + p.Onset.Format("2006-01-02")
		}
		l.text("• "+what, "")
	}
	l.heading("Current medications")
	if len(s.Medications) == 0 {
		l.text("", "None recorded.")
	}
	for _, m := range s.Medications {
		what := strings.TrimSpace(m.Text + " " + m.Dose)
		if !m.Start.IsZero() {
			what += ", since " + m.Start.Format("2006-01-02")
		}
		l.text("• "+what, "")
	}
}

// closing prints the referring clinician's sign-off: their name, a line
// for their hand signature, and when they signed the visit's note.
func (l *letter) closing() {
	e, n := l.n.Encounter, l.n
	l.space(5)
	l.room(34)
	l.text("Yours sincerely,", "")
	l.space(12)
	l.pdf.SetDrawColor(0, 0, 0)
	l.pdf.Line(letterMargin, l.pdf.GetY(), letterMargin+70, l.pdf.GetY())
	l.space(1)
	l.pdf.SetFont(fontSans, "B", letterFontSize)
	l.pdf.SetX(letterMargin)
	l.pdf.MultiCell(letterContentW, letterLineH, line(n.Who(e.Clinician)), "", "L", false)
	l.pdf.SetFont(fontSans, "", 9)
	l.pdf.SetX(letterMargin)
	site := ""
	if e.Site != "" {
		site = ", " + e.Site
	}
	l.pdf.MultiCell(letterContentW, 4.5, line("Referring clinician"+site+". The visit note was electronically signed by "+
		n.Who(e.Signed.By)+" on "+l.when(e.Signed.At)+"."), "", "L", false)
}
