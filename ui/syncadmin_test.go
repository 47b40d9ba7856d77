package ui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"folio/app"
	"folio/archive/archivetest"
	"folio/profile"
	"folio/syncer"
)

// testSync is a workstation's sync as main.go wires it: the real
// administration (syncer.Admin) over the real background runner
// (syncer.Runner). Only how the window hears the runner differs: startSync
// hands the window the session's first word once a round has ended (or
// sync could not start), on the calling goroutine, and drops the later
// ones, which the test driver would otherwise apply on the engine's
// goroutine beside the test's.
type testSync struct {
	*syncer.Admin
	t      *testing.T
	runner *syncer.Runner
	starts int
}

func newTestSync(t *testing.T, prof *profile.Profile) *testSync {
	runner := prof.SyncRunner(nil)
	return &testSync{Admin: prof.SyncAdmin(runner), t: t, runner: runner}
}

func (ts *testSync) startSync(ctx context.Context, s *app.Session, status func(app.SyncStatus)) {
	ts.starts++
	ctx, cancel := context.WithCancel(ctx)
	ts.t.Cleanup(func() { // before the profile closes
		cancel()
		for deadline := time.Now().Add(30 * time.Second); ts.runner.Engine() != nil && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
	})
	reports := make(chan app.SyncStatus, 64)
	before := ts.runner.Engine()
	ts.runner.StartSession(ctx, s, func(st app.SyncStatus) {
		select {
		case reports <- st:
		default:
		}
	})
	started := ts.runner.Engine() != nil && ts.runner.Engine() != before
	for timeout := time.After(60 * time.Second); ; {
		select {
		case st := <-reports:
			if st.Settled || !started {
				status(st)
				return
			}
		case <-timeout:
			ts.t.Error("the session's sync ended no round in 60 s")
			return
		}
	}
}

