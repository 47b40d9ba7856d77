package ui

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"folio/app"
	"folio/classify"
	"folio/dropfolder"
	"folio/internal/testkit"
	"folio/printer"
)

func TestAgeText(t *testing.T) {
	now := time.Date(2025, 11, 20, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		b    app.BirthDate
		want string
	}{
		{"adult before birthday", app.BirthDate{Year: 1984, Month: 12, Day: 1}, "40 y"},
		{"adult after birthday", app.BirthDate{Year: 1984, Month: 3, Day: 12}, "41 y"},
		{"year only", app.BirthDate{Year: 1956, Estimated: true}, "69 y"},
		{"baby in months", app.BirthDate{Year: 2025, Month: 4, Day: 2}, "7 mo"},
		{"one year old in months", app.BirthDate{Year: 2024, Month: 6, Day: 30}, "16 mo"},
		{"newborn in days", app.BirthDate{Year: 2025, Month: 11, Day: 8}, "12 d"},
		{"month known only", app.BirthDate{Year: 2025, Month: 11}, "under 1 mo"},
		{"unknown", app.BirthDate{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ageText(tc.b, now); got != tc.want {
				t.Fatalf("ageText(%s) = %q, want %q", tc.b, got, tc.want)
			}
		})
	}
	if got := birthText(app.BirthDate{Year: 1970, Estimated: true}, now); got != "about 1970 (about 55 y)" {
		t.Fatalf("estimated birth text %q", got)
	}
}

func TestDisplayName(t *testing.T) {
	for _, tc := range []struct {
		p    app.Patient
		want string
	}{
		{app.Patient{Family: "García Hernández", Given: "María José"}, "GARCÍA HERNÁNDEZ, María José"},
		{app.Patient{Family: "Okello"}, "OKELLO"},
		{app.Patient{Given: "Baby"}, "Baby"},
	} {
		if got := displayName(tc.p); got != tc.want {
			t.Errorf("displayName = %q, want %q", got, tc.want)
		}
	}
}

