package ui

import (
	"context"
	"errors"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/app"
	"folio/visible"
)

// usersScreen is the Users section of Administration: the list of users
// with their roles and whether they may log in; add a user with one or
// more roles, change a user's roles, reset a user's password, disable or
// re-enable one. (The command line does the same.)
type usersScreen struct {
	adminPage
	users   []app.User
	rows    *fyne.Container
	summary *widget.Label
	msg     messageLabel

	// The row widgets of the users on show, by user name (tests tap them).
	status               map[string]*widget.Label
	resetBtn, disableBtn map[string]*widget.Button
	enableBtn            map[string]*widget.Button
	rolesBtn             map[string]*widget.Button
	// pw is the password dialog last opened (reset or enable); rd the
	// roles dialog.
	pw *passwordDialog
	rd *rolesDialog

	name, fullName *entry
	roles          *rolePicker
	pass, again    *entry
	addBtn         *widget.Button
	adding         *busyNote
	addMsg         messageLabel // under the form: the screen's top may be scrolled away
	box            fyne.CanvasObject
}

func newUsersScreen(sess *session) *usersScreen {
	u := sess.a
	s := &usersScreen{adminPage: newAdminPage(sess)}
	s.rows = container.NewVBox(widget.NewLabel("Loading…"))
	s.summary = widget.NewLabel("")
	s.summary.Importance = widget.LowImportance
	s.msg = newMessageLabel()
	s.name = newEntry(u.input, "for example j.okello")
	s.fullName = newEntry(u.input, "for example Joseph Okello")
	s.roles = newRolePicker(u.input)
	s.pass = newPasswordEntry(u.input, "")
	s.again = newPasswordEntry(u.input, "")
	s.again.OnSubmitted = func(string) { s.add() }
	s.addBtn = button(u.input, "Add user", theme.ContentAddIcon(), widget.HighImportance, s.add)
	s.adding = newBusyNote()
	s.addMsg = newMessageLabel()

	list := panel(container.NewVBox(
		container.NewBorder(nil, nil, heading("Users of this vault"), s.summary),
		muted("A disabled user cannot log in: their password no longer unlocks anything. "+
			"Enable them again with a new password. Reset a password when a user has forgotten theirs; "+
			"they can change it themselves after logging in (Password… at the top of the window)."),
		widget.NewSeparator(), s.rows))
	add := panel(container.NewVBox(
		heading("Add a user"),
		formGrid(
			fieldLabel("User name"), s.name,
			fieldLabel("Full name"), s.fullName,
			fieldLabel("Roles"), s.roles.box,
			widget.NewLabel(""), muted("Tick every role the person works in: they may do what any of them allows."),
			fieldLabel("First password"), s.pass,
			widget.NewLabel(""), muted(passwordRule+" The user can change it later."),
			fieldLabel("Password again"), s.again,
		),
		s.addMsg,
		container.NewHBox(s.adding.box, layout.NewSpacer(), s.addBtn),
	))
	content := container.NewVBox(adminBar(u, adminUsers), s.msg, list, add)
	s.box = scrollingColumn(u, 900, content)
	s.reload()
	return s
}

func (s *usersScreen) view() fyne.CanvasObject    { return s.box }
func (s *usersScreen) focusFirst() fyne.Focusable { return s.name }
func (s *usersScreen) forget() {
	s.pass.SetText("")
	s.again.SetText("")
	if s.pw != nil {
		s.pw.forget()
	}
}

// reload reads the users off the Fyne goroutine.
func (s *usersScreen) reload() {
	sess := s.sess
	sess.run(func(ctx context.Context) func() {
		users, err := sess.s.Users().List(ctx)
		return func() {
			if err != nil {
				s.msg.error(message(err))
				return
			}
			s.users = users
			s.draw()
			s.showAddNote()
		}
	})
}

