package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"folio/app"
	"folio/crypto"
	"folio/endorse"
	"folio/internal/testkit"
)

// Issue 14, "one user, several roles": a small clinic's administrator is
// also its records clerk.

func TestRoleSetPermissions(t *testing.T) {
	adminClerk := app.RoleSet{app.RoleAdmin, app.RoleRecords}
	scanDoc := app.RoleSet{app.RoleScanning, app.RoleClinician}
	for _, tc := range []struct {
		name  string
		roles app.RoleSet
		perm  app.Permission
		want  app.Role // "" = refused
	}{
		{"administrator alone may not index", app.RoleSet{app.RoleAdmin}, app.PermDocIndex, ""},
		{"administrator and records clerk indexes as the clerk", adminClerk, app.PermDocIndex, app.RoleRecords},
		{"a right both roles have is the clerk's", adminClerk, app.PermPatientRead, app.RoleRecords},
		{"user management is the administrator's", adminClerk, app.PermUserManage, app.RoleAdmin},
		{"scanning clerk and clinician: break-glass from the clinician", scanDoc, app.PermBreakGlass, app.RoleClinician},
		{"scanning clerk and clinician: indexing from the scanning clerk", scanDoc, app.PermDocIndex, app.RoleScanning},
		{"scanning clerk and clinician: no QA", scanDoc, app.PermDocVerify, ""},
		{"no role, no right", nil, app.PermPatientSearch, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tc.roles.Granting(tc.perm)
			if got != tc.want || ok != (tc.want != "") || tc.roles.Can(tc.perm) != ok {
				t.Fatalf("%v granting %s: %q, %v; want %q", tc.roles, tc.perm, got, ok, tc.want)
			}
		})
	}
}

func TestParseRoles(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want app.RoleSet
		err  string
	}{
		{[]string{"admin,records-clerk"}, app.RoleSet{app.RoleAdmin, app.RoleRecords}, ""},
		{[]string{"records", "Administrator"}, app.RoleSet{app.RoleAdmin, app.RoleRecords}, ""},
		{[]string{"doctor, scan", "clinician"}, app.RoleSet{app.RoleScanning, app.RoleClinician}, ""},
		{[]string{"records"}, app.RoleSet{app.RoleRecords}, ""},
		{[]string{"admin,king"}, nil, `role "king": use admin, records, scanning or clinician`},
		{[]string{""}, nil, "at least one role"},
		{nil, nil, "at least one role"},
	} {
		got, err := app.ParseRoles(tc.args...)
		if tc.err != "" {
			if !errors.Is(err, app.ErrInvalid) || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseRoles(%q): %v, want %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ParseRoles(%q) = %v, %v; want %v", tc.args, got, err, tc.want)
		}
	}
}

// The refusal says which of the roles the user holds, and who may.
func TestRoleErrorNamesEveryRole(t *testing.T) {
	for _, tc := range []struct {
		roles app.RoleSet
		want  string
	}{
		{app.RoleSet{app.RoleAdmin}, "your role (Administrator) may not quality-check filed documents; records clerks may"},
		{app.RoleSet{app.RoleScanning, app.RoleClinician}, "none of your roles (Scanning clerk, Clinician) may quality-check filed documents; records clerks may"},
	} {
		err := error(&app.RoleError{Roles: tc.roles, Permission: app.PermDocVerify})
		if err.Error() != tc.want || !errors.Is(err, app.ErrForbidden) {
			t.Errorf("%v: %q", tc.roles, err)
		}
	}
}

