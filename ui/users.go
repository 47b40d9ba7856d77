package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/app"
)

// usersScreen is the administrator's list of users: add a user with a role,
// disable or re-enable one. (The command line does the same.)
type usersScreen struct {
	sess  *session
	users []app.User
	rows  *fyne.Container
	msg   messageLabel

	name, fullName *entry
	role           *choice
	pass, again    *entry
	addBtn         *widget.Button
	box            fyne.CanvasObject
}

func newUsersScreen(sess *session) *usersScreen {
	u := sess.a
	s := &usersScreen{sess: sess}
	s.rows = container.NewVBox(widget.NewLabel("Loading…"))
	s.msg = newMessageLabel()
	s.name = newEntry(u, "for example j.okello")
	s.fullName = newEntry(u, "for example Joseph Okello")
	roles := make([]string, len(app.Roles))
	for i, r := range app.Roles {
		roles[i] = r.Label()
	}
	s.role = newChoice(u, roles, nil)
	s.pass = newPasswordEntry(u, "")
	s.again = newPasswordEntry(u, "")
	s.again.OnSubmitted = func(string) { s.add() }
	s.addBtn = button(u, "Add user", theme.ContentAddIcon(), widget.HighImportance, s.add)
	back := button(u, "Back to search  (Esc)", theme.NavigateBackIcon(), widget.LowImportance, u.showSearch)

	list := panel(container.NewVBox(heading("Users of this vault"), widget.NewSeparator(), s.rows))
	add := panel(container.NewVBox(
		heading("Add a user"),
		formGrid(
			fieldLabel("User name"), s.name,
			fieldLabel("Full name"), s.fullName,
			fieldLabel("Role"), s.role,
			fieldLabel("First password"), s.pass,
			widget.NewLabel(""), muted(passwordRule+" The user can change it later."),
			fieldLabel("Password again"), s.again,
		),
		container.NewHBox(layout.NewSpacer(), s.addBtn),
	))
	content := container.NewVBox(container.NewHBox(back), s.msg, list, add)
	s.box = newScroller(u, container.New(layout.NewCustomPaddedLayout(12, 12, 16, 16), column(900, content)))
	s.reload()
	return s
}

func (s *usersScreen) view() fyne.CanvasObject    { return s.box }
func (s *usersScreen) focusFirst() fyne.Focusable { return s.name }
func (s *usersScreen) forget() {
	s.pass.SetText("")
	s.again.SetText("")
}

func (s *usersScreen) escape() bool {
	s.sess.a.showSearch()
	return true
}

// reload reads the users off the Fyne goroutine.
func (s *usersScreen) reload() {
	sess := s.sess
	sess.run(func(ctx context.Context) func() {
		users, err := sess.s.Users(ctx)
		return func() {
			if err != nil {
				s.msg.error(message(err))
				return
			}
			s.users = users
			s.draw()
		}
	})
}

func (s *usersScreen) draw() {
	u := s.sess.a
	s.rows.RemoveAll()
	for _, usr := range s.users {
		usr := usr
		name := widget.NewRichText(
			&widget.TextSegment{Text: usr.Name, Style: styleBold},
			&widget.TextSegment{Text: "   " + usr.FullName, Style: styleRegular},
		)
		status := widget.NewLabel(usr.Role.Label())
		var act fyne.CanvasObject = layout.NewSpacer()
		switch {
		case usr.Name == s.sess.user.Name:
			status.SetText(usr.Role.Label() + "  ·  you")
		case usr.Disabled:
			status.SetText(usr.Role.Label() + "  ·  disabled")
			status.Importance = widget.LowImportance
			act = button(u, "Enable…", theme.ConfirmIcon(), widget.MediumImportance, func() { s.enable(usr.Name) })
		default:
			act = button(u, "Disable", theme.CancelIcon(), widget.MediumImportance, func() { s.disable(usr.Name) })
		}
		s.rows.Add(container.NewBorder(nil, nil, nil, container.NewHBox(status, act), name))
	}
}

func (s *usersScreen) add() {
	canvas := s.sess.a.win.Canvas()
	name, err := app.NormalizeUserName(s.name.Text)
	if err != nil {
		s.msg.error(message(err))
		canvas.Focus(s.name)
		return
	}
	if s.role.Selected == "" {
		s.msg.error("Choose the user's role.")
		canvas.Focus(s.role)
		return
	}
	var role app.Role
	for _, r := range app.Roles {
		if r.Label() == s.role.Selected {
			role = r
		}
	}
	if err := app.CheckPassword([]byte(s.pass.Text), name); err != nil {
		s.msg.error(message(err))
		canvas.Focus(s.pass)
		return
	}
	if s.pass.Text != s.again.Text {
		s.msg.error("The two passwords are not the same. Type them again.")
		s.again.SetText("")
		canvas.Focus(s.again)
		return
	}
	usr := app.User{Name: name, FullName: s.fullName.Text, Role: role}
	pw := []byte(s.pass.Text)
	s.addBtn.Disable()
	sess := s.sess
	sess.run(func(ctx context.Context) func() {
		err := sess.s.AddUser(ctx, usr, pw)
		clear(pw)
		return func() {
			s.addBtn.Enable()
			if err != nil {
				s.msg.error(message(err))
				return
			}
			s.msg.info("User " + name + " added as " + role.Label() + ".")
			for _, e := range []*entry{s.name, s.fullName, s.pass, s.again} {
				e.SetText("")
			}
			s.role.ClearSelected()
			s.reload()
		}
	})
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
				err := sess.s.SetUserDisabled(ctx, name, true, nil)
				return func() { s.done(err, "User "+name+" disabled.") }
			})
		}, u.win)
	u.showDialog(d)
}

func (s *usersScreen) enable(name string) {
	u, sess := s.sess.a, s.sess
	pass := newPasswordEntry(u, "")
	d := dialog.NewForm("Enable "+name, "Enable", "Cancel",
		[]*widget.FormItem{{Text: "New password", Widget: pass, HintText: "At least 8 characters."}},
		func(ok bool) {
			if !ok {
				return
			}
			pw := []byte(pass.Text)
			sess.run(func(ctx context.Context) func() {
				err := sess.s.SetUserDisabled(ctx, name, false, pw)
				clear(pw)
				return func() { s.done(err, "User "+name+" enabled with the new password.") }
			})
		}, u.win)
	d.Resize(fyne.NewSize(460, 0))
	u.showDialog(d)
}

func (s *usersScreen) done(err error, ok string) {
	if err != nil {
		s.msg.error(message(err))
		return
	}
	s.msg.info(ok)
	s.reload()
}
