package syncer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"folio/app"
	"folio/archive/api"
)

// mover runs the blob transfers of one round side by side, one per blob
// connection of the client, so that a long and lossy link is kept busy
// where one TCP connection would leave it idle part of the time.
//
// The work is a list of blobs in priority order. Each of the workers
// (one per blob connection) takes the first piece of work it can start:
// a download (a whole blob, sent from the byte this vault holds on), or
// one chunk of an upload. Chunks of one blob go up in parallel (the
// archive takes them in any order and assembles the blob once it holds
// them all), so a large scan does not hold the blobs after it on a single
// connection. Before its chunks can go, an upload asks the archive which
// chunks it holds (BlobStatus, on the main connection); planners ask
// this ahead of the workers, so that the question's round trip is not
// spent with a blob connection idle. A worker takes a later blob only
// while the earlier ones wait for that answer or have all their chunks
// under way.
//
// Invariants:
//   - A chunk the archive acknowledged is not sent again: each chunk of
//     the planned list is handed to one worker once, and the next round
//     asks the archive again.
//   - A blob is marked uploaded only after the archive said it holds it
//     complete; a download is committed only after its hash and its
//     sealed stream check out (Blobs.download).
//   - When a transfer fails for the link (*NetError) or the round's
//     context ends, no new transfer starts; the ones under way on the
//     other connections run to their end (their bytes are not wasted),
//     and run returns only when every worker has stopped, so nothing of
//     the round goes on after it.
type mover struct {
	ctx     context.Context
	b       Blobs
	rep     *Report
	workers int

	mu       sync.Mutex // protects the following and rep
	changed  *sync.Cond // a piece of work was added or ended, or the round stopped
	items    []*moveItem
	head     int   // items before head have nothing left to start
	plans    []int // the upload items, in priority order
	nextPlan int   // plans[nextPlan] is the next upload to plan
	planning int   // BlobStatus questions under way
	ready    int   // planned uploads with chunks not yet started
	finished int   // items finished (for the status)
	// stop is the failure that ends the round (a *NetError or the
	// context's error): no work starts once it is set.
	stop     error
	firstErr error // the first other failure; the round goes on
	texts    map[string]bool
	over     chan struct{} // closed once nothing is left to start
	overOnce sync.Once
}

// moveItem is one blob to move.
type moveItem struct {
	t blobTask
	// For a download: started once a worker took it.
	started bool
	// For an upload: planned once the archive said which chunks it lacks
	// (todo); running counts the chunks under way; complete says an answer
	// of the archive found the blob complete; failed drops what is left.
	planned  bool
	todo     []int
	running  int
	complete bool
	failed   bool
}

func newMover(ctx context.Context, b Blobs, tasks []blobTask, workers int, rep *Report) *mover {
	m := &mover{ctx: ctx, b: b, rep: rep, workers: max(workers, 1), texts: map[string]bool{}, over: make(chan struct{})}
	m.changed = sync.NewCond(&m.mu)
	for i, t := range tasks {
		m.items = append(m.items, &moveItem{t: t})
		if t.up {
			m.plans = append(m.plans, i)
		}
	}
	return m
}

// run moves everything it can and returns when every worker and planner
// has stopped: all done, or m.stop set. It returns m.stop, or else the
// first other failure.
func (m *mover) run() error {
	var wg sync.WaitGroup
	for i := range m.workers {
		wg.Go(m.plan)
		wg.Go(func() { m.work(i) })
	}
	wg.Wait()
	return cmp.Or(m.stop, m.firstErr)
}

// plan asks the archive, ahead of the workers, which chunks the next
// uploads lack: a few blobs ahead, not the whole list, so that what it
// learns is fresh.
func (m *mover) plan() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for {
		for m.stop == nil && m.nextPlan < len(m.plans) && m.ready >= 2*m.workers {
			m.changed.Wait()
		}
		if m.stop != nil || m.nextPlan >= len(m.plans) {
			return
		}
		it := m.items[m.plans[m.nextPlan]]
		m.nextPlan++
		m.planning++
		m.mu.Unlock()
		st, err := m.b.e.p.Client.BlobStatus(m.ctx, it.t.m.SHA256)
		if errors.Is(err, api.ErrNotFound) {
			st, err = api.BlobStatus{ID: it.t.m.SHA256, Size: it.t.m.Size, Chunks: api.ChunkCount(it.t.m.Size)}, nil
		}
		var done bool
		if err == nil && st.Complete {
			err, done = m.b.markUploaded(m.ctx, it.t.id), true
		}
		m.mu.Lock()
		m.planning--
		it.planned = true
		switch {
		case err != nil:
			it.failed = true
			m.failedLocked(it.t, err)
		case done:
			m.finished++
		default:
			it.todo = st.Missing()
			if len(it.todo) > 0 {
				m.ready++
			} else {
				m.finishUploadLocked(it) // the archive holds every chunk but has not assembled the blob
			}
		}
		m.changed.Broadcast()
	}
}

