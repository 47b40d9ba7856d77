package ui

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // page images are JPEG
	_ "image/png"
	"runtime"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/app"
	"folio/pageturn"
	"folio/visible"
)

// This file is the document viewer: one page at a time, zoomed to the
// width, the page or 100 %, with the page's text beside it, a strip of the
// pages to jump to, search within the document, and for indexing clerks
// Rotate and Re-file. Every page read is audited by the services.

// zoomMode is how the page image is sized.
type zoomMode int

const (
	zoomFitWidth zoomMode = iota
	zoomFitPage
	zoomScale // v.scaleAt, 1 = 100 %
)

// docViewer shows one document.
type docViewer struct {
	sess *session
	id   string
	back string // the chart to go back to (MRN or id), or ""

	// Fyne goroutine only.
	gen      int                     // counts forget calls; older results are dropped
	doc      app.Document            // the document's head, once loaded
	page     int                     // the page shown, 0-based
	pages    map[int]app.PageContent // pages read so far (PHI)
	img      image.Image             // the page shown, turned upright
	words    []image.Rectangle       // boxes marked: search hits, then barcodes (img pixels)
	zoom     zoomMode                // how the page is sized
	scaleAt  float32                 // the scale of zoomScale
	thumbImg map[int]*canvas.Image   // the strip's thumbnails by page
	thumbRow map[int]*tapRow         // the strip's cards by page
	canIndex bool                    // Rotate and Re-file allowed

	title     *widget.RichText
	chart     app.Patient   // whose chart the document is filed in (header)
	status    *widget.Label // pages, state, archive identifiers
	image     *canvas.Image
	stage     *fyne.Container // the image and the hit marks
	scroll    *container.Scroll
	pageView  *pageView
	pageLabel *widget.Label
	prevBtn   *widget.Button
	nextBtn   *widget.Button
	zoomBtns  [3]*widget.Button // fit width, fit page, 100 %
	strip     *fyne.Container
	text      *widget.RichText
	textView  *container.Scroll
	source    *widget.Label
	codes     *widget.Label // the barcodes read on the page
	left      *widget.Label // the pages left out of the document
	find      *docFind      // find in the document (docfind.go)
	edits     *docEdits     // rotate, re-file, put back (docedits.go)
	output    *docOutput    // export and print (docoutput.go)
	msg       messageLabel
	head      *fyne.Container // back and the document's actions
	bar       *fyne.Container // zoom, pages and search
	box       fyne.CanvasObject
}

