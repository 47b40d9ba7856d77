package app_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"folio/app"
	"folio/internal/testclock"
	"folio/internal/testkit"
	"folio/profile"
)

const adminPW = "correct horse battery staple"

// newVault creates a vault in a temp folder with an administrator.
func newVault(t testing.TB, c *testclock.Clock) (*profile.Profile, string) {
	t.Helper()
	var opts profile.Options
	if c != nil {
		opts.Now = c.Now
	}
	return testkit.Vault(t, opts, app.CreateParams{Admin: "admin", Password: []byte(adminPW), SitePrefix: "KAB"})
}

func login(t *testing.T, v *app.Vault, user, pw string) *app.Session {
	t.Helper()
	return testkit.Login(t, v, user, pw)
}

// staff has admin add the user name with one role and password, and
// signs them in to v.
func staff(t *testing.T, v *app.Vault, admin *app.Session, name string, role app.Role, password string) *app.Session {
	t.Helper()
	testkit.AddUser(t, admin, app.User{Name: name, Roles: app.RoleSet{role}}, password)
	return login(t, v, name, password)
}

func TestCreateTwiceFails(t *testing.T) {
	prof, _ := newVault(t, nil)
	_, err := prof.Vault.Create(context.Background(), app.CreateParams{Admin: "other", Password: []byte(adminPW)})
	if !errors.Is(err, app.ErrAlreadyExists) {
		t.Fatalf("second Create: %v", err)
	}
}

func TestLoginErrors(t *testing.T) {
	ctx := context.Background()
	prof, _ := newVault(t, nil)
	if _, err := prof.Vault.Login(ctx, "admin", []byte("not the password")); !errors.Is(err, app.ErrWrongPassword) {
		t.Fatalf("wrong password: %v", err)
	}
	if _, err := prof.Vault.Login(ctx, "nobody", []byte(adminPW)); !errors.Is(err, app.ErrUnknownUser) {
		t.Fatalf("unknown user: %v", err)
	}
	s := login(t, prof.Vault, "ADMIN", adminPW)
	if !slices.Equal(s.User().Roles, app.RoleSet{app.RoleAdmin}) {
		t.Fatalf("roles %q", s.User().Roles)
	}
}

func TestLoginOnEmptyFolder(t *testing.T) {
	prof, err := profile.Open(t.TempDir(), profile.Options{FastKDF: true})
	if err != nil {
		t.Fatal(err)
	}
	defer prof.Close()
	if _, err := prof.Vault.Login(context.Background(), "admin", []byte(adminPW)); !errors.Is(err, app.ErrNotInitialized) {
		t.Fatalf("login before init: %v", err)
	}
}

