package ui

import (
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"

	"folio/app"
)

// This file is the window's keyboard: the one table of its shortcuts, which
// Help, the menu bar and the README list; input (input.go) routes each of
// them so it works whichever field has the keyboard.
//
// A key reaches Folio in one of four ways, and each is routed to the same
// handlers (input.shortcut for Ctrl+key, input.typedKey for a plain key):
//   - a Ctrl+key the desktop driver finds in the menu bar runs its item;
//   - a Ctrl+key with a focused widget goes to its TypedShortcut: Folio's
//     fields (entry, tapRow, pageView) hand it on; Fyne makes Ctrl+Y a
//     Redo, Ctrl+Z an Undo …, so windowShortcut turns those back into the
//     key they are when the table holds that key;
//   - a Ctrl+key with no focused widget (or one that takes no shortcuts,
//     a drop-down) goes to the canvas's shortcuts, registered from the table;
//   - a plain key goes to the focused widget's TypedKey, or the canvas's:
//     Folio's widgets hand F1 and the screen's paging keys on first.
//
// TestEveryShortcutFromEveryField presses every entry of the table in
// every field of its screen and checks what it did.

// keyBinding is one shortcut: where it works, its key and what it does.
type keyBinding struct {
	area string           // the screen it works on, as Help heads it; areaWindow for everywhere
	mod  fyne.KeyModifier // fyne.KeyModifierShortcutDefault, or 0 for a key alone
	key  fyne.KeyName     // the key; a character (+, −) when char is set
	does string           // what it does, as Help and the menu say it
	// char marks a typed character (+ and −): it works where no text
	// field has the keyboard, as a text field takes it as text.
	char bool
	// notInFields marks a key a text field keeps for itself (← → move its
	// cursor, Home, End): it works where no text field has the keyboard.
	notInFields bool
	// menu is the menu bar's menu that offers it, or "".
	menu string
	// may, when set, says whether a role has the action (the menu leaves
	// it out otherwise); nil is everyone.
	may func(app.RoleSet) bool
}

// The areas of the table, in the order Help lists them.
const (
	areaWindow  = "Everywhere"
	areaSearch  = "Patient search"
	areaChart   = "Patient chart"
	areaVisit   = "Visit note"
	areaViewer  = "Document viewer"
	areaForm    = "Register or edit a patient"
	areaScan    = "Scanning station"
	areaQueue   = "Indexing queue"
	areaQA      = "QA"
	areaTypes   = "Document type rules"
	areaAdmin   = "Administration"
	areaWork    = "Coding worklist"
	areaCoding  = "Coding an encounter"
	areaNotes   = "My unsigned notes"
	areaQueries = "My coding queries"
	areaDefic   = "Deficiencies"
	menuFolio   = "Folio"
	menuGo      = "Go"
	menuChart   = "Chart"
	menuVisit   = "Visit"
	menuDoc     = "Document"
	menuIndex   = "Indexing"
	menuHelp    = "Help"
	keyPlus     = fyne.KeyName("+")
	keyMinus    = fyne.KeyName("−")
	ctrlKey     = fyne.KeyModifierShortcutDefault
	ctrlShift   = fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift
	noModifier  = fyne.KeyModifier(0)
	strayWindow = time.Second // how long after a button's Space its character may still come
)

func canIndex(r app.RoleSet) bool   { return r.Can(app.PermDocIndex) }
func canVerify(r app.RoleSet) bool  { return r.Can(app.PermDocVerify) }
func canAdmin(r app.RoleSet) bool   { return r.Can(app.PermUserManage) }
func canWrite(r app.RoleSet) bool   { return r.Can(app.PermPatientWrite) }
func canNote(r app.RoleSet) bool    { return r.Can(app.PermEncounterWrite) }
func canSummary(r app.RoleSet) bool { return r.Can(app.PermSummaryWrite) }

