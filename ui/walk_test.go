package ui

import (
	"fmt"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
)

// makesRoom checks that upper is laid out as tall as its content needs
// and that lower, which follows it, starts below it.
func makesRoom(t *testing.T, u *App, what string, upper, lower fyne.CanvasObject) {
	t.Helper()
	d := u.fyne.Driver()
	top := d.AbsolutePositionForObject(upper).Y
	if h, need := upper.Size().Height, upper.MinSize().Height; h < need-0.5 {
		t.Errorf("%s is %.0f high, its content needs %.0f", what, h, need)
	}
	if end, next := top+upper.Size().Height, d.AbsolutePositionForObject(lower).Y; next < end-0.5 {
		t.Errorf("%s ends at y %.0f, under what follows it (y %.0f)", what, end, next)
	}
}

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
			makesRoom(t, u, fmt.Sprint(size, ": ", what), upper, lower)
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

// Issue 14, the README's walk at 1024×600: Tab through Administration's
// "Add a user" went on into Role, First password and Password again below
// the fold, typed blind. The field that has the keyboard shows.
func TestTabBringsTheFieldIntoView(t *testing.T) {
	u, _ := loggedIn(t, nil)
	u.win.Resize(fyne.NewSize(1024, 600).SubtractWidthHeight(0, menuBarHeight()))
	u.shortcut(ctrl(fyne.KeyU))
	u.tasks.wait()
	s := current[*usersScreen](t, u)
	c, d := u.win.Canvas(), u.fyne.Driver()
	view := func() (float32, float32) {
		top := d.AbsolutePositionForObject(s.box).Y
		return top, top + s.box.Size().Height
	}
	top, bottom := view()
	if at := d.AbsolutePositionForObject(s.again).Y; at < bottom {
		t.Fatalf("Password again shows at y %.0f in a view ending at %.0f: the test needs a form taller than the window", at, bottom)
	}
	c.Focus(s.name)
	for range 10 {
		c.FocusNext() // Tab
		f, ok := c.Focused().(fyne.CanvasObject)
		if !ok {
			t.Fatal("Tab left the form")
		}
		at := d.AbsolutePositionForObject(f).Y
		if top, bottom = view(); at < top || at+f.Size().Height > bottom {
			t.Errorf("Tab to %T %s: it lies at y %.0f–%.0f, the view shows %.0f–%.0f", f, label(f), at, at+f.Size().Height, top, bottom)
		}
		if f == s.again {
			break
		}
	}
	c.FocusPrevious() // Shift+Tab back up
	c.Focus(s.name)
	if at := d.AbsolutePositionForObject(s.name).Y; at < top {
		t.Errorf("back to User name: it lies at y %.0f, above the view (%.0f)", at, top)
	}
}

// Issue 14, the README's walk: a scan dropped in the watched folder got a
// row on the station whose result ("4 pages, 0 documents filed, 1 waiting
// in the queue") was cut off, its icon out of place: the row grows with
// its state.
func TestIntakeRowMakesRoomForItsResult(t *testing.T) {
	u := clerkLoggedIn(t)
	u.win.Resize(fyne.NewSize(1366, 768).SubtractWidthHeight(0, menuBarHeight()))
	u.shortcut(ctrl(fyne.KeyI))
	st := current[*scanScreen](t, u)
	u.tasks.wait()
	st.importPaths([]string{filepath.Join("..", "testdata", "corpus", "scans", "paperless__simple.png")})
	u.tasks.wait()
	row := st.rows[u.sess.intake[0]]
	if row == nil || row.state.Text == "" {
		t.Fatal("the station lists no result for the file")
	}
	makesRoom(t, u, "the file's result line", row.state, st.coverFor.field)
	makesRoom(t, u, "the file's row", row.view, st.coverFor.field)
	makesRoom(t, u, "the list of files coming in", st.intake, st.coverFor.field)
}
