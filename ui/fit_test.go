package ui

import (
	"context"
	"fmt"
	"os"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/app"
)

// menuBarHeight is what the window's own menu bar takes above the
// content on Linux and Windows (Fyne draws it inside the window: a line of
// text and its padding).
func menuBarHeight() float32 {
	return fyne.MeasureText("Patients", theme.TextSize(), fyne.TextStyle{}).Height + theme.InnerPadding()
}

// fits checks that the window's content fits size without growing the
// window (its minimum size, with the window's padding and the menu bar,
// is no larger) and that each key object is shown and reachable: inside
// the window, or inside a scroll that brings it there.
func fits(t *testing.T, u *App, size fyne.Size, name string, keys ...fyne.CanvasObject) {
	t.Helper()
	menu := menuBarHeight()
	u.win.Resize(size.SubtractWidthHeight(0, menu)) // the test window draws no menu bar
	content := u.win.Content()
	frame := u.win.Canvas().Size().Subtract(content.Size())
	need := content.MinSize().Add(frame).AddWidthHeight(0, menu)
	if need.Width > size.Width || need.Height > size.Height {
		t.Errorf("%s at %v×%v: the window would grow itself to %v×%v", name, size.Width, size.Height,
			max(need.Width, size.Width), max(need.Height, size.Height))
	}
	visible := u.win.Canvas().Size()
	for i, k := range keys {
		path := pathTo(content, k)
		if path == nil {
			t.Errorf("%s: key object %d (%T %s) is not in the window", name, i, k, label(k))
			continue
		}
		scrolled := false
		for _, o := range path {
			if !o.Visible() {
				t.Errorf("%s: key object %d (%T %s) is hidden", name, i, k, label(k))
			}
			if _, ok := o.(*container.Scroll); ok {
				scrolled = true
			}
		}
		pos := u.fyne.Driver().AbsolutePositionForObject(k)
		end := pos.Add(k.Size())
		if !scrolled && (end.X > visible.Width+0.5 || end.Y > visible.Height+0.5) {
			t.Errorf("%s: key object %d (%T %s) lies at %v–%v, outside the window %v and no scroll reaches it",
				name, i, k, label(k), pos, end, visible)
		}
	}
}

// label names a key object in a failure.
func label(o fyne.CanvasObject) string {
	switch w := o.(type) {
	case *widget.Button:
		return fmt.Sprintf("%q", w.Text)
	case *entry:
		return fmt.Sprintf("field %q", w.PlaceHolder)
	}
	return ""
}

// pathTo is the chain of objects from root down to o, or nil.
func pathTo(root, o fyne.CanvasObject) []fyne.CanvasObject {
	return pathDown(root, o, func(c fyne.CanvasObject) []fyne.CanvasObject {
		switch c := c.(type) {
		case *fyne.Container:
			return c.Objects
		case fyne.Widget:
			return test.WidgetRenderer(c).Objects()
		}
		return nil
	})
}

// Issue 14, item 5: the window grew itself to 1040×687 on the queue and
// 1040×600 on the register form; Save, Add user and "Password again" sat
// below the fold, and the viewer's page area shrank to ~225 px and its
// Find field to a few characters. Every screen fits 1024×600 (a netbook,
// a clinic laptop) and 1366×768, its main buttons reachable.
func TestEveryScreenFitsSmallWindows(t *testing.T) {
	for _, size := range []fyne.Size{{Width: 1024, Height: 600}, {Width: 1366, Height: 768}} {
		t.Run(fmt.Sprintf("%vx%v", size.Width, size.Height), func(t *testing.T) { screensFit(t, size) })
	}
}

