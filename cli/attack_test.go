package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
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

// memoryBound is the most a folio process may hold resident while it
// skips a hostile file (it holds about 40 MB doing nothing).
const memoryBound = 200 << 20

// runBounded runs folio args under an address-space limit of 3 GB (so an
// unbounded read fails there rather than taking the machine's memory) and
// a deadline; it returns stdout, stderr, how long it took and the most it
// held resident.
func (p *folioProc) runBounded(want int, deadline time.Duration, args ...string) (string, string, time.Duration, int64) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", append([]string{"-c", `ulimit -S -v 3000000 && exec folio "$@"`, "folio"}, args...)...)
	cmd.Env, cmd.Dir = p.env, p.dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if ctx.Err() != nil {
		p.t.Fatalf("folio %s did not finish within %s:\n%s%s", strings.Join(args, " "), deadline, out.String(), errb.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		p.t.Fatal(err)
	}
	if code != want {
		p.t.Fatalf("folio %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, out.String(), errb.String())
	}
	return out.String(), errb.String(), took, cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10
}

// folder makes a folder of the test's and returns its path.
func (p *folioProc) folder(name string) string {
	p.t.Helper()
	dir := filepath.Join(p.dir, name)
	if err := os.Mkdir(dir, 0o700); err != nil {
		p.t.Fatal(err)
	}
	return dir
}

// elsewhere writes someone else's file, name holding text, in a folder
// outside the ones Folio is told to read, for a link to point at; it
// returns the file's path.
func (p *folioProc) elsewhere(name, text string) string {
	p.t.Helper()
	path := filepath.Join(p.folder("elsewhere"), name)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		p.t.Fatal(err)
	}
	return path
}

// stored is how many bytes the vault's folder holds.
func (p *folioProc) stored() int64 {
	var n int64
	filepath.WalkDir(filepath.Join(p.dir, "vault"), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// skippedLine reports whether out has import's line for a skipped file
// ending in name, with the reason.
func skippedLine(out, name, reason string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "skipped ") && strings.Contains(l, name+" ") && strings.HasSuffix(l, reason) {
			return true
		}
	}
	return false
}

// TestAttackImportPipe: a named pipe in the folder hung `folio import`
// for good. It is skipped, named, and the import finishes.
func TestAttackImportPipe(t *testing.T) {
	p := newFolioProc(t)
	in := p.folder("in")
	if err := syscall.Mkfifo(filepath.Join(in, "a.pdf"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(in, "b.pdf"), []byte("not a scan"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errs, _, _ := p.runBounded(1, time.Minute, "import", in)
	if !skippedLine(out, "a.pdf", "not a regular file (a named pipe)") || !strings.Contains(out, "b.pdf") {
		t.Errorf("import does not say the pipe was skipped, or left b.pdf out:\n%s", out)
	}
	if !strings.Contains(errs, "1 of 2 files were skipped") {
		t.Errorf("import's last word: %s", errs)
	}
}

// TestAttackImportLinkToDevZero: a link to /dev/zero in the folder was read
// until memory ran out. It is skipped without a byte read; named on the
// command line (followed: a person chose it) it is refused as a device.
func TestAttackImportLinkToDevZero(t *testing.T) {
	p := newFolioProc(t)
	in := p.folder("in")
	zero := filepath.Join(in, "zero.pdf")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ arg, reason string }{
		{in, "a link; Folio imports files, not links"},
		{zero, "not a regular file (a device)"},
	} {
		out, _, _, rss := p.runBounded(1, time.Minute, "import", c.arg)
		if !skippedLine(out, "zero.pdf", c.reason) {
			t.Errorf("import %s does not say zero.pdf was skipped (%s):\n%s", c.arg, c.reason, out)
		}
		if rss > memoryBound {
			t.Errorf("import %s held %d MB", c.arg, rss>>20)
		}
	}
}

// TestAttackImportTooLarge: a 1.6 GB file was read whole (1.7 GB resident)
// and stored before it was refused. A sparse one (it takes no disk) is
// refused by its size, at once, without being read or stored.
func TestAttackImportTooLarge(t *testing.T) {
	p := newFolioProc(t)
	in := p.folder("in")
	huge := filepath.Join(in, "huge.pdf")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1717986918); err != nil { // 1.6 GB
		t.Fatal(err)
	}
	f.Close()
	before := p.stored()
	for _, arg := range []string{in, huge} {
		out, _, took, rss := p.runBounded(1, 2*time.Minute, "import", arg)
		if !skippedLine(out, "huge.pdf", "too large: 1.6 GB, the limit is 512 MB") {
			t.Errorf("import %s does not say huge.pdf is too large:\n%s", arg, out)
		}
		if rss > memoryBound || took > 20*time.Second {
			t.Errorf("import %s held %d MB and took %s", arg, rss>>20, took)
		}
	}
	if grew := p.stored() - before; grew > 16<<20 {
		t.Errorf("the vault grew by %d MB", grew>>20)
	}
}

// TestAttackImportLinkInFolder: a link in a folder was followed and its
// target stored. It is skipped; link and target stay. A link named on the
// command line is read through: the person chose it.
func TestAttackImportLinkInFolder(t *testing.T) {
	p := newFolioProc(t)
	in, target := p.folder("in"), p.elsewhere("private.txt", "someone else's file")
	link := filepath.Join(in, "scan.pdf")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	out, _, _, _ := p.runBounded(1, time.Minute, "import", in)
	if !skippedLine(out, "scan.pdf", "a link; Folio imports files, not links") || strings.Count(out, "\n") != 1 {
		t.Errorf("import does not skip the link (and only that):\n%s", out)
	}
	if _, err := os.Lstat(link); err != nil {
		t.Errorf("the link is gone: %v", err)
	}
	if _, err := os.Stat(target); err != nil {
		t.Errorf("the target is gone: %v", err)
	}
	out, _, _, _ = p.runBounded(1, time.Minute, "import", link)
	if !strings.HasPrefix(out, "failed ") || !strings.Contains(out, "not a PDF") {
		t.Errorf("import of a named link does not read through it:\n%s", out)
	}
}

// start starts cmd in the background and reads what it writes to out
// (&cmd.Stdout or &cmd.Stderr) line by line into lines, closed at its end;
// exited then has its exit. The test kills it if it still runs at its end.
func (p *folioProc) start(cmd *exec.Cmd, out *io.Writer) (<-chan string, <-chan error) {
	p.t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		p.t.Fatal(err)
	}
	*out = w
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	w.Close() // the child holds its end
	lines, exited, done := make(chan string, 100), make(chan error, 1), make(chan struct{})
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			lines <- sc.Text()
		}
		r.Close()
		close(lines)
		exited <- cmd.Wait()
		close(done)
	}()
	p.t.Cleanup(func() {
		select {
		case <-done:
		default:
			cmd.Process.Kill()
		}
	})
	return lines, exited
}