// draw lists the users: name, full name, role, whether they may log in,
// and what an administrator can do about them.
func (s *usersScreen) draw() {
	u := s.sess.a
	s.rows.RemoveAll()
	s.status = map[string]*widget.Label{}
	s.resetBtn = map[string]*widget.Button{}
	s.disableBtn = map[string]*widget.Button{}
	s.enableBtn = map[string]*widget.Button{}
	s.rolesBtn = map[string]*widget.Button{}
	disabled := 0
	for _, usr := range s.users {
		nameStyle, fullStyle := styleBold, styleRegular
		if usr.Disabled {
			nameStyle = widget.RichTextStyle{TextStyle: fyne.TextStyle{Bold: true}, ColorName: colorNameMuted, Inline: true}
			fullStyle = styleMuted
		}
		name := widget.NewRichText(
			&widget.TextSegment{Text: visible.Line(usr.Name), Style: nameStyle},
			&widget.TextSegment{Text: "   " + visible.Line(usr.FullName), Style: fullStyle},
		)
		role := button(u.input, visible.Line(usr.Roles.Label()), theme.DocumentCreateIcon(), widget.LowImportance, func() { s.editRoles(usr) })
		s.rolesBtn[usr.Name] = role
		status := widget.NewLabel("Active")
		status.Importance = widget.SuccessImportance
		var acts []fyne.CanvasObject
		switch {
		case usr.Disabled:
			disabled++
			role.Importance = widget.LowImportance
			status.SetText("Disabled: cannot log in")
			status.Importance = widget.WarningImportance
			status.TextStyle = fyne.TextStyle{Bold: true}
			b := button(u.input, "Enable…", theme.ConfirmIcon(), widget.MediumImportance, func() { s.enable(usr.Name) })
			s.enableBtn[usr.Name] = b
			acts = append(acts, b)
		case usr.Name == s.sess.user.Name:
			status.SetText("Active  ·  you")
		default:
			reset := button(u.input, "Reset password…", theme.ViewRefreshIcon(), widget.MediumImportance, func() { s.reset(usr.Name) })
			off := button(u.input, "Disable", theme.CancelIcon(), widget.MediumImportance, func() { s.disable(usr.Name) })
			s.resetBtn[usr.Name], s.disableBtn[usr.Name] = reset, off
			acts = append(acts, reset, off)
		}
		s.status[usr.Name] = status
		right := container.NewHBox(append([]fyne.CanvasObject{role, status}, acts...)...)
		s.rows.Add(container.NewBorder(nil, nil, nil, right, name))
	}
	text := plural(len(s.users), "user", "users")
	if disabled > 0 {
		text += fmt.Sprintf("  ·  %d disabled", disabled)
	}
	s.summary.SetText(text)
}

// add adds the user the form describes. Hashing the first password takes
// seconds: the form says it is working, and takes no input, until done.
func (s *usersScreen) add() {
	if s.addBtn.Disabled() {
		return // already adding (Enter pressed again)
	}
	canvas := s.sess.a.win.Canvas()
	name, err := app.NormalizeUserName(s.name.Text)
	if err != nil {
		s.addMsg.error(message(err))
		canvas.Focus(s.name)
		s.showAddNote()
		return
	}
	roles := s.roles.selected()
	if len(roles) == 0 {
		s.addMsg.error("Tick the user's role (one or more).")
		canvas.Focus(s.roles.checks[0])
		s.showAddNote()
		return
	}
	if !checkNewPassword(s.sess.a, s.addMsg, name, s.pass, s.again) {
		s.showAddNote()
		return
	}
	usr := app.User{Name: name, FullName: s.fullName.Text, Roles: roles}
	pw := []byte(s.pass.Text)
	s.setAdding(true)
	s.addMsg.clear()
	s.adding.start("Adding user " + name + "…")
	s.bringIntoSight(s.adding.box)
	sess := s.sess
	sess.run(func(ctx context.Context) func() {
		err := sess.s.Users().Add(ctx, usr, pw)
		clear(pw)
		return func() {
			s.adding.stop()
			s.setAdding(false)
			switch {
			case errors.Is(err, app.ErrAlreadyExists):
				s.addMsg.error("A user named " + name + " already exists: choose another user name. Nothing was added.")
				canvas.Focus(s.name)
				s.showAddNote()
				return
			case err != nil:
				s.addMsg.error("User " + name + " was not added. " + message(err))
				s.showAddNote()
				return
			}
			s.addMsg.info("User " + name + " added as " + roles.Label() + ".")
			for _, e := range []*entry{s.name, s.fullName, s.pass, s.again} {
				e.SetText("")
			}
			s.roles.set(nil)
			s.reload()
			// Ready for the next person: the README's step 8 adds two.
			canvas.Focus(s.name)
		}
	})
}

