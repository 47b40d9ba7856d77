package ui

import (
	"context"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	fitz "github.com/gen2brain/go-fitz"

	"folio/app"
	"folio/internal/testclock"
	"folio/internal/testkit"
	"folio/profile"
)

// The tests drive real widgets over a real vault (bbolt in t.TempDir(),
// real keys with the cheapest password hashing). Work the window does on
// goroutines is awaited with tasks.wait, never with sleeps; its results
// are applied on the test goroutine, as a real window applies them on the
// Fyne goroutine.

const (
	adminPW = "correct horse battery"
	clinPW  = "stethoscope morning round"
)

// newClock is a settable clock for the idle lock and ages.
func newClock() *testclock.Clock {
	return testclock.New(time.Date(2025, 11, 20, 9, 30, 0, 0, time.UTC))
}

// openVault opens an empty profile in a temp folder.
func openVault(t *testing.T, now func() time.Time) *app.Vault {
	t.Helper()
	return testkit.Profile(t, profile.Options{Now: now}).Vault
}

// createdVault opens a profile with a vault and its administrator.
func createdVault(t *testing.T, now func() time.Time) (*app.Vault, string) {
	t.Helper()
	prof, key := testkit.Vault(t, profile.Options{Now: now}, app.CreateParams{Admin: "admin", Password: []byte(adminPW), SitePrefix: "KAB"})
	return prof.Vault, key
}

// adminVault is createdVault with its administrator signed in.
func adminVault(t *testing.T) (*app.Vault, *app.Session) {
	t.Helper()
	return adminAt(t, nil)
}

// adminAt is a new vault on clock c with its administrator signed in.
func adminAt(t *testing.T, c func() time.Time) (*app.Vault, *app.Session) {
	t.Helper()
	v, _ := createdVault(t, c)
	admin, err := v.Login(context.Background(), "admin", []byte(adminPW))
	if err != nil {
		t.Fatal(err)
	}
	return v, admin
}

// reopen opens the vault in the data folder dir again, after the test
// changed its file with the vault closed; it is closed when the test ends.
func reopen(t *testing.T, dir string) *app.Vault {
	t.Helper()
	prof, err := profile.Open(dir, profile.Options{FastKDF: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { prof.Close() })
	return prof.Vault
}

// newWindow opens the UI on v with a test app. The search never fires by
// itself (tests call searchNow) unless a test sets searchDelay.
func newWindow(t testing.TB, v *app.Vault, opts Options) *App {
	t.Helper()
	u := New(test.NewTempApp(t), v, opts)
	u.searchDelay = time.Hour
	u.draftDelay = time.Hour
	u.idleEvery = time.Hour
	u.countEvery = time.Hour
	u.tasks.hold = true
	t.Cleanup(func() {
		u.tasks.wait()
		if u.sess != nil {
			u.lock("")
		}
		u.tasks.wait()
		u.win.Close()
	})
	return u
}

// current returns the screen on show as a T, or fails.
func current[T screen](t testing.TB, u *App) T {
	t.Helper()
	s, ok := u.cur.(T)
	if !ok {
		var zero T
		t.Fatalf("the window shows %T, want %T", u.cur, zero)
	}
	return s
}

// logIn logs in through the login screen.
func logIn(t testing.TB, u *App, user, pw string) {
	t.Helper()
	l := current[*loginScreen](t, u)
	l.user.SetText("")
	test.Type(l.user, user)
	test.Type(l.pass, pw)
	l.pass.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	u.tasks.wait()
	if u.sess == nil {
		t.Fatalf("login as %s failed: %q", user, l.msg.Text)
	}
}

// register registers patients through the session, as a setup step.
func register(t *testing.T, u *App, ps ...app.Patient) []app.Patient {
	t.Helper()
	reg, err := u.sess.s.Patients().Register(context.Background(), ps...)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func ctrl(k fyne.KeyName) *desktop.CustomShortcut {
	return &desktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault}
}

func mary() app.Patient {
	return app.Patient{Family: "Okello", Given: "Mary Akello", Sex: app.SexFemale,
		BirthDate: app.BirthDate{Year: 1984, Month: 3, Day: 12}, Phone: "0772 123 456", Village: "Kisoro",
		NextOfKin: app.NextOfKin{Name: "Peter Okello", Relationship: "brother", Phone: "0701 555 010"}}
}

// addUser has s (an administrator's session) add the user userNamed
// makes of name and roles, with password pw.
func addUser(t testing.TB, s *app.Session, pw, name string, roles ...app.Role) {
	t.Helper()
	if err := s.Users().Add(context.Background(), userNamed(name, roles...), []byte(pw)); err != nil {
		t.Fatal(err)
	}
}

func userNamed(name string, roles ...app.Role) app.User {
	u := app.User{Name: name, Roles: app.RoleSet{app.RoleClinician}}
	if len(roles) > 0 {
		u.Roles = roles
	}
	return u
}

// openPDF opens data with MuPDF, as a reader of the PDF would; it is
// closed when the test ends.
func openPDF(t testing.TB, data []byte) *fitz.Document {
	t.Helper()
	doc, err := fitz.NewFromMemory(data)
	if err != nil {
		t.Fatalf("MuPDF cannot open the PDF: %v", err)
	}
	t.Cleanup(func() { doc.Close() })
	return doc
}

// shotsWindow is the window of the docs' screenshots, of size, on a new
// vault on clock now whose administrator added clerk (password pw) and
// dr.amani, the clinician; nobody is signed in.
func shotsWindow(t *testing.T, now func() time.Time, size fyne.Size, clerk app.User, pw string) (*App, *app.Vault) {
	t.Helper()
	ctx := context.Background()
	v, admin := adminAt(t, now)
	for _, p := range []struct {
		user app.User
		pw   string
	}{{clerk, pw}, {app.User{Name: "dr.amani", FullName: "Amani Wekesa", Roles: app.RoleSet{app.RoleClinician}}, clinPW}} {
		if err := admin.Users().Add(ctx, p.user, []byte(p.pw)); err != nil {
			t.Fatal(err)
		}
	}
	admin.Lock(ctx)
	u := newWindow(t, v, Options{Now: now})
	u.win.Resize(size)
	return u, v
}

// shooter returns a function that saves the window as dir/NAME.png, for
// the docs' screenshots.
func shooter(t *testing.T, u *App, dir string) func(name string) {
	return func(name string) {
		t.Helper()
		f, err := os.Create(filepath.Join(dir, name+".png"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := png.Encode(f, u.win.Canvas().Capture()); err != nil {
			t.Fatal(err)
		}
	}
}
