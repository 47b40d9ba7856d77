// Package testclock is the settable clock of Folio's tests: what they give
// as the clock (profile.Options.Now, storage's hybrid logical clock, the
// drop folder's settle time, the window's idle lock) and move by hand,
// never by sleeping. It imports nothing of Folio, so that every package's
// own tests can use it (internal/testkit, which opens vaults, cannot be
// imported by the packages a vault is made of).
package testclock

import (
	"sync"
	"time"
)

// Clock is a clock that stands still until it is moved. It is safe for
// concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// New returns a clock that reads t.
func New(t time.Time) *Clock { return &Clock{t: t} }

// Now reads the clock; it is the func() time.Time the code under test takes.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Set sets the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}
