package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"folio/archive/archivecmd"
	"folio/cli"
)

// TestSyncBundleCommands runs the USB-stick round through both command
// lines, in-process: folio-archive init and device add, folio init and
// sync enroll, folio sync export, folio-archive import --reply, folio sync
// import; and the refusals an administrator meets first.
func TestSyncBundleCommands(t *testing.T) {
	dir := t.TempDir()
	arc, vault := filepath.Join(dir, "archive"), filepath.Join(dir, "vault")
	env := map[string]string{"FOLIO_DATA": vault, "FOLIO_USER": "admin", "FOLIO_PASSWORD": "correct horse battery staple"}
	folio := func(want int, args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		code := cli.Run(context.Background(), args, cli.Params{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
			Getenv: func(k string) string { return env[k] }, FastKDF: true})
		if code != want {
			t.Fatalf("folio %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, out.String(), errb.String())
		}
		return out.String() + errb.String()
	}
	archive := func(want int, args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		code := archivecmd.Run(context.Background(), append(args, "--data", arc), archivecmd.Params{Stdout: &out, Stderr: &errb})
		if code != want {
			t.Fatalf("folio-archive %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, out.String(), errb.String())
		}
		return out.String() + errb.String()
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
