package syncer_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"folio/app"
	"folio/syncer"
)

// orgWithRecovery is an organisation of two workstations on the real
// archive server: a, where the administrator made the vault (its
// recovery key returned), and b, joined, where the nurse signs in.
func orgWithRecovery(t *testing.T) (arc *secArchive, a, b *workstation, admin, nurse *app.Session, recoveryKey string) {
	t.Helper()
	ctx := context.Background()
	arc = startSecArchive(t, "Test Health District")
	a, b = arc.station(t, "ward-a"), arc.station(t, "ward-b")
	recoveryKey, err := a.prof.Vault.Create(ctx, app.CreateParams{Admin: "admin", Password: []byte(adminPW), SitePrefix: "WA"})
	if err != nil {
		t.Fatal(err)
	}
	admin = login(t, a, "admin", adminPW)
	if err := admin.Users().Add(ctx, app.User{Name: "nurse", Roles: app.RoleSet{app.RoleRecords}}, []byte(nursePW)); err != nil {
		t.Fatal(err)
	}
	a.round(t, admin)
	nurse = join(t, a, admin, b)
	return arc, a, b, admin, nurse, recoveryKey
}

// resetWithRecoveryKey resets the nurse's password on b with the printed
// recovery key (no administrator signed in: the new key certifies itself,
// which the organisation's archive refuses) and signs in with it.
func resetWithRecoveryKey(t *testing.T, b *workstation, nurse *app.Session, recoveryKey string) *app.Session {
	t.Helper()
	ctx := context.Background()
	nurse.Lock(ctx)
	const newPW = "a fresh set of ward words"
	if err := b.prof.Vault.Recover(ctx, recoveryKey, "nurse", []byte(newPW)); err != nil {
		t.Fatalf("recover the nurse's password on b: %v", err)
	}
	return login(t, b, "nurse", newPW)
}

func register(t *testing.T, s *app.Session, family string) app.Patient {
	t.Helper()
	ps, err := s.Patients().Register(context.Background(), app.Patient{Family: family, Given: "Grace", Sex: app.SexFemale, BirthDate: birth(t, "1979")})
	if err != nil {
		t.Fatal(err)
	}
	return ps[0]
}

func findsPatient(t *testing.T, s *app.Session, p app.Patient) bool {
	t.Helper()
	ms, err := s.Patients().Search(context.Background(), p.Family, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Patient.ID == p.ID {
			return true
		}
	}
	return false
}

// outgoing returns the workstation's own changes set aside.
func outgoing(t *testing.T, w *workstation) []syncer.SetAsideChange {
	t.Helper()
	all, err := syncer.SetAside(context.Background(), w.prof.DB.Meta())
	if err != nil {
		t.Fatal(err)
	}
	var out []syncer.SetAsideChange
	for _, c := range all {
		if c.Outgoing {
			out = append(out, c)
		}
	}
	return out
}

