package ui

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"folio/app"
)

// deficiencyScreen is the record-completion worklist: the open
// deficiencies assigned to the signed-in user (Completion.Mine) or, for
// the records manager, every open one with its assignee
// (Completion.All), each with its chart, age and due date. ↓ ↑ choose
// one; Enter opens where it is completed: a visit without a principal
// diagnosis in the coding screen (for coders), one's own unsigned note in
// the visit editor, anything else in the patient's chart.
type deficiencyScreen struct {
	worklist
	tabs   [2]*widget.Button
	tabBar *fyne.Container
	all    bool // the records manager's list on show
	shown  []app.Deficiency
}

func canSeeDeficiencies(r app.RoleSet) bool {
	return r.Can(app.PermCompletion) || r.Can(app.PermCompletionAll)
}
func canSeeAllDeficiencies(r app.RoleSet) bool { return r.Can(app.PermCompletionAll) }

func newDeficiencyScreen(sess *session) *deficiencyScreen {
	u := sess.a
	s := &deficiencyScreen{worklist: newWorklist(sess, "Find by patient MRN, what is missing or who completes it")}
	s.all = canSeeAllDeficiencies(sess.user.Roles) // the records manager starts on every open one
	s.pick.open = func(i int) { s.complete(s.shown[i]) }
	s.tabs[0] = button(u.input, "Mine   Ctrl+1", nil, widget.LowImportance, func() { s.showList(false) })
	s.tabs[1] = button(u.input, "All open   Ctrl+2", nil, widget.LowImportance, func() { s.showList(true) })
	s.tabBar = container.NewHBox(s.tabs[0])
	if canSeeAllDeficiencies(sess.user.Roles) {
		s.tabBar.Add(s.tabs[1])
	}
	s.frame("Deficiencies", s.tabBar, "↑ ↓ choose one, Enter opens where it is completed; a deficiency closes by itself once the record is complete.")
	s.load()
	return s
}

func (s *deficiencyScreen) forget() {
	s.shown = nil
	s.pick.forget()
}

// shortcut: Ctrl+1 the user's own, Ctrl+2 every open one (records
// manager).
func (s *deficiencyScreen) shortcut(k fyne.KeyName) bool {
	r := s.sess.user.Roles
	return keyActions{
		fyne.Key1: when(r.Can(app.PermCompletion), func() { s.showList(false) }),
		fyne.Key2: when(canSeeAllDeficiencies(r), func() { s.showList(true) }),
	}.run(k)
}

func (s *deficiencyScreen) showList(all bool) {
	s.all = all
	s.load()
	s.sess.a.win.Canvas().Focus(s.pick.field)
}

// load reads the list on show (audited).
func (s *deficiencyScreen) load() {
	for i, b := range s.tabs {
		imp := widget.LowImportance
		if (i == 1) == s.all {
			imp = widget.HighImportance
		}
		b.Importance = imp
		b.Refresh()
	}
	sess, all := s.sess, s.all
	sess.run(func(ctx context.Context) func() {
		var ds []app.Deficiency
		var err error
		if all {
			ds, err = sess.s.Completion().All(ctx)
		} else {
			ds, err = sess.s.Completion().Mine(ctx)
		}
		return func() {
			if all != s.all {
				return
			}
			if err != nil {
				s.failed(err)
				return
			}
			s.shown = ds
			setRows(s.pick, ds, func(d app.Deficiency) pickRow { return deficiencyRow(d, all) })
			switch {
			case len(ds) > 0:
				s.msg.clear()
			case all:
				s.msg.info("No open deficiency: every chart is complete.")
			default:
				s.msg.info("Nothing is waiting for you to complete.")
			}
			s.box.Refresh()
		}
	})
}

// deficiencyRow is a deficiency as its row shows it.
func deficiencyRow(d app.Deficiency, all bool) pickRow {
	what, _, _ := strings.Cut(d.What, " (folio ") // the command line's way to complete it
	r := pickRow{title: what, tag: "due " + d.Due.Local().Format("2006-01-02 15:04"), tagImp: widget.WarningImportance}
	if d.Overdue {
		r.tag, r.tagImp = "overdue since "+d.Due.Local().Format("2006-01-02"), widget.DangerImportance
	}
	parts := []string{"MRN " + d.MRN, "open " + turnaroundText(d.Age), "since " + whenText(d.Opened)}
	if all {
		parts = append(parts, "for "+d.AssigneeLabel())
	}
	r.detail = strings.Join(parts, "  ·  ")
	return r
}

// complete opens where deficiency d is completed.
func (s *deficiencyScreen) complete(d app.Deficiency) {
	u := s.sess.a
	switch {
	case d.Rule == app.RuleUncoded && d.EncounterID != "" && canCode(s.sess.user.Roles):
		u.nav.showCodingEncounter(d.EncounterID)
		return
	case d.Rule == app.RuleUnsignedNote && d.EncounterID != "" && d.Assignee == s.sess.user.Name:
		u.nav.showEncounter(d.EncounterID)
		return
	}
	u.nav.openPatient(d.MRN)
}

// setDeficiencyCount shows beside Deficiencies the user's own open ones,
// or every open one for the records manager.
func (sb *sidebar) setDeficiencyCount(n app.DeficiencyCounts) {
	count := ""
	if k := max(n.Mine, n.All); k > 0 {
		count = fmt.Sprintf(" (%d)", k)
	}
	sb.count(placeDeficiencies, count)
}
