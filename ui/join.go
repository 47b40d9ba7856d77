package ui

import (
	"context"
	"errors"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/app"
	"folio/visible"
)

// This file is the first run of a new workstation that joins an
// organisation already using Folio ('folio init --join FILE' on the
// command line): the enrollment file and the user who will open the vault
// here (joinScreen), then the wait for an administrator to send the vault
// keys (joinWaitScreen), which shows the key fingerprint to compare and
// asks the archive for the keys until they arrive. The keys open with the
// joining user's password, the first sync brings the users and records,
// and the login follows.

// defaultJoinPoll is how often the waiting screen asks the archive.
const defaultJoinPoll = 15 * time.Second

// joinAskTimeout bounds one question to the archive.
const joinAskTimeout = 20 * time.Second

// firstRunScreen is the screen of a vault not created yet: the wait for
// the keys when this workstation asked for them (Folio was closed
// meanwhile), else the setup.
func (u *App) firstRunScreen(ctx context.Context) screen {
	if u.opts.Sync != nil {
		if req, ok, err := u.vault.JoinPending(ctx); err == nil && ok {
			var station, org string
			if st, err := u.opts.Sync.State(ctx); err == nil && st.Enrolled {
				station, org = st.Enrollment.Workstation, st.Enrollment.Org
			}
			w := newJoinWaitScreen(u, req, nil, station, org)
			if u.joinPoll > 0 {
				w.check()
			}
			return w
		}
	}
	return newSetupScreen(u)
}

// askJoin lets the person pick the enrollment file, reads it and shows
// the join form.
func (s *setupScreen) askJoin() { pickEnrollment(s.a, s.msg) }

// pickEnrollment asks for an enrollment file, reads it off the Fyne
// goroutine and shows the join form; a file that cannot be used is said
// in msg.
func pickEnrollment(u *App, msg messageLabel) {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		path := r.URI().Path()
		r.Close()
		readJoinFile(u, path, msg)
	}, u.win)
	u.dialogs.showDialog(d)
}

// readJoinFile reads the enrollment file at path and shows the join form.
func readJoinFile(u *App, path string, msg messageLabel) {
	sync := u.opts.Sync
	u.tasks.run(func() func() {
		e, err := sync.ReadEnrollment(path)
		return func() {
			if err != nil {
				msg.error("This file cannot be used to join: " + message(err) +
					" Ask the archive's administrator for this workstation's .enroll file ('folio-archive device add').")
				return
			}
			u.show(newJoinScreen(u, path, e))
		}
	})
}

// joinScreen shows what the enrollment file says and asks for the user
// who will open the vault on this workstation.
type joinScreen struct {
	a          *App
	path       string
	enr        app.Enrollment
	user, pass *entry
	again      *entry
	joinBtn    *widget.Button
	busy       *widget.Activity
	msg        messageLabel
	box        fyne.CanvasObject
}

func newJoinScreen(u *App, path string, e app.Enrollment) *joinScreen {
	j := &joinScreen{a: u, path: path, enr: e, msg: newMessageLabel()}
	j.user = newEntry(u.input, "your user name in the organisation, for example j.okello")
	j.pass = newPasswordEntry(u.input, "")
	j.again = newPasswordEntry(u.input, "")
	j.user.OnSubmitted = func(string) { u.win.Canvas().Focus(j.pass) }
	j.pass.OnSubmitted = func(string) { u.win.Canvas().Focus(j.again) }
	j.again.OnSubmitted = func(string) { j.submit() }
	j.busy = widget.NewActivity()
	j.busy.Hide()
	j.joinBtn = button(u.input, "Join and ask for the keys", theme.ConfirmIcon(), widget.HighImportance, j.submit)
	back := button(u.input, "Back  (Esc)", theme.NavigateBackIcon(), widget.LowImportance, func() { j.escape() })
	ca := wrapped(e.CAFingerprint)
	ca.TextStyle = fyne.TextStyle{Monospace: true}
	j.box = centerCard(u.input, 680, panel(container.NewVBox(
		heading("Join "+visible.Line(e.Org)),
		wrapped("This computer becomes the workstation "+visible.Line(e.Workstation)+" of "+visible.Line(e.Org)+". Its vault stays empty until "+
			"an administrator on an enrolled workstation sends it the keys; then the records arrive from the archive."),
		formGrid(
			fieldLabel("Organisation"), widget.NewLabel(visible.Line(e.Org)),
			fieldLabel("This workstation"), widget.NewLabel(visible.Line(e.Workstation)),
			fieldLabel("Archive"), widget.NewLabel(visible.Line(e.Address)),
			fieldLabel("CA fingerprint"), ca,
		),
		widget.NewSeparator(),
		wrapped("Who opens the vault here the first time? Use your user name in the organisation and choose a "+
			"password for this workstation: it opens the keys when they arrive."),
		formGrid(
			fieldLabel("User name"), j.user,
			fieldLabel("Password"), j.pass,
			widget.NewLabel(""), muted(passwordRule),
			fieldLabel("Password again"), j.again,
		),
		j.msg.Label,
		container.NewHBox(back, container.NewCenter(j.busy), layout.NewSpacer(), j.joinBtn),
	)))
	return j
}

