package ui

import (
	"context"
	"sync"
	"time"

	"fyne.io/fyne/v2"
)

// tasks runs work that may take longer than a frame (a login's key
// derivation, a search, a save) off the Fyne goroutine and applies its
// result on it with fyne.Do. It counts the work in flight so that a test
// can wait for it instead of sleeping.
type tasks struct {
	wg sync.WaitGroup

	// hold, set by tests, keeps results until wait applies them on the
	// test's goroutine. The test driver's fyne.Do runs a function at once
	// on the calling goroutine, which would apply results on the worker
	// while the test goroutine is still inside the widget event that
	// started the work; holding them keeps the one-UI-goroutine rule.
	hold bool

	// mu protects the following.
	mu      sync.Mutex
	pending []func()
}

// run starts work on a goroutine; the func it returns, if any, is applied
// on the Fyne goroutine.
func (t *tasks) run(work func() (apply func())) {
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		t.apply(work())
	}()
}

// after runs work like run, but only once d has passed; stop cancels it if
// it has not started yet.
func (t *tasks) after(d time.Duration, work func() (apply func())) (stop func()) {
	t.wg.Add(1)
	timer := time.AfterFunc(d, func() {
		defer t.wg.Done()
		t.apply(work())
	})
	return func() {
		if timer.Stop() {
			t.wg.Done()
		}
	}
}

func (t *tasks) apply(f func()) {
	switch {
	case f == nil:
	case t.hold:
		t.mu.Lock()
		t.pending = append(t.pending, f)
		t.mu.Unlock()
	default:
		fyne.Do(f)
	}
}

// wait blocks until no work is in flight and every held result has been
// applied (results may start more work). Tests only: it must never run on
// the Fyne goroutine of a real window.
func (t *tasks) wait() {
	for {
		t.wg.Wait()
		t.mu.Lock()
		pending := t.pending
		t.pending = nil
		t.mu.Unlock()
		if len(pending) == 0 {
			return
		}
		for _, f := range pending {
			f()
		}
	}
}

// doIfAlive runs f on the Fyne goroutine unless ctx has ended by then.
func doIfAlive(ctx context.Context, f func()) {
	fyne.Do(func() {
		if ctx.Err() == nil {
			f()
		}
	})
}
