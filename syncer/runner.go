package syncer

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"folio/app"
	"folio/storage"
)

// RunnerParams wires a Runner to one workstation's vault.
type RunnerParams struct {
	Dir   string // the data folder (its enrollment file)
	DB    *storage.DB
	Blobs *storage.Blobs
	Vault *app.Vault // whether there is a vault to send from yet
	// SendStatus, when set, receives the send-only engine's reports in
	// the indicator's words, for the login screen (from the engine's
	// goroutine: it must return quickly).
	SendStatus func(app.SyncStatus)
	// Log receives why sending while locked could not start (slog.Default
	// when nil).
	Log *slog.Logger
}

// Runner runs the window's sync engines in the background: the signed-in
// session's (StartSession), and while no one is signed in (before the
// first sign-in, and whenever the window is locked) a send-only one
// without keys, so that the changes and scans made before the lock reach
// the archive while the workstation waits. Taking in the others' changes
// needs the keys: it resumes at the next sign-in. A session's engine
// starts once the send-only one has stopped; the send-only one starts
// again when the last session's ends.
type Runner struct {
	p RunnerParams

	mu        sync.Mutex         // protects the following
	ctx       context.Context    // Serve's; nil before Serve
	sessions  int                // session engines running (or waiting to)
	stopSend  context.CancelFunc // stops the send-only engine, if one runs
	sendEnded chan struct{}      // closed once it has stopped
	live      *Engine            // the session's engine, if one runs
}

// NewRunner returns a runner for the workstation p describes; nothing
// runs before Serve.
func NewRunner(p RunnerParams) *Runner {
	if p.Log == nil {
		p.Log = slog.Default()
	}
	return &Runner{p: p}
}

// Serve sends while no one is signed in until ctx ends (the window
// closed), then stops the send-only engine and waits a few seconds at
// most for it to let go of the vault. Sessions' engines run until their
// own contexts end.
func (r *Runner) Serve(ctx context.Context) error {
	r.mu.Lock()
	r.ctx = ctx
	r.startSendLocked()
	r.mu.Unlock()
	<-ctx.Done()
	r.mu.Lock()
	ended := r.stopSendLocked()
	r.mu.Unlock()
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
		r.p.Log.Warn("the send-only sync engine did not stop in 5 s")
	}
	return nil
}

// Engine is the engine of the signed-in session, if one runs.
func (r *Runner) Engine() *Engine {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.live
}

// StartSession runs the sync engine of a signed-in session until ctx ends
// (the window locks, or restarts sync after enrolling), reporting in the
// indicator's words with status (from any goroutine); the send-only
// engine stops first.
func (r *Runner) StartSession(ctx context.Context, s *app.Session, status func(app.SyncStatus)) {
	r.mu.Lock()
	r.sessions++
	sendEnded := r.stopSendLocked()
	r.mu.Unlock()
	var eng *Engine
	client, _, err := Connect(ctx, r.p.Dir, r.p.DB, r.p.Vault.ArchiveAddress(ctx), ClientOptions{})
	if err != nil {
		status(connectFailed(err))
	} else {
		eng = newEngine(r.p.DB, r.p.Blobs, s, client)
		eng.Subscribe(func(st Status) { status(st.Words(time.Now())) })
		r.mu.Lock()
		r.live = eng
		r.mu.Unlock()
	}
	go func() {
		select { // wait for the send-only engine to stop; one stuck holds no session back
		case <-sendEnded:
		case <-time.After(10 * time.Second):
			r.p.Log.Warn("the send-only sync engine did not stop in 10 s; the session's starts anyway")
		case <-ctx.Done():
		}
		if eng != nil {
			eng.Run(ctx)
			client.Close()
		} else {
			<-ctx.Done()
		}
		r.mu.Lock()
		if r.live == eng { // unless another engine replaced it
			r.live = nil
		}
		r.sessions--
		r.mu.Unlock()
		r.startLocked()
	}()
}

// startLocked starts the send-only engine unless a session's runs, Serve
// has not started or has ended, or the workstation has nothing to send
// with (no vault yet, a vault still waiting for the keys, no enrollment).
func (r *Runner) startLocked() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.startSendLocked()
}

// startSendLocked is startLocked with r.mu held.
func (r *Runner) startSendLocked() {
	if r.sessions > 0 || r.stopSend != nil || r.ctx == nil || r.ctx.Err() != nil {
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
		r.sendWhileLocked(ctx)
	}()
}

// sendWhileLocked runs the send-only engine until ctx ends, if the
// workstation has something to send with.
func (r *Runner) sendWhileLocked(ctx context.Context) {
	if ok, err := r.p.Vault.Initialized(ctx); err != nil || !ok {
		return
	}
	if _, waiting, err := r.p.Vault.JoinPending(ctx); err != nil || waiting {
		return
	}
	client, _, err := Connect(ctx, r.p.Dir, r.p.DB, r.p.Vault.ArchiveAddress(ctx), ClientOptions{})
	if err != nil {
		if !errors.Is(err, ErrNotEnrolled) && ctx.Err() == nil {
			r.p.Log.Warn("sending while locked cannot start", "err", err)
		}
		return
	}
	defer client.Close()
	eng := newEngine(r.p.DB, r.p.Blobs, nil, client)
	if r.p.SendStatus != nil {
		eng.Subscribe(func(st Status) {
			if ctx.Err() == nil { // not the last word of an engine being stopped
				r.p.SendStatus(st.Words(time.Now()))
			}
		})
	}
	eng.Run(ctx)
}

// stopSendLocked stops the send-only engine and returns a channel closed
// once it has stopped (at once when none runs). r.mu is held.
func (r *Runner) stopSendLocked() <-chan struct{} {
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
