package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"folio/app"
)

// press sends a key to the window as Fyne's desktop driver does
// (internal/driver/glfw, window.go: processKeyPressed and
// triggersShortcut): the focused widget gets KeyDown; with Ctrl the key
// becomes Fyne's standard shortcut where Fyne has one (Ctrl+Y Redo, Ctrl+Z
// Undo, Ctrl+A, C, V, X), else a custom shortcut, which the menu bar gets
// first, then the focused widget if it takes shortcuts, else the canvas;
// a key alone goes to the focused widget's TypedKey, or the canvas's. A
// Space then types its character into whatever has the keyboard by then.
func press(u *App, mod fyne.KeyModifier, key fyne.KeyName) {
	c := u.win.Canvas()
	ev := &fyne.KeyEvent{Name: key}
	if k, ok := c.Focused().(desktop.Keyable); ok {
		k.KeyDown(ev)
	} else if dc, ok := c.(desktop.Canvas); ok && dc.OnKeyDown() != nil {
		dc.OnKeyDown()(ev)
	}
	if mod != 0 {
		var sc fyne.Shortcut
		if mod == fyne.KeyModifierShortcutDefault {
			switch key {
			case fyne.KeyY:
				sc = &fyne.ShortcutRedo{}
			case fyne.KeyZ:
				sc = &fyne.ShortcutUndo{}
			case fyne.KeyA:
				sc = &fyne.ShortcutSelectAll{}
			case fyne.KeyC:
				sc = &fyne.ShortcutCopy{Clipboard: fyne.CurrentApp().Clipboard()}
			case fyne.KeyV:
				sc = &fyne.ShortcutPaste{Clipboard: fyne.CurrentApp().Clipboard()}
			case fyne.KeyX:
				sc = &fyne.ShortcutCut{Clipboard: fyne.CurrentApp().Clipboard()}
			}
		}
		if sc == nil {
			sc = &desktop.CustomShortcut{KeyName: key, Modifier: mod}
		}
		if m := u.win.MainMenu(); m != nil {
			for _, menu := range m.Items {
				for _, it := range menu.Items {
					if it.Shortcut != nil && it.Shortcut.ShortcutName() == sc.ShortcutName() && it.Action != nil {
						it.Action()
						return
					}
				}
			}
		}
		if f, ok := c.Focused().(fyne.Shortcutable); ok {
			f.TypedShortcut(sc)
		} else if cs, ok := c.(fyne.Shortcutable); ok {
			cs.TypedShortcut(sc)
		}
		return
	}
	if f := c.Focused(); f != nil {
		f.TypedKey(ev)
	} else if c.OnTypedKey() != nil {
		c.OnTypedKey()(ev)
	}
	if key == fyne.KeySpace {
		typeChar(u, ' ')
	}
}

// typeChar types a character where the keyboard is.
func typeChar(u *App, r rune) {
	c := u.win.Canvas()
	if f := c.Focused(); f != nil {
		f.TypedRune(r)
	} else if c.OnTypedRune() != nil {
		c.OnTypedRune()(r)
	}
}

// effect readies the screen for a key and returns the check of what the
// key did: "" when it did its work, else what the window shows instead.
type effect func() (check func() string)

// keyArea is an area of the table as the test drives it: who is signed
// in, how its screen is opened afresh, its fields, and per key the effect.
type keyArea struct {
	user    string
	open    func()
	fields  func() map[string]fyne.Focusable
	effects map[string]effect
}

