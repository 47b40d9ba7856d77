package main

import (
	"bytes"
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"folio/app"
	"folio/archive/archivecmd"
	"folio/archive/pki"
	"folio/profile"
	"folio/syncer"
	"folio/ui"
)

// TestSyncRunnerSendsWhileLocked drives the window's sync wiring against a
// real archive (folio-archive serve, in-process): with no one signed in,
// the send-only engine sends what the last session left pending; a
// sign-in stops it and runs the session's engine; the lock starts it again.
func TestSyncRunnerSendsWhileLocked(t *testing.T) {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	arc := startArchive(t, ctx)
	prof, err := profile.Open(t.TempDir(), profile.Options{FastKDF: true, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer prof.Close()
	const pw = "correct horse battery"
	// Before there is a vault, nothing to send: the engine ends by itself.
	before := newSyncRunner(ctx, prof)
	before.startLocked()
	waitFor(t, "the send-only engine of a workstation without a vault to end", func() bool { return !before.sending() })
	before.close()
	if _, err := prof.Vault.Create(ctx, app.CreateParams{Admin: "admin", Password: []byte(pw), SitePrefix: "WA"}); err != nil {
		t.Fatal(err)
	}
	enroll := filepath.Join(t.TempDir(), "ward-a.enroll")
	archiveCmd(t, ctx, "device", "add", "--data", arc.dir, "--name", "ward-a", "--out", enroll, "--address", arc.addr)
	e, err := pki.ReadEnrollment(enroll)
	if err != nil {
		t.Fatal(err)
	}
	if err := syncer.SaveEnrollment(prof.Dir, e); err != nil {
		t.Fatal(err)
	}
	s, err := prof.Vault.Login(ctx, "admin", []byte(pw))
	if err != nil {
		t.Fatal(err)
	}
	born, _ := app.ParseBirthDate("1975")
	if _, err := s.RegisterPatient(ctx, app.Patient{Family: "Wekesa", Given: "Peter", Sex: app.SexMale, Village: "Bungoma", BirthDate: born}); err != nil {
		t.Fatal(err)
	}
	// What the session's engine does first (Engine.Run), link or not: the
	// claim to the vault a send-only round shows the archive.
	if err := syncer.KeepClaim(ctx, prof.DB, s); err != nil {
		t.Fatal(err)
	}
	s.Lock(ctx)
	if n, _ := prof.DB.PendingCount(ctx); n == 0 {
		t.Fatal("nothing pending before the send-only engine runs")
	}

	r := newSyncRunner(ctx, prof)
	reports := make(chan syncer.Status, 64)
	r.sendStatus = func(st syncer.Status) {
		select {
		case reports <- st:
		default:
		}
	}
	r.startLocked()
	if !r.sending() {
		t.Fatal("no send-only engine runs for an enrolled vault with no one signed in")
	}
	waitFor(t, "the send-only engine to send what was pending", func() bool {
		n, err := prof.DB.PendingCount(ctx)
		return err == nil && n == 0
	})

	for deadline := time.After(30 * time.Second); ; {
		select {
		case st := <-reports:
			if st.State != syncer.StateSent {
				continue
			}
			if text, _, _ := syncer.Describe(st, time.Now()); !strings.HasPrefix(text, "Changes sent") {
				t.Fatalf("the login screen would read %q", text)
			}
		case <-deadline:
			t.Fatal("the send-only engine did not report its changes sent in 30 s")
		}
		break
	}

	// A sign-in: the send-only engine gives way to the session's.
	s, err = prof.Vault.Login(ctx, "admin", []byte(pw))
	if err != nil {
		t.Fatal(err)
	}
	sctx, signOut := context.WithCancel(ctx)
	statuses := make(chan ui.SyncStatus, 64)
	r.startSession(sctx, s, func(st ui.SyncStatus) {
		select {
		case statuses <- st:
		default:
		}
	})
	if r.sending() {
		t.Fatal("the send-only engine still runs beside the session's")
	}
	for deadline := time.After(30 * time.Second); ; {
		select {
		case st := <-statuses:
			if st.Problem {
				t.Fatalf("the session's sync reports a problem: %+v", st)
			}
			if !strings.HasPrefix(st.Text, "Up to date") {
				continue
			}
		case <-deadline:
			t.Fatal("the session's engine did not report up to date in 30 s")
		}
		break
	}
	if r.live.get() == nil {
		t.Fatal("the session's engine is not the live one")
	}

	// The lock: the session's engine stops and the send-only one starts.
	signOut()
	s.Lock(ctx)
	waitFor(t, "the send-only engine to start again after the lock", r.sending)
	waitFor(t, "the session's engine to be forgotten", func() bool { return r.live.get() == nil })

	r.mu.Lock()
	ended := r.sendEnded
	r.mu.Unlock()
	r.close()
	select {
	case <-ended:
	default:
		t.Fatal("the send-only engine still runs after the window closed")
	}
	r.startLocked()
	if r.sending() {
		t.Fatal("the send-only engine started again after the window closed")
	}
}

// sending reports whether the send-only engine runs.
func (r *syncRunner) sending() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stopSend != nil
}

type testArchive struct{ dir, addr string }

// startArchive makes an organisation and serves its archive on a free
// port of 127.0.0.1 until ctx ends.
func startArchive(t *testing.T, ctx context.Context) testArchive {
	t.Helper()
	a := testArchive{dir: t.TempDir()}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a.addr = ln.Addr().String()
	ln.Close()
	archiveCmd(t, ctx, "init", "--data", a.dir, "--org", "Lake District Health", "--host", "127.0.0.1")
	served := make(chan struct{})
	var out bytes.Buffer
	go func() {
		defer close(served)
		archivecmd.Run(ctx, []string{"serve", "--data", a.dir, "--listen", a.addr}, archivecmd.Params{Stdout: &out, Stderr: &out})
	}()
	t.Cleanup(func() { <-served })
	waitFor(t, "the archive to listen", func() bool {
		c, err := net.Dial("tcp", a.addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return a
}

func archiveCmd(t *testing.T, ctx context.Context, args ...string) {
	t.Helper()
	var out bytes.Buffer
	if code := archivecmd.Run(ctx, args, archivecmd.Params{Stdout: &out, Stderr: &out}); code != 0 {
		t.Fatalf("folio-archive %s: exit %d\n%s", strings.Join(args, " "), code, out.String())
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30 s for %s", what)
		}
	}
}
