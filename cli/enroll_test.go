package cli_test

import (
	"path/filepath"
	"strings"
	"testing"

	"folio/cli"
)

// TestApproveNeedsFingerprint: 'folio sync approve' never approves without
// the fingerprint the joining workstation shows (before, it sent the keys
// to whoever asked in that name), and refuses before it signs in.
func TestApproveNeedsFingerprint(t *testing.T) {
	r := bundleRig{t: t, env: map[string]string{"FOLIO_DATA": t.TempDir(), "FOLIO_USER": "admin", "FOLIO_PASSWORD": "correct horse battery"}}
	r.folio(cli.ExitOK, "init", "--site", "WA")
	out := r.folio(cli.ExitUsage, "sync", "approve", "ward-b")
	if !strings.Contains(out, "--fingerprint") || !strings.Contains(out, "joining workstation shows") {
		t.Fatalf("approve without a fingerprint says:\n%s", out)
	}
}

// TestEnrollRefusesExpiredFile: an enrollment file past its --valid is
// refused before anything is kept ('folio init --join' and 'folio sync
// enroll' alike).
func TestEnrollRefusesExpiredFile(t *testing.T) {
	dir := t.TempDir()
	arc, vault := filepath.Join(dir, "archive"), filepath.Join(dir, "vault")
	r := bundleRig{t: t, env: map[string]string{"FOLIO_DATA": vault, "FOLIO_USER": "nurse", "FOLIO_PASSWORD": "the ward clerk words"}}
	r.archive(arc, 0, "init", "--org", "Lake Health District", "--host", "127.0.0.1")
	enroll := filepath.Join(dir, "ward-b.enroll")
	r.archive(arc, 0, "device", "add", "--name", "ward-b", "--out", enroll, "--valid", "1ns")
	out := r.folio(cli.ExitFailure, "init", "--join", enroll)
	if !strings.Contains(out, "expired") || !strings.Contains(out, "folio-archive device add") {
		t.Fatalf("init --join with an expired file says:\n%s", out)
	}
	if out := r.folio(cli.ExitOK, "sync", "status"); !strings.Contains(out, "Not enrolled") {
		t.Fatalf("after the refusal, sync status says:\n%s", out)
	}
}
