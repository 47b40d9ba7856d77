package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/app"
	"folio/classify"
	"folio/visible"
)

// This file is the Document type rules screen (Ctrl+W), for those who may
// change the intake's settings (administrators and records managers): per
// type, the keywords that propose it, how many filed documents taught it,
// and what learning proposes that no rule names. Ctrl+T adds a type,
// Ctrl+R removes the one whose row has the keyboard, Ctrl+S (or Enter in a
// field) saves; every change is audited by the service.

// canKeepTypeRules reports whether a role may change the type rules.
func canKeepTypeRules(r app.RoleSet) bool { return app.MayChangeIntakeSettings(r) }

// Widths of the type column, the learned column and a row's remove
// button.
const (
	typeRulesW       = 210
	typeRulesTaughtW = 110
	removeW          = 44
)

// fixedCell gives o exactly width w (and its own height).
func fixedCell(w float32, o fyne.CanvasObject) fyne.CanvasObject {
	return container.New(layout.NewGridWrapLayout(fyne.NewSize(w, o.MinSize().Height)), o)
}

// typeRuleRow is one rule on the screen.
type typeRuleRow struct {
	typ, keywords *entry
	taught        *widget.Label
	remove        *widget.Button
	box           fyne.CanvasObject
}

// typeRulesScreen edits the document-type keyword rules.
type typeRulesScreen struct {
	searchExit
	box    fyne.CanvasObject
	rows   []*typeRuleRow
	list   *fyne.Container // the rows, in order
	scroll *container.Scroll
	status *widget.Label // built-in or changed; what was learned
	extra  *widget.Label // the learned types no rule names
	taught map[string]int

	add, save, reset *widget.Button
	msg              messageLabel
}