func (j *joinScreen) view() fyne.CanvasObject    { return j.box }
func (j *joinScreen) focusFirst() fyne.Focusable { return j.user }
func (j *joinScreen) forget() {
	j.pass.SetText("")
	j.again.SetText("")
}

// escape goes back to the setup.
func (j *joinScreen) escape() bool {
	if j.joinBtn.Disabled() {
		return false
	}
	j.a.show(newSetupScreen(j.a))
	return true
}

// submit prepares the join key (the password hashing takes a moment),
// keeps the enrollment and asks the archive for the keys, off the Fyne
// goroutine.
func (j *joinScreen) submit() {
	if j.joinBtn.Disabled() {
		return
	}
	u := j.a
	name, err := app.NormalizeUserName(j.user.Text)
	if err != nil {
		j.msg.error(message(err))
		u.win.Canvas().Focus(j.user)
		return
	}
	if !checkNewPassword(u, j.msg, name, j.pass, j.again) {
		return
	}
	pw := []byte(j.pass.Text)
	v, sync, path := u.vault, u.opts.Sync, j.path
	j.setBusy(true)
	u.tasks.run(func() func() {
		ctx := context.Background()
		req, err := v.PrepareJoin(ctx, name, pw)
		if err == nil {
			_, err = sync.Enroll(path)
		}
		var grant *app.VaultGrant
		var askErr error
		if err == nil {
			actx, cancel := context.WithTimeout(ctx, joinAskTimeout)
			grant, askErr = sync.AskForKeys(actx, req.PublicKey)
			cancel()
		}
		return func() {
			j.setBusy(false)
			if err != nil {
				clear(pw)
				j.msg.error("This workstation did not join: " + message(err))
				return
			}
			j.forget()
			w := newJoinWaitScreen(u, req, pw, j.enr.Workstation, j.enr.Org)
			u.show(w)
			w.answer(grant, askErr)
		}
	})
}

func (j *joinScreen) setBusy(busy bool) {
	if busy {
		j.msg.clear()
	}
	setEnabled(!busy, j.user, j.pass, j.again, j.joinBtn)
	spin(j.busy, busy)
}

// joinWaitScreen waits for the vault keys: it shows the fingerprint of
// this workstation's join key, for the administrator to compare before
// approving, and asks the archive every joinPoll (or on Check now). When
// the keys arrive they open with the joining user's password — the one
// typed in the join form, held until then, or typed here after a
// restart — and the first sync runs before the login shows.
type joinWaitScreen struct {
	a       *App
	req     app.JoinRequest
	station string // this workstation's name at the archive
	org     string
	pw      []byte          // the joining user's password, while held
	grant   *app.VaultGrant // the keys, once they arrived
	// first is the session of the opened keys while the first sync has
	// not completed.
	first *app.Session

	intro    *widget.Label
	finger   *widget.RichText
	status   messageLabel
	checked  *widget.Label
	checkBtn *widget.Button
	other    *widget.Button
	busy     *widget.Activity
	passBox  *fyne.Container
	pass     *entry
	openBtn  *widget.Button
	box      fyne.CanvasObject

	working  bool
	stopPoll func()
	gone     bool
}

