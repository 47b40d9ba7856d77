package testkit

import (
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Build compiles the main package pkg (an import path, such as
// "folio/cmd/folio-archive") into the folder dir as the program name, and
// returns the program's path. A failed build fails t with the compiler's
// output.
func Build(t testing.TB, dir, pkg, name string) string {
	t.Helper()
	bin := filepath.Join(dir, name)
	if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// Run runs cmd to its end, its standard output and error written to one
// buffer, and returns what it wrote. It fails t when cmd cannot start or
// exits with another code than want.
func Run(t testing.TB, cmd *exec.Cmd, want int) string {
	t.Helper()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if code != want {
		t.Fatalf("%s %s: exit %d, want %d\n%s", filepath.Base(cmd.Path), strings.Join(cmd.Args[1:], " "), code, want, out.String())
	}
	return out.String()
}
