package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/app"
	"folio/assets"
)

// loginScreen asks for a user name and password and unlocks the vault. Its
// second face resets a forgotten password with the recovery key.
type loginScreen struct {
	a *App

	user, pass *entry
	submitBtn  *widget.Button
	forgot     *widget.Hyperlink
	busy       *widget.Activity
	msg        messageLabel
	loginBox   *fyne.Container
	// syncLine says what sync does while no one is signed in (the
	// send-only engine: App.ShowLockedSync); hidden when nothing runs.
	syncLine *widget.RichText

	rec     *recoverForm
	content *fyne.Container // the login or the recovery form
	box     fyne.CanvasObject

	// The wait after failed logins: until when, what the message says
	// before the countdown, whether a try was asked for meanwhile (made
	// with what was typed when the wait ends), and the countdown's stop.
	waitUntil time.Time
	waitUser  string
	waitNote  string
	waitTry   bool
	stopTick  context.CancelFunc
}

// newLoginScreen returns the login with the user name filled in (after a
// lock or the setup) and a note above the form (why the window locked).
func newLoginScreen(u *App, user, note string) *loginScreen {
	l := &loginScreen{a: u}
	l.user = newEntry(u.input, "user name")
	l.user.SetText(user)
	l.pass = newPasswordEntry(u.input, "password")
	l.user.OnSubmitted = func(string) {
		if strings.TrimSpace(l.user.Text) != "" {
			u.win.Canvas().Focus(l.pass)
		}
	}
	l.pass.OnSubmitted = func(string) { l.submit() }
	l.busy = widget.NewActivity()
	l.busy.Hide()
	l.msg = newMessageLabel()
	if note != "" {
		l.msg.info(note)
	}
	l.submitBtn = button(u.input, "Log in", theme.LoginIcon(), widget.HighImportance, l.submit)
	l.forgot = link(u.input, "Forgot password? Use the recovery key", l.showRecover)

	logo := canvas.NewImageFromResource(fyne.NewStaticResource("folio.png", assets.IconPNG))
	logo.FillMode = canvas.ImageFillContain
	logo.SetMinSize(fyne.NewSize(56, 56))
	title := container.NewBorder(nil, nil, container.NewCenter(logo), nil, container.NewVBox(
		heading("Log in to Folio"),
		muted("Patient records of this workstation"+siteSuffix(u.site)),
	))
	l.loginBox = container.NewVBox(
		title,
		widget.NewSeparator(),
		formGrid(
			fieldLabel("User name"), l.user,
			fieldLabel("Password"), l.pass,
		),
		l.msg,
		container.NewHBox(l.forgot, layout.NewSpacer(), container.NewCenter(l.busy), l.submitBtn),
	)
	l.syncLine = muted("")
	l.setSync(u.lockedSync)
	l.content = container.NewStack(l.loginBox)
	l.box = container.NewBorder(nil, container.NewPadded(l.syncLine), nil, nil, centerCard(u.input, 540, panel(l.content)))
	return l
}

// setSync shows what sync does while the window waits for a sign-in: a
// line at the foot of the screen, in the error colour for a problem.
func (l *loginScreen) setSync(st app.SyncStatus) {
	if st.Text == "" {
		l.syncLine.Hide()
		return
	}
	style := styleMuted
	if st.Problem {
		style.ColorName = theme.ColorNameError
	}
	l.syncLine.Segments = []widget.RichTextSegment{&widget.TextSegment{Text: "Sync: " + st.Text, Style: style}}
	l.syncLine.Show()
	l.syncLine.Refresh()
}

func siteSuffix(site string) string {
	if site == "" {
		return ""
	}
	return " (" + site + ")"
}

func (l *loginScreen) view() fyne.CanvasObject { return l.box }

func (l *loginScreen) focusFirst() fyne.Focusable {
	if l.rec != nil {
		return l.rec.key
	}
	if l.user.Text != "" {
		return l.pass
	}
	return l.user
}

func (l *loginScreen) forget() {
	l.endWait()
	l.pass.SetText("")
	if l.rec != nil {
		l.rec.forget()
	}
}

func (l *loginScreen) escape() bool {
	if l.rec != nil {
		l.showLogin("", "")
		return true
	}
	return false
}

