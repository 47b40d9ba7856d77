package archivecmd_test

import (
	"bufio"
	"bytes"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"folio/archive/api"
	"folio/internal/testkit"
)

// TestBinary builds the real folio-archive and runs it as an
// administrator would: init, device add, serve; a workstation checks its
// health over mTLS; SIGTERM stops it with exit code 0.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on the PATH to build folio-archive")
	}
	bin := testkit.Build(t, t.TempDir(), "folio/cmd/folio-archive", "folio-archive")
	data := t.TempDir()
	enroll := filepath.Join(t.TempDir(), "ward-1.enroll")
	cli := func(want int, args ...string) string {
		t.Helper()
		return testkit.Run(t, exec.Command(bin, args...), want)
	}
	if out := cli(2, "status"); !strings.Contains(out, "--data is required") {
		t.Errorf("status without --data: %q", out)
	}
	if out := cli(2, "nonsense", "--data", data); !strings.Contains(out, "unknown command") {
		t.Errorf("unknown command: %q", out)
	}
	if out := cli(1, "status", "--data", data); !strings.Contains(out, "not an archive folder") {
		t.Errorf("status before init: %q", out)
	}
	cli(0, "init", "--data", data, "--org", "Test Clinic", "--host", "127.0.0.1")
	// The port is the server's to choose (:0); the certificate names the
	// host, which is what the workstation checks.
	cli(0, "device", "add", "--data", data, "--name", "ward-1", "--out", enroll, "--address", "127.0.0.1:8443")

	srv := exec.Command(bin, "serve", "--data", data, "--listen", "127.0.0.1:0")
	stdout, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	srv.Stderr = &stderr
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			srv.Process.Kill()
		}
	})
	// The first line names the address.
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		srv.Process.Kill()
		t.Fatalf("no start-up line: %v\n%s", err, stderr.String())
	}
	m := regexp.MustCompile(`https://(127\.0\.0\.1:\d+)`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("start-up line %q names no address", line)
	}
	go func() { exited <- srv.Wait() }()

	s := newStation(t, enroll, m[1])
	a := s.must(http.StatusOK, devA, http.MethodGet, api.PathHealth, nil)
	if !strings.Contains(string(a.body), `"ok"`) {
		t.Fatalf("health: %s", a.body)
	}
	s.must(http.StatusOK, devA, http.MethodGet, api.PathDevice, nil)
	if out := cli(0, "status", "--data", data); !strings.Contains(out, "running") {
		t.Errorf("status while serving: %q", out)
	}

	if err := srv.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("serve after SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("serve did not stop after SIGTERM")
	}
	for _, want := range []string{"archive serving", "workstation=ward-1", "archive stopped"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, stderr.String())
		}
	}
	if out := cli(0, "status", "--data", data); !strings.Contains(out, "ward-1") {
		t.Errorf("status after serve: %q", out)
	}
}