func newTypeRulesScreen(sess *session) *typeRulesScreen {
	u := sess.a
	s := &typeRulesScreen{searchExit: searchExit{sess}, msg: newMessageLabel(), taught: map[string]int{}}
	s.list = container.NewVBox()
	s.status = wrapped("…")
	s.extra = wrapped("")
	s.extra.Hide()
	s.add = button(u.input, "Add a type   Ctrl+T", theme.ContentAddIcon(), widget.MediumImportance, s.addRow)
	s.reset = button(u.input, "Built-in rules…", theme.HistoryIcon(), widget.LowImportance, s.askReset)
	s.save = button(u.input, "Save   Ctrl+S", theme.DocumentSaveIcon(), widget.HighImportance, s.store)
	s.save.Disable() // until the rules are loaded
	back := button(u.input, "Back to search  (Esc)", theme.NavigateBackIcon(), widget.LowImportance, u.nav.showSearch)
	title := widget.NewLabelWithStyle("Document type rules", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.SizeName = sizeNameTitle
	head := container.NewBorder(nil, nil, fixedCell(typeRulesW, heading("Type")), fixedCell(typeRulesTaughtW+removeW, heading("Learned from")),
		heading("Keywords, separated by commas"))
	s.scroll = newScroller(u.input, screenMargin(container.NewVBox(
		container.NewHBox(back, title),
		muted("Folio proposes a type for each scanned document: the type whose keywords its text holds most of "+
			"(whole words, any case; the earlier type wins a tie), unless what it learned from the documents "+
			"filed on this computer points elsewhere with confidence. The clerk sees why in the queue. "+
			"Changes apply to documents imported from now on."),
		s.status,
		container.NewHBox(s.add, s.reset, layout.NewSpacer(), s.save),
		s.msg.Label,
		head, s.list, s.extra)))
	s.box = s.scroll
	s.reload()
	return s
}

func (s *typeRulesScreen) view() fyne.CanvasObject { return s.box }

func (s *typeRulesScreen) focusFirst() fyne.Focusable {
	if len(s.rows) > 0 {
		return s.rows[0].keywords
	}
	return nil
}

// forget has nothing to drop: rules and counts are not patient data.
func (s *typeRulesScreen) forget() {}

func (s *typeRulesScreen) shortcut(k fyne.KeyName) bool {
	return keyActions{fyne.KeyS: s.store, fyne.KeyT: s.addRow, fyne.KeyR: s.removeFocused}.run(k)
}

// newRow makes the row of one rule.
func (s *typeRulesScreen) newRow(r classify.Rule) *typeRuleRow {
	u := s.sess.a
	row := &typeRuleRow{typ: newEntry(u.input, "like lab-result"), keywords: newEntry(u.input, "like specimen, haemoglobin, reference range")}
	row.typ.SetText(r.Type)
	row.keywords.SetText(strings.Join(r.Keywords, ", "))
	row.typ.OnSubmitted = func(string) { s.store() }
	row.keywords.OnSubmitted = func(string) { s.store() }
	row.taught = widget.NewLabel(taughtText(s.taught[r.Type]))
	row.remove = button(u.input, "", theme.DeleteIcon(), widget.LowImportance, func() { s.removeRow(row) })
	row.box = container.NewBorder(nil, nil, fixedCell(typeRulesW, row.typ),
		container.NewHBox(fixedCell(typeRulesTaughtW, row.taught), row.remove), row.keywords)
	return row
}

func taughtText(n int) string {
	if n == 0 {
		return "none yet"
	}
	return plural(n, "document", "documents")
}

// show puts rules on the screen, with what was learned.
func (s *typeRulesScreen) show(rules classify.Rules, builtIn bool, taught map[string]int) {
	s.taught = taught
	s.rows = nil
	s.list.RemoveAll()
	for _, r := range rules {
		row := s.newRow(r)
		s.rows = append(s.rows, row)
		s.list.Add(row.box)
	}
	total := 0
	var extra []string
	for t, n := range taught {
		total += n
		if !slices.ContainsFunc(rules, func(r classify.Rule) bool { return r.Type == t }) {
			extra = append(extra, fmt.Sprintf("%s (%s)", visible.Line(app.DocTypeLabel(t)), plural(n, "document", "documents")))
		}
	}
	which := "These are the built-in rules."
	if !builtIn {
		which = "These rules were changed on this computer; Built-in rules… brings back the original ones."
	}
	s.status.SetText(fmt.Sprintf("%s Learned so far from %s filed here.", which, plural(total, "document", "documents")))
	slices.Sort(extra)
	if len(extra) > 0 {
		s.extra.SetText("Learned without a rule (proposed from what was filed): " + strings.Join(extra, ", ") + ".")
		s.extra.Show()
	} else {
		s.extra.Hide()
	}
	s.scroll.Refresh()
}

// reload reads the rules and what was learned off the Fyne goroutine.
func (s *typeRulesScreen) reload() {
	sess := s.sess
	sess.run(func(ctx context.Context) func() {
		rules, builtIn, err := sess.s.TypeRules().Rules(ctx)
		var taught map[string]int
		if err == nil {
			taught, err = sess.s.TypeRules().Learned(ctx)
		}
		return func() {
			if err != nil {
				s.msg.error("The rules could not be read: " + message(err))
				return
			}
			s.show(rules, builtIn, taught)
			s.save.Enable()
			if f := s.focusFirst(); f != nil && s.sess.a.cur == screen(s) {
				s.sess.a.win.Canvas().Focus(f)
			}
		}
	})
}

// addRow adds an empty rule at the end and puts the keyboard in it.
func (s *typeRulesScreen) addRow() {
	row := s.newRow(classify.Rule{})
	s.rows = append(s.rows, row)
	s.list.Add(row.box)
	s.scroll.Refresh()
	s.scroll.ScrollToBottom()
	s.sess.a.win.Canvas().Focus(row.typ)
}

// removeFocused removes the row whose field has the keyboard.
func (s *typeRulesScreen) removeFocused() {
	f := s.sess.a.win.Canvas().Focused()
	for _, row := range s.rows {
		if f == row.typ || f == row.keywords {
			s.removeRow(row)
			return
		}
	}
	s.msg.error("Put the cursor in the row of the type to remove, then press Ctrl+R.")
}

// removeRow takes a rule off the screen (Save keeps the change).
func (s *typeRulesScreen) removeRow(row *typeRuleRow) {
	i := slices.Index(s.rows, row)
	if i < 0 {
		return
	}
	s.rows = slices.Delete(s.rows, i, i+1)
	s.list.Remove(row.box)
	if len(s.rows) > 0 {
		s.sess.a.win.Canvas().Focus(s.rows[min(i, len(s.rows)-1)].keywords)
	}
	what := strings.TrimSpace(row.typ.Text)
	if what == "" {
		what = "the empty row"
	}
	s.msg.info("Removed " + what + " from the list; Save keeps the change.")
}

// rules reads the rules off the screen; empty rows are left out.
func (s *typeRulesScreen) rules() classify.Rules {
	var out classify.Rules
	for _, row := range s.rows {
		typ, kws := strings.TrimSpace(row.typ.Text), strings.TrimSpace(row.keywords.Text)
		if typ == "" && kws == "" {
			continue
		}
		out = append(out, classify.Rule{Type: typ, Keywords: strings.Split(kws, ",")})
	}
	return out
}

// store checks the rules on the screen and saves them.
func (s *typeRulesScreen) store() {
	if s.save.Disabled() {
		return
	}
	rules := s.rules()
	if err := rules.Tidy().Check(); err != nil {
		s.msg.error(message(err) + " Nothing was saved.")
		return
	}
	for _, r := range rules {
		if len(classify.Rules{r}.Tidy()) == 0 {
			s.msg.error("Give " + r.Type + " at least one keyword, or remove it (Ctrl+R). Nothing was saved.")
			return
		}
	}
	s.msg.clear()
	s.save.Disable()
	sess := s.sess
	sess.run(func(ctx context.Context) func() {
		err := sess.s.TypeRules().Set(ctx, rules)
		return func() {
			s.save.Enable()
			if err != nil {
				s.msg.error("Not saved: " + message(err))
				return
			}
			s.reload()
			s.msg.info("Saved. Documents imported from now on are proposed with these rules.")
		}
	})
}

// askReset confirms, then brings back the built-in rules.
func (s *typeRulesScreen) askReset() {
	u := s.sess.a
	d := dialog.NewConfirm("Bring back the built-in rules?",
		"The rules changed on this computer are replaced by the built-in ones. What was learned from filed documents stays.",
		func(ok bool) {
			if ok {
				s.resetRules()
			}
		}, u.win)
	d.SetConfirmText("Bring them back")
	d.SetDismissText("Cancel")
	u.dialogs.showDialog(d)
}

// resetRules brings back the built-in rules.
func (s *typeRulesScreen) resetRules() {
	sess := s.sess
	sess.run(func(ctx context.Context) func() {
		err := sess.s.TypeRules().Reset(ctx)
		return func() {
			if err != nil {
				s.msg.error("Not reset: " + message(err))
				return
			}
			s.reload()
			s.msg.info("The built-in rules are back.")
		}
	})
}