// submit logs in off the Fyne goroutine: unlocking derives a key from the
// password (Argon2id, most of a second on purpose).
func (l *loginScreen) submit() {
	if l.submitBtn.Disabled() {
		return
	}
	user := strings.TrimSpace(l.user.Text)
	switch {
	case user == "":
		l.msg.error("Type your user name.")
		l.a.win.Canvas().Focus(l.user)
		return
	case l.pass.Text == "":
		l.msg.error("Type your password.")
		l.a.win.Canvas().Focus(l.pass)
		return
	}
	if l.waiting() && user != l.waitUser {
		l.endWait() // the wait is that user's
	}
	if l.waiting() {
		// What was typed is kept and tried when the wait ends.
		l.waitTry = true
		l.tick()
		return
	}
	pw := []byte(l.pass.Text)
	l.setBusy(true)
	l.a.tasks.run(func() func() {
		ctx := context.Background()
		s, err := l.a.vault.Login(ctx, user, pw)
		clear(pw)
		var idle time.Duration
		if err == nil {
			idle = l.a.idleLimit(ctx)
		}
		return func() {
			l.setBusy(false)
			if err != nil {
				l.fail(err)
				return
			}
			if l.a.cur != screen(l) || l.a.sess != nil {
				// The window moved on while the keys were derived.
				s.Lock(context.Background())
				return
			}
			l.forget()
			l.a.startSession(s, idle)
		}
	})
}

func (l *loginScreen) fail(err error) {
	var wait *app.WaitError
	var failed *app.FailedLoginError
	switch {
	case errors.As(err, &wait):
		// A wait this window did not count (a restart, another window):
		// the password typed is kept and tried when it ends.
		l.startWait(wait.Wait, "", true)
		l.a.win.Canvas().Focus(l.pass)
		return
	case errors.As(err, &failed) && failed.Wait() > 0:
		l.pass.SetText("")
		l.startWait(failed.Wait(), "Wrong user name or password. ", false)
		l.a.win.Canvas().Focus(l.pass)
		return
	case errors.As(err, &failed):
		l.msg.error(message(err) + " " + triesText(failed.TriesBeforeWait()))
	default:
		l.msg.error(message(err))
	}
	l.pass.SetText("")
	focus := fyne.Focusable(l.pass)
	if errors.Is(err, app.ErrInvalid) {
		focus = l.user
	}
	l.a.win.Canvas().Focus(focus)
}

// triesText says how many more tries may fail before each must wait.
func triesText(n int) string {
	if n == 1 {
		return "1 more try, then Folio makes you wait before each one."
	}
	return plural(n, "more try", "more tries") + ", then Folio makes you wait before each one."
}

// waiting reports whether a wait after failed logins runs.
func (l *loginScreen) waiting() bool { return !l.waitUntil.IsZero() }

// startWait starts the countdown of a wait of d after failed logins; note
// goes before it. Typing goes on meanwhile; try says a login was already
// asked for, to be made when the wait ends.
func (l *loginScreen) startWait(d time.Duration, note string, try bool) {
	l.endWait()
	l.waitUntil, l.waitNote, l.waitTry = l.a.now().Add(d), note, try
	l.waitUser = strings.TrimSpace(l.user.Text)
	ctx, cancel := context.WithCancel(context.Background())
	l.stopTick = cancel
	every := time.Second
	if l.a.countEvery > 0 {
		every = l.a.countEvery
	}
	go watchIdle(ctx, every, l.tick)
	l.tick()
}

// endWait stops the countdown.
func (l *loginScreen) endWait() {
	if l.stopTick != nil {
		l.stopTick()
		l.stopTick = nil
	}
	l.waitUntil, l.waitUser, l.waitNote, l.waitTry = time.Time{}, "", "", false
}

// tick shows the seconds left of the wait; when it has ended, it makes
// the login asked for meanwhile, or says that one may try again.
func (l *loginScreen) tick() {
	if !l.waiting() {
		return
	}
	if left := l.waitUntil.Sub(l.a.now()); left > 0 {
		s := fmt.Sprintf("%sToo many failed logins: wait %d s before trying again.", l.waitNote, (&app.WaitError{Wait: left}).Seconds())
		if l.waitTry {
			s += " Folio logs you in with what you typed when the wait ends."
		} else {
			s += " What you type meanwhile is kept."
		}
		l.msg.error(s)
		return
	}
	try := l.waitTry
	l.endWait()
	if try && l.pass.Text != "" {
		l.submit()
		return
	}
	l.msg.info("The wait is over: you may log in again.")
}

func (l *loginScreen) setBusy(busy bool) {
	if busy {
		l.msg.clear()
	}
	setEnabled(!busy, l.user, l.pass, l.submitBtn)
	spin(l.busy, busy)
}

func (l *loginScreen) showRecover() {
	l.rec = newRecoverForm(l)
	l.content.Objects = []fyne.CanvasObject{l.rec.box}
	l.content.Refresh()
	l.a.win.Canvas().Focus(l.rec.key)
}

