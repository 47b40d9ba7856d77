package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
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

// This file is the Settings section of Administration (administrators
// only): the workstation's settings, each with its current value, a field,
// Save, and a message under it; and the recovery key: what it is, how it is
// used, and issuing a new one. The Users section is users.go; the two share
// the bar at the top (adminBar) with the Sync section (syncadmin.go), the
// Audit section (audit.go) and the Integrity check (integrity.go), and
// Ctrl+1 … Ctrl+5 switch between them.

// Limits of the auto-lock, in minutes (app.Settings.SetIdleLock's).
const (
	minIdleMinutes = 1
	maxIdleMinutes = 8 * 60
)

// adminSection is one of the screens of Administration.
type adminSection int

const (
	adminUsers adminSection = iota
	adminSettings
	adminSync // only on a window wired to the syncer
	adminAudit
	adminIntegrity
)

// adminBar is the top of the Administration screens: back to the search,
// the title, and under them the sections as tabs, the current one
// highlighted (on a line of their own, to fit a 1024-pixel window).
func adminBar(u *App, cur adminSection) fyne.CanvasObject {
	back := button(u.input, "Back to search  (Esc)", theme.NavigateBackIcon(), widget.LowImportance, u.nav.showSearch)
	tabs := map[adminSection]*widget.Button{
		adminUsers:     button(u.input, "Users   Ctrl+1", theme.AccountIcon(), widget.LowImportance, u.nav.showUsers),
		adminSettings:  button(u.input, "Settings   Ctrl+2", theme.SettingsIcon(), widget.LowImportance, u.nav.showSettings),
		adminAudit:     button(u.input, "Audit   Ctrl+4", theme.ListIcon(), widget.LowImportance, u.nav.showAudit),
		adminIntegrity: button(u.input, "Check   Ctrl+5", theme.ConfirmIcon(), widget.LowImportance, u.nav.showIntegrity),
	}
	if u.opts.Sync != nil {
		tabs[adminSync] = button(u.input, "Sync   Ctrl+3", theme.ViewRefreshIcon(), widget.LowImportance, u.nav.showSyncAdmin)
	}
	tabs[cur].Importance = widget.HighImportance
	bar := container.NewHBox()
	for sec := adminUsers; sec <= adminIntegrity; sec++ {
		if t, ok := tabs[sec]; ok {
			bar.Add(t)
		}
	}
	title := widget.NewLabelWithStyle("Administration", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.SizeName = sizeNameTitle
	return container.NewVBox(container.NewHBox(back, title), bar)
}

// adminShortcut switches between the sections: Ctrl+1 Users, Ctrl+2
// Settings, Ctrl+3 Sync, Ctrl+4 Audit, Ctrl+5 Integrity check.
func adminShortcut(u *App, k fyne.KeyName) bool {
	return keyActions{
		fyne.Key1: u.nav.showUsers,
		fyne.Key2: u.nav.showSettings,
		fyne.Key3: when(u.opts.Sync != nil, u.nav.showSyncAdmin),
		fyne.Key4: u.nav.showAudit,
		fyne.Key5: u.nav.showIntegrity,
	}.run(k)
}

// settingLabelW is the width of the settings' label column.
const settingLabelW = 110

// setting is the part every setting has: the value saved now, the field
// that changes it, Save, a message for what went wrong or right, and put,
// which shows the vault's values in the label and the field.
type setting struct {
	now   *widget.Label
	field *entry
	save  *widget.Button
	msg   messageLabel
	put   func(settingsValues)
}

func newSetting(u *App, placeholder string, save func()) *setting {
	now := widget.NewLabelWithStyle("…", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	now.Wrapping = fyne.TextWrapWord
	field := newEntry(u.input, placeholder)
	field.OnSubmitted = func(string) { save() }
	b := button(u.input, "Save", theme.DocumentSaveIcon(), widget.HighImportance, save)
	b.Disable() // until the current values are loaded
	return &setting{now: now, field: field, save: b, msg: newMessageLabel()}
}

// section lays a setting out on a card: title, what it does, the value
// now, the field (or, if given, what holds it) with Save beside it,
// anything else, and the message.
func (st *setting) section(title, about string, field fyne.CanvasObject, more ...fyne.CanvasObject) fyne.CanvasObject {
	if field == nil {
		field = st.field
	}
	items := []fyne.CanvasObject{
		heading(title),
		muted(about),
		formGrid(
			fieldLabelW("Now", settingLabelW), st.now,
			fieldLabelW("Change to", settingLabelW), container.NewBorder(nil, nil, nil, st.save, field),
		),
	}
	items = append(items, more...)
	items = append(items, st.msg.Label)
	return panel(container.NewVBox(items...))
}

// settingsValues are the settings as the vault returns them.
type settingsValues struct {
	site    string
	intake  app.IntakeSettings
	idle    time.Duration
	workers int
	archive string
	codes   app.BarcodeSettings
}

// settingsScreen is the Settings section of Administration.
type settingsScreen struct {
	adminPage
	box fyne.CanvasObject
	// loaded is what the vault returned when the screen last read it.
	loaded settingsValues

	site, drop, idle, workers, archive *setting
	archiveIDs                         *setting
	splitIDs                           *check // an archive ID starts a document

	keep       *check
	chooseDrop *widget.Button
	idleOver   *widget.Label // says when the window's own idle limit wins

	newKey     *widget.Button
	keyMsg     messageLabel
	confirmKey *dialog.ConfirmDialog
	keyDlg     *recoveryKeyDialog // the last new key shown

	backup *backupCard // nil on a window without Options.Backup
}

func newSettingsScreen(sess *session) *settingsScreen {
	u := sess.a
	s := &settingsScreen{adminPage: newAdminPage(sess)}

	s.site = newSetting(u, "2 to 6 letters or digits, like KAB1", s.saveSite)
	s.site.put = func(v settingsValues) {
		s.site.now.SetText(v.site)
		s.site.field.SetText(v.site)
	}

	s.drop = newSetting(u, "full path of the folder, or empty for none", s.saveDrop)
	s.keep = newCheck(u.input, "Leave files in the folder after import", nil)
	s.chooseDrop = button(u.input, "Choose…", theme.FolderOpenIcon(), widget.MediumImportance, s.askDropFolder)
	s.drop.put = func(v settingsValues) {
		switch {
		case v.intake.DropFolder == "":
			s.drop.now.SetText("None: no folder is watched")
		case v.intake.Keep:
			s.drop.now.SetText(visible.Line(v.intake.DropFolder) + "  (files left there after import)")
		default:
			s.drop.now.SetText(visible.Line(v.intake.DropFolder) + "  (files removed after import)")
		}
		s.drop.field.SetText(v.intake.DropFolder)
		s.keep.SetChecked(v.intake.Keep)
	}

	s.idle = newSetting(u, "minutes, 1 to 480", s.saveIdle)
	s.idleOver = wrapped("")
	s.idleOver.Importance = widget.WarningImportance
	s.idleOver.Hide()
	s.idle.put = func(v settingsValues) {
		s.idle.now.SetText(durationText(v.idle))
		s.idle.field.SetText(strconv.Itoa(int(v.idle.Round(time.Minute) / time.Minute)))
		if over := u.opts.IdleLock; over > 0 {
			s.idleOver.SetText("This window was started with an idle limit of " + durationText(over) +
				", which it keeps instead of this setting.")
			s.idleOver.Show()
		}
	}

	s.workers = newSetting(u, fmt.Sprintf("0 to %d; 0 is one per processor core", app.MaxScanWorkers), s.saveWorkers)
	s.workers.put = func(v settingsValues) {
		s.workers.now.SetText(workersText(v.workers))
		s.workers.field.SetText(strconv.Itoa(v.workers))
	}

	s.archive = newSetting(u, "archive.example.org:8443 or https://archive.example.org, or empty for none", s.saveArchive)
	s.archive.put = func(v settingsValues) {
		if v.archive == "" {
			s.archive.now.SetText("None")
		} else {
			s.archive.now.SetText(v.archive)
		}
		s.archive.field.SetText(v.archive)
	}

	s.newArchiveIDs()

	s.newKey = button(u.input, "Issue a new recovery key…", theme.WarningIcon(), widget.WarningImportance, s.askNewKey)
	s.keyMsg = newMessageLabel()

	var archiveMore []fyne.CanvasObject
	if u.opts.StartSync == nil {
		archiveMore = append(archiveMore, banner(bannerInfo, theme.InfoIcon(),
			wrapped("Sync is not built yet on this workstation; the address is kept for it.")))
	} else if u.opts.Sync != nil {
		archiveMore = append(archiveMore, muted("The enrollment file names the archive's address; change it here only "+
			"when the archive moved. Enroll this workstation on the Sync page (Ctrl+3)."))
	}
	sections := container.NewVBox(
		adminBar(u, adminSettings),
		s.site.section("MRN site prefix",
			"Starts every new medical record number (MRN) made on this computer: 2 to 6 letters or digits, "+
				"a different one on each workstation so that two computers never issue the same MRN. "+
				"Only MRNs issued from now on use a new prefix; patients registered before keep their MRNs.",
			nil),
		s.drop.section("Scanner drop folder",
			"The folder the scanner saves into. Folio imports each new file, stores it encrypted and puts it "+
				"in the indexing queue. Leave it empty to watch no folder. Unless files are left there, each is "+
				"removed once stored, so no unencrypted scan stays on this computer. "+
				"A change takes effect from the next sign-in.",
			container.NewBorder(nil, nil, nil, s.chooseDrop, s.drop.field),
			formGrid(fieldLabelW("", settingLabelW), container.NewHBox(s.keep))),
		s.idle.section("Automatic lock",
			"Lock the window after this many minutes without use (1 to 480), so that nobody reads records "+
				"on a computer left alone. Takes effect at once.",
			nil, s.idleOver),
		s.workers.section("Scan workers",
			fmt.Sprintf("How many scanned files Folio reads at the same time: 1 to %d, or 0 for one per processor core "+
				"(this computer has %s). Fewer leaves more of the computer for other work. "+
				"Takes effect the next time Folio starts.", app.MaxScanWorkers, plural(runtime.NumCPU(), "core", "cores")),
			nil),
		s.archive.section("Archive address",
			"The organisation's archive server, which this workstation syncs with: host:port "+
				"(like archive.example.org:8443) or an https:// address. Leave it empty for none.",
			nil, archiveMore...),
		s.archiveIDsSection(),
		panel(container.NewVBox(
			heading("Recovery key"),
			wrapped("The recovery key is a long code made when Folio was set up on this computer, and kept on paper "+
				"away from it. It is the way back in when a password is forgotten and no administrator can reset it, "+
				"for example when the only administrator forgets theirs."),
			wrapped("To use it: on the login screen choose \"Forgot password? Use the recovery key\", then type the "+
				"user name, the key and a new password twice. The reset is recorded in the audit trail. "+
				"(On the command line: folio user recover NAME.)"),
			wrapped("Issue a new key when the paper is lost, may have been seen by someone else, or a person who "+
				"knew it leaves. The old key stops working at once, and the new one is shown only once: have paper "+
				"or a printer ready."),
			container.NewHBox(layout.NewSpacer(), s.newKey),
			s.keyMsg.Label,
		)),
	)
	if u.opts.Backup != nil {
		s.backup = newBackupCard(s)
		sections.Add(s.backup.box)
	}
	s.box = scrollingColumn(u, 900, sections)
	s.reload()
	return s
}

func (s *settingsScreen) view() fyne.CanvasObject    { return s.box }
func (s *settingsScreen) focusFirst() fyne.Focusable { return s.site.field }

// forget has nothing to drop: no patient data is shown here, and a new
// recovery key lives only in its dialog, which forgets it when it closes
// (Done, or the window locking). Leaving the screen while the dialog is
// open keeps the key on show until the administrator has written it down.
func (s *settingsScreen) forget() {}

func (s *settingsScreen) settings() []*setting {
	return []*setting{s.site, s.drop, s.idle, s.workers, s.archive, s.archiveIDs}
}

// readSettings reads every setting from the vault (not PHI; no session
// needed).
func readSettings(ctx context.Context, v *app.Vault) (settingsValues, error) {
	site, err := v.SitePrefix(ctx)
	if err != nil {
		return settingsValues{}, err
	}
	return settingsValues{site: site, intake: v.IntakeSettings(ctx), idle: v.IdleLock(ctx),
		workers: v.ScanWorkers(ctx), archive: v.ArchiveAddress(ctx), codes: v.BarcodeSettings(ctx)}, nil
}

// reload reads the settings off the Fyne goroutine and shows them all.
func (s *settingsScreen) reload() {
	sess, v := s.sess, s.sess.a.vault
	sess.run(func(ctx context.Context) func() {
		vals, err := readSettings(ctx, v)
		return func() {
			if err != nil {
				s.site.msg.error("The settings could not be read: " + message(err))
				return
			}
			s.loaded = vals
			for _, st := range s.settings() {
				st.put(vals)
				st.save.Enable()
			}
		}
	})
}

// store runs a save off the Fyne goroutine; when it worked, it reads the
// settings back, shows this one's new value (the other sections keep what
// is typed in them) and says ok(the values) under it.
func (s *settingsScreen) store(st *setting, save func(ctx context.Context) error, ok func(settingsValues) string) {
	sess, v := s.sess, s.sess.a.vault
	st.msg.clear()
	st.save.Disable()
	sess.run(func(ctx context.Context) func() {
		err := save(ctx)
		var vals settingsValues
		if err == nil {
			vals, err = readSettings(ctx, v)
		}
		return func() {
			st.save.Enable()
			if err != nil {
				st.msg.error(message(err))
				return
			}
			s.loaded = vals
			st.put(vals)
			st.msg.info(ok(vals))
		}
	})
}

// refuse says why a typed value is not saved, under its setting.
func (s *settingsScreen) refuse(st *setting, msg string) {
	st.msg.error(msg + " Nothing was changed.")
	s.sess.a.win.Canvas().Focus(st.field)
}

func (s *settingsScreen) saveSite() {
	if s.site.save.Disabled() {
		return
	}
	prefix := strings.ToUpper(strings.TrimSpace(s.site.field.Text))
	if !app.ValidSitePrefix(prefix) {
		s.refuse(s.site, "The MRN site prefix must be 2 to 6 letters or digits, like KAB1.")
		return
	}
	u, sess := s.sess.a, s.sess
	s.store(s.site, func(ctx context.Context) error { return sess.s.Settings().SetSitePrefix(ctx, prefix) },
		func(vals settingsValues) string {
			u.site = vals.site
			u.head.setSite(vals.site)
			return "Saved. MRNs issued from now on start with " + vals.site + "-; existing MRNs keep theirs."
		})
}

func (s *settingsScreen) saveDrop() {
	if s.drop.save.Disabled() {
		return
	}
	dir := strings.TrimSpace(s.drop.field.Text)
	keep := s.keep.Checked
	if dir != "" && !filepath.IsAbs(dir) {
		s.refuse(s.drop, "Give the full path of the folder, like "+exampleFolder()+".")
		return
	}
	sess := s.sess
	s.store(s.drop, func(ctx context.Context) error {
		if dir != "" {
			if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
				return app.Invalidf("there is no folder %s on this computer; create it first or check the path. Nothing was changed",
					dir)
			}
		}
		return sess.s.Settings().SetIntakeSettings(ctx, app.IntakeSettings{DropFolder: dir, Keep: keep})
	}, func(vals settingsValues) string {
		if vals.intake.DropFolder == "" {
			return "Saved. No folder is watched from the next sign-in."
		}
		return "Saved. Folio watches " + vals.intake.DropFolder + " from the next sign-in."
	})
}

func exampleFolder() string {
	if runtime.GOOS == "windows" {
		return `C:\Scans`
	}
	return "/home/scans"
}

// askDropFolder lets the administrator pick the drop folder.
func (s *settingsScreen) askDropFolder() {
	u := s.sess.a
	d := dialog.NewFolderOpen(func(dir fyne.ListableURI, err error) {
		if err != nil || dir == nil {
			return
		}
		s.drop.field.SetText(dir.Path())
		u.win.Canvas().Focus(s.drop.field)
	}, u.win)
	u.dialogs.showDialog(d)
}

func (s *settingsScreen) saveIdle() {
	if s.idle.save.Disabled() {
		return
	}
	n, err := strconv.Atoi(strings.TrimSpace(s.idle.field.Text))
	if err != nil || n < minIdleMinutes || n > maxIdleMinutes {
		s.refuse(s.idle, fmt.Sprintf("Type a whole number of minutes from %d to %d (8 hours).", minIdleMinutes, maxIdleMinutes))
		return
	}
	u, sess := s.sess.a, s.sess
	s.store(s.idle, func(ctx context.Context) error {
		return sess.s.Settings().SetIdleLock(ctx, time.Duration(n)*time.Minute)
	}, func(vals settingsValues) string {
		// The session's limit changes now; the window's own override,
		// when it has one, still wins.
		u.input.touch()
		if u.opts.IdleLock > 0 {
			sess.idle = u.opts.IdleLock
			return "Saved: " + durationText(vals.idle) + ". This window keeps its own limit of " +
				durationText(u.opts.IdleLock) + "; other windows use the setting from their next sign-in."
		}
		sess.idle = vals.idle
		return "Saved. The window now locks after " + durationText(vals.idle) + " without use."
	})
}

func (s *settingsScreen) saveWorkers() {
	if s.workers.save.Disabled() {
		return
	}
	n, err := strconv.Atoi(strings.TrimSpace(s.workers.field.Text))
	if err != nil || n < 0 || n > app.MaxScanWorkers {
		s.refuse(s.workers, fmt.Sprintf("Type a whole number from 0 to %d (0 is one per processor core).", app.MaxScanWorkers))
		return
	}
	sess := s.sess
	s.store(s.workers, func(ctx context.Context) error { return sess.s.Settings().SetScanWorkers(ctx, n) },
		func(vals settingsValues) string {
			return "Saved. " + workersText(vals.workers) + " from the next time Folio starts."
		})
}

func (s *settingsScreen) saveArchive() {
	if s.archive.save.Disabled() {
		return
	}
	addr := s.archive.field.Text
	if _, err := app.ParseArchiveAddress(addr); err != nil {
		s.refuse(s.archive, message(err))
		return
	}
	sess := s.sess
	s.store(s.archive, func(ctx context.Context) error { return sess.s.Settings().SetArchiveAddress(ctx, addr) },
		func(vals settingsValues) string {
			if sess.a.opts.StartSync != nil {
				sess.startSync() // connect to the new address now
				if vals.archive == "" {
					return "Saved. Sync uses the address of the enrollment file from now on."
				}
				return "Saved. Sync uses " + vals.archive + " from now on."
			}
			msg := "Saved. The archive address is " + vals.archive + "."
			if vals.archive == "" {
				msg = "Saved. This workstation has no archive."
			}
			return msg + " Sync is not built yet on this workstation; the address is kept for it."
		})
}

// askNewKey confirms, then issues a new recovery key and shows it once.
func (s *settingsScreen) askNewKey() {
	u := s.sess.a
	d := dialog.NewConfirm("Issue a new recovery key?",
		"The current recovery key stops working at once: its paper becomes useless. The new key is shown only "+
			"once, so have paper or a printer ready.",
		func(ok bool) {
			if ok {
				s.issueKey()
			}
		}, u.win)
	d.SetConfirmText("Issue a new key")
	d.SetDismissText("Cancel")
	s.confirmKey = d
	u.dialogs.showDialog(d)
}

func (s *settingsScreen) issueKey() {
	sess := s.sess
	s.newKey.Disable()
	s.keyMsg.clear()
	sess.run(func(ctx context.Context) func() {
		key, err := sess.s.Settings().RotateRecoveryKey(ctx)
		return func() {
			s.newKey.Enable()
			if err != nil {
				s.keyMsg.error("No new key was issued: " + message(err))
				return
			}
			s.keyMsg.info("A new recovery key was issued at " + sess.a.now().Format("15:04") +
				". The previous key no longer works.")
			s.keyDlg = newRecoveryKeyDialog(sess, key)
		}
	})
}

// recoveryKeyDialog shows a newly issued recovery key once, in the look of
// the first-run recovery key screen, with a printable PDF; it can be
// closed only once the administrator ticks that the key is written down.
type recoveryKeyDialog struct {
	sess    *session
	key     string
	text    *widget.RichText
	done    *check
	close   *widget.Button
	savePDF *widget.Button
	print   *widget.Button
	msg     messageLabel
	dlg     *dialog.CustomDialog
}

func newRecoveryKeyDialog(sess *session, key string) *recoveryKeyDialog {
	u := sess.a
	r := &recoveryKeyDialog{sess: sess, key: key, msg: newMessageLabel()}
	r.text = keyText(keyLines(key))
	r.close = button(u.input, "Done", theme.ConfirmIcon(), widget.HighImportance, func() { r.dlg.Hide() })
	r.close.Disable()
	r.done = newCheck(u.input, "I have written down or printed the new recovery key and will keep it somewhere safe", func(on bool) { setEnabled(on, r.close) })
	r.savePDF = button(u.input, "Save as PDF to print…", theme.DocumentSaveIcon(), widget.MediumImportance, r.askSave)
	r.print = printButton(u.input, "Print", func() {
		info := printout.RecoveryKeyInfo{Key: r.key, Site: u.site, IssuedBy: sess.user.Name, IssuedAt: u.now()}
		sendToPrinter(sess.ctx, u, "the recovery key", r.msg, recoveryKeyPDF(info), r.askSave)
	})
	steps := wrapped("This key is shown only now. Write it on paper or print it, check every character, and lock it " +
		"away from this computer. The previous recovery key no longer works: destroy its paper.\n\n" +
		"Anyone who has this key can open every record. If you save it as a PDF to print, print it and then delete the file.")
	content := container.NewVBox(
		banner(bannerInfo, nil, container.NewPadded(r.text)),
		steps,
		container.NewHBox(r.savePDF, r.print),
		r.msg.Label,
		widget.NewSeparator(),
		r.done,
	)
	r.dlg = dialog.NewCustomWithoutButtons("The new recovery key of this vault",
		container.NewBorder(nil, container.NewHBox(layout.NewSpacer(), r.close), nil, nil, content), u.win)
	r.dlg.SetOnClosed(r.forget)
	r.dlg.Resize(fyne.NewSize(700, 0))
	u.dialogs.showDialog(r.dlg)
	u.win.Canvas().Focus(r.done)
	return r
}

// forget drops the key from the dialog's memory and widgets.
func (r *recoveryKeyDialog) forget() {
	r.key = ""
	r.text.Segments = nil
	r.text.Refresh()
}

// askSave asks where to save the recovery key sheet.
func (r *recoveryKeyDialog) askSave() {
	u := r.sess.a
	save := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		r.save(w)
	}, u.win)
	save.SetFileName("folio-recovery-key.pdf")
	u.dialogs.showDialog(save)
}

