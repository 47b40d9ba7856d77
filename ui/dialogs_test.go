package ui

import (
	"go/ast"
	"go/token"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// spaceOnDialogButton puts the keyboard in field, opens a dialog with
// open, puts the keyboard on the dialog's button label and presses Space
// as the desktop driver delivers it (the button acts, then the press's
// character goes where the keyboard is by then): the dialog closes, the
// keyboard is back in field, and field holds what it held.
func spaceOnDialogButton(t *testing.T, u *App, field *entry, open func(), label string) {
	t.Helper()
	c := u.win.Canvas()
	c.Focus(field)
	before := field.Text
	n := len(u.dialogs.open)
	open()
	u.tasks.wait()
	if len(u.dialogs.open) != n+1 {
		t.Fatalf("no dialog opened (%d open)", len(u.dialogs.open))
	}
	c.Focus(dialogButton(t, u, label))
	press(u, 0, fyne.KeySpace)
	u.tasks.wait()
	if len(u.dialogs.open) != n {
		t.Fatalf("Space on %q did not close the dialog", label)
	}
	if c.Focused() != field {
		t.Fatalf("after the dialog the keyboard is in %T, not the field under it", c.Focused())
	}
	if field.Text != before {
		t.Fatalf("Space on %q typed into the field under the dialog: %q, was %q", label, field.Text, before)
	}
	// A space typed in the field afterwards is kept.
	press(u, 0, fyne.KeySpace)
	if field.Text == before {
		t.Fatal("a space typed in the field after the dialog was dropped")
	}
}

// Space on a button of any dialog — Fyne's own (Yes/No of a confirmation,
// the Save PDF… question, the file and folder choosers) or ours — does not
// type a space into the field that has the keyboard once the dialog is
// gone: each kind of dialog Folio shows, on a real screen.
func TestSpaceOnADialogButtonTypesNothing(t *testing.T) {
	// Each case opens its screen, types into a field of it, and returns
	// the field and how its dialog opens.
	for _, c := range []struct {
		name, button string
		screen       func(t *testing.T, u *App) (*entry, func())
	}{
		{"confirmation: disable a user", "No", func(t *testing.T, u *App) (*entry, func()) {
			s := openUsers(t, u)
			test.Type(s.fullName, "Grace")
			return s.fullName, func() { s.disable("grace") }
		}},
		{"confirmation: new recovery key", "Cancel", func(t *testing.T, u *App) (*entry, func()) {
			s := openSettings(t, u)
			return s.site.field, s.askNewKey
		}},
		{"question with a form: print failed, save instead", "Cancel", func(t *testing.T, u *App) (*entry, func()) {
			s := openAudit(t, u)
			test.Type(s.user, "admin")
			return s.user, func() { u.dialogs.offerSave("Not printed", "No printer.", func() {}) }
		}},
		{"file chooser: export the audit trail", "Cancel", func(t *testing.T, u *App) (*entry, func()) {
			s := openAudit(t, u)
			test.Type(s.mrn, "KAB")
			return s.mrn, func() { s.askExport(auditPDF) }
		}},
		{"folder chooser: drop folder", "Cancel", func(t *testing.T, u *App) (*entry, func()) {
			s := openSettings(t, u)
			return s.site.field, s.askDropFolder
		}},
		{"our buttons: reset a password", "Cancel", func(t *testing.T, u *App) (*entry, func()) {
			s := openUsers(t, u)
			return s.name, func() { s.reset("admin") }
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			u, _ := loggedIn(t, nil, mary())
			field, open := c.screen(t, u)
			spaceOnDialogButton(t, u, field, open, c.button)
		})
	}
}

// The same holds for a link: Space on "Forgot password?" opens the
// recovery form with the keyboard in an empty Recovery key field.
func TestSpaceOnALinkTypesNothing(t *testing.T) {
	v, _ := createdVault(t, nil)
	u := newWindow(t, v, Options{})
	l := current[*loginScreen](t, u)
	c := u.win.Canvas()
	c.Focus(l.forgot)
	press(u, 0, fyne.KeySpace)
	if l.rec == nil || c.Focused() != l.rec.key {
		t.Fatalf("Space on the link: recovery form %v, keyboard in %T", l.rec != nil, c.Focused())
	}
	if l.rec.key.Text != "" {
		t.Fatalf("the recovery key field holds %q after Space on the link", l.rec.key.Text)
	}
}

// TestEveryDialogGoesThroughShowDialog keeps the fix above systematic:
// every dialog the window builds (dialog.New…) is shown by the function
// that builds it through dialogs.showDialog, which drops the Space of the
// button that closed it; no dialog is shown with Fyne's dialog.Show…
// helpers; and every button or link is made by button or link, which
// drop the Space that pressed them.
func TestEveryDialogGoesThroughShowDialog(t *testing.T) {
	fset, files := parseWindowSources(t)
	dialogs := 0
	for _, f := range files {
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			var built []token.Pos
			shown := false
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				pkg, _ := sel.X.(*ast.Ident)
				switch {
				case sel.Sel.Name == "showDialog" || sel.Sel.Name == "showNote":
					shown = true
				case pkg != nil && pkg.Name == "dialog" && strings.HasPrefix(sel.Sel.Name, "Show"):
					t.Errorf("%s: dialog.%s shows a dialog around showDialog", fset.Position(call.Pos()), sel.Sel.Name)
				case pkg != nil && pkg.Name == "dialog" && strings.HasPrefix(sel.Sel.Name, "New"):
					built = append(built, call.Pos())
				case pkg != nil && pkg.Name == "widget" && (strings.HasPrefix(sel.Sel.Name, "NewButton") || sel.Sel.Name == "NewHyperlink") &&
					fn.Name.Name != "button" && fn.Name.Name != "link":
					t.Errorf("%s: widget.%s: make it with button or link, which keep its Space out of the next field",
						fset.Position(call.Pos()), sel.Sel.Name)
				}
				return true
			})
			dialogs += len(built)
			if len(built) > 0 && !shown {
				for _, p := range built {
					t.Errorf("%s: %s builds a dialog it does not show through showDialog", fset.Position(p), fn.Name.Name)
				}
			}
		}
	}
	if dialogs < 20 {
		t.Fatalf("only %d dialogs found: the check no longer sees them", dialogs)
	}
}
