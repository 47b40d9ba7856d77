package ui

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/data/binding"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/app"
	"folio/visible"
)

// searchLimit is how many results a search shows; more means the query
// should be narrower.
const searchLimit = 50

// searchScreen finds patients as the clerk types. The results and the
// status line are bindings (the view-model); the list and labels draw them.
type searchScreen struct {
	sess *session

	query   *entry
	results binding.UntypedList // of app.Match
	status  binding.String
	list    *widget.List
	empty   *fyne.Container // "no patient found — register?"
	// start says what to do first in an empty vault, a line per step.
	start      *fyne.Container
	startLines *widget.Label
	emptyQ     *widget.Label
	newBtn     *widget.Button
	box        fyne.CanvasObject

	// Fyne goroutine only.
	selected  int    // the row the arrow keys chose, or -1
	gen       int    // generation of the latest query; older results are dropped
	stop      func() // cancels the pending debounced search
	lastQuery string // the query the results answer
}

const searchHint = "Type a name, an MRN, a date of birth or a phone number. ↑ ↓ choose a patient, Enter opens."

func newSearchScreen(sess *session) *searchScreen {
	u := sess.a
	s := &searchScreen{sess: sess, selected: -1}
	s.results = binding.NewUntypedList()
	s.status = binding.NewString()
	_ = s.status.Set(searchHint)

	s.query = newEntry(u.input, "Name, MRN, date of birth (YYYY-MM-DD) or phone")
	s.query.OnChanged = s.changed
	s.query.OnSubmitted = func(string) { s.openSelected() }
	s.query.onKey = s.key

	s.list = widget.NewList(s.results.Length, newResultRow, s.updateRow)
	s.list.OnSelected = func(id widget.ListItemID) {
		u.input.touch()
		s.selected = id
	}

	canWrite := sess.user.Roles.Can(app.PermPatientWrite)
	s.newBtn = button(u.input, "Register new patient  (Ctrl+N)", theme.ContentAddIcon(), widget.HighImportance, u.nav.showRegister)
	if !canWrite {
		s.newBtn.Hide()
	}
	s.emptyQ = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	emptyBody := []fyne.CanvasObject{widget.NewIcon(theme.SearchIcon()), s.emptyQ,
		widget.NewLabelWithStyle("Check the spelling, or search by MRN, date of birth or phone.", fyne.TextAlignCenter, fyne.TextStyle{})}
	if canWrite {
		emptyBody = append(emptyBody, container.NewCenter(button(u.input, "Register a new patient", theme.ContentAddIcon(),
			widget.MediumImportance, u.nav.showRegister)))
	}
	s.empty = container.NewCenter(container.NewVBox(emptyBody...))
	s.empty.Hide()
	s.startLines = widget.NewLabel("")
	s.startLines.Wrapping = fyne.TextWrapWord
	s.start = container.NewVBox(widget.NewLabelWithStyle("Getting started", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), s.startLines)
	s.start.Hide()

	statusLabel := widget.NewLabelWithData(s.status)
	statusLabel.Truncation = fyne.TextTruncateEllipsis
	searchIcon := widget.NewIcon(theme.SearchIcon())
	bar := container.NewBorder(nil, nil, searchIcon, s.newBtn, s.query)
	top := container.NewVBox(bar, statusLabel)
	s.box = screenMargin(
		container.NewBorder(top, nil, nil, nil,
			panel(container.NewStack(s.list, s.empty, container.NewPadded(s.start)))))
	return s
}

