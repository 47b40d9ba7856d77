package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2/dialog"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/app"
	"folio/printout"
)

// passwordRule is the NIST SP 800-63B rule app enforces, said plainly.
const passwordRule = "At least 8 characters. A passphrase of a few words is best, " +
	"for example \"river lamp quiet morning\". No rules about digits or symbols."

// setupScreen is the first run: it creates the vault and its first
// administrator, then shows the recovery key once.
type setupScreen struct {
	a                      *App
	user, pass, again      *entry
	site                   *entry
	create                 *widget.Button
	join                   *widget.Button // Join an organisation…, when the window can sync
	busy                   *busyNote
	msg                    messageLabel
	box                    fyne.CanvasObject
	onCreated              func(admin, key string)
	passwordHint, siteHint *widget.RichText
}

func newSetupScreen(u *App) *setupScreen {
	s := &setupScreen{a: u}
	s.user = newEntry(u.input, "for example admin or j.okello")
	s.pass = newPasswordEntry(u.input, "")
	s.again = newPasswordEntry(u.input, "")
	s.site = newEntry(u.input, "for example KAB1 (optional)")
	s.user.OnSubmitted = func(string) { u.win.Canvas().Focus(s.pass) }
	s.pass.OnSubmitted = func(string) { u.win.Canvas().Focus(s.again) }
	s.again.OnSubmitted = func(string) { u.win.Canvas().Focus(s.site) }
	s.site.OnSubmitted = func(string) { s.submit() }
	s.busy = newBusyNote()
	s.msg = newMessageLabel()
	s.create = button(u.input, "Create the vault", theme.ConfirmIcon(), widget.HighImportance, s.submit)
	s.passwordHint = muted(passwordRule)
	s.siteHint = muted("Starts every medical record number (MRN) made on this computer. 2 to 6 letters or digits; " +
		"give each workstation its own. Leave it empty to have one chosen for you.")
	s.onCreated = func(admin, key string) { u.show(newRecoveryKeyScreen(u, admin, key)) }

	form := formGrid(
		fieldLabel("Administrator user name"), s.user,
		fieldLabel("Password"), s.pass,
		widget.NewLabel(""), s.passwordHint,
		fieldLabel("Password again"), s.again,
		fieldLabel("MRN site prefix"), s.site,
		widget.NewLabel(""), s.siteHint,
	)
	card := container.NewVBox(
		heading("Set up Folio on this computer"),
		wrapped("Folio keeps this clinic's patient records encrypted on this computer. "+
			"Create the first administrator; other users are added after logging in."),
		widget.NewSeparator(),
		form,
		s.msg,
		container.NewHBox(s.busy.box, layout.NewSpacer(), s.create),
	)
	if u.opts.Sync != nil {
		s.join = button(u.input, "Join an organisation (enrollment file)…", theme.FolderOpenIcon(), widget.MediumImportance, s.askJoin)
		card.Add(widget.NewSeparator())
		card.Add(muted("Is this computer a new workstation of an organisation that already uses Folio? Do not create a " +
			"vault: join theirs with the enrollment file the archive's administrator gave you."))
		card.Add(container.NewHBox(layout.NewSpacer(), s.join))
	}
	s.box = centerCard(u.input, 640, panel(card))
	return s
}

func (s *setupScreen) view() fyne.CanvasObject    { return s.box }
func (s *setupScreen) focusFirst() fyne.Focusable { return s.user }
func (s *setupScreen) forget() {
	s.pass.SetText("")
	s.again.SetText("")
}

// submit checks the form here first (instant answers for the common
// mistakes), then creates the vault off the Fyne goroutine: the password
// hashing takes most of a second.
func (s *setupScreen) submit() {
	if !s.create.Visible() || s.create.Disabled() {
		return
	}
	name, err := app.NormalizeUserName(s.user.Text)
	if err != nil {
		s.fail(err, s.user)
		return
	}
	if !checkNewPassword(s.a, s.msg, name, s.pass, s.again) {
		return
	}
	site := strings.ToUpper(strings.TrimSpace(s.site.Text))
	if site != "" && !app.ValidSitePrefix(site) {
		s.msg.error("The MRN site prefix must be 2 to 6 letters or digits, like KAB1.")
		s.a.win.Canvas().Focus(s.site)
		return
	}
	params := app.CreateParams{Admin: name, Password: []byte(s.pass.Text), SitePrefix: site}
	s.setBusy(true)
	s.a.tasks.run(func() func() {
		ctx := context.Background()
		key, err := s.a.vault.Create(ctx, params)
		clear(params.Password)
		prefix, _ := s.a.vault.SitePrefix(ctx)
		return func() {
			s.setBusy(false)
			if err != nil {
				s.fail(err, nil)
				return
			}
			s.a.site = prefix
			s.a.head.setSite(prefix)
			s.forget()
			s.onCreated(name, key)
		}
	})
}

