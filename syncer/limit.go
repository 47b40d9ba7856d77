package syncer

import (
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

// wait blocks until n bytes may pass (n is at most the burst).
func (l *limiter) wait(n int) {
	if l == nil || n <= 0 {
		return
	}
	now := time.Now()
	if d := l.r.ReserveN(now, min(n, l.burst)).DelayFrom(now); d > 0 {
		l.held.Store(now.Add(d).UnixNano())
		time.Sleep(d)
	}
}

// bound reports whether bytes had to wait for the bucket within the last
// d: the cap, not the network, sets the pace. Never for a nil limiter.
func (l *limiter) bound(d time.Duration) bool {
	return l != nil && time.Since(time.Unix(0, l.held.Load())) < d
}
