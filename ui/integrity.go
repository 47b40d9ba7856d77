package ui

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/app"
	"folio/visible"
)

// integrityScreen is the Integrity check section of Administration: the
// check `folio verify` runs (app.Audit.Verify: the file, every record and
// its index, the audit trail and its checkpoints, every scan file), started
// with Check now off the Fyne goroutine, its result in words, and when the
// vault was last checked (the newest vault.verify event of the trail).
type integrityScreen struct {
	adminPage
	check *widget.Button
	busy  *widget.Activity
	last  *widget.Label
	// verdict says OK or how many problems; counts what was checked;
	// findings lists each problem, damaged document and note.
	verdict  *widget.Label
	counts   *widget.Label
	findings *fyne.Container
	msg      messageLabel
	box      fyne.CanvasObject

	// report is the result of the last check run here, ran when it ran
	// (Fyne goroutine).
	report *app.VerifyReport
}

func newIntegrityScreen(sess *session) *integrityScreen {
	u := sess.a
	s := &integrityScreen{adminPage: newAdminPage(sess), msg: newMessageLabel(), busy: widget.NewActivity()}
	s.check = button(u.input, "Check now", theme.ConfirmIcon(), widget.HighImportance, s.run)
	s.busy.Hide()
	s.last = widget.NewLabel("")
	s.last.Wrapping = fyne.TextWrapWord
	s.verdict = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.verdict.Wrapping = fyne.TextWrapWord
	s.counts = widget.NewLabel("")
	s.counts.Wrapping = fyne.TextWrapWord
	s.counts.Importance = widget.LowImportance
	s.findings = container.NewVBox()
	card := panel(container.NewVBox(
		heading("Integrity check"),
		muted("Checks the vault file, that every record opens and matches its index, that the audit trail is whole "+
			"and matches its signed checkpoints, and reads every scan file. The same check as “folio verify” on the command line; "+
			"it may take a few minutes on a large vault, and the window stays usable."),
		container.NewHBox(s.check, s.busy, layout.NewSpacer()),
		s.last, s.msg.Label, s.verdict, s.counts, s.findings))
	content := container.NewVBox(adminBar(u, adminIntegrity), card)
	s.box = scrollingColumn(u, 900, content)
	s.loadLast()
	return s
}

func (s *integrityScreen) view() fyne.CanvasObject    { return s.box }
func (s *integrityScreen) focusFirst() fyne.Focusable { return nil }

// forget drops the findings (they may name patients).
func (s *integrityScreen) forget() {
	s.report = nil
	s.findings.RemoveAll()
	s.verdict.SetText("")
}

// loadLast reads when the vault was last checked, and the result, from the
// audit trail (an audited reading).
func (s *integrityScreen) loadLast() {
	sess := s.sess
	sess.run(func(ctx context.Context) func() {
		evs, err := sess.s.Audit().Events(ctx, app.AuditFilter{Action: app.ActVaultVerify, Limit: 1})
		return func() {
			if s.report != nil {
				return // a check run here says more
			}
			switch {
			case err != nil:
				s.last.SetText("When the vault was last checked could not be read: " + message(err))
			case len(evs) == 0:
				s.last.SetText("This vault has not been checked yet.")
			default:
				s.last.SetText(lastCheckText(evs[0]))
			}
		}
	})
}

// lastCheckText says when and by whom the vault was last checked, and
// what was found, from its vault.verify event.
func lastCheckText(e app.AuditEvent) string {
	found := "no problems"
	if e.Outcome != app.OutcomeOK {
		found = visible.Line(e.Detail)
	}
	return fmt.Sprintf("Last checked %s by %s: %s.", whenText(e.Time), visible.Line(e.User), found)
}

// run runs the check off the Fyne goroutine.
func (s *integrityScreen) run() {
	sess := s.sess
	s.check.Disable()
	spin(s.busy, true)
	s.msg.info("Checking…")
	sess.run(func(ctx context.Context) func() {
		r, err := sess.s.Audit().Verify(ctx)
		ran := sess.a.now()
		return func() {
			spin(s.busy, false)
			s.check.Enable()
			if err != nil {
				s.msg.error("The vault could not be checked: " + message(err))
				return
			}
			s.msg.clear()
			s.show(r)
			s.last.SetText(fmt.Sprintf("Last checked %s by %s (here, just now).", whenText(ran), visible.Line(sess.user.Name)))
		}
	})
}

// show puts a check's result on the screen.
func (s *integrityScreen) show(r app.VerifyReport) {
	s.report = &r
	s.counts.SetText(fmt.Sprintf("Checked %s (%s, %s), %d versions, %d index entries, %d audit events, %d checkpoints, %s.",
		plural(r.Records, "record", "records"), plural(r.Patients, "patient", "patients"), plural(r.Users, "user", "users"),
		r.Versions, r.IndexEntries, r.AuditEntries,
		r.Checkpoints, plural(r.Scans, "scan file", "scan files")))
	s.findings.RemoveAll()
	if r.OK() {
		s.verdict.SetText("OK: no problems found.")
		s.verdict.Importance = widget.SuccessImportance
	} else {
		s.verdict.SetText(fmt.Sprintf("Problems found: %d, and %s with missing or damaged scans. "+
			"Stop using this vault for records, restore it from a backup and report this.",
			len(r.Problems), plural(len(r.Damaged), "document", "documents")))
		s.verdict.Importance = widget.DangerImportance
	}
	s.verdict.Refresh()
	finding := func(kind string, imp widget.Importance, what string) {
		l := widget.NewLabel(kind + " " + visible.Line(what))
		l.Wrapping = fyne.TextWrapWord
		l.Importance = imp
		s.findings.Add(l)
	}
	for _, p := range r.Problems {
		finding("Problem:", widget.DangerImportance, p)
	}
	for _, d := range r.Damaged {
		finding("Damaged:", widget.DangerImportance, d.String()+
			"; on a workstation enrolled with an archive, “folio verify --repair” fetches good copies, otherwise restore the scans from a backup or import the paper again")
	}
	for _, n := range r.Notes {
		finding("Note:", widget.MediumImportance, n)
	}
}