// A password reset with the recovery key on an organisation's
// workstation writes a user version its own new key certifies, which the
// archive refuses. Before, that one version refused every batch of the
// workstation: nothing it wrote afterwards left, and nothing arrived.
// Now the workstation checks its own users and key slots before it
// sends, sets the refused ones aside (kept, listed with what to do,
// audited) and syncs the rest, both ways.
func TestOwnRecoveryResetDoesNotStallSync(t *testing.T) {
	ctx := context.Background()
	_, a, b, admin, nurse, rk := orgWithRecovery(t)
	nurse = resetWithRecoveryKey(t, b, nurse, rk)
	fromB := register(t, nurse, "Wanjiru")
	fromA := register(t, admin, "Kamau")
	a.round(t, admin)

	rep := b.round(t, nurse)
	if rep.Pushed == 0 || rep.Pulled == 0 {
		t.Fatalf("b's round after the reset: %s", rep)
	}
	if !findsPatient(t, nurse, fromA) {
		t.Fatal("a's new patient did not arrive on b")
	}
	a.round(t, admin)
	if !findsPatient(t, admin, fromB) {
		t.Fatal("b's new patient did not reach a through the archive")
	}

	aside := outgoing(t, b)
	var user bool
	for _, c := range aside {
		if c.ID != "nurse" || c.Version == nil || len(c.Version.Ciphertext) == 0 || c.Unaudited {
			t.Fatalf("set aside on b: %+v", c)
		}
		if c.Kind == app.KindUser {
			user = true
			wantWords(t, "the refused reset's reason", c.Reason, "password reset of nurse with the recovery key on this workstation is not accepted by the archive",
				"An administrator must reset nurse's password from their own session", "not written in the session of a user allowed to write it")
		}
	}
	if !user {
		t.Fatalf("the reset's user version is not among b's set-aside changes: %+v", aside)
	}
	events, err := nurse.Audit().Events(ctx, app.AuditFilter{Action: app.ActSyncRefused})
	if err != nil || len(events) != len(aside) {
		t.Fatalf("audit of the refused own versions: %d events for %d set aside, %v", len(events), len(aside), err)
	}
	st := b.engine(t, nurse, b.client(t, syncer.ClientOptions{}))
	if _, err := st.Round(ctx); err != nil {
		t.Fatalf("b's next round: %v", err)
	}
	if s := st.Status(); s.PendingChanges != 0 || s.NotAccepted != len(aside) {
		t.Fatalf("b after another round: %d pending, %d not accepted, want 0 and %d", s.PendingChanges, s.NotAccepted, len(aside))
	}
	if _, detail, problem := syncer.Describe(st.Status(), st.Status().LastSuccess); !problem || !strings.Contains(detail, "not accepted by the archive") {
		t.Fatalf("the sync indicator says %q (problem %v)", detail, problem)
	}
	if again := outgoing(t, b); len(again) != len(aside) {
		t.Fatalf("set aside again: %+v", again)
	}

	// The archive kept the nurse's old password: a's copy of the user is
	// the one the administrator made, and the vault on b keeps the reset.
	users, err := admin.Users().List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if u.Name == "nurse" && u.Version.Device == app.DeviceID(b.prof.DB.DeviceID()) {
			t.Fatalf("the refused reset reached a: %+v", u)
		}
	}

	// What the set-aside change says to do: an administrator resets the
	// password from their session; it reaches b, where it opens.
	const adminSet = "words the administrator chose"
	if err := admin.Users().ChangePassword(ctx, "nurse", []byte(adminSet)); err != nil {
		t.Fatal(err)
	}
	a.round(t, admin)
	b.round(t, nurse)
	nurse.Lock(ctx)
	again := login(t, b, "nurse", adminSet)
	if rep := b.round(t, again); rep.Rejected != 0 {
		t.Fatalf("b's round after the administrator's reset: %s", rep)
	}
	if n := len(outgoing(t, b)); n != len(aside) {
		t.Fatalf("b set aside %d of its own changes after the administrator's reset, want still %d", n, len(aside))
	}
	a.round(t, admin)
	if s, err := a.prof.Vault.Login(ctx, "nurse", []byte(adminSet)); err != nil {
		t.Fatalf("the nurse's password set by the administrator on a: %v", err)
	} else {
		s.Lock(ctx)
	}
}

