package ui

import (
	"testing"

	"fyne.io/fyne/v2"
)

// Issue 14, the README's walk: in the indexing queue the proposal's reason
// ("Type: Other (no keyword of a known type, and nothing learned that
// fits)") wraps to a second line, which lay over the Patient field; and the
// patients matching what the clerk typed in Patient never showed, so ↓ and
// Enter took a match no one could see. Fyne lays out again only one grown
// part a frame; the form makes room for each, at both screen sizes.
func TestQueueFormMakesRoomForWhatGrows(t *testing.T) {
	for _, size := range []fyne.Size{{Width: 1366, Height: 768}, {Width: 1024, Height: 600}} {
		u := recordsRoom(t)
		register(t, u, mary())
		importCorpus(t, u, "paperless__simple.png")
		u.win.Resize(size.SubtractWidthHeight(0, menuBarHeight()))
		u.shortcut(ctrl(fyne.KeyJ))
		q := current[*queueScreen](t, u)
		u.tasks.wait()
		if q.why.Text == "" {
			t.Fatal("the queue proposes nothing")
		}
		clear := func(what string, upper, lower fyne.CanvasObject) {
			t.Helper()
			d := u.fyne.Driver()
			top := d.AbsolutePositionForObject(upper).Y
			if h, need := upper.Size().Height, upper.MinSize().Height; h < need-0.5 {
				t.Errorf("%v: %s is %.0f high, its text needs %.0f", size, what, h, need)
			}
			if end, next := top+upper.Size().Height, d.AbsolutePositionForObject(lower).Y; next < end-0.5 {
				t.Errorf("%v: %s ends at y %.0f, under what follows it (y %.0f)", size, what, end, next)
			}
		}
		clear("the proposal's reasons", q.why, q.patient.view())
		q.patient.field.SetText("okello")
		q.patient.search("okello", false)
		u.tasks.wait()
		if len(q.patient.matches) == 0 || !q.patient.rows.Visible() {
			t.Fatalf("%v: typing okello matched no one", size)
		}
		clear("the matches", q.patient.rows, q.kind)
		q.patient.submit()
		clear("the chosen patient", q.patient.chosen, q.kind)
	}
}