// Every shortcut of the table (keys.go) works from every field of its
// screen: the test opens the screen afresh for each key and field, puts
// the keyboard in the field, presses the key as the desktop driver
// delivers it, and checks what the key did. A key without a check here
// fails the test, so the table cannot name a key nobody tried.
func TestEveryShortcutFromEveryField(t *testing.T) {
	ctx := t.Context()
	u := recordsRoom(t)
	admin, err := u.vault.Login(ctx, "admin", []byte(adminPW))
	if err != nil {
		t.Fatal(err)
	}
	addUser(t, admin, clinPW, "dr.amani")
	admin.Lock(ctx)
	reg := register(t, u, mary(), app.Patient{Family: "Okello", Given: "Kamau", Sex: app.SexMale,
		BirthDate: app.BirthDate{Year: 1982, Month: 12, Day: 24}})
	p := reg[0]
	visits := codingWork(t, u, "dr.amani", clinPW, reg[1].MRN)
	multi := fileScan(t, u, "paperless__multi-page-images.pdf", p.MRN, "lab-result", "2026-09-01")
	fileScan(t, u, "paperless__simple.png", p.MRN, "referral", "2026-10-14")
	fileScan(t, u, "paperless__single-page-mixed.pdf", p.MRN, "referral", "2026-10-15")
	importCorpus(t, u, "paperless__multi-page-images.tiff", "paperless__simple.jpg")
	c := u.win.Canvas()
	focused := func() fyne.Focusable { return c.Focused() }
	screenIs := func(want string) func() string {
		return func() string {
			if got := fmt.Sprintf("%T", u.cur); got != want {
				return "the window shows " + got + ", want " + want
			}
			return ""
		}
	}
	msgHas := func(m *messageLabel, want string) func() string {
		return func() string {
			if !strings.Contains(m.Text, want) {
				return fmt.Sprintf("the message says %q, want %q", m.Text, want)
			}
			return ""
		}
	}
	focusIs := func(want func() fyne.Focusable) effect {
		return func() func() string {
			return func() string {
				if f := focused(); f != want() {
					return fmt.Sprintf("the keyboard is in %T, want %T", f, want())
				}
				return ""
			}
		}
	}
	// goes is the effect of a key that shows another screen of type want
	// (a new one), or changes nothing for a role that may not go there.
	goes := func(want string, may func(app.RoleSet) bool) effect {
		return func() func() string {
			before := u.cur
			return func() string {
				if may != nil && !may(u.sess.user.Roles) {
					if u.cur != before {
						return fmt.Sprintf("%s may not, yet the window shows %T", u.sess.user.Name, u.cur)
					}
					return ""
				}
				if u.cur == before {
					return "the screen did not change"
				}
				return screenIs(want)()
			}
		}
	}
	stays := func() func() string {
		before := u.cur
		return func() string {
			if u.cur != before {
				return fmt.Sprintf("the window went to %T", u.cur)
			}
			return ""
		}
	}
	queue := func() *queueScreen { return current[*queueScreen](t, u) }
	// adminKeys are the effects of the Administration keys on each of its
	// sections (Ctrl+3 does nothing: no archive is wired).
	adminKeys := map[string]effect{
		"Ctrl+1": goes("*ui.usersScreen", nil),
		"Ctrl+2": goes("*ui.settingsScreen", nil),
		"Ctrl+3": stays,
		"Ctrl+4": goes("*ui.auditScreen", nil),
		"Ctrl+5": goes("*ui.integrityScreen", nil),
	}
	qa := func() *qaScreen { return current[*qaScreen](t, u) }
	types := func() *typeRulesScreen { return current[*typeRulesScreen](t, u) }
	viewer := func() *docViewer { return current[*docViewer](t, u) }
	// standOn puts the queue or QA on a document of several pages (or of
	// one), page at.
	standOn := func(cur *docCursor, pages *pagePane, show func(), several bool, at int) {
		for i, d := range cur.docs {
			if (len(d.Pages) > 1) == several {
				cur.cur = i
				show()
				pages.show(d, at)
				u.tasks.wait()
				return
			}
		}
		var n []int
		for _, d := range cur.docs {
			n = append(n, len(d.Pages))
		}
		t.Fatalf("%T: no document of several pages (%v) on show: %v", u.cur, several, n)
	}
	onPage := func(page func() int, want int) func() string {
		return func() string {
			if got := page(); got != want {
				return fmt.Sprintf("on page %d, want %d", got+1, want+1)
			}
			return ""
		}
	}
	queuePage := func(at, want int) effect {
		return func() func() string {
			q := queue()
			standOn(&q.docCursor, q.pages, q.showCurrent, true, at)
			return onPage(func() int { return q.pages.page }, want)
		}
	}
	qaPage := func(at, want int) effect {
		return func() func() string {
			q := qa()
			standOn(&q.docCursor, q.pages, q.showCurrent, true, at)
			return onPage(func() int { return q.pages.page }, want)
		}
	}
	// nextDocument is the effect of Ctrl+G in the queue or QA: another
	// document of the cursor's list is on show.
	nextDocument := func(cursor func() *docCursor) effect {
		return func() func() string {
			d := cursor()
			was := d.cur
			return func() string {
				if d.cur == was {
					return "still on the same document"
				}
				return ""
			}
		}
	}
	viewerPage := func(at, want int) effect {
		return func() func() string {
			v := viewer()
			v.showPage(at)
			u.tasks.wait()
			return onPage(func() int { return v.page }, want)
		}
	}
	viewerScroll := func(from float32, down bool) effect {
		return func() func() string {
			v := viewer()
			v.setZoom(zoomFitWidth, 0)
			v.scroll.ScrollToOffset(fyne.NewPos(0, from))
			return func() string {
				if y := v.scroll.Offset.Y; (down && y <= from) || (!down && y >= from) {
					return fmt.Sprintf("the page stayed at %v (from %v)", y, from)
				}
				return ""
			}
		}
	}
	zoomTo := func(m zoomMode) effect {
		return func() func() string {
			v := viewer()
			v.setZoom((m+1)%3, 2)
			return func() string {
				if v.zoom != m {
					return fmt.Sprintf("zoom %d, want %d", v.zoom, m)
				}
				return ""
			}
		}
	}
	zoomBy := func(in bool) effect {
		return func() func() string {
			v := viewer()
			before := v.scale()
			return func() string {
				if s := v.scale(); (in && s <= before) || (!in && s >= before) {
					return fmt.Sprintf("scale %v, before %v", s, before)
				}
				return ""
			}
		}
	}
	dialogOpens := func() func() string {
		n := len(u.dialogs.open)
		return func() string {
			if len(u.dialogs.open) <= n {
				return "no dialog opened"
			}
			return ""
		}
	}
	chart := func() *patientScreen { return current[*patientScreen](t, u) }
	nextTab := func(delta int) effect {
		return func() func() string {
			v := chart()
			was := v.chart.tabs.SelectedIndex()
			return func() string {
				n := len(v.chart.tabs.Items)
				if want := ((was+delta)%n + n) % n; v.chart.tabs.SelectedIndex() != want {
					return fmt.Sprintf("tab %d, want %d", v.chart.tabs.SelectedIndex(), want)
				}
				return ""
			}
		}
	}
	chartRow := func(from, want int) effect {
		return func() func() string {
			v := chart()
			c.Focus(v.chart.timeRows[from])
			return func() string {
				if focused() != v.chart.timeRows[want] {
					return fmt.Sprintf("the keyboard is in %T, want row %d", focused(), want+1)
				}
				return ""
			}
		}
	}
	// noDialog is the effect of a key a role may not use: nothing opens.
	noDialog := func() func() string {
		check := stays()
		n := len(u.dialogs.open)
		return func() string {
			if len(u.dialogs.open) != n {
				return "a dialog opened for a role that may not use it"
			}
			return check()
		}
	}
	chartKeys := func(clinician bool) map[string]effect {
		m := map[string]effect{
			"Ctrl+Page Down": nextTab(1), "Ctrl+Page Up": nextTab(-1),
			"↓": chartRow(0, 1), "↑": chartRow(1, 0),
			"Enter":  func() func() string { c.Focus(chart().chart.timeRows[0]); return screenIs("*ui.docViewer") },
			"Ctrl+E": func() func() string { return screenIs("*ui.patientForm") },
			"Ctrl+H": func() func() string {
				return func() string { u.tasks.wait(); return screenIs("*ui.historyScreen")() }
			},
			"Ctrl+T": stays, "Ctrl+1": noDialog, "Ctrl+2": noDialog, "Ctrl+3": noDialog, "Ctrl+4": noDialog,
		}
		if clinician {
			m["Ctrl+T"] = goes("*ui.encounterScreen", canNote)
			m["Ctrl+1"], m["Ctrl+2"], m["Ctrl+3"], m["Ctrl+4"] = dialogOpens, dialogOpens, dialogOpens, dialogOpens
		}
		return m
	}
	// chartArea is the chart's keys as user, a records clerk or a
	// clinician, from its rows and its type filter.
	chartArea := func(user string, clinician bool) keyArea {
		return keyArea{
			user: user,
			open: func() { u.nav.openPatient(p.MRN); u.tasks.wait(); u.tasks.wait() },
			fields: func() map[string]fyne.Focusable {
				v := chart()
				return map[string]fyne.Focusable{"first document": v.chart.timeRows[0], "Type filter": v.chart.kindFilter}
			},
			effects: chartKeys(clinician),
		}
	}
	visit := func() *encounterScreen { return current[*encounterScreen](t, u) }
	search := func() *searchScreen { return current[*searchScreen](t, u) }
	searchSel := func(from, want int) effect {
		return func() func() string {
			s := search()
			s.selected = from
			return func() string {
				if s.selected != want {
					return fmt.Sprintf("patient %d chosen, want %d", s.selected+1, want+1)
				}
				return ""
			}
		}
	}
	// usersArea is the Users section's fields as an administrator, where
	// keys should do effects.
	usersArea := func(effects map[string]effect) keyArea {
		return keyArea{
			user: "admin", open: u.nav.showUsers,
			fields: func() map[string]fyne.Focusable {
				s := current[*usersScreen](t, u)
				return map[string]fyne.Focusable{"User name": s.name, "Full name": s.fullName, "Roles": s.roles.checks[0],
					"Password": s.pass, "Again": s.again}
			},
			effects: effects,
		}
	}
	everywhere := map[string]effect{
		"Ctrl+F": goes("*ui.searchScreen", nil),
		"Ctrl+N": goes("*ui.patientForm", canWrite),
		"Ctrl+I": goes("*ui.scanScreen", canScan),
		"Ctrl+J": goes("*ui.queueScreen", canIndex),
		"Ctrl+K": goes("*ui.qaScreen", canVerify),
		"Ctrl+U": goes("*ui.usersScreen", canAdmin),
		"Ctrl+W": goes("*ui.typeRulesScreen", canKeepTypeRules),
		"Ctrl+6": goes("*ui.codingWorklistScreen", canCode),
		"Ctrl+7": goes("*ui.myNotesScreen", canWriteNotes),
		"Ctrl+8": goes("*ui.myQueriesScreen", canWriteNotes),
		"Ctrl+9": goes("*ui.deficiencyScreen", canSeeDeficiencies),
		"Ctrl+L": func() func() string {
			name := u.sess.user.Name
			return func() string {
				if u.sess != nil {
					return "still signed in"
				}
				logIn(t, u, name, map[string]string{"admin": adminPW}[name]+map[bool]string{true: clerkPW}[name != "admin"])
				return ""
			}
		},
		"Ctrl+Q": nil, // TestCtrlQQuits: it closes the window
		"F1": func() func() string {
			return func() string {
				if u.dialogs.help == nil {
					return "Help did not open"
				}
				u.dialogs.help.Hide()
				return ""
			}
		},
		"Esc": goes("*ui.searchScreen", nil),
	}
	areas := map[string][]keyArea{
		areaWindow: {{
			user: "grace", open: u.nav.showQueue,
			fields: func() map[string]fyne.Focusable {
				q := queue()
				return map[string]fyne.Focusable{"Patient": q.patient.field, "Type": q.kind, "Date": q.date}
			},
			effects: everywhere,
		}, usersArea(everywhere)},
		areaSearch: {{
			user: "grace",
			open: func() {
				u.nav.showSearch()
				s := search()
				s.query.SetText("okello")
				s.searchNow("okello")
				u.tasks.wait()
			},
			fields: func() map[string]fyne.Focusable { return map[string]fyne.Focusable{"Search": search().query} },
			effects: map[string]effect{
				"↓": searchSel(0, 1), "↑": searchSel(1, 0),
				"Enter": func() func() string {
					return func() string { u.tasks.wait(); return screenIs("*ui.patientScreen")() }
				},
			},
		}},
		areaChart: {chartArea("grace", false), chartArea("dr.amani", true)},
		areaVisit: {{
			user: "dr.amani",
			open: func() {
				u.nav.openPatient(p.MRN)
				u.tasks.wait()
				chart().newVisit()
			},
			fields: func() map[string]fyne.Focusable {
				fs := map[string]fyne.Focusable{}
				for i, f := range visit().form.fields() {
					fs[fmt.Sprintf("field %02d %T", i+1, f)] = f
				}
				return fs
			},
			effects: map[string]effect{
				"Ctrl+S": func() func() string {
					v := visit()
					return func() string {
						if v.enc.ID == "" {
							return "the draft was not saved: " + v.status.Text
						}
						return ""
					}
				},
				"Ctrl+Shift+S": dialogOpens,
				"Ctrl+D":       func() func() string { return msgHas(&visit().status, "Save the draft first") },
				"Ctrl+M":       func() func() string { return msgHas(&visit().status, "still a draft") },
			},
		}},
		areaViewer: {{
			user: "grace",
			open: func() { u.nav.showDocument(multi.ID); u.tasks.wait(); u.tasks.wait() },
			fields: func() map[string]fyne.Focusable {
				v := viewer()
				return map[string]fyne.Focusable{"page": v.pageView, "Find": v.find.search}
			},
			effects: map[string]effect{
				"Page Down": viewerPage(0, 1), "Page Up": viewerPage(1, 0),
				"Ctrl+Page Down": viewerPage(0, 1), "Ctrl+Page Up": viewerPage(1, 0),
				"→": viewerPage(0, 1), "←": viewerPage(1, 0), "Home": viewerPage(2, 0), "End": viewerPage(0, 2),
				"↓": viewerScroll(0, true), "↑": viewerScroll(60, false),
				"+": zoomBy(true), "−": zoomBy(false),
				"Ctrl+1": zoomTo(zoomFitWidth), "Ctrl+2": zoomTo(zoomFitPage), "Ctrl+3": zoomTo(zoomScale),
				"Ctrl+R": func() func() string { return msgHas(&viewer().msg, "turned a quarter") },
				"Ctrl+G": focusIs(func() fyne.Focusable { return viewer().find.search }),
				"Ctrl+S": dialogOpens,
				"Ctrl+B": func() func() string { return msgHas(&viewer().msg, "Nothing was left out of this document") },
			},
		}},
		areaForm: {{
			user: "grace", open: u.nav.showRegister,
			fields: func() map[string]fyne.Focusable {
				f := current[*patientForm](t, u)
				return map[string]fyne.Focusable{"Family": f.family, "Given": f.given, "Sex": f.sex, "Date of birth": f.dob,
					"Estimated": f.estimated, "Phone": f.phone, "Notes": f.notes}
			},
			effects: map[string]effect{
				"Ctrl+S": func() func() string {
					f := current[*patientForm](t, u)
					return func() string {
						if !f.msg.Visible() || f.msg.Text == "" {
							return "the empty form was not checked"
						}
						return ""
					}
				},
			},
		}},
		areaScan: {{
			user: "grace", open: u.nav.showScanning,
			fields: func() map[string]fyne.Focusable {
				st := current[*scanScreen](t, u)
				return map[string]fyne.Focusable{"Cover sheet patient": st.coverFor.field, "Type": st.coverType,
					"Date": st.coverDate, "Pages": st.coverPages}
			},
			effects: map[string]effect{
				"Ctrl+O": dialogOpens,
				"Ctrl+P": focusIs(func() fyne.Focusable { return current[*scanScreen](t, u).coverFor.field }),
				"Ctrl+S": func() func() string {
					st := current[*scanScreen](t, u)
					return func() string {
						if st.coverMsg.Text == "" {
							return "the cover sheet was not asked for"
						}
						return ""
					}
				},
			},
		}},
		areaQueue: {{
			user: "grace", open: func() { u.nav.showQueue(); u.tasks.wait() },
			fields: func() map[string]fyne.Focusable {
				q := queue()
				return map[string]fyne.Focusable{"Patient": q.patient.field, "Type": q.kind, "Date": q.date}
			},
			effects: map[string]effect{
				"Ctrl+P": focusIs(func() fyne.Focusable { return queue().patient.field }),
				"Ctrl+Y": focusIs(func() fyne.Focusable { return queue().kind }),
				"Ctrl+D": focusIs(func() fyne.Focusable { return queue().date }),
				"Ctrl+Enter": func() func() string {
					q := queue()
					q.patient.set("")
					return msgHas(&q.msg, "Choose the patient")
				},
				"Ctrl+G": nextDocument(func() *docCursor { return &queue().docCursor }),
				"Ctrl+R": func() func() string { return msgHas(&queue().msg, "turned a quarter") },
				"Ctrl+T": func() func() string { return msgHas(&queue().msg, "Go to the page that starts") },
				"Ctrl+M": func() func() string { return msgHas(&queue().msg, "no previous document") },
				"Ctrl+B": func() func() string {
					q := queue()
					standOn(&q.docCursor, q.pages, q.showCurrent, false, 0)
					return msgHas(&q.msg, "only page")
				},
				"Ctrl+Z": func() func() string {
					u.sess.lastFiled = ""
					return msgHas(&queue().msg, "Nothing to undo")
				},
				"Page Down": queuePage(0, 1), "Page Up": queuePage(1, 0),
			},
		}},
		areaQA: {{
			user: "peter", open: func() { u.nav.showQA(); u.tasks.wait() },
			fields: func() map[string]fyne.Focusable { return map[string]fyne.Focusable{"Reason": qa().reason} },
			effects: map[string]effect{
				"Ctrl+Enter": func() func() string { return msgHas(&qa().msg, "Verified") },
				"Ctrl+G":     nextDocument(func() *docCursor { return &qa().docCursor }),
				"Page Down":  qaPage(0, 1), "Page Up": qaPage(1, 0),
				"Enter": func() func() string {
					q := qa()
					q.reason.SetText("not this patient's")
					return msgHas(&q.msg, "Sent back")
				},
			},
		}},
		areaTypes: {{
			user: "grace", open: func() { u.nav.showTypeRules(); u.tasks.wait() },
			fields: func() map[string]fyne.Focusable {
				s := types()
				return map[string]fyne.Focusable{"first type": s.rows[0].typ, "first keywords": s.rows[0].keywords,
					"last keywords": s.rows[len(s.rows)-1].keywords}
			},
			effects: map[string]effect{
				"Ctrl+S": func() func() string { return msgHas(&types().msg, "Saved") },
				"Ctrl+T": func() func() string {
					s := types()
					n := len(s.rows)
					return func() string {
						if len(s.rows) != n+1 || focused() != s.rows[n].typ {
							return fmt.Sprintf("%d rows (was %d), the keyboard in %T", len(s.rows), n, focused())
						}
						return ""
					}
				},
				"Ctrl+R": func() func() string {
					s := types()
					n := len(s.rows)
					return func() string {
						if len(s.rows) != n-1 {
							return fmt.Sprintf("%d rows, was %d", len(s.rows), n)
						}
						return msgHas(&s.msg, "Removed")()
					}
				},
			},
		}},
		areaAdmin: {{
			user: "admin", open: u.nav.showSettings,
			fields: func() map[string]fyne.Focusable {
				s := current[*settingsScreen](t, u)
				fs := map[string]fyne.Focusable{}
				for i, st := range s.settings() {
					fs[fmt.Sprintf("setting %d", i+1)] = st.field
				}
				return fs
			},
			effects: adminKeys,
		}, usersArea(adminKeys), {
			user: "admin", open: u.nav.showAudit,
			fields: func() map[string]fyne.Focusable {
				s := current[*auditScreen](t, u)
				return map[string]fyne.Focusable{"User": s.user, "Patient": s.mrn, "Action": s.action, "Since": s.since}
			},
			effects: adminKeys,
		}},
	}
	for k, v := range codingKeyAreas(t, u, visits[0].ID) {
		areas[k] = v
	}
	pw := map[string]string{"grace": clerkPW, "peter": clerkPW, "admin": adminPW, "dr.amani": clinPW}
	for _, area := range []string{areaWindow, areaSearch, areaChart, areaVisit, areaViewer, areaForm, areaScan, areaQueue, areaQA, areaTypes,
		areaWork, areaCoding, areaNotes, areaQueries, areaDefic, areaAdmin} {
		for _, a := range areas[area] {
			if u.sess == nil || u.sess.user.Name != a.user {
				logInAgain(t, u, a.user, pw[a.user])
			}
			for _, b := range keyBindings {
				if b.area != area {
					continue
				}
				eff, ok := a.effects[b.keyText()]
				if !ok {
					t.Errorf("%s: %s (%s) has no check in this test", area, b.keyText(), b.does)
					continue
				}
				if eff == nil {
					continue
				}
				a.open()
				u.tasks.wait()
				fields := a.fields()
				names := make([]string, 0, len(fields))
				for n := range fields {
					names = append(names, n)
				}
				slices.Sort(names)
				for _, name := range names {
					f := fields[name]
					if _, text := f.(*entry); text && (b.char || b.notInFields) {
						continue
					}
					a.open()
					u.tasks.wait()
					f = a.fields()[name]
					c.Focus(f)
					check := eff()
					if b.char {
						typeChar(u, []rune(string(b.key))[0])
					} else {
						press(u, b.mod, b.key)
					}
					u.tasks.wait()
					u.tasks.wait()
					if msg := check(); msg != "" {
						t.Errorf("%s, %s as %s with the keyboard in %s: %s", area, b.keyText(), a.user, name, msg)
					}
					for d := range u.dialogs.open {
						d.Hide()
					}
					if u.sess == nil {
						logIn(t, u, a.user, pw[a.user])
					}
				}
			}
		}
	}
}

