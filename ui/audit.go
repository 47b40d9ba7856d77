package ui

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/app"
	"folio/printout"
	"folio/visible"
)

// This file is the Audit section of Administration: the audit trail read
// through app.Audit.Events (each reading is itself audited, as
// audit.read), filtered by user, patient, action and a first day, newest
// first, with break-glass, denied and failed events highlighted, and the
// events on show exported as CSV or as a PDF report, or printed (each
// export audited as audit.export, with its filters and destination).
// Every value from the trail is shown and exported through package
// visible: a name or a reason cannot fake a row.

// allActions is the action drop-down's choice for every action.
const allActions = "All actions"

// auditColumns are the columns of the list and of the CSV, with the list's
// width of each (the last, Detail, takes what is left).
var auditColumns = []struct {
	name string
	w    float32
}{{"Time", 150}, {"User", 95}, {"Role", 75}, {"Action", 130}, {"Patient", 105}, {"Outcome", 70}, {"Permission", 115}, {"Detail", 0}}

// auditScreen is the Audit section of Administration.
type auditScreen struct {
	adminPage
	user   *entry
	mrn    *entry
	action *choice
	since  *entry
	show   *widget.Button
	// export, exportPDF and print write out the events on show.
	export    *widget.Button
	exportPDF *widget.Button
	print     *widget.Button
	list      *widget.List
	// picked shows the whole of the event selected in the list.
	picked  *widget.Label
	summary *widget.Label
	msg     messageLabel
	box     fyne.CanvasObject

	// filter is the filter of the events on show; events are those
	// events, newest first; actions every action seen in the trail
	// (Fyne goroutine).
	filter  app.AuditFilter
	events  []app.AuditEvent
	actions []app.Action
}

func newAuditScreen(sess *session) *auditScreen {
	u := sess.a
	s := &auditScreen{adminPage: newAdminPage(sess), msg: newMessageLabel()}
	s.user = newEntry(u.input, "user name")
	s.mrn = newEntry(u.input, "MRN")
	s.since = newEntry(u.input, "YYYY-MM-DD")
	for _, e := range []*entry{s.user, s.mrn, s.since} {
		e.OnSubmitted = func(string) { s.apply() }
	}
	s.action = newChoice(u.input, []string{allActions}, nil)
	s.action.SetSelected(allActions)
	s.action.OnChanged = func(string) { s.apply() }
	s.show = button(u.input, "Show", theme.SearchIcon(), widget.HighImportance, s.apply)
	clearBtn := button(u.input, "Clear filters", theme.ContentClearIcon(), widget.LowImportance, s.clearFilters)
	s.export = button(u.input, "Export CSV…", theme.DocumentSaveIcon(), widget.MediumImportance, func() { s.askExport(auditCSV) })
	s.exportPDF = button(u.input, "Export PDF…", theme.DocumentSaveIcon(), widget.MediumImportance, func() { s.askExport(auditPDF) })
	s.print = printButton(u.input, "Print", s.sendToPrinter)
	for _, b := range s.exports() {
		b.Disable()
	}
	s.summary = widget.NewLabel("Loading…")
	s.summary.Importance = widget.LowImportance
	s.picked = widget.NewLabel("")
	s.picked.Wrapping = fyne.TextWrapWord
	s.picked.Selectable = true

	s.list = widget.NewList(func() int { return len(s.events) }, newAuditRow,
		func(i widget.ListItemID, o fyne.CanvasObject) { fillAuditRow(o.(*fyne.Container), s.events[i]) })
	s.list.OnSelected = func(i widget.ListItemID) { s.picked.SetText(auditEventText(s.events[i])) }

	field := func(label string, w fyne.CanvasObject) fyne.CanvasObject {
		return container.NewBorder(nil, nil, fieldLabel(label), nil, w)
	}
	filters := container.NewGridWithColumns(4,
		field("User", s.user), field("Patient", s.mrn), field("Action", s.action), field("Since", s.since))
	acts := container.NewHBox(s.show, clearBtn, s.summary, layout.NewSpacer(), s.export, s.exportPDF, s.print)
	header := newAuditRow().(*fyne.Container)
	for i, c := range auditColumns {
		l := header.Objects[i].(*widget.Label)
		l.SetText(c.name)
		l.TextStyle = fyne.TextStyle{Bold: true}
	}
	top := container.NewVBox(adminBar(u, adminAudit),
		muted("Every access to a record, sign-in and change, as the vault recorded it; newest first. "+
			"Break-glass openings are marked in orange, refused and failed attempts in red. "+
			"Reading the trail here is itself recorded (audit.read)."),
		filters, acts, s.msg.Label, header, widget.NewSeparator())
	bottom := container.NewVBox(widget.NewSeparator(), s.picked)
	s.box = screenMargin(
		container.NewBorder(top, bottom, nil, nil, s.list))
	s.load(app.AuditFilter{})
	return s
}

func (s *auditScreen) view() fyne.CanvasObject    { return s.box }
func (s *auditScreen) focusFirst() fyne.Focusable { return s.user }