// The archive's own refusal, when the check before sending did not run
// (a send-only round, the window locked: no vault key to open versions
// with): the 403 names the refused versions, the workstation sets them
// aside and sends the rest at once; the next round with a session audits
// them.
func TestOwnVersionRefusedByArchiveDoesNotStall(t *testing.T) {
	ctx := context.Background()
	arc, a, b, admin, nurse, rk := orgWithRecovery(t)
	nurse = resetWithRecoveryKey(t, b, nurse, rk)
	fromB := register(t, nurse, "Njeri")
	monitor := arc.monitor(t)
	before, err := monitor.Metrics(ctx)
	if err != nil {
		t.Fatal(err)
	}

	sendOnly := syncer.New(syncer.Params{DB: b.prof.DB, Blobs: b.prof.Blobs, Client: b.client(t, syncer.ClientOptions{})})
	rep, err := sendOnly.Round(ctx)
	if err != nil {
		t.Fatalf("b's send-only round: %v (did %s)", err, rep)
	}
	after, err := monitor.Metrics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Pushed == 0 || after.Head <= before.Head {
		t.Fatalf("b's send-only round stored nothing: %s; head %d → %d", rep, before.Head, after.Head)
	}
	aside := outgoing(t, b)
	if len(aside) == 0 {
		t.Fatal("nothing set aside after the archive's refusal")
	}
	for _, c := range aside {
		if !c.Unaudited || !strings.Contains(c.Reason, "the archive: ") || c.Version == nil {
			t.Fatalf("set aside after the archive's refusal: %+v", c)
		}
	}
	a.round(t, admin)
	if !findsPatient(t, admin, fromB) {
		t.Fatal("b's new patient did not reach a")
	}

	// The next round with a session audits them, once (and the key
	// slots the nurse's session shares then are checked before sending).
	b.round(t, nurse)
	b.round(t, nurse)
	final := outgoing(t, b)
	events, err := nurse.Audit().Events(ctx, app.AuditFilter{Action: app.ActSyncRefused})
	if err != nil || len(events) != len(final) || len(final) < len(aside) {
		t.Fatalf("audit of the versions refused: %d events for %d set aside, %v", len(events), len(final), err)
	}
	for _, c := range final {
		if c.Unaudited {
			t.Fatalf("still unaudited: %+v", c)
		}
	}
}

// The same by USB stick: a workstation that syncs only by bundle keeps
// the refused reset back from its export (before, the archive's import
// stopped at that batch, bundle after bundle), and its other changes go
// in and come back confirmed; exporting everything unconfirmed again
// does not audit the refusal twice.
func TestOwnRecoveryResetDoesNotStallBundles(t *testing.T) {
	ctx := context.Background()
	site, arc := offlineSite(t, "Test Health District")
	a, b := site.station(t, arc, "ward-a"), site.station(t, arc, "ward-b")
	rk, err := a.prof.Vault.Create(ctx, app.CreateParams{Admin: "admin", Password: []byte(adminPW), SitePrefix: "WA"})
	if err != nil {
		t.Fatal(err)
	}
	admin := login(t, a, "admin", adminPW)
	if err := admin.Users().Add(ctx, app.User{Name: "nurse", Roles: app.RoleSet{app.RoleRecords}}, []byte(nursePW)); err != nil {
		t.Fatal(err)
	}
	site.lap(t, a, admin)
	nurse := joinOffline(t, site, a, admin, b)
	nurse = resetWithRecoveryKey(t, b, nurse, rk)
	fromB := register(t, nurse, "Akinyi")

	if _, err := site.Reply(t, export(t, b, nurse, true)); err != nil {
		t.Fatalf("the archive's import of b's bundle: %v", err)
	}
	reply, err := site.Reply(t, export(t, b, nurse, true))
	if err != nil {
		t.Fatalf("the archive's import of b's bundle again: %v", err)
	}
	importReply(t, b, nurse, reply)
	if n := pending(t, b); n != 0 {
		t.Fatalf("%d changes wait on b after its reply", n)
	}
	site.lap(t, a, admin)
	if !findsPatient(t, admin, fromB) {
		t.Fatal("b's new patient did not reach a by bundle")
	}
	aside := outgoing(t, b)
	if len(aside) == 0 || !slices.ContainsFunc(aside, func(c syncer.SetAsideChange) bool {
		return c.Kind == app.KindUser && strings.Contains(c.Reason, "recovery key")
	}) {
		t.Fatalf("b's set-aside changes: %+v", aside)
	}
	events, err := nurse.Audit().Events(ctx, app.AuditFilter{Action: app.ActSyncRefused})
	if err != nil || len(events) != len(aside) {
		t.Fatalf("audit of the refused own versions: %d events for %d set aside, %v", len(events), len(aside), err)
	}
}
