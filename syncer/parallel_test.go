package syncer_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"testing"

	"folio/app"
	"folio/archive/api"
	"folio/syncer"
	"folio/syncer/faultnet"
)

// connLog wraps a dialer and records every TCP connection it opens: the
// bytes each carried each way, and how many were open at once.
type connLog struct {
	dial func(ctx context.Context, network, addr string) (net.Conn, error)

	mu            sync.Mutex // protects the following
	conns         []*loggedConn
	live, maxLive int
}

type loggedConn struct {
	net.Conn
	log      *connLog
	up, down atomic.Int64
	once     sync.Once
}

func (l *connLog) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := l.dial(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	lc := &loggedConn{Conn: c, log: l}

	l.mu.Lock()
	l.conns = append(l.conns, lc)
	l.live++
	l.maxLive = max(l.maxLive, l.live)
	l.mu.Unlock()
	return lc, nil
}

func (c *loggedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.down.Add(int64(n))
	return n, err
}

func (c *loggedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.up.Add(int64(n))
	return n, err
}

func (c *loggedConn) Close() error {
	c.once.Do(func() {
		c.log.mu.Lock()
		c.log.live--
		c.log.mu.Unlock()
	})
	return c.Conn.Close()
}

// busy returns how many connections carried at least min bytes in the direction d, and the most that were
// open at once.
func (l *connLog) busy(d faultnet.Direction, min int64) (n, maxLive int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.conns {
		b := c.up.Load()
		if d == faultnet.Downstream {
			b = c.down.Load()
		}
		if b >= min {
			n++
		}
	}
	return n, l.maxLive
}

