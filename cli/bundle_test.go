package cli_test

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"folio/archive/archivecmd"
	"folio/cli"
)

// bundleRig runs both command lines in-process: folio on one vault (its
// environment env), folio-archive on an archive folder.
type bundleRig struct {
	t   *testing.T
	env map[string]string
}

func (r bundleRig) folio(want int, args ...string) string {
	r.t.Helper()
	var out, errb bytes.Buffer
	code := cli.Run(context.Background(), args, cli.Params{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string { return r.env[k] }, FastKDF: true})
	if code != want {
		r.t.Fatalf("folio %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, out.String(), errb.String())
	}
	return out.String() + errb.String()
}

func (r bundleRig) archive(data string, want int, args ...string) string {
	r.t.Helper()
	var out, errb bytes.Buffer
	code := archivecmd.Run(context.Background(), append(args, "--data", data), archivecmd.Params{Stdout: &out, Stderr: &errb})
	if code != want {
		r.t.Fatalf("folio-archive %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, out.String(), errb.String())
	}
	return out.String() + errb.String()
}

// TestSyncBundleCommands runs the USB-stick round through both command
// lines, in-process: folio-archive init and device add, folio init and
// sync enroll, folio sync export, folio-archive import --reply, folio sync
// import; and the refusals an administrator meets first.
func TestSyncBundleCommands(t *testing.T) {
	dir := t.TempDir()
	arc, vault := filepath.Join(dir, "archive"), filepath.Join(dir, "vault")
	env := map[string]string{"FOLIO_DATA": vault, "FOLIO_USER": "admin", "FOLIO_PASSWORD": "correct horse battery staple"}
	r := bundleRig{t, env}
	folio := r.folio
	archive := func(want int, args ...string) string {
		t.Helper()
		return r.archive(arc, want, args...)
	}

	archive(0, "init", "--org", "Lake District Health", "--host", "127.0.0.1")
	enroll := filepath.Join(dir, "ward-a.enroll")
	archive(0, "device", "add", "--name", "ward-a", "--out", enroll, "--address", "127.0.0.1:9")
	if b, _ := os.ReadFile(enroll); !bytes.Contains(b, []byte(`"bundle_key"`)) {
		t.Fatal("the enrollment file carries no bundle key")
	}
	folio(0, "init")
	folio(0, "sync", "enroll", enroll)

	exp := filepath.Join(dir, "ward-a.bundle")
	out := folio(0, "sync", "export", "--out", exp)
	if !strings.Contains(out, "folio-archive import") {
		t.Fatalf("export says: %s", out)
	}
	folio(1, "sync", "export", "--out", exp) // never overwritten

	reply := filepath.Join(dir, "ward-a.reply")
	archive(2, "import", exp) // --reply is required
	out = archive(0, "import", exp, "--reply", reply)
	if !strings.Contains(out, "Imported") || !strings.Contains(out, "folio sync import") {
		t.Fatalf("archive import says: %s", out)
	}
	reply2 := filepath.Join(dir, "ward-a.reply2")
	archive(0, "import", exp, "--reply", reply2) // again: harmless

	out = folio(0, "sync", "import", reply)
	if !strings.Contains(out, "Now 0 changes pending") {
		t.Fatalf("import says: %s", out)
	}
	folio(0, "sync", "import", reply2)

	// The wrong file on either side: refused, with what to do.
	junk := filepath.Join(dir, "scan.pdf")
	os.WriteFile(junk, []byte("%PDF-1.7 a scan, not a bundle"), 0o600)
	if out := archive(1, "import", junk, "--reply", filepath.Join(dir, "r3")); !strings.Contains(out, "not a Folio sync bundle") {
		t.Fatalf("a random file at the archive: %s", out)
	}
	if out := folio(1, "sync", "import", exp); !strings.Contains(out, "folio-archive import") {
		t.Fatalf("an export imported on the workstation: %s", out)
	}
	// A reply written without a new export.
	again := filepath.Join(dir, "ward-a.again")
	archive(0, "export", "--device", "ward-a", "--out", again)
	folio(0, "sync", "import", again)
}

// TestSyncBundleSharedStore: with the archive in PostgreSQL, a bundle
// imported on one archive machine can be answered from another that
// shares the database ('folio-archive export' there), as what the
// workstation's bundle said is kept in the store.
func TestSyncBundleSharedStore(t *testing.T) {
	store := postgresSchema(t)
	dir := t.TempDir()
	arcA, arcB, vault := filepath.Join(dir, "archive-a"), filepath.Join(dir, "archive-b"), filepath.Join(dir, "vault")
	env := map[string]string{"FOLIO_DATA": vault, "FOLIO_USER": "admin", "FOLIO_PASSWORD": "correct horse battery staple"}
	r := bundleRig{t, env}
	folio, archive := r.folio, r.archive

	archive(arcA, 0, "init", "--org", "Lake District Health", "--host", "127.0.0.1")
	enroll := filepath.Join(dir, "ward-a.enroll")
	archive(arcA, 0, "device", "add", "--name", "ward-a", "--out", enroll, "--address", "127.0.0.1:9")
	// The second archive machine gets the first one's folder (its keys),
	// as an administrator sets one up; the store is the shared database.
	if err := os.CopyFS(arcB, os.DirFS(arcA)); err != nil {
		t.Fatal(err)
	}
	folio(0, "init")
	folio(0, "patient", "add", "--family", "Achieng", "--given", "Mary", "--sex", "female", "--dob", "1984-03-02")
	folio(0, "sync", "enroll", enroll)
	exp := filepath.Join(dir, "ward-a.bundle")
	folio(0, "sync", "export", "--out", exp)

	if out := archive(arcB, 1, "export", "--device", "ward-a", "--out", filepath.Join(dir, "early"), "--store", store); !strings.Contains(out, "no bundle from a workstation named ward-a") {
		t.Fatalf("export before any import says: %s", out)
	}
	archive(arcA, 0, "import", exp, "--reply", filepath.Join(dir, "ward-a.reply"), "--store", store)
	reply := filepath.Join(dir, "from-b.reply")
	out := archive(arcB, 0, "export", "--device", "ward-a", "--out", reply, "--store", store)
	if !strings.Contains(out, "folio sync import") {
		t.Fatalf("export on the second archive machine says: %s", out)
	}
	if out := folio(0, "sync", "import", reply); !strings.Contains(out, "Imported") {
		t.Fatalf("importing the second machine's reply says: %s", out)
	}
}

// postgresSchema returns a URL of the test PostgreSQL (127.0.0.1:5432, or
// FOLIO_TEST_POSTGRES) with a schema of this test's own, dropped when it
// ends. FOLIO_NO_POSTGRES=1 skips the test when no server answers.
func postgresSchema(t *testing.T) string {
	t.Helper()
	base := cmp.Or(os.Getenv("FOLIO_TEST_POSTGRES"), "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		if os.Getenv("FOLIO_NO_POSTGRES") == "1" {
			t.Skipf("PostgreSQL not reachable and FOLIO_NO_POSTGRES=1: %v", err)
		}
		t.Fatalf("PostgreSQL is not reachable (start it, point FOLIO_TEST_POSTGRES at one, or set FOLIO_NO_POSTGRES=1): %v", err)
	}
	defer conn.Close(ctx)
	schema := fmt.Sprintf("folio_cli_test_%d", time.Now().UnixNano())
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if conn, err := pgx.Connect(ctx, base); err == nil {
			conn.Exec(ctx, `DROP SCHEMA `+schema+` CASCADE`)
			conn.Close(ctx)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