// showLogin returns from the recovery form to the login, with the user
// name filled in and a note.
func (l *loginScreen) showLogin(user, note string) {
	if l.rec != nil {
		l.rec.forget()
		l.rec = nil
	}
	if user != "" {
		l.user.SetText(user)
	}
	l.msg.clear()
	if note != "" {
		l.msg.info(note)
	}
	l.content.Objects = []fyne.CanvasObject{l.loginBox}
	l.content.Refresh()
	l.a.win.Canvas().Focus(l.focusFirst())
}

// recoverForm sets a new password for a user with the printed recovery key.
type recoverForm struct {
	l               *loginScreen
	key, user       *entry
	pass, again     *entry
	submitBtn, back *widget.Button
	busy            *widget.Activity
	msg             messageLabel
	box             *fyne.Container
}

func newRecoverForm(l *loginScreen) *recoverForm {
	u := l.a
	r := &recoverForm{l: l}
	r.key = newEntry(u.input, "XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX")
	r.key.TextStyle = fyne.TextStyle{Monospace: true}
	r.user = newEntry(u.input, "user name")
	r.user.SetText(l.user.Text)
	r.pass = newPasswordEntry(u.input, "")
	r.again = newPasswordEntry(u.input, "")
	r.key.OnSubmitted = func(string) { u.win.Canvas().Focus(r.user) }
	r.user.OnSubmitted = func(string) { u.win.Canvas().Focus(r.pass) }
	r.pass.OnSubmitted = func(string) { u.win.Canvas().Focus(r.again) }
	r.again.OnSubmitted = func(string) { r.submit() }
	r.busy = widget.NewActivity()
	r.busy.Hide()
	r.msg = newMessageLabel()
	r.submitBtn = button(u.input, "Set the new password", theme.ConfirmIcon(), widget.HighImportance, r.submit)
	r.back = button(u.input, "Back to log in", theme.NavigateBackIcon(), widget.LowImportance, func() { l.showLogin("", "") })
	r.box = container.NewVBox(
		heading("Reset a password with the recovery key"),
		wrapped("Type the recovery key from the paper kept when Folio was set up (dashes and case do not matter), "+
			"the user whose password was forgotten, and a new password for them."),
		widget.NewSeparator(),
		formGrid(
			fieldLabel("Recovery key"), r.key,
			fieldLabel("User name"), r.user,
			fieldLabel("New password"), r.pass,
			widget.NewLabel(""), muted(passwordRule),
			fieldLabel("New password again"), r.again,
		),
		r.msg,
		container.NewHBox(r.back, layout.NewSpacer(), container.NewCenter(r.busy), r.submitBtn),
	)
	return r
}

func (r *recoverForm) forget() {
	r.key.SetText("")
	r.pass.SetText("")
	r.again.SetText("")
}

func (r *recoverForm) submit() {
	if r.submitBtn.Disabled() {
		return
	}
	canvas := r.l.a.win.Canvas()
	key := strings.TrimSpace(r.key.Text)
	if key == "" {
		r.msg.error("Type the recovery key.")
		canvas.Focus(r.key)
		return
	}
	name, err := app.NormalizeUserName(r.user.Text)
	if err != nil {
		r.msg.error(message(err))
		canvas.Focus(r.user)
		return
	}
	if !checkNewPassword(r.l.a, r.msg, name, r.pass, r.again) {
		return
	}
	pw := bytes.Clone([]byte(r.pass.Text))
	r.setBusy(true)
	r.l.a.tasks.run(func() func() {
		err := r.l.a.vault.Recover(context.Background(), key, name, pw)
		clear(pw)
		return func() {
			r.setBusy(false)
			if err != nil {
				r.msg.error(recoverMessage(err, name))
				return
			}
			r.l.showLogin(name, "The password of "+name+" was changed. Log in with the new password.")
		}
	})
}

// recoverMessage words a failed recovery: a wrong key is not a "wrong user
// name or password".
func recoverMessage(err error, user string) string {
	switch {
	case errors.Is(err, app.ErrWrongPassword):
		return "This recovery key does not open this vault. Check it character by character against the paper."
	case errors.Is(err, app.ErrDamaged):
		return "The vault's keys on this computer are damaged, so the recovery key cannot open them either. Ask your administrator to restore a backup."
	case errors.Is(err, app.ErrNotFound):
		return "There is no user named " + user + " on this computer."
	}
	// A mistyped key (wrong length, a character keys never use, a check
	// group that does not match) is reported before any key derivation;
	// its reason says what is wrong.
	var mistyped *app.RecoveryKeyError
	if errors.As(err, &mistyped) {
		return sentence(mistyped.Reason)
	}
	return message(err)
}

func (r *recoverForm) setBusy(busy bool) {
	if busy {
		r.msg.clear()
	}
	setEnabled(!busy, r.key, r.user, r.pass, r.again, r.submitBtn, r.back)
	spin(r.busy, busy)
}