// keyBindings is every shortcut of the signed-in window.
var keyBindings = []keyBinding{
	{area: areaWindow, mod: ctrlKey, key: fyne.KeyF, does: "Find a patient", menu: menuGo},
	{area: areaWindow, mod: ctrlKey, key: fyne.KeyN, does: "Register a patient", menu: menuGo, may: canWrite},
	{area: areaWindow, mod: ctrlKey, key: fyne.KeyI, does: "Scanning station", menu: menuGo, may: canScan},
	{area: areaWindow, mod: ctrlKey, key: fyne.KeyJ, does: "Indexing queue", menu: menuGo, may: canIndex},
	{area: areaWindow, mod: ctrlKey, key: fyne.KeyK, does: "QA", menu: menuGo, may: canVerify},
	{area: areaWindow, mod: ctrlKey, key: fyne.KeyU, does: "Administration", menu: menuGo, may: canAdmin},
	{area: areaWindow, mod: ctrlKey, key: fyne.KeyW, does: "Document type rules", menu: menuGo, may: canKeepTypeRules},
	{area: areaWindow, mod: ctrlKey, key: fyne.Key6, does: "Coding worklist", menu: menuGo, may: canCode},
	{area: areaWindow, mod: ctrlKey, key: fyne.Key7, does: "My unsigned notes", menu: menuGo, may: canWriteNotes},
	{area: areaWindow, mod: ctrlKey, key: fyne.Key8, does: "My coding queries", menu: menuGo, may: canWriteNotes},
	{area: areaWindow, mod: ctrlKey, key: fyne.Key9, does: "Deficiencies", menu: menuGo, may: canSeeDeficiencies},
	{area: areaWindow, mod: ctrlKey, key: fyne.KeyL, does: "Lock", menu: menuFolio},
	{area: areaWindow, mod: ctrlKey, key: fyne.KeyQ, does: "Quit", menu: menuFolio},
	{area: areaWindow, key: fyne.KeyF1, does: "Keyboard shortcuts", menu: menuHelp},
	{area: areaWindow, key: fyne.KeyEscape, does: "Back"},

	{area: areaSearch, key: fyne.KeyDown, does: "Next patient"},
	{area: areaSearch, key: fyne.KeyUp, does: "Previous patient"},
	{area: areaSearch, key: fyne.KeyReturn, does: "Open the chart"},

	{area: areaChart, mod: ctrlKey, key: fyne.KeyPageDown, does: "Next tab"},
	{area: areaChart, mod: ctrlKey, key: fyne.KeyPageUp, does: "Previous tab"},
	{area: areaChart, key: fyne.KeyDown, does: "Next visit or document", notInFields: true},
	{area: areaChart, key: fyne.KeyUp, does: "Previous visit or document", notInFields: true},
	{area: areaChart, key: fyne.KeyReturn, does: "Open the visit or document", notInFields: true},
	{area: areaChart, mod: ctrlKey, key: fyne.KeyE, does: "Edit demographics", menu: menuChart, may: canWrite},
	{area: areaChart, mod: ctrlKey, key: fyne.KeyH, does: "Demographics history", menu: menuChart},
	{area: areaChart, mod: ctrlKey, key: fyne.KeyT, does: "New visit note", menu: menuChart, may: canNote},
	{area: areaChart, mod: ctrlKey, key: fyne.Key1, does: "Record an allergy", menu: menuChart, may: canSummary},
	{area: areaChart, mod: ctrlKey, key: fyne.Key2, does: "Record a problem", menu: menuChart, may: canSummary},
	{area: areaChart, mod: ctrlKey, key: fyne.Key3, does: "Record a medication", menu: menuChart, may: canSummary},
	{area: areaChart, mod: ctrlKey, key: fyne.Key4, does: "Resolve or stop a summary entry", menu: menuChart, may: canSummary},

	{area: areaVisit, mod: ctrlKey, key: fyne.KeyS, does: "Save the draft now", menu: menuVisit, may: canNote},
	{area: areaVisit, mod: ctrlShift, key: fyne.KeyS, does: "Sign the note", menu: menuVisit, may: canNote},
	{area: areaVisit, mod: ctrlKey, key: fyne.KeyD, does: "Link or unlink a scanned document", menu: menuVisit, may: canNote},
	{area: areaVisit, mod: ctrlKey, key: fyne.KeyM, does: "Add an addendum to the signed note", menu: menuVisit, may: canNote},

	{area: areaViewer, key: fyne.KeyPageDown, does: "Next page"},
	{area: areaViewer, key: fyne.KeyPageUp, does: "Previous page"},
	{area: areaViewer, mod: ctrlKey, key: fyne.KeyPageDown, does: "Next page", menu: menuDoc},
	{area: areaViewer, mod: ctrlKey, key: fyne.KeyPageUp, does: "Previous page", menu: menuDoc},
	{area: areaViewer, key: fyne.KeyDown, does: "Scroll down the page"},
	{area: areaViewer, key: fyne.KeyUp, does: "Scroll up the page"},
	{area: areaViewer, key: fyne.KeyRight, does: "Next page", notInFields: true},
	{area: areaViewer, key: fyne.KeyLeft, does: "Previous page", notInFields: true},
	{area: areaViewer, key: fyne.KeyHome, does: "First page", notInFields: true},
	{area: areaViewer, key: fyne.KeyEnd, does: "Last page", notInFields: true},
	{area: areaViewer, key: keyPlus, char: true, does: "Zoom in"},
	{area: areaViewer, key: keyMinus, char: true, does: "Zoom out"},
	{area: areaViewer, mod: ctrlKey, key: fyne.Key1, does: "Fit width", menu: menuDoc},
	{area: areaViewer, mod: ctrlKey, key: fyne.Key2, does: "Fit page", menu: menuDoc},
	{area: areaViewer, mod: ctrlKey, key: fyne.Key3, does: "Actual size", menu: menuDoc},
	{area: areaViewer, mod: ctrlKey, key: fyne.KeyR, does: "Rotate page", menu: menuDoc, may: canIndex},
	{area: areaViewer, mod: ctrlKey, key: fyne.KeyG, does: "Find in the document, next hit", menu: menuDoc},
	{area: areaViewer, mod: ctrlKey, key: fyne.KeyS, does: "Export / print as PDF…", menu: menuDoc},
	{area: areaViewer, mod: ctrlKey, key: fyne.KeyB, does: "Put back a left-out page", menu: menuDoc, may: canIndex},

	{area: areaForm, mod: ctrlKey, key: fyne.KeyS, does: "Save"},

	{area: areaScan, mod: ctrlKey, key: fyne.KeyO, does: "Import files"},
	{area: areaScan, mod: ctrlKey, key: fyne.KeyP, does: "Cover sheet: choose the patient"},
	{area: areaScan, mod: ctrlKey, key: fyne.KeyS, does: "Cover sheet: save the PDF"},

	{area: areaQueue, mod: ctrlKey, key: fyne.KeyP, does: "Choose the patient", menu: menuIndex, may: canIndex},
	{area: areaQueue, mod: ctrlKey, key: fyne.KeyY, does: "Set the type", menu: menuIndex, may: canIndex},
	{area: areaQueue, mod: ctrlKey, key: fyne.KeyD, does: "Set the date", menu: menuIndex, may: canIndex},
	{area: areaQueue, mod: ctrlKey, key: fyne.KeyReturn, does: "File the document", menu: menuIndex, may: canIndex},
	{area: areaQueue, mod: ctrlKey, key: fyne.KeyG, does: "Next document", menu: menuIndex, may: canIndex},
	{area: areaQueue, mod: ctrlKey, key: fyne.KeyR, does: "Rotate page"},
	{area: areaQueue, mod: ctrlKey, key: fyne.KeyT, does: "Split here", menu: menuIndex, may: canIndex},
	{area: areaQueue, mod: ctrlKey, key: fyne.KeyM, does: "Merge with previous", menu: menuIndex, may: canIndex},
	{area: areaQueue, mod: ctrlKey, key: fyne.KeyB, does: "Remove page, or put a left-out page back", menu: menuIndex, may: canIndex},
	{area: areaQueue, mod: ctrlKey, key: fyne.KeyZ, does: "Undo the last filing (until QA verifies it)", menu: menuIndex, may: canIndex},
	{area: areaQueue, key: fyne.KeyPageDown, does: "Next page"},
	{area: areaQueue, key: fyne.KeyPageUp, does: "Previous page"},

	{area: areaQA, mod: ctrlKey, key: fyne.KeyReturn, does: "Verify the document"},
	{area: areaQA, mod: ctrlKey, key: fyne.KeyG, does: "Next document"},
	{area: areaQA, key: fyne.KeyPageDown, does: "Next page"},
	{area: areaQA, key: fyne.KeyPageUp, does: "Previous page"},
	{area: areaQA, key: fyne.KeyReturn, does: "Send back to the queue, with the reason typed"},

	{area: areaTypes, mod: ctrlKey, key: fyne.KeyS, does: "Save the rules"},
	{area: areaTypes, mod: ctrlKey, key: fyne.KeyT, does: "Add a type"},
	{area: areaTypes, mod: ctrlKey, key: fyne.KeyR, does: "Remove the type whose row has the cursor"},

	{area: areaWork, key: fyne.KeyDown, does: "Next encounter"},
	{area: areaWork, key: fyne.KeyUp, does: "Previous encounter"},
	{area: areaWork, key: fyne.KeyReturn, does: "Code the encounter"},
	{area: areaWork, mod: ctrlKey, key: fyne.Key1, does: "Waiting for coding"},
	{area: areaWork, mod: ctrlKey, key: fyne.Key2, does: "Queried"},
	{area: areaWork, mod: ctrlKey, key: fyne.Key3, does: "Coded"},
	{area: areaWork, mod: ctrlKey, key: fyne.Key4, does: "All signed encounters"},

	{area: areaCoding, key: fyne.KeyDown, does: "Next code found"},
	{area: areaCoding, key: fyne.KeyUp, does: "Previous code found"},
	{area: areaCoding, mod: ctrlKey, key: fyne.KeyP, does: "Assign the code as the principal diagnosis"},
	{area: areaCoding, mod: ctrlKey, key: fyne.KeyD, does: "Assign the code as a secondary diagnosis"},
	{area: areaCoding, mod: ctrlKey, key: fyne.KeyT, does: "Add a procedure"},
	{area: areaCoding, mod: ctrlKey, key: fyne.KeyR, does: "Take back the last code"},
	{area: areaCoding, mod: ctrlKey, key: fyne.KeyS, does: "Save the coding"},
	{area: areaCoding, mod: ctrlKey, key: fyne.KeyE, does: "Query the clinician"},
	{area: areaCoding, mod: ctrlKey, key: fyne.KeyG, does: "Back to the code search"},

	{area: areaNotes, key: fyne.KeyDown, does: "Next note"},
	{area: areaNotes, key: fyne.KeyUp, does: "Previous note"},
	{area: areaNotes, key: fyne.KeyReturn, does: "Open the note to finish and sign it"},

	{area: areaQueries, key: fyne.KeyDown, does: "Next query"},
	{area: areaQueries, key: fyne.KeyUp, does: "Previous query"},
	{area: areaQueries, key: fyne.KeyReturn, does: "Send the answer"},
	{area: areaQueries, mod: ctrlKey, key: fyne.KeyS, does: "Send the answer"},

	{area: areaDefic, key: fyne.KeyDown, does: "Next deficiency"},
	{area: areaDefic, key: fyne.KeyUp, does: "Previous deficiency"},
	{area: areaDefic, key: fyne.KeyReturn, does: "Open where it is completed"},
	{area: areaDefic, mod: ctrlKey, key: fyne.Key1, does: "Mine"},
	{area: areaDefic, mod: ctrlKey, key: fyne.Key2, does: "All open (records manager)"},

	{area: areaAdmin, mod: ctrlKey, key: fyne.Key1, does: "Users"},
	{area: areaAdmin, mod: ctrlKey, key: fyne.Key2, does: "Settings"},
	{area: areaAdmin, mod: ctrlKey, key: fyne.Key3, does: "Sync"},
	{area: areaAdmin, mod: ctrlKey, key: fyne.Key4, does: "Audit trail"},
	{area: areaAdmin, mod: ctrlKey, key: fyne.Key5, does: "Integrity check"},
}

