package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"folio/app"
	"folio/cli"
	"folio/storage/tamper"
)

// auditRig runs folio in-process on one data folder, as a given user.
type auditRig struct {
	t   *testing.T
	dir string
}

const (
	adminPW  = "correct horse battery staple"
	doctorPW = "clinician passphrase"
)

func (r auditRig) run(user, pw string, want int, args ...string) string {
	r.t.Helper()
	env := map[string]string{"FOLIO_DATA": r.dir, "FOLIO_USER": user, "FOLIO_PASSWORD": pw, "FOLIO_NEW_PASSWORD": doctorPW}
	var out, errb bytes.Buffer
	code := cli.Run(context.Background(), args, cli.Params{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string { return env[k] }, FastKDF: true})
	if code != want {
		r.t.Fatalf("folio %s (as %s): exit %d, want %d\n%s%s", strings.Join(args, " "), user, code, want, out.String(), errb.String())
	}
	return out.String() + errb.String()
}

func (r auditRig) admin(want int, args ...string) string {
	return r.run("admin", adminPW, want, args...)
}

// breakGlassSeq finds the seq of the newest break-glass event.
func (r auditRig) breakGlassSeq() uint64 {
	r.t.Helper()
	var evs []app.AuditEvent
	if err := json.Unmarshal([]byte(r.admin(0, "audit", "show", "--action", "break-glass", "--json")), &evs); err != nil || len(evs) == 0 {
		r.t.Fatalf("break-glass events: %v %v", evs, err)
	}
	return evs[len(evs)-1].Seq
}

// auditFixture is a vault where a clinician broke the glass on a
// restricted chart, followed by a day of ordinary work (well over 48 audit
// entries), then closed. It returns the folder and the break-glass seq.
func auditFixture(t *testing.T) (string, uint64) {
	t.Helper()
	r := auditRig{t, filepath.Join(t.TempDir(), "vault")}
	r.admin(0, "init", "--site", "KAB")
	r.admin(0, "user", "add", "amina", "--role", "clinician")
	mrn := strings.TrimSpace(r.admin(0, "patient", "add", "--family", "Okello", "--given", "Grace", "--sex", "female", "--dob", "1984-03-12", "--restricted"))
	r.run("amina", doctorPW, 0, "patient", "show", mrn, "--reason", "curious about a neighbour")
	seq := r.breakGlassSeq()
	for range 20 { // sign-in, a read of the trail, sign-out: three entries each
		r.admin(0, "audit", "show", "--limit", "1")
	}
	return r.dir, seq
}

// copyVault copies a closed data folder, so each attack starts from the
// same vault.
func copyVault(t *testing.T, from string) string {
	t.Helper()
	to := filepath.Join(t.TempDir(), "vault")
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
	return to
}

// The audit trail rewritten offline, with bbolt alone and no key, the way
// an insider covering their tracks would: each attack ends with 'folio
// verify' exiting 4 (problems found) and saying what happened. Before the
// keyed head, every one of them verified OK.
func TestAttackAuditRewrittenOffline(t *testing.T) {
	base, glass := auditFixture(t)
	r := auditRig{t, base}
	if out := r.admin(0, "verify"); !strings.Contains(out, "OK: no problems found") {
		t.Fatalf("the untouched vault: %s", out)
	}
	for _, tc := range []struct {
		name   string
		attack func(path string) error
		want   []string
	}{
		{"TestAttackBreakGlassDeleted", func(path string) error {
			if err := tamper.DeleteEntry(path, glass); err != nil {
				return err
			}
			return tamper.DeleteCheckpoints(path)
		}, []string{"no longer matches its keyed head", "checkpoints were removed"}},
		{"TestAttackForgedEntryInserted", func(path string) error {
			forged := app.AuditEvent{Time: time.Now().UTC(), User: "amina", Roles: app.RoleSet{app.RoleClinician}, Action: app.ActLogin, Outcome: app.OutcomeFailed, Detail: "wrong password"}
			if err := tamper.InsertForged(path, glass, forged); err != nil {
				return err
			}
			return tamper.DeleteCheckpoints(path)
		}, []string{"no longer matches its keyed head"}},
		{"TestAttackTrailTruncated48", func(path string) error {
			return tamper.Truncate(path, 48)
		}, []string{"entries were removed from its end"}},
		{"TestAttackCheckpointsDeleted", func(path string) error {
			return tamper.DeleteCheckpoints(path)
		}, []string{"checkpoints were removed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyVault(t, base)
			if err := tc.attack(filepath.Join(dir, "folio.db")); err != nil {
				t.Fatal(err)
			}
			out := auditRig{t, dir}.admin(4, "verify")
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("verify does not say %q:\n%s", w, out)
				}
			}
		})
	}
}

// A vault from before keyed heads (no "storage/audit-head") is keyed at
// its first unlock, which the trail records (audit.keyed); verify passes
// and says which entries predate the keyed trail.
func TestAuditOlderVaultKeyedAtFirstUnlock(t *testing.T) {
	r := auditRig{t, filepath.Join(t.TempDir(), "vault")}
	r.admin(0, "init", "--site", "KAB")
	r.admin(0, "patient", "add", "--family", "Okello", "--given", "Grace", "--sex", "female", "--dob", "1984-03-12")
	db, err := bolt.Open(filepath.Join(r.dir, "folio.db"), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("meta")).Delete([]byte("storage/audit-head")) }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	out := r.admin(0, "verify")
	if !strings.Contains(out, "written before the audit trail was keyed") || !strings.Contains(out, "OK: no problems found") {
		t.Fatalf("verify of an older vault:\n%s", out)
	}
	var evs []app.AuditEvent
	if err := json.Unmarshal([]byte(r.admin(0, "audit", "show", "--action", "audit.keyed", "--json")), &evs); err != nil || len(evs) != 1 {
		t.Fatalf("audit.keyed events: %+v %v", evs, err)
	}
}

// Failed sign-ins are appended while the vault is locked, without the key;
// the next sign-in authenticates them and its event says how many.
func TestAuditLockedAppendsAuthenticatedAtSignIn(t *testing.T) {
	r := auditRig{t, filepath.Join(t.TempDir(), "vault")}
	r.admin(0, "init", "--site", "KAB")
	r.run("admin", "not the password", 1, "audit", "show")
	r.run("admin", "not the password either", 1, "audit", "show")
	var evs []app.AuditEvent
	if err := json.Unmarshal([]byte(r.admin(0, "audit", "show", "--action", "login", "--json")), &evs); err != nil || len(evs) == 0 {
		t.Fatalf("login events: %+v %v", evs, err)
	}
	if last := evs[len(evs)-1]; last.Outcome != app.OutcomeOK || !strings.Contains(last.Detail, "authenticates 2 audit entries written while the vault was locked") {
		t.Fatalf("the sign-in after two failures: %+v", last)
	}
	if out := r.admin(0, "verify"); !strings.Contains(out, "OK: no problems found") {
		t.Fatalf("verify:\n%s", out)
	}
	r.run("admin", "wrong again", 1, "verify")
	if out := r.admin(0, "verify"); !strings.Contains(out, "this sign-in authenticates 1 audit entry written while the vault was locked") {
		t.Fatalf("verify after a failed sign-in does not say what its sign-in authenticated:\n%s", out)
	}
}