// The case: the cursor is in Patient after choosing the patient,
// and Ctrl+Y (which Fyne's desktop driver delivers as Redo) must still
// reach the type, so that ← → set it and the document is not filed as
// "Other".
func TestCtrlYFromPatientSetsTheType(t *testing.T) {
	u := recordsRoom(t)
	p := register(t, u, mary())[0]
	importCorpus(t, u, "paperless__simple.png")
	press(u, fyne.KeyModifierShortcutDefault, fyne.KeyJ)
	q := current[*queueScreen](t, u)
	u.tasks.wait()
	q.patient.set(p.MRN)
	u.tasks.wait()
	c := u.win.Canvas()
	if c.Focused() != q.patient.field {
		t.Fatalf("the queue opens with the keyboard in %T", c.Focused())
	}
	press(u, fyne.KeyModifierShortcutDefault, fyne.KeyY)
	if c.Focused() != q.kind {
		t.Fatalf("Ctrl+Y in Patient left the keyboard in %T", c.Focused())
	}
	q.kind.SetSelected(docTypeText("referral"))
	press(u, fyne.KeyModifierShortcutDefault, fyne.KeyReturn)
	u.tasks.wait()
	u.tasks.wait()
	if !strings.Contains(q.msg.Text, "as referral") {
		t.Fatalf("after Ctrl+Enter: %q", q.msg.Text)
	}
}