func newDocViewer(sess *session, id, back string) *docViewer {
	u := sess.a
	v := &docViewer{sess: sess, id: id, back: back, scaleAt: 1,
		pages: map[int]app.PageContent{}, thumbImg: map[int]*canvas.Image{}, thumbRow: map[int]*tapRow{}}
	v.canIndex = sess.user.Roles.Can(app.PermDocIndex)

	v.title = widget.NewRichText(&widget.TextSegment{Text: "Opening the document…", Style: styleBold})
	v.title.Truncation = fyne.TextTruncateEllipsis
	v.status = widget.NewLabel("")
	v.status.Importance = widget.LowImportance
	v.status.Truncation = fyne.TextTruncateEllipsis
	v.image = canvas.NewImageFromImage(nil)
	v.image.FillMode = canvas.ImageFillStretch
	v.image.ScaleMode = canvas.ImageScaleSmooth
	v.stage = container.New(&stageLayout{v: v}, v.image)
	v.scroll = container.NewScroll(v.stage)
	v.scroll.OnScrolled = func(fyne.Position) { u.input.touch() }
	v.pageView = newPageView(v, v.scroll)

	backBtn := button(u.input, "Back to the chart  (Esc)", theme.NavigateBackIcon(), widget.LowImportance, func() { v.escape() })
	v.edits = newDocEdits(v)
	v.output = newDocOutput(v)

	v.zoomBtns[0] = button(u.input, "Fit width  Ctrl+1", nil, widget.LowImportance, func() { v.setZoom(zoomFitWidth, 0) })
	v.zoomBtns[1] = button(u.input, "Fit page  Ctrl+2", nil, widget.LowImportance, func() { v.setZoom(zoomFitPage, 0) })
	v.zoomBtns[2] = button(u.input, "100 %  Ctrl+3", nil, widget.LowImportance, func() { v.setZoom(zoomScale, 1) })
	v.prevBtn = button(u.input, "", theme.NavigateBackIcon(), widget.LowImportance, func() { v.step(-1) })
	v.nextBtn = button(u.input, "", theme.NavigateNextIcon(), widget.LowImportance, func() { v.step(1) })
	v.pageLabel = widget.NewLabel("")

	v.find = newDocFind(v)

	v.strip = container.NewVBox()
	v.text = widget.NewRichText()
	v.text.Wrapping = fyne.TextWrapWord
	v.source = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
	v.codes = wrapped("")
	v.left = widget.NewLabel("")
	v.left.Wrapping = fyne.TextWrapWord
	v.left.Hide()
	v.msg = newMessageLabel()

	// The title has a row of its own: beside the buttons it was cut short.
	// So has the search: beside the zoom and the pages, on a 1024 px wide
	// screen, the field kept room for a few characters.
	v.head = container.NewBorder(nil, nil, backBtn, container.NewHBox(v.edits.refileBtn, v.edits.rotateBtn, v.output.exportBtn, v.output.printBtn))
	v.bar = container.NewVBox(
		container.NewBorder(nil, nil, container.NewHBox(v.zoomBtns[0], v.zoomBtns[1], v.zoomBtns[2], widget.NewSeparator(), v.prevBtn, v.pageLabel, v.nextBtn), nil, v.status),
		v.find.row)
	top := container.NewVBox(v.head, v.title, v.left, v.bar, v.msg)
	// The pages' strip stands beside the page, not under it: on a 600 px
	// high screen the page keeps the height.
	stripWidth := canvas.NewRectangle(color.Transparent)
	stripWidth.SetMinSize(fyne.NewSize(88, 0)) // a card and the scroll bar
	left := container.NewBorder(nil, nil, container.NewStack(stripWidth, newScroller(u.input, v.strip)), nil, v.pageView)
	v.textView = newScroller(u.input, v.text)
	right := container.NewBorder(container.NewVBox(sectionTitle("Text of the page"), v.source, v.codes), nil, nil, nil, v.textView)
	split := container.NewHSplit(left, right)
	split.Offset = 0.64
	v.box = container.New(layout.NewCustomPaddedLayout(8, 8, 12, 12), container.NewBorder(top, nil, nil, nil, split))
	v.paintZoom()
	return v
}

func (v *docViewer) view() fyne.CanvasObject    { return v.box }
func (v *docViewer) focusFirst() fyne.Focusable { return v.pageView }

// forget drops every image, text and title the viewer shows (PHI).
func (v *docViewer) forget() {
	v.gen++
	v.doc = app.Document{}
	v.pages = map[int]app.PageContent{}
	v.img, v.words = nil, nil
	v.chart = app.Patient{}
	v.status.SetText("")
	v.image.Image = nil
	v.image.Refresh()
	v.stage.Objects = []fyne.CanvasObject{v.image}
	v.stage.Refresh()
	for _, rt := range []*widget.RichText{v.title, v.text} {
		rt.Segments = nil
		rt.Refresh()
	}
	for _, img := range v.thumbImg {
		img.Image = nil
	}
	clear(v.thumbImg)
	clear(v.thumbRow)
	v.strip.RemoveAll()
	v.source.SetText("")
	v.codes.SetText("")
	v.pageLabel.SetText("")
	v.find.forget()
	v.msg.clear()
}

// escape goes back to the chart the document was opened from.
func (v *docViewer) escape() bool {
	u := v.sess.a
	ref := v.back
	if ref == "" {
		ref = v.doc.MRN
	}
	if ref == "" {
		u.nav.showSearch()
		return true
	}
	u.nav.openPatient(ref)
	return true
}

func (v *docViewer) shortcut(k fyne.KeyName) bool {
	return keyActions{
		fyne.KeyPageDown: func() { v.step(1) },
		fyne.KeyPageUp:   func() { v.step(-1) },
		fyne.Key1:        func() { v.setZoom(zoomFitWidth, 0) },
		fyne.Key2:        func() { v.setZoom(zoomFitPage, 0) },
		fyne.Key3:        func() { v.setZoom(zoomScale, 1) },
		fyne.KeyR:        v.edits.rotate,
		fyne.KeyG:        v.find.next,
		fyne.KeyS:        v.output.askExport,
		fyne.KeyB:        v.edits.putBack,
	}.run(k)
}