// forget drops the events (MRNs, reasons) and the filters.
func (s *auditScreen) forget() {
	s.events = nil
	s.list.Refresh()
	s.picked.SetText("")
	for _, e := range []*entry{s.user, s.mrn, s.since} {
		e.SetText("")
	}
}

func (s *auditScreen) clearFilters() {
	for _, e := range []*entry{s.user, s.mrn, s.since} {
		e.SetText("")
	}
	s.action.OnChanged = nil
	s.action.SetSelected(allActions)
	s.action.OnChanged = func(string) { s.apply() }
	s.apply()
}

// readFilter reads the filter fields, or says which one is wrong and why,
// in a sentence.
func (s *auditScreen) readFilter() (f app.AuditFilter, bad *entry, why string) {
	if t := strings.TrimSpace(s.user.Text); t != "" {
		name, err := app.NormalizeUserName(t)
		if err != nil {
			return f, s.user, message(err)
		}
		f.User = name
	}
	if t := strings.TrimSpace(s.mrn.Text); t != "" {
		mrn, err := app.ParseMRN(t)
		if err != nil {
			return f, s.mrn, message(err)
		}
		f.PatientMRN = mrn
	}
	if a := s.action.Selected; a != "" && a != allActions {
		f.Action = app.Action(a)
	}
	if t := strings.TrimSpace(s.since.Text); t != "" {
		day, err := time.ParseInLocation(time.DateOnly, t, time.Local)
		if err != nil {
			return f, s.since, "Write the Since date as YYYY-MM-DD, for example " + s.sess.a.now().Format(time.DateOnly) + "."
		}
		f.Since = day
	}
	return f, nil, ""
}

// apply reads the trail again with the filters typed.
func (s *auditScreen) apply() {
	f, bad, why := s.readFilter()
	if why != "" {
		s.msg.error(why)
		s.sess.a.win.Canvas().Focus(bad)
		return
	}
	s.load(f)
}

// load reads the events that match f off the Fyne goroutine.
func (s *auditScreen) load(f app.AuditFilter) {
	sess := s.sess
	s.show.Disable()
	sess.run(func(ctx context.Context) func() {
		events, err := sess.s.Audit().Events(ctx, f)
		return func() {
			s.show.Enable()
			if err != nil {
				s.msg.error("The audit trail could not be read: " + message(err))
				return
			}
			s.msg.clear()
			slices.Reverse(events)
			s.filter, s.events = f, events
			s.noteActions(events)
			s.list.UnselectAll()
			s.list.ScrollToTop()
			s.list.Refresh()
			s.picked.SetText("")
			s.summary.SetText(plural(len(events), "event", "events"))
			for _, b := range s.exports() {
				setEnabled(len(events) > 0, b)
			}
		}
	})
}

// noteActions adds the actions of events to the drop-down.
func (s *auditScreen) noteActions(events []app.AuditEvent) {
	n := len(s.actions)
	for _, e := range events {
		if !slices.Contains(s.actions, e.Action) {
			s.actions = append(s.actions, e.Action)
		}
	}
	if len(s.actions) == n {
		return
	}
	slices.Sort(s.actions)
	opts := []string{allActions}
	for _, a := range s.actions {
		opts = append(opts, visible.Line(string(a)))
	}
	s.action.SetOptions(opts)
}

// auditMark is how an event is highlighted: break-glass in the warning
// colour, refused and failed attempts in the danger colour.
func auditMark(e app.AuditEvent) (widget.Importance, bool) {
	switch {
	case e.Outcome == app.OutcomeDenied || e.Outcome == app.OutcomeFailed:
		return widget.DangerImportance, true
	case e.Action == app.ActBreakGlass:
		return widget.WarningImportance, true
	}
	return widget.MediumImportance, false
}

// auditFields are an event's columns as the list and the CSV show them.
func auditFields(e app.AuditEvent) []string {
	return []string{
		e.Time.Local().Format("2006-01-02 15:04:05"),
		visible.Line(e.User),
		visible.Line(e.ActedAs()),
		visible.Line(string(e.Action)),
		visible.Line(e.Patient),
		visible.Line(string(e.Outcome)),
		visible.Line(string(e.Permission)),
		visible.Line(e.Detail),
	}
}

// auditEventText is the whole of one event, for the line under the list.
func auditEventText(e app.AuditEvent) string {
	f := auditFields(e)
	s := fmt.Sprintf("#%d  %s  %s", e.Seq, f[0], f[1])
	if f[2] != "" {
		s += " (" + f[2] + ")"
	}
	s += "  " + f[3]
	if f[4] != "" {
		s += "  patient " + f[4]
	}
	s += "  " + f[5]
	if f[6] != "" {
		s += "  permission " + f[6]
	}
	if e.Object != "" {
		s += "  " + visible.Line(e.Object)
	}
	if e.Device != "" {
		s += "  on " + visible.Line(e.Device)
	}
	if f[7] != "" {
		s += ": " + f[7]
	}
	return s
}

// auditRowLayout lays a row's labels out in the columns' widths; the last
// takes what is left.
type auditRowLayout struct{}

func (auditRowLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for i, o := range objs {
		m := o.MinSize()
		s.Width += auditColumns[i].w
		s.Height = max(s.Height, m.Height)
	}
	return s
}