// Ctrl+Y is still Redo in a field of a screen that does not use it, though
// the menu bar (which the desktop driver asks first) offers Set the type.
func TestCtrlYIsRedoElsewhere(t *testing.T) {
	u := recordsRoom(t)
	press(u, fyne.KeyModifierShortcutDefault, fyne.KeyN)
	f := current[*patientForm](t, u)
	u.win.Canvas().Focus(f.notes)
	test.Type(f.notes, "allergic to penicillin")
	press(u, fyne.KeyModifierShortcutDefault, fyne.KeyZ)
	if f.notes.Text == "allergic to penicillin" {
		t.Skip("this Fyne's entry has no undo")
	}
	press(u, fyne.KeyModifierShortcutDefault, fyne.KeyY)
	if f.notes.Text != "allergic to penicillin" {
		t.Fatalf("Ctrl+Z, Ctrl+Y in the notes: %q", f.notes.Text)
	}
}

// ↓ scrolls a page shown at fit width down to its foot, and ↑ back up,
// from the page and from the search field; Page Down turns the page.
func TestViewerArrowsReachTheFootOfThePage(t *testing.T) {
	u, _, lab, _ := chartWithDocuments(t)
	u.win.Resize(fyne.NewSize(1366, 768))
	u.nav.showDocument(lab.ID)
	u.tasks.wait()
	u.tasks.wait()
	v := current[*docViewer](t, u)
	c := u.win.Canvas()
	for _, f := range []fyne.Focusable{v.pageView, v.find.search} {
		v.showPage(0)
		u.tasks.wait()
		v.scroll.ScrollToTop()
		view, content := v.scroll.Size().Height, v.stage.MinSize().Height
		if content <= view*1.5 {
			t.Fatalf("at fit width the page is %v high in a view of %v: nothing to scroll", content, view)
		}
		c.Focus(f)
		presses := 0
		for v.scroll.Offset.Y+view < content-1 && presses < 100 {
			press(u, 0, fyne.KeyDown)
			presses++
		}
		if v.scroll.Offset.Y+view < content-1 || presses < 2 {
			t.Fatalf("%T: ↓ %d times: at %v of %v (view %v)", f, presses, v.scroll.Offset.Y, content, view)
		}
		press(u, 0, fyne.KeyUp)
		if v.scroll.Offset.Y+view >= content-1 {
			t.Fatalf("%T: ↑ did not scroll up", f)
		}
		press(u, 0, fyne.KeyPageDown)
		u.tasks.wait()
		if v.page != 1 || v.scroll.Offset.Y != 0 {
			t.Fatalf("%T: Page Down: page %d at %v", f, v.page+1, v.scroll.Offset.Y)
		}
	}
}

