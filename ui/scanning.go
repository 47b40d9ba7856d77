package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/app"
	"folio/dropfolder"
	"folio/printout"
	"folio/visible"
)

// This file is the scanning station: files chosen in the app and the drop
// folder come in, each result is listed, and the documents waiting for a
// person are filed from the queue. The patient screen's cover-sheet button
// is here too.

// canScan reports whether a role works at the scanning station.
func canScan(r app.RoleSet) bool { return r.Can(app.PermDocImport) || r.Can(app.PermDocIndex) }

// intakeLine is one result of an import, as the station lists it.
func intakeLine(name string, r app.ImportResult, err error) string {
	switch {
	case err != nil:
		return name + ": not imported: " + message(err)
	case r.Duplicate:
		return name + ": imported before; nothing new stored"
	case r.Batch.Status == app.BatchFailed:
		return name + ": stored, could not be read: " + r.Batch.Error
	}
	filed, queued := 0, 0
	for _, d := range r.Documents {
		if d.Status == app.DocQueued {
			queued++
		} else {
			filed++
		}
	}
	return fmt.Sprintf("%s: %s, %s filed, %d waiting in the queue", name, plural(r.Batch.Pages, "page", "pages"),
		plural(filed, "document", "documents"), queued)
}

// intakeItem is one file coming in during the session, as the station
// shows it: where its import has got to and, when done, what it became.
// Its fields belong to the Fyne goroutine.
type intakeItem struct {
	name    string
	when    time.Time
	p       app.ImportProgress
	done    bool
	outcome string // the final line (intakeLine), once done
}

// maxIntake is how many files the station lists.
const maxIntake = 200

// importFile imports one file off the Fyne goroutine, showing its progress
// on the station as it goes. Call it from a worker goroutine.
func (s *session) importFile(ctx context.Context, name, source string, data []byte) (app.ImportResult, error) {
	progress, done := s.trackImport(name)
	r, err := s.s.Intake().ImportFileProgress(ctx, name, source, data, progress)
	done(r, err)
	return r, err
}

// trackImport lists a file whose import starts on the station and returns
// what shows its progress and its outcome there (for the file picker's
// imports and the drop folder's).
func (s *session) trackImport(name string) (progress func(app.ImportProgress), done func(app.ImportResult, error)) {
	shown := visible.Line(name) // a file's name is anyone's text: one line, nothing hidden
	it := &intakeItem{name: shown, when: time.Now(), p: app.ImportProgress{Stage: app.StageStored}}
	s.onUI(func() { s.addIntake(it) })
	progress = func(p app.ImportProgress) {
		s.onUI(func() { it.p = p; s.intakeChanged(it) })
	}
	done = func(r app.ImportResult, err error) {
		line := intakeLine(shown, r, err)
		s.onUI(func() {
			it.done, it.outcome = true, line
			if err != nil && it.p.Stage != app.StageFailed {
				it.p = app.ImportProgress{Stage: app.StageFailed, Reason: message(err)}
			}
			s.intakeChanged(it)
			if st, ok := s.a.cur.(*scanScreen); ok && st.sess == s {
				st.reloadQueue()
			}
		})
	}
	return progress, done
}

// onUI runs f on the Fyne goroutine while the session lasts.
func (s *session) onUI(f func()) {
	ctx := s.ctx
	s.a.tasks.apply(func() {
		if ctx.Err() == nil {
			f()
		}
	})
}

