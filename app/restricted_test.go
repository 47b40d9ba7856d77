package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"folio/app"
	"folio/internal/testkit"
)

// Issue 12, item 3: patient search returned a restricted patient's whole
// record — national id, address, notes — to a scanning clerk and to a
// clinician without break-glass, and was not recorded under the patient.
// Results now carry only name, sex, year of birth, MRN and the restricted
// flag for anyone who could not open the chart; the duplicate check too.
// Every search that returned her is on her audit trail.
func TestAttackSearchShowsRestrictedRecord(t *testing.T) {
	ctx := context.Background()
	prof, _ := newVault(t, nil)
	admin := login(t, prof.Vault, "admin", adminPW)
	pw := map[string]string{"sam": "scanning clerk passphrase", "amos": "the doctors passphrase", "grace": "records clerk passphrase"}
	for name, role := range map[string]app.Role{"sam": app.RoleScanning, "amos": app.RoleClinician, "grace": app.RoleRecords} {
		testkit.AddUser(t, admin, app.User{Name: name, Roles: app.RoleSet{role}}, pw[name])
	}
	grace := login(t, prof.Vault, "grace", pw["grace"])
	vip := register(t, grace, app.Patient{Family: "Banda", Given: "Amina", Sex: app.SexFemale, BirthDate: bd(1984, 3, 12),
		OtherNames: []string{"Amina Phiri"}, NationalID: "CM8403120012", Phone: "+256 772 123456", Village: "Kisoro",
		Address: "Plot 9, Mission Road", NextOfKin: app.NextOfKin{Name: "Peter Banda", Phone: "+256 772 999999"},
		Notes: "HIV positive, on ART", Restricted: true})[0]
	want := app.Patient{ID: vip.ID, MRN: vip.MRN, Family: "Banda", Given: "Amina", Sex: app.SexFemale,
		BirthDate: app.BirthDate{Year: 1984}, Restricted: true}
	same := func(p app.Patient) bool {
		return p.ID == want.ID && p.MRN == want.MRN && p.Family == want.Family && p.Given == want.Given && p.Sex == want.Sex &&
			p.BirthDate == want.BirthDate && p.Restricted && p.NationalID == "" && p.Phone == "" && p.Village == "" &&
			p.Address == "" && p.Notes == "" && p.NextOfKin == (app.NextOfKin{}) && len(p.OtherNames) == 0 &&
			p.Version.IsZero() && p.ChangedBy == ""
	}

	sam := login(t, prof.Vault, "sam", pw["sam"])
	amos := login(t, prof.Vault, "amos", pw["amos"])
	for _, c := range []struct {
		who string
		s   *app.Session
		q   string
	}{{"scanning clerk", sam, "banda amina"}, {"scanning clerk", sam, "0772 123456"}, {"clinician", amos, "1984-03-12"}, {"clinician", amos, vip.MRN}} {
		ms, err := c.s.Patients().Search(ctx, c.q, 10)
		if err != nil || len(ms) != 1 {
			t.Fatalf("%s searching %q: %d results, %v", c.who, c.q, len(ms), err)
		}
		if !ms[0].Withheld || !same(ms[0].Patient) {
			t.Errorf("%s searching %q sees %+v (withheld %v)", c.who, c.q, ms[0].Patient, ms[0].Withheld)
		}
	}
	dups, err := amos.Patients().FindDuplicates(ctx, app.Patient{Family: "Banda", Given: "Amina", BirthDate: bd(1984, 3, 12), NationalID: "CM8403120012"})
	if err != nil || len(dups) != 1 || !dups[0].Withheld || !same(dups[0].Patient) {
		t.Fatalf("clinician's duplicate check: %+v, %v", dups, err)
	}

	// Opening her stays the reasoned act; after it, her record is shown.
	if _, err := amos.Patients().Open(ctx, vip.MRN); !errors.Is(err, app.ErrNeedsBreakGlass) {
		t.Fatalf("clinician opening the chart: %v", err)
	}
	if _, err := amos.Patients().BreakGlass(ctx, vip.MRN, "seen in casualty tonight"); err != nil {
		t.Fatal(err)
	}
	if ms, _ := amos.Patients().Search(ctx, "banda", 10); len(ms) != 1 || ms[0].Withheld || ms[0].Patient.Notes != vip.Notes {
		t.Fatalf("clinician's search after break-glass: %+v", ms)
	}
	if ms, _ := grace.Patients().Search(ctx, "banda", 10); len(ms) != 1 || ms[0].Withheld || ms[0].Patient.NationalID != vip.NationalID {
		t.Fatalf("records clerk's search: %+v", ms)
	}

	// Each search that returned her is audited under her MRN.
	events, err := admin.Audit().Events(ctx, app.AuditFilter{PatientMRN: vip.MRN, Action: app.ActPatientSearch})
	if err != nil {
		t.Fatal(err)
	}
	withheld := map[string]int{}
	for _, e := range events {
		if strings.Contains(e.Detail, "details withheld") {
			withheld[e.User]++
		}
	}
	if withheld["sam"] != 2 || withheld["amos"] != 3 || len(events) != 7 {
		t.Fatalf("searches under %s: %d events, withheld %v", vip.MRN, len(events), withheld)
	}
}

// An administrator (who may merge, but not open restricted charts) may not
// merge, unmerge or restore a restricted registration: each returns the
// whole record.
func TestAdminMayNotMergeRestrictedChart(t *testing.T) {
	ctx := context.Background()
	prof, _ := newVault(t, nil)
	admin := login(t, prof.Vault, "admin", adminPW)
	ps := register(t, admin,
		app.Patient{Family: "Banda", Given: "Amina", BirthDate: bd(1984, 3, 12)},
		app.Patient{Family: "Banda", Given: "Amina", BirthDate: bd(1984, 3, 12), Notes: "HIV positive, on ART", Restricted: true})
	if _, err := admin.Patients().Merge(ctx, ps[0].MRN, ps[1].MRN, "registered twice"); !errors.Is(err, app.ErrForbidden) {
		t.Fatalf("merging a restricted registration: %v", err)
	}
	if _, err := admin.Patients().Merge(ctx, ps[1].MRN, ps[0].MRN, "registered twice"); !errors.Is(err, app.ErrForbidden) {
		t.Fatalf("merging into a restricted registration: %v", err)
	}
}