func screensFit(t *testing.T, size fyne.Size) {
	ctx := context.Background()
	c := newClock()
	v := openVault(t, c.Now)
	u := newWindow(t, v, Options{Now: c.Now})
	// FOLIO_SCREENSHOTS=$PWD/docs/screenshots also saves the small
	// screen's views as small-NAME.png (the content, without a menu bar).
	shot := func(string) {}
	if dir := os.Getenv("FOLIO_SCREENSHOTS"); dir != "" && size.Width == 1024 {
		save := shooter(t, u, dir)
		shot = func(name string) { save("small-" + name) }
	}

	s := current[*setupScreen](t, u)
	fits(t, u, size, "setup", s.again, s.create)
	test.Type(s.user, "admin")
	test.Type(s.pass, adminPW)
	test.Type(s.again, adminPW)
	test.Type(s.site, "KAB")
	test.Tap(s.create)
	u.tasks.wait()
	r := current[*recoveryKeyScreen](t, u)
	fits(t, u, size, "recovery key", r.done, r.proceed)
	test.Tap(r.done)
	test.Tap(r.proceed)

	l := current[*loginScreen](t, u)
	fits(t, u, size, "login", l.pass, l.submitBtn)
	l.showRecover()
	fits(t, u, size, "recovery form", l.rec.again, l.rec.submitBtn)
	l.showLogin("", "")
	test.Type(l.pass, adminPW)
	test.Tap(l.submitBtn)
	u.tasks.wait()

	sr := current[*searchScreen](t, u)
	fits(t, u, size, "search", sr.query)
	u.input.shortcut(ctrl(fyne.KeyN))
	f := current[*patientForm](t, u)
	fits(t, u, size, "register", f.saveBtn)
	shot("register")
	if w := f.dob.Size().Width; w < 120 { // YYYY-MM-DD and the cursor
		t.Errorf("register at %v: the date of birth field is %v px wide", size, w)
	}
	u.input.shortcut(ctrl(fyne.KeyU))
	u.tasks.wait()
	us := current[*usersScreen](t, u)
	fits(t, u, size, "users", us.again, us.addBtn)
	shot("users")
	u.nav.showSettings()
	u.tasks.wait()
	st := current[*settingsScreen](t, u)
	fits(t, u, size, "settings", st.site.save, st.newKey)
	u.input.shortcut(ctrl(fyne.Key4))
	u.tasks.wait()
	au := current[*auditScreen](t, u)
	fits(t, u, size, "audit", au.since, au.export, au.exportPDF, au.print, au.list)
	u.input.shortcut(ctrl(fyne.Key5))
	u.tasks.wait()
	is := current[*integrityScreen](t, u)
	test.Tap(is.check)
	u.tasks.wait()
	fits(t, u, size, "integrity check", is.check, is.verdict)
	u.nav.showScanning()
	u.tasks.wait()
	current[*scanScreen](t, u)
	fits(t, u, size, "scanning")

	for _, name := range []string{"grace", "peter"} {
		if err := u.sess.s.Users().Add(ctx, app.User{Name: name, FullName: "Grace Phiri", Roles: app.RoleSet{app.RoleRecords}}, []byte(clerkPW)); err != nil {
			t.Fatal(err)
		}
	}
	if err := u.sess.s.Users().Add(ctx, app.User{Name: "dr.amani", FullName: "Amani Wekesa", Roles: app.RoleSet{app.RoleClinician}}, []byte(clinPW)); err != nil {
		t.Fatal(err)
	}
	logInAgain(t, u, "grace", clerkPW)
	if err := u.sess.s.Indexing().SetQASampling(ctx, 100); err != nil {
		t.Fatal(err)
	}
	p := register(t, u, mary())[0]
	lab := fileScan(t, u, "paperless__multi-page-images.pdf", p.MRN, "lab-result", "2026-09-01")
	importCorpus(t, u, "paperless__simple.png")
	u.nav.openPatient(p.MRN)
	u.tasks.wait()
	ch := current[*patientScreen](t, u)
	fits(t, u, size, "chart", ch.chart.timeRows[0])
	ch.chart.tabs.Select(ch.chart.demoTab)
	fits(t, u, size, "demographics", ch.demo.histBtn, ch.demo.editBtn)
	test.Tap(ch.demo.editBtn)
	u.tasks.wait()
	amend := current[*patientForm](t, u)
	fits(t, u, size, "amend", amend.saveBtn)
	test.Tap(amend.cancelBtn)
	u.tasks.wait()
	ch = current[*patientScreen](t, u)
	ch.chart.tabs.Select(ch.chart.demoTab)
	test.Tap(ch.demo.histBtn)
	u.tasks.wait()
	current[*historyScreen](t, u)
	fits(t, u, size, "history")

	u.nav.showDocument(lab.ID)
	u.tasks.wait()
	dv := current[*docViewer](t, u)
	u.tasks.wait()
	fits(t, u, size, "viewer", dv.find.search, dv.output.exportBtn, dv.nextBtn)
	shot("document-viewer")
	t.Logf("viewer at %v×%v: page area %v, Find field %v px wide", size.Width, size.Height, dv.scroll.Size(), dv.find.search.Size().Width)
	if h := dv.scroll.Size().Height; h < 300 {
		t.Errorf("viewer at %v: the page area is %v px high", size, h)
	}
	if w := dv.find.search.Size().Width; w < 200 {
		t.Errorf("viewer at %v: the Find field is %v px wide", size, w)
	}

	u.input.shortcut(ctrl(fyne.KeyJ))
	u.tasks.wait()
	q := current[*queueScreen](t, u)
	fits(t, u, size, "queue", q.accept)

	u.input.shortcut(ctrl(fyne.KeyW))
	u.tasks.wait()
	tr := current[*typeRulesScreen](t, u)
	fits(t, u, size, "document type rules", tr.rows[0].keywords, tr.rows[0].remove, tr.add, tr.reset, tr.save)
	shot("type-rules")

	codingFits(t, u, size, shot, p.MRN)

	logInAgain(t, u, "peter", clerkPW)
	u.input.shortcut(ctrl(fyne.KeyK))
	u.tasks.wait()
	qa := current[*qaScreen](t, u)
	u.tasks.wait()
	fits(t, u, size, "QA", qa.verify, qa.reason)

	// A clinician's chart with its summary, the visit editor, and the
	// signed visit read-only.
	logInAgain(t, u, "dr.amani", clinPW)
	u.nav.openPatient(p.MRN)
	u.tasks.wait()
	ch = current[*patientScreen](t, u)
	fits(t, u, size, "chart with the summary", ch.summary.box, ch.chart.timeRows[0])
	shot("chart-summary")
	ch.newVisit()
	ev := current[*encounterScreen](t, u)
	last := ev.form.vitals.fields[len(ev.form.vitals.fields)-1].field
	fits(t, u, size, "visit editor", ev.form.kind, ev.form.reason, last, ev.form.plan, ev.saveBtn, ev.signBtn, ev.linkBtn)
	shot("visit-editor")
	test.Type(ev.form.plan, "Review in a week.")
	ev.saveNow(true)
	u.tasks.wait()
	var signed app.Encounter
	e, err := ev.form.read(ev.enc)
	if err == nil {
		signed, err = u.sess.s.Encounters().Sign(ctx, e)
	}
	if err != nil {
		t.Fatal(err)
	}
	u.nav.showEncounter(signed.ID)
	u.tasks.wait()
	ev = current[*encounterScreen](t, u)
	fits(t, u, size, "signed visit", ev.read.box, ev.addBtn, ev.linkBtn)
}
