package ui

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"folio/app"
)

func TestUsersScreenAddsUser(t *testing.T) {
	u, _ := loggedIn(t, nil)
	if !u.side.items[placeAdmin].Visible() {
		t.Fatal("no Administration button for an administrator")
	}
	test.Tap(u.side.items[placeAdmin])
	u.tasks.wait()
	s := current[*usersScreen](t, u)
	if len(s.users) != 1 || s.users[0].Name != "admin" {
		t.Fatalf("users %+v", s.users)
	}
	test.Type(s.name, "Dr.Amani")
	test.Type(s.fullName, "Amani Wekesa")
	s.roles.checks[slices.Index(app.Roles, app.RoleClinician)].SetChecked(true)
	test.Type(s.pass, clinPW)
	test.Type(s.again, clinPW)
	s.again.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	u.tasks.wait()
	if !strings.Contains(s.addMsg.Text, "dr.amani added") || len(s.users) != 2 {
		t.Fatalf("after adding: %q, %d users", s.addMsg.Text, len(s.users))
	}

	// The new clinician has no Administration button and Ctrl+U does nothing.
	logInAgain(t, u, "dr.amani", clinPW)
	if u.side.items[placeAdmin].Visible() {
		t.Fatal("a clinician sees the Administration button")
	}
	u.input.shortcut(ctrl(fyne.KeyU))
	current[*searchScreen](t, u)
}

func TestSearchDropsStaleResults(t *testing.T) {
	u, _ := loggedIn(t, nil, mary())
	s := current[*searchScreen](t, u)
	s.gen++
	stale := s.gen
	s.gen++ // the clerk typed on
	s.lookup(u.sess.ctx, stale, "okello")()
	if s.results.Length() != 0 {
		t.Fatal("results of an older query were shown")
	}
}

// openUsers opens Administration's Users section with Ctrl+U.
func openUsers(t *testing.T, u *App) *usersScreen {
	t.Helper()
	u.input.shortcut(ctrl(fyne.KeyU))
	u.tasks.wait()
	return current[*usersScreen](t, u)
}

func TestUsersResetPassword(t *testing.T) {
	ctx := context.Background()
	u, _ := loggedIn(t, nil)
	addUser(t, u.sess.s, clinPW, "amina")
	s := openUsers(t, u)
	if _, ok := s.resetBtn["admin"]; ok {
		t.Fatal("the administrator is offered a reset of their own password here")
	}
	test.Tap(s.resetBtn["amina"])
	p := s.pw
	if p == nil || p.user != "amina" || u.win.Canvas().Focused() != p.pass {
		t.Fatal("no password dialog for amina, or the first field has no focus")
	}

	const newPW = "ward round at dawn"
	for _, c := range []struct{ pass, again, want string }{
		{"short", "short", "at least 8 characters"},
		{"password1", "password1", "most common"},
		{"amina's passphrase", "amina's passphrase", "user name"},
		{newPW, newPW + "!", "not the same"},
	} {
		p.pass.SetText(c.pass)
		p.again.SetText(c.again)
		p.again.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
		u.tasks.wait()
		if !strings.Contains(p.msg.Text, c.want) {
			t.Fatalf("%q/%q: message %q, want %q", c.pass, c.again, p.msg.Text, c.want)
		}
	}
	if _, err := u.vault.Login(ctx, "amina", []byte(clinPW)); err != nil {
		t.Fatalf("a refused reset changed the password: %v", err)
	}

	p.pass.SetText("")
	p.again.SetText("")
	test.Type(p.pass, newPW)
	test.Type(p.again, newPW)
	test.Tap(p.ok)
	u.tasks.wait()
	if !strings.Contains(s.msg.Text, "New password set for amina") || len(u.dialogs.open) != 0 || p.pass.Text != "" {
		t.Fatalf("after the reset: %q, %d dialogs open", s.msg.Text, len(u.dialogs.open))
	}
	if _, err := u.vault.Login(ctx, "amina", []byte(clinPW)); !errors.Is(err, app.ErrWrongPassword) {
		t.Fatalf("the old password still works: %v", err)
	}
	logInAgain(t, u, "amina", newPW)
}

