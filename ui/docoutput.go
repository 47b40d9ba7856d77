package ui

import (
	"bytes"
	"context"
	"io"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// docOutput is the viewer's ways out for the document, for anyone who
// reads it: Export as a searchable PDF (Ctrl+S) and Print, each audited
// as an export.
type docOutput struct {
	sess *session
	v    *docViewer

	exportBtn *widget.Button
	printBtn  *widget.Button
}

// newDocOutput makes the Export and Print buttons.
func newDocOutput(v *docViewer) *docOutput {
	u := v.sess.a
	o := &docOutput{sess: v.sess, v: v}
	o.exportBtn = button(u.input, "Export…  (Ctrl+S)", theme.DocumentSaveIcon(), widget.MediumImportance, o.askExport)
	o.printBtn = printButton(u.input, "Print", o.sendToPrinter)
	return o
}

// askExport asks where to save the document as a searchable PDF.
func (o *docOutput) askExport() {
	if o.v.doc.ID == "" || len(o.v.doc.Pages) == 0 {
		return
	}
	u := o.sess.a
	save := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		o.export(w.URI().String(), w)
	}, u.win)
	name := o.v.doc.Type
	if o.v.doc.MRN != "" {
		name = o.v.doc.MRN + "-" + name
	}
	if !o.v.doc.Date.IsZero() {
		name += "-" + o.v.doc.Date.Format(time.DateOnly)
	}
	save.SetFileName(name + ".pdf")
	u.dialogs.showDialog(save)
}

// export writes the document as a searchable PDF to w (dest names it in
// the audit trail), off the Fyne goroutine, and closes w.
func (o *docOutput) export(dest string, w io.WriteCloser) {
	sess, id := o.sess, o.v.doc.ID
	sess.run(func(ctx context.Context) func() {
		pdf, err := sess.s.Documents().ExportPDF(ctx, id, dest, w)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		return func() {
			if err != nil {
				o.v.msg.error("The document was not exported: " + message(err))
				return
			}
			o.v.msg.info(plural(pdf.Pages, "page", "pages") + " exported as a searchable PDF.")
		}
	})
}

// sendToPrinter prints the document on the computer's printer, audited
// as an export to the printer; when that fails it offers to save it.
func (o *docOutput) sendToPrinter() {
	if o.v.doc.ID == "" || len(o.v.doc.Pages) == 0 {
		return
	}
	sess, id := o.sess, o.v.doc.ID
	dest := printerName(sess.a.opts.Printer)
	sendToPrinter(sess.ctx, sess.a, "the document", o.v.msg, func(ctx context.Context) (string, []byte, error) {
		var buf bytes.Buffer
		pdf, err := sess.s.Documents().ExportPDF(ctx, id, dest, &buf)
		return pdf.Title, buf.Bytes(), err
	}, o.askExport)
}