// A Space that presses a button is not typed into the field that has the
// keyboard next: Continue after the recovery key leaves the password
// empty, and closing Help with Space leaves the MRN prefix as it was.
func TestSpaceOnAButtonTypesNothing(t *testing.T) {
	u, _ := typeSetup(t, "kab")
	u.tasks.wait()
	r := current[*recoveryKeyScreen](t, u)
	c := u.win.Canvas()
	if c.Focused() != r.done {
		t.Fatalf("the recovery key screen opens with the keyboard in %T", c.Focused())
	}
	press(u, 0, fyne.KeySpace) // ticks "I have written it down"
	if !r.done.Checked {
		t.Fatal("Space did not tick the box")
	}
	c.FocusNext()
	if c.Focused() != r.proceed {
		t.Fatalf("Tab went to %T, not Continue", c.Focused())
	}
	press(u, 0, fyne.KeySpace)
	l := current[*loginScreen](t, u)
	if c.Focused() != l.pass {
		t.Fatalf("the login opens with the keyboard in %T", c.Focused())
	}
	if l.pass.Text != "" {
		t.Fatalf("the password holds %q after Space on Continue", l.pass.Text)
	}
	test.Type(l.pass, adminPW)
	press(u, 0, fyne.KeyReturn)
	u.tasks.wait()
	if u.sess == nil {
		t.Fatalf("the first login failed: %q", l.msg.Text)
	}

	u.nav.showSettings()
	st := current[*settingsScreen](t, u)
	u.tasks.wait()
	c.Focus(st.site.field)
	prefix := st.site.field.Text
	press(u, 0, fyne.KeyF1)
	if u.dialogs.help == nil {
		t.Fatal("F1 did not open Help")
	}
	c.FocusNext() // the Close button
	if _, ok := c.Focused().(*widget.Button); !ok {
		t.Fatalf("Tab in Help went to %T", c.Focused())
	}
	press(u, 0, fyne.KeySpace)
	if u.dialogs.help != nil {
		t.Fatal("Space on Close did not close Help")
	}
	if c.Focused() != st.site.field || st.site.field.Text != prefix {
		t.Fatalf("after Help: keyboard in %T, MRN prefix %q (was %q)", c.Focused(), st.site.field.Text, prefix)
	}
	// A space typed in the field itself is kept.
	press(u, 0, fyne.KeySpace)
	if st.site.field.Text != prefix+" " && st.site.field.Text != " "+prefix {
		t.Fatalf("a space typed in the prefix: %q", st.site.field.Text)
	}
}

