package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"folio/app"
)

func TestUsersScreenAddsUser(t *testing.T) {
	u, _ := loggedIn(t, nil)
	if !u.side.items[placeAdmin].Visible() {
		t.Fatal("no Users button for an administrator")
	}
	test.Tap(u.side.items[placeAdmin])
	u.tasks.wait()
	s := current[*usersScreen](t, u)
	if len(s.users) != 1 || s.users[0].Name != "admin" {
		t.Fatalf("users %+v", s.users)
	}
	test.Type(s.name, "Dr.Amani")
	test.Type(s.fullName, "Amani Wekesa")
	s.role.SetSelected(app.RoleClinician.Label())
	test.Type(s.pass, clinPW)
	test.Type(s.again, clinPW)
	s.again.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	u.tasks.wait()
	if !strings.Contains(s.msg.Text, "dr.amani added") || len(s.users) != 2 {
		t.Fatalf("after adding: %q, %d users", s.msg.Text, len(s.users))
	}

	// The new clinician has no Users button and Ctrl+U does nothing.
	logInAgain(t, u, "dr.amani", clinPW)
	if u.side.items[placeAdmin].Visible() {
		t.Fatal("a clinician sees the Users button")
	}
	u.shortcut(ctrl(fyne.KeyU))
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