// load reads the document (audited), its thumbnails and its first page.
func (v *docViewer) load() {
	sess, id, gen := v.sess, v.id, v.gen
	sess.run(func(ctx context.Context) func() {
		d, err := sess.s.Documents().Open(ctx, id)
		var chart app.Patient
		if err == nil && d.PatientID != "" {
			// Whose page this is, for the header (part of the opening).
			chart, _ = sess.s.Documents().OpenedChart(ctx, id)
		}
		return func() {
			if v.gen != gen {
				return
			}
			if err != nil {
				v.title.Segments = []widget.RichTextSegment{&widget.TextSegment{Text: "The document could not be opened.", Style: styleBold}}
				v.title.Refresh()
				v.msg.error(message(err))
				return
			}
			v.chart = chart
			v.setDoc(d)
			v.drawStrip()
			v.showPage(0)
			v.loadThumbs(d)
		}
	})
}

// loadThumbs fills the page strip with d's thumbnails, read and decoded
// off the Fyne goroutine (the first page shows meanwhile).
func (v *docViewer) loadThumbs(d app.Document) {
	sess, gen := v.sess, v.gen
	sess.run(func(ctx context.Context) func() {
		thumbs := decodeThumbs(ctx, sess.s, d)
		return func() {
			if v.gen != gen || v.doc.ID != d.ID || len(v.doc.Pages) != len(d.Pages) {
				return
			}
			for i, img := range thumbs {
				if c := v.thumbImg[i]; c != nil && img != nil {
					c.Image = img
					c.Refresh()
				}
			}
		}
	})
}