func TestUsersShowDisabledAndEnable(t *testing.T) {
	ctx := context.Background()
	u, _ := loggedIn(t, nil)
	for _, usr := range []app.User{userNamed("amina"), userNamed("sam", app.RoleScanning)} {
		if err := u.sess.s.Users().Add(ctx, usr, []byte(clinPW)); err != nil {
			t.Fatal(err)
		}
	}
	s := openUsers(t, u)
	if s.summary.Text != "3 users" || s.status["sam"].Text != "Active" {
		t.Fatalf("summary %q, sam %q", s.summary.Text, s.status["sam"].Text)
	}
	if err := u.sess.s.Users().SetDisabled(ctx, "sam", true, nil); err != nil {
		t.Fatal(err)
	}
	s.reload()
	u.tasks.wait()
	st := s.status["sam"]
	if !strings.Contains(st.Text, "Disabled") || st.Importance != widget.WarningImportance || s.summary.Text != "3 users  ·  1 disabled" {
		t.Fatalf("disabled sam shows %q (importance %v), summary %q", st.Text, st.Importance, s.summary.Text)
	}
	if s.resetBtn["sam"] != nil || s.disableBtn["sam"] != nil || s.enableBtn["sam"] == nil {
		t.Fatal("a disabled user should offer Enable… only")
	}

	test.Tap(s.enableBtn["sam"])
	const newPW = "back at the scanner"
	test.Type(s.pw.pass, newPW)
	test.Type(s.pw.again, newPW)
	test.Tap(s.pw.ok)
	u.tasks.wait()
	if !strings.Contains(s.msg.Text, "sam enabled") || s.status["sam"].Text != "Active" {
		t.Fatalf("after enabling: %q, sam %q", s.msg.Text, s.status["sam"].Text)
	}
	logInAgain(t, u, "sam", newPW)
}

// menuHas reports whether the window's menu bar holds menu/item.
func menuHas(u *App, menu, item string) bool {
	for _, m := range u.win.MainMenu().Items {
		for _, it := range m.Items {
			if m.Label == menu && it.Label == item {
				return true
			}
		}
	}
	return false
}

// Issue 14: the clinic's one administrator ticks the records clerk's role
// for themself; the indexing queue appears in the sidebar and the menu at
// once, and opens. A user added with two ticked roles sees the screens of
// both.
func TestUsersScreenTicksSeveralRoles(t *testing.T) {
	u, _ := loggedIn(t, nil)
	if u.side.items[placeQueue].Visible() || menuHas(u, menuGo, "Indexing queue") {
		t.Fatal("an administrator alone is offered the indexing queue")
	}
	s := openUsers(t, u)
	test.Tap(s.rolesBtn["admin"])
	d := s.rd
	if d == nil || d.user != "admin" || !slices.Equal(d.roles.selected(), app.RoleSet{app.RoleAdmin}) {
		t.Fatal("no roles dialog for admin ticked as they are")
	}
	if u.win.Canvas().Focused() != d.roles.checks[0] {
		t.Fatal("the roles dialog's first box has no focus")
	}
	// Unticking their own administrator's role is refused, in the dialog.
	d.roles.set(app.RoleSet{app.RoleRecords})
	test.Tap(d.ok)
	u.tasks.wait()
	if !strings.Contains(d.msg.Text, "cannot take away your own administrator role") || len(u.dialogs.open) == 0 {
		t.Fatalf("unticking one's own administrator role: %q", d.msg.Text)
	}
	d.roles.set(nil)
	test.Tap(d.ok)
	if !strings.Contains(d.msg.Text, "at least one role") {
		t.Fatalf("no role ticked: %q", d.msg.Text)
	}
	test.Tap(d.roles.checks[slices.Index(app.Roles, app.RoleAdmin)])
	test.Tap(d.roles.checks[slices.Index(app.Roles, app.RoleRecords)])
	test.Tap(d.ok)
	u.tasks.wait()
	if len(u.dialogs.open) != 0 || !strings.Contains(s.msg.Text, "Roles of admin saved: Administrator, Records clerk.") {
		t.Fatalf("after saving: %q, %d dialogs", s.msg.Text, len(u.dialogs.open))
	}
	if got := s.rolesBtn["admin"].Text; got != "Administrator, Records clerk" {
		t.Fatalf("the list shows admin's roles as %q", got)
	}
	if !u.side.items[placeQueue].Visible() || !u.side.items[placeQA].Visible() || !u.side.items[placeAdmin].Visible() {
		t.Fatal("the sidebar does not show the queue, QA and Administration to an administrator and records clerk")
	}
	if !menuHas(u, menuGo, "Indexing queue") || !menuHas(u, menuGo, "Administration") {
		t.Fatal("the menu does not offer the queue and Administration")
	}
	if who := u.head.who.String(); !strings.Contains(who, "Administrator, Records clerk") {
		t.Fatalf("the header shows %q", who)
	}
	u.input.shortcut(ctrl(fyne.KeyJ))
	u.tasks.wait()
	current[*queueScreen](t, u)

	// A scanning clerk who is also a clinician, added with both ticked.
	s = openUsers(t, u)
	test.Type(s.name, "amani")
	for _, r := range []app.Role{app.RoleScanning, app.RoleClinician} {
		test.Tap(s.roles.checks[slices.Index(app.Roles, r)])
	}
	test.Type(s.pass, clinPW)
	test.Type(s.again, clinPW)
	test.Tap(s.addBtn)
	u.tasks.wait()
	if !strings.Contains(s.addMsg.Text, "amani added as Scanning clerk, Clinician.") || len(s.roles.selected()) != 0 {
		t.Fatalf("after adding: %q, %v still ticked", s.addMsg.Text, s.roles.selected())
	}
	logInAgain(t, u, "amani", clinPW)
	if !u.side.items[placeQueue].Visible() || !u.side.items[placeScanning].Visible() ||
		u.side.items[placeQA].Visible() || u.side.items[placeAdmin].Visible() {
		t.Fatal("the sidebar of a scanning clerk and clinician: want the queue and scanning, not QA nor Administration")
	}
	if !menuHas(u, menuGo, "Indexing queue") || menuHas(u, menuGo, "QA") {
		t.Fatal("the menu of a scanning clerk and clinician")
	}
}

