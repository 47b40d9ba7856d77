package ui

import (
	"context"

	"fyne.io/fyne/v2/widget"

	"folio/app"
)

// myNotesScreen is a clinician's own notes not signed yet, oldest date of
// service first (Encounters.Unsigned, audited). ↓ ↑ choose one, Enter
// opens it in the visit editor, where it is finished and signed.
type myNotesScreen struct {
	worklist
	notes []app.UnsignedNote
}

func newMyNotesScreen(sess *session) *myNotesScreen {
	s := &myNotesScreen{worklist: newWorklist(sess, "Find by patient or MRN")}
	s.pick.open = func(i int) { sess.a.nav.showEncounter(s.notes[i].EncounterID) }
	s.frame("My unsigned notes", nil, "Notes you have not signed yet. ↑ ↓ choose one, Enter opens it to finish and sign it.")
	s.load()
	return s
}

func (s *myNotesScreen) forget() {
	s.notes = nil
	s.pick.forget()
}

func (s *myNotesScreen) load() {
	sess := s.sess
	sess.run(func(ctx context.Context) func() {
		notes, err := sess.s.Encounters().Unsigned(ctx)
		return func() {
			if err != nil {
				s.failed(err)
				return
			}
			s.notes = notes
			setRows(s.pick, notes, func(n app.UnsignedNote) pickRow {
				return pickRow{title: n.Patient + "   " + n.MRN, tag: "draft", tagImp: widget.WarningImportance,
					detail: n.Type.Label() + " " + n.Time.Local().Format("2006-01-02 15:04") + "  ·  last saved " + whenText(n.Changed)}
			})
			if len(notes) == 0 {
				s.msg.info("Every note you wrote is signed.")
				s.box.Refresh()
			}
		}
	})
}
