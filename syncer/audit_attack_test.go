package syncer_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"folio/app"
	"folio/cli"
	"folio/profile"
	"folio/storage/tamper"
	"folio/syncer"
)

// verifyCLI runs 'folio verify' on a closed data folder as the
// administrator and returns its exit code and output.
func verifyCLI(t *testing.T, dir string) (int, string) {
	t.Helper()
	env := map[string]string{"FOLIO_DATA": dir, "FOLIO_USER": "admin", "FOLIO_PASSWORD": adminPW}
	var out bytes.Buffer
	code := cli.Run(context.Background(), []string{"verify"}, cli.Params{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out,
		Getenv: func(k string) string { return env[k] }, FastKDF: true})
	return code, out.String()
}

// enrolledVault is a new vault on a workstation enrolled with a
// countersigning archive, its enrollment kept in its data folder as 'folio
// sync enroll' keeps it.
func enrolledVault(t *testing.T) (*workstation, *app.Session) {
	t.Helper()
	a := newWorkstation(t, startArchive(t), "ward-a")
	if err := syncer.SaveEnrollment(a.prof.Dir, a.enr); err != nil {
		t.Fatal(err)
	}
	admin := firstVault(t, a)
	// As the signed-in window does (Engine.Run): the claim to the vault a
	// send-only round shows the archive.
	if err := syncer.KeepClaim(context.Background(), a.prof.DB, admin.Replica()); err != nil {
		t.Fatal(err)
	}
	return a, admin
}

// countersigned is an enrolled workstation that broke the glass on a
// restricted chart and synced: the archive countersigned its audit trail.
// It returns the workstation (closed) and the break-glass seq.
func countersigned(t *testing.T) (*workstation, uint64) {
	t.Helper()
	ctx := context.Background()
	a, admin := enrolledVault(t)
	glass := breakGlass(t, a, admin)
	a.round(t, admin)
	if cs, ok, err := (syncer.AuditWitness{Dir: a.prof.Dir, DB: a.prof.DB}).LatestCountersignature(ctx); err != nil || !ok || cs.Seq <= glass {
		t.Fatalf("countersignature after the sync: %+v %v %v (break-glass at %d)", cs, ok, err, glass)
	}
	admin.Lock(ctx)
	if err := a.prof.Close(); err != nil {
		t.Fatal(err)
	}
	return a, glass
}

// breakGlass has a clinician (doctor) break the glass on a new restricted
// chart, and returns the seq of the break-glass entry.
func breakGlass(t *testing.T, a *workstation, admin *app.Session) uint64 {
	t.Helper()
	ctx := context.Background()
	if err := admin.Users().Add(ctx, app.User{Name: "doctor", Roles: app.RoleSet{app.RoleClinician}}, []byte(nursePW)); err != nil {
		t.Fatal(err)
	}
	ps, err := admin.Patients().Register(ctx, app.Patient{Family: "Achieng", Given: "Mary", Sex: app.SexFemale, BirthDate: birth(t, "1984"), Restricted: true})
	if err != nil {
		t.Fatal(err)
	}
	doctor := login(t, a, "doctor", nursePW)
	if _, err := doctor.Patients().BreakGlass(ctx, ps[0].MRN, "curious about a neighbour"); err != nil {
		t.Fatal(err)
	}
	glass, err := a.prof.DB.Audit().AuditHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	doctor.Lock(ctx)
	return glass.Seq
}