// Issue 14, the README's walk: Add user hashed the new password for
// seconds with nothing on the screen, and said what became of it at the
// top of the screen, scrolled away at 1024×600. While it works the form
// says so ("Adding user …", a spinner) and takes no input; the window's
// goroutine is free (the Enter that started it has returned); then it says
// what happened under the form, in sight, or why nothing was added.
func TestAddingAUserSaysItIsWorking(t *testing.T) {
	u, _ := loggedIn(t, nil)
	u.win.Resize(fyne.NewSize(1024, 600).SubtractWidthHeight(0, menuBarHeight()))
	s := openUsers(t, u)
	fill := func(name string) {
		u.win.Canvas().Focus(s.name)
		test.Type(s.name, name)
		s.roles.checks[slices.Index(app.Roles, app.RoleClinician)].SetChecked(true)
		test.Type(s.pass, clinPW)
		u.win.Canvas().Focus(s.again)
		test.Type(s.again, clinPW)
		s.again.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	}
	fill("amani")
	// The result is held until the test waits: what shows now is what the
	// clerk sees while the password is hashed.
	if !s.adding.box.Visible() || !strings.Contains(s.adding.text.Text, "Adding user amani") {
		t.Fatalf("while adding: shown %v, %q", s.adding.box.Visible(), s.adding.text.Text)
	}
	u.win.Content().Refresh()
	inSight(t, u, "Adding user amani…", s.adding.box)
	for name, w := range map[string]fyne.Disableable{"Add user": s.addBtn, "User name": s.name, "Password": s.pass,
		"Password again": s.again, "Clinician": s.roles.checks[slices.Index(app.Roles, app.RoleClinician)]} {
		if !w.Disabled() {
			t.Errorf("while adding, %s takes input", name)
		}
	}
	s.again.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) // Enter again adds nothing more
	u.tasks.wait()
	u.win.Content().Refresh() // as the window lays out its next frame
	if s.adding.box.Visible() || s.addBtn.Disabled() || s.name.Disabled() || !strings.Contains(s.addMsg.Text, "User amani added as Clinician.") {
		t.Fatalf("after adding: busy %v, button off %v, %q", s.adding.box.Visible(), s.addBtn.Disabled(), s.addMsg.Text)
	}
	inSight(t, u, "the added user's message", s.addMsg)
	// The keyboard is back in User name for the next person (it stayed in
	// Password again, seven Shift+Tabs away).
	if f := u.win.Canvas().Focused(); f != s.name {
		t.Fatalf("after adding, the keyboard is in %T, not User name", f)
	}
	inSight(t, u, "User name", s.name)

	// A name taken: said plainly, the form kept to correct it.
	fill("amani")
	u.tasks.wait()
	if s.adding.box.Visible() || s.addBtn.Disabled() || !strings.Contains(s.addMsg.Text, "A user named amani already exists") ||
		s.name.Text != "amani" || u.win.Canvas().Focused() != s.name {
		t.Fatalf("adding amani twice: busy %v, %q, name %q", s.adding.box.Visible(), s.addMsg.Text, s.name.Text)
	}
	if len(s.users) != 2 {
		t.Fatalf("%d users", len(s.users))
	}
}

// The first run's Create the vault hashes the administrator's password
// too: the form says so and takes no input until the vault is made.
func TestCreatingTheVaultSaysItIsWorking(t *testing.T) {
	u, s := typeSetup(t, "KAB")
	if !s.busy.box.Visible() || s.busy.text.Text != "Creating the vault…" || !s.create.Disabled() || !s.pass.Disabled() {
		t.Fatalf("while creating: shown %v, %q, button off %v", s.busy.box.Visible(), s.busy.text.Text, s.create.Disabled())
	}
	u.tasks.wait()
	current[*recoveryKeyScreen](t, u)
}

// typeSetup opens a window on an empty vault and types the first run's
// form, admin and site, ending with Enter: the vault is being created.
func typeSetup(t *testing.T, site string) (*App, *setupScreen) {
	t.Helper()
	u := newWindow(t, openVault(t, nil), Options{})
	s := current[*setupScreen](t, u)
	test.Type(s.user, "admin")
	test.Type(s.pass, adminPW)
	test.Type(s.again, adminPW)
	test.Type(s.site, site)
	s.site.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	return u, s
}
