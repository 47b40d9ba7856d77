package archive

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"folio/archive/api"
)

// Limits bound what one device may ask of the archive, so that a
// compromised or broken workstation cannot fill its disk or starve the
// others. The zero value of a field means its default.
type Limits struct {
	// MaxBlobSize is the largest blob a device may declare (default
	// DefaultMaxBlobSize; never above api.MaxBlobSize).
	MaxBlobSize int64
	// Requests is how many requests a device may make per minute, in
	// bursts of up to that many (default DefaultRequestsPerMinute).
	Requests int
	// Bytes is how many request-body bytes (pushed versions, blob chunks)
	// a device may send per hour, in bursts of up to that many (default
	// DefaultBytesPerHour): what it can add to the archive's disk.
	Bytes int64
}

// Defaults of Limits: generous for a clinic's scanning station (a day's
// scans in a few hours), small against a disk.
const (
	DefaultMaxBlobSize       = 1 << 30
	DefaultRequestsPerMinute = 6000
	DefaultBytesPerHour      = 8 << 30
)

func (l Limits) withDefaults() Limits {
	if l.MaxBlobSize <= 0 || l.MaxBlobSize > api.MaxBlobSize {
		l.MaxBlobSize = min(DefaultMaxBlobSize, api.MaxBlobSize)
		if l.MaxBlobSize <= 0 {
			l.MaxBlobSize = api.MaxBlobSize
		}
	}
	if l.Requests <= 0 {
		l.Requests = DefaultRequestsPerMinute
	}
	if l.Bytes <= 0 {
		l.Bytes = DefaultBytesPerHour
	}
	return l
}

// bucket is a token bucket: up to size tokens, refilled at rate per second.
type bucket struct {
	tokens float64
	last   time.Time
}

// take takes n tokens at now, or says how long until they are there.
func (b *bucket) take(n, size, rate float64, now time.Time) time.Duration {
	if b.last.IsZero() {
		b.tokens = size
	} else if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.tokens = math.Min(size, b.tokens+dt*rate)
	}
	b.last = now
	if n > size {
		n = size // one request larger than a burst waits for a full bucket
	}
	if b.tokens >= n {
		b.tokens -= n
		return 0
	}
	return time.Duration((n - b.tokens) / rate * float64(time.Second))
}

// limiter keeps each device's buckets (in memory: a restart forgives).
type limiter struct {
	l   Limits
	now func() time.Time

	mu   sync.Mutex
	reqs map[api.DeviceID]*bucket // mu protects reqs and bytes
	sent map[api.DeviceID]*bucket
}

func newLimiter(l Limits, now func() time.Time) *limiter {
	return &limiter{l: l.withDefaults(), now: now, reqs: map[api.DeviceID]*bucket{}, sent: map[api.DeviceID]*bucket{}}
}

// admit takes one request and body bytes from dev's buckets, or returns
// api.ErrRateLimited with how long to wait.
func (l *limiter) admit(dev api.DeviceID, body int64) (time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	r, b := l.reqs[dev], l.sent[dev]
	if r == nil {
		r, b = &bucket{}, &bucket{}
		l.reqs[dev], l.sent[dev] = r, b
	}
	n := float64(l.l.Requests)
	if wait := r.take(1, n, n/60, now); wait > 0 {
		return wait, fmt.Errorf("%w: more than %d requests a minute from device %s: it waits and goes on by itself", api.ErrRateLimited, l.l.Requests, dev)
	}
	if body > 0 {
		size := float64(l.l.Bytes)
		if wait := b.take(float64(body), size, size/3600, now); wait > 0 {
			return wait, fmt.Errorf("%w: device %s sent more than %d MiB in an hour: it waits and goes on by itself; if a workstation really needs more, raise 'folio-archive serve --device-bytes-per-hour'", api.ErrRateLimited, dev, l.l.Bytes>>20)
		}
	}
	return 0, nil
}

// limited refuses a request of a device over its limits with 429 and
// Retry-After, before its body is read.
func (s *Server) limited(h deviceHandler) deviceHandler {
	return func(w http.ResponseWriter, r *http.Request, dev api.DeviceID) {
		body := max(r.ContentLength, 0)
		if wait, err := s.limits.admit(dev, body); err != nil {
			w.Header().Set(api.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			s.fail(w, r, err)
			return
		}
		h(w, r, dev)
	}
}
