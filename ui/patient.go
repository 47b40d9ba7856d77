package ui

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/app"
	"folio/visible"
)

// patientScreen is a patient's chart: the header (name large, MRN, sex,
// date of birth and age, village) above tabs: the timeline of the
// patient's documents, a grid of their thumbnails, the demographics (Edit
// amends, History lists the versions) and, for roles that review the
// audit trail, who opened the chart. The chart's parts are in chart.go.
type patientScreen struct {
	sess *session
	p    app.Patient

	name     *widget.RichText
	mrn      *widget.RichText
	facts    *widget.RichText
	values   []*widget.Label // every PHI value shown, cleared by forget
	backBtn  *widget.Button
	editBtn  *widget.Button
	histBtn  *widget.Button
	coverBtn *widget.Button
	// coverPrint is the Print button of the cover sheet dialog, once open.
	coverPrint *widget.Button
	delBtn     *widget.Button // delete the registration, or restore it
	del        *reasonDialog  // the open delete or restore question
	box        fyne.CanvasObject
	// frame is the chart below the back button, laid out again when the
	// summary's height changes.
	frame *fyne.Container
	// summary is the allergies, problems and medications above the tabs
	// (summary.go); nil for a role that may not read them.
	summary *chartSummary

	chart
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

	v.backBtn = button(u, "Back to search  (Esc)", theme.NavigateBackIcon(), widget.LowImportance, u.showSearch)
	v.editBtn = button(u, "Edit  (Ctrl+E)", theme.DocumentCreateIcon(), widget.MediumImportance, v.edit)
	v.histBtn = button(u, "History  (Ctrl+H)", theme.HistoryIcon(), widget.MediumImportance, v.history)
	if !sess.user.Roles.Can(app.PermPatientWrite) || p.MergedInto != "" {
		v.editBtn.Hide()
	}
	v.coverBtn = button(u, "Cover sheet…", theme.DocumentPrintIcon(), widget.MediumImportance, v.askCoverSheet)
	if !sess.user.Roles.Can(app.PermDocImport) || p.MergedInto != "" {
		v.coverBtn.Hide()
	}

	if p.Deleted {
		v.delBtn = button(u, "Restore registration…", theme.ContentUndoIcon(), widget.MediumImportance, v.askRestore)
	} else {
		v.delBtn = button(u, "Delete registration…", theme.DeleteIcon(), widget.MediumImportance, v.askDelete)
	}
	if !sess.user.Roles.Can(app.PermPatientMerge) || p.MergedInto != "" || len(p.Merged) > 0 {
		v.delBtn.Hide()
	}

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
	if sess.user.Roles.Can(app.PermSummaryRead) {
		v.summary = newChartSummary(v)
		top.Add(v.summary.box)
	}
	v.buildTabs(v.demographics())
	content := container.NewBorder(top, nil, nil, nil, v.tabs)
	v.frame = content
	v.box = screenMargin(column(1040, content))
	v.loadDocuments()
	return v
}

// demographics is the Demographics tab: contact, next of kin and notes,
// with Edit, History and the cover sheet.
func (v *patientScreen) demographics() fyne.CanvasObject {
	p, u := v.p, v.sess.a
	// row shows a value already made visible (visible.Line, or visible.Text
	// where the label shows several lines).
	row := func(label, value string) []fyne.CanvasObject {
		l := valueLabel()
		if value == "" {
			l.SetText("—")
			l.Importance = widget.LowImportance
		} else {
			l.SetText(value)
		}
		v.values = append(v.values, l)
		return []fyne.CanvasObject{fieldLabel(label), l}
	}
	var contact, other []fyne.CanvasObject
	contact = append(contact, row("Phone", visible.Line(p.Phone))...)
	contact = append(contact, row("Village", visible.Line(p.Village))...)
	contact = append(contact, row("Address", visible.Line(p.Address))...)
	contact = append(contact, row("National ID", visible.Line(p.NationalID))...)
	other = append(other, row("Next of kin", kinText(p.NextOfKin))...)
	other = append(other, row("Other names", visible.Line(strings.Join(p.OtherNames, ", ")))...)
	other = append(other, row("Notes", visible.Text(p.Notes))...) // several lines: its breaks kept
	changed := whenText(p.Changed)
	if p.ChangedBy != "" {
		changed += " by " + visible.Line(p.ChangedBy)
	}
	other = append(other, row("Last changed", changed)...)

	details := container.NewGridWithColumns(2,
		container.NewVBox(sectionTitle("Contact"), formGrid(contact...)),
		container.NewVBox(sectionTitle("Next of kin and notes"), formGrid(other...)),
	)
	actions := container.NewHBox(v.delBtn, layout.NewSpacer(), v.coverBtn, v.histBtn, v.editBtn)
	return newScroller(u, container.New(layout.NewCustomPaddedLayout(8, 8, 0, 0), container.NewVBox(
		panel(container.NewVBox(details, widget.NewSeparator(), actions)))))
}

func (v *patientScreen) view() fyne.CanvasObject    { return v.box }
func (v *patientScreen) focusFirst() fyne.Focusable { return nil }

func (v *patientScreen) forget() {
	v.p = app.Patient{}
	for _, rt := range []*widget.RichText{v.name, v.mrn, v.facts} {
		rt.Segments = nil
		rt.Refresh()
	}
	for _, l := range v.values {
		l.SetText("")
	}
	if v.summary != nil {
		v.summary.forget()
	}
	v.forgetChart()
}

func (v *patientScreen) escape() bool {
	v.sess.a.showSearch()
	return true
}

func (v *patientScreen) shortcut(k fyne.KeyName) bool {
	return keyActions{
		fyne.KeyE: func() {
			if v.editBtn.Visible() {
				v.edit()
			}
		},
		fyne.KeyH:        v.history,
		fyne.KeyPageDown: func() { v.nextTab(1) },
		fyne.KeyPageUp:   func() { v.nextTab(-1) },
		fyne.KeyT:        v.newVisit,
		fyne.Key1:        v.askAllergy,
		fyne.Key2:        v.askProblem,
		fyne.Key3:        v.askMedication,
		fyne.Key4:        v.askEndEntry,
	}.run(k)
}

func (v *patientScreen) edit() {
	v.sess.a.show(newPatientForm(v.sess, v.p, true))
}

// history reads the versions (audited) and shows them.
func (v *patientScreen) history() {
	p, sess := v.p, v.sess
	sess.run(func(ctx context.Context) func() {
		hist, err := sess.s.Patients().History(ctx, p.ID)
		return func() {
			if err != nil {
				sess.a.showError("History", err)
				return
			}
			sess.a.show(newHistoryScreen(sess, p, hist))
		}
	})
}

// askBreakGlass asks for a reason and opens the restricted chart with it.
func (u *App) askBreakGlass(ref string) {
	sess := u.sess
	if sess == nil {
		return
	}
	sess.glass = u.askReason(sess, reasonQuestion{
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
			u.showPatient(p, banner(bannerCaution, theme.WarningIcon(), wrapped(
				"You opened this restricted chart with break-glass. Your reason was recorded: “"+reason+"”")))
		},
	})
}