// F1 opens Help from a field and closes it; Esc and Enter close it; it
// lists every key of the table with what it does, and so does the README.
func TestHelpListsTheTable(t *testing.T) {
	u := recordsRoom(t)
	c := u.win.Canvas()
	press(u, fyne.KeyModifierShortcutDefault, fyne.KeyJ)
	u.tasks.wait()
	q := current[*queueScreen](t, u)
	for _, closer := range []fyne.KeyName{fyne.KeyEscape, fyne.KeyReturn, fyne.KeyF1} {
		c.Focus(q.date)
		press(u, 0, fyne.KeyF1)
		if u.dialogs.help == nil {
			t.Fatal("F1 in the date field did not open Help")
		}
		var shown []string
		for _, o := range test.LaidOutObjects(c.Overlays().Top()) {
			switch w := o.(type) {
			case *widget.Label:
				shown = append(shown, w.Text)
			case *widget.RichText:
				shown = append(shown, w.String())
			}
		}
		all := strings.Join(shown, "\n")
		for _, b := range keyBindings {
			if !strings.Contains(all, b.area) || !slices.Contains(shown, b.keyText()) || !slices.Contains(shown, b.does) {
				t.Errorf("Help does not list %s: %s %s", b.area, b.keyText(), b.does)
			}
		}
		// The list is longer than the dialog: the keys scroll it.
		press(u, 0, fyne.KeyPageDown)
		press(u, 0, fyne.KeyDown)
		if u.dialogs.helpScroll.Offset.Y <= 0 {
			t.Fatal("Page Down and ↓ did not scroll Help")
		}
		if q.pages.page != 0 {
			t.Fatal("Page Down in Help turned the queue's page")
		}
		press(u, 0, closer)
		if u.dialogs.help != nil || len(u.dialogs.open) != 0 {
			t.Fatalf("%s did not close Help", closer)
		}
		if u.cur != screen(q) || c.Focused() != q.date {
			t.Fatalf("closing Help with %s left %T, keyboard in %T", closer, u.cur, c.Focused())
		}
	}
	// The menu's Help item shows the same dialog.
	for _, m := range u.win.MainMenu().Items {
		for _, it := range m.Items {
			if it.Label == "Keyboard shortcuts" {
				it.Action()
			}
		}
	}
	if u.dialogs.help == nil {
		t.Fatal("Help → Keyboard shortcuts did not open Help")
	}
	press(u, 0, fyne.KeyEscape)

	// An error dialog closes with Enter, and so does About with Esc.
	u.dialogs.showError("Open patient", app.ErrNotFound)
	u.dialogs.showAbout()
	press(u, 0, fyne.KeyEscape)
	if len(u.dialogs.open) != 1 {
		t.Fatalf("Esc over About and an error left %d dialogs", len(u.dialogs.open))
	}
	press(u, 0, fyne.KeyReturn)
	if len(u.dialogs.open) != 0 || u.cur != screen(q) {
		t.Fatalf("Enter on an error left %d dialogs, the window on %T", len(u.dialogs.open), u.cur)
	}
}

