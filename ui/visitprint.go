package ui

import (
	"bytes"
	"context"
	"io"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/app"
)

// A signed visit's printouts: the visit note, and a referral letter built
// from it (clinicians). Each is printed through the window's print path
// (print.go: the computer's printer, with the offer to save the PDF when
// that fails) or saved as a PDF file; the app writes them
// (Encounters.NotePDF, ReferralPDF), refuses a draft and audits each.

// pdfWriter writes one printout of the visit to w.
type pdfWriter func(ctx context.Context, w io.Writer) error

// askPrint asks whether to print the signed note or save it as a PDF.
func (v *encounterScreen) askPrint() {
	if v.enc.Signed == nil {
		v.status.error("Only a signed note can be printed or saved as a PDF: sign it first.")
		return
	}
	sess, id := v.sess, v.enc.ID
	v.printOrSave("the visit note", "Visit note", "visit-note", func(ctx context.Context, w io.Writer) error {
		return sess.s.Encounters().NotePDF(ctx, id, w)
	})
}

// askReferral asks who a referral letter is for and why, then whether to
// print it or save it as a PDF.
func (v *encounterScreen) askReferral() {
	if !canNote(v.sess.user.Roles) {
		return
	}
	if v.enc.Signed == nil {
		v.status.error("A referral letter is built from a signed note: sign it first.")
		return
	}
	u, sess, id := v.sess.a, v.sess, v.enc.ID
	to := newEntry(u.input, "the clinician and the facility, e.g. Dr Okot, Mulago Hospital")
	reason := newMultiLineEntry(u.input, "why the patient is referred", 3)
	reason.tabMoves = true
	reason.SetText(v.enc.Reason)
	sess.askForm("Referral letter", "Continue…",
		"The letter carries this visit's findings, diagnoses and addenda, and the chart's allergies, problems and current medications, signed off with your name.",
		[]fyne.CanvasObject{fieldLabel("To"), to, fieldLabel("Reason for referral"), reason}, to,
		func(context.Context) error {
			if strings.TrimSpace(to.Text) == "" {
				return app.Invalidf("say who the letter is for: the clinician and the facility")
			}
			return nil
		},
		func(err error) {
			if err != nil || sess.a.cur != screen(v) {
				return
			}
			r := app.ReferralTo{Recipient: to.Text, Reason: reason.Text}
			v.printOrSave("the referral letter", "Referral letter", "referral", func(ctx context.Context, w io.Writer) error {
				return sess.s.Encounters().ReferralPDF(ctx, id, r, w)
			})
		})
}

// printOrSave asks whether to print what write makes (what, in words) or
// save it as a PDF named after the patient's MRN and file.
func (v *encounterScreen) printOrSave(what, title, file string, write pdfWriter) {
	u := v.sess.a
	name := file + ".pdf"
	if v.enc.MRN != "" {
		name = v.enc.MRN + "-" + file + "-" + v.enc.Time.Local().Format("2006-01-02") + ".pdf"
	}
	save := func() { v.savePDF(what, name, write) }
	var d *dialog.CustomDialog
	printB := printButton(u.input, "Print", func() {
		d.Hide()
		v.printPDF(what, title, write, save)
	})
	printB.Importance = widget.HighImportance
	saveB := button(u.input, "Save PDF…", theme.DocumentSaveIcon(), widget.MediumImportance, func() {
		d.Hide()
		save()
	})
	cancel := button(u.input, "Cancel", theme.CancelIcon(), widget.MediumImportance, func() { d.Hide() })
	d = dialog.NewCustomWithoutButtons(title, wrapped("Print "+what+" or save it as a PDF file. Every page carries the patient's name, MRN and page number; "+
		"printing or saving it is recorded in the chart's audit trail."), u.win)
	d.SetButtons([]fyne.CanvasObject{cancel, saveB, printB})
	d.Resize(fyne.NewSize(480, 0))
	u.dialogs.showDialog(d)
}

// printPDF sends what write makes to the printer; when that fails it
// offers save.
func (v *encounterScreen) printPDF(what, title string, write pdfWriter, save func()) {
	sess := v.sess
	sendToPrinter(sess.ctx, sess.a, what, v.status, func(ctx context.Context) (string, []byte, error) {
		var buf bytes.Buffer
		err := write(ctx, &buf)
		return title + " " + v.enc.MRN, buf.Bytes(), err
	}, save)
}

// savePDF asks where to save what write makes, and writes it there once
// it is whole.
func (v *encounterScreen) savePDF(what, name string, write pdfWriter) {
	u, sess := v.sess.a, v.sess
	fs := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		sess.run(func(ctx context.Context) func() {
			var buf bytes.Buffer
			err := write(ctx, &buf)
			if err == nil {
				_, err = w.Write(buf.Bytes())
			}
			clear(buf.Bytes())
			if cerr := w.Close(); err == nil {
				err = cerr
			}
			return func() {
				if err != nil {
					v.status.error(capital(what) + " was not saved: " + message(err))
					return
				}
				v.status.info(capital(what) + " was saved as " + w.URI().Name() + ".")
			}
		})
	}, u.win)
	fs.SetFileName(name)
	u.dialogs.showDialog(fs)
}
