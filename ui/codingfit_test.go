package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// codingFits checks the coding screens at size, for screensFit: the
// worklist and the coding screen as grace (a coder, signed in), with the
// edits and their reason on show, and the deficiencies, then dr.amani's (a clinician's) unsigned
// notes and queries. shot saves the view under a name.
func codingFits(t *testing.T, u *App, size fyne.Size, shot func(string), mrn string) {
	t.Helper()
	visits := codingWork(t, u, "dr.amani", clinPW, mrn)
	u.input.shortcut(ctrl(fyne.Key6))
	u.tasks.wait()
	w := current[*codingWorklistScreen](t, u)
	fits(t, u, size, "coding worklist", w.pick.field, w.tabs[3], w.pick.list)
	shot("coding-worklist")

	u.nav.showCodingEncounter(visits[0].ID)
	u.tasks.wait()
	s := current[*codingScreen](t, u)
	test.Type(s.search.pick.field, "pnuemonia")
	s.search.searchNow(s.search.pick.field.Text)
	s.codes.add(s.search.hits[0].Code, true)
	for _, h := range s.search.hits {
		if h.Code.Code == "J18.9" {
			s.codes.add(h.Code, false)
			s.codes.add(h.Code, false)
		}
	}
	s.showEdits([]string{"J18.9 is given twice: code each diagnosis once"})
	fits(t, u, size, "coding", s.search.pick.field, s.saveBtn, s.proc, s.reason, s.question, s.queryBtn)
	shot("coding")
	t.Logf("coding at %v×%v: results list %v, note %v", size.Width, size.Height, s.search.pick.list.Size(), s.note.Size())
	if h := s.search.pick.list.Size().Height; h < 120 {
		t.Errorf("coding at %v: the results list is %v px high", size, h)
	}

	u.input.shortcut(ctrl(fyne.Key9))
	u.tasks.wait()
	d := current[*deficiencyScreen](t, u)
	fits(t, u, size, "deficiencies", d.pick.field, d.tabs[1], d.pick.list)
	shot("deficiencies")

	logInAgain(t, u, "dr.amani", clinPW)
	u.input.shortcut(ctrl(fyne.Key7))
	u.tasks.wait()
	n := current[*myNotesScreen](t, u)
	fits(t, u, size, "my unsigned notes", n.pick.field, n.pick.list)
	u.input.shortcut(ctrl(fyne.Key8))
	u.tasks.wait()
	q := current[*myQueriesScreen](t, u)
	fits(t, u, size, "my queries", q.answer, q.sendBtn, q.pick.list)
	shot("my-queries")
}
