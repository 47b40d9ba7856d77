package ui

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"folio/app"
)

// This file is the page pane of the indexing queue and QA: a document's
// pages one at a time, turned as the clerk asked, with its thumbnails and
// the keys that turn them.

// pagePane shows one page of a document at a time, turned as the clerk
// asked, with a strip of the document's page thumbnails under it. The
// pages left out of the document (found blank, its sheet, taken out) are
// in the strip too, where they were in the scanned file, marked "left
// out": Page Down reaches them like the others.
type pagePane struct {
	sess   *session
	image  *canvas.Image
	label  *widget.Label
	strip  *fyne.Container
	scroll *container.Scroll
	cards  []*tapRow
	doc    app.Document
	refs   []app.PageRef // doc in reading order, left-out pages in their place
	page   int           // index into refs
	// putBack is said on a left-out page: how to restore it ("" on screens
	// that cannot).
	putBack string

	stripDoc app.Document      // the document (and version) the strip shows
	form     *container.Scroll // the form beside the pages (besideForm)
}

func newPagePane(sess *session) *pagePane {
	img := canvas.NewImageFromImage(nil)
	img.FillMode = canvas.ImageFillContain
	img.SetMinSize(fyne.NewSize(240, 300)) // fits a 1024×600 screen; it grows with the window
	pp := &pagePane{sess: sess, image: img, label: widget.NewLabel(""), strip: container.NewHBox()}
	pp.scroll = container.NewHScroll(pp.strip)
	return pp
}

func (pp *pagePane) view() fyne.CanvasObject {
	return container.NewBorder(nil, container.NewVBox(container.NewCenter(pp.label), pp.scroll), nil, nil, pp.image)
}

// docPage is the document page on show (0-based); false on a left-out
// page or when there is none.
func (pp *pagePane) docPage() (int, bool) {
	if pp.page >= len(pp.refs) || pp.refs[pp.page].Left >= 0 {
		return 0, false
	}
	return pp.refs[pp.page].Page, true
}

// leftPage is the left-out page on show (an index into doc.Removed).
func (pp *pagePane) leftPage() (int, bool) {
	if pp.page >= len(pp.refs) || pp.refs[pp.page].Left < 0 {
		return 0, false
	}
	return pp.refs[pp.page].Left, true
}

// show loads entry i of d in reading order (decrypted off the Fyne
// goroutine; audited).
func (pp *pagePane) show(d app.Document, i int) {
	refs := d.InOrder()
	if len(refs) == 0 {
		pp.doc, pp.refs, pp.page = d, nil, 0
		pp.clear()
		pp.label.SetText("No pages")
		return
	}
	i = max(0, min(i, len(refs)-1))
	pp.doc, pp.refs, pp.page = d, refs, i
	ref := refs[i]
	if ref.Left >= 0 {
		line := d.Removed[ref.Left].LeftOutLine()
		pp.label.SetText(strings.TrimSpace(strings.ToUpper(line[:1]) + line[1:] + "   " + pp.putBack))
	} else {
		pp.label.SetText(fmt.Sprintf("Page %d of %d   (Page Up / Page Down)", ref.Page+1, len(d.Pages)))
	}
	pp.drawStrip(d)
	for p, c := range pp.cards {
		c.focused = p == i
		c.paint()
	}
	if i < len(pp.cards) {
		pp.scroll.ScrollToOffset(fyne.NewPos(max(0, float32(i-2))*pp.cards[0].MinSize().Width, 0))
	}
	sess := pp.sess
	sess.run(func(ctx context.Context) func() {
		var pc app.PageContent
		var err error
		if ref.Left >= 0 {
			pc, err = sess.s.Indexing().LeftOutPage(ctx, d.ID, ref.Left)
		} else {
			pc, err = sess.s.Documents().Page(ctx, d.ID, ref.Page)
		}
		var img image.Image
		if err == nil {
			img, _, err = decodeTurned(pc.View, pc.Turn)
		}
		return func() {
			if pp.doc.ID != d.ID || pp.page != i {
				return // the clerk moved on
			}
			if err != nil {
				pp.image.Image = nil
				pp.image.Refresh()
				pp.label.SetText(message(err))
				return
			}
			pp.image.Image = img
			pp.image.Refresh()
		}
	})
}

// drawStrip lays out a card per page of d, left-out pages in their place,
// unless the strip shows this version of d already, and fills the pages'
// cards with the thumbnails (turned).
func (pp *pagePane) drawStrip(d app.Document) {
	if pp.stripDoc.ID == d.ID && pp.stripDoc.Version == d.Version && len(pp.cards) == len(pp.refs) {
		return
	}
	pp.stripDoc = d
	pp.strip.RemoveAll()
	pp.cards = pp.cards[:0]
	imgs := make([]*canvas.Image, len(d.Pages))
	for i, ref := range pp.refs {
		var card *tapRow
		if ref.Left >= 0 {
			card = newTapRow(pp.sess.a.input, container.NewCenter(widget.NewLabelWithStyle(fmt.Sprintf("%d\nleft\nout", d.Removed[ref.Left].Index+1),
				fyne.TextAlignCenter, fyne.TextStyle{Italic: true})), func() { pp.show(pp.doc, i) })
		} else {
			card, imgs[ref.Page] = newPageCard(pp.sess.a.input, ref.Page, fyne.NewSize(48, 64), func() { pp.show(pp.doc, i) })
		}
		pp.cards = append(pp.cards, card)
		pp.strip.Add(card)
	}
	pp.strip.Refresh()
	sess := pp.sess
	sess.run(func(ctx context.Context) func() {
		thumbs := decodeThumbs(ctx, sess.s, d)
		return func() {
			if pp.stripDoc.ID != d.ID || pp.stripDoc.Version != d.Version {
				return
			}
			for i, t := range thumbs {
				if t != nil {
					imgs[i].Image = t
					imgs[i].Refresh()
				}
			}
		}
	})
}

func (pp *pagePane) step(delta int) { pp.show(pp.doc, pp.page+delta) }

func (pp *pagePane) clear() {
	pp.image.Image = nil
	pp.image.Refresh()
	pp.label.SetText("")
	pp.strip.RemoveAll()
	pp.cards, pp.refs, pp.stripDoc = nil, nil, app.Document{}
}

// pageKey turns the pages on Page Down and Page Up, with Ctrl or
// without; false for any other key.
func (pp *pagePane) pageKey(k fyne.KeyName) bool {
	return keyActions{fyne.KeyPageDown: func() { pp.step(1) }, fyne.KeyPageUp: func() { pp.step(-1) }}.run(k)
}

// besideForm is a screen of the pane, filling the window, with form at
// its right, at least width wide, as tall as the page and scrolling if it
// must (the queue's and QA's layout); note, if not nil, stays above the
// form, where it shows whatever the form's scroll.
func (pp *pagePane) besideForm(note, form fyne.CanvasObject, width float32) fyne.CanvasObject {
	min := canvas.NewRectangle(color.Transparent)
	min.SetMinSize(fyne.NewSize(width, 0))
	pp.form = newScroller(pp.sess.a.input, form)
	side := container.NewStack(min, container.NewBorder(note, nil, nil, nil, pp.form))
	return screenMargin(container.NewBorder(nil, nil, nil, side, panel(pp.view())))
}

// reflowForm makes room in the form beside the pages for a part that grew.
func (pp *pagePane) reflowForm() { reflow(pp.form) }
