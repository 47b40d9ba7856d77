package ui

import (
	"context"
	"fmt"
	"sync"
	"time"

	"fyne.io/fyne/v2"
)

// tasks runs work that may take longer than a frame (a login's key
// derivation, a search, a save) off the Fyne goroutine and applies its
// result on it with fyne.Do. It counts the work in flight so that a test
// can wait for it instead of sleeping.
type tasks struct {
	// hold, set by tests, keeps results until wait applies them on the
	// test's goroutine. The test driver's fyne.Do runs a function at once
	// on the calling goroutine, which would apply results on the worker
	// while the test goroutine is still inside the widget event that
	// started the work; holding them keeps the one-UI-goroutine rule.
	hold bool

	// mu protects the following.
	mu      sync.Mutex
	changed *sync.Cond        // on mu: busy or pending changed
	busy    int               // work started or scheduled and not done
	armed   map[int]time.Time // scheduled work not started, by serial: when it starts
	serial  int
	pending []func()
}

// stuckAfter: wait fails rather than waits for work scheduled further
// ahead than this while nothing else is in flight (in tests the searches'
// debounce is an hour: a test that typed calls the search at once).
const stuckAfter = time.Minute

// run starts work on a goroutine; the func it returns, if any, is applied
// on the Fyne goroutine.
func (t *tasks) run(work func() (apply func())) {
	t.mu.Lock()
	t.busy++
	t.mu.Unlock()
	go func() {
		defer t.done()
		t.apply(work())
	}()
}

// after runs work like run, but only once d has passed; stop cancels it if
// it has not started yet.
func (t *tasks) after(d time.Duration, work func() (apply func())) (stop func()) {
	t.mu.Lock()
	t.busy++
	t.serial++
	id := t.serial
	if t.armed == nil {
		t.armed = map[int]time.Time{}
	}
	t.armed[id] = time.Now().Add(d)
	t.mu.Unlock()
	timer := time.AfterFunc(d, func() {
		defer t.done()
		t.disarm(id)
		t.apply(work())
	})
	return func() {
		if timer.Stop() {
			t.disarm(id)
			t.done()
		}
	}
}

func (t *tasks) disarm(id int) {
	t.mu.Lock()
	delete(t.armed, id)
	t.mu.Unlock()
}

// done counts one piece of work finished.
func (t *tasks) done() {
	t.mu.Lock()
	t.busy--
	t.signal()
	t.mu.Unlock()
}

// signal wakes wait; mu is held.
func (t *tasks) signal() {
	if t.changed != nil {
		t.changed.Broadcast()
	}
}

func (t *tasks) apply(f func()) {
	switch {
	case f == nil:
	case t.hold:
		t.mu.Lock()
		t.pending = append(t.pending, f)
		t.signal()
		t.mu.Unlock()
	default:
		fyne.Do(f)
	}
}

// wait blocks until no work is in flight and every held result has been
// applied, applying each as it comes (results may start more work, or
// cancel scheduled work). Tests only: it must never run on the Fyne
// goroutine of a real window. It panics, rather than hang, when all that
// is left is work scheduled more than stuckAfter ahead.
func (t *tasks) wait() {
	for {
		t.mu.Lock()
		if t.changed == nil {
			t.changed = sync.NewCond(&t.mu)
		}
		for t.busy > 0 && len(t.pending) == 0 {
			if first, ok := t.onlyScheduled(); ok && time.Until(first) > stuckAfter {
				t.mu.Unlock()
				panic(fmt.Sprintf("tasks.wait: nothing in flight but work scheduled in %v (a search typed "+
					"without its debounce, an hour in tests: call the search at once)", time.Until(first).Round(time.Second)))
			}
			t.changed.Wait()
		}
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

// onlyScheduled is when the first scheduled work starts, and whether that
// is all the work in flight; mu is held.
func (t *tasks) onlyScheduled() (time.Time, bool) {
	if len(t.armed) == 0 || len(t.armed) < t.busy {
		return time.Time{}, false
	}
	var first time.Time
	for _, at := range t.armed {
		if first.IsZero() || at.Before(first) {
			first = at
		}
	}
	return first, true
}

// doIfAlive runs f on the Fyne goroutine unless ctx has ended by then.
func doIfAlive(ctx context.Context, f func()) {
	fyne.Do(func() {
		if ctx.Err() == nil {
			f()
		}
	})
}
