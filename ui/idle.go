package ui

import (
	"context"
	"sync"
	"time"
)

// activity remembers when the person last used the window: a key, a tap, a
// mouse move or a scroll. The idle lock compares it with the clock.
type activity struct {
	now func() time.Time

	// mu protects the following.
	mu   sync.Mutex
	last time.Time
}

// touch records activity now.
func (a *activity) touch() {
	t := a.now()
	a.mu.Lock()
	a.last = t
	a.mu.Unlock()
}

// idleFor is how long the window has gone unused.
func (a *activity) idleFor() time.Duration {
	t := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	return t.Sub(a.last)
}

// idleTick is how often the idle lock is checked: often enough that the
// window locks within a few seconds of the limit.
func idleTick(limit time.Duration) time.Duration {
	return min(max(limit/20, time.Second), 15*time.Second)
}

// watchIdle calls check on the Fyne goroutine at every tick until ctx ends.
func watchIdle(ctx context.Context, every time.Duration, check func()) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			doIfAlive(ctx, check)
		}
	}
}
