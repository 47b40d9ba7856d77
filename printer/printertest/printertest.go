// Package printertest runs a real CUPS scheduler for tests: its own
// cupsd on a socket in a temporary folder, with a cups-pdf queue as the
// default printer, so a test prints through lp and reads the PDF that
// comes out. It skips the test, saying why, only where CUPS cannot run
// (not installed, or not root: cups-pdf reads its settings from /etc/cups).
package printertest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"folio/printer"
)

// CUPS is a CUPS scheduler of a test's own, on a socket in its temporary
// folder, with one default queue that prints through cups-pdf into out.
type CUPS struct {
	sock string
	out  string
}

// StartCUPS starts cupsd with its own configuration and adds a cups-pdf
// queue as its default printer. cups-pdf reads its settings only from
// /etc/cups, so the queue's file (cups-pdf-<queue>.conf) is written there
// and removed when the test ends.
func StartCUPS(t testing.TB) *CUPS {
	t.Helper()
	for _, prog := range []string{"cupsd", "lpadmin", "lp"} {
		if _, err := exec.LookPath(prog); err != nil {
			if _, err := os.Stat(filepath.Join("/usr/sbin", prog)); err != nil {
				t.Skipf("CUPS cannot run here: %s is not installed (scripts/deps.sh test installs cups, cups-client and printer-driver-cups-pdf)", prog)
			}
		}
	}
	const backend = "/usr/lib/cups/backend/cups-pdf"
	if _, err := os.Stat(backend); err != nil {
		t.Skip("CUPS cannot run here: the cups-pdf printer is not installed (scripts/deps.sh test installs printer-driver-cups-pdf)")
	}
	if os.Geteuid() != 0 {
		t.Skip("CUPS cannot run here: cups-pdf's queue settings live in /etc/cups, which only root may write")
	}
	dir, err := os.MkdirTemp("", "folio-cups-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	// cupsd runs filters as the user lp: the folders must be reachable.
	for _, d := range []string{"", "etc", "spool", "tmp", "cache", "state", "log", "out", "pdfspool"} {
		p := filepath.Join(dir, d)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o755)
		if d == "tmp" || d == "out" || d == "pdfspool" {
			mode = 0o1777
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	c := &CUPS{sock: filepath.Join(dir, "cups.sock"), out: filepath.Join(dir, "out")}
	write(t, filepath.Join(dir, "etc", "cupsd.conf"), "Listen "+c.sock+"\nLogLevel warn\nWebInterface No\nBrowsing No\n"+
		"<Location />\n  Order allow,deny\n  Allow all\n</Location>\n")
	write(t, filepath.Join(dir, "etc", "cups-files.conf"), fmt.Sprintf("RequestRoot %[1]s/spool\nTempDir %[1]s/tmp\n"+
		"CacheDir %[1]s/cache\nStateDir %[1]s/state\nErrorLog %[1]s/log/error_log\nAccessLog %[1]s/log/access_log\n"+
		"PageLog %[1]s/log/page_log\nServerBin /usr/lib/cups\nDataDir /usr/share/cups\n", dir))
	queue := "folio-test-" + filepath.Base(dir)[len("folio-cups-"):]
	conf := "/etc/cups/cups-pdf-" + queue + ".conf"
	write(t, conf, fmt.Sprintf("Out %[1]s/out\nAnonDirName %[1]s/out\nSpool %[1]s/pdfspool\nUserUMask 0077\nGrp root\n", dir))
	t.Cleanup(func() { os.Remove(conf) })

	cupsd := exec.Command("cupsd", "-f", "-c", filepath.Join(dir, "etc", "cupsd.conf"), "-s", filepath.Join(dir, "etc", "cups-files.conf"))
	cupsd.Env = append(os.Environ(), "PATH="+os.Getenv("PATH")+":/usr/sbin")
	var log bytes.Buffer
	cupsd.Stdout, cupsd.Stderr = &log, &log
	if err := cupsd.Start(); err != nil {
		t.Skipf("CUPS cannot run here: cupsd did not start: %v", err)
	}
	t.Cleanup(func() { cupsd.Process.Kill(); cupsd.Wait() })
	env := c.env()
	// lpadmin answers once the scheduler listens; it is tried until then.
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, err := run(env, "lpadmin", "-p", queue, "-E", "-v", "cups-pdf:/"+queue,
			"-P", "/usr/share/ppd/cups-pdf/CUPS-PDF_noopt.ppd")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the test's CUPS did not take a printer: %v: %s; cupsd said: %s", err, out, log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if out, err := run(env, "lpadmin", "-d", queue); err != nil {
		t.Fatalf("set the default printer: %v: %s", err, out)
	}
	return c
}

// Printer prints to this CUPS's default printer.
func (c *CUPS) Printer() printer.Printer { return printer.Printer{Env: c.env()} }

// env is the environment of a program that talks to this CUPS.
func (c *CUPS) env() []string {
	return []string{"CUPS_SERVER=" + c.sock, "PATH=" + os.Getenv("PATH") + ":/usr/sbin", "HOME=" + filepath.Dir(c.out)}
}

// Printed waits for the PDF cups-pdf writes and returns it.
func (c *CUPS) Printed(t testing.TB) []byte {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		files, _ := filepath.Glob(filepath.Join(c.out, "*.pdf"))
		if len(files) == 1 {
			b, err := os.ReadFile(files[0])
			// cups-pdf renames the finished file into place; a PDF
			// is complete when it ends with its trailer.
			if err == nil && bytes.Contains(b[max(0, len(b)-64):], []byte("%%EOF")) {
				return b
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no PDF arrived from the printer in %s within 60 s", c.out)
	return nil
}

func run(env []string, prog string, args ...string) (string, error) {
	cmd := exec.Command(prog, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func write(t testing.TB, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
