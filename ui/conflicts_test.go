package ui

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"folio/app"
	"folio/archive/api"
	"folio/archive/archivetest"
	"folio/archive/pki"
	"folio/internal/testkit"
	"folio/profile"
	"folio/syncer"
)

// The sync tests run two real workstations of one organisation, each a
// vault in t.TempDir(), with a real archive between them (its embedded
// store, mutual TLS on 127.0.0.1) and the real sync engine, driven one
// round at a time.

// workstation is one vault enrolled with the archive, and the headless
// session its sync rounds run under.
type workstation struct {
	prof *profile.Profile
	enr  *pki.Enrollment
	sync *app.Session
}

// register has the session w syncs with register ps, and returns them as
// registered.
func (w *workstation) register(t *testing.T, ps ...app.Patient) []app.Patient {
	t.Helper()
	got, err := w.sync.Patients().Register(context.Background(), ps...)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// createOrgVault creates the organisation's vault on w (administrator
// admin, site WA) and signs the administrator in as the session w syncs
// with, locked when the test ends.
func (w *workstation) createOrgVault(t *testing.T) *app.Session {
	t.Helper()
	ctx := context.Background()
	if _, err := w.prof.Vault.Create(ctx, app.CreateParams{Admin: "admin", Password: []byte(adminPW), SitePrefix: "WA"}); err != nil {
		t.Fatal(err)
	}
	admin, err := w.prof.Vault.Login(ctx, "admin", []byte(adminPW))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Lock(context.Background()) })
	w.sync = admin
	return admin
}