// startDropFolder runs the drop-folder intake for the session's life when
// the vault names a folder and the user may import: it resumes imports a
// crash interrupted, then takes every file the scanner writes.
func (s *session) startDropFolder() {
	if !s.user.Roles.Can(app.PermDocImport) {
		return
	}
	settings := s.a.vault.IntakeSettings(s.ctx)
	if settings.DropFolder == "" {
		return
	}
	resumed := map[string]*intakeItem{} // by batch id; the intake reports them one after the other
	in, err := dropfolder.NewIntake(dropfolder.IntakeParams{Dir: settings.DropFolder, Keep: settings.Keep,
		Importer: s.s.Intake(), Track: s.trackImport,
		ResumeProgress: func(b app.Batch, p app.ImportProgress) {
			it := resumed[b.ID]
			if it == nil {
				it = &intakeItem{name: visible.Line(b.Name) + " (resumed)", when: time.Now(), p: p}
				resumed[b.ID] = it
				s.onUI(func() { s.addIntake(it) })
			}
			final := p.Stage == app.StageFiled || p.Stage == app.StageNeedsIndexing || p.Stage == app.StageFailed
			s.onUI(func() {
				it.p, it.done = p, final
				s.intakeChanged(it)
			})
		},
		OnError: func(path string, err error) {
			name, why := visible.Line(filepath.Base(path)), intakeProblem(err)
			it := &intakeItem{name: name, when: time.Now(), done: true, outcome: name + ": " + why,
				p: app.ImportProgress{Stage: app.StageFailed, Reason: why}}
			s.onUI(func() { s.addIntake(it) })
		},
	})
	if err != nil {
		s.intakeNote = dropFolderProblem(settings.DropFolder, err)
		return
	}
	s.intakeNote = "Watching " + settings.DropFolder + " for scans"
	if settings.Keep {
		s.intakeNote += " (files are left there once stored)."
	} else {
		s.intakeNote += " (files are removed once stored encrypted)."
	}
	go func() { _ = in.Serve(s.ctx) }()
}

// dropFolderProblem says why the drop folder dir cannot be watched.
func dropFolderProblem(dir string, err error) string {
	var why string
	switch {
	case errors.Is(err, fs.ErrNotExist):
		why = "there is no folder " + dir + " on this computer"
	case errors.Is(err, fs.ErrPermission):
		why = "Folio may not read the folder " + dir
	case errors.Is(err, dropfolder.ErrNotAFolder):
		why = dir + " is a file, not a folder"
	default:
		return "The drop folder " + dir + " cannot be watched. " + message(err)
	}
	return "The drop folder cannot be watched: " + visible.Line(why) + ". An administrator chooses it in Administration, Settings."
}

// intakeProblem says why the drop folder did not take a file.
func intakeProblem(err error) string {
	switch {
	case errors.Is(err, dropfolder.ErrLink):
		return "Skipped: it is a link; Folio imports files, not links."
	case errors.Is(err, dropfolder.ErrNotRegular):
		return "Skipped: it is not a file (a folder, a pipe or a device)."
	}
	return visible.Line(message(err))
}

// addIntake lists a file coming in (newest first) and shows it on the
// station if it is open. Fyne goroutine.
func (s *session) addIntake(it *intakeItem) {
	s.intake = append([]*intakeItem{it}, s.intake...)
	if len(s.intake) > maxIntake {
		s.intake = s.intake[:maxIntake]
	}
	if st, ok := s.a.cur.(*scanScreen); ok && st.sess == s {
		st.drawIntake()
	}
}

// intakeChanged shows a file's new state on the station if it is open.
func (s *session) intakeChanged(it *intakeItem) {
	if st, ok := s.a.cur.(*scanScreen); ok && st.sess == s {
		st.updateRow(it)
	}
}

// stageText says in a clerk's words where a file's import has got to.
func stageText(it *intakeItem) string {
	p := it.p
	of := ""
	if p.Pages > 0 {
		of = fmt.Sprintf(" %d of %d", max(p.Page, 1), p.Pages)
	}
	switch p.Stage {
	case app.StageStored:
		return "Stored encrypted; waiting for a reader"
	case app.StageRendering:
		return "Rendering page" + of
	case app.StageOCR:
		return "Reading the text of page" + of
	case app.StageFiling:
		return "Splitting and filing"
	case app.StageFailed:
		reason := p.Reason
		if reason == "" {
			reason = it.outcome
		}
		return "Failed: " + visible.Line(reason)
	case app.StageDuplicate:
		return "Imported before; nothing new stored"
	}
	if it.outcome != "" {
		return strings.TrimPrefix(it.outcome, it.name+": ")
	}
	if p.Stage == app.StageFiled {
		return "Filed"
	}
	return "Waiting in the indexing queue"
}

// intakeRow is the station's line for one file: an icon for its state,
// the file and what is happening, and a progress bar of the pages read.
type intakeRow struct {
	view  *fyne.Container
	icon  *widget.Icon
	state *widget.Label
	bar   *widget.ProgressBar
	index *widget.Button
}

