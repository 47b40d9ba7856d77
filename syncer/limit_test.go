package syncer

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"
)

// A wait for the bandwidth cap ends when its context does: a cancelled
// round, or a connection the transport closes, does not sleep out the
// bytes' turn.
func TestLimiterWaitHonoursContext(t *testing.T) {
	l := newLimiter(100) // 512-byte burst: the next 512 bytes wait 5 s
	if err := l.wait(context.Background(), l.burst); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	t0 := time.Now()
	err := l.wait(ctx, l.burst)
	if took := time.Since(t0); took > time.Second || !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled wait returned %v after %s; want context.Canceled at once", err, took)
	}
	if !l.bound(time.Second) {
		t.Error("the cap held bytes back, but bound says it did not")
	}

	// Without a cancel the same wait takes its turn.
	t0 = time.Now()
	if err := newLimiterAt(t, 4096).wait(context.Background(), 1024); err != nil || time.Since(t0) < 150*time.Millisecond {
		t.Fatalf("an uncancelled wait returned %v after %s; want the cap's pace (250 ms)", err, time.Since(t0))
	}
}

// newLimiterAt returns a limiter whose burst has been spent.
func newLimiterAt(t *testing.T, bytesPerSecond int64) *limiter {
	t.Helper()
	l := newLimiter(bytesPerSecond)
	if err := l.wait(context.Background(), l.burst); err != nil {
		t.Fatal(err)
	}
	return l
}

// Closing a capped connection ends a write waiting for the cap at once.
func TestCappedConnCloseEndsWait(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	go func() {
		buf := make([]byte, 4096)
		for {
			if _, err := b.Read(buf); err != nil {
				return
			}
		}
	}()
	w := &wireCounter{limit: newLimiter(100)}
	c := newCountedConn(a, w)
	done := make(chan error, 1)
	go func() {
		_, err := c.Write(make([]byte, 2048)) // 512 at once, then 5 s a burst
		done <- err
	}()
	for !w.limit.bound(time.Second) { // the write waits for the cap
		time.Sleep(time.Millisecond)
	}
	t0 := time.Now()
	c.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("the write finished although the connection was closed")
		}
		if took := time.Since(t0); took > time.Second {
			t.Fatalf("the write returned %s after the close", took)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("the write still waits for the cap 3 s after its connection was closed")
	}
}