// Failed logins are counted on disk: reopening the vault does not reset
// the count, and after three failures the next attempt must wait.
func TestFailedLoginsPersistAndThrottle(t *testing.T) {
	ctx := context.Background()
	c := testclock.New(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	dir := t.TempDir()
	open := func() *profile.Profile {
		p, err := profile.Open(dir, profile.Options{FastKDF: true, Now: c.Now})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	prof := open()
	if _, err := prof.Vault.Create(ctx, app.CreateParams{Admin: "admin", Password: []byte(adminPW)}); err != nil {
		t.Fatal(err)
	}
	// Each failure says what comes next (issue 14, item 6): two tries
	// left, one, then a wait of 2 s before the next.
	for i, want := range []struct {
		tries int
		wait  time.Duration
	}{{2, 0}, {1, 0}, {0, 2 * time.Second}} {
		_, err := prof.Vault.Login(ctx, "admin", []byte("wrong guess one"))
		var failed *app.FailedLoginError
		if !errors.Is(err, app.ErrWrongPassword) || !errors.As(err, &failed) {
			t.Fatal(err)
		}
		if failed.Failures != i+1 || failed.TriesBeforeWait() != want.tries || failed.Wait() != want.wait {
			t.Fatalf("failure %d: %d failures, %d tries before a wait, wait %s; want %+v",
				i+1, failed.Failures, failed.TriesBeforeWait(), failed.Wait(), want)
		}
	}
	prof.Close()
	prof = open() // a restart keeps the count
	defer prof.Close()
	if n, _ := prof.Vault.FailedLogins(ctx, "admin"); n != 3 {
		t.Fatalf("count after restart = %d, want 3", n)
	}
	_, err := prof.Vault.Login(ctx, "admin", []byte(adminPW))
	var wait *app.WaitError
	if !errors.As(err, &wait) || !errors.Is(err, app.ErrTooManyAttempts) || wait.Wait != 2*time.Second {
		t.Fatalf("4th attempt right away: %v", err)
	}
	c.Add(3 * time.Second)
	if s, err := prof.Vault.Login(ctx, "admin", []byte(adminPW)); err != nil {
		t.Fatalf("after waiting: %v", err)
	} else {
		s.Lock(ctx)
	}
	if n, _ := prof.Vault.FailedLogins(ctx, "admin"); n != 0 {
		t.Fatalf("count after success = %d", n)
	}
}

func TestUsersAndPasswords(t *testing.T) {
	ctx := context.Background()
	prof, key := newVault(t, nil)
	admin := login(t, prof.Vault, "admin", adminPW)
	testkit.AddUser(t, admin, app.User{Name: "Amina", Roles: app.RoleSet{app.RoleClinician}}, "the doctor's long passphrase")
	if err := admin.Users().Add(ctx, app.User{Name: "amina", Roles: app.RoleSet{app.RoleRecords}}, []byte("another passphrase")); !errors.Is(err, app.ErrAlreadyExists) {
		t.Fatalf("duplicate user: %v", err)
	}
	doc := login(t, prof.Vault, "amina", "the doctor's long passphrase")
	if err := doc.Users().Add(ctx, app.User{Name: "eve", Roles: app.RoleSet{app.RoleAdmin}}, []byte("eve's passphrase!")); !errors.Is(err, app.ErrForbidden) {
		t.Fatalf("clinician adding a user: %v", err)
	}
	if err := doc.Users().ChangePassword(ctx, "amina", []byte("a brand new passphrase")); err != nil {
		t.Fatal(err)
	}
	if _, err := prof.Vault.Login(ctx, "amina", []byte("the doctor's long passphrase")); !errors.Is(err, app.ErrWrongPassword) {
		t.Fatalf("old password still works: %v", err)
	}
	login(t, prof.Vault, "amina", "a brand new passphrase")

	if err := admin.Users().SetDisabled(ctx, "amina", true, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := prof.Vault.Login(ctx, "amina", []byte("a brand new passphrase")); err == nil {
		t.Fatal("disabled user logged in")
	}
	users, err := admin.Users().List(ctx)
	if err != nil || len(users) != 2 || !users[1].Disabled {
		t.Fatalf("users: %+v %v", users, err)
	}

	// The recovery key resets the administrator's password.
	if err := prof.Vault.Recover(ctx, key, "admin", []byte("recovered passphrase")); err != nil {
		t.Fatal(err)
	}
	login(t, prof.Vault, "admin", "recovered passphrase")
	if err := prof.Vault.Recover(ctx, "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH", "admin", []byte("hijacked passphrase")); err == nil {
		t.Fatal("a wrong recovery key worked")
	}
}

func register(t *testing.T, s *app.Session, ps ...app.Patient) []app.Patient {
	t.Helper()
	out, err := s.Patients().Register(context.Background(), ps...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func bd(y, m, d int) app.BirthDate { return app.BirthDate{Year: y, Month: m, Day: d} }

func mrns(ms []app.Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Patient.MRN)
	}
	return out
}

func TestSearchPatients(t *testing.T) {
	ctx := context.Background()
	prof, _ := newVault(t, nil)
	s := login(t, prof.Vault, "admin", adminPW)
	ps := register(t, s,
		app.Patient{Family: "Okello", Given: "Grace", Sex: app.SexFemale, BirthDate: bd(1984, 3, 12), Phone: "+256 772 123456", Village: "Kisoro"},
		app.Patient{Family: "Smith", Given: "John", Sex: app.SexMale, BirthDate: bd(1970, 1, 5)},
		app.Patient{Family: "Muhammad", Given: "Ali", Sex: app.SexMale, BirthDate: app.BirthDate{Year: 1990, Estimated: true}},
		app.Patient{Family: "Okafor", Given: "Ngozi", Sex: app.SexFemale, BirthDate: bd(2001, 7, 30)},
	)
	for _, tc := range []struct {
		q     string
		first string // MRN expected first
		n     int    // expected result count, -1 = any
	}{
		{"okello", ps[0].MRN, 1},
		{"Okelo Grace", ps[0].MRN, 1},  // typo
		{"oke", ps[0].MRN, 1},          // as you type
		{"oka", ps[3].MRN, 1},          // as you type: Okafor, not Okello
		{"jon smyth", ps[1].MRN, 1},    // spelling variants
		{"mohamed", ps[2].MRN, 1},      // phonetic
		{ps[3].MRN, ps[3].MRN, 1},      // MRN
		{"1984-03-12", ps[0].MRN, 1},   // date of birth
		{"12/03/1984", ps[0].MRN, 1},   // date of birth, day first
		{"0772 123 456", ps[0].MRN, 1}, // phone, local form
		{"grace 1984", ps[0].MRN, 1},   // name + year
		{"grace 1985", "", 0},
		{"zzzz", "", 0},
	} {
		t.Run(tc.q, func(t *testing.T) {
			ms, err := s.Patients().Search(ctx, tc.q, 20)
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) != tc.n {
				t.Fatalf("got %d results %v, want %d", len(ms), mrns(ms), tc.n)
			}
			if tc.n > 0 && ms[0].Patient.MRN != tc.first {
				t.Fatalf("first %s, want %s (%v)", ms[0].Patient.MRN, tc.first, mrns(ms))
			}
		})
	}
}

func TestFindDuplicates(t *testing.T) {
	ctx := context.Background()
	prof, _ := newVault(t, nil)
	s := login(t, prof.Vault, "admin", adminPW)
	ps := register(t, s,
		app.Patient{Family: "Nakato", Given: "Sarah", Sex: app.SexFemale, BirthDate: bd(1992, 5, 1), Phone: "0772 555111"},
		app.Patient{Family: "Kato", Given: "Peter", Sex: app.SexMale, BirthDate: bd(1960, 2, 2), NationalID: "CM123"},
	)
	for _, tc := range []struct {
		name string
		p    app.Patient
		want []string
	}{
		{"same name spelled differently, same dob", app.Patient{Family: "Nakatto", Given: "Sara", BirthDate: bd(1992, 5, 1)}, []string{ps[0].MRN}},
		{"same phone", app.Patient{Family: "Other", Given: "Person", BirthDate: bd(2000, 1, 1), Phone: "+256772555111"}, nil},
		{"same national id", app.Patient{Family: "Katto", Given: "P", BirthDate: bd(1961, 1, 1), NationalID: "cm 123"}, []string{ps[1].MRN}},
		{"estimated year off by one", app.Patient{Family: "Nakato", Given: "Sarah", BirthDate: app.BirthDate{Year: 1993, Estimated: true}}, []string{ps[0].MRN}},
		{"different person", app.Patient{Family: "Okello", Given: "James", BirthDate: bd(1992, 5, 1)}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms, err := s.Patients().FindDuplicates(ctx, tc.p)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(mrns(ms), tc.want) {
				t.Fatalf("duplicates %v (%+v), want %v", mrns(ms), ms, tc.want)
			}
		})
	}
}

func TestAmendHistoryAndConflict(t *testing.T) {
	ctx := context.Background()
	prof, _ := newVault(t, nil)
	s := login(t, prof.Vault, "admin", adminPW)
	p := register(t, s, app.Patient{Family: "Achieng", Given: "Mary", BirthDate: bd(1988, 8, 8), Village: "Gulu"})[0]
	stale := p
	p.Village = "Lira"
	p2, err := s.Patients().Amend(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Version.Less(p2.Version) {
		t.Fatalf("new version %s not after %s", p2.Version, p.Version)
	}
	stale.Phone = "0700 111222"
	if _, err := s.Patients().Amend(ctx, stale); !errors.Is(err, app.ErrConflict) {
		t.Fatalf("amend from a stale version: %v", err)
	}
	h, err := s.Patients().History(ctx, p.MRN)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 2 || h[0].Village != "Gulu" || h[1].Village != "Lira" || h[1].Parent != h[0].Version {
		t.Fatalf("history: %+v", h)
	}
	// The index follows the amendment.
	if ms, _ := s.Patients().Search(ctx, p.MRN, 5); len(ms) != 1 || ms[0].Patient.Village != "Lira" {
		t.Fatalf("search after amend: %+v", ms)
	}
}

func TestMergeAndUnmerge(t *testing.T) {
	ctx := context.Background()
	prof, _ := newVault(t, nil)
	s := login(t, prof.Vault, "admin", adminPW)
	ps := register(t, s,
		app.Patient{Family: "Wanjiru", Given: "Esther", BirthDate: bd(1979, 4, 4)},
		app.Patient{Family: "Wanjiro", Given: "Ester", BirthDate: bd(1979, 4, 4)},
	)
	surv, err := s.Patients().Merge(ctx, ps[0].MRN, ps[1].MRN, "same person")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(surv.Merged, ps[1].ID) {
		t.Fatalf("survivor does not list the duplicate: %+v", surv)
	}
	// The duplicate's MRN leads to the survivor; a name search shows one.
	if p, err := s.Patients().Open(ctx, ps[1].MRN); err != nil || p.ID != ps[0].ID {
		t.Fatalf("open merged MRN: %+v %v", p, err)
	}
	if ms, _ := s.Patients().Search(ctx, "wanjiro ester", 10); len(ms) != 1 || ms[0].Patient.ID != ps[0].ID {
		t.Fatalf("search after merge: %v", mrns(ms))
	}
	h, err := s.Patients().History(ctx, ps[0].MRN)
	if err != nil || len(h) != 4 {
		t.Fatalf("merged history has %d versions (%v), want 4", len(h), err)
	}
	if _, err := s.Patients().Unmerge(ctx, ps[1].MRN, "different people"); err != nil {
		t.Fatal(err)
	}
	if p, err := s.Patients().Open(ctx, ps[1].MRN); err != nil || p.ID != ps[1].ID {
		t.Fatalf("after unmerge: %+v %v", p, err)
	}
	if ms, _ := s.Patients().Search(ctx, "1979-04-04", 10); len(ms) != 2 {
		t.Fatalf("after unmerge both are found: %v", mrns(ms))
	}
}

func TestPermissionsAndBreakGlass(t *testing.T) {
	ctx := context.Background()
	prof, _ := newVault(t, nil)
	admin := login(t, prof.Vault, "admin", adminPW)
	for _, u := range []app.User{{Name: "scan", Roles: app.RoleSet{app.RoleScanning}}, {Name: "doc", Roles: app.RoleSet{app.RoleClinician}}, {Name: "him", Roles: app.RoleSet{app.RoleRecords}}} {
		if err := admin.Users().Add(ctx, u, []byte("secret words of "+strings.ToUpper(u.Name[:1])+"!")); err != nil {
			t.Fatal(err)
		}
	}
	vip := register(t, admin, app.Patient{Family: "Museveni", Given: "Restricted", BirthDate: bd(1950, 1, 1), Restricted: true})[0]

	scan := login(t, prof.Vault, "scan", "secret words of S!")
	if _, err := scan.Patients().Register(ctx, app.Patient{Family: "X", BirthDate: bd(2000, 1, 1)}); !errors.Is(err, app.ErrForbidden) {
		t.Fatalf("scanning clerk registering: %v", err)
	}
	if _, err := scan.Patients().Open(ctx, vip.MRN); !errors.Is(err, app.ErrForbidden) {
		t.Fatalf("scanning clerk opening a restricted chart: %v", err)
	}
	if _, err := scan.Patients().BreakGlass(ctx, vip.MRN, "curious"); !errors.Is(err, app.ErrForbidden) {
		t.Fatalf("scanning clerk breaking glass: %v", err)
	}

	doc := login(t, prof.Vault, "doc", "secret words of D!")
	if _, err := doc.Patients().Open(ctx, vip.MRN); !errors.Is(err, app.ErrNeedsBreakGlass) {
		t.Fatalf("clinician opening a restricted chart: %v", err)
	}
	if _, err := doc.Patients().BreakGlass(ctx, vip.MRN, ""); !errors.Is(err, app.ErrInvalid) {
		t.Fatalf("break-glass without reason: %v", err)
	}
	if _, err := doc.Patients().BreakGlass(ctx, vip.MRN, "emergency admission, unconscious"); err != nil {
		t.Fatal(err)
	}
	if _, err := doc.Patients().Open(ctx, vip.MRN); err != nil {
		t.Fatalf("after break-glass: %v", err)
	}
	him := login(t, prof.Vault, "him", "secret words of H!")
	if _, err := him.Patients().Open(ctx, vip.MRN); err != nil {
		t.Fatalf("records clerk with restricted-read: %v", err)
	}

	events, err := admin.Audit().Events(ctx, app.AuditFilter{PatientMRN: vip.MRN})
	if err != nil {
		t.Fatal(err)
	}
	var glass, denied int
	for _, e := range events {
		if e.Action == app.ActBreakGlass && e.User == "doc" && e.Detail == "emergency admission, unconscious" {
			glass++
		}
		if e.Outcome == app.OutcomeDenied {
			denied++
		}
	}
	if glass != 1 || denied < 2 {
		t.Fatalf("audit: %d break-glass, %d denied in %+v", glass, denied, events)
	}
}

func TestAuditTrailRecordsEverything(t *testing.T) {
	ctx := context.Background()
	prof, _ := newVault(t, nil)
	_, _ = prof.Vault.Login(ctx, "admin", []byte("bad password!!")) // failed login, while locked
	s := login(t, prof.Vault, "admin", adminPW)
	p := register(t, s, app.Patient{Family: "Otieno", Given: "Paul", BirthDate: bd(1999, 9, 9)})[0]
	if _, err := s.Patients().Open(ctx, p.MRN); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Patients().Search(ctx, "otieno", 5); err != nil {
		t.Fatal(err)
	}
	events, err := s.Audit().Events(ctx, app.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range events {
		got = append(got, string(e.Action)+"/"+string(e.Outcome))
		if e.Device == "" || e.Time.IsZero() || e.User == "" {
			t.Errorf("event lacks who/when/where: %+v", e)
		}
	}
	for _, want := range []string{"vault.create/ok", "user.add/ok", "login/failed", "login/ok", "patient.create/ok", "patient.read/ok", "patient.search/ok"} {
		if !slices.Contains(got, want) {
			t.Errorf("audit lacks %s: %v", want, got)
		}
	}
	r, err := s.Audit().Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() || r.Patients != 1 || r.Users != 1 || r.Checkpoints == 0 {
		t.Fatalf("verify: %+v", r)
	}
}

func TestLockedSessionRefusesEverything(t *testing.T) {
	ctx := context.Background()
	prof, _ := newVault(t, nil)
	s := login(t, prof.Vault, "admin", adminPW)
	s.Lock(ctx)
	if _, err := s.Patients().Search(ctx, "x", 1); !errors.Is(err, app.ErrLocked) {
		t.Fatalf("search after lock: %v", err)
	}
	if _, err := s.Patients().Register(ctx, app.Patient{Family: "X", BirthDate: bd(2000, 1, 1)}); !errors.Is(err, app.ErrLocked) {
		t.Fatalf("register after lock: %v", err)
	}
}

// Deleting a registration made in error writes a tombstone version: the
// patient leaves searches, opening its MRN says it was deleted and why,
// its history stays readable, and restoring it brings it back. A chart with
// documents filed cannot be deleted, only merged.
func TestDeleteAndRestorePatient(t *testing.T) {
	ctx := context.Background()
	d := newScanningDesk(t)
	s := d.clerk
	extra := register(t, s, app.Patient{Family: "Mwale", Given: "Tiyamike", BirthDate: bd(1990, 6, 1)})[0]

	if _, err := s.Patients().Delete(ctx, extra.MRN, "oops"); !errors.Is(err, app.ErrInvalid) {
		t.Fatalf("a deletion without a real reason: %v", err)
	}
	gone, err := s.Patients().Delete(ctx, extra.MRN, "registered twice in error")
	if err != nil {
		t.Fatal(err)
	}
	if !gone.Deleted || gone.Version.HLC <= extra.Version.HLC {
		t.Fatalf("tombstone: %+v", gone)
	}
	_, err = s.Patients().Open(ctx, extra.MRN)
	if !errors.Is(err, app.ErrDeleted) || !errors.Is(err, app.ErrNotFound) || !strings.Contains(err.Error(), "registered twice in error") {
		t.Fatalf("opening a deleted registration: %v", err)
	}
	if ms, _ := s.Patients().Search(ctx, "Mwale Tiyamike", 10); len(ms) != 0 {
		t.Fatalf("a deleted patient is still found: %v", mrns(ms))
	}
	if ms, _ := s.Patients().Search(ctx, extra.MRN, 10); len(ms) != 0 {
		t.Fatalf("a deleted patient is still found by MRN: %v", mrns(ms))
	}
	if _, err := s.Patients().Amend(ctx, gone); !errors.Is(err, app.ErrDeleted) {
		t.Fatalf("amending a deleted registration: %v", err)
	}
	if h, err := s.Patients().History(ctx, extra.MRN); err != nil || len(h) != 2 || !h[1].Deleted {
		t.Fatalf("history of a deleted registration: %d versions, %v", len(h), err)
	}
	if _, err := s.Patients().Delete(ctx, extra.MRN, "registered twice in error"); !errors.Is(err, app.ErrDeleted) {
		t.Fatalf("deleting twice: %v", err)
	}
	back, err := s.Patients().Restore(ctx, extra.MRN, "deleted the wrong one")
	if err != nil || back.Deleted {
		t.Fatalf("restore: %+v %v", back, err)
	}
	if ms, _ := s.Patients().Search(ctx, "Mwale Tiyamike", 10); len(ms) != 1 {
		t.Fatalf("a restored patient is not found: %v", mrns(ms))
	}
	if _, err := s.Patients().Restore(ctx, extra.MRN, "again"); !errors.Is(err, app.ErrInvalid) {
		t.Fatalf("restoring a live patient: %v", err)
	}

	// A chart with a document filed cannot be deleted.
	r := importFile(t, s, "three.tiff", corpusFile(t, "scans/paperless__multi-page-images.tiff"))
	if _, err := s.Indexing().FileDocument(ctx, r.Documents[0].ID, app.FileParams{Patient: d.amina.MRN, Type: "correspondence"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Patients().Delete(ctx, d.amina.MRN, "registered twice in error"); !errors.Is(err, app.ErrInvalid) || !strings.Contains(err.Error(), "merge") {
		t.Fatalf("deleting a chart with documents: %v", err)
	}
	// Clinicians cannot delete registrations.
	admin := login(t, d.prof.Vault, "admin", adminPW)
	doc := staff(t, d.prof.Vault, admin, "banda", app.RoleClinician, "the doctor's own words")
	if _, err := doc.Patients().Delete(ctx, d.joseph.MRN, "registered twice in error"); !errors.Is(err, app.ErrForbidden) {
		t.Fatalf("a clinician deleting: %v", err)
	}
}