func newIntakeRow(st *scanScreen, it *intakeItem) *intakeRow {
	u := st.sess.a
	r := &intakeRow{icon: widget.NewIcon(nil), state: widget.NewLabel(""), bar: widget.NewProgressBar()}
	r.state.Wrapping = fyne.TextWrapWord
	r.bar.TextFormatter = func() string {
		if it.p.Pages == 0 {
			return ""
		}
		return fmt.Sprintf("%d / %d pages", it.p.PagesDone, it.p.Pages)
	}
	r.index = button(u.input, "Index  (Ctrl+J)", theme.ListIcon(), widget.MediumImportance, u.nav.showQueue)
	if !allowed(st.sess.user.Roles, placeQueue) {
		r.index.Hide()
	}
	name := text(it.when.Format("15:04")+"  "+it.name, styleBold)
	right := container.NewGridWrap(fyne.NewSize(220, 36), container.NewStack(r.bar, r.index))
	r.view = container.NewBorder(nil, nil, r.icon, right, container.NewVBox(name, r.state))
	r.update(it)
	return r
}

// update shows it's state.
func (r *intakeRow) update(it *intakeItem) {
	r.state.SetText(stageText(it))
	r.state.Importance = widget.MediumImportance
	r.index.Hide()
	r.bar.Show()
	switch it.p.Stage {
	case app.StageFailed:
		r.icon.SetResource(theme.ErrorIcon())
		r.state.Importance = widget.DangerImportance
		r.bar.Hide()
	case app.StageNeedsIndexing:
		r.icon.SetResource(theme.WarningIcon())
		r.state.Importance = widget.WarningImportance
		r.bar.Hide()
		if it.done {
			r.index.Show()
		}
	case app.StageFiled, app.StageDuplicate:
		r.icon.SetResource(theme.ConfirmIcon())
		r.state.Importance = widget.SuccessImportance
		r.bar.SetValue(1)
	default:
		r.icon.SetResource(theme.MediaPlayIcon())
		if it.p.Pages > 0 {
			r.bar.SetValue(float64(it.p.PagesDone) / float64(it.p.Pages))
		} else {
			r.bar.SetValue(0)
		}
	}
	r.state.Refresh()
}

// scanScreen is the scanning station.
type scanScreen struct {
	searchExit
	note   *widget.Label
	intake *fyne.Container
	rows   map[*intakeItem]*intakeRow
	queue  *fyne.Container
	msg    messageLabel
	docs   []app.Document
	box    *container.Scroll

	// The cover-sheet form.
	coverFor   *patientPicker
	coverType  *choice
	coverDate  *entry
	coverPages *entry
	coverMsg   messageLabel
	coverPrint *widget.Button
}

func newScanScreen(sess *session) *scanScreen {
	u := sess.a
	st := &scanScreen{searchExit: searchExit{sess}, msg: newMessageLabel(), rows: map[*intakeItem]*intakeRow{}}
	st.note = wrapped(sess.intakeNote)
	if sess.intakeNote == "" {
		st.note.SetText("No drop folder is set. An administrator sets one in Administration → Settings; until then, import files here.")
	}
	st.intake = container.NewVBox()
	st.queue = container.NewVBox(widget.NewLabel("Loading…"))
	back := button(u.input, "Back to search  (Esc)", theme.NavigateBackIcon(), widget.LowImportance, u.nav.showSearch)
	importBtn := button(u.input, "Import files…  (Ctrl+O)", theme.FolderOpenIcon(), widget.HighImportance, st.chooseFile)
	if !sess.user.Roles.Can(app.PermDocImport) {
		importBtn.Hide()
	}
	intake := panel(container.NewVBox(heading("Files coming in"), st.note, widget.NewSeparator(), st.intake))
	queue := panel(container.NewVBox(heading("Waiting to be filed"), widget.NewSeparator(), st.queue))
	content := container.NewVBox(container.NewHBox(back, layout.NewSpacer(), importBtn), st.msg, intake, st.coverPanel(), queue)
	st.box = scrollingColumn(u, 1040, content)
	st.drawIntake()
	st.reloadQueue()
	return st
}