// firstSteps shows, under an empty query, what an empty vault needs first
// (a line per step the user's role takes), or nothing once it has it.
func (s *searchScreen) firstSteps() {
	sess := s.sess
	sess.run(func(ctx context.Context) func() {
		f, err := sess.s.Documents().FirstSteps(ctx)
		return func() {
			role := sess.user.Roles
			var lines []string
			if err == nil && f.NoPatients && role.Can(app.PermPatientWrite) {
				lines = append(lines, "• No patients yet: register the first with Register new patient (Ctrl+N).")
			}
			if err == nil && f.NoDocuments && role.Can(app.PermDocImport) {
				lines = append(lines, "• No scans yet: import a folder of scanned charts in Scanning (Ctrl+I); cover sheets file them by themselves.")
			}
			if err == nil && f.NoOtherUsers && role.Can(app.PermUserManage) {
				lines = append(lines, "• Only you can sign in: add your staff, each with their role, in Administration (Ctrl+U).")
			}
			if len(lines) == 0 || strings.TrimSpace(s.query.Text) != "" || len(s.sess.recent) > 0 {
				s.start.Hide()
				return
			}
			s.startLines.SetText(strings.Join(lines, "\n"))
			s.start.Show()
		}
	})
}

func (s *searchScreen) view() fyne.CanvasObject    { return s.box }
func (s *searchScreen) focusFirst() fyne.Focusable { return s.query }

// refocus puts the cursor back in the search field with the query
// selected, so typing starts a new search.
func (s *searchScreen) refocus() {
	s.sess.a.win.Canvas().Focus(s.query)
	s.query.Entry.TypedShortcut(&fyne.ShortcutSelectAll{})
}

// forget empties the query and the results.
func (s *searchScreen) forget() {
	if s.stop != nil {
		s.stop()
		s.stop = nil
	}
	s.gen++
	s.sess.recent = nil
	s.query.OnChanged = nil
	s.query.SetText("")
	s.query.OnChanged = s.changed
	s.apply("", nil, nil)
}

// changed runs at every key: it schedules the search once typing pauses.
func (s *searchScreen) changed(q string) {
	if s.stop != nil {
		s.stop()
		s.stop = nil
	}
	s.gen++
	gen := s.gen
	if strings.TrimSpace(q) == "" {
		s.apply("", nil, nil)
		return
	}
	ctx := s.sess.ctx
	s.stop = s.sess.a.tasks.after(s.sess.a.searchDelay, func() func() {
		if ctx.Err() != nil {
			return nil
		}
		return s.lookup(ctx, gen, q)
	})
}

// searchNow searches for q at once and shows the results; the debounce
// calls the same lookup. Tests call it instead of waiting.
func (s *searchScreen) searchNow(q string) {
	if s.stop != nil {
		s.stop()
		s.stop = nil
	}
	s.gen++
	s.lookup(s.sess.ctx, s.gen, q)()
}

// lookup asks the vault (off the Fyne goroutine) and returns how to show
// the answer; an answer to an older query than the latest is dropped.
func (s *searchScreen) lookup(ctx context.Context, gen int, q string) func() {
	ms, err := s.sess.s.Patients().Search(ctx, q, searchLimit)
	return func() {
		if gen != s.gen || ctx.Err() != nil {
			return
		}
		s.apply(q, ms, err)
	}
}

// apply shows a search's answer; for an empty query, the patients opened
// recently in this session.
func (s *searchScreen) apply(q string, ms []app.Match, err error) {
	s.lastQuery = q
	recent := strings.TrimSpace(q) == "" && err == nil && len(s.sess.recent) > 0 && s.sess.ctx.Err() == nil
	if recent {
		ms = make([]app.Match, len(s.sess.recent))
		for i, p := range s.sess.recent {
			ms[i] = app.Match{Patient: p}
		}
	}
	items := make([]any, len(ms))
	for i, m := range ms {
		items[i] = m
	}
	_ = s.results.Set(items)
	// The binding tells the list only when the number of items changes;
	// a new answer of the same length must still redraw every row.
	s.list.Refresh()
	s.selected = -1
	s.list.UnselectAll()
	s.list.ScrollToTop()
	s.empty.Hide()
	s.start.Hide()
	switch {
	case err != nil:
		_ = s.status.Set(message(err))
	case recent:
		_ = s.status.Set("Opened recently in this session.  ↑ ↓ choose, Enter opens; type to search.")
	case strings.TrimSpace(q) == "":
		_ = s.status.Set(searchHint)
		s.firstSteps()
	case len(ms) == 0:
		_ = s.status.Set("No patient found.")
		s.emptyQ.SetText(fmt.Sprintf("No patient found for “%s”", strings.TrimSpace(q)))
		s.empty.Show()
	case len(ms) >= searchLimit:
		_ = s.status.Set(fmt.Sprintf("Showing the first %d patients found; type more to narrow the search.", len(ms)))
	default:
		_ = s.status.Set(plural(len(ms), "patient", "patients") + " found.  ↑ ↓ choose, Enter opens.")
	}
}

