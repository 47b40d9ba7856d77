package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/app"
)

// myNotesScreen is a clinician's own notes not signed yet, oldest date of
// service first (Encounters.Unsigned, audited). ↓ ↑ choose one, Enter
// opens it in the visit editor, where it is finished and signed.
type myNotesScreen struct {
	searchExit
	pick  *pickList
	msg   messageLabel
	box   fyne.CanvasObject
	notes []app.UnsignedNote
}

func newMyNotesScreen(sess *session) *myNotesScreen {
	u := sess.a
	s := &myNotesScreen{searchExit: searchExit{sess}, msg: newMessageLabel()}
	s.pick = newPickList(u, "Find by patient or MRN", false)
	s.pick.open = func(i int) { u.showEncounter(s.notes[i].EncounterID) }
	hint := muted("Notes you have not signed yet. ↑ ↓ choose one, Enter opens it to finish and sign it.")
	top := container.NewVBox(heading("My unsigned notes"),
		container.NewBorder(nil, nil, widget.NewIcon(theme.SearchIcon()), nil, s.pick.field), hint, s.msg)
	s.box = screenMargin(container.NewBorder(top, nil, nil, nil, panel(s.pick.list)))
	s.load()
	return s
}

func (s *myNotesScreen) view() fyne.CanvasObject    { return s.box }
func (s *myNotesScreen) focusFirst() fyne.Focusable { return s.pick.field }
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
				s.msg.error(message(err))
				s.box.Refresh()
				return
			}
			s.notes = notes
			rows := make([]pickRow, len(notes))
			for i, n := range notes {
				rows[i] = pickRow{title: n.Patient + "   " + n.MRN, tag: "draft", tagImp: widget.WarningImportance,
					detail: n.Type.Label() + " " + n.Time.Local().Format("2006-01-02 15:04") + "  ·  last saved " + whenText(n.Changed)}
			}
			s.pick.set(rows)
			if len(notes) == 0 {
				s.msg.info("Every note you wrote is signed.")
				s.box.Refresh()
			}
		}
	})
}