// TestParallelBlobConnections moves blobs of several chunks each through
// a fault proxy and checks that the chunks travel on several TCP
// connections at once (syncer.DefaultBlobConnections, no more), and that
// a round cut on those connections resumes: an upload sends no
// acknowledged chunk again, a download keeps every byte it received.
func TestParallelBlobConnections(t *testing.T) {
	ctx := context.Background()
	r := newFaultRig(t, 7, true)
	const nBlobs, size = 8, 5 * api.ChunkSize / 2 // 3 chunks each: 20 MiB, 24 chunks
	aead := blobKey(t, r.a.prof.DB, r.admin)
	for range nBlobs {
		data := make([]byte, size)
		rand.Read(data)
		id := make([]byte, 32)
		rand.Read(id)
		if err := r.a.prof.Blobs.Sealed(aead).PutBlob(ctx, hex.EncodeToString(id), data); err != nil {
			t.Fatal(err)
		}
	}
	blobsA := blobBytes(t, r.a)
	var total int64
	for _, b := range blobsA {
		total += int64(len(b))
	}
	engine := func(w *workstation, s *app.Session) (*syncer.Engine, *connLog) {
		l := &connLog{dial: r.px.Dial}
		c := w.client(t, syncer.ClientOptions{Dial: l.Dial})
		if c.BlobConnections() != syncer.DefaultBlobConnections {
			t.Fatalf("the client has %d blob connections, want the default %d", c.BlobConnections(), syncer.DefaultBlobConnections)
		}
		return syncer.New(syncer.Params{DB: w.prof.DB, Blobs: w.prof.Blobs, Session: s.Replica(), Client: c, Log: slog.New(slog.DiscardHandler)}), l
	}
	// In a round on a clean link, only blob connections carry blob data
	// (the other calls are a few kilobytes): several, and no more than the
	// blob connections. The blob transport dials another connection only
	// when every one it has is busy, so two or more that carried data were
	// at work at the same time (on a loaded machine a transfer may end
	// before a third is needed).
	parallel := func(what string, l *connLog, d faultnet.Direction) {
		t.Helper()
		n, maxLive := l.busy(d, 32<<10)
		t.Logf("%s: %d connections carried blob data; %d connections were open at once", what, n, maxLive)
		if n < 2 || n > syncer.DefaultBlobConnections {
			t.Errorf("%s: %d connections carried 32 KiB or more %v, want 2 to %d (the blob connections, side by side)", what, n, d, syncer.DefaultBlobConnections)
		}
	}

	// Upload: a first round whose connections are cut after 1.3–2 MiB up
	// each, then a clean one by a new client (whose connections are all
	// counted from its start).
	ea, _ := engine(r.a, r.admin)
	r.px.CutAfter(faultnet.Upstream, 1300<<10, 2<<20)
	rep1, err := ea.Round(ctx)
	var ne *syncer.NetError
	if !errors.As(err, &ne) {
		t.Fatalf("upload round through cuts: %v (did %s), want a *syncer.NetError", err, rep1)
	}
	if rep1.BytesUp == 0 || rep1.BytesUp >= total {
		t.Fatalf("the cut round had %d of %d bytes of chunks acknowledged; the test wants some", rep1.BytesUp, total)
	}
	r.px.CutAfter(faultnet.Upstream, 0, 0)
	ea, la := engine(r.a, r.admin)
	up0 := r.px.Forwarded(faultnet.Upstream)
	rep2, err := ea.Round(ctx)
	if err != nil {
		t.Fatalf("upload round on a clean link: %v", err)
	}
	wire := r.px.Forwarded(faultnet.Upstream) - up0
	t.Logf("upload: %d chunk bytes acknowledged in the cut round, %d in the next (%d bytes up through the proxy); blobs %d bytes",
		rep1.BytesUp, rep2.BytesUp, wire, total)
	parallel("upload", la, faultnet.Upstream)
	// Each chunk acknowledged once: what the cut round got acknowledged is
	// not sent again (a chunk stored whose answer the cut lost is not
	// counted, hence at most).
	if rep1.BytesUp+rep2.BytesUp > total {
		t.Errorf("chunk bytes acknowledged: %d + %d for %d bytes of blobs: acknowledged chunks were sent again", rep1.BytesUp, rep2.BytesUp, total)
	}
	if limit := total - rep1.BytesUp + 256<<10; wire > limit {
		t.Errorf("the second round sent %d bytes up; the chunks not acknowledged before are %d bytes (limit with overhead %d)", wire, total-rep1.BytesUp, limit)
	}
	for id, b := range blobsA {
		sum := sha256.Sum256(b)
		st, err := r.arc.Store.BlobStatus(ctx, hex.EncodeToString(sum[:]))
		if err != nil || !st.Complete {
			t.Errorf("blob %s at the archive: %+v, %v; want it complete", id, st, err)
		}
	}

	// Download on b: connections cut after 1.3–2 MiB down, then a clean
	// round; every byte received is kept.
	eb, _ := engine(r.b, r.nurse)
	r.px.CutAfter(faultnet.Downstream, 1300<<10, 2<<20)
	rep1, err = eb.Round(ctx)
	if !errors.As(err, &ne) {
		t.Fatalf("download round through cuts: %v (did %s), want a *syncer.NetError", err, rep1)
	}
	r.px.CutAfter(faultnet.Downstream, 0, 0)
	eb, lb := engine(r.b, r.nurse)
	rep2, err = eb.Round(ctx)
	if err != nil {
		t.Fatalf("download round on a clean link: %v", err)
	}
	t.Logf("download: %d bytes received in the cut round, %d in the next; blobs %d bytes", rep1.BytesDown, rep2.BytesDown, total)
	parallel("download", lb, faultnet.Downstream)
	if got := rep1.BytesDown + rep2.BytesDown; got != total || rep1.BlobsDown+rep2.BlobsDown != nBlobs {
		t.Errorf("b received %d bytes in %d blobs; the blobs are %d bytes in %d: a download did not resume at the byte",
			got, rep1.BlobsDown+rep2.BlobsDown, total, nBlobs)
	}
	blobsB := blobBytes(t, r.b)
	for id, b := range blobsA {
		if !bytes.Equal(blobsB[id], b) {
			t.Errorf("blob %s: b's file (%d bytes) differs from a's (%d)", id, len(blobsB[id]), len(b))
		}
	}
}
