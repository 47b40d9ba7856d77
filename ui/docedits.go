package ui

import (
	"context"
	"fmt"
	"image"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/app"
)

// docEdits is the viewer's changes to the document, for indexing clerks:
// Rotate (Ctrl+R), Re-file and putting a left-out page back (Ctrl+B).
// Each is a new version of the document.
type docEdits struct {
	sess *session
	v    *docViewer

	rotateBtn *widget.Button
	refileBtn *widget.Button
}

// newDocEdits makes the buttons, hidden for those who may not index.
func newDocEdits(v *docViewer) *docEdits {
	u := v.sess.a
	ed := &docEdits{sess: v.sess, v: v}
	ed.rotateBtn = button(u.input, "Rotate  (Ctrl+R)", theme.ViewRefreshIcon(), widget.MediumImportance, ed.rotate)
	ed.refileBtn = button(u.input, "Re-file…", theme.DocumentCreateIcon(), widget.MediumImportance, ed.askRefile)
	if !v.canIndex {
		ed.rotateBtn.Hide()
		ed.refileBtn.Hide()
	}
	return ed
}

// rotate turns the page shown a quarter clockwise: a new version.
func (ed *docEdits) rotate() {
	if !ed.v.canIndex || len(ed.v.doc.Pages) == 0 {
		return
	}
	sess, id, page := ed.sess, ed.v.doc.ID, ed.v.page
	var thumb image.Image
	ed.edit(func(ctx context.Context) (app.Document, error) {
		d, err := sess.s.Indexing().TurnPage(ctx, id, page, 1)
		if err == nil {
			if data, terr := sess.s.Documents().PageThumbnail(ctx, id, page); terr == nil {
				thumb, _, _ = decodeTurned(data, d.Pages[page].Turn)
			}
		}
		return d, err
	}, func(d app.Document) {
		ed.v.setDoc(d)
		delete(ed.v.pages, page)
		if img, ok := ed.v.thumbImg[page]; ok && thumb != nil {
			img.Image = thumb
			img.Refresh()
		}
		ed.v.msg.info(fmt.Sprintf("Page %d turned a quarter clockwise; saved as a new version.", page+1))
		ed.v.showPage(page)
	})
}

// putBack restores the first left-out page (indexing clerks) and shows it.
func (ed *docEdits) putBack() {
	if !ed.v.canIndex {
		return
	}
	if len(ed.v.doc.Removed) == 0 {
		ed.v.msg.info("Nothing was left out of this document.")
		return
	}
	sess, id := ed.sess, ed.v.doc.ID
	first := ed.v.doc.Removed[0]
	ed.edit(func(ctx context.Context) (app.Document, error) {
		return sess.s.Indexing().RestorePage(ctx, id, 0)
	}, func(d app.Document) {
		at := slices.IndexFunc(d.Pages, func(p app.DocPage) bool { return p.Batch == first.Batch && p.Index == first.Index })
		ed.v.setDoc(d)
		clear(ed.v.pages) // page numbers moved
		ed.v.drawStrip()
		ed.v.msg.info("Put back: " + first.LeftOutLine() + "; saved as a new version.")
		ed.v.showPage(max(at, 0))
		ed.v.loadThumbs(d)
	})
}

// edit runs change off the Fyne goroutine and then, unless the viewer
// forgot the document meanwhile, shows its error or passes the new
// version to done.
func (ed *docEdits) edit(change func(ctx context.Context) (app.Document, error), done func(app.Document)) {
	gen := ed.v.gen
	ed.sess.run(func(ctx context.Context) func() {
		d, err := change(ctx)
		return func() {
			if ed.v.gen != gen {
				return
			}
			if err != nil {
				ed.v.msg.error(message(err))
				return
			}
			done(d)
		}
	})
}

// askRefile asks for the patient, type and date to file the document
// under.
func (ed *docEdits) askRefile() {
	if !ed.v.canIndex || ed.v.doc.ID == "" {
		return
	}
	u := ed.sess.a
	patient := newEntry(u.input, "MRN, e.g. KAB-000123-7")
	patient.SetText(ed.v.doc.MRN)
	kind := newChoice(u.input, typeLabels(), nil)
	kind.SetSelected(docTypeText(ed.v.doc.Type))
	date := newEntry(u.input, "YYYY-MM-DD")
	if !ed.v.doc.Date.IsZero() {
		date.SetText(ed.v.doc.Date.Format(time.DateOnly))
	}
	form := formGrid(fieldLabel("Patient"), patient, fieldLabel("Type"), kind, fieldLabel("Date of service"), date)
	dlg := dialog.NewCustomConfirm("Re-file the document", "Re-file", "Cancel", form, func(ok bool) {
		if ok {
			ed.refile(patient.Text, kind.Selected, date.Text)
		}
	}, u.win)
	dlg.Resize(fyne.NewSize(520, 260))
	u.dialogs.showDialog(dlg)
}

// refile files the document under patient, type label and date (may be
// empty: kept), and says what was done.
func (ed *docEdits) refile(patient, label, date string) {
	if !ed.v.canIndex || ed.v.doc.ID == "" {
		return
	}
	fp := app.FileParams{Patient: strings.TrimSpace(patient), Type: typeSlug(label)}
	if fp.Patient == "" {
		ed.v.msg.error("Type the patient's MRN.")
		return
	}
	when, ok := serviceDate(date)
	if !ok {
		ed.v.msg.error(badDate)
		return
	}
	fp.Date = when
	sess, id := ed.sess, ed.v.doc.ID
	ed.edit(func(ctx context.Context) (app.Document, error) { return sess.s.Indexing().FileDocument(ctx, id, fp) },
		func(d app.Document) {
			ed.v.setDoc(d)
			ed.v.msg.info(fmt.Sprintf("Re-filed in %s's chart as %s of %s.", d.MRN,
				strings.ToLower(docTypeText(d.Type)), d.Date.Format(time.DateOnly)))
		})
}
