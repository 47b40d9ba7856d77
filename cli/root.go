// Package cli is Folio's command line: the same services as the window,
// headless, for administrators, scripts, tests and benchmarks. Every
// command honours --data/FOLIO_DATA, --user/FOLIO_USER and FOLIO_PASSWORD
// (else it prompts on the terminal), prints results on stdout, and on
// failure prints one line on stderr that says what to do and exits non-zero.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"folio/app"
	"folio/codeset"
	"folio/profile"
)

// Params are what the commands need from the process around them.
type Params struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// Prompt reads a secret from the terminal without echo; nil means no
	// terminal (scripts must then set the environment variable).
	Prompt func(label string) ([]byte, error)
	// RunGUI opens the desktop window on a profile directory (the root
	// command with no sub-command).
	RunGUI func(ctx context.Context, dataDir string) error
	// FastKDF lowers the password-hashing cost (tests and benchmarks only).
	FastKDF bool
	// WorkerCommand starts a scan worker ("folio scan-worker"); nil means
	// this executable.
	WorkerCommand []string
}

// Exit codes.
const (
	ExitOK         = 0
	ExitFailure    = 1
	ExitUsage      = 2
	ExitDuplicates = 3 // patient add found possible duplicates
	ExitProblems   = 4 // verify found problems
)

// exitError carries a specific exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// env holds the global flags and the parameters, shared by every command.
// Its methods are only what the commands share (the data folder, the
// passwords, the session, the code set); the commands themselves are plain
// functions that take the env.
type env struct {
	Params
	dataDir string
	user    string
	// codes is the code set the coding commands search and check codes
	// against, opened once on first use.
	codes codeset.Lazy
	// codeSystem and codeVersion choose a loaded code set instead
	// (--system, --version of the code commands; codeSet).
	codeSystem, codeVersion string
}

// Main runs the command line of this process (os.Args) and returns its
// exit code. SIGINT and SIGTERM cancel the command's context: the command
// stops at its next safe point (an import stores no half file), the vault
// is closed, and the next command opens it. A second signal ends the
// process at once.
func Main(p Params) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // the next signal has its default effect
	}()
	return Run(ctx, os.Args[1:], p)
}

