package ui

import (
	"context"
	"fmt"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/app"
)

// visitDocs is the scanned documents linked to a visit, below its note:
// Enter on one opens it in the viewer; Ctrl+D links or unlinks the chart's
// documents (Encounters.Link and Unlink, allowed on a signed note too: a
// link does not change the note).
type visitDocs struct {
	v     *encounterScreen
	box   *fyne.Container
	rows  *fyne.Container
	chart []app.Document // the chart's documents, newest first; nil until read
}

// linkChoices is how many of the chart's newest documents the link
// dialog offers (besides those linked).
const linkChoices = 100

func newVisitDocs(v *encounterScreen) *visitDocs {
	d := &visitDocs{v: v, rows: container.New(layout.NewCustomPaddedVBoxLayout(0))}
	d.box = container.NewVBox(sectionTitle("Scanned documents of this visit"), d.rows)
	d.box.Hide()
	return d
}

// show lists e's linked documents, reading the chart's list once.
func (d *visitDocs) show(e app.Encounter) {
	d.box.Show()
	if d.chart == nil && len(e.Documents) > 0 {
		d.load(func() { d.show(d.v.enc) })
	}
	d.rows.RemoveAll()
	u := d.v.sess.a
	for _, id := range e.Documents {
		text := "A document not in this chart's list"
		if doc, ok := d.find(id); ok {
			text = docLine(doc)
		}
		id := id
		d.rows.Add(newTapRow(u.input, container.NewBorder(nil, nil, widget.NewIcon(theme.DocumentIcon()), nil, widget.NewLabel(text)),
			func() { u.nav.showDocument(id) }))
	}
	if len(e.Documents) == 0 {
		d.rows.Add(muted("None linked. Ctrl+D links a scanned document of this chart (a referral, a lab result)."))
	}
	d.rows.Refresh()
}

func (d *visitDocs) find(id string) (app.Document, bool) {
	i := slices.IndexFunc(d.chart, func(x app.Document) bool { return x.ID == id })
	if i < 0 {
		return app.Document{}, false
	}
	return d.chart[i], true
}

// docLine is "Lab result, 2026-09-01, 3 pages".
func docLine(d app.Document) string {
	date := "date not known"
	if !d.Date.IsZero() {
		date = d.Date.Format(time.DateOnly)
	}
	return fmt.Sprintf("%s, %s, %s", docTypeText(d.Type), date, plural(len(d.Pages), "page", "pages"))
}

// load reads the chart's documents (an audited list read), then runs then.
func (d *visitDocs) load(then func()) {
	sess, ref, v := d.v.sess, d.v.ref, d.v
	sess.run(func(ctx context.Context) func() {
		docs, err := sess.s.Documents().OfPatient(ctx, ref)
		slices.SortStableFunc(docs, func(a, b app.Document) int { return b.Date.Compare(a.Date) })
		return func() {
			if sess.a.cur != screen(v) {
				return
			}
			if err != nil {
				v.tellError("The chart's documents could not be read: " + message(err))
				return
			}
			d.chart = docs
			if d.chart == nil {
				d.chart = []app.Document{}
			}
			then()
		}
	})
}

func (d *visitDocs) forget() {
	d.chart = nil
	d.rows.RemoveAll()
	d.box.Hide()
}

// askLink offers the chart's documents, each ticked when linked to the
// visit: Space ticks (links) or unticks (unlinks) at once.
func (v *encounterScreen) askLink() {
	if !canNote(v.sess.user.Roles) {
		return
	}
	if v.enc.ID == "" {
		v.tellError("Save the draft first (Ctrl+S), then link documents to it.")
		return
	}
	d := v.docs
	if d.chart == nil {
		d.load(v.askLink)
		return
	}
	u := v.sess.a
	msg := newMessageLabel()
	list := container.NewVBox()
	var first fyne.Focusable
	for i, doc := range d.chart {
		linked := slices.Contains(v.enc.Documents, doc.ID)
		if i >= linkChoices && !linked {
			continue
		}
		c := newCheck(u.input, docLine(doc), nil)
		c.SetChecked(linked)
		id := doc.ID
		c.OnChanged = func(on bool) { v.link(c, id, on, msg) }
		list.Add(c)
		if first == nil {
			first = c
		}
	}
	if first == nil {
		list.Add(wrapped("No documents are filed in this chart yet."))
	}
	body := container.NewBorder(wrapped("Tick a document to link it to this visit, untick it to unlink it (it stays in the chart)."),
		msg, nil, nil, newScroller(u.input, list))
	u.dialogs.showNote("Documents of this visit", body, fyne.NewSize(560, 460))
	if first != nil {
		u.win.Canvas().Focus(first)
	}
}

// link links or unlinks a document; a refusal unticks (or ticks) it
// again and says why.
func (v *encounterScreen) link(c *check, docID string, on bool, msg messageLabel) {
	sess, id := v.sess, v.enc.ID
	sess.run(func(ctx context.Context) func() {
		var res app.Encounter
		var err error
		if on {
			res, err = sess.s.Encounters().Link(ctx, id, docID)
		} else {
			res, err = sess.s.Encounters().Unlink(ctx, id, docID)
		}
		return func() {
			if err != nil {
				msg.error(message(err))
				back := c.OnChanged
				c.OnChanged = nil
				c.SetChecked(!on)
				c.OnChanged = back
				return
			}
			msg.clear()
			if sess.a.cur == screen(v) && v.enc.ID == res.ID {
				v.enc.Version, v.enc.Documents = res.Version, res.Documents
				v.docs.show(v.enc)
			}
		}
	})
}