func TestDiffPatients(t *testing.T) {
	a := mary()
	b := a
	b.Phone = "0788 000 111"
	b.NextOfKin.Relationship = "husband"
	b.Restricted = true
	got := diffPatients(a, b)
	want := []change{
		{"Phone", "0772 123 456", "0788 000 111"},
		{"Next of kin", "Peter Okello (brother), 0701 555 010", "Peter Okello (husband), 0701 555 010"},
		{"Restricted chart", "no", "yes"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("diff\n got %v\nwant %v", got, want)
	}
	if d := diffPatients(a, a); len(d) != 0 {
		t.Fatalf("no change gave %v", d)
	}
}

func TestHistoryEntriesPairsVersionsOfOneRecord(t *testing.T) {
	p1 := app.Patient{ID: "a", Family: "Okello", Phone: "1"}
	d1 := app.Patient{ID: "b", Family: "Okelo"}
	p2 := p1
	p2.Phone = "2"
	hist := []app.PatientVersion{{Patient: p1}, {Patient: d1}, {Patient: p2}}
	es := historyEntries(hist)
	if len(es) != 3 || es[0].v.Phone != "2" || es[2].v.Phone != "1" {
		t.Fatalf("not newest first: %+v", es)
	}
	if !es[1].first || !es[2].first || es[0].first {
		t.Fatal("first versions are not marked")
	}
	if len(es[0].changes) != 1 || es[0].changes[0].Field != "Phone" {
		t.Fatalf("the amendment is compared with the wrong version: %+v", es[0].changes)
	}
}

func TestMessage(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&app.WaitError{Wait: 7500 * time.Millisecond}, "Too many failed logins. Wait 8 s before trying again."},
		{fmt.Errorf("log in as x: %w", app.ErrWrongPassword), "Wrong user name or password."},
		{fmt.Errorf("log in as x: %w", app.ErrUserDisabled), "This user account is disabled; ask an administrator."},
		{app.Invalidf("a date of birth (at least the year) is required"), "A date of birth (at least the year) is required."},
		{fmt.Errorf("add user grace: %w", app.Invalidf("the password needs at least %d characters", 8)), "The password needs at least 8 characters."},
		{fmt.Errorf("save the rules: %w", &classify.RulesError{Reason: "type lab has no keyword"}), "Type lab has no keyword."},
		{fmt.Errorf("import scan.pdf: %w", &app.TooLargeError{Size: 3 << 30, Limit: 512 << 20}), "The file is too large: 3 GB, the limit is 512 MB."},
		{fmt.Errorf("%w (lp: Error - No default destination.)", printer.ErrNoPrinter), "No printer is set up on this computer: save the PDF and print it from another."},
		{fmt.Errorf("patient KAB-000001-5: %w", app.ErrNotFound), "That is no longer here (it may have been merged, deleted or changed on another workstation); reload and try again."},
		{fmt.Errorf("patient.read: %w (Scanning clerk)", app.ErrForbidden), "Your role does not allow this."},
		{fmt.Errorf("list the queue: %w", &app.RoleError{Roles: app.RoleSet{app.RoleAdmin}, Permission: app.PermDocIndex}),
			"Your role (Administrator) may not index documents (file them to a patient, type and date); records clerks and scanning clerks may."},
		{&app.RoleError{Roles: app.RoleSet{app.RoleAdmin, app.RoleClinician}, Permission: app.PermDocIndex},
			"None of your roles (Administrator, Clinician) may index documents (file them to a patient, type and date); records clerks and scanning clerks may."},
		{fmt.Errorf("amend: %w", app.ErrConflict), "Someone else changed this record; it has been reloaded."},
		{errors.New("write /vault/folio.db: disk full"), "Folio could not do this because of a problem on this computer; try again, and if it happens again, tell your administrator (write /vault/folio.db: disk full)."},
	} {
		if got := message(tc.err); got != tc.want {
			t.Errorf("message(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
	if got := message(fmt.Errorf("load user: %w", app.ErrTampered)); !strings.Contains(got, "damaged") {
		t.Errorf("tampered: %q", got)
	}
}

// The window says why the drop folder cannot be watched in words, from
// what the error is, not from the file system's text.
func TestDropFolderProblem(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "scans.txt")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	v, _ := createdVault(t, nil)
	sess := testkit.Login(t, v, "admin", adminPW)
	for _, tc := range []struct{ dir, want string }{
		{filepath.Join(dir, "missing"), "The drop folder cannot be watched: there is no folder " + filepath.Join(dir, "missing") + " on this computer. An administrator chooses it in Administration, Settings."},
		{file, "The drop folder cannot be watched: " + file + " is a file, not a folder. An administrator chooses it in Administration, Settings."},
	} {
		_, err := dropfolder.NewIntake(dropfolder.IntakeParams{Dir: tc.dir, Importer: sess.Intake()})
		if err == nil {
			t.Fatalf("%s: the intake started", tc.dir)
		}
		if got := dropFolderProblem(tc.dir, err); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.dir, got, tc.want)
		}
	}
	link := &dropfolder.SkipError{Path: "x", Reason: dropfolder.ErrLink}
	if got := intakeProblem(link); got != "Skipped: it is a link; Folio imports files, not links." {
		t.Errorf("a link: %q", got)
	}
}

func TestKeyLines(t *testing.T) {
	got := keyLines("AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH-IIII")
	want := "AAAA-BBBB-CCCC\nDDDD-EEEE-FFFF\nGGGG-HHHH-IIII"
	if got != want {
		t.Fatalf("keyLines:\n%s", got)
	}
}

func TestIdleTick(t *testing.T) {
	for limit, want := range map[time.Duration]time.Duration{
		10 * time.Minute: 15 * time.Second,
		time.Minute:      3 * time.Second,
		5 * time.Second:  time.Second,
	} {
		if got := idleTick(limit); got != want {
			t.Errorf("idleTick(%s) = %s, want %s", limit, got, want)
		}
	}
}