// enrollmentFile writes the enrollment of a new workstation name of arc
// to a file, as 'folio-archive device add --out' does.
func enrollmentFile(t *testing.T, arc *archivetest.Archive, name string, bundleKey []byte) string {
	t.Helper()
	enr := arc.Enroll(t, name)
	enr.BundleKey = bundleKey
	path := filepath.Join(t.TempDir(), name+".enroll")
	if err := enr.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// adminStation is a workstation with a vault and its administrator,
// enrolled or not, and a window wired to the syncer over it.
func adminStation(t *testing.T, withStart bool) (*profile.Profile, *testSync, *App) {
	t.Helper()
	prof, err := profile.Open(t.TempDir(), profile.Options{FastKDF: true, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { prof.Close() })
	if _, err := prof.Vault.Create(t.Context(), app.CreateParams{Admin: "admin", Password: []byte(adminPW), SitePrefix: "WA"}); err != nil {
		t.Fatal(err)
	}
	ts := newTestSync(t, prof)
	opts := Options{Sync: ts.Admin}
	if withStart {
		opts.StartSync = ts.startSync
	}
	u := newWindow(t, prof.Vault, opts)
	return prof, ts, u
}

// openSyncPage goes to Administration, then Ctrl+3.
func openSyncPage(t *testing.T, u *App) *syncAdminScreen {
	t.Helper()
	u.input.shortcut(ctrl(fyne.KeyU))
	u.input.shortcut(ctrl(fyne.Key3))
	u.tasks.wait()
	return current[*syncAdminScreen](t, u)
}

// Enrolling from a real enrollment file: the page shows what the file
// says, asks, keeps it, and sync starts at once (a round reaches the
// archive); the page then shows the organisation and the last sync.
func TestSyncAdminEnroll(t *testing.T) {
	arc := archivetest.Start(t, archivetest.Options{})
	prof, ts, u := adminStation(t, true)
	logIn(t, u, "admin", adminPW)
	if ts.starts != 1 || !strings.Contains(u.synced.Text, "Not connected") {
		t.Fatalf("at sign-in: %d starts, indicator %q", ts.starts, u.synced.Text)
	}
	s := openSyncPage(t, u)
	if !s.notEnrolled.Visible() || s.facts.Visible() || !s.bundles.exportBtn.Disabled() {
		t.Fatal("a workstation not enrolled shows the archive's facts or offers a bundle")
	}
	if !strings.Contains(s.live.Text, "Not connected") {
		t.Fatalf("the page's status says %q, want the indicator's words", s.live.Text)
	}

	// A file that is no enrollment is refused in words.
	junk := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(junk, []byte("hello"), 0o600)
	s.readEnrollment(junk)
	u.tasks.wait()
	if !s.msg.Visible() || !strings.Contains(s.msg.Text, "cannot be used to enroll") || len(u.dialogs.open) != 0 {
		t.Fatalf("a junk file: message %q, %d dialogs", s.msg.Text, len(u.dialogs.open))
	}

	path := enrollmentFile(t, arc, "ward-a", nil)
	s.readEnrollment(path)
	u.tasks.wait()
	if s.confirm == nil || len(u.dialogs.open) != 1 {
		t.Fatal("enrolling did not ask first")
	}
	if syncer.Enrolled(prof.Dir) {
		t.Fatal("enrolled before the administrator confirmed")
	}
	test.Tap(s.confirmBtn)
	u.tasks.wait()
	if !syncer.Enrolled(prof.Dir) {
		t.Fatalf("not enrolled after confirming: %q", s.msg.Text)
	}
	if ts.starts != 2 || !strings.HasPrefix(u.synced.Text, "Up to date") {
		t.Fatalf("after enrolling: %d starts of sync, indicator %q; want a second start and a round done", ts.starts, u.synced.Text)
	}
	if !strings.Contains(s.msg.Text, "Enrolled as ward-a") {
		t.Fatalf("after enrolling the page says %q", s.msg.Text)
	}
	if !s.facts.Visible() || s.org.Text != "Test Health District" || s.address.Text != arc.Addr || s.last.Text == "Never" ||
		!strings.Contains(s.station.Text, "ward-a") || !strings.Contains(s.ca.Text, ":") {
		t.Fatalf("the page shows org %q, station %q, address %q, last %q, CA %q", s.org.Text, s.station.Text, s.address.Text, s.last.Text, s.ca.Text)
	}
	if !strings.HasPrefix(s.live.Text, "Up to date") || s.pending.Text != "Nothing to send" {
		t.Fatalf("the page's status %q, pending %q", s.live.Text, s.pending.Text)
	}
	if !strings.Contains(requestsText(s), "No workstation is waiting") {
		t.Fatalf("the requests say %q", requestsText(s))
	}

	// Sync now pokes the engine.
	test.Tap(s.syncNowBtn)
	if !strings.Contains(s.msg.Text, "starts now") {
		t.Fatalf("Sync now says %q", s.msg.Text)
	}

	// The bandwidth cap, in kbit/s; a bad one is refused.
	s.bw.field.SetText("fast")
	test.Tap(s.bw.save)
	if !strings.Contains(s.bw.msg.Text, "whole number") || syncer.Bandwidth(t.Context(), prof.DB.Meta()) != 0 {
		t.Fatalf("a bad cap: %q", s.bw.msg.Text)
	}
	s.bw.field.SetText("256")
	test.Tap(s.bw.save)
	u.tasks.wait()
	if n := syncer.Bandwidth(t.Context(), prof.DB.Meta()); n != 32000 || ts.starts != 3 {
		t.Fatalf("cap %d bytes/s, %d starts (%q); want 32000 and sync started again", n, ts.starts, s.bw.msg.Text)
	}
	if s.bw.now.Text != "256 kbit/s (32000 bytes per second)" {
		t.Fatalf("the cap now shows %q", s.bw.now.Text)
	}

	// Ctrl+1, Ctrl+2 and Esc leave.
	s.shortcut(fyne.Key2)
	current[*settingsScreen](t, u)
}

// requestsText is everything the requests panel says.
func requestsText(s *syncAdminScreen) string {
	var b strings.Builder
	for _, o := range s.requests.reqRows.Objects {
		b.WriteString(allText(o))
	}
	return b.String() + s.requests.reqMsg.Text
}

// Approving a joining workstation: a wrong fingerprint is refused and
// sends nothing; the right one (typed in any case, with spaces) sends the
// keys, and the joining side receives them.
func TestSyncAdminApprove(t *testing.T) {
	ctx := context.Background()
	arc := archivetest.Start(t, archivetest.Options{})
	prof, _, u := adminStation(t, true)
	if _, err := newTestSync(t, prof).Enroll(enrollmentFile(t, arc, "ward-a", nil)); err != nil {
		t.Fatal(err)
	}
	// ward-b joins and asks.
	b, err := profile.Open(t.TempDir(), profile.Options{FastKDF: true, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	bs := newTestSync(t, b)
	if _, err := bs.Enroll(enrollmentFile(t, arc, "ward-b", nil)); err != nil {
		t.Fatal(err)
	}
	req, err := b.Vault.PrepareJoin(ctx, "nurse", []byte(clinPW))
	if err != nil {
		t.Fatal(err)
	}
	if g, err := bs.AskForKeys(ctx, req.PublicKey); g != nil || err != nil {
		t.Fatalf("asking: %v, %v", g, err)
	}

	logIn(t, u, "admin", adminPW)
	s := openSyncPage(t, u)
	if len(s.requests.fpEntry) != 1 || s.requests.fpEntry["ward-b"] == nil || !strings.Contains(requestsText(s), req.Fingerprint) {
		t.Fatalf("the requests panel says %q", requestsText(s))
	}
	// Nothing typed, then a wrong fingerprint.
	test.Tap(s.requests.approveBtn["ward-b"])
	if !strings.Contains(s.requests.reqMsg.Text, "Type the fingerprint") {
		t.Fatalf("approving without a fingerprint says %q", s.requests.reqMsg.Text)
	}
	test.Type(s.requests.fpEntry["ward-b"], "0000-1111-2222-3333-4444")
	test.Tap(s.requests.approveBtn["ward-b"])
	u.tasks.wait()
	if !strings.Contains(s.requests.reqMsg.Text, "Not approved") || !strings.Contains(s.requests.reqMsg.Text, req.Fingerprint) {
		t.Fatalf("a wrong fingerprint says %q", s.requests.reqMsg.Text)
	}
	if g, _ := bs.AskForKeys(ctx, req.PublicKey); g != nil {
		t.Fatal("a wrong fingerprint sent the keys")
	}
	// The right one, read out in capitals with spaces.
	s.requests.fpEntry["ward-b"].SetText(strings.ToUpper(strings.ReplaceAll(req.Fingerprint, "-", " ")))
	s.requests.fpEntry["ward-b"].TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	u.tasks.wait()
	if !strings.Contains(s.requests.reqMsg.Text, "Sent the vault keys to ward-b") {
		t.Fatalf("approving says %q", s.requests.reqMsg.Text)
	}
	if !strings.Contains(requestsText(s), "No workstation is waiting") {
		t.Fatalf("after approving the requests say %q", requestsText(s))
	}
	grant, err := bs.AskForKeys(ctx, req.PublicKey)
	if err != nil || grant == nil {
		t.Fatalf("ward-b after the approval: grant %v, %v", grant != nil, err)
	}
	if _, err := b.Vault.CompleteJoin(ctx, []byte(clinPW), *grant); err != nil {
		t.Fatalf("the grant does not open at ward-b: %v", err)
	}
}

// A sync bundle: Export writes one the archive imports; its reply,
// imported here, confirms the changes (nothing pending any more).
func TestSyncAdminBundle(t *testing.T) {
	ctx := context.Background()
	site := archivetest.Offline(t, archivetest.Options{})
	bundles := site.Bundles(t)
	prof, _, u := adminStation(t, false)
	if _, err := newTestSync(t, prof).Enroll(enrollmentFile(t, site, "ward-a", bundles.Pub)); err != nil {
		t.Fatal(err)
	}
	logIn(t, u, "admin", adminPW)
	register(t, u, mary())
	s := openSyncPage(t, u)
	if s.pending.Text == "Nothing to send" || s.bundles.exportBtn.Disabled() {
		t.Fatalf("before the export: pending %q, export disabled %v", s.pending.Text, s.bundles.exportBtn.Disabled())
	}
	out := filepath.Join(t.TempDir(), "ward-a.bundle")
	s.bundles.export(out, false)
	if s.bundles.bundleBusy.Hidden || !s.bundles.exportBtn.Disabled() {
		t.Fatal("the export shows no activity, or may be started twice")
	}
	u.tasks.wait()
	if _, err := os.Stat(out); err != nil || !strings.Contains(s.bundles.bundleMsg.Text, "Wrote") {
		t.Fatalf("the export: %v, %q", err, s.bundles.bundleMsg.Text)
	}
	reply, err := bundles.Reply(t, out)
	if err != nil {
		t.Fatalf("the archive refused the bundle: %v", err)
	}
	s.bundles.importReply(reply)
	u.tasks.wait()
	if !strings.Contains(s.bundles.bundleMsg.Text, "Imported") {
		t.Fatalf("the import says %q", s.bundles.bundleMsg.Text)
	}
	if n, _ := prof.DB.Oplog().PendingCount(ctx); n != 0 || s.pending.Text != "Nothing to send" {
		t.Fatalf("after the reply %d changes pending, the page says %q", n, s.pending.Text)
	}
	// Importing an export (not a reply) is refused, and says so.
	s.bundles.importReply(out)
	u.tasks.wait()
	if !strings.Contains(s.bundles.bundleMsg.Text, "not imported") {
		t.Fatalf("importing the export says %q", s.bundles.bundleMsg.Text)
	}
}

// Only administrators reach the Sync page, and only on a window wired to
// the syncer.
func TestSyncAdminNeedsAdmin(t *testing.T) {
	prof, _, u := adminStation(t, false)
	s, err := prof.Vault.Login(t.Context(), "admin", []byte(adminPW))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Users().Add(t.Context(), userNamed("grace", app.RoleRecords), []byte(clinPW)); err != nil {
		t.Fatal(err)
	}
	logIn(t, u, "grace", clinPW)
	u.nav.showSyncAdmin()
	if _, ok := u.cur.(*syncAdminScreen); ok {
		t.Fatal("a records clerk opened the Sync page")
	}
	u2 := newWindow(t, prof.Vault, Options{})
	logIn(t, u2, "admin", adminPW)
	u2.nav.showUsers()
	u2.input.shortcut(ctrl(fyne.Key3))
	if _, ok := u2.cur.(*syncAdminScreen); ok {
		t.Fatal("a window without sync opened the Sync page")
	}
}

// allText is everything the labels and rich texts under o say.
func allText(o fyne.CanvasObject) string {
	var b strings.Builder
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch w := o.(type) {
		case *widget.Label:
			b.WriteString(w.Text + "\n")
		case *widget.RichText:
			b.WriteString(w.String() + "\n")
		case *fyne.Container:
			for _, c := range w.Objects {
				walk(c)
			}
		case *container.Scroll:
			walk(w.Content)
		}
	}
	walk(o)
	return b.String()
}

// The Sync page lists both kinds of set-aside changes apart: the incoming
// ones not imported (report them), and this workstation's own user or
// password changes the archive does not accept, with what to do; both
// flagged, with Dismiss offered.
func TestSyncAdminShowsSetAside(t *testing.T) {
	_, _, u := adminStation(t, false)
	logIn(t, u, "admin", adminPW)
	s := openSyncPage(t, u)
	s.state = app.SyncState{Enrolled: true, Enrollment: app.Enrollment{Org: "Test Health District", Workstation: "ward-b", Address: "127.0.0.1:8443", CAFingerprint: "AA:BB"},
		SetAside: []app.SetAsideChange{
			{Seq: 12, What: "patient 0192", Reason: "it does not open with this vault's key"},
			{Seq: 40, Outgoing: true, What: "user nurse", Reason: "the password reset of nurse with the recovery key on this workstation is not accepted by the archive"},
		}}
	s.draw()
	text := s.setAsideText.Text
	wantIn := []string{
		"Not imported, 1 incoming change", "patient 0192 (archive change 12): it does not open",
		"Not accepted by the archive, 1 user or password change made on this workstation: kept here and not sent",
		"· user nurse: the password reset of nurse with the recovery key",
	}
	for _, w := range wantIn {
		if !strings.Contains(text, w) {
			t.Errorf("the set-aside changes read %q; want %q in it", text, w)
		}
	}
	if strings.Contains(text, "archive change 40") {
		t.Errorf("an outgoing change is named as an archive change: %q", text)
	}
	if s.setAsideText.Importance != widget.DangerImportance || !s.dismissBtn.Visible() {
		t.Fatal("set-aside changes not flagged, or no Dismiss")
	}
}