// The README's list of keys is the table's.
func TestREADMEListsTheTable(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- keys: ui/keys.go, TestREADMEListsTheTable -->\n", "<!-- end of keys -->"
	s := string(data)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("README.md has no list of keys between %q and %q", begin, end)
	}
	if got, want := s[i+len(begin):j], readmeKeys(); got != want {
		t.Errorf("README.md's keys differ from the table; write there:\n%s", want)
	}
}

// Ctrl+Q closes the window (ending the app) from a field, signed in or not.
func TestCtrlQQuits(t *testing.T) {
	v, _ := createdVault(t, nil)
	for _, signedIn := range []bool{false, true} {
		u := New(test.NewTempApp(t), v, Options{}) // not newWindow: the test closes the window
		u.tasks.hold = true
		if signedIn {
			logIn(t, u, "admin", adminPW)
			u.nav.showSearch()
		} else {
			u.win.Canvas().Focus(current[*loginScreen](t, u).pass)
		}
		press(u, fyne.KeyModifierShortcutDefault, fyne.KeyQ)
		if slices.Contains(fyne.CurrentApp().Driver().AllWindows(), u.win) {
			t.Fatalf("signed in %v: Ctrl+Q left the window open", signedIn)
		}
		if u.sess != nil {
			u.lock("")
		}
		u.tasks.wait()
	}
}