// The administrator who becomes the records clerk too lists the queue at
// once; every act's audit event names the permission it used and the
// role that granted it; a refusal names the permission lacking.
func TestSeveralRolesInOneSession(t *testing.T) {
	ctx := context.Background()
	sv := newSignedVault(t)
	admin := login(t, sv.v, "admin", adminPW)
	var re *app.RoleError
	if _, err := admin.Indexing().Queue(ctx); !errors.As(err, &re) || !slices.Equal(re.Roles, app.RoleSet{app.RoleAdmin}) {
		t.Fatalf("an administrator alone lists the queue: %v", err)
	}
	if err := admin.Users().SetRoles(ctx, "admin", app.RoleSet{app.RoleRecords}); !errors.Is(err, app.ErrInvalid) {
		t.Fatalf("the administrator took away their own administrator role: %v", err)
	}
	if err := admin.Users().SetRoles(ctx, "admin", app.RoleSet{app.RoleRecords, app.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	if got := admin.User().Roles; !slices.Equal(got, app.RoleSet{app.RoleAdmin, app.RoleRecords}) {
		t.Fatalf("the session's roles after the change: %v", got)
	}
	if _, err := admin.Indexing().Queue(ctx); err != nil {
		t.Fatalf("the administrator and records clerk lists the queue: %v", err)
	}
	if got := userOf(t, admin, "admin").Roles; !slices.Equal(got, app.RoleSet{app.RoleAdmin, app.RoleRecords}) {
		t.Fatalf("the stored roles: %v", got)
	}
	// Signed in again, the roles hold.
	admin.Lock(ctx)
	admin = login(t, sv.v, "admin", adminPW)
	if _, err := admin.Indexing().Queue(ctx); err != nil {
		t.Fatalf("signed in again: %v", err)
	}

	// A scanning clerk who is also a clinician.
	testkit.AddUser(t, admin, app.User{Name: "amani", Roles: app.RoleSet{app.RoleClinician, app.RoleScanning, app.RoleClinician}}, "ward round at dawn")
	if err := admin.Users().Add(ctx, app.User{Name: "nobody"}, []byte("ward round at dusk")); !errors.Is(err, app.ErrInvalid) {
		t.Fatalf("a user without a role was added: %v", err)
	}
	amani := login(t, sv.v, "amani", "ward round at dawn")
	if got := amani.User().Roles; !slices.Equal(got, app.RoleSet{app.RoleScanning, app.RoleClinician}) {
		t.Fatalf("amani's roles: %v", got)
	}
	if _, err := amani.Indexing().Queue(ctx); err != nil {
		t.Fatalf("a scanning clerk and clinician lists the queue: %v", err)
	}
	if _, err := amani.Indexing().QAQueue(ctx); !errors.As(err, &re) ||
		err.Error() != "none of your roles (Scanning clerk, Clinician) may quality-check filed documents; records clerks may" {
		t.Fatalf("QA for a scanning clerk and clinician: %v", err)
	}
	amani.Lock(ctx)

	events, err := admin.Audit().Events(ctx, app.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	type used struct {
		user    string
		act     app.Action
		outcome app.Outcome
		perm    app.Permission
		role    app.Role
	}
	var got []used
	for _, e := range events {
		if e.Action == app.ActUserRole || e.Action == app.ActDocRead || e.Action == app.ActUserAdd && e.User == "admin" && e.Permission != "" {
			got = append(got, used{e.User, e.Action, e.Outcome, e.Permission, e.Role})
		}
		if e.Action == app.ActLogin && e.User == "amani" && !slices.Equal(e.Roles, app.RoleSet{app.RoleScanning, app.RoleClinician}) {
			t.Errorf("amani's sign-in records the roles %v", e.Roles)
		}
	}
	want := []used{
		{"admin", app.ActDocRead, app.OutcomeDenied, app.PermDocIndex, ""},
		{"admin", app.ActUserRole, app.OutcomeOK, app.PermUserManage, app.RoleAdmin},
		{"admin", app.ActDocRead, app.OutcomeOK, app.PermDocIndex, app.RoleRecords},
		{"admin", app.ActDocRead, app.OutcomeOK, app.PermDocIndex, app.RoleRecords},
		{"admin", app.ActUserAdd, app.OutcomeOK, app.PermUserManage, app.RoleAdmin},
		{"amani", app.ActDocRead, app.OutcomeOK, app.PermDocIndex, app.RoleScanning},
		{"amani", app.ActDocRead, app.OutcomeDenied, app.PermDocVerify, ""},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("audited uses:\n got %v\nwant %v", got, want)
	}
	details := auditDetails(t, admin, app.ActUserRole)
	if len(details) != 1 || details[0] != "ok: roles admin,records (was admin)" {
		t.Fatalf("the role change's audit detail: %q", details)
	}

	// Every user version passes endorse's rules from an empty registry,
	// and the administrator who is also the records clerk is registered
	// as an administrator; amani is not one.
	var reg endorse.Signers
	if err := check(&reg, sv.l.from(0)); err != nil {
		t.Fatal(err)
	}
	if c, ok := reg.Lookup("admin"); !ok || !c.Admin {
		t.Fatalf("the administrator and records clerk in the registry: %+v, %v", c, ok)
	}
	if c, ok := reg.Lookup("amani"); !ok || c.Admin {
		t.Fatalf("the scanning clerk and clinician in the registry: %+v, %v", c, ok)
	}
}

// The endorse rules with several roles: a version signed by an
// administrator who holds other roles too is accepted; one signed by a
// user with several roles none of which is the administrator's is
// refused, and so is a demotion of the administrator that another
// workstation would otherwise apply.
func TestEndorseRulesWithSeveralRoles(t *testing.T) {
	ctx := context.Background()
	sv := newSignedVault(t)
	admin := login(t, sv.v, "admin", adminPW)
	if err := admin.Users().SetRoles(ctx, "admin", app.RoleSet{app.RoleAdmin, app.RoleRecords, app.RoleClinician}); err != nil {
		t.Fatal(err)
	}
	testkit.AddUser(t, admin, app.User{Name: "grace", Roles: app.RoleSet{app.RoleRecords, app.RoleScanning}}, "filing cabinet 1")
	// The administrator certifies grace in a second administrator's
	// roles, then takes the administrator's role back: each version is
	// signed by an administrator with several roles.
	if err := admin.Users().SetRoles(ctx, "grace", app.RoleSet{app.RoleAdmin, app.RoleRecords}); err != nil {
		t.Fatal(err)
	}
	var reg endorse.Signers
	if err := check(&reg, sv.l.from(0)); err != nil {
		t.Fatal(err)
	}
	if c, _ := reg.Lookup("grace"); !c.Admin {
		t.Fatalf("grace as administrator and records clerk: %+v", c)
	}
	if err := admin.Users().SetRoles(ctx, "grace", app.RoleSet{app.RoleRecords, app.RoleScanning}); err != nil {
		t.Fatal(err)
	}
	if err := check(&reg, sv.l.from(sv.l.len()-1)); err != nil {
		t.Fatal(err)
	}
	if c, _ := reg.Lookup("grace"); c.Admin {
		t.Fatalf("grace as records and scanning clerk is still an administrator: %+v", c)
	}

	// grace's own key, with her two roles, signs a user version that
	// makes her an administrator: refused.
	grace := login(t, sv.v, "grace", "filing cabinet 1")
	forged := app.User{Name: "grace", Roles: app.RoleSet{app.RoleAdmin, app.RoleRecords, app.RoleScanning}, SigningKey: grace.SigningKey()}
	data, _ := json.Marshal(forged)
	key := ed25519Key(seedOf(t, sv, "grace", "filing cabinet 1"))
	e := endorse.Sign(key, "grace", &endorse.UserCert{Name: "grace", Key: forged.SigningKey, Admin: true}, "user", "grace", endorse.Version{}, data)
	if err := reg.Check("user", "grace", endorse.Version{}, &e); !errors.Is(err, endorse.ErrNotEndorsed) || !strings.Contains(err.Error(), "grace is not an administrator") {
		t.Fatalf("a records and scanning clerk's signature on her own promotion: %v", err)
	}
	if err := grace.Users().SetRoles(ctx, "grace", app.RoleSet{app.RoleAdmin}); !errors.Is(err, app.ErrForbidden) {
		t.Fatalf("grace changed her own roles: %v", err)
	}
}

// A user version sealed by a Folio from before several roles (one "role")
// loads with that role, its user signs in and works in it, and a version
// written now still names one role for an older workstation to read: the
// administrator's, when the user holds it.
func TestSingleRoleUserVersionsStillLoad(t *testing.T) {
	ctx := context.Background()
	sv, admin := withClerk(t)
	testkit.AddUser(t, admin, app.User{Name: "boss", Roles: app.RoleSet{app.RoleRecords, app.RoleAdmin}}, "corner office 1")
	admin.Lock(ctx)

	// Rewrite the clerk's head as the older Folio wrote it: one role,
	// signed by the administrator.
	var reg endorse.Signers
	if err := check(&reg, sv.l.from(0)); err != nil {
		t.Fatal(err)
	}
	bundle, err := sv.db.Meta().GetMeta(ctx, "vault/bundle")
	if err != nil {
		t.Fatal(err)
	}
	slots, err := sv.db.Meta().MetaPrefix(ctx, "slot/user/clerk/")
	if err != nil {
		t.Fatal(err)
	}
	var keys *crypto.Keyring
	for _, slot := range slots {
		keys, _, err = crypto.OpenPasswordSlot(bundle, slot, "clerk", []byte("filing cabinet 1"))
		if err != nil {
			t.Fatal(err)
		}
		break
	}
	defer keys.Close()
	records := sv.db.Records(keys.RecordAEAD())
	rec, err := records.Head(ctx, app.KindUser, "clerk")
	if err != nil {
		t.Fatal(err)
	}
	var stored map[string]any
	if err := json.Unmarshal(rec.Data, &stored); err != nil {
		t.Fatal(err)
	}
	if stored["role"] != "records" || !slices.Equal(toStrings(stored["roles"]), []string{"records"}) {
		t.Fatalf("a record written now: role %v, roles %v", stored["role"], stored["roles"])
	}
	delete(stored, "roles")
	data, _ := json.Marshal(stored)
	var clerkCert endorse.Endorsement
	if err := json.Unmarshal(rec.Endorsement, &clerkCert); err != nil {
		t.Fatal(err)
	}
	parent := endorse.Version{HLC: rec.Version.HLC, Device: uint64(rec.Version.Device)}
	e := endorse.Sign(ed25519Key(seedOf(t, sv, "admin", adminPW)), "admin", clerkCert.Cert, "user", "clerk", parent, data)
	if err := reg.Check("user", "clerk", parent, &e); err != nil {
		t.Fatalf("the rules refuse an older Folio's user version: %v", err)
	}
	endorsement, _ := json.Marshal(e)
	if _, err := records.Commit(ctx, app.Commit{Writes: []app.RecordWrite{{Kind: app.KindUser, ID: "clerk", Parent: rec.Version, Data: data, Endorsement: endorsement}}}); err != nil {
		t.Fatal(err)
	}
	clerk := login(t, sv.v, "clerk", "filing cabinet 1")
	if got := clerk.User().Roles; !slices.Equal(got, app.RoleSet{app.RoleRecords}) {
		t.Fatalf("an older user version loads with the roles %v", got)
	}
	if _, err := clerk.Indexing().Queue(ctx); err != nil {
		t.Fatalf("the records clerk of an older version lists the queue: %v", err)
	}
	clerk.Lock(ctx)

	// What an older Folio reads of a user with several roles: the
	// administrator's role.
	rec, err = records.Head(ctx, app.KindUser, "boss")
	if err != nil {
		t.Fatal(err)
	}
	var older struct {
		Role string `json:"role"`
	}
	if err := json.Unmarshal(rec.Data, &older); err != nil || older.Role != "admin" {
		t.Fatalf("an older Folio reads boss's role as %q (%v)", older.Role, err)
	}
	admin = login(t, sv.v, "admin", adminPW)
	if got := userOf(t, admin, "clerk").Roles; !slices.Equal(got, app.RoleSet{app.RoleRecords}) {
		t.Fatalf("the user list shows the older version's roles as %v", got)
	}
}

func toStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// Every act an administrator who is also the records clerk does in a day
// names, in its audit events, the permission it used and the role that
// granted it.
func TestEveryActNamesItsPermission(t *testing.T) {
	ctx := context.Background()
	prof, _ := newVault(t, nil)
	admin := login(t, prof.Vault, "admin", adminPW)
	if err := admin.Users().SetRoles(ctx, "admin", app.RoleSet{app.RoleAdmin, app.RoleRecords}); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	p := register(t, admin, app.Patient{Family: "Banda", Given: "Amina", Sex: app.SexFemale, BirthDate: bd(1984, 3, 12)})[0]
	_, err := admin.Patients().Search(ctx, "banda", 5)
	must(err)
	p, err = admin.Patients().Open(ctx, p.MRN)
	must(err)
	p.Village = "Kisoro"
	_, err = admin.Patients().Amend(ctx, p)
	must(err)
	_, err = admin.Patients().History(ctx, p.MRN)
	must(err)
	imp := importFile(t, admin, "simple.png", corpusFile(t, "scans/paperless__simple.png"))
	if len(imp.Documents) != 1 {
		t.Fatalf("import: %+v", imp)
	}
	id := imp.Documents[0].ID
	_, err = admin.Indexing().Queue(ctx)
	must(err)
	_, err = admin.Documents().Open(ctx, id)
	must(err)
	_, err = admin.Documents().Page(ctx, id, 0)
	must(err)
	_, err = admin.Indexing().FileDocument(ctx, id, app.FileParams{Patient: p.MRN, Type: "referral"})
	must(err)
	_, err = admin.Indexing().TurnPage(ctx, id, 0, 1)
	must(err)
	_, err = admin.Documents().OfPatient(ctx, p.MRN)
	must(err)
	_, _, err = admin.Documents().Search(ctx, "simple", "")
	must(err)
	_, err = admin.Documents().ExportPDF(ctx, id, "export", io.Discard)
	must(err)
	_, err = admin.Users().List(ctx)
	must(err)
	_, err = admin.Audit().Verify(ctx)
	must(err)
	events, err := admin.Audit().Events(ctx, app.AuditFilter{User: "admin"})
	must(err)

	acts := map[app.Action]bool{}
	for _, e := range events {
		switch {
		case e.Action == app.ActVaultCreate || e.Action == app.ActLogin || e.Action == app.ActAuditKeyed ||
			e.Action == app.ActUserAdd && e.Object == "user/admin":
			continue // the vault's creation and signing in need no permission
		case e.Permission == "" || e.Role == "" || !e.Roles.Can(e.Permission):
			t.Errorf("event %d %s (%s) names permission %q, role %q", e.Seq, e.Action, e.Detail, e.Permission, e.Role)
		case e.Role == app.RoleAdmin && e.Permission != app.PermUserManage && e.Permission != app.PermVerify || e.Role == app.RoleRecords && e.Permission == app.PermUserManage:
			t.Errorf("event %d %s: %s granted by %s", e.Seq, e.Action, e.Permission, e.Role)
		}
		acts[e.Action] = true
	}
	for _, a := range []app.Action{app.ActUserRole, app.ActPatientCreate, app.ActPatientSearch, app.ActPatientRead, app.ActPatientAmend,
		app.ActPatientHistory, app.ActDocImport, app.ActDocRead, app.ActDocFile, app.ActDocEdit, app.ActDocSearch, app.ActDocExport,
		app.ActVaultVerify} {
		if !acts[a] {
			t.Errorf("no %s event", a)
		}
	}
}