// keyNames are how Help and the menus write keys that are not a letter
// or a digit.
var keyNames = map[fyne.KeyName]string{
	fyne.KeyPageDown: "Page Down", fyne.KeyPageUp: "Page Up", fyne.KeyReturn: "Enter",
	fyne.KeyEscape: "Esc", fyne.KeyDown: "↓", fyne.KeyUp: "↑", fyne.KeyLeft: "←", fyne.KeyRight: "→",
}

// keyText writes a binding's keys as Help and the README show them.
func (b keyBinding) keyText() string {
	k := string(b.key)
	if n, ok := keyNames[b.key]; ok {
		k = n
	}
	switch b.mod {
	case ctrlKey:
		return "Ctrl+" + k
	case ctrlShift:
		return "Ctrl+Shift+" + k
	}
	return k
}

// fyneShortcut is the shortcut the desktop driver makes of a Ctrl binding:
// Fyne turns Ctrl+Y into its Redo and Ctrl+Z into its Undo, so a menu
// item of either must name Fyne's to be found.
func (b keyBinding) fyneShortcut() fyne.Shortcut {
	if b.mod == ctrlKey && b.key == fyne.KeyY {
		return &fyne.ShortcutRedo{}
	}
	if b.mod == ctrlKey && b.key == fyne.KeyZ {
		return &fyne.ShortcutUndo{}
	}
	return &desktop.CustomShortcut{KeyName: b.key, Modifier: b.mod}
}