// showAddNote brings what the add form says into sight, at 1024×600 too:
// the list of users above it may have grown.
func (s *usersScreen) showAddNote() { s.bringIntoSight(s.addMsg) }

// bringIntoSight scrolls the screen so that o, if shown, is in sight.
func (s *usersScreen) bringIntoSight(o fyne.CanvasObject) {
	if sc, ok := s.box.(*container.Scroll); ok && o.Visible() {
		reflow(sc)
		s.sess.a.input.reveal(sc, o)
	}
}

// setAdding takes the add form's input, or gives it back.
func (s *usersScreen) setAdding(busy bool) {
	setEnabled(!busy, s.name, s.fullName, s.pass, s.again, s.addBtn)
	for _, c := range s.roles.checks {
		setEnabled(!busy, c)
	}
}

func (s *usersScreen) disable(name string) {
	u, sess := s.sess.a, s.sess
	d := dialog.NewConfirm("Disable "+name+"?",
		"The user can no longer log in; their password stops working. An administrator can enable them again with a new password.",
		func(ok bool) {
			if !ok {
				return
			}
			sess.run(func(ctx context.Context) func() {
				err := sess.s.Users().SetDisabled(ctx, name, true, nil)
				return func() { s.done(err, "User "+name+" disabled.") }
			})
		}, u.win)
	u.dialogs.showDialog(d)
}

// reset sets a new password for another user: the administrator types it
// twice and gives it to the person, who may change it after logging in.
func (s *usersScreen) reset(name string) {
	sess := s.sess
	s.askPassword("Reset the password of "+name,
		"Choose a new password for "+name+" and give it to them in person. Their old password stops working at once.",
		"Set password", name,
		func(ctx context.Context, pw []byte) error { return sess.s.Users().ChangePassword(ctx, name, pw) },
		"New password set for "+name+". They can change it after logging in (Password… at the top of the window).")
}

// enable lets a disabled user log in again, with a new password.
func (s *usersScreen) enable(name string) {
	sess := s.sess
	s.askPassword("Enable "+name,
		name+" can log in again with this new password. Give it to them in person.",
		"Enable", name,
		func(ctx context.Context, pw []byte) error { return sess.s.Users().SetDisabled(ctx, name, false, pw) },
		"User "+name+" enabled with the new password.")
}

// passwordDialog asks an administrator for a user's new password, twice.
type passwordDialog struct {
	dlg         *dialog.CustomDialog
	user        string
	pass, again *entry
	msg         messageLabel
	ok          *widget.Button
}

func (p *passwordDialog) forget() {
	p.pass.SetText("")
	p.again.SetText("")
}

// askPassword opens the dialog for a new password of user; apply runs
// with it off the Fyne goroutine, and done is the note shown on success.
func (s *usersScreen) askPassword(title, intro, okLabel, user string, apply func(context.Context, []byte) error, done string) {
	u, sess := s.sess.a, s.sess
	p := &passwordDialog{user: user, pass: newPasswordEntry(u.input, ""), again: newPasswordEntry(u.input, ""), msg: newMessageLabel()}
	s.pw = p
	submit := func() {
		if !checkNewPassword(u, p.msg, user, p.pass, p.again) {
			return
		}
		pw := []byte(p.pass.Text)
		p.ok.Disable()
		sess.run(func(ctx context.Context) func() {
			err := apply(ctx, pw)
			clear(pw)
			return func() {
				p.ok.Enable()
				if err != nil {
					p.msg.error(message(err))
					return
				}
				p.forget()
				p.dlg.Hide()
				s.done(nil, done)
			}
		})
	}
	p.pass.OnSubmitted = func(string) { u.win.Canvas().Focus(p.again) }
	p.again.OnSubmitted = func(string) { submit() }
	p.ok = button(u.input, okLabel, theme.ConfirmIcon(), widget.HighImportance, submit)
	cancel := button(u.input, "Cancel", theme.CancelIcon(), widget.MediumImportance, func() {
		p.forget()
		p.dlg.Hide()
	})
	form := container.NewVBox(wrapped(intro),
		formGrid(fieldLabel("New password"), p.pass, fieldLabel("Again"), p.again),
		muted(passwordRule), p.msg.Label)
	p.dlg = dialog.NewCustomWithoutButtons(title,
		container.NewBorder(nil, container.NewHBox(layout.NewSpacer(), cancel, p.ok), nil, nil, form), u.win)
	p.dlg.Resize(fyne.NewSize(520, 0))
	u.dialogs.showDialog(p.dlg)
	u.win.Canvas().Focus(p.pass)
}

