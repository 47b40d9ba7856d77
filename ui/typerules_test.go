package ui

import (
	"context"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"folio/app"
	"folio/classify"
)

// A records manager keeps the document-type rules from the keyboard:
// Ctrl+W opens them with what was learned, a type's keywords change, a new
// type is added (Ctrl+T), one removed (Ctrl+R), Ctrl+S saves; a bad type
// is refused with nothing saved; the built-in rules come back; a scanning
// clerk cannot open the screen.
func TestTypeRulesFromTheKeyboard(t *testing.T) {
	ctx := context.Background()
	u := recordsRoom(t)
	p := register(t, u, mary())[0]
	fileScan(t, u, "paperless__simple.png", p.MRN, "referral", "2026-10-14")

	press(u, fyne.KeyModifierShortcutDefault, fyne.KeyW)
	u.tasks.wait()
	s := current[*typeRulesScreen](t, u)
	u.tasks.wait()
	c := u.win.Canvas()
	if len(s.rows) != 9 || c.Focused() != s.rows[0].keywords {
		t.Fatalf("%d rows, the keyboard in %T", len(s.rows), c.Focused())
	}
	if !strings.Contains(s.status.Text, "built-in rules") || !strings.Contains(s.status.Text, "from 1 document") {
		t.Errorf("status %q", s.status.Text)
	}
	var referral *typeRuleRow
	for _, r := range s.rows {
		if r.typ.Text == "referral" {
			referral = r
		}
	}
	if referral == nil || referral.taught.Text != "1 document" {
		t.Fatalf("the referral row: %+v", referral)
	}

	// lab-result (row 2) gains a keyword.
	lab := s.rows[1]
	c.Focus(lab.keywords)
	lab.keywords.SetText(lab.keywords.Text + ", Troponin")
	// A new type, from the keyboard.
	press(u, fyne.KeyModifierShortcutDefault, fyne.KeyT)
	added := s.rows[len(s.rows)-1]
	if c.Focused() != added.typ {
		t.Fatalf("after Ctrl+T the keyboard is in %T", c.Focused())
	}
	test.Type(added.typ, "Immunization Record")
	c.Focus(added.keywords)
	test.Type(added.keywords, "vaccine given, immunisation card")
	press(u, fyne.KeyModifierShortcutDefault, fyne.KeyS)
	u.tasks.wait()
	if !strings.HasPrefix(s.msg.Text, `Type "Immunization Record": use lower-case letters`) || !strings.HasSuffix(s.msg.Text, ". Nothing was saved.") {
		t.Fatalf("a bad type: %q", s.msg.Text)
	}
	if _, builtIn, _ := u.sess.s.TypeRules().Rules(ctx); !builtIn {
		t.Fatal("a refused save changed the rules")
	}
	added.typ.SetText("immunization-record")
	// correspondence goes (Ctrl+R in its row).
	for _, r := range s.rows {
		if r.typ.Text == "correspondence" {
			c.Focus(r.keywords)
		}
	}
	press(u, fyne.KeyModifierShortcutDefault, fyne.KeyR)
	c.Focus(added.keywords)
	added.keywords.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) // Enter in a field saves too
	u.tasks.wait()
	u.tasks.wait()
	if !strings.HasPrefix(s.msg.Text, "Saved.") {
		t.Fatalf("after Enter: %q", s.msg.Text)
	}
	rules, builtIn, err := u.sess.s.TypeRules().Rules(ctx)
	if err != nil || builtIn {
		t.Fatalf("after saving: built-in %v, %v", builtIn, err)
	}
	var types []string
	for _, r := range rules {
		types = append(types, r.Type)
	}
	if got := strings.Join(types, " "); strings.Contains(got, "correspondence") || !strings.HasSuffix(got, "immunization-record") {
		t.Errorf("types saved: %s", got)
	}
	if got := strings.Join(rules[1].Keywords, ","); !strings.HasSuffix(got, ",troponin") {
		t.Errorf("lab-result keywords saved: %s", got)
	}
	if !strings.Contains(s.status.Text, "changed on this computer") {
		t.Errorf("status after saving %q", s.status.Text)
	}

	s.askReset()
	if len(u.dialogs.open) == 0 {
		t.Fatal("Built-in rules… asked nothing")
	}
	s.resetRules()
	u.tasks.wait()
	u.tasks.wait()
	if _, builtIn, _ := u.sess.s.TypeRules().Rules(ctx); !builtIn || !strings.Contains(s.status.Text, "built-in rules") {
		t.Fatalf("after the reset: built-in %v, %q", builtIn, s.status.Text)
	}
	events, err := u.sess.s.Audit().Events(ctx, app.AuditFilter{Action: app.ActSettings})
	if err != nil {
		t.Fatal(err)
	}
	var details []string
	for _, e := range events {
		details = append(details, e.Detail)
	}
	if all := strings.Join(details, "\n"); !strings.Contains(all, "lab-result +troponin") || !strings.Contains(all, "type correspondence removed") {
		t.Errorf("audit: %s", all)
	}

	// A scanning clerk has no such screen.
	admin, err := u.vault.Login(ctx, "admin", []byte(adminPW))
	if err != nil {
		t.Fatal(err)
	}
	addUser(t, admin, clerkPW, "sam", app.RoleScanning)
	admin.Lock(ctx)
	logInAgain(t, u, "sam", clerkPW)
	u.nav.showSearch()
	press(u, fyne.KeyModifierShortcutDefault, fyne.KeyW)
	u.tasks.wait()
	if _, ok := u.cur.(*typeRulesScreen); ok {
		t.Fatal("a scanning clerk opened the type rules")
	}
}

// The queue offers a type only a rule names, proposes it with the rule's
// words as the reason, and files the document as it.
func TestQueueOffersARuleType(t *testing.T) {
	ctx := context.Background()
	u := recordsRoom(t)
	p := register(t, u, mary())[0]
	rules, _, err := u.sess.s.TypeRules().Rules(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rules = append(rules, classify.Rule{Type: "test-sheet", Keywords: []string{"test document"}})
	if err := u.sess.s.TypeRules().Set(ctx, rules); err != nil {
		t.Fatal(err)
	}
	importCorpus(t, u, "paperless__simple.png") // "This is a test document."
	press(u, fyne.KeyModifierShortcutDefault, fyne.KeyJ)
	u.tasks.wait()
	q := current[*queueScreen](t, u)
	u.tasks.wait()
	if !slices.Contains(q.kind.Options, "Test sheet") || q.kind.Selected != "Test sheet" {
		t.Fatalf("type picker %q, chosen %q", q.kind.Options, q.kind.Selected)
	}
	if !strings.Contains(q.why.Text, "Type: Test sheet (words: test document (rule))") {
		t.Errorf("the queue says %q", q.why.Text)
	}
	q.patient.set(p.MRN)
	u.tasks.wait()
	press(u, fyne.KeyModifierShortcutDefault, fyne.KeyReturn)
	u.tasks.wait()
	u.tasks.wait()
	if !strings.Contains(q.msg.Text, "as test sheet") {
		t.Fatalf("after filing: %q", q.msg.Text)
	}
	taught, err := u.sess.s.TypeRules().Learned(ctx)
	if err != nil || taught["test-sheet"] != 1 {
		t.Fatalf("learned %v, %v", taught, err)
	}
}
