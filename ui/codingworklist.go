package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"folio/app"
)

// codingWorklistScreen is the coders' worklist: the signed encounters
// waiting for coding, queried back to the clinician, or coded, with the
// patient, the date of service, the clinician, the coder, the dates and
// the turnaround. The keyboard stays in its filter field: ↓ ↑ choose an
// encounter, Enter opens it in the coding screen, Ctrl+1 to Ctrl+4 choose
// which encounters show.
type codingWorklistScreen struct {
	worklist
	tabs   [len(worklistTabs)]*widget.Button
	tabBar *fyne.Container
	status app.CodingStatus // the tab on show; "" is all
	items  []app.WorkItem   // every signed encounter the coder may open
	shown  []app.WorkItem   // those of the tab, as the list's rows
}

// worklistTabs are the worklist's tabs, Ctrl+1 to Ctrl+4.
var worklistTabs = [...]struct {
	status app.CodingStatus
	label  string
}{{app.CodingWaiting, "Waiting"}, {app.CodingQueried, "Queried"}, {app.CodingCoded, "Coded"}, {"", "All"}}

func newCodingWorklistScreen(sess *session) *codingWorklistScreen {
	u := sess.a
	s := &codingWorklistScreen{worklist: newWorklist(sess, "Find by patient, MRN, clinician or coder"), status: app.CodingWaiting}
	s.pick.open = func(i int) { u.nav.showCodingEncounter(s.shown[i].EncounterID) }
	s.tabBar = container.NewHBox()
	for i, t := range worklistTabs {
		s.tabs[i] = button(u.input, fmt.Sprintf("%s   Ctrl+%d", t.label, i+1), nil, widget.LowImportance, func() { s.showTab(i) })
		s.tabBar.Add(s.tabs[i])
	}
	s.frame("Coding worklist", s.tabBar, "↑ ↓ choose an encounter, Enter opens it for coding; Ctrl+1 to Ctrl+4 choose which show.")
	s.markTab()
	s.load()
	return s
}

func (s *codingWorklistScreen) forget() {
	s.items, s.shown = nil, nil
	s.pick.forget()
}

// load reads the worklist (audited) and shows the tab on show.
func (s *codingWorklistScreen) load() {
	sess := s.sess
	sess.run(func(ctx context.Context) func() {
		list, err := sess.codingLists().Worklist(ctx, "")
		return func() {
			if err != nil {
				s.failed(err)
				return
			}
			s.items = list
			s.fill()
		}
	})
}

// shortcut: Ctrl+1 to Ctrl+4 choose the tab.
func (s *codingWorklistScreen) shortcut(k fyne.KeyName) bool {
	for i := range worklistTabs {
		if k == fyne.KeyName(fmt.Sprint(i+1)) {
			s.showTab(i)
			return true
		}
	}
	return false
}

func (s *codingWorklistScreen) showTab(i int) {
	s.status = worklistTabs[i].status
	s.markTab()
	s.fill()
	s.sess.a.win.Canvas().Focus(s.pick.field)
}

func (s *codingWorklistScreen) markTab() {
	for i, t := range worklistTabs {
		imp := widget.LowImportance
		if t.status == s.status {
			imp = widget.HighImportance
		}
		s.tabs[i].Importance = imp
		s.tabs[i].Refresh()
	}
}

// fill shows the encounters of the tab, and the count of each tab.
func (s *codingWorklistScreen) fill() {
	counts := map[app.CodingStatus]int{"": len(s.items)}
	s.shown = s.shown[:0]
	var rows []pickRow
	for _, it := range s.items {
		counts[it.Status]++
		if s.status == "" || it.Status == s.status {
			s.shown = append(s.shown, it)
			rows = append(rows, workRow(it))
		}
	}
	for i, t := range worklistTabs {
		s.tabs[i].SetText(fmt.Sprintf("%s (%d)   Ctrl+%d", t.label, counts[t.status], i+1))
	}
	s.pick.set(rows)
	if len(rows) == 0 {
		s.msg.info("No signed encounter is " + strings.ToLower(worklistTabs[s.tabIndex()].label) + ".")
	} else {
		s.msg.clear()
	}
	s.box.Refresh() // the tabs and the message changed width or height
}

func (s *codingWorklistScreen) tabIndex() int {
	for i, t := range worklistTabs {
		if t.status == s.status {
			return i
		}
	}
	return 0
}

// workRow is an encounter of the worklist as its row shows it.
func workRow(it app.WorkItem) pickRow {
	r := pickRow{title: it.Patient + "   " + it.MRN, tag: string(it.Status)}
	switch it.Status {
	case app.CodingWaiting:
		r.tagImp = widget.WarningImportance
	case app.CodingQueried:
		r.tagImp = widget.DangerImportance
	case app.CodingCoded:
		r.tagImp = widget.SuccessImportance
	}
	parts := []string{it.Type.Label() + " " + it.Time.Local().Format("2006-01-02"), "by " + it.Clinician, "signed " + whenText(it.Signed)}
	if it.Coder != "" {
		parts = append(parts, "coded by "+it.Coder+" "+whenText(it.Coded)+", "+turnaroundText(it.Turnaround)+" after signing")
	}
	r.detail = strings.Join(parts, "  ·  ")
	return r
}

// turnaroundText is a turnaround in days and hours ("1 d 4 h"), hours
// and minutes under a day.
func turnaroundText(d time.Duration) string {
	d = d.Round(time.Minute)
	switch {
	case d >= 24*time.Hour:
		return fmt.Sprintf("%d d %d h", d/(24*time.Hour), d%(24*time.Hour)/time.Hour)
	case d >= time.Hour:
		return fmt.Sprintf("%d h %d min", d/time.Hour, d%time.Hour/time.Minute)
	}
	return fmt.Sprintf("%d min", d/time.Minute)
}
