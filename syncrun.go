package main

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"folio/app"
	"folio/profile"
	"folio/syncer"
	"folio/ui"
)

// syncRunner runs the window's sync engines: the signed-in session's, and
// while no one is signed in (before the first sign-in, and whenever the
// window is locked) a send-only one without keys, so that the changes and
// scans made before the lock reach the archive while the workstation
// waits. Taking in the others' changes needs the keys: it resumes at the
// next sign-in. A session's engine starts once the send-only one has
// stopped.
type syncRunner struct {
	prof   *profile.Profile
	ctx    context.Context // the window's life
	cancel context.CancelFunc
	live   liveEngine // the session's engine, for the window's badges
	// sendStatus, when set (before the first startLocked), receives the
	// send-only engine's reports, for the login screen.
	sendStatus func(syncer.Status)

	mu        sync.Mutex
	sessions  int                // session engines running (or waiting to)
	stopSend  context.CancelFunc // stops the send-only engine, if one runs
	sendEnded chan struct{}      // closed once it has stopped
}

func newSyncRunner(ctx context.Context, prof *profile.Profile) *syncRunner {
	ctx, cancel := context.WithCancel(ctx)
	return &syncRunner{prof: prof, ctx: ctx, cancel: cancel}
}

// close stops the send-only engine for good (the window closed) and waits
// a few seconds at most for it to let go of the vault.
func (r *syncRunner) close() {
	r.cancel()
	r.mu.Lock()
	ended := r.stopSendLocked()
	r.mu.Unlock()
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
		slog.Warn("the send-only sync engine did not stop in 5 s")
	}
}

// startSession runs the sync engine of a signed-in session until ctx ends
// (the window locks, or restarts sync after enrolling), reporting to the
// sidebar's indicator; the send-only engine stops first.
func (r *syncRunner) startSession(ctx context.Context, s *app.Session, status func(ui.SyncStatus)) {
	r.mu.Lock()
	r.sessions++
	sendEnded := r.stopSendLocked()
	r.mu.Unlock()
	var eng *syncer.Engine
	client, _, err := syncer.Connect(ctx, r.prof.Dir, r.prof.DB, r.prof.Vault.ArchiveAddress(ctx), syncer.ClientOptions{})
	if err != nil {
		text := "Not connected to an archive"
		if !errors.Is(err, syncer.ErrNotEnrolled) {
			text = "Sync cannot start: " + err.Error()
		}
		status(ui.SyncStatus{Text: text, Problem: !errors.Is(err, syncer.ErrNotEnrolled)})
	} else {
		eng = syncer.New(syncer.Params{DB: r.prof.DB, Blobs: r.prof.Blobs, Session: s, Client: client})
		eng.Subscribe(func(st syncer.Status) {
			text, detail, problem := syncer.Describe(st, time.Now())
			settled := st.State != syncer.StateConnecting && st.State != syncer.StateSyncing && st.State != syncer.StateIdle
			status(ui.SyncStatus{Text: text, Detail: detail, Problem: problem, Conflicts: st.Conflicts, Settled: settled})
		})
		r.live.set(eng)
	}
	go func() {
		select { // wait for the send-only engine to stop; one stuck holds no session back
		case <-sendEnded:
		case <-time.After(10 * time.Second):
			slog.Warn("the send-only sync engine did not stop in 10 s; the session's starts anyway")
		case <-ctx.Done():
		}
		if eng != nil {
			eng.Run(ctx)
			client.Close()
			r.live.clear(eng)
		} else {
			<-ctx.Done()
		}
		r.mu.Lock()
		r.sessions--
		r.mu.Unlock()
		r.startLocked()
	}()
}

// startLocked starts the send-only engine unless a session's runs, the
// window is closing, or the workstation has nothing to send with (no
// vault yet, a vault still waiting for the keys, no enrollment).
func (r *syncRunner) startLocked() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sessions > 0 || r.stopSend != nil || r.ctx.Err() != nil {
		return
	}
	ctx, cancel := context.WithCancel(r.ctx)
	ended := make(chan struct{})
	r.stopSend, r.sendEnded = cancel, ended
	go func() {
		defer func() {
			r.mu.Lock()
			if r.sendEnded == ended { // it ended by itself: forget it
				r.stopSend, r.sendEnded = nil, nil
			}
			r.mu.Unlock()
			cancel()
			close(ended)
		}()
		if ok, err := r.prof.Vault.Initialized(ctx); err != nil || !ok {
			return
		}
		if _, waiting, err := r.prof.Vault.JoinPending(ctx); err != nil || waiting {
			return
		}
		client, _, err := syncer.Connect(ctx, r.prof.Dir, r.prof.DB, r.prof.Vault.ArchiveAddress(ctx), syncer.ClientOptions{})
		if err != nil {
			if !errors.Is(err, syncer.ErrNotEnrolled) && ctx.Err() == nil {
				slog.Warn("sending while locked cannot start", "err", err)
			}
			return
		}
		defer client.Close()
		eng := syncer.New(syncer.Params{DB: r.prof.DB, Blobs: r.prof.Blobs, Client: client})
		if r.sendStatus != nil {
			eng.Subscribe(func(st syncer.Status) {
				if ctx.Err() == nil { // not the last word of an engine being stopped
					r.sendStatus(st)
				}
			})
		}
		eng.Run(ctx)
	}()
}

// stopSendLocked stops the send-only engine and returns a channel closed
// once it has stopped (at once when none runs). r.mu is held.
func (r *syncRunner) stopSendLocked() <-chan struct{} {
	if r.stopSend == nil {
		done := make(chan struct{})
		close(done)
		return done
	}
	r.stopSend()
	ended := r.sendEnded
	r.stopSend, r.sendEnded = nil, nil
	return ended
}

// liveEngine is the sync engine of the signed-in session, if any.
type liveEngine struct {
	mu sync.Mutex // protects e
	e  *syncer.Engine
}

func (l *liveEngine) set(e *syncer.Engine) {
	l.mu.Lock()
	l.e = e
	l.mu.Unlock()
}

// clear forgets e once it stops, unless another engine replaced it.
func (l *liveEngine) clear(e *syncer.Engine) {
	l.mu.Lock()
	if l.e == e {
		l.e = nil
	}
	l.mu.Unlock()
}

func (l *liveEngine) get() *syncer.Engine {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.e
}