// windowShortcut is the Ctrl+key a shortcut stands for, when the table
// holds that key: Fyne's own Redo is Ctrl+Y, the queue's Set the type, and
// its Undo Ctrl+Z, the queue's Undo the last filing (a screen that does not
// take the key leaves them to the field). Other standard shortcuts (copy,
// paste, select all) stay the field's.
func windowShortcut(s fyne.Shortcut) (*desktop.CustomShortcut, bool) {
	switch s := s.(type) {
	case *desktop.CustomShortcut:
		return s, true
	case *fyne.ShortcutRedo:
		return ctrlShortcut(fyne.KeyY), true
	case *fyne.ShortcutUndo:
		return ctrlShortcut(fyne.KeyZ), true
	}
	return nil, false
}

// modifiedKeys are the keys the table uses with Ctrl (or Ctrl+Shift), once
// each.
func modifiedKeys() []*desktop.CustomShortcut {
	var out []*desktop.CustomShortcut
	seen := map[desktop.CustomShortcut]bool{}
	for _, b := range keyBindings {
		k := desktop.CustomShortcut{KeyName: b.key, Modifier: b.mod}
		if b.mod != noModifier && !seen[k] {
			seen[k] = true
			out = append(out, &k)
		}
	}
	return out
}

// plainKeyer is a screen with keys that work without Ctrl from all its
// fields (Page Up, Page Down).
type plainKeyer interface {
	plainKey(fyne.KeyName) bool
}