func (s *setupScreen) fail(err error, focus fyne.Focusable) {
	s.msg.error(message(err))
	if focus != nil {
		s.a.win.Canvas().Focus(focus)
	}
}

func (s *setupScreen) setBusy(busy bool) {
	setEnabled(!busy, s.user, s.pass, s.again, s.site, s.create)
	if busy {
		s.msg.clear()
		s.busy.start("Creating the vault…")
	} else {
		s.busy.stop()
	}
}

// recoveryKeyScreen shows the recovery key once, large, and lets the
// administrator go on only after ticking that it is written down.
type recoveryKeyScreen struct {
	a       *App
	admin   string
	key     *widget.RichText
	keyText string // the key itself, for its PDF; cleared by forget
	done    *check
	proceed *widget.Button
	print   *widget.Button
	savePDF *widget.Button
	msg     messageLabel
	box     fyne.CanvasObject
}

func newRecoveryKeyScreen(u *App, admin, key string) *recoveryKeyScreen {
	r := &recoveryKeyScreen{a: u, admin: admin, keyText: key, msg: newMessageLabel()}
	r.print = printButton(u.input, "Print", func() {
		sendToPrinter(context.Background(), u, "the recovery key", r.msg, recoveryKeyPDF(r.info()), r.askSave)
	})
	r.savePDF = button(u.input, "Save as PDF to print…", theme.DocumentSaveIcon(), widget.LowImportance, r.askSave)
	r.key = keyText(keyLines(key))
	r.proceed = button(u.input, "Continue to log in", theme.NavigateNextIcon(), widget.HighImportance, r.next)
	r.proceed.Disable()
	r.done = newCheck(u.input, "I have written down the recovery key and will keep it somewhere safe", func(on bool) { setEnabled(on, r.proceed) })
	steps := wrapped("This key is shown only now. Write it on paper or print this screen, check every character, " +
		"and lock it away from this computer (a safe, or with the clinic's important papers).\n\n" +
		"It is the only way back in if every administrator forgets their password: " +
		"\"Forgot password? Use the recovery key\" on the login screen asks for it. " +
		"Anyone who has it can open every record, so never keep it next to the computer or in a file on it.")
	keyBox := banner(bannerInfo, nil, container.NewPadded(r.key))
	r.box = centerCard(u.input, 700, panel(container.NewVBox(
		heading("The recovery key of this vault"),
		keyBox,
		steps,
		container.NewHBox(r.print, r.savePDF),
		r.msg.Label,
		widget.NewSeparator(),
		r.done,
		container.NewHBox(layout.NewSpacer(), r.proceed),
	)))
	return r
}

// keyLines writes a recovery key "AAAA-BBBB-…" in lines of three groups,
// which fit on a screen and are easier to copy by hand (dashes and line
// breaks do not matter when the key is typed back).
func keyLines(key string) string {
	groups := strings.Split(key, "-")
	var lines []string
	for i := 0; i < len(groups); i += 3 {
		end := min(i+3, len(groups))
		lines = append(lines, strings.Join(groups[i:end], "-"))
	}
	return strings.Join(lines, "\n")
}

func (r *recoveryKeyScreen) view() fyne.CanvasObject    { return r.box }
func (r *recoveryKeyScreen) focusFirst() fyne.Focusable { return r.done }
func (r *recoveryKeyScreen) forget() {
	r.keyText = ""
	r.key.Segments = nil
	r.key.Refresh()
}

// info is what the recovery key sheet shows.
func (r *recoveryKeyScreen) info() printout.RecoveryKeyInfo {
	return printout.RecoveryKeyInfo{Key: r.keyText, Site: r.a.site, IssuedBy: r.admin, IssuedAt: r.a.now()}
}

// askSave asks where to save the recovery key sheet and writes it there.
func (r *recoveryKeyScreen) askSave() {
	u := r.a
	save := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		_, pdf, err := recoveryKeyPDF(r.info())(context.Background())
		if err == nil {
			_, err = w.Write(pdf)
		}
		clear(pdf)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			r.msg.error("The PDF was not saved: " + message(err))
			return
		}
		r.msg.info("Saved. Print it, check it against the screen, then delete the file.")
	}, u.win)
	save.SetFileName("folio-recovery-key.pdf")
	u.dialogs.showDialog(save)
}

func (r *recoveryKeyScreen) next() {
	if !r.done.Checked {
		return
	}
	r.a.show(newLoginScreen(r.a, r.admin, "The vault is ready. Log in as "+r.admin+"."))
}
