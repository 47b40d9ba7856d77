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

// patientScreen is a patient's chart: the header (name large, MRN, sex,
// date of birth and age, village) and the summary above tabs: the
// timeline of the patient's documents, a grid of their thumbnails, the
// demographics (Edit amends, History lists the versions) and, for roles
// that review the audit trail, who opened the chart. The tabs are in
// chart.go, the Demographics tab in demographics.go, the summary in
// summary.go and its dialogs in summaryadd.go.
type patientScreen struct {
	sess *session
	p    app.Patient

	name    *widget.RichText
	mrn     *widget.RichText
	facts   *widget.RichText
	backBtn *widget.Button
	box     fyne.CanvasObject
	// frame is the chart below the back button, laid out again when the
	// summary's height changes.
	frame *fyne.Container
	// summary is the allergies, problems and medications above the tabs
	// (summary.go); nil for a role that may not read them.
	summary *chartSummary
	edits   *summaryEdits // the summary's dialogs (Ctrl+1 to Ctrl+4)
	demo    *demographics
	chart   *chart
}

func newPatientScreen(sess *session, p app.Patient, note fyne.CanvasObject) *patientScreen {
	u := sess.a
	v := &patientScreen{sess: sess, p: p}
	now := u.now()
	v.name = widget.NewRichText(
		&widget.TextSegment{Text: familyText(p), Style: styleTitle},
		&widget.TextSegment{Text: givenText(p), Style: widget.RichTextStyle{SizeName: sizeNameTitle, Inline: true}},
	)
	v.name.Wrapping = fyne.TextWrapWord
	v.mrn = widget.NewRichText(
		&widget.TextSegment{Text: "MRN  ", Style: styleMuted},
		&widget.TextSegment{Text: visible.Line(p.MRN), Style: styleMRN},
	)
	facts := []widget.RichTextSegment{
		&widget.TextSegment{Text: sexLabel(p.Sex), Style: styleBold},
		&widget.TextSegment{Text: "   ·   born ", Style: styleMuted},
		&widget.TextSegment{Text: birthText(p.BirthDate, now), Style: styleBold},
	}
	if p.Village != "" {
		facts = append(facts,
			&widget.TextSegment{Text: "   ·   ", Style: styleMuted},
			&widget.TextSegment{Text: visible.Line(p.Village), Style: styleBold})
	}
	v.facts = widget.NewRichText(facts...)
	v.facts.Wrapping = fyne.TextWrapWord

	v.backBtn = button(u.input, "Back to search  (Esc)", theme.NavigateBackIcon(), widget.LowImportance, u.nav.showSearch)

	var banners []fyne.CanvasObject
	if note != nil {
		banners = append(banners, note)
	}
	if p.Restricted {
		banners = append(banners, banner(bannerCaution, theme.WarningIcon(), wrapped(
			"Restricted chart. Every opening is recorded in the audit trail with the reason given.")))
	}
	if p.Deleted {
		banners = append(banners, banner(bannerCaution, theme.WarningIcon(), wrapped(fmt.Sprintf(
			"This registration was deleted on %s by %s (“%s”), but documents were filed to it meanwhile, so it stays open. "+
				"A records manager restores it (Demographics) or merges it into the right patient.",
			p.Changed.Local().Format("2 Jan 2006"), p.ChangedBy, p.DeletedReason))))
	}
	if p.MergedInto != "" {
		banners = append(banners, banner(bannerInfo, theme.InfoIcon(), wrapped(
			"This record was merged into another patient's record as a duplicate.")))
	}
	if n := len(p.Merged); n > 0 {
		banners = append(banners, banner(bannerInfo, theme.InfoIcon(), wrapped(fmt.Sprintf(
			"%s merged into this one as duplicates; their history is shown with this patient's.",
			plural(n, "other record was", "other records were")))))
	}

	head := container.NewBorder(nil, nil, nil, container.NewVBox(v.mrn),
		container.New(layout.NewCustomPaddedVBoxLayout(0), v.name, v.facts))
	actions := container.NewHBox(v.backBtn, layout.NewSpacer())
	top := container.NewVBox(append(append([]fyne.CanvasObject{actions}, banners...), panel(head))...)
	v.edits = &summaryEdits{sess: sess, v: v}
	if sess.user.Roles.Can(app.PermSummaryRead) {
		v.summary = newChartSummary(v)
		top.Add(v.summary.box)
	}
	v.demo = newDemographics(v)
	v.chart = newChart(v, v.demo.box)
	content := container.NewBorder(top, nil, nil, nil, v.chart.tabs)
	v.frame = content
	v.box = screenMargin(column(1040, content))
	v.chart.load()
	return v
}

func (v *patientScreen) view() fyne.CanvasObject    { return v.box }
func (v *patientScreen) focusFirst() fyne.Focusable { return nil }

// syncSettled reads the sync states again once a sync round has ended.
func (v *patientScreen) syncSettled() { v.chart.loadSyncStates() }

func (v *patientScreen) forget() {
	v.p = app.Patient{}
	for _, rt := range []*widget.RichText{v.name, v.mrn, v.facts} {
		rt.Segments = nil
		rt.Refresh()
	}
	v.demo.forget()
	if v.summary != nil {
		v.summary.forget()
	}
	v.chart.forget()
}

func (v *patientScreen) escape() bool {
	v.sess.a.nav.showSearch()
	return true
}

func (v *patientScreen) shortcut(k fyne.KeyName) bool {
	return keyActions{
		fyne.KeyE: func() {
			if v.demo.editBtn.Visible() {
				v.demo.edit()
			}
		},
		fyne.KeyH:        v.demo.history,
		fyne.KeyPageDown: func() { v.chart.nextTab(1) },
		fyne.KeyPageUp:   func() { v.chart.nextTab(-1) },
		fyne.KeyT:        v.newVisit,
		fyne.Key1:        v.edits.askAllergy,
		fyne.Key2:        v.edits.askProblem,
		fyne.Key3:        v.edits.askMedication,
		fyne.Key4:        v.edits.askEnd,
	}.run(k)
}

// askBreakGlass asks for a reason and opens the restricted chart with it.
func askBreakGlass(sess *session, ref string) {
	sess.glass = askReason(sess, reasonQuestion{
		title: "Restricted chart",
		text: "This chart is restricted. To open it, say why you need it now. " +
			"Your name, the time and your reason are recorded and reviewed.",
		placeholder: "for example: emergency admission, patient unconscious",
		action:      "Open the chart",
		icon:        theme.VisibilityIcon(),
		importance:  widget.WarningImportance,
		do: func(ctx context.Context, reason string) (app.Patient, error) {
			if _, err := sess.s.Patients().BreakGlass(ctx, ref, reason); err != nil {
				return app.Patient{}, err
			}
			return sess.s.Patients().Open(ctx, ref)
		},
		done: func(p app.Patient, reason string) {
			sess.a.nav.showPatient(p, banner(bannerCaution, theme.WarningIcon(), wrapped(
				"You opened this restricted chart with break-glass. Your reason was recorded: “"+reason+"”")))
		},
	})
}