func (auditRowLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	x := float32(0)
	for i, o := range objs {
		w := auditColumns[i].w
		if w == 0 {
			w = max(size.Width-x, 0)
		}
		o.Resize(fyne.NewSize(w, size.Height))
		o.Move(fyne.NewPos(x, 0))
		x += w
	}
}

// newAuditRow is one row of the list: a label per column.
func newAuditRow() fyne.CanvasObject {
	row := container.New(auditRowLayout{})
	for range auditColumns {
		l := widget.NewLabel("")
		l.Truncation = fyne.TextTruncateEllipsis
		row.Add(l)
	}
	return row
}

// fillAuditRow shows e in row, highlighted as auditMark says.
func fillAuditRow(row *fyne.Container, e app.AuditEvent) {
	imp, bold := auditMark(e)
	for i, v := range auditFields(e) {
		l := row.Objects[i].(*widget.Label)
		l.Importance = imp
		l.TextStyle = fyne.TextStyle{Bold: bold}
		l.SetText(v)
	}
}

// exports are the buttons that write out the events on show.
func (s *auditScreen) exports() []*widget.Button {
	return []*widget.Button{s.export, s.exportPDF, s.print}
}

// auditFormat is a form the events on show are exported in.
type auditFormat string

const (
	auditCSV auditFormat = "CSV"
	auditPDF auditFormat = "PDF"
)

// askExport asks where to save the events on show in format.
func (s *auditScreen) askExport(format auditFormat) {
	u := s.sess.a
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		s.exportTo(w.URI().String(), format, w)
	}, u.win)
	d.SetFileName("folio-audit-" + u.now().Format("20060102-1504") + "." + strings.ToLower(string(format)))
	u.dialogs.showDialog(d)
}

// exportTo reads the events of the filter on show again, through the
// audited export (dest names where they go in the audit trail), and writes
// them to w in format, oldest first, off the Fyne goroutine; it closes w.
func (s *auditScreen) exportTo(dest string, format auditFormat, w io.WriteCloser) {
	sess, head := s.sess, s.reportHead()
	sess.run(func(ctx context.Context) func() {
		n, data, err := exportAudit(ctx, sess, head, format, dest)
		if err == nil {
			_, err = w.Write(data)
		}
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		return func() {
			if err != nil {
				s.msg.error("The audit events were not exported: " + message(err))
				return
			}
			s.msg.info(plural(n, "event", "events") + " exported as " + string(format) + ".")
		}
	})
}

// sendToPrinter prints the events on show as the PDF report, audited as
// an export to the printer; when that fails it offers to save the PDF.
func (s *auditScreen) sendToPrinter() {
	sess, head, dest := s.sess, s.reportHead(), printerName(s.sess.a.opts.Printer)
	sendToPrinter(sess.ctx, sess.a, "the audit report", s.msg, func(ctx context.Context) (string, []byte, error) {
		_, pdf, err := exportAudit(ctx, sess, head, auditPDF, dest)
		return "Folio audit report", pdf, err
	}, func() { s.askExport(auditPDF) })
}

// reportHead is the heading of a report of the events on show: their
// filters, and who exports them, when (taken on the Fyne goroutine).
func (s *auditScreen) reportHead() auditReportHead {
	u := s.sess.a
	return auditReportHead{filter: s.filter,
		report: printout.AuditReport{Filter: s.filter.String(), Site: u.site, ExportedBy: s.sess.user.Name, ExportedAt: u.now()}}
}

// auditReportHead is what an export needs besides the events.
type auditReportHead struct {
	filter app.AuditFilter
	report printout.AuditReport
}

// exportAudit reads the events of head's filter through the audited
// export to dest and returns how many there are and them written in
// format. It runs off the Fyne goroutine.
func exportAudit(ctx context.Context, sess *session, head auditReportHead, format auditFormat, dest string) (int, []byte, error) {
	events, err := sess.s.Audit().Export(ctx, head.filter, string(format), dest)
	if err != nil {
		return 0, nil, err
	}
	var buf bytes.Buffer
	if format == auditPDF {
		r := head.report
		r.Events = events
		err = printout.AuditReportPDF(&buf, r)
	} else {
		err = writeAuditCSV(&buf, events)
	}
	return len(events), buf.Bytes(), err
}

// writeAuditCSV writes events as CSV with a header row: the list's columns
// and the event's number, object and device. A value a spreadsheet would
// take for a formula (=, +, -, @ first) is written with a ' before it.
func writeAuditCSV(w io.Writer, events []app.AuditEvent) error {
	cw := csv.NewWriter(w)
	head := []string{"Seq"}
	for _, c := range auditColumns {
		head = append(head, c.name)
	}
	if err := cw.Write(append(head, "Object", "Device")); err != nil {
		return err
	}
	for _, e := range events {
		rec := append([]string{strconv.FormatUint(e.Seq, 10)}, auditFields(e)...)
		rec = append(rec, visible.Line(e.Object), visible.Line(e.Device))
		for i, v := range rec {
			if v != "" && strings.ContainsRune("=+-@", rune(v[0])) {
				rec[i] = "'" + v
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
