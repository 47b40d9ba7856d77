package syncer

import (
	"context"

	"golang.org/x/time/rate"
)

// limiter paces the bytes of every connection of a client together (the
// bandwidth cap setting), with golang.org/x/time/rate's token bucket. A
// nil limiter lets everything through.
type limiter struct {
	r     *rate.Limiter
	burst int
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
	_ = l.r.WaitN(context.Background(), min(n, l.burst))
}
