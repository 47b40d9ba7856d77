package syncer

import (
	"context"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// limiter paces the bytes of every connection of a client together (the
// bandwidth cap setting), with golang.org/x/time/rate's token bucket. A
// nil limiter lets everything through.
type limiter struct {
	r     *rate.Limiter
	burst int
	// held is when bytes last had to wait for the bucket (Unix ns).
	held atomic.Int64
}

func newLimiter(bytesPerSecond int64) *limiter {
	if bytesPerSecond <= 0 {
		return nil
	}
	burst := int(min(max(bytesPerSecond/4, 512), 64<<10))
	return &limiter{r: rate.NewLimiter(rate.Limit(bytesPerSecond), burst), burst: burst}
}

// wait blocks until n bytes may pass (n is at most the burst), or until
// ctx ends: then it gives the bytes' turn back to the bucket and returns
// ctx's error.
func (l *limiter) wait(ctx context.Context, n int) error {
	if l == nil || n <= 0 {
		return nil
	}
	now := time.Now()
	r := l.r.ReserveN(now, min(n, l.burst))
	d := r.DelayFrom(now)
	if d <= 0 {
		return nil
	}
	l.held.Store(now.Add(d).UnixNano())
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		r.Cancel()
		return ctx.Err()
	}
}

// bound reports whether bytes had to wait for the bucket within the last
// d: the cap, not the network, sets the pace. Never for a nil limiter.
func (l *limiter) bound(d time.Duration) bool {
	return l != nil && time.Since(time.Unix(0, l.held.Load())) < d
}
