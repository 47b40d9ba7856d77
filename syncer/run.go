package syncer

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"time"

	"folio/archive/api"
)

// Run syncs in the background until ctx ends: a round at once, then
// whenever the vault has new changes (looked for every Poll), when
// Trigger is called, or every Interval; after a failure it waits with
// exponential backoff (2 s doubling up to MaxBackoff) and ±50 % jitter, so
// workstations that lost the link together do not come back together.
func (e *Engine) Run(ctx context.Context) {
	if e.p.Session != nil {
		// Sign this workstation's claim to the vault now, link or not, so
		// that a send-only round after the lock can show it.
		if err := KeepClaim(ctx, e.p.DB, e.p.Session); err != nil {
			e.p.Log.Warn("sign this workstation's claim to the vault", "err", err)
		}
	}
	failures := 0
	for {
		_, err := e.Round(ctx)
		if ctx.Err() != nil {
			return
		}
		wait := e.p.Interval
		if err != nil {
			failures++
			wait = RetryWait(err, failures, e.p.MaxBackoff)
		} else {
			failures = 0
		}
		e.setStatus(func(s *Status) {
			s.NextTry = time.Time{}
			if err != nil {
				s.NextTry = e.p.Now().Add(wait)
			}
		})
		if !e.wait(ctx, wait, err == nil) {
			return
		}
	}
}

// RetryWait is the pause after the n-th failure in a row, err: the
// backoff, or longer when the archive asked to wait (429: over this
// workstation's share; its Retry-After), the longest when this
// workstation is over its storage quota (it waits for the administrator).
func RetryWait(err error, n int, max time.Duration) time.Duration {
	wait := backoff(n, max)
	if errors.Is(err, api.ErrQuota) {
		wait = backoff(math.MaxInt, max) // it needs the administrator: no point asking soon
	}
	var ae *api.Error
	if errors.As(err, &ae) && ae.RetryAfter > wait {
		wait = ae.RetryAfter
	}
	return wait
}

// backoff is the pause after n failures in a row: 2 s · 2^(n−1), at most
// max, times a random factor from 0.5 to 1.5.
func backoff(n int, max time.Duration) time.Duration {
	d := 2 * time.Second
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	return time.Duration(float64(d) * (0.5 + rand.Float64()))
}

// wait sleeps for d, waking early on Trigger, or — when the last round
// succeeded — as soon as the vault has changes to send. It reports false
// when ctx ended.
func (e *Engine) wait(ctx context.Context, d time.Duration, watchChanges bool) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	poll := time.NewTicker(e.p.Poll)
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-timer.C:
			return true
		case <-e.trigger:
			return true
		case <-poll.C:
			if !watchChanges {
				continue
			}
			if n, err := e.p.DB.Oplog().PendingCount(ctx); err == nil && n > 0 {
				return true
			}
		}
	}
}
