package ui

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"folio/internal/testkit"
	"folio/printout"
)

// scannedBatch renders the corpus file's pages at 150 dpi and stacks them,
// with a white page wherever blank is true, into one image-only PDF, as a
// scanner writes a duplex batch with blank backs.
func scannedBatch(t *testing.T, name string, blank ...bool) []byte {
	t.Helper()
	doc := openPDF(t, testkit.Corpus(t, "scans/"+name))
	var pages []printout.Page
	add := func(img image.Image) {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
			t.Fatal(err)
		}
		pages = append(pages, printout.Page{JPEG: buf.Bytes(), WidthPx: img.Bounds().Dx(), HeightPx: img.Bounds().Dy(), DPI: 150})
	}
	next := 0
	for _, b := range blank {
		if b {
			white := image.NewGray(image.Rect(0, 0, 1275, 1650))
			for i := range white.Pix {
				white.Pix[i] = 0xff
			}
			add(white)
			continue
		}
		img, err := doc.ImageDPI(next, 150)
		if err != nil {
			t.Fatal(err)
		}
		add(img)
		next++
	}
	var out bytes.Buffer
	if err := printout.SearchablePDF(&out, "scanner output", pages); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// A page left out as blank is in the queue's page strip where it was in
// the file; Ctrl+B typed in the form's fields puts it back. A document of
// no pages waits, cannot be filed, and comes back with Ctrl+B. The viewer
// lists a filed document's left-out pages and Ctrl+B puts one back.
func TestLeftOutPagesRestoredWithTheKeyboard(t *testing.T) {
	ctx := context.Background()
	u := recordsRoom(t)
	p := register(t, u, mary())[0]
	for _, f := range []struct {
		name string
		data []byte
	}{
		{"duplex.pdf", scannedBatch(t, "paperless__multi-page-images.pdf", false, true, false)},
		{"blank.pdf", scannedBatch(t, "paperless__multi-page-images.pdf", true)},
	} {
		if _, err := u.sess.s.Intake().ImportFile(ctx, f.name, "test", f.data); err != nil {
			t.Fatal(err)
		}
	}

	u.input.shortcut(ctrl(fyne.KeyJ))
	q := current[*queueScreen](t, u)
	u.tasks.wait()
	if len(q.docs) != 2 || !strings.Contains(q.count.Text, "Document 1 of 2 waiting: 2 pages, 1 left out") ||
		!strings.Contains(q.why.Text, "Page 2 left out as blank") {
		t.Fatalf("queue: %q, %q", q.count.Text, q.why.Text)
	}
	if len(q.pages.cards) != 3 {
		t.Fatalf("the strip shows %d cards, want the 2 pages and the left-out one between them", len(q.pages.cards))
	}
	u.input.shortcut(ctrl(fyne.KeyPageDown))
	u.tasks.wait()
	if !strings.Contains(q.pages.label.Text, "Page 2 left out as blank   (Ctrl+B puts it back)") || q.pages.image.Image == nil {
		t.Fatalf("on the left-out page: %q, image %v", q.pages.label.Text, q.pages.image.Image != nil)
	}
	if u.win.Canvas().Focused() != q.patient.field {
		t.Fatal("the patient field does not have the keyboard")
	}
	q.patient.field.TypedShortcut(ctrl(fyne.KeyB))
	u.tasks.wait()
	u.tasks.wait()
	d, _ := q.current()
	if len(d.Pages) != 3 || len(d.Removed) != 0 || d.Pages[1].Index != 1 || !strings.Contains(q.msg.Text, "Put back: page 2 left out as blank.") {
		t.Fatalf("after Ctrl+B: %d pages, %d left out, %q", len(d.Pages), len(d.Removed), q.msg.Text)
	}
	if q.pages.label.Text != "Page 2 of 3   (Page Up / Page Down)" {
		t.Fatalf("after the restore the pane shows %q", q.pages.label.Text)
	}

	// The file of one blank page: a document of no pages, waiting.
	u.input.shortcut(ctrl(fyne.KeyG))
	u.tasks.wait()
	if !strings.Contains(q.count.Text, "0 pages, 1 left out") || !strings.Contains(q.why.Text, "every page was left out as blank — check and restore pages") ||
		!strings.Contains(q.pages.label.Text, "Page 1 left out as blank") {
		t.Fatalf("document of no pages: %q, %q, %q", q.count.Text, q.why.Text, q.pages.label.Text)
	}
	test.Type(q.patient.field, p.MRN)
	q.patient.field.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	u.tasks.wait()
	u.tasks.wait()
	if !strings.Contains(q.msg.Text, "no pages") || len(q.docs) != 2 {
		t.Fatalf("filing a document of no pages: %q, %d waiting", q.msg.Text, len(q.docs))
	}
	u.input.shortcut(ctrl(fyne.KeyD))
	if u.win.Canvas().Focused() != q.date {
		t.Fatal("Ctrl+D does not put the keyboard in the date field")
	}
	q.date.TypedShortcut(ctrl(fyne.KeyB))
	u.tasks.wait()
	u.tasks.wait()
	if d, _ := q.current(); len(d.Pages) != 1 || len(d.Problems) != 0 {
		t.Fatalf("after Ctrl+B in the date field: %d pages, problems %q", len(d.Pages), d.Problems)
	}

	// Back to the first: take the blank page out again and file it.
	u.input.shortcut(ctrl(fyne.KeyG))
	u.tasks.wait()
	u.input.shortcut(ctrl(fyne.KeyPageDown))
	u.tasks.wait()
	u.input.shortcut(ctrl(fyne.KeyB))
	u.tasks.wait()
	u.tasks.wait()
	first, _ := q.current()
	if len(first.Pages) != 2 || len(first.Removed) != 1 {
		t.Fatalf("after removing page 2: %d pages, %d left out (%q)", len(first.Pages), len(first.Removed), q.msg.Text)
	}
	test.Type(q.patient.field, p.MRN)
	q.patient.field.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	u.tasks.wait()
	u.tasks.wait()
	if !strings.Contains(q.msg.Text, "Filed in "+p.MRN) {
		t.Fatalf("filing: %q", q.msg.Text)
	}

	// The viewer lists it and puts it back.
	v := openViewer(t, u, p, first)
	if !v.left.Visible() || !strings.Contains(v.left.Text, "Page 2 taken out by a person.") || !strings.Contains(v.left.Text, "Ctrl+B puts page 2 back") {
		t.Fatalf("viewer: left-out line %q (shown %v)", v.left.Text, v.left.Visible())
	}
	u.input.shortcut(ctrl(fyne.KeyB))
	u.tasks.wait()
	u.tasks.wait()
	if len(v.doc.Pages) != 3 || v.left.Visible() || v.page != 1 || !strings.Contains(v.msg.Text, "Put back: page 2") {
		t.Fatalf("viewer after Ctrl+B: %d pages, left-out line shown %v, on page %d, %q", len(v.doc.Pages), v.left.Visible(), v.page+1, v.msg.Text)
	}
	if got, err := u.sess.s.Documents().Open(ctx, first.ID); err != nil || len(got.Pages) != 3 {
		t.Fatalf("stored: %v", err)
	}
}
