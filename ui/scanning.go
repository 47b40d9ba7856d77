package ui

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
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
)

// This file is the scanning station: files chosen in the app and the drop
// folder come in, each result is listed, and the documents waiting for a
// person are filed from the queue. The patient screen's cover-sheet button
// is here too.

// canScan reports whether a role works at the scanning station.
func canScan(r app.Role) bool { return r.Can(app.PermDocImport) || r.Can(app.PermDocIndex) }

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

// startDropFolder runs the drop-folder intake for the session's life when
// the vault names a folder and the user may import: it resumes imports a
// crash interrupted, then takes every file the scanner writes.
func (s *session) startDropFolder() {
	if !s.user.Role.Can(app.PermDocImport) {
		return
	}
	settings := s.a.vault.IntakeSettings(s.ctx)
	if settings.DropFolder == "" {
		return
	}
	logLine := func(line string) { fyne.Do(func() { s.addIntake(line) }) }
	w, err := dropfolder.New(dropfolder.Options{Dir: settings.DropFolder, Keep: settings.Keep,
		Import: func(ctx context.Context, name string, data []byte) error {
			r, err := s.s.ImportFile(ctx, name, "drop folder "+settings.DropFolder, data)
			logLine(intakeLine(name, r, err))
			return err
		},
		OnError: func(path string, err error) { logLine(filepath.Base(path) + ": " + err.Error()) },
	})
	if err != nil {
		s.intakeNote = "The drop folder cannot be watched: " + err.Error()
		return
	}
	s.intakeNote = "Watching " + settings.DropFolder + " for scans"
	if settings.Keep {
		s.intakeNote += " (files are left there once stored)."
	} else {
		s.intakeNote += " (files are removed once stored encrypted)."
	}
	go func() {
		if rs, err := s.s.ResumeImports(s.ctx); err == nil {
			for _, r := range rs {
				logLine(intakeLine(r.Batch.Name, r, nil) + " (resumed)")
			}
		}
		_ = w.Serve(s.ctx)
	}()
}

// addIntake records one intake result (newest first) and shows it on the
// station if it is open. Fyne goroutine.
func (s *session) addIntake(line string) {
	s.intake = append([]string{time.Now().Format("15:04") + "  " + line}, s.intake...)
	if len(s.intake) > 200 {
		s.intake = s.intake[:200]
	}
	if st, ok := s.a.cur.(*scanScreen); ok && st.sess == s {
		st.drawIntake()
		st.reloadQueue()
	}
}

// scanScreen is the scanning station.
type scanScreen struct {
	sess   *session
	note   *widget.Label
	intake *fyne.Container
	queue  *fyne.Container
	msg    messageLabel
	docs   []app.Document
	box    fyne.CanvasObject
}

func newScanScreen(sess *session) *scanScreen {
	u := sess.a
	st := &scanScreen{sess: sess, msg: newMessageLabel()}
	st.note = wrapped(sess.intakeNote)
	if sess.intakeNote == "" {
		st.note.SetText("No drop folder is set; an administrator sets one with `folio settings drop-folder DIR`. Files can be imported here.")
	}
	st.intake = container.NewVBox()
	st.queue = container.NewVBox(widget.NewLabel("Loading…"))
	back := button(u, "Back to search  (Esc)", theme.NavigateBackIcon(), widget.LowImportance, u.showSearch)
	importBtn := button(u, "Import files…", theme.FolderOpenIcon(), widget.HighImportance, st.chooseFile)
	if !sess.user.Role.Can(app.PermDocImport) {
		importBtn.Hide()
	}
	intake := panel(container.NewVBox(heading("Intake"), st.note, widget.NewSeparator(), st.intake))
	queue := panel(container.NewVBox(heading("Waiting to be filed"), widget.NewSeparator(), st.queue))
	content := container.NewVBox(container.NewHBox(back, layout.NewSpacer(), importBtn), st.msg, intake, queue)
	st.box = newScroller(u, container.New(layout.NewCustomPaddedLayout(12, 12, 16, 16), column(1040, content)))
	st.drawIntake()
	st.reloadQueue()
	return st
}

func (st *scanScreen) view() fyne.CanvasObject    { return st.box }
func (st *scanScreen) focusFirst() fyne.Focusable { return nil }
func (st *scanScreen) forget() {
	st.docs = nil
	st.intake.RemoveAll()
	st.queue.RemoveAll()
}
func (st *scanScreen) escape() bool { st.sess.a.showSearch(); return true }

func (st *scanScreen) drawIntake() {
	st.intake.RemoveAll()
	if len(st.sess.intake) == 0 {
		st.intake.Add(muted("Nothing imported yet in this session."))
	}
	for _, line := range st.sess.intake {
		st.intake.Add(wrapped(line))
	}
	st.intake.Refresh()
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
	st.sess.a.showDialog(d)
}

// importPaths imports files off the Fyne goroutine, one line each.
func (st *scanScreen) importPaths(paths []string) {
	sess := st.sess
	st.msg.info("Importing " + plural(len(paths), "file", "files") + "…")
	for _, p := range paths {
		sess.run(func(ctx context.Context) func() {
			data, err := os.ReadFile(p)
			var r app.ImportResult
			if err == nil {
				r, err = sess.s.ImportFile(ctx, filepath.Base(p), "app", data)
			}
			return func() {
				st.msg.clear()
				sess.addIntake(intakeLine(filepath.Base(p), r, err))
			}
		})
	}
}