// decodeThumbs reads d's thumbnails (not audited one by one: opening the
// document is the audited read) and decodes them on every core.
func decodeThumbs(ctx context.Context, s *app.Session, d app.Document) []image.Image {
	out := make([]image.Image, len(d.Pages))
	data, err := s.Documents().Thumbnails(ctx, d.ID)
	if err != nil || len(data) != len(d.Pages) {
		return out
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.NumCPU() {
		wg.Go(func() {
			for i := range next {
				if img, _, err := decodeTurned(data[i], d.Pages[i].Turn); err == nil {
					out[i] = img
				}
			}
		})
	}
	for i := range data {
		if data[i] != nil {
			next <- i
		}
	}
	close(next)
	wg.Wait()
	return out
}

// setDoc takes a new version of the document and says what it is.
func (v *docViewer) setDoc(d app.Document) {
	v.doc = d
	date := "date of service not known"
	if !d.Date.IsZero() {
		date = d.Date.Format(time.DateOnly)
	}
	mrn := visible.Line(d.MRN)
	if mrn == "" {
		mrn = "no patient yet"
	}
	archive := ""
	if len(d.ArchiveIDs) > 0 {
		archive = "  ·  archive ID " + visible.Line(strings.Join(d.ArchiveIDs, ", "))
	}
	// The title names the document and whose chart it is in (name, MRN,
	// date of birth); pages, state and archive identifiers stand beside
	// the zoom and page buttons, so the page keeps its height at 600 px.
	who := mrn
	if v.chart.ID != "" && d.PatientID != "" {
		who = displayName(v.chart) + "  ·  " + visible.Line(v.chart.MRN) + "  ·  born " + birthText(v.chart.BirthDate, v.sess.a.now())
	}
	v.title.Segments = []widget.RichTextSegment{
		&widget.TextSegment{Text: docTypeText(d.Type), Style: styleTitle},
		&widget.TextSegment{Text: "  " + date + "   ", Style: styleMuted},
		&widget.TextSegment{Text: who, Style: styleBold},
	}
	v.status.SetText(plural(len(d.Pages), "page", "pages") + "  ·  " + docStatusText(d) + archive)
	v.title.Refresh()
	if c, ok := v.box.(*fyne.Container); ok {
		c.Refresh() // the title row may have grown
	}
	if len(d.Pages) == 0 {
		v.edits.rotateBtn.Disable()
		v.output.exportBtn.Disable()
		v.output.printBtn.Disable()
	}
	how := ""
	if v.canIndex && len(d.Removed) > 0 {
		how = fmt.Sprintf("   Ctrl+B puts page %d back.", d.Removed[0].Index+1)
	}
	v.left.SetText(strings.Join(leftOutLines(d, ""), " ") + how)
	v.left.Hidden = len(d.Removed) == 0
	v.left.Refresh()
}

// drawStrip lays out a card per page; tapping one shows that page.
func (v *docViewer) drawStrip() {
	u := v.sess.a
	v.strip.RemoveAll()
	clear(v.thumbImg)
	clear(v.thumbRow)
	for i := range v.doc.Pages {
		card, img := newPageCard(u.input, i, fyne.NewSize(64, 84), func() { v.showPage(i) }) // img filled by loadThumbs
		v.thumbImg[i], v.thumbRow[i] = img, card
		v.strip.Add(card)
	}
}

// newPageCard is a page's card in a strip: its thumbnail (empty until
// set) of the given size over its number; tapping it runs tapped.
func newPageCard(h inputHooks, i int, size fyne.Size, tapped func()) (*tapRow, *canvas.Image) {
	img := canvas.NewImageFromImage(nil)
	img.FillMode = canvas.ImageFillContain
	img.SetMinSize(size)
	card := newTapRow(h, container.NewBorder(nil,
		widget.NewLabelWithStyle(fmt.Sprint(i+1), fyne.TextAlignCenter, fyne.TextStyle{}), nil, nil, img), tapped)
	return card, img
}

// showPage shows page i: read (audited) and decoded off the Fyne goroutine
// unless already read.
func (v *docViewer) showPage(i int) {
	n := len(v.doc.Pages)
	if n == 0 {
		v.pageLabel.SetText("No pages")
		return
	}
	i = max(0, min(i, n-1))
	v.page = i
	v.pageLabel.SetText(fmt.Sprintf("Page %d of %d", i+1, n))
	setEnabled(i != 0, v.prevBtn)
	setEnabled(i != n-1, v.nextBtn)
	for p, card := range v.thumbRow {
		card.focused = p == i
		card.paint()
	}
	v.source.SetText(sourceText(v.doc.Pages[i]))
	if codes := pageCodesText(v.doc, i); codes != "" {
		v.codes.SetText(codes)
		v.codes.Show()
	} else {
		v.codes.Hide()
	}
	v.bar.Refresh()
	sess, id, gen := v.sess, v.doc.ID, v.gen
	pc, cached := v.pages[i]
	sess.run(func(ctx context.Context) func() {
		var err error
		if !cached {
			pc, err = sess.s.Documents().Page(ctx, id, i)
		}
		var img image.Image
		var size image.Point
		if err == nil {
			img, size, err = decodeTurned(pc.View, pc.Turn)
		}
		return func() {
			if v.gen != gen || v.page != i || v.doc.ID != id {
				return // the reader moved on
			}
			if err != nil {
				v.msg.error(message(err))
				return
			}
			v.pages[i] = pc
			v.setImage(img, size, pc)
		}
	})
}

// sourceText is where a page's text comes from: "OCR, 91 % confidence".
func sourceText(p app.DocPage) string {
	switch p.TextSource {
	case "ocr":
		return fmt.Sprintf("OCR, %.0f %% confidence", p.Confidence)
	case "layer":
		return "text layer"
	case "":
		return "no text found on this page"
	}
	return visible.Line(p.TextSource)
}

// setImage shows a decoded page with its text and the hits of the search.
func (v *docViewer) setImage(img image.Image, orig image.Point, pc app.PageContent) {
	v.img = img
	v.image.Image = img
	v.image.Refresh()
	v.words = nil
	if q := v.find.query; len(q) > 0 {
		for _, w := range pc.Words {
			if wordHit(w.Text, q) {
				v.words = append(v.words, turnBox(image.Rect(w.X, w.Y, w.X+w.W, w.Y+w.H), orig, pc.Turn))
			}
		}
	}
	objs := []fyne.CanvasObject{v.image}
	for range v.words {
		r := canvas.NewRectangle(color.NRGBA{R: 255, G: 196, B: 0, A: 96})
		r.StrokeColor = color.NRGBA{R: 230, G: 140, B: 0, A: 200}
		r.StrokeWidth = 1
		objs = append(objs, r)
	}
	objs = append(objs, v.markCodes(orig, pc.Turn)...)
	v.stage.Objects = objs
	v.drawText(pc.Text)
	v.relayout()
	if v.find.reveal {
		v.find.reveal = false
		v.find.revealHit(pc.Text)
	}
}

// drawText shows a page's text with the search hits highlighted.
func (v *docViewer) drawText(s string) {
	if strings.TrimSpace(s) == "" {
		v.text.Segments = []widget.RichTextSegment{&widget.TextSegment{
			Text: "No text was read on this page.", Style: styleMuted}}
		v.text.Refresh()
		return
	}
	var segs []widget.RichTextSegment
	hl := widget.RichTextStyle{ColorName: theme.ColorNamePrimary, TextStyle: fyne.TextStyle{Bold: true}, Inline: true}
	at := 0
	if re := queryRegexp(v.find.query); re != nil {
		for _, m := range re.FindAllStringIndex(s, -1) {
			// A hit takes the space before it: Fyne wraps an inline
			// segment with no space in it letter by letter when it
			// starts near the end of a row.
			if m[0] > at && s[m[0]-1] == ' ' {
				m[0]--
			}
			if m[0] > at {
				segs = append(segs, &widget.TextSegment{Text: s[at:m[0]], Style: styleRegular})
			}
			segs = append(segs, &widget.TextSegment{Text: s[m[0]:m[1]], Style: hl})
			at = m[1]
		}
	}
	if at < len(s) {
		segs = append(segs, &widget.TextSegment{Text: s[at:], Style: styleRegular})
	}
	v.text.Segments = segs
	v.text.Refresh()
}

// scale is the size of an image pixel on screen for the zoom chosen.
func (v *docViewer) scale() float32 {
	if v.img == nil {
		return 1
	}
	b := v.img.Bounds()
	iw, ih := float32(b.Dx()), float32(b.Dy())
	vp := v.scroll.Size()
	if iw <= 0 || ih <= 0 {
		return 1
	}
	switch v.zoom {
	case zoomFitWidth:
		if vp.Width > 0 {
			return vp.Width / iw
		}
	case zoomFitPage:
		if vp.Width > 0 && vp.Height > 0 {
			return min(vp.Width/iw, vp.Height/ih)
		}
	case zoomScale:
		return v.scaleAt
	}
	return 1
}

// setZoom changes how the page is sized; s is the scale of zoomScale.
func (v *docViewer) setZoom(m zoomMode, s float32) {
	v.sess.a.input.touch()
	v.zoom = m
	if m == zoomScale {
		v.scaleAt = min(max(s, 0.1), 8)
	}
	v.paintZoom()
	v.relayout()
}

// paintZoom highlights the zoom button of the zoom chosen.
func (v *docViewer) paintZoom() {
	m := v.zoom
	for i, b := range v.zoomBtns {
		imp := widget.LowImportance
		if zoomMode(i) == m && (m != zoomScale || v.scaleAt == 1) {
			imp = widget.HighImportance
		}
		b.Importance = imp
		b.Refresh()
	}
}

// zoomBy zooms in (f > 1) or out from the current size.
func (v *docViewer) zoomBy(f float32) { v.setZoom(zoomScale, v.scale()*f) }

func (v *docViewer) relayout() {
	v.stage.Refresh()
	v.scroll.Refresh()
}

// step goes delta pages on.
func (v *docViewer) step(delta int) {
	if len(v.doc.Pages) == 0 {
		return
	}
	if next := max(0, min(v.page+delta, len(v.doc.Pages)-1)); next != v.page {
		v.showPage(next)
		v.scroll.ScrollToTop()
	}
}

// stageLayout sizes the page image to the zoom and lays the search hits
// over their words.
type stageLayout struct{ v *docViewer }

func (l *stageLayout) imageSize() fyne.Size {
	if l.v.img == nil {
		return fyne.NewSize(0, 0)
	}
	s := l.v.scale()
	b := l.v.img.Bounds()
	return fyne.NewSize(float32(b.Dx())*s, float32(b.Dy())*s)
}

func (l *stageLayout) MinSize([]fyne.CanvasObject) fyne.Size { return l.imageSize() }

func (l *stageLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	is := l.imageSize()
	off := fyne.NewPos(max(0, (size.Width-is.Width)/2), 0)
	if len(objs) == 0 {
		return
	}
	objs[0].Move(off)
	objs[0].Resize(is)
	s := l.v.scale()
	for i, o := range objs[1:] {
		if i >= len(l.v.words) {
			break
		}
		r := l.v.words[i]
		o.Move(off.AddXY(float32(r.Min.X)*s-2, float32(r.Min.Y)*s-2))
		o.Resize(fyne.NewSize(float32(r.Dx())*s+4, float32(r.Dy())*s+4))
	}
}

// pageView holds the page's scroll and takes the keyboard: Page Up and
// Page Down (or ← →) turn pages, ↑ ↓ scroll, Home and End go to the first
// and last page, + and − zoom.
type pageView struct {
	widget.BaseWidget
	v       *docViewer
	content fyne.CanvasObject
}

func newPageView(v *docViewer, content fyne.CanvasObject) *pageView {
	p := &pageView{v: v, content: content}
	p.ExtendBaseWidget(p)
	return p
}

func (p *pageView) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(p.content) }