// save writes the recovery key sheet to w off the Fyne goroutine and
// closes w.
func (r *recoveryKeyDialog) save(w io.WriteCloser) {
	if r.key == "" {
		w.Close()
		return
	}
	u := r.sess.a
	info := printout.RecoveryKeyInfo{Key: r.key, Site: u.site, IssuedBy: r.sess.user.Name, IssuedAt: u.now()}
	r.sess.run(func(context.Context) func() {
		var buf bytes.Buffer
		err := printout.RecoveryKeyPDF(&buf, info)
		if err == nil {
			_, err = w.Write(buf.Bytes())
		}
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		clear(buf.Bytes())
		return func() {
			if err != nil {
				r.msg.error("The PDF was not saved: " + message(err))
				return
			}
			r.msg.info("Saved. Print it, check it against the screen, then delete the file.")
		}
	})
}

// recoveryKeyPDF makes the recovery key sheet of info for printing.
func recoveryKeyPDF(info printout.RecoveryKeyInfo) func(context.Context) (string, []byte, error) {
	return func(context.Context) (string, []byte, error) {
		if info.Key == "" {
			return "", nil, errors.New("the recovery key is no longer shown; issue a new one")
		}
		var buf bytes.Buffer
		err := printout.RecoveryKeyPDF(&buf, info)
		return "Folio recovery key", buf.Bytes(), err
	}
}

func workersText(n int) string {
	if n == 0 {
		return "One per processor core (" + strconv.Itoa(runtime.NumCPU()) + " on this computer)"
	}
	return plural(n, "scan worker", "scan workers")
}
