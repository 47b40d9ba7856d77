package ui

import (
	"strings"
	"testing"

	"folio/app"
)

// An empty vault's first screen says what to do next, a line per step the
// user's role takes, and each line goes once its step is done.
func TestFirstStepsOnAnEmptyVault(t *testing.T) {
	v, _ := createdVault(t, nil)
	u := newWindow(t, v, Options{})
	logIn(t, u, "admin", adminPW)
	u.tasks.wait()
	s := current[*searchScreen](t, u)
	lines := s.startLines.Text
	if !s.start.Visible() || !strings.Contains(lines, "No patients yet") || !strings.Contains(lines, "No scans yet") ||
		!strings.Contains(lines, "Only you can sign in") {
		t.Fatalf("an empty vault's first screen (shown %v): %q", s.start.Visible(), lines)
	}
	register(t, u, mary())
	addUser(t, u.sess.s, clerkPW, "grace", app.RoleRecords)
	u.nav.showSearch()
	u.tasks.wait()
	if lines := s.startLines.Text; strings.Contains(lines, "No patients yet") || strings.Contains(lines, "Only you can sign in") ||
		!strings.Contains(lines, "No scans yet") {
		t.Fatalf("after a patient and a user: %q", lines)
	}
	// A records clerk is not told to add users.
	u.lock("test")
	logIn(t, u, "grace", clerkPW)
	u.tasks.wait()
	if s := current[*searchScreen](t, u); !strings.Contains(s.startLines.Text, "No scans yet") || strings.Contains(s.startLines.Text, "add your staff") {
		t.Fatalf("the records clerk's first screen: %q", s.startLines.Text)
	}
}