func (p *pageView) Tapped(*fyne.PointEvent) {
	p.v.sess.a.input.touch()
	p.v.sess.a.win.Canvas().Focus(p)
}

func (p *pageView) FocusGained() {}
func (p *pageView) FocusLost()   {}

func (p *pageView) TypedRune(r rune) {
	p.v.sess.a.input.touch()
	switch r {
	case '+', '=':
		p.v.zoomBy(1.25)
	case '-', '−':
		p.v.zoomBy(0.8)
	}
}

func (p *pageView) TypedKey(k *fyne.KeyEvent) {
	u := p.v.sess.a
	u.input.touch()
	if u.input.typedKey(k.Name) { // F1, and the viewer's keys of every field
		return
	}
	switch k.Name {
	case fyne.KeyRight:
		p.v.step(1)
	case fyne.KeyLeft:
		p.v.step(-1)
	case fyne.KeyHome:
		p.v.step(-len(p.v.doc.Pages))
	case fyne.KeyEnd:
		p.v.step(len(p.v.doc.Pages))
	case fyne.KeyEscape:
		u.input.escape()
	}
}

func (p *pageView) TypedShortcut(s fyne.Shortcut) {
	if cs, ok := windowShortcut(s); ok {
		p.v.sess.a.input.shortcut(cs)
	}
}