// work starts the first piece of work it can, until nothing is left to
// start or the round stopped. Worker i > 0 holds back while the client's
// bandwidth cap sets the pace (see uncapped).
func (m *mover) work(i int) {
	for {
		if i > 0 && !m.uncapped() {
			return
		}
		it, n, done, ok := m.take()
		if !ok {
			return
		}
		m.status(it, done)
		if it.t.up {
			m.sendChunk(it, n)
		} else {
			m.fetch(it)
		}
	}
}

// take returns the first piece of work that can start, in priority order:
// a download not started, or the first chunk not started of a planned
// upload (n). It waits while only unplanned uploads are left, and returns
// ok false once nothing is left to start or the round stopped. done is
// how many items are finished.
func (m *mover) take() (it *moveItem, n, done int, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for {
		if m.stop != nil {
			m.endLocked()
			return nil, 0, 0, false
		}
		unplanned := false
		for i := m.head; i < len(m.items); i++ {
			it := m.items[i]
			switch {
			case !it.t.up && !it.started:
				it.started = true
				return it, 0, m.finished, true
			case it.t.up && !it.planned:
				unplanned = true
				continue
			case it.t.up && !it.failed && len(it.todo) > 0:
				n, it.todo = it.todo[0], it.todo[1:]
				if len(it.todo) == 0 {
					m.ready--
				}
				it.running++
				return it, n, m.finished, true
			}
			if i == m.head && !unplanned {
				m.head++ // nothing left to start there
			}
		}
		if !unplanned {
			m.endLocked()
			return nil, 0, 0, false
		}
		m.changed.Wait()
	}
}

// uncapped waits while the bandwidth cap held bytes back in the last
// second: the cap, not the link, sets the pace, and another connection
// would only add its handshake to the bytes the cap lets through. It
// reports false once nothing is left to start.
func (m *mover) uncapped() bool {
	for m.b.e.p.Client.capBound() {
		t := time.NewTimer(time.Second)
		select {
		case <-t.C:
		case <-m.over:
			t.Stop()
			return false
		}
	}
	return true
}

// endLocked says nothing is left to start.
func (m *mover) endLocked() { m.overOnce.Do(func() { close(m.over) }) }

// status shows the work being started.
func (m *mover) status(it *moveItem, done int) {
	total, class := len(m.items), it.t.m.Class
	m.b.e.setStatus(func(s *Status) {
		s.State, s.Phase, s.Done, s.Total = StateSyncing, "moving scans ("+string(class)+")", done, total
	})
}

// sendChunk uploads chunk n of upload it on a blob connection.
func (m *mover) sendChunk(it *moveItem, n int) {
	data, err := m.b.readChunk(it.t, n)
	var st api.BlobStatus
	if err == nil {
		st, err = m.b.e.p.Client.PutChunk(m.ctx, it.t.m.SHA256, it.t.m.Size, n, data)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	defer m.changed.Broadcast()
	it.running--
	if err != nil {
		if !it.failed {
			it.failed = true
			if len(it.todo) > 0 {
				it.todo = nil
				m.ready--
			}
		}
		m.failedLocked(it.t, err)
		return
	}
	m.rep.BytesUp += int64(len(data))
	it.complete = it.complete || st.Complete
	if len(it.todo) == 0 && it.running == 0 && !it.failed {
		m.finishUploadLocked(it)
	}
}

// finishUploadLocked ends an upload whose chunks were all acknowledged:
// the archive must have said the blob is complete.
func (m *mover) finishUploadLocked(it *moveItem) {
	m.finished++
	if !it.complete {
		m.failedLocked(it.t, &NetError{Err: fmt.Errorf("the archive has not completed blob %s after its last chunk", it.t.id)})
		return
	}
	m.rep.BlobsUp++
	// One small local write; the other workers wait for it, as they
	// would for its fsync in the vault's meta anyway.
	m.failedLocked(it.t, m.b.markUploaded(m.ctx, it.t.id))
}

// fetch downloads blob it on a blob connection.
func (m *mover) fetch(it *moveItem) {
	n, err := m.b.download(m.ctx, it.t)
	m.mu.Lock()
	defer m.mu.Unlock()
	defer m.changed.Broadcast()
	m.finished++
	m.rep.BytesDown += n
	if err == nil {
		m.rep.BlobsDown++
		if it.t.m.Class == app.BlobText {
			m.texts[it.t.id] = true
		}
	}
	m.failedLocked(it.t, err)
}

// failedLocked sorts a transfer's failure: the link (or the round's end)
// stops the round; a blob the archive does not have yet waits for its
// workstation; anything else is logged, and the round goes on.
func (m *mover) failedLocked(t blobTask, err error) {
	var ne *NetError
	switch {
	case err == nil:
	case errors.As(err, &ne) || m.ctx.Err() != nil:
		if m.stop == nil {
			m.stop = err
		}
		m.endLocked()
	case errors.Is(err, api.ErrNotFound):
		m.rep.Pending++ // not uploaded by its workstation yet
	default:
		m.b.e.p.Log.Warn("sync could not move a blob", "blob", t.id, "err", err)
		if m.firstErr == nil {
			m.firstErr = fmt.Errorf("scan file %s: %w", t.id, err)
		}
	}
}
