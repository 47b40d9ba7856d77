package cli_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"folio/cli"
	"folio/profile"
	"folio/storage/tamper"
)

// Issue 12, item 10: `folio verify` exited 1 ("could not run") instead of
// 4 ("found problems") when it could not write its checkpoint. A bad
// sector under the page of signed checkpoints does that: signing in still
// works, the checkpoint write does not. Verify now runs every check,
// reports the failed write among the problems, and exits 4.
func TestAttackVerifyCannotWriteCheckpoint(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"FOLIO_DATA": dir, "FOLIO_USER": "admin", "FOLIO_PASSWORD": "correct horse battery staple"}
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := cli.Run(context.Background(), args, cli.Params{Stdout: &out, Stderr: &errOut,
			Getenv: func(k string) string { return env[k] }, FastKDF: true})
		return code, out.String(), errOut.String()
	}
	if code, _, stderr := run("init"); code != cli.ExitOK {
		t.Fatalf("init: %d %s", code, stderr)
	}
	// Every command signs in and out, and each sign-out seals a
	// checkpoint: twenty fill a page of their own.
	for range 20 {
		if code, _, stderr := run("user", "list"); code != cli.ExitOK {
			t.Fatalf("user list: %d %s", code, stderr)
		}
	}
	if err := tamper.SpoilCheckpointsPage(filepath.Join(dir, profile.VaultFile)); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run("verify")
	if code != cli.ExitProblems || !strings.Contains(stdout, "PROBLEM: the audit trail could not be sealed with a new checkpoint") ||
		!strings.Contains(stderr, "verify found") {
		t.Fatalf("verify with its checkpoint write refused: exit %d\n%s%s", code, stdout, stderr)
	}
}
