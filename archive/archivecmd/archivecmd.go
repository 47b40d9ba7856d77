// Package archivecmd is the command line of the organisation's archive
// server, folio-archive: create the organisation's CA (init), enroll and
// revoke workstations (device), look at the archive (status, device list),
// run it (serve), and take in and write sync bundles for workstations
// without a link (import, export). cmd/folio-archive only hands it the process.
//
// The data folder (--data DIR) holds everything the archive has:
//
//	DIR/pki/    the organisation's CA, the server's certificate, the device
//	            registry and the revocation list (package pki)
//	DIR/store/  the embedded store (package boltstore), unless serve is
//	            given --store postgres://…
//	DIR/bundles/ the archive's sync bundle key pair (see bundle.go); what
//	            each workstation's last bundle said is in the store
//
// Invariants:
//   - The server speaks HTTPS only: TLS 1.3 with a client certificate from
//     the organisation's CA on every connection (pki.ServerTLS); a revoked
//     certificate is refused at its next handshake and at its next request
//     on a connection already open.
//   - A workstation's vault device id is taken only from the certificate's
//     binding (archive.Binder), never from a request body.
//   - Results go to stdout, the server's log (log/slog) and every error to
//     stderr. The exit code is 0 on success, 2 for a command line that
//     cannot be run as written (usage), 1 for any other failure.
//   - The commands that only read (status, device list) never wait for the
//     store a running server holds: they say so and show what the PKI
//     folder knows.
package archivecmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"folio/archive/pki"
	"folio/visible"
)

// Params are what the commands need from the process around them.
type Params struct {
	Stdout, Stderr io.Writer
}

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// usageError marks a command line that cannot be run as written.
type usageError struct{ error }

func (u usageError) Unwrap() error { return u.error }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// Run executes the command line args (without the program name) and
// returns the process exit code. serve runs until ctx ends.
func Run(ctx context.Context, args []string, p Params) int {
	e := &env{Params: p}
	root := e.rootCommand()
	if args == nil {
		args = []string{} // cobra reads os.Args for nil
	}
	root.SetArgs(args)
	root.SetOut(p.Stdout)
	root.SetErr(p.Stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	fmt.Fprintf(p.Stderr, "folio-archive: %s\n", visible.Line(err.Error()))
	var u usageError
	if errors.As(err, &u) || errors.Is(err, pki.ErrBadName) {
		return ExitUsage
	}
	return ExitFailure
}

// env holds the flags every command shares.
type env struct {
	Params
	dataDir string
}

func (e *env) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "folio-archive",
		Short: "the organisation's Folio archive server",
		Long: `folio-archive runs the organisation's central Folio archive: it keeps every
record version and scanned original the workstations push (encrypted: it
never holds a vault key) and hands them to every other workstation.

Start with 'folio-archive init', enroll each workstation with
'folio-archive device add', then run 'folio-archive serve'. Every command
takes --data DIR, the archive's folder.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          noArgs,
		RunE:          needSubcommand,
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.PersistentFlags().StringVar(&e.dataDir, "data", "", "the archive's folder (required)")
	root.AddCommand(e.initCommand(), e.serveCommand(), e.deviceCommand(), e.statusCommand(), e.importCommand(), e.exportCommand())
	return root
}

// noArgs refuses arguments where a sub-command or nothing is expected.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if cmd.HasSubCommands() {
		return usagef("unknown command %q for '%s'; see '%s --help'", args[0], cmd.CommandPath(), cmd.CommandPath())
	}
	return usagef("'%s' takes no arguments, only flags (got %q); see '%s --help'", cmd.CommandPath(), args[0], cmd.CommandPath())
}

// needSubcommand is the action of a command that only groups others.
func needSubcommand(cmd *cobra.Command, _ []string) error {
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	return usagef("'%s' needs a command: one of %v; see '%s --help'", cmd.CommandPath(), names, cmd.CommandPath())
}

// dir is --data, required by every command.
func (e *env) dir() (string, error) {
	if e.dataDir == "" {
		return "", usagef("--data is required: the archive's folder (made by 'folio-archive init --data DIR --org NAME')")
	}
	return e.dataDir, nil
}

// pkiDir is DIR/pki, checked to hold an organisation.
func (e *env) pkiDir() (string, *pki.Org, error) {
	dir, err := e.dir()
	if err != nil {
		return "", nil, err
	}
	p := pkiDir(dir)
	org, err := pki.Load(p)
	if err != nil {
		if errors.Is(err, pki.ErrNotInitialised) {
			return "", nil, fmt.Errorf("%s is not an archive folder (no organisation CA in %s); create it with 'folio-archive init --data %s --org NAME', or check --data", dir, p, dir)
		}
		return "", nil, err
	}
	return p, org, nil
}

func pkiDir(dataDir string) string   { return filepath.Join(dataDir, "pki") }
func storeDir(dataDir string) string { return filepath.Join(dataDir, "store") }

// required refuses an empty required flag.
func required(flag, value, what string) error {
	if value == "" {
		return usagef("--%s is required: %s", flag, what)
	}
	return nil
}
