// Command folio is the Folio desktop application and its command line.
// Without a command it opens the window on the data folder; with one
// ("folio patient find …") it runs the same services headless. This is the
// one place where the concrete parts meet: profile wires storage and crypto
// into app, and ui draws app for a person.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"golang.org/x/term"

	"folio/app"
	"folio/cli"
	_ "folio/locale" // before Fyne reads $LANG
	"folio/profile"
	"folio/ui"
)

func main() {
	os.Exit(cli.Main(cli.Params{
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
		Getenv: os.Getenv,
		Prompt: promptTerminal,
		RunGUI: runGUI,
	}))
}

// promptTerminal reads a secret from the controlling terminal without echo.
func promptTerminal(label string) ([]byte, error) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, errors.New("there is no terminal to ask on")
	}
	defer tty.Close()
	fmt.Fprint(tty, label)
	b, err := term.ReadPassword(int(tty.Fd()))
	fmt.Fprintln(tty)
	return b, err
}

// runGUI opens the window on the profile in dir and returns when it closes.
func runGUI(ctx context.Context, dir string) error {
	prof, err := profile.Open(dir, profile.Options{})
	if err != nil {
		return err
	}
	defer prof.Close()
	a := fyneapp.NewWithID("org.folio.desktop")
	var w *ui.App
	runner := prof.SyncRunner(func(st app.SyncStatus) { w.ShowLockedSync(st) })
	admin := prof.SyncAdmin(runner)
	w = ui.New(a, prof.Vault, ui.Options{
		StartSync:  runner.StartSession,
		SyncStates: admin.RecordStates,
		Sync:       admin,
		Backup:     prof.Backup,
	})
	syncCtx, stopSync := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- runner.Serve(syncCtx) }() // no one is signed in yet: it sends while locked
	defer func() { stopSync(); <-served }()         // the send-only engine lets go of the vault before the profile closes
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	w.ShowAndRun()
	return nil
}
