package archive

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

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
	// DeviceQuota is how many bytes a device may hold on the archive in
	// all, counted by the store for good (Store.Charge): the versions it
	// pushed and the blobs it uploaded first, incomplete uploads
	// included (default DefaultDeviceQuota; NoQuota: none).
	DeviceQuota int64
}

// NoQuota as Limits.DeviceQuota holds devices to no storage quota.
const NoQuota = -1

// Defaults of Limits: generous for a clinic's scanning station (a day's
// scans in a few hours), small against a disk.
const (
	DefaultMaxBlobSize       = 1 << 30
	DefaultRequestsPerMinute = 6000
	DefaultBytesPerHour      = 8 << 30
	DefaultDeviceQuota       = 50 << 30
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
	if l.DeviceQuota == 0 {
		l.DeviceQuota = DefaultDeviceQuota
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

// CheckQuota checks a quota set for a workstation (Store.SetQuota).
func CheckQuota(name string, bytes int64) error {
	if name == "" || len(name) > 256 || !utf8.ValidString(name) || strings.ContainsRune(name, 0) {
		return fmt.Errorf("%w: a workstation's name %.70q is not 1 to 256 bytes of text", api.ErrInvalid, name)
	}
	if bytes < NoQuota {
		return fmt.Errorf("%w: a quota of %d bytes: give the bytes, NoQuota for none, or 0 for the server's", api.ErrInvalid, bytes)
	}
	return nil
}

// QuotaOf returns the storage quota of the device info describes (≤ 0:
// none): the one set for its workstation's name (Store.SetQuota), else
// def, the server's.
func QuotaOf(ctx context.Context, st Store, info api.DeviceInfo, def int64) (int64, error) {
	if info.Name == "" {
		return def, nil
	}
	set, err := st.Quotas(ctx)
	if err != nil {
		return 0, fmt.Errorf("read the workstations' quotas: %w", err)
	}
	if q, ok := set[info.Name]; ok {
		return q, nil
	}
	return def, nil
}

// deviceQuota returns what the archive knows of dev (its zero value
// before dev's first push or upload) and its storage quota (≤ 0: none).
func deviceQuota(ctx context.Context, st Store, dev api.DeviceID, def int64) (api.DeviceInfo, int64, error) {
	info, err := st.Device(ctx, dev)
	if err != nil && !errors.Is(err, api.ErrNotFound) {
		return info, 0, err
	}
	q, err := QuotaOf(ctx, st, info, def)
	return info, q, err
}

// overQuota says, for an administrator, that device info (holding held
// bytes of its quota) cannot be given more bytes on the archive, wrapping
// api.ErrQuota.
func overQuota(info api.DeviceInfo, quota, held, more int64) error {
	name := info.Name
	if name == "" {
		name = info.ID.String()
	}
	return fmt.Errorf("%w: workstation %s holds %s on the archive and its quota is %s, so %s more was refused (nothing is lost: it waits on the workstation); raise its quota with 'folio-archive device quota --name %s SIZE' (or everyone's: 'folio-archive serve --device-quota BYTES', 0: none)",
		api.ErrQuota, name, ByteSize(held), ByteSize(quota), ByteSize(more), name)
}

// ByteSize says n bytes for people: "812 bytes", "3.5 MiB", "50.0 GiB".
func ByteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	div, exp := int64(unit), 0
	for x := n / unit; x >= unit; x /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