// newJoinWaitScreen waits for the keys of req; pw is the password held
// from the join form, station and org what the enrollment file said (all
// after a restart the password is nil, and asked when the keys arrive).
func newJoinWaitScreen(u *App, req app.JoinRequest, pw []byte, station, org string) *joinWaitScreen {
	w := &joinWaitScreen{a: u, req: req, pw: pw, station: station, org: org, status: newMessageLabel()}
	if station == "" {
		w.station = "this workstation"
	}
	w.intro = wrapped("")
	w.finger = keyText(req.Fingerprint)
	w.checked = widget.NewLabel("")
	w.checked.Importance = widget.LowImportance
	w.checkBtn = button(u.input, "Check now", theme.ViewRefreshIcon(), widget.HighImportance, w.check)
	w.other = button(u.input, "Use another enrollment file…", theme.FolderOpenIcon(), widget.LowImportance, func() { pickEnrollment(u, w.status) })
	w.busy = widget.NewActivity()
	w.busy.Hide()
	w.pass = newPasswordEntry(u.input, "")
	w.pass.OnSubmitted = func(string) { w.openWithTyped() }
	w.openBtn = button(u.input, "Open the keys", theme.ConfirmIcon(), widget.HighImportance, w.openWithTyped)
	w.passBox = container.NewVBox(
		wrapped("The keys arrived. Type the password chosen for "+visible.Line(req.User)+" when this workstation joined: it opens them."),
		container.NewBorder(nil, nil, fieldLabel("Password of "+req.User), w.openBtn, w.pass),
	)
	w.passBox.Hide()
	w.describe()
	w.box = centerCard(u.input, 700, panel(container.NewVBox(
		heading("Waiting for the vault keys"),
		w.intro,
		banner(bannerInfo, nil, container.NewPadded(w.finger)),
		muted("Approving sends the organisation's vault keys to this workstation, wrapped to its own key: only this "+
			"computer can open them. If the fingerprints differ, the administrator must not approve."),
		w.status.Label,
		w.passBox,
		container.NewHBox(w.other, container.NewCenter(w.busy), layout.NewSpacer(), w.checked, w.checkBtn),
	)))
	return w
}

// describe says who must approve what.
func (w *joinWaitScreen) describe() {
	w.intro.SetText("Ask an administrator of your organisation to approve " + w.station + " on an enrolled " +
		"workstation (Administration → Sync, or 'folio sync approve " + w.station + "'), and read this fingerprint " +
		"to them: it must be the one they see next to " + w.station + ". The keys open with the password of " + visible.Line(w.req.User) + ".")
}

func (w *joinWaitScreen) view() fyne.CanvasObject { return w.box }
func (w *joinWaitScreen) focusFirst() fyne.Focusable {
	if w.passBox.Visible() {
		return w.pass
	}
	return nil
}

// forget drops the password held and stops asking the archive.
func (w *joinWaitScreen) forget() {
	w.gone = true
	if w.stopPoll != nil {
		w.stopPoll()
		w.stopPoll = nil
	}
	clear(w.pw)
	w.pw = nil
	w.pass.SetText("")
	if s := w.first; s != nil {
		w.first = nil
		w.a.tasks.run(func() func() {
			s.Lock(context.Background())
			return nil
		})
	}
}

// shortcut: Ctrl+R checks now (R for "retry").
func (w *joinWaitScreen) shortcut(k fyne.KeyName) bool {
	return keyActions{fyne.KeyR: w.check}.run(k)
}

func (w *joinWaitScreen) setWorking(on bool) {
	w.working = on
	setEnabled(!on, w.checkBtn, w.openBtn)
	spin(w.busy, on)
}

// check asks the archive for the keys now (or, when the keys are open
// already, runs the first sync again).
func (w *joinWaitScreen) check() {
	if w.working || w.gone {
		return
	}
	if w.stopPoll != nil {
		w.stopPoll()
		w.stopPoll = nil
	}
	if w.first != nil {
		w.firstSync(w.first)
		return
	}
	if w.grant != nil {
		w.open()
		return
	}
	sync, pub := w.a.opts.Sync, w.req.PublicKey
	w.setWorking(true)
	w.a.tasks.run(func() func() {
		ctx, cancel := context.WithTimeout(context.Background(), joinAskTimeout)
		defer cancel()
		grant, err := sync.AskForKeys(ctx, pub)
		return func() {
			w.setWorking(false)
			if !w.gone {
				w.answer(grant, err)
			}
		}
	})
}