// TestAttackSigtermDuringImport: SIGTERM did not stop an import stuck on a
// named pipe, and every other command then found the vault open. The
// import stops promptly, says so, and the next command opens the vault.
func TestAttackSigtermDuringImport(t *testing.T) {
	p := newFolioProc(t)
	in := p.folder("in")
	if err := syscall.Mkfifo(filepath.Join(in, "a.pdf"), 0o600); err != nil {
		t.Fatal(err)
	}
	corpus, err := filepath.Abs("../testdata/corpus/scans/paperless__multi-page-images.pdf")
	if err != nil {
		t.Fatal(err)
	}
	scan, err := os.ReadFile(corpus)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 8 { // pages to OCR, each file different: minutes of work
		if err := os.WriteFile(filepath.Join(in, fmt.Sprintf("b%d.pdf", i)), fmt.Appendf(scan, "%% copy %d\n", i), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := p.command(nil, "import", in)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	lines, exited := p.start(cmd, &cmd.Stdout)
	// The pipe's line comes first; the scans are then being read.
	select {
	case l := <-lines:
		if !strings.Contains(l, "a.pdf") {
			t.Fatalf("import's first line: %s", l)
		}
	case <-time.After(time.Minute):
		t.Fatal("import printed nothing for a minute: it hangs on the named pipe")
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	go func() {
		for range lines {
		}
	}()
	select {
	case err := <-exited:
		if took := time.Since(sent); err == nil || took > 20*time.Second {
			t.Errorf("import ended %s after SIGTERM with %v", took, err)
		}
	case <-time.After(time.Minute):
		t.Fatal("import still runs a minute after SIGTERM")
	}
	if !strings.Contains(errb.String(), "stopped") {
		t.Errorf("import does not say it stopped: %s", errb.String())
	}
	p.run(0, nil, "verify")
}

// TestAttackWatchHostileFiles: `folio watch` took a link in the drop folder
// (storing its target, removing the link) and read a link to /dev/zero
// until memory ran out. Both, and a named pipe, are reported skipped once
// and left alone; SIGTERM ends the watch and the vault opens again.
func TestAttackWatchHostileFiles(t *testing.T) {
	p := newFolioProc(t)
	drop, target := p.folder("drop"), p.elsewhere("private.pdf", "%PDF-1.4 someone else's file %%EOF")
	links := map[string]string{"link.pdf": target, "zero.pdf": "/dev/zero"}
	for name, to := range links {
		if err := os.Symlink(to, filepath.Join(drop, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(drop, "pipe.pdf"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", `ulimit -S -v 3000000 && exec folio "$@"`, "folio", "watch", drop, "--interval", "50ms")
	cmd.Env, cmd.Dir = p.env, p.dir
	lines, exited := p.start(cmd, &cmd.Stderr)
	want := map[string]string{"link.pdf": "skipped: a link; Folio imports files, not links",
		"zero.pdf": "skipped: a link; Folio imports files, not links", "pipe.pdf": "skipped: not a regular file (a named pipe)"}
	for len(want) > 0 {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("watch ended; still to report: %v", want)
			}
			for name, reason := range want {
				if strings.Contains(l, name+": "+reason) {
					delete(want, name)
				}
			}
		case <-time.After(time.Minute):
			t.Fatalf("watch did not report within a minute: %v", want)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var more []string
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("watch ended with %v after SIGTERM", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("watch still runs a minute after SIGTERM")
	}
	for l := range lines {
		more = append(more, l)
	}
	if len(more) > 0 {
		t.Errorf("watch reported more than once: %q", more)
	}
	for name := range links {
		if _, err := os.Lstat(filepath.Join(drop, name)); err != nil {
			t.Errorf("%s is gone: %v", name, err)
		}
	}
	if _, err := os.Stat(target); err != nil {
		t.Errorf("the link's target is gone: %v", err)
	}
	p.run(0, nil, "verify")
}