// coverPanel is the form that prints a cover sheet for a patient: find the
// patient, choose the type, save the PDF to print.
func (st *scanScreen) coverPanel() fyne.CanvasObject {
	u := st.sess.a
	st.coverFor = newPatientPicker(st.sess, "Name, MRN or date of birth")
	st.coverFor.onSubmit = func() { u.win.Canvas().Focus(st.coverType) }
	st.coverFor.grew = func() { reflow(st.box) }
	st.coverType = newChoice(u.input, typeLabels(), nil)
	st.coverType.SetSelected(docTypeText(app.DocumentTypes[0]))
	st.coverDate = newEntry(u.input, "YYYY-MM-DD (optional)")
	st.coverPages = newEntry(u.input, "optional")
	st.coverPages.OnSubmitted = func(string) { st.printCover() }
	st.coverMsg = newMessageLabel()
	save := button(u.input, "Save cover sheet PDF…  (Ctrl+S)", theme.DocumentSaveIcon(), widget.MediumImportance, st.printCover)
	st.coverPrint = printButton(u.input, "Print cover sheet", st.sendCover)
	return panel(container.NewVBox(
		heading("Print a cover sheet  (Ctrl+P)"),
		muted("Put it on top of a patient's pages: the scan then files itself to that patient and type."),
		formGrid(fieldLabel("Patient"), st.coverFor.view(), fieldLabel("Document type"), st.coverType,
			fieldLabel("Date of service"), st.coverDate, fieldLabel("Pages"), st.coverPages),
		container.NewHBox(layout.NewSpacer(), save, st.coverPrint),
		st.coverMsg,
	))
}

func (st *scanScreen) view() fyne.CanvasObject    { return st.box }
func (st *scanScreen) focusFirst() fyne.Focusable { return nil }
func (st *scanScreen) forget() {
	st.docs = nil
	st.rows = map[*intakeItem]*intakeRow{}
	st.intake.RemoveAll()
	st.queue.RemoveAll()
	st.coverFor.clear()
}

func (st *scanScreen) shortcut(k fyne.KeyName) bool {
	return keyActions{
		fyne.KeyO: when(st.sess.user.Roles.Can(app.PermDocImport), st.chooseFile),
		fyne.KeyP: func() { st.sess.a.win.Canvas().Focus(st.coverFor.field) },
		fyne.KeyS: st.printCover,
	}.run(k)
}

func (st *scanScreen) drawIntake() {
	st.intake.RemoveAll()
	st.rows = map[*intakeItem]*intakeRow{}
	if len(st.sess.intake) == 0 {
		st.intake.Add(muted("Nothing imported yet in this session."))
	}
	for _, it := range st.sess.intake {
		r := newIntakeRow(st, it)
		st.rows[it] = r
		st.intake.Add(r.view)
	}
	reflow(st.box) // the list grew
}

// updateRow shows a file's new state, making room when it takes more
// lines.
func (st *scanScreen) updateRow(it *intakeItem) {
	if r := st.rows[it]; r != nil {
		was := r.view.MinSize()
		r.update(it)
		if r.view.MinSize() != was {
			reflow(st.box)
		}
	}
}

// chooseFile asks for a scanned file and imports it.
func (st *scanScreen) chooseFile() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		path := r.URI().Path()
		r.Close()
		st.importPaths([]string{path})
	}, st.sess.a.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".pdf", ".PDF", ".tif", ".tiff", ".TIF", ".jpg", ".jpeg", ".JPG", ".png", ".PNG"}))
	st.sess.a.dialogs.showDialog(d)
}

// importPaths imports files off the Fyne goroutine, each with its row.
func (st *scanScreen) importPaths(paths []string) {
	sess := st.sess
	for _, p := range paths {
		sess.run(func(ctx context.Context) func() {
			// A file the person chose: read through a link, but only a
			// regular file within the size limit.
			data, err := dropfolder.ReadFile(ctx, p, dropfolder.ReadOptions{FollowLinks: true})
			if err != nil {
				return func() { st.msg.error(filepath.Base(p) + " was not imported: " + message(err)) }
			}
			_, _ = sess.importFile(ctx, filepath.Base(p), "app", data)
			return nil
		})
	}
}

// printCover makes the cover sheet the form describes and asks where to
// save the PDF.
func (st *scanScreen) printCover() {
	p, ok := st.coverPatient()
	if !ok {
		return
	}
	st.coverMsg.clear()
	saveCoverSheet(st.sess, p, st.coverType.Selected, st.coverDate.Text, st.coverPages.Text, func() {
		st.coverMsg.info("Cover sheet for " + visible.Line(p.MRN) + " saved. Print it and put it on top of the pages.")
	})
}

// coverPatient is the patient the cover sheet is for; without one it
// says to find the patient first.
func (st *scanScreen) coverPatient() (app.Patient, bool) {
	p := st.coverFor.patient
	if p.MRN == "" {
		st.coverMsg.error("Find the patient first: type a name or MRN, ↑ ↓ and Enter.")
		st.sess.a.win.Canvas().Focus(st.coverFor.field)
		return p, false
	}
	return p, true
}