// answer shows what the archive said, and opens the keys when they came.
func (w *joinWaitScreen) answer(grant *app.VaultGrant, err error) {
	w.checked.SetText("Asked at " + w.a.now().Format("15:04:05"))
	switch {
	case errors.Is(err, app.ErrNoLink):
		w.status.set("There is no link to the archive now, so the request waits here. Folio keeps asking; "+
			"check the network or Check now (Ctrl+R). ("+message(err)+")", widget.WarningImportance)
		w.poll()
	case errors.Is(err, app.ErrForeignVault):
		w.status.error("Keys were offered, but they are not signed by your organisation's vault, so they were not " +
			"used. Do not use this workstation for patients; tell the administrator. (" + message(err) + ")")
		w.poll()
	case errors.Is(err, app.ErrRefused):
		w.status.error("The archive refuses this workstation: " + message(err) + " Ask the archive's administrator " +
			"for a new enrollment file, then Use another enrollment file….")
	case err != nil:
		w.status.error("The archive did not answer the request: " + message(err) + " Folio asks again.")
		w.poll()
	case grant == nil:
		w.status.info("The archive has the request; it waits for an administrator's approval.")
		w.poll()
	default:
		w.grant = grant
		w.open()
	}
}

// poll asks again after joinPoll.
func (w *joinWaitScreen) poll() {
	u := w.a
	if u.joinPoll <= 0 || w.gone {
		return
	}
	w.stopPoll = u.tasks.after(u.joinPoll, func() func() {
		return func() {
			w.stopPoll = nil
			if u.cur == screen(w) {
				w.check()
			}
		}
	})
}

// open opens the keys with the password held, or asks for it.
func (w *joinWaitScreen) open() {
	if w.pw == nil {
		w.status.info("The keys arrived from the organisation's vault " + w.a.vault.VaultFingerprint(w.grant.Vault) + ".")
		w.passBox.Show()
		w.a.win.Canvas().Focus(w.pass)
		return
	}
	pw, grant, v := w.pw, *w.grant, w.a.vault
	w.setWorking(true)
	w.status.info("The keys arrived from the organisation's vault " + v.VaultFingerprint(grant.Vault) + "; opening them…")
	w.a.tasks.run(func() func() {
		s, err := v.CompleteJoin(context.Background(), pw, grant)
		return func() {
			w.setWorking(false)
			if err != nil {
				clear(w.pw)
				w.pw = nil
				w.pass.SetText("")
				w.passBox.Show()
				if errors.Is(err, app.ErrWrongPassword) {
					w.status.error("That is not the password chosen for " + visible.Line(w.req.User) + " when this workstation joined. Type it again.")
				} else {
					w.status.error("The keys did not open: " + message(err))
				}
				w.a.win.Canvas().Focus(w.pass)
				return
			}
			clear(w.pw)
			w.pw = nil
			w.passBox.Hide()
			w.first = s
			w.firstSync(s)
		}
	})
}

// openWithTyped opens the keys with the password typed on this screen.
func (w *joinWaitScreen) openWithTyped() {
	if w.working || w.grant == nil {
		return
	}
	if w.pass.Text == "" {
		w.status.error("Type the password of " + visible.Line(w.req.User) + ".")
		w.a.win.Canvas().Focus(w.pass)
		return
	}
	w.pw = []byte(w.pass.Text)
	w.pass.SetText("")
	w.open()
}

// firstSync brings the users and records, then shows the login.
func (w *joinWaitScreen) firstSync(s *app.Session) {
	u, sync := w.a, w.a.opts.Sync
	w.setWorking(true)
	w.status.info("The keys are open. The first sync brings the users and records from the archive…")
	u.tasks.run(func() func() {
		ctx := context.Background()
		err := sync.FirstSync(ctx, s)
		site := ""
		if err == nil {
			s.Lock(ctx)
			site, _ = u.vault.SitePrefix(ctx)
		}
		return func() {
			w.setWorking(false)
			if err != nil {
				w.status.error("The keys are installed, but the first sync did not finish: " + message(err) +
					" Check now (Ctrl+R) tries again.")
				w.poll()
				return
			}
			w.first = nil
			u.site = site
			u.head.setSite(site)
			note := "This workstation has joined"
			if w.org != "" {
				note += " " + w.org
			}
			note += ", with the keys of the organisation's vault " + u.vault.VaultFingerprint(w.grant.Vault) +
				" (an administrator sees the same fingerprint on the Sync page)"
			u.show(newLoginScreen(u, visible.Line(w.req.User), note+". Log in as "+visible.Line(w.req.User)+"."))
		}
	})
}