// keyActions is what a screen's keys do, key by key; a nil action is a
// key the screen does not take (see when).
type keyActions map[fyne.KeyName]func()

// run runs the action of key k; false when there is none.
func (a keyActions) run(k fyne.KeyName) bool {
	do := a[k]
	if do == nil {
		return false
	}
	do()
	return true
}

// when is do if ok (the role may, the window has what it needs), nil
// otherwise: the key is then left to whatever takes it next.
func when(ok bool, do func()) func() {
	if !ok {
		return nil
	}
	return do
}

// quit closes the window, which ends the app; ShowAndRun then locks the
// session (the logout is audited).
func (u *App) quit() { u.keepPlace(); u.win.Close() }

// scrollKey scrolls s with ↓ ↑ (a line) and Page Down, Page Up (a view);
// false for another key.
func scrollKey(s *container.Scroll, k fyne.KeyName) bool {
	view := s.Size().Height
	var d float32
	switch k {
	case fyne.KeyDown:
		d = 40
	case fyne.KeyUp:
		d = -40
	case fyne.KeyPageDown:
		d = view * 0.9
	case fyne.KeyPageUp:
		d = -view * 0.9
	default:
		return false
	}
	y := min(max(s.Offset.Y+d, 0), max(s.Content.MinSize().Height-view, 0))
	s.ScrollToOffset(fyne.NewPos(s.Offset.X, y))
	return true
}

// readmeKeys is the README's list of the keys, written from the table
// (TestREADMEListsTheTable keeps the two the same).
func readmeKeys() string {
	var sb strings.Builder
	area := ""
	for _, b := range keyBindings {
		if b.area != area {
			if area != "" {
				sb.WriteString("\n")
			}
			area = b.area
			sb.WriteString("- **" + area + "**: ")
		} else {
			sb.WriteString(" · ")
		}
		does := b.does
		if len(does) > 1 && strings.ToLower(does[1:2]) == does[1:2] { // "Find …" → "find …", "QA" stays
			does = strings.ToLower(does[:1]) + does[1:]
		}
		sb.WriteString(b.keyText() + " " + does)
	}
	sb.WriteString("\n")
	return sb.String()
}