// reloadQueue reads the indexing queue off the Fyne goroutine.
func (st *scanScreen) reloadQueue() {
	sess := st.sess
	if !sess.user.Role.Can(app.PermDocIndex) {
		st.queue.RemoveAll()
		st.queue.Add(muted("Filing is done by records clerks."))
		return
	}
	sess.run(func(ctx context.Context) func() {
		docs, err := sess.s.Queue(ctx)
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
		what := fmt.Sprintf("%s, %s, scanned %s", app.DocTypeLabel(d.Type), plural(len(d.Pages), "page", "pages"),
			d.Provenance.Scanned.Local().Format("2 Jan 15:04"))
		why := d.ProposedPatient.Reason
		if why == "" {
			why = "no patient found on the pages"
		}
		if len(d.Problems) > 0 {
			why += "; " + strings.Join(d.Problems, "; ")
		}
		file := button(u, "File…", theme.DocumentSaveIcon(), widget.MediumImportance, func() { st.askFile(d) })
		st.queue.Add(container.NewBorder(nil, nil, nil, file,
			container.NewVBox(text(what, styleBold), muted(why))))
	}
	st.queue.Refresh()
}

// askFile shows the filing form for a queued document, with the proposals
// filled in.
func (st *scanScreen) askFile(d app.Document) {
	u := st.sess.a
	patient := newEntry(u, "MRN, e.g. KAB-000123-7")
	patient.SetText(d.ProposedPatient.Value)
	kind := newChoice(u, typeLabels(), nil)
	kind.SetSelected(app.DocTypeLabel(d.Type))
	date := newEntry(u, "YYYY-MM-DD")
	date.SetText(d.ProposedDate.Value)
	form := formGrid(fieldLabel("Patient"), patient, fieldLabel("Type"), kind, fieldLabel("Date of service"), date)
	dlg := dialog.NewCustomConfirm("File the document", "File", "Cancel", form, func(ok bool) {
		if ok {
			st.file(d.ID, patient.Text, kind.Selected, date.Text)
		}
	}, u.win)
	dlg.Resize(fyne.NewSize(520, 260))
	u.showDialog(dlg)
}

// file files a queued document: patient, type label, date (may be empty).
func (st *scanScreen) file(id, patient, label, date string) {
	fp := app.FileParams{Patient: strings.TrimSpace(patient), Type: typeSlug(label)}
	if date = strings.TrimSpace(date); date != "" {
		t, err := time.Parse(time.DateOnly, date)
		if err != nil {
			st.msg.error("The date of service must be written YYYY-MM-DD.")
			return
		}
		fp.Date = t
	}
	sess := st.sess
	sess.run(func(ctx context.Context) func() {
		d, err := sess.s.FileDocument(ctx, id, fp)
		return func() {
			if err != nil {
				st.msg.error(message(err))
				return
			}
			st.msg.info(fmt.Sprintf("Filed in %s's chart as %s.", d.MRN, strings.ToLower(app.DocTypeLabel(d.Type))))
			st.reloadQueue()
		}
	})
}

func typeSlug(label string) string { return strings.ReplaceAll(strings.ToLower(label), " ", "-") }

func typeLabels() []string {
	out := make([]string, len(app.DocumentTypes))
	for i, t := range app.DocumentTypes {
		out[i] = app.DocTypeLabel(t)
	}
	return out
}

// askCoverSheet asks what the cover sheet is for and where to save it.
func (v *patientScreen) askCoverSheet() {
	u := v.sess.a
	kind := newChoice(u, typeLabels(), nil)
	kind.SetSelected(app.DocTypeLabel(app.DocumentTypes[0]))
	date := newEntry(u, "YYYY-MM-DD (optional)")
	pages := newEntry(u, "optional")
	form := formGrid(fieldLabel("Document type"), kind, fieldLabel("Date of service"), date, fieldLabel("Pages"), pages)
	p := v.p
	dlg := dialog.NewCustomConfirm("Print a cover sheet for "+p.MRN, "Save PDF…", "Cancel", form, func(ok bool) {
		if !ok {
			return
		}
		pdf, err := coverSheetPDF(v.sess, p, kind.Selected, date.Text, pages.Text)
		if err != nil {
			u.showError("The cover sheet was not made", err)
			return
		}
		save := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
			if err != nil || w == nil {
				return
			}
			defer w.Close()
			if _, err := w.Write(pdf); err != nil {
				u.showError("The cover sheet was not saved", err)
			}
		}, u.win)
		save.SetFileName("cover-" + p.MRN + ".pdf")
		u.showDialog(save)
	}, u.win)
	dlg.Resize(fyne.NewSize(520, 260))
	u.showDialog(dlg)
}

// coverSheetPDF makes a cover sheet for a patient from the form's values.
func coverSheetPDF(sess *session, p app.Patient, label, date, pages string) ([]byte, error) {
	sheet := app.CoverSheet{MRN: p.MRN, Type: typeSlug(label)}
	if date = strings.TrimSpace(date); date != "" {
		t, err := time.Parse(time.DateOnly, date)
		if err != nil {
			return nil, fmt.Errorf("%w: write the date of service as YYYY-MM-DD", app.ErrInvalid)
		}
		sheet.Date = t
	}
	if pages = strings.TrimSpace(pages); pages != "" {
		n, err := strconv.Atoi(pages)
		if err != nil || n < 0 || n > 10000 {
			return nil, fmt.Errorf("%w: the number of pages must be a whole number", app.ErrInvalid)
		}
		sheet.Pages = n
	}
	var buf bytes.Buffer
	err := printout.CoverSheetPDF(&buf, printout.CoverInfo{Sheet: sheet, PatientName: strings.ToUpper(p.Family) + ", " + p.Given,
		BirthDate: p.BirthDate.String(), TypeLabel: label, PrintedBy: sess.user.Name, PrintedAt: sess.a.now()})
	return buf.Bytes(), err
}