// Run executes the command line args (without the program name) and
// returns the process exit code.
func Run(ctx context.Context, args []string, p Params) int {
	e := &env{Params: p}
	root := rootCommand(e)
	root.SetArgs(args)
	root.SetIn(p.Stdin)
	root.SetOut(p.Stdout)
	root.SetErr(p.Stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	printf(p.Stderr, "folio: %s\n", errorText(err))
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if isUsage(err) {
		return ExitUsage
	}
	return ExitFailure
}

// errorText is the one-line message for a clerk or administrator.
func errorText(err error) string {
	var wait *app.WaitError
	switch {
	case errors.As(err, &wait):
		return wait.Error()
	case errors.Is(err, app.ErrDamaged):
		return "the vault's keys on this computer are damaged, so no password can open them " +
			"(this was not counted as a failed login): set a new password with the recovery key from the " +
			"recovery sheet (folio user recover NAME); if that fails too, restore the data folder from a backup"
	case errors.Is(err, app.ErrWrongPassword), errors.Is(err, app.ErrUnknownUser):
		return "wrong user name or password (set FOLIO_USER and FOLIO_PASSWORD, or answer the prompt)"
	}
	return err.Error()
}

type usageError struct{ error }

func isUsage(err error) bool {
	var u usageError
	return errors.As(err, &u)
}

func rootCommand(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "folio",
		Short: "Folio: the clinic's health-record room, offline first and encrypted",
		Long: `Folio keeps a clinic's patient records encrypted on this workstation.
Run without a command to open the window; the commands below run the same
services headless. Environment: FOLIO_DATA (data folder), FOLIO_USER,
FOLIO_PASSWORD (for scripts; otherwise you are asked).`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if e.RunGUI == nil {
				return usageError{errors.New("no window in this build; see 'folio --help'")}
			}
			dir, err := e.dir()
			if err != nil {
				return err
			}
			return e.RunGUI(cmd.Context(), dir)
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.PersistentFlags().StringVar(&e.dataDir, "data", "", "data folder (default: $FOLIO_DATA or the user data folder)")
	root.PersistentFlags().StringVar(&e.user, "user", "", "user name (default: $FOLIO_USER)")
	root.AddCommand(initCommand(e), userCommand(e), patientCommand(e), auditCommand(e),
		verifyCommand(e), demoCommand(e), settingsCommand(e),
		importCommand(e), watchCommand(e), coversheetCommand(e), separatorCommand(e), docCommand(e),
		searchCommand(e), queueCommand(e), scanWorkerCommand(e), syncCommand(e),
		backupCommand(e), restoreCommand(e), encounterCommand(e), noteCommand(e),
		summaryCommand(e), allergyCommand(e), problemCommand(e), medicationCommand(e), codeCommand(e), codesCommand(e),
		deficiencyCommand(e))
	return root
}

// dir is the profile directory from --data, FOLIO_DATA or the default.
func (e *env) dir() (string, error) {
	if e.dataDir != "" {
		return e.dataDir, nil
	}
	if d := e.Getenv("FOLIO_DATA"); d != "" {
		return d, nil
	}
	return profile.DefaultDir()
}

// open opens the profile; the caller closes it.
func (e *env) open() (*profile.Profile, error) {
	dir, err := e.dir()
	if err != nil {
		return nil, err
	}
	return profile.Open(dir, profile.Options{FastKDF: e.FastKDF, WorkerCommand: e.WorkerCommand})
}

// userName is --user, FOLIO_USER, the OS user name, or else "admin" (the
// first administrator's name when no other is given).
func (e *env) userName() string {
	if e.user != "" {
		return e.user
	}
	if u := e.Getenv("FOLIO_USER"); u != "" {
		return u
	}
	if u := e.Getenv("USER"); u != "" {
		return u
	}
	return "admin"
}

// secret reads a secret from an environment variable or the terminal.
func (e *env) secret(envVar, label string) ([]byte, error) {
	if v := e.Getenv(envVar); v != "" {
		return []byte(v), nil
	}
	if e.Prompt == nil {
		return nil, fmt.Errorf("%s is needed: set %s or run in a terminal", label, envVar)
	}
	b, err := e.Prompt(label + ": ")
	if err != nil {
		return nil, fmt.Errorf("cannot ask for the %s: %v; set the environment variable %s instead", label, err, envVar)
	}
	return b, nil
}

// newSecret reads a new password twice on a terminal (once from the env).
func (e *env) newSecret(envVar, label string) ([]byte, error) {
	if v := e.Getenv(envVar); v != "" {
		return []byte(v), nil
	}
	first, err := e.secret(envVar, label)
	if err != nil {
		return nil, err
	}
	again, err := e.Prompt("again: ")
	if err != nil {
		return nil, fmt.Errorf("cannot ask for the %s again: %v; set the environment variable %s instead", label, err, envVar)
	}
	if string(first) != string(again) {
		return nil, errors.New("the two passwords differ; try again")
	}
	return first, nil
}

// session opens the profile and logs in; the returned func locks and
// closes both.
func (e *env) session(ctx context.Context) (*app.Session, *profile.Profile, func(), error) {
	prof, err := e.open()
	if err != nil {
		return nil, nil, nil, err
	}
	pw, err := e.secret("FOLIO_PASSWORD", "password for "+e.userName())
	if err != nil {
		prof.Close()
		return nil, nil, nil, err
	}
	s, err := prof.Vault.Login(ctx, e.userName(), pw)
	if err != nil {
		prof.Close()
		return nil, nil, nil, err
	}
	return s, prof, func() { s.Lock(ctx); prof.Close() }, nil
}

// inSessionProfile signs in, runs fn with the session and the profile it
// was opened from, then locks the session and closes the profile.
func (e *env) inSessionProfile(ctx context.Context, fn func(s *app.Session, prof *profile.Profile) error) error {
	s, prof, done, err := e.session(ctx)
	if err != nil {
		return err
	}
	defer done()
	return fn(s, prof)
}

// inSession is inSessionProfile for work that needs only the session.
func (e *env) inSession(ctx context.Context, fn func(s *app.Session) error) error {
	return e.inSessionProfile(ctx, func(s *app.Session, _ *profile.Profile) error { return fn(s) })
}

// signedIn makes a command's RunE that runs fn in a session (inSession):
// the shape nearly every command has.
func (e *env) signedIn(fn func(cmd *cobra.Command, args []string, s *app.Session) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		return e.inSession(cmd.Context(), func(s *app.Session) error { return fn(cmd, args, s) })
	}
}

// signedInProfile is signedIn for a command that also needs the profile.
func (e *env) signedInProfile(fn func(cmd *cobra.Command, args []string, s *app.Session, prof *profile.Profile) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		return e.inSessionProfile(cmd.Context(), func(s *app.Session, prof *profile.Profile) error { return fn(cmd, args, s, prof) })
	}
}

// withProfile makes a command's RunE that opens the profile without
// signing in, runs fn with it and closes it.
func (e *env) withProfile(fn func(cmd *cobra.Command, args []string, prof *profile.Profile) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		prof, err := e.open()
		if err != nil {
			return err
		}
		defer prof.Close()
		return fn(cmd, args, prof)
	}
}
