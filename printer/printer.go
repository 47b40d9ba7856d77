// Package printer sends a finished PDF to a printer of this computer.
//
// # Invariants
//
//   - The PDF goes to the printing system through a pipe (lp's standard
//     input), never through a file Folio writes: a printout may hold
//     patient data. What the printing system keeps in its own spool until
//     the page is out is its business (CUPS deletes a job's file once it
//     is printed unless set up to keep it).
//   - Every failure wraps one of the sentinels below, and its text is a
//     sentence a clerk can act on that says to save the PDF instead.
//   - A Printer holds no state between calls; its zero value prints to
//     the computer's default printer.
//
// On Linux, the BSDs and macOS it runs CUPS' lp. On Windows it refuses
// with [ErrUnsupported]: the PDF is saved and printed from a PDF viewer.
package printer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"strings"
)

// Failures a caller may branch on.
var (
	// ErrNoPrinter: no printer is set up, the one asked for does not exist,
	// or the computer has no printing system at all.
	ErrNoPrinter = errors.New("no printer is set up on this computer: save the PDF and print it from another")
	// ErrNotRunning: the printing service does not answer.
	ErrNotRunning = errors.New("the printing service of this computer is not running: " +
		"save the PDF and print it from another computer, or restart this one and try again")
	// ErrRefused: the printing system answered but did not take the job.
	ErrRefused = errors.New("the printer did not take the document: save the PDF and print it from another computer")
	// ErrUnsupported: Folio cannot print on this operating system.
	ErrUnsupported = errors.New("printing from the window is not available on this operating system: " +
		"save the PDF and print it from your PDF viewer")
)

// Printer sends PDFs to one printer. The zero value uses lp from PATH and
// the default printer.
type Printer struct {
	// Command is the lp program to run; empty means "lp" found in PATH.
	Command string
	// Destination names the printer (lp -d); empty means the default.
	Destination string
	// Env, when not nil, is lp's whole environment (CUPS_SERVER, PATH…);
	// nil means Folio's own.
	Env []string
}

// Print sends pdf to the printer as one job called title and returns the
// job's name as the printing system reported it ("Office-12"), if it did.
func (p Printer) Print(ctx context.Context, title string, pdf []byte) (string, error) {
	if runtime.GOOS == "windows" {
		return "", ErrUnsupported
	}
	if len(pdf) == 0 {
		return "", fmt.Errorf("%w (the PDF is empty)", ErrRefused)
	}
	command := p.Command
	if command == "" {
		command = "lp"
	}
	args := []string{"-t", oneLine(title)}
	if p.Destination != "" {
		args = append(args, "-d", p.Destination)
	}
	cmd := exec.CommandContext(ctx, command, args...)
	cmd.Env = p.Env
	cmd.Stdin = bytes.NewReader(pdf)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, exec.ErrDot) {
		return "", fmt.Errorf("%w (no printing system: %s was not found)", ErrNoPrinter, command)
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		if ctx.Err() != nil {
			return "", fmt.Errorf("printing stopped before the printer took the document: %w", ctx.Err())
		}
		return "", fmt.Errorf("%w (%s could not run: %v)", ErrNoPrinter, command, err)
	}
	if err != nil {
		return "", lpError(p.Destination, strings.TrimSpace(errOut.String()))
	}
	return jobName(out.String()), nil
}

// lpError maps what lp wrote to standard error when it failed to one of
// the sentinels, keeping lp's words for whoever looks after the computer.
func lpError(dest, said string) error {
	lower := strings.ToLower(said)
	switch {
	case strings.Contains(lower, "no default destination"):
		return fmt.Errorf("%w (%s)", ErrNoPrinter, said)
	case strings.Contains(lower, "does not exist"), strings.Contains(lower, "not found"):
		return fmt.Errorf("%w (the printer %q: %s)", ErrNoPrinter, dest, said)
	case strings.Contains(lower, "scheduler not responding"), strings.Contains(lower, "connect"),
		strings.Contains(lower, "connection refused"):
		return fmt.Errorf("%w (%s)", ErrNotRunning, said)
	case said == "":
		return fmt.Errorf("%w (lp failed and said nothing)", ErrRefused)
	}
	return fmt.Errorf("%w (%s)", ErrRefused, said)
}

// jobName reads the job's name from lp's "request id is Office-12 (1
// file(s))"; it is empty when lp said something else.
func jobName(out string) string {
	_, after, ok := strings.Cut(out, "request id is ")
	if !ok {
		return ""
	}
	f := strings.Fields(after)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// oneLine makes a job title of s: one line, no control characters, not
// too long for a printer's status display.
func oneLine(s string) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f }), " ")
	if r := []rune(s); len(r) > 100 {
		s = string(r[:100])
	}
	if s == "" {
		s = "Folio"
	}
	return s
}