// sendCover prints the cover sheet on the computer's printer, offering
// to save it when that fails.
func (st *scanScreen) sendCover() {
	p, ok := st.coverPatient()
	if !ok {
		return
	}
	printCoverSheet(st.sess, p, st.coverType.Selected, st.coverDate.Text, st.coverPages.Text, st.coverMsg, st.printCover)
}

// reloadQueue reads the indexing queue off the Fyne goroutine.
func (st *scanScreen) reloadQueue() {
	sess := st.sess
	if !sess.user.Roles.Can(app.PermDocIndex) {
		st.queue.RemoveAll()
		st.queue.Add(muted("Filing is done by records clerks."))
		return
	}
	sess.run(func(ctx context.Context) func() {
		docs, err := sess.s.Indexing().Queue(ctx)
		return func() {
			if err != nil {
				st.msg.error(message(err))
				return
			}
			st.docs = docs
			st.drawQueue()
		}
	})
}

func (st *scanScreen) drawQueue() {
	u := st.sess.a
	st.queue.RemoveAll()
	if len(st.docs) == 0 {
		st.queue.Add(muted("Nothing is waiting."))
	}
	for _, d := range st.docs {
		what := fmt.Sprintf("%s, %s, scanned %s", docTypeText(d.Type), plural(len(d.Pages), "page", "pages"),
			d.Provenance.Scanned.Local().Format("2 Jan 15:04"))
		why := visible.Line(d.ProposedPatient.Reason)
		if why == "" {
			why = "no patient found on the pages"
		}
		if len(d.Problems) > 0 {
			why += "; " + visible.Line(strings.Join(d.Problems, "; "))
		}
		file := button(u.input, "File…", theme.DocumentSaveIcon(), widget.MediumImportance, func() { st.askFile(d) })
		st.queue.Add(container.NewBorder(nil, nil, nil, file,
			container.NewVBox(text(what, styleBold), muted(why))))
	}
	reflow(st.box)
}

// askFile shows the filing form for a queued document, with the proposals
// filled in.
func (st *scanScreen) askFile(d app.Document) {
	u := st.sess.a
	patient := newEntry(u.input, "MRN, e.g. KAB-000123-7")
	patient.SetText(d.ProposedPatient.Value)
	kind := newChoice(u.input, typeLabels(), nil)
	kind.SetSelected(docTypeText(d.Type))
	date := newEntry(u.input, "YYYY-MM-DD")
	date.SetText(d.ProposedDate.Value)
	form := formGrid(fieldLabel("Patient"), patient, fieldLabel("Type"), kind, fieldLabel("Date of service"), date)
	dlg := dialog.NewCustomConfirm("File the document", "File", "Cancel", form, func(ok bool) {
		if ok {
			st.file(d.ID, patient.Text, kind.Selected, date.Text)
		}
	}, u.win)
	dlg.Resize(fyne.NewSize(520, 260))
	u.dialogs.showDialog(dlg)
}

// file files a queued document: patient, type label, date (may be empty).
func (st *scanScreen) file(id, patient, label, date string) {
	when, ok := serviceDate(date)
	if !ok {
		st.msg.error(badDate)
		return
	}
	fp := app.FileParams{Patient: strings.TrimSpace(patient), Type: typeSlug(label), Date: when}
	sess := st.sess
	sess.run(func(ctx context.Context) func() {
		d, err := sess.s.Indexing().FileDocument(ctx, id, fp)
		return func() {
			if err != nil {
				st.msg.error(message(err))
				return
			}
			st.msg.info(fmt.Sprintf("Filed in %s's chart as %s.", d.MRN, strings.ToLower(docTypeText(d.Type))))
			st.reloadQueue()
		}
	})
}

func typeSlug(label string) string { return strings.ReplaceAll(strings.ToLower(label), " ", "-") }

// badDate is what a filing form says of a date of service it cannot read.
const badDate = "The date of service must be written YYYY-MM-DD."

// serviceDate reads a date of service as typed in a filing form: the zero
// time when none is typed; false when it is not written YYYY-MM-DD.
func serviceDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, true
	}
	t, err := time.Parse(time.DateOnly, s)
	return t, err == nil
}

