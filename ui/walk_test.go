package ui

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"

	"folio/app"
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
		u.input.shortcut(ctrl(fyne.KeyJ))
		q := current[*queueScreen](t, u)
		u.tasks.wait()
		if q.why.Text == "" {
			t.Fatal("the queue proposes nothing")
		}
		clear := func(what string, upper, lower fyne.CanvasObject) {
			t.Helper()
			makesRoom(t, u, fmt.Sprint(size, ": ", what), upper, lower)
		}
		clear("the proposal's reasons", q.why, q.patient.field)
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
	u.input.shortcut(ctrl(fyne.KeyU))
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
	u.input.shortcut(ctrl(fyne.KeyI))
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

// inSight fails unless o shows whole in the window as it is laid out:
// inside the window and inside the view of every scroll that holds it.
func inSight(t *testing.T, u *App, what string, o fyne.CanvasObject) {
	t.Helper()
	d := u.fyne.Driver()
	path := pathTo(u.win.Content(), o)
	if path == nil {
		t.Fatalf("%s is not in the window", what)
	}
	top, end := d.AbsolutePositionForObject(o), d.AbsolutePositionForObject(o).Add(o.Size())
	for _, p := range path {
		if !p.Visible() {
			t.Fatalf("%s is hidden", what)
		}
		if s, ok := p.(*container.Scroll); ok {
			at := d.AbsolutePositionForObject(s)
			if view := at.Add(s.Size()); top.Y < at.Y-0.5 || end.Y > view.Y+0.5 || top.X < at.X-0.5 || end.X > view.X+0.5 {
				t.Errorf("%s lies at %v–%v, outside its scroll's view %v–%v", what, top, end, at, view)
			}
		}
	}
	if win := u.win.Canvas().Size(); top.X < 0 || top.Y < 0 || end.X > win.Width+0.5 || end.Y > win.Height+0.5 {
		t.Errorf("%s lies at %v–%v, outside the window %v", what, top, end, win)
	}
}

// Issue 14, the README's walk: the patients listed under the queue's
// Patient field cut the MRN short ("KAB-00…"), the very thing a clerk
// checks. Each match shows its whole name, MRN and date of birth, at
// both screen sizes.
func TestQueueMatchesShowTheWholePatient(t *testing.T) {
	for _, size := range []fyne.Size{{Width: 1366, Height: 768}, {Width: 1024, Height: 600}} {
		u := recordsRoom(t)
		long := mary()
		long.Family, long.Given = "Okello-Nakimera", "Mary Akello Nansubuga Atim"
		long.BirthDate = app.BirthDate{Year: 1991, Month: 7, Day: 30}
		ps := register(t, u, mary(), long)
		importCorpus(t, u, "paperless__simple.png")
		u.win.Resize(size.SubtractWidthHeight(0, menuBarHeight()))
		u.input.shortcut(ctrl(fyne.KeyJ))
		q := current[*queueScreen](t, u)
		u.tasks.wait()
		q.patient.field.SetText("okello")
		q.patient.search("okello", false)
		u.tasks.wait()
		u.win.Content().Refresh() // as the window lays out its next frame
		if len(q.patient.matches) != 2 {
			t.Fatalf("%v: %d matches for okello", size, len(q.patient.matches))
		}
		var shown []string
		for i, row := range q.patient.rows.Objects[:2] {
			var words []string
			for _, o := range test.LaidOutObjects(row) {
				tx, ok := o.(*canvas.Text)
				if !ok || !tx.Visible() || tx.Text == "" {
					continue
				}
				words = append(words, strings.Fields(tx.Text)...)
				w := fyne.MeasureText(tx.Text, tx.TextSize, tx.TextStyle).Width
				at := u.fyne.Driver().AbsolutePositionForObject(tx)
				if right := u.fyne.Driver().AbsolutePositionForObject(row).X + row.Size().Width; at.X+w > right+0.5 {
					t.Errorf("%v: match %d's %q ends at x %.0f, past its row's end %.0f", size, i+1, tx.Text, at.X+w, right)
				}
			}
			inSight(t, u, fmt.Sprintf("%v: match %d", size, i+1), row)
			shown = append(shown, strings.Join(words, " "))
		}
		for _, p := range ps {
			whole := []string{strings.ToUpper(p.Family), p.MRN, p.BirthDate.String()}
			whole = append(whole, strings.Fields(p.Given)...)
			if !slices.ContainsFunc(shown, func(s string) bool {
				return !slices.ContainsFunc(whole, func(w string) bool { return !slices.Contains(strings.Fields(s), w) })
			}) {
				t.Errorf("%v: no match shows %q whole; the matches read %q", size, whole, shown)
			}
		}
	}
}

// Issue 14, the README's walk at 1024×600: "Filed in …'s chart" was said
// under the form, below the fold: the clerk never saw that the filing
// happened. It shows above the form, in sight at both screen sizes, also
// when the form was scrolled down to its buttons.
func TestQueueSaysWhatWasFiledInSight(t *testing.T) {
	for _, size := range []fyne.Size{{Width: 1024, Height: 600}, {Width: 1366, Height: 768}} {
		u := recordsRoom(t)
		p := register(t, u, mary())[0]
		importCorpus(t, u, "paperless__simple.png", "ocrmypdf__linn.png")
		u.win.Resize(size.SubtractWidthHeight(0, menuBarHeight()))
		u.input.shortcut(ctrl(fyne.KeyJ))
		q := current[*queueScreen](t, u)
		u.tasks.wait()
		q.patient.set(p.MRN)
		u.tasks.wait()
		q.pages.form.ScrollToBottom()
		u.input.shortcut(ctrl(fyne.KeyReturn))
		u.tasks.wait()
		u.win.Content().Refresh() // as the window lays out its next frame
		if !strings.Contains(q.msg.Text, "Filed in "+p.MRN) {
			t.Fatalf("%v: after Ctrl+Enter the queue says %q", size, q.msg.Text)
		}
		inSight(t, u, fmt.Sprintf("%v: %q", size, q.msg.Text), q.msg)
	}
}
