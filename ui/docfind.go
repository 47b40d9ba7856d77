package ui

import (
	"context"
	"fmt"
	"image"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/app"
)

// docFind is the viewer's search within the document: the field, Find
// next (Enter, Ctrl+G) and what it found. The words of the last hit are
// marked on the page and in its text (docviewer.go's setImage and
// drawText).
type docFind struct {
	sess *session
	v    *docViewer

	search *entry
	found  *widget.Label
	row    *fyne.Container // the field, what was found and Find next
	query  []string        // the words searched for, lower case
	hit    int             // the page of the last hit, or -1
	reveal bool            // scroll the next page shown to its first hit
}

// newDocFind makes the field, Find next and the row that holds them.
func newDocFind(v *docViewer) *docFind {
	u := v.sess.a
	f := &docFind{sess: v.sess, v: v, hit: -1}
	f.search = newEntry(u.input, "Find in this document")
	f.search.OnSubmitted = func(string) { f.next() }
	f.search.OnChanged = func(s string) {
		if strings.TrimSpace(s) == "" {
			f.clear()
		}
	}
	f.found = widget.NewLabel("")
	findBtn := button(u.input, "Find next", theme.SearchIcon(), widget.LowImportance, f.next)
	f.row = container.NewBorder(nil, nil, nil, container.NewHBox(f.found, findBtn), f.search)
	return f
}

// forget empties the field and drops the words searched for.
func (f *docFind) forget() {
	f.query = nil
	f.found.SetText("")
	f.search.OnChanged = nil
	f.search.SetText("")
}

// searchWords splits a query into lower-case words.
func searchWords(q string) []string {
	return strings.FieldsFunc(strings.ToLower(q), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// pageHolds reports whether text holds every word, in any case.
func pageHolds(text string, words []string) bool {
	low := strings.ToLower(text)
	for _, w := range words {
		if !strings.Contains(low, w) {
			return false
		}
	}
	return len(words) > 0
}

// wordHit reports whether an OCR word is one of the words searched for.
func wordHit(word string, query []string) bool {
	w := strings.ToLower(word)
	for _, q := range query {
		if strings.Contains(w, q) {
			return true
		}
	}
	return false
}

// queryRegexp finds the query's words in any case, or is nil.
func queryRegexp(words []string) *regexp.Regexp {
	if len(words) == 0 {
		return nil
	}
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = regexp.QuoteMeta(w)
	}
	return regexp.MustCompile("(?i)" + strings.Join(quoted, "|"))
}

// next goes to the next page (round the document, from this page for a
// new query) whose text holds every word of the search field, and marks
// the words there. Pages not read yet are read off the Fyne goroutine.
func (f *docFind) next() {
	f.sess.a.input.touch()
	q := strings.TrimSpace(f.search.Text)
	words := searchWords(q)
	n := len(f.v.doc.Pages)
	if len(words) == 0 || n == 0 {
		if len(words) == 0 {
			f.sess.a.win.Canvas().Focus(f.search)
		}
		return
	}
	start := f.v.page
	if f.hit >= 0 && slices.Equal(words, f.query) {
		start = f.hit + 1
	}
	texts := map[int]string{}
	for i, pc := range f.v.pages {
		texts[i] = pc.Text
	}
	sess, id, gen := f.sess, f.v.doc.ID, f.v.gen
	sess.run(func(ctx context.Context) func() {
		read := map[int]app.PageContent{}
		found := -1
		var err error
		for k := range n {
			i := (start + k) % n
			text, ok := texts[i]
			if !ok {
				var pc app.PageContent
				if pc, err = sess.s.Documents().Page(ctx, id, i); err != nil {
					break
				}
				read[i], text = pc, pc.Text
			}
			if pageHolds(text, words) {
				found = i
				break
			}
		}
		return func() {
			if f.v.gen != gen || f.v.doc.ID != id {
				return
			}
			for i, pc := range read {
				f.v.pages[i] = pc
			}
			if err != nil {
				f.v.msg.error(message(err))
				return
			}
			if found < 0 {
				f.query, f.hit = nil, -1
				f.found.SetText("Not in this document")
				f.v.bar.Refresh()
				f.v.showPage(f.v.page)
				return
			}
			f.query, f.hit, f.reveal = words, found, true
			f.found.SetText(fmt.Sprintf("Found on page %d", found+1))
			f.v.bar.Refresh()
			f.v.showPage(found)
		}
	})
}

// clear removes the marks when the search field is emptied.
func (f *docFind) clear() {
	if f.query == nil {
		return
	}
	f.query, f.hit = nil, -1
	f.found.SetText("")
	if pc, ok := f.v.pages[f.v.page]; ok && f.v.img != nil {
		b := f.v.img.Bounds()
		orig := b.Size()
		if pc.Turn == 90 || pc.Turn == 270 {
			orig = image.Pt(b.Dy(), b.Dx())
		}
		f.v.setImage(f.v.img, orig, pc)
	}
}

// revealHit scrolls the page so that its first search hit is in the
// middle of the view (as far as the page allows), and the page's text to
// about where the hit is in it.
func (f *docFind) revealHit(text string) {
	if len(f.v.words) > 0 {
		s, r := f.v.scale(), f.v.words[0]
		view, content := f.v.scroll.Size(), f.v.stage.MinSize()
		x := (float32(r.Min.X)+float32(r.Dx())/2)*s - view.Width/2
		y := (float32(r.Min.Y)+float32(r.Dy())/2)*s - view.Height/2
		f.v.scroll.ScrollToOffset(fyne.NewPos(
			min(max(x, 0), max(content.Width-view.Width, 0)),
			min(max(y, 0), max(content.Height-view.Height, 0))))
	}
	// The text wraps to the pane, so the hit's line is found by its share
	// of the text: close enough to bring it into view.
	re := queryRegexp(f.query)
	if re == nil || len(text) == 0 {
		return
	}
	if at := re.FindStringIndex(text); at != nil {
		f.v.textView.Refresh()
		view, content := f.v.textView.Size().Height, f.v.textView.Content.Size().Height
		y := float32(at[0])/float32(len(text))*content - view/2
		f.v.textView.ScrollToOffset(fyne.NewPos(0, min(max(y, 0), max(content-view, 0))))
	}
}