func (s *usersScreen) done(err error, ok string) {
	if err != nil {
		s.msg.error(message(err))
		return
	}
	s.msg.info(ok)
	s.reload()
}

// rolePicker ticks the roles of a user: one check box per role, in the
// order of app.Roles.
type rolePicker struct {
	checks []*check
	box    *fyne.Container
}

func newRolePicker(h inputHooks) *rolePicker {
	p := &rolePicker{}
	objs := make([]fyne.CanvasObject, len(app.Roles))
	for i, r := range app.Roles {
		c := newCheck(h, r.Label(), nil)
		p.checks = append(p.checks, c)
		objs[i] = c
	}
	p.box = container.NewGridWithColumns(2, objs...)
	return p
}

// set ticks exactly roles.
func (p *rolePicker) set(roles app.RoleSet) {
	for i, r := range app.Roles {
		p.checks[i].SetChecked(roles.Has(r))
	}
}

// selected returns the roles ticked.
func (p *rolePicker) selected() app.RoleSet {
	var out app.RoleSet
	for i, r := range app.Roles {
		if p.checks[i].Checked {
			out = append(out, r)
		}
	}
	return out
}

// rolesDialog changes a user's roles.
type rolesDialog struct {
	dlg   *dialog.CustomDialog
	user  string
	roles *rolePicker
	msg   messageLabel
	ok    *widget.Button
}

// editRoles opens the dialog that changes usr's roles, ticked as they
// are. Saving the roles of the administrator signed in changes what this
// window shows them at once.
func (s *usersScreen) editRoles(usr app.User) {
	u, sess := s.sess.a, s.sess
	name := visible.Line(usr.Name)
	d := &rolesDialog{user: usr.Name, roles: newRolePicker(u.input), msg: newMessageLabel()}
	d.roles.set(usr.Roles)
	s.rd = d
	save := func() {
		roles := d.roles.selected()
		if len(roles) == 0 {
			d.msg.error("Tick at least one role.")
			return
		}
		d.ok.Disable()
		sess.run(func(ctx context.Context) func() {
			err := sess.s.Users().SetRoles(ctx, usr.Name, roles)
			me := sess.s.User()
			return func() {
				d.ok.Enable()
				if err != nil {
					d.msg.error(message(err))
					return
				}
				d.dlg.Hide()
				if usr.Name == sess.user.Name {
					u.userChanged(me)
				}
				s.done(nil, "Roles of "+name+" saved: "+roles.Label()+".")
			}
		})
	}
	d.ok = button(u.input, "Save", theme.ConfirmIcon(), widget.HighImportance, save)
	cancel := button(u.input, "Cancel", theme.CancelIcon(), widget.MediumImportance, func() { d.dlg.Hide() })
	form := container.NewVBox(
		wrapped(name+" may do what any ticked role allows. The change is audited."),
		d.roles.box, d.msg.Label)
	d.dlg = dialog.NewCustomWithoutButtons("Roles of "+name,
		container.NewBorder(nil, container.NewHBox(layout.NewSpacer(), cancel, d.ok), nil, nil, form), u.win)
	d.dlg.Resize(fyne.NewSize(480, 0))
	u.dialogs.showDialog(d.dlg)
	u.win.Canvas().Focus(d.roles.checks[0])
}