// match returns result i.
func (s *searchScreen) match(i int) (app.Match, bool) {
	v, err := s.results.GetValue(i)
	if err != nil {
		return app.Match{}, false
	}
	m, ok := v.(app.Match)
	return m, ok
}

// key moves the selection with the arrow keys while the cursor stays in
// the search field.
func (s *searchScreen) key(k *fyne.KeyEvent) bool {
	step, ok := arrowStep(k.Name)
	if !ok {
		return false
	}
	if n := s.results.Length(); n > 0 {
		s.choose(min(max(s.selected+step, 0), n-1))
	}
	return true
}

func (s *searchScreen) choose(i int) {
	s.selected = i
	s.list.Select(i)
	s.list.ScrollTo(i)
}

// openSelected opens the chosen patient, or the first when none is chosen.
func (s *searchScreen) openSelected() {
	if s.results.Length() == 0 {
		return
	}
	s.openAt(max(s.selected, 0))
}

func (s *searchScreen) openAt(i int) {
	m, ok := s.match(i)
	if !ok {
		return
	}
	s.selected = i
	s.sess.a.nav.openPatient(m.Patient.ID)
}

func (s *searchScreen) escape() bool {
	if s.query.Text == "" {
		return false
	}
	s.query.SetText("")
	return true
}

// resultRow is one patient in the results: the name with the family name
// in capitals and the MRN on the first line; sex, date of birth and age,
// village and phone on the second. Tapping it opens the patient.
type resultRow struct {
	widget.BaseWidget
	name    *widget.RichText
	mrn     *widget.RichText
	details *widget.RichText
	flag    *widget.Label
	onTap   func()
}

func newResultRow() fyne.CanvasObject {
	r := &resultRow{
		name:    widget.NewRichText(),
		mrn:     widget.NewRichText(),
		details: widget.NewRichText(),
		flag:    widget.NewLabel(""),
	}
	r.flag.Importance = widget.WarningImportance
	r.details.Truncation = fyne.TextTruncateEllipsis
	r.name.Truncation = fyne.TextTruncateEllipsis
	r.ExtendBaseWidget(r)
	return r
}

func (r *resultRow) CreateRenderer() fyne.WidgetRenderer {
	top := container.NewBorder(nil, nil, nil, container.NewHBox(r.flag, r.mrn), r.name)
	return widget.NewSimpleRenderer(container.New(layout.NewCustomPaddedVBoxLayout(-10), top, r.details))
}

func (r *resultRow) Tapped(*fyne.PointEvent) {
	if r.onTap != nil {
		r.onTap()
	}
}

func (s *searchScreen) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
	r := o.(*resultRow)
	m, ok := s.match(id)
	if !ok {
		return
	}
	p := m.Patient
	r.name.Segments = []widget.RichTextSegment{
		&widget.TextSegment{Text: familyText(p), Style: styleBold},
		&widget.TextSegment{Text: givenText(p), Style: styleRegular},
	}
	r.mrn.Segments = []widget.RichTextSegment{&widget.TextSegment{Text: visible.Line(p.MRN),
		Style: widget.RichTextStyle{TextStyle: fyne.TextStyle{Monospace: true}, Inline: true}}}
	details := summary(p, s.sess.a.now())
	if m.Withheld {
		details += "  ·  restricted chart: opening it asks for a reason"
	}
	r.details.Segments = []widget.RichTextSegment{&widget.TextSegment{Text: details, Style: styleMuted}}
	if p.Restricted {
		r.flag.SetText("restricted")
	} else {
		r.flag.SetText("")
	}
	r.Refresh() // lays the row out again: the MRN's width changed
	r.onTap = func() {
		s.sess.a.input.touch()
		s.openAt(id)
	}
}