func newWorkstation(t *testing.T, arc *archivetest.Archive, name string, now func() time.Time) *workstation {
	t.Helper()
	prof, err := profile.Open(t.TempDir(), profile.Options{FastKDF: true, Workers: 1, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { prof.Close() })
	enr := arc.Enroll(t, name)
	if err := syncer.SaveEnrollment(prof.Dir, enr); err != nil {
		t.Fatal(err)
	}
	return &workstation{prof: prof, enr: enr}
}

// round runs one sync round under the workstation's headless session.
func (w *workstation) round(t *testing.T) {
	t.Helper()
	c, err := syncer.NewClient(w.enr, api.DeviceID(w.prof.DB.DeviceID()), syncer.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	eng := syncer.New(syncer.Params{DB: w.prof.DB, Blobs: w.prof.Blobs, Session: w.sync.Replica(), Client: c})
	if rep, err := eng.Round(context.Background()); err != nil {
		t.Fatalf("sync round: %v (did: %s)", err, rep)
	}
}

// syncedPair makes workstation a (the vault, its administrator, a
// records clerk "clerk") and b, which joined it with the keys granted by
// a's administrator; both have synced.
func syncedPair(t *testing.T, now func() time.Time) (a, b *workstation) {
	t.Helper()
	ctx := context.Background()
	arc := archivetest.Start(t, archivetest.Options{})
	a = newWorkstation(t, arc, "ward-a", now)
	b = newWorkstation(t, arc, "ward-b", now)
	admin := a.createOrgVault(t)
	for _, u := range []app.User{{Name: "clerk", FullName: "Grace Atim", Roles: app.RoleSet{app.RoleRecords}}, {Name: "nurse", Roles: app.RoleSet{app.RoleRecords}}} {
		if err := admin.Users().Add(ctx, u, []byte(clinPW)); err != nil {
			t.Fatal(err)
		}
	}
	a.round(t)
	req, err := b.prof.Vault.PrepareJoin(ctx, "nurse", []byte(clinPW))
	if err != nil {
		t.Fatal(err)
	}
	grant, err := admin.Replica().GrantVaultKeys(ctx, b.prof.DB.DeviceID(), "ward-b", req.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	vault, err := admin.Replica().VaultIdentity()
	if err != nil {
		t.Fatal(err)
	}
	first, err := b.prof.Vault.CompleteJoin(ctx, []byte(clinPW), app.VaultGrant{Keys: grant, Vault: vault})
	if err != nil {
		t.Fatalf("complete join: %v", err)
	}
	b.sync = first
	b.round(t)
	first.Lock(ctx)
	if b.sync, err = b.prof.Vault.Login(ctx, "nurse", []byte(clinPW)); err != nil {
		t.Fatalf("b: log in after joining: %v", err)
	}
	t.Cleanup(func() { b.sync.Lock(context.Background()) })
	return a, b
}

// amendOffline changes a patient on both workstations before either
// syncs, then syncs both: the patient is in conflict on both.
func amendOffline(t *testing.T, a, b *workstation, mrn string, onA, onB func(*app.Patient)) {
	t.Helper()
	ctx := context.Background()
	for _, w := range []struct {
		w      *workstation
		change func(*app.Patient)
	}{{a, onA}, {b, onB}} {
		p, err := w.w.sync.Patients().Open(ctx, mrn)
		if err != nil {
			t.Fatal(err)
		}
		w.change(&p)
		if _, err := w.w.sync.Patients().Amend(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	a.round(t)
	b.round(t)
	a.round(t)
}

func TestConflictsScreen(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	a, b := syncedPair(t, c.Now)
	ps := a.register(t, mary(),
		app.Patient{Family: "Otieno", Given: "James", Sex: app.SexMale, Village: "Siaya", BirthDate: app.BirthDate{Year: 1990}})
	a.round(t)
	b.round(t)
	// Mary: different fields (a merge is proposed); James: the same field.
	amendOffline(t, a, b, ps[0].MRN, func(p *app.Patient) { p.Phone = "0788 000 111" }, func(p *app.Patient) { p.Village = "Kabale" })
	amendOffline(t, a, b, ps[1].MRN, func(p *app.Patient) { p.Phone = "0700 111 222" }, func(p *app.Patient) { p.Phone = "0700 333 444" })

	u := newWindow(t, a.prof.Vault, Options{Now: c.Now, SyncStates: newTestSync(t, a.prof).RecordStates})
	logIn(t, u, "clerk", clinPW)

	// The sync indicator offers the screen while records are in conflict.
	if u.side.conflicts.Visible() {
		t.Fatal("the indicator offers conflicts before any are reported")
	}
	u.syncStatus(app.SyncStatus{Text: "Up to date", Conflicts: 2, Settled: true})
	if !u.side.conflicts.Visible() || !strings.Contains(u.side.conflicts.Text, "2 conflicts") {
		t.Fatalf("the indicator's conflicts button: visible %v, %q", u.side.conflicts.Visible(), u.side.conflicts.Text)
	}
	test.Tap(u.side.conflicts)
	u.tasks.wait()
	s := current[*conflictsScreen](t, u)
	if len(s.conflicts) != 2 {
		t.Fatalf("the screen lists %d conflicts, want 2", len(s.conflicts))
	}
	shown := allText(s.list)
	for _, want := range []string{ps[0].MRN, ps[1].MRN, "Phone", "Village", "0788 000 111", "Kabale", "0700 111 222", "0700 333 444", "by admin", "by nurse", "Merged"} {
		if !strings.Contains(shown, want) {
			t.Errorf("the conflicts screen does not say %q:\n%s", want, shown)
		}
	}
	mary, james := "patient/"+ps[0].ID, "patient/"+ps[1].ID
	if s.mergeBtn[mary] == nil || s.mergeBtn[james] != nil {
		t.Fatalf("merge offered for Mary %v, James %v; want Mary only", s.mergeBtn[mary] != nil, s.mergeBtn[james] != nil)
	}
	if len(s.keepBtn[james]) != 2 {
		t.Fatalf("James has %d Keep buttons, want 2", len(s.keepBtn[james]))
	}

	// Keep James's second version: asked first, then written.
	var keep app.ConflictVersion
	for _, cf := range s.conflicts {
		if conflictKey(cf) == james {
			keep = cf.Versions[1]
		}
	}
	test.Tap(s.keepBtn[james][1])
	if s.confirm == nil || len(u.dialogs.open) != 1 {
		t.Fatal("Keep did not ask first")
	}
	test.Tap(s.confirmBtn)
	u.tasks.wait()
	if len(s.conflicts) != 1 || conflictKey(s.conflicts[0]) != mary {
		t.Fatalf("after keeping James's version the screen lists %+v", s.conflicts)
	}
	if !s.msg.Visible() || !strings.Contains(s.msg.Text, "Resolved") {
		t.Fatalf("after resolving, the message says %q", s.msg.Text)
	}
	got, err := u.sess.s.Patients().Open(ctx, ps[1].MRN)
	if err != nil || got.Phone != jsonText(keep.Fields["phone"]) {
		t.Fatalf("James after keeping version 2: phone %q, %v; want %s", got.Phone, err, keep.Fields["phone"])
	}

	// Merge Mary: both changes kept; the list empties.
	test.Tap(s.mergeBtn[mary])
	test.Tap(s.confirmBtn)
	u.tasks.wait()
	if len(s.conflicts) != 0 || !strings.Contains(allText(s.list), "No conflicts") {
		t.Fatalf("after the merge the screen lists %+v", s.conflicts)
	}
	got, err = u.sess.s.Patients().Open(ctx, ps[0].MRN)
	if err != nil || got.Phone != "0788 000 111" || got.Village != "Kabale" {
		t.Fatalf("Mary after the merge: %+v, %v; want a's phone and b's village", got, err)
	}
	if cs, _ := a.prof.DB.Replica().Conflicts(ctx); len(cs) != 0 {
		t.Fatalf("the vault still flags %v", cs)
	}

	// The resolutions reach b, where the flags clear too.
	a.round(t)
	b.round(t)
	if cs, _ := b.prof.DB.Replica().Conflicts(ctx); len(cs) != 0 {
		t.Fatalf("b still flags %v after the resolutions synced", cs)
	}
	// Both were audited.
	evs, err := a.sync.Audit().Events(ctx, app.AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Action == app.ActConflictResolve && e.User == "clerk" && e.Outcome == app.OutcomeOK {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("%d resolutions by clerk in the audit trail, want 2", n)
	}
}

// A clinician may not resolve conflicts: no button, no menu item, no
// screen.
func TestConflictsNeedMergePermission(t *testing.T) {
	v, _ := createdVault(t, nil)
	s, err := v.Login(t.Context(), "admin", []byte(adminPW))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Users().Add(t.Context(), userNamed("dr.amina", app.RoleClinician), []byte(clinPW)); err != nil {
		t.Fatal(err)
	}
	u := newWindow(t, v, Options{})
	logIn(t, u, "dr.amina", clinPW)
	u.syncStatus(app.SyncStatus{Text: "Up to date", Conflicts: 1, Settled: true})
	if u.side.conflicts.Visible() {
		t.Fatal("a clinician is offered the conflicts")
	}
	for _, m := range u.win.MainMenu().Items {
		for _, it := range m.Items {
			if it.Label == "Sync conflicts" {
				t.Fatal("a clinician's menu has Sync conflicts")
			}
		}
	}
	u.nav.showConflicts()
	if _, ok := u.cur.(*conflictsScreen); ok {
		t.Fatal("a clinician opened the conflicts screen")
	}
}

// The chart shows where the patient and each document stand: pending
// before a round, synced after it, a conflict once two workstations
// amended the patient offline; nothing without an archive.
func TestChartSyncState(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	a, b := syncedPair(t, c.Now)
	ps := a.register(t, mary())
	clerk, err := a.prof.Vault.Login(ctx, "clerk", []byte(clinPW))
	if err != nil {
		t.Fatal(err)
	}
	defer clerk.Lock(ctx)
	imp, err := clerk.Intake().ImportFile(ctx, "page.png", "test", testkit.BarPage(t))
	if err != nil || len(imp.Documents) != 1 {
		t.Fatalf("import: %+v, %v", imp, err)
	}
	doc, err := clerk.Indexing().FileDocument(ctx, imp.Documents[0].ID, app.FileParams{Patient: ps[0].MRN, Type: "lab-result", Date: c.Now()})
	if err != nil {
		t.Fatal(err)
	}

	u := newWindow(t, a.prof.Vault, Options{Now: c.Now, SyncStates: newTestSync(t, a.prof).RecordStates})
	logIn(t, u, "clerk", clinPW)
	u.nav.openPatient(ps[0].MRN)
	u.tasks.wait()
	v := current[*patientScreen](t, u)
	v.chart.tabs.Select(v.chart.gridTab) // the Documents grid is drawn when its tab is first shown
	u.tasks.wait()
	want := func(when string, patient, document string) {
		t.Helper()
		got := []string{badgeText(v.chart.patientSync), badgeText(v.chart.timeBadges[doc.ID]), badgeText(v.chart.gridBadges[doc.ID])}
		if !slices.Equal(got, []string{patient, document, document}) {
			t.Fatalf("%s: the badges say %q, want the patient %q and the document %q", when, got, patient, document)
		}
		if v.chart.patientRow.Visible() != (patient != "") {
			t.Fatalf("%s: the demographics' sync row is visible: %v", when, v.chart.patientRow.Visible())
		}
	}
	want("before a round", "Pending sync", "Pending sync")

	a.round(t)
	u.syncStatus(app.SyncStatus{Text: "Up to date", Settled: true})
	u.tasks.wait()
	want("after a round", "Synced", "Synced")

	b.round(t)
	amendOffline(t, a, b, ps[0].MRN, func(p *app.Patient) { p.Phone = "0788 000 111" }, func(p *app.Patient) { p.Village = "Kabale" })
	u.syncStatus(app.SyncStatus{Text: "Up to date", Conflicts: 1, Settled: true})
	u.tasks.wait()
	want("after both amended", "Sync conflict", "Synced")

	// Without an archive the chart shows no badge.
	u2 := newWindow(t, a.prof.Vault, Options{Now: c.Now, SyncStates: func(context.Context, []app.SyncItem) ([]app.RecordSync, error) { return nil, nil }})
	logIn(t, u2, "clerk", clinPW)
	u2.nav.openPatient(ps[0].MRN)
	u2.tasks.wait()
	v = current[*patientScreen](t, u2)
	want("without an archive", "", "")
}

// badgeText is what a badge says, "" when it is hidden.
func badgeText(b *syncBadge) string {
	if b == nil || !b.box.Visible() {
		return ""
	}
	return b.label.Text
}