// offerType adds a document type to a type picker when it is not there
// (a type of the rules or of what was learned, beyond the built-in ones).
func offerType(c *choice, slug string) {
	if t := docTypeText(slug); slug != "" && !slices.Contains(c.Options, t) {
		c.Options = append(c.Options, t)
	}
}

func typeLabels() []string {
	out := make([]string, len(app.DocumentTypes))
	for i, t := range app.DocumentTypes {
		out[i] = docTypeText(t)
	}
	return out
}

// askCoverSheet asks what the cover sheet is for and where to save it.
func (d *demographics) askCoverSheet() {
	u := d.sess.a
	kind := newChoice(u.input, typeLabels(), nil)
	kind.SetSelected(docTypeText(app.DocumentTypes[0]))
	date := newEntry(u.input, "YYYY-MM-DD (optional)")
	pages := newEntry(u.input, "optional")
	form := formGrid(fieldLabel("Document type"), kind, fieldLabel("Date of service"), date, fieldLabel("Pages"), pages)
	p := d.v.p
	msg := newMessageLabel()
	save := func() { saveCoverSheet(d.sess, p, kind.Selected, date.Text, pages.Text, nil) }
	dlg := dialog.NewCustomWithoutButtons("Print a cover sheet for "+p.MRN, container.NewVBox(form, msg.Label), u.win)
	d.coverPrint = printButton(u.input, "Print", func() {
		printCoverSheet(d.sess, p, kind.Selected, date.Text, pages.Text, msg, save)
	})
	dlg.SetButtons([]fyne.CanvasObject{
		button(u.input, "Close", theme.CancelIcon(), widget.LowImportance, dlg.Hide),
		button(u.input, "Save PDF…", theme.DocumentSaveIcon(), widget.MediumImportance, func() { dlg.Hide(); save() }),
		d.coverPrint,
	})
	dlg.Resize(fyne.NewSize(520, 260))
	u.dialogs.showDialog(dlg)
}

// printCoverSheet makes a cover sheet for p and sends it to the printer,
// saying how it went in msg; save is offered when printing fails.
func printCoverSheet(sess *session, p app.Patient, label, date, pages string, msg messageLabel, save func()) {
	pdf, err := coverSheetPDF(sess, p, label, date, pages)
	if err != nil {
		msg.error("The cover sheet was not made: " + message(err))
		return
	}
	sendToPrinter(sess.ctx, sess.a, "the cover sheet for "+visible.Line(p.MRN), msg,
		func(context.Context) (string, []byte, error) { return "Cover sheet " + p.MRN, pdf, nil }, save)
}

// saveCoverSheet makes a cover sheet for p and asks where to save the PDF;
// saved, when set, runs once it is written.
func saveCoverSheet(sess *session, p app.Patient, label, date, pages string, saved func()) {
	u := sess.a
	pdf, err := coverSheetPDF(sess, p, label, date, pages)
	if err != nil {
		u.dialogs.showError("The cover sheet was not made", err)
		return
	}
	save := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		_, err = w.Write(pdf)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			u.dialogs.showError("The cover sheet was not saved", err)
			return
		}
		if saved != nil {
			saved()
		}
	}, u.win)
	save.SetFileName("cover-" + p.MRN + ".pdf")
	u.dialogs.showDialog(save)
}

// coverSheetPDF makes a cover sheet for a patient from the form's values.
func coverSheetPDF(sess *session, p app.Patient, label, date, pages string) ([]byte, error) {
	sheet := app.CoverSheet{MRN: p.MRN, Type: typeSlug(label)}
	if date = strings.TrimSpace(date); date != "" {
		t, err := time.Parse(time.DateOnly, date)
		if err != nil {
			return nil, app.Invalidf("write the date of service as YYYY-MM-DD")
		}
		sheet.Date = t
	}
	if pages = strings.TrimSpace(pages); pages != "" {
		n, err := strconv.Atoi(pages)
		if err != nil || n < 0 || n > 10000 {
			return nil, app.Invalidf("the number of pages must be a whole number")
		}
		sheet.Pages = n
	}
	var buf bytes.Buffer
	err := printout.CoverSheetPDF(&buf, printout.CoverInfo{Sheet: sheet, PatientName: strings.ToUpper(p.Family) + ", " + p.Given,
		BirthDate: p.BirthDate.String(), TypeLabel: label, PrintedBy: sess.user.Name, PrintedAt: sess.a.now()})
	return buf.Bytes(), err
}
