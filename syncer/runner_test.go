package syncer_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"folio/app"
	"folio/profile"
	"folio/syncer"
)

// TestRunnerSendsWhileLocked drives the window's background sync against
// a real archive: with no one signed in, the send-only engine sends what
// the last session left pending; a sign-in stops it and runs the
// session's engine; the lock starts it again; the end of Serve stops it
// for good.
func TestRunnerSendsWhileLocked(t *testing.T) {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	arc := startArchive(t)
	prof, err := profile.Open(t.TempDir(), profile.Options{FastKDF: true, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer prof.Close()
	params := syncer.RunnerParams{Dir: prof.Dir, DB: prof.DB, Blobs: prof.Blobs, Vault: prof.Vault}
	const pw = "correct horse battery"

	// Before there is a vault, nothing to send: the engine ends by itself.
	before := syncer.NewRunner(params)
	bctx, bstop := context.WithCancel(ctx)
	bserved := serve(before, bctx)
	waitFor(t, "Serve to begin", before.Serving)
	waitFor(t, "the send-only engine of a workstation without a vault to end", func() bool { return !before.Sending() })
	bstop()
	<-bserved

	if _, err := prof.Vault.Create(ctx, app.CreateParams{Admin: "admin", Password: []byte(pw), SitePrefix: "WA"}); err != nil {
		t.Fatal(err)
	}
	if err := syncer.SaveEnrollment(prof.Dir, arc.Enroll(t, "ward-a")); err != nil {
		t.Fatal(err)
	}
	s, err := prof.Vault.Login(ctx, "admin", []byte(pw))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Patients().Register(ctx, app.Patient{Family: "Wekesa", Given: "Peter", Sex: app.SexMale, Village: "Bungoma", BirthDate: birth(t, "1975")}); err != nil {
		t.Fatal(err)
	}
	// What the session's engine does first (Engine.Run), link or not: the
	// claim to the vault a send-only round shows the archive.
	if err := syncer.KeepClaim(ctx, prof.DB, s.Replica()); err != nil {
		t.Fatal(err)
	}
	s.Lock(ctx)
	if n, _ := prof.DB.Oplog().PendingCount(ctx); n == 0 {
		t.Fatal("nothing pending before the send-only engine runs")
	}

	reports := make(chan app.SyncStatus, 64)
	params.SendStatus = func(st app.SyncStatus) {
		select {
		case reports <- st:
		default:
		}
	}
	r := syncer.NewRunner(params)
	rctx, rstop := context.WithCancel(ctx)
	served := serve(r, rctx)
	waitFor(t, "Serve to begin", r.Serving)
	if !r.Sending() {
		t.Fatal("no send-only engine runs for an enrolled vault with no one signed in")
	}
	waitFor(t, "the send-only engine to send what was pending", func() bool {
		n, err := prof.DB.Oplog().PendingCount(ctx)
		return err == nil && n == 0
	})
	waitStatus(t, reports, "the send-only engine to report its changes sent", func(st app.SyncStatus) bool {
		return strings.HasPrefix(st.Text, "Changes sent")
	})

	// A sign-in: the send-only engine gives way to the session's.
	s, err = prof.Vault.Login(ctx, "admin", []byte(pw))
	if err != nil {
		t.Fatal(err)
	}
	sctx, signOut := context.WithCancel(ctx)
	statuses := make(chan app.SyncStatus, 64)
	r.StartSession(sctx, s, func(st app.SyncStatus) {
		select {
		case statuses <- st:
		default:
		}
	})
	if r.Sending() {
		t.Fatal("the send-only engine still runs beside the session's")
	}
	waitStatus(t, statuses, "the session's engine to report up to date", func(st app.SyncStatus) bool {
		if st.Problem {
			t.Fatalf("the session's sync reports a problem: %+v", st)
		}
		return strings.HasPrefix(st.Text, "Up to date") && st.Settled
	})
	if r.Engine() == nil {
		t.Fatal("the session's engine is not the running one")
	}

	// The lock: the session's engine stops and the send-only one starts.
	signOut()
	s.Lock(ctx)
	waitFor(t, "the send-only engine to start again after the lock", r.Sending)
	waitFor(t, "the session's engine to be forgotten", func() bool { return r.Engine() == nil })

	// The window closes: Serve stops the send-only engine before it returns.
	ended := r.SendEnded()
	rstop()
	<-served
	select {
	case <-ended:
	default:
		t.Fatal("the send-only engine still runs after Serve returned")
	}
	r.StartLocked()
	if r.Sending() {
		t.Fatal("the send-only engine started again after Serve returned")
	}
}

// A session on a workstation without an archive is told so, and no
// engine runs for it.
func TestRunnerNotEnrolled(t *testing.T) {
	w := newWorkstation(t, startArchive(t), "ward-a")
	s := firstVault(t, w)
	r := syncer.NewRunner(syncer.RunnerParams{Dir: w.prof.Dir, DB: w.prof.DB, Blobs: w.prof.Blobs, Vault: w.prof.Vault})
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var got app.SyncStatus
	r.StartSession(ctx, s, func(st app.SyncStatus) { got = st })
	if got.Text != "Not connected to an archive" || got.Problem || r.Engine() != nil {
		t.Fatalf("not enrolled: %+v, engine %v", got, r.Engine() != nil)
	}
}

// serve runs r.Serve(ctx) and returns a channel closed when it returns.
func serve(r *syncer.Runner, ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Serve(ctx)
	}()
	return done
}

func waitStatus(t *testing.T, ch <-chan app.SyncStatus, what string, ok func(app.SyncStatus) bool) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case st := <-ch:
			if ok(st) {
				return
			}
		case <-deadline:
			t.Fatalf("waited 30 s for %s", what)
		}
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