// TestAttackAuditRolledBackAfterSync: the vault file of an enrolled
// workstation is replaced by an earlier copy of itself (taken before the
// break-glass) after the archive countersigned the trail. The file alone
// is consistent (its older keyed head is authentic); the archive's
// countersignature kept beside it says entries are gone. Before the fix
// 'folio verify' said OK.
func TestAttackAuditRolledBackAfterSync(t *testing.T) {
	ctx := context.Background()
	a, admin := enrolledVault(t)
	a.round(t, admin)
	admin.Lock(ctx)
	a.reopen(t)
	vault := filepath.Join(a.prof.Dir, profile.VaultFile)
	earlier, err := os.ReadFile(vault)
	if err != nil {
		t.Fatal(err)
	}

	admin = login(t, a, "admin", adminPW)
	ps, err := admin.Patients().Register(ctx, app.Patient{Family: "Otieno", Given: "James", Sex: app.SexMale, BirthDate: birth(t, "1990"), Restricted: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.Users().Add(ctx, app.User{Name: "doctor", Roles: app.RoleSet{app.RoleClinician}}, []byte(nursePW)); err != nil {
		t.Fatal(err)
	}
	doctor := login(t, a, "doctor", nursePW)
	if _, err := doctor.Patients().BreakGlass(ctx, ps[0].MRN, "curious about a neighbour"); err != nil {
		t.Fatal(err)
	}
	doctor.Lock(ctx)
	a.round(t, admin)
	admin.Lock(ctx)
	if err := a.prof.Close(); err != nil {
		t.Fatal(err)
	}
	if code, out := verifyCLI(t, a.prof.Dir); code != 0 || !strings.Contains(out, "it matches") {
		t.Fatalf("before the rollback: exit %d\n%s", code, out)
	}

	if err := os.WriteFile(vault, earlier, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out := verifyCLI(t, a.prof.Dir)
	if code != 4 || !strings.Contains(out, "ROLLED BACK") || !strings.Contains(out, "earlier copy of the vault") {
		t.Fatalf("after the rollback: exit %d, want 4 and ROLLED BACK\n%s", code, out)
	}
}

// TestAttackCountersignedBreakGlassDeleted: after the archive countersigned
// the trail, the break-glass entry is deleted offline and the chain
// re-linked; verify names both the keyed head and the archive's
// countersignature.
func TestAttackCountersignedBreakGlassDeleted(t *testing.T) {
	a, glass := countersigned(t)
	path := filepath.Join(a.prof.Dir, profile.VaultFile)
	if err := tamper.DeleteEntry(path, glass); err != nil {
		t.Fatal(err)
	}
	if err := tamper.DeleteCheckpoints(path); err != nil {
		t.Fatal(err)
	}
	code, out := verifyCLI(t, a.prof.Dir)
	if code != 4 || !strings.Contains(out, "differs from what the archive countersigned") || !strings.Contains(out, "no longer matches its keyed head") {
		t.Fatalf("exit %d, want 4\n%s", code, out)
	}
}

// TestAttackBreakGlassDeletedBeforeSync: on an enrolled workstation the
// break-glass entry is deleted offline before it was sent. Neither the
// send-only engine (no key) nor a signed-in one sends the rewritten trail,
// so the archive never countersigns it; the records still go; verify
// exits 4. Before the fix the trail was sent and countersigned.
func TestAttackBreakGlassDeletedBeforeSync(t *testing.T) {
	ctx := context.Background()
	a, admin := enrolledVault(t)
	a.round(t, admin) // the workstation has shown the archive the vault; its trail so far is sent
	client := a.client(t, syncer.ClientOptions{})
	before, err := client.Device(ctx)
	if err != nil {
		t.Fatal(err)
	}
	glass := breakGlass(t, a, admin)
	admin.Lock(ctx)
	if err := a.prof.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(a.prof.Dir, profile.VaultFile)
	if err := tamper.DeleteEntry(path, glass); err != nil {
		t.Fatal(err)
	}
	if err := tamper.DeleteCheckpoints(path); err != nil {
		t.Fatal(err)
	}
	a.reopen(t)

	sendOnly := syncer.New(syncer.Params{DB: a.prof.DB, Blobs: a.prof.Blobs, Client: client}) // while locked
	rep, err := sendOnly.Round(ctx)
	if !errors.Is(err, syncer.ErrAuditAltered) {
		t.Fatalf("send-only round: %v (%s), want ErrAuditAltered", err, rep)
	}
	admin = login(t, a, "admin", adminPW)
	if _, err := a.engine(t, admin, client).Round(ctx); !errors.Is(err, syncer.ErrAuditAltered) {
		t.Fatalf("signed-in round: %v, want ErrAuditAltered", err)
	}
	info, err := client.Device(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.AuditThrough != before.AuditThrough || info.Versions <= before.Versions {
		t.Fatalf("the archive holds audit entries through %d (%d before) and %d versions (%d before): want no entry of the altered trail, and the new records", info.AuditThrough, before.AuditThrough, info.Versions, before.Versions)
	}
	admin.Lock(ctx)
	if err := a.prof.Close(); err != nil {
		t.Fatal(err)
	}
	if code, out := verifyCLI(t, a.prof.Dir); code != 4 || !strings.Contains(out, "no longer matches its keyed head") {
		t.Fatalf("verify: exit %d, want 4\n%s", code, out)
	}
}
