package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// QA opens with the keyboard in the reason field: a reason typed and Enter
// sends the document back to the queue.
func TestQASendBackWithTheKeyboard(t *testing.T) {
	u := recordsRoom(t)
	p := register(t, u, mary())[0]
	fileScan(t, u, "paperless__simple.png", p.MRN, "referral", "2026-10-14")

	logInAgain(t, u, "peter", clerkPW)
	u.shortcut(ctrl(fyne.KeyK))
	qa := current[*qaScreen](t, u)
	u.tasks.wait()
	if len(qa.docs) != 1 || u.win.Canvas().Focused() != qa.reason {
		t.Fatalf("QA: %d documents, focus on %v", len(qa.docs), u.win.Canvas().Focused())
	}
	test.Type(qa.reason, "wrong patient")
	qa.reason.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	u.tasks.wait()
	u.tasks.wait()
	if len(qa.docs) != 0 || !strings.Contains(qa.msg.Text, "Sent back") {
		t.Fatalf("after Enter in the reason: %d left, %q", len(qa.docs), qa.msg.Text)
	}
}
