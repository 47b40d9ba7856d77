package cli_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// folioProc runs the folio command as its own process, as a person or a
// script does (TestMain installs this test binary as folio on the PATH),
// on a vault of its own.
type folioProc struct {
	t   *testing.T
	dir string // the test's folder; the vault is dir/vault
	env []string
}

func newFolioProc(t *testing.T) *folioProc {
	t.Helper()
	dir := t.TempDir()
	p := &folioProc{t: t, dir: dir, env: append(os.Environ(), "FOLIO_DATA="+filepath.Join(dir, "vault"),
		"FOLIO_USER=admin", "FOLIO_PASSWORD=correct horse battery staple")}
	p.run(0, nil, "init", "--site", "KAB")
	return p
}

// command is folio args with the vault's environment and extra (later
// entries win).
func (p *folioProc) command(extra []string, args ...string) *exec.Cmd {
	cmd := exec.Command("folio", args...)
	cmd.Env = append(append([]string{}, p.env...), extra...)
	cmd.Dir = p.dir
	return cmd
}

// run runs folio args to its end and checks its exit code; it returns
// stdout and stderr.
func (p *folioProc) run(want int, extra []string, args ...string) (string, string) {
	p.t.Helper()
	cmd := p.command(extra, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		p.t.Fatalf("folio %s: %v", strings.Join(args, " "), err)
	}
	if code != want {
		p.t.Fatalf("folio %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, out.String(), errb.String())
	}
	return out.String(), errb.String()
}

// rawControls reports the first character of out a terminal would obey
// or hide (other than the newlines and spaces of the layout), or "".
func rawControls(out string) string {
	for _, r := range out {
		if r != '\n' && (r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || r == 0x200e || r == 0x200f || r == 0x061c ||
			r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069) {
			return string(r)
		}
	}
	return ""
}

// TestAttackAuditReasonForgesRow: a break-glass reason with a newline and
// an escape sequence printed a fake audit row and hid text in the
// reviewer's terminal. The row is one line, with both shown as escapes;
// the JSON keeps the reason exact and carries no raw control character.
func TestAttackAuditReasonForgesRow(t *testing.T) {
	p := newFolioProc(t)
	p.run(0, []string{"FOLIO_NEW_PASSWORD=clinician passphrase"}, "user", "add", "dora", "--role", "clinician")
	mrn, _ := p.run(0, nil, "patient", "add", "--family", "Banda", "--given", "Amina", "--sex", "female", "--dob", "1984-03-12", "--restricted")
	mrn = strings.TrimSpace(mrn)
	reason := "follow-up visit\n2026-12-06 08:00:00  admin  login  -  ok  fine\x1b[8m hidden words"
	p.run(0, []string{"FOLIO_USER=dora", "FOLIO_PASSWORD=clinician passphrase"}, "patient", "show", mrn, "--reason", reason)

	out, _ := p.run(0, nil, "audit", "show", "--action", "break-glass")
	if c := rawControls(out); c != "" {
		t.Errorf("audit show printed the raw character %q:\n%s", c, out)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 2 {
		t.Errorf("audit show printed %d lines, want the header and one row:\n%s", len(lines), out)
	}
	if !strings.Contains(out, `follow-up visit\n2026-12-06 08:00:00`) || !strings.Contains(out, `\x1b[8m hidden words`) {
		t.Errorf("audit show does not show the reason's newline and escape sequence as escapes:\n%s", out)
	}

	js, _ := p.run(0, nil, "audit", "show", "--action", "break-glass", "--json")
	if c := rawControls(js); c != "" {
		t.Errorf("audit show --json printed the raw character %q:\n%s", c, js)
	}
	var events []struct{ Detail string }
	if err := json.Unmarshal([]byte(js), &events); err != nil || len(events) != 1 || events[0].Detail != reason {
		t.Errorf("audit show --json: %v, %+v; want the reason exactly", err, events)
	}
}

// TestAttackImportFileNameControls: a file named with a newline and a
// right-to-left override printed a fake line and reversed text in
// import's output. The file's line is one line, with both escaped.
func TestAttackImportFileNameControls(t *testing.T) {
	p := newFolioProc(t)
	in := filepath.Join(p.dir, "in")
	if err := os.Mkdir(in, 0o700); err != nil {
		t.Fatal(err)
	}
	name := "scan\nfiled  KAB-000009-X  referral  1 page  cover sheet \u202efdp.exe"
	if err := os.WriteFile(filepath.Join(in, name), []byte("not a scan"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _ := p.run(1, nil, "import", in)
	if c := rawControls(out); c != "" {
		t.Errorf("import printed the raw character %q:\n%s", c, out)
	}
	if lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "failed ") {
		t.Errorf("import printed %d lines, want one failed line:\n%s", len(lines), out)
	}
	if !strings.Contains(out, `scan\nfiled  KAB-000009-X`) || !strings.Contains(out, `\u202efdp.exe`) {
		t.Errorf("import does not show the file name's newline and override as escapes:\n%s", out)
	}
}
