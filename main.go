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
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"golang.org/x/term"

	"folio/cli"
	_ "folio/locale" // before Fyne reads $LANG
	"folio/profile"
	"folio/syncer"
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
	runner := newSyncRunner(ctx, prof)
	defer runner.close() // before the profile closes
	w := ui.New(a, prof.Vault, ui.Options{
		StartSync: runner.startSession,
		SyncStates: func(ctx context.Context, items []ui.SyncItem) ([]ui.RecordSync, error) {
			return syncStates(ctx, prof, runner.live.get(), items)
		},
		Sync:   &syncAdmin{prof: prof, live: &runner.live},
		Backup: prof.Backup,
	})
	runner.sendStatus = func(st syncer.Status) {
		text, detail, problem := syncer.Describe(st, time.Now())
		w.ShowLockedSync(ui.SyncStatus{Text: text, Detail: detail, Problem: problem})
	}
	runner.startLocked() // no one is signed in yet
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	w.ShowAndRun()
	return nil
}

// syncStates tells the window where records stand with the archive: nil
// (no badges) when the workstation has none. The running engine knows
// whether the archive refused the last batch.
func syncStates(ctx context.Context, prof *profile.Profile, eng *syncer.Engine, items []ui.SyncItem) ([]ui.RecordSync, error) {
	if !syncer.Enrolled(prof.Dir) {
		return nil, nil
	}
	qs := make([]syncer.RecordQuery, len(items))
	for i, it := range items {
		qs[i] = syncer.RecordQuery{Kind: it.Kind, ID: it.ID, Blobs: it.Blobs}
	}
	var states []syncer.RecordState
	var err error
	if eng != nil {
		states, err = eng.RecordStates(ctx, qs)
	} else {
		states, err = syncer.RecordStates(ctx, syncer.StateParams{DB: prof.DB, Blobs: prof.Blobs, Enrolled: true}, qs)
	}
	if err != nil {
		return nil, err
	}
	out := make([]ui.RecordSync, len(states))
	for i, st := range states {
		switch st {
		case syncer.RecordSent:
			out[i] = ui.SyncSent
		case syncer.RecordPending:
			out[i] = ui.SyncPending
		case syncer.RecordError:
			out[i] = ui.SyncError
		case syncer.RecordConflict:
			out[i] = ui.SyncConflict
		}
	}
	return out, nil
}