// plainKey: Page Down and Page Up turn pages, ↓ and ↑ scroll within the
// page, from the page and from the search field alike.
func (v *docViewer) plainKey(k fyne.KeyName) bool {
	return keyActions{
		fyne.KeyPageDown: func() { v.step(1) },
		fyne.KeyPageUp:   func() { v.step(-1) },
		fyne.KeyDown:     func() { v.scrollBy(1) },
		fyne.KeyUp:       func() { v.scrollBy(-1) },
	}.run(k)
}

// scrollBy moves the page a tenth of the view down (dir 1) or up (-1),
// so that a page taller than the view (fit width, 100 %) can be read to
// its foot from the keyboard.
func (v *docViewer) scrollBy(dir float32) {
	v.sess.a.input.touch()
	view, content := v.scroll.Size(), v.stage.MinSize()
	step := max(view.Height/10, 24)
	y := min(max(v.scroll.Offset.Y+dir*step, 0), max(content.Height-view.Height, 0))
	v.scroll.ScrollToOffset(fyne.NewPos(v.scroll.Offset.X, y))
}

// Images.

// decodeTurned decodes a page image and turns it upright by turn degrees
// clockwise; it also returns the size before the turn (word boxes are in
// those pixels).
func decodeTurned(data []byte, turn int) (image.Image, image.Point, error) {
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, image.Point{}, fmt.Errorf("the page image cannot be read: %w", err)
	}
	return pageturn.Turn(img, turn), img.Bounds().Size(), nil
}

// turnBox maps a box in an image of size orig to the image turned by turn
// degrees clockwise.
func turnBox(r image.Rectangle, orig image.Point, turn int) image.Rectangle {
	x, y, w, h := r.Min.X, r.Min.Y, r.Dx(), r.Dy()
	W, H := orig.X, orig.Y
	switch ((turn % 360) + 360) % 360 {
	case 90:
		return image.Rect(H-y-h, x, H-y, x+w)
	case 180:
		return image.Rect(W-x-w, H-y-h, W-x, H-y)
	case 270:
		return image.Rect(y, W-x-w, y+h, W-x)
	}
	return r
}
