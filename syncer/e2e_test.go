package syncer_test

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"folio/internal/testkit"
)

// TestProcessesConverge runs the organisation as separate processes, with
// the README's commands: the folio-archive server, and three workstations
// driven by the folio command line. One creates the vault and enrolls;
// two join and get the keys approved. All three work offline — register,
// amend the same patient on two of them, merge duplicates, import a scan —
// then sync until quiet, and must hold the same patients, the same
// conflict, the same scans, and nothing pending.
func TestProcessesConverge(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the real programs")
	}
	if raceDetector {
		// Its programs are built without the detector (built with it, they
		// take minutes more to compile); the plain pass runs it.
		t.Skip("the process test runs in the pass without the race detector")
	}
	bins := t.TempDir()
	testkit.Build(t, bins, "folio", "folio")
	testkit.Build(t, bins, "folio/cmd/folio-archive", "folio-archive")
	run := func(env []string, want int, name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(filepath.Join(bins, name), args...)
		cmd.Env = append(os.Environ(), env...)
		return testkit.Run(t, cmd, want)
	}

	// The archive.
	arc := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	run(nil, 0, "folio-archive", "init", "--data", arc, "--org", "Lake District Health", "--host", "127.0.0.1")
	enroll := map[string]string{}
	for _, ws := range []string{"ward-a", "ward-b", "ward-c", "ward-d"} {
		enroll[ws] = filepath.Join(t.TempDir(), ws+".enroll")
		run(nil, 0, "folio-archive", "device", "add", "--data", arc, "--name", ws, "--out", enroll[ws], "--address", addr)
	}
	var srvOut bytes.Buffer
	srv := exec.Command(filepath.Join(bins, "folio-archive"), "serve", "--data", arc, "--listen", addr)
	srv.Stdout, srv.Stderr = &srvOut, &srvOut
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Process.Signal(syscall.SIGTERM)
		srv.Wait()
		if t.Failed() {
			t.Logf("archive log:\n%s", srvOut.String())
		}
	})
	for i := 0; ; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if i > 100 {
			t.Fatalf("the archive does not listen on %s:\n%s", addr, srvOut.String())
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Workstation A: the organisation's first vault.
	const adminPW, nursePW, clerkPW = "correct horse battery", "the ward clerk words", "green paper folders"
	a := []string{"FOLIO_DATA=" + t.TempDir(), "FOLIO_USER=admin", "FOLIO_PASSWORD=" + adminPW}
	run(a, 0, "folio", "init", "--site", "WA")
	run(append(a, "FOLIO_NEW_PASSWORD="+nursePW), 0, "folio", "user", "add", "nurse", "--role", "records")
	run(append(a, "FOLIO_NEW_PASSWORD="+clerkPW), 0, "folio", "user", "add", "clerk", "--role", "records")
	out := run(a, 0, "folio", "patient", "add", "--family", "Achieng", "--given", "Mary", "--sex", "female", "--dob", "1984-03-02", "--json")
	var mary struct{ MRN string }
	if err := json.Unmarshal([]byte(out), &mary); err != nil {
		t.Fatalf("patient add: %v\n%s", err, out)
	}
	run(a, 0, "folio", "sync", "enroll", enroll["ward-a"])
	run(a, 0, "folio", "sync", "now")

	// B and C join: their vaults wait for the keys until A approves.
	b := []string{"FOLIO_DATA=" + t.TempDir(), "FOLIO_USER=nurse", "FOLIO_PASSWORD=" + nursePW}
	c := []string{"FOLIO_DATA=" + t.TempDir(), "FOLIO_USER=clerk", "FOLIO_PASSWORD=" + clerkPW}
	for ws, env := range map[string][]string{"ward-b": b, "ward-c": c} {
		out := run(env, 0, "folio", "init", "--join", enroll[ws])
		if !strings.Contains(out, "folio sync approve "+ws) {
			t.Fatalf("init --join says:\n%s", out)
		}
		if out := run(env, 1, "folio", "sync", "now"); !strings.Contains(out, "waits for the vault keys") {
			t.Fatalf("sync before approval says:\n%s", out)
		}
		fp := between(out, "--fingerprint ", "\n")
		run(a, 1, "folio", "sync", "approve", ws, "--fingerprint", "0000-0000-0000-0000-0000")
		run(a, 0, "folio", "sync", "approve", ws, "--fingerprint", fp)
		run(env, 0, "folio", "sync", "now")
		if out := run(env, 0, "folio", "patient", "find", "achieng"); !strings.Contains(out, mary.MRN) {
			t.Fatalf("%s does not find Mary after joining:\n%s", ws, out)
		}
	}

	// D joins as a user the organisation does not have: after its first
	// sync it says so and what to do, not that a record is missing.
	d := []string{"FOLIO_DATA=" + t.TempDir(), "FOLIO_USER=ghost", "FOLIO_PASSWORD=" + clerkPW}
	fp := between(run(d, 0, "folio", "init", "--join", enroll["ward-d"]), "--fingerprint ", "\n")
	run(a, 0, "folio", "sync", "approve", "ward-d", "--fingerprint", fp)
	for _, args := range [][]string{{"sync", "now"}, {"patient", "find", "achieng"}} {
		out := run(d, 1, "folio", args...)
		if !strings.Contains(out, `the organisation has no user "ghost"`) || !strings.Contains(out, "folio user add ghost") || strings.Contains(out, "record user/ghost") {
			t.Fatalf("folio %s on a workstation joined as an unknown user says:\n%s", strings.Join(args, " "), out)
		}
	}

	// Offline work on all three.
	run(a, 0, "folio", "patient", "amend", mary.MRN, "--phone", "+254 700 000001")
	run(b, 0, "folio", "patient", "amend", mary.MRN, "--village", "Bondo")
	run(c, 0, "folio", "patient", "add", "--family", "Otieno", "--given", "James", "--sex", "male", "--dob", "1990")
	run(c, 0, "folio", "patient", "add", "--family", "Otieno", "--given", "Jim", "--sex", "male", "--dob", "1990", "--force")
	run(a, 0, "folio", "import", "../testdata/corpus/scans/ocrmypdf__linn.png")
	out = run(a, 0, "folio", "patient", "add", "--family", "Wekesa", "--given", "Peter", "--sex", "male", "--dob", "1975", "--json")
	var peter struct{ MRN string }
	if err := json.Unmarshal([]byte(out), &peter); err != nil {
		t.Fatalf("patient add: %v\n%s", err, out)
	}

	for range 2 {
		for _, env := range [][]string{a, b, c} {
			run(env, 0, "folio", "sync", "now")
		}
	}
	// C merges its duplicate Otienos (after everyone has them), and all sync again.
	var jim []struct{ MRN, Given string }
	if err := json.Unmarshal([]byte(run(c, 0, "folio", "patient", "find", "otieno", "--json")), &jim); err != nil || len(jim) != 2 {
		t.Fatalf("find otieno on c: %v %+v", err, jim)
	}
	run(c, 0, "folio", "patient", "merge", jim[0].MRN, jim[1].MRN)
	// B withdraws Peter, registered in error: a tombstone version.
	run(b, 0, "folio", "patient", "delete", peter.MRN, "--reason", "registered in error")
	for _, env := range [][]string{c, b, a, c, b} {
		run(env, 0, "folio", "sync", "now")
	}

	// Sync goes quiet: within three more passes, one moves no record
	// version anywhere (no endless back and forth).
	for pass := 1; ; pass++ {
		quiet := true
		var outs []string
		for _, env := range [][]string{a, b, c} {
			out := run(env, 0, "folio", "sync", "now")
			outs = append(outs, out)
			quiet = quiet && strings.Contains(out, "pushed 0 versions") && strings.Contains(out, "pulled 0 new versions")
		}
		if quiet {
			break
		}
		if pass == 3 {
			t.Fatalf("sync still moves versions after %d passes:\n%s", pass, strings.Join(outs, "\n"))
		}
	}

	// Every replica holds the same state.
	var want string
	for i, env := range [][]string{a, b, c} {
		state := run(env, 0, "folio", "patient", "find", "achieng", "--json") + run(env, 0, "folio", "patient", "find", "otieno", "--json") +
			run(env, 0, "folio", "patient", "find", "wekesa", "--json") + run(env, 0, "folio", "patient", "history", peter.MRN) +
			run(env, 0, "folio", "sync", "conflicts")
		if i == 0 {
			want = state
			if !strings.Contains(state, "branch") || !strings.Contains(state, "Otieno") {
				t.Fatalf("a's state lacks the conflict or a patient:\n%s", state)
			}
			continue
		}
		if state != want {
			t.Fatalf("workstation %d differs from a:\n%s\n--- a ---\n%s", i, state, want)
		}
		var st struct {
			PendingChanges int `json:"pending_changes"`
			Conflicts      int `json:"conflicts"`
		}
		if err := json.Unmarshal([]byte(run(env, 0, "folio", "sync", "status", "--json")), &st); err != nil || st.PendingChanges != 0 || st.Conflicts != 1 {
			t.Fatalf("status of workstation %d: %+v, %v", i, st, err)
		}
		if out := run(env, 1, "folio", "patient", "show", peter.MRN); !strings.Contains(out, "deleted") || !strings.Contains(out, "registered in error") {
			t.Fatalf("workstation %d still shows the deleted registration:\n%s", i, out)
		}
		if out := run(env, 0, "folio", "doc", "search", "the"); strings.Contains(out, "no documents") {
			t.Fatalf("workstation %d cannot search the scan's text:\n%s", i, out)
		}
	}
}

func between(s, from, to string) string {
	_, rest, _ := strings.Cut(s, from)
	v, _, _ := strings.Cut(rest, to)
	return strings.TrimSpace(v)
}
