package ui

import (
	"context"
	"sync"
	"time"

	"fyne.io/fyne/v2"
)

// tasks runs work that may take longer than a frame (a login's key
// derivation, a search, a save) off the Fyne goroutine and applies its
// result on it with fyne.Do. It counts the work in flight so that a test can
// wait for it instead of sleeping; under the test driver fyne.Do runs
// inline, so once wait returns every result has been applied.
type tasks struct {
	wg sync.WaitGroup
}

// run starts work on a goroutine; the func it returns, if any, is applied
// on the Fyne goroutine.
func (t *tasks) run(work func() (apply func())) {
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		if apply := work(); apply != nil {
			fyne.Do(apply)
		}
	}()
}

// after runs work like run, but only once d has passed; stop cancels it if
// it has not started yet.
func (t *tasks) after(d time.Duration, work func() (apply func())) (stop func()) {
	t.wg.Add(1)
	timer := time.AfterFunc(d, func() {
		defer t.wg.Done()
		if apply := work(); apply != nil {
			fyne.Do(apply)
		}
	})
	return func() {
		if timer.Stop() {
			t.wg.Done()
		}
	}
}

// wait blocks until no work is in flight. Tests only: it must never run on
// the Fyne goroutine of a real window.
func (t *tasks) wait() { t.wg.Wait() }

// doIfAlive runs f on the Fyne goroutine unless ctx has ended by then.
func doIfAlive(ctx context.Context, f func()) {
	fyne.Do(func() {
		if ctx.Err() == nil {
			f()
		}
	})
}
