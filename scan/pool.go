package scan

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"folio/app"
)

// Options configure a Pool.
type Options struct {
	// Workers is how many worker processes read pages at once; 0 means
	// one per CPU.
	Workers int
	// Timeout bounds one request to a worker (opening a file, reading a
	// page); a worker that takes longer is killed. 0 means 2 minutes.
	Timeout time.Duration
	// Command starts a worker, e.g. {"/usr/bin/folio", "scan-worker"}.
	Command []string
	// Env is added to the worker's environment, after os.Environ and what
	// the pool always sets: OMP_THREAD_LIMIT=1 (single-threaded Tesseract,
	// 3–5× faster here) and MALLOC_ARENA_MAX=2 (less address space held by
	// idle malloc arenas, so the worker's limit counts real use).
	Env []string
	// The engine's options, sent with every file (0 and nil: the engine's
	// defaults).
	ViewDPI, OCRDPI, ThumbWidth, MaxPages int
	MaxPixels                             int64
	Languages                             []string
	// RecycleAfter is how many pages a worker reads before it is replaced
	// by a fresh process, between files: Tesseract's client keeps a few KB
	// per page it reads. 0 means 2,000.
	RecycleAfter int
}

// Errors a file can fail with besides the reader's own. They are wrapped in
// a message that names the page and the file.
var (
	// ErrCrashed means the worker process died while reading the file
	// (MuPDF aborts on some damaged files).
	ErrCrashed = errors.New("the reader crashed")
	// ErrTimeout means the worker took longer than Options.Timeout.
	ErrTimeout = errors.New("the reader took too long")
	// ErrClosed means the pool was closed.
	ErrClosed = errors.New("the scanner's reader has been shut down")
)

const (
	defaultTimeout = 2 * time.Minute
	startTimeout   = 15 * time.Second // for a worker to greet
	stopGrace      = 2 * time.Second  // for a worker to exit after its stdin closes
	maxPages       = 100_000          // sanity bound on a worker's page count
	maxNameLen     = 4096             // bytes of a file name; the open frame has room for it
)

// Pool reads files with worker processes; it implements app.Analyzer. The
// pages of one file are spread over the workers; several files analysed at
// once share the workers fairly (a free worker goes to the file with the
// fewest workers, preferring the file it already has open). Workers start
// when first needed and are restarted after a crash or timeout, which fails
// only the file being read. A Pool is safe for concurrent use.
type Pool struct {
	opt    Options
	env    []string
	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // one per running request

	// testPageSent, when set, is called after a page request has been
	// written to worker pid (tests only; set before the first Analyze).
	testPageSent func(pid int, page int)

	mu sync.Mutex
	// mu protects the following, and the fields of every slot and job
	// marked so.
	closed bool
	slots  []*slot
	jobs   []*job // being analysed, oldest first
	lastID uint64 // the last file id given out
}

var (
	_ app.Analyzer         = (*Pool)(nil)
	_ app.ProgressAnalyzer = (*Pool)(nil)
	_ app.PageAnalyzer     = (*Pool)(nil)
)

// slot is one worker: a process that may come and go.
type slot struct {
	busy  bool   // a request goroutine owns proc (Pool.mu)
	proc  *proc  // nil before the first start and after a death (written under Pool.mu)
	file  uint64 // the job whose file proc has open, 0 for none (owner only)
	pages int    // pages proc has read (owner only)
}

// job is one Analyze call.
type job struct {
	id      uint64
	name    string
	data    []byte
	ctx     context.Context // cancelled when Analyze returns or the pool closes
	results chan result     // read by Analyze until it returns
	stages  bool            // pass the workers' stage reports on as results
	only    int             // the one page to read, or -1 for every page

	// Pool.mu protects the following.
	opening bool // the open request has been given out
	opened  bool // pages is known
	pages   int
	next    int // the next page to give out
	end     int // the page after the last to give out
	active  int // requests in flight
	stopped bool
}

// runnable reports whether j has a request to give out (Pool.mu held).
func (j *job) runnable() bool {
	return !j.stopped && j.ctx.Err() == nil && (!j.opening || j.opened && j.next < j.end)
}

// result is a request's outcome (page -1 is the open), or a page's stage
// on the way to it (stage set).
type result struct {
	page   int
	format string
	pages  int // the file's page count
	pa     app.PageAnalysis
	err    error
	stage  app.ImportStage
}

// NewPool checks the options and returns a pool; it starts no process
// until the first Analyze.
func NewPool(opt Options) (*Pool, error) {
	if len(opt.Command) == 0 || opt.Command[0] == "" {
		return nil, errors.New("scan pool: no command to start a worker")
	}
	if opt.Workers <= 0 {
		opt.Workers = runtime.NumCPU()
	}
	if opt.Timeout <= 0 {
		opt.Timeout = defaultTimeout
	}
	if opt.RecycleAfter <= 0 {
		opt.RecycleAfter = 2000
	}
	opt.Command = append([]string(nil), opt.Command...)
	p := &Pool{opt: opt}
	p.env = append(append(os.Environ(), "OMP_THREAD_LIMIT=1", "MALLOC_ARENA_MAX=2"), opt.Env...)
	p.ctx, p.cancel = context.WithCancel(context.Background())
	for range opt.Workers {
		p.slots = append(p.slots, &slot{})
	}
	return p, nil
}

// Analyze reads every page of a file. Open errors come back as the reader
// gave them (wrapping app.ErrInvalid for a file that is not acceptable); a
// worker crash or timeout gives an error wrapping ErrCrashed or ErrTimeout
// that names the page and the file. When ctx ends, the workers busy with
// this file are killed (and later restarted) and ctx's error is returned.
func (p *Pool) Analyze(ctx context.Context, name string, data []byte) (app.FileAnalysis, error) {
	return p.analyze(ctx, name, data, -1, nil)
}

// AnalyzePage reads one page (0-based) of a file, as Analyze reads each
// of its pages, with the same errors (app.PageAnalyzer): for a page put
// back into its document that was never read.
func (p *Pool) AnalyzePage(ctx context.Context, name string, data []byte, page int) (app.PageAnalysis, error) {
	if page < 0 {
		return app.PageAnalysis{}, app.Invalidf("page %d of %s", page+1, name)
	}
	fa, err := p.analyze(ctx, name, data, page, nil)
	if err != nil {
		return app.PageAnalysis{}, err
	}
	return fa.Pages[page], nil
}

// AnalyzeProgress is Analyze calling event as each page starts rendering,
// starts being read, and is done (app.ProgressAnalyzer). The workers' stage
// reports and the pages' results reach this goroutine through one channel,
// so event is called only here, one call at a time, and never after
// AnalyzeProgress returns; each page's events come in order, before its
// done. A slow event holds up the page's worker, within Options.Timeout.
func (p *Pool) AnalyzeProgress(ctx context.Context, name string, data []byte, event func(app.PageEvent)) (app.FileAnalysis, error) {
	return p.analyze(ctx, name, data, -1, event)
}

// analyze is Analyze with an optional event callback, of every page or,
// when only is 0 or more, of that page alone (the others' analyses are
// left zero).
func (p *Pool) analyze(ctx context.Context, name string, data []byte, only int, event func(app.PageEvent)) (app.FileAnalysis, error) {
	if len(data) > MaxFileSize {
		return app.FileAnalysis{}, app.Invalidf("%s is %d MiB; Folio reads files of up to %d MiB", name, len(data)>>20, MaxFileSize>>20)
	}
	if len(name) > maxNameLen {
		return app.FileAnalysis{}, app.Invalidf("the file name %.40q… is longer than %d bytes", name, maxNameLen)
	}
	if err := ctx.Err(); err != nil {
		return app.FileAnalysis{}, err
	}
	jctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(p.ctx, cancel)()
	j := &job{name: name, data: data, ctx: jctx, results: make(chan result, len(p.slots)), stages: event != nil, only: only}

	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return app.FileAnalysis{}, ErrClosed
	}
	p.lastID++
	j.id = p.lastID
	p.jobs = append(p.jobs, j)
	p.schedule()
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		j.stopped = true
		for i, o := range p.jobs {
			if o == j {
				p.jobs = append(p.jobs[:i], p.jobs[i+1:]...)
				break
			}
		}
		p.mu.Unlock()
	}()

	// Page requests start as soon as the open is done, so their stages
	// (and, in principle, results) can overtake the open's result: the
	// page count comes with each of them.
	var fa app.FileAnalysis
	opened, got := false, 0
	for {
		select {
		case r := <-j.results:
			if r.err != nil {
				return app.FileAnalysis{}, stopCause(ctx, jctx, r.err)
			}
			if fa.Pages == nil {
				fa.Pages = make([]app.PageAnalysis, r.pages)
			}
			switch {
			case r.stage != "":
				if event != nil {
					event(app.PageEvent{Page: r.page + 1, Pages: r.pages, Stage: r.stage})
				}
				continue
			case r.page < 0:
				fa.Format, opened = r.format, true
				if only >= r.pages {
					return app.FileAnalysis{}, app.Invalidf("%s has no page %d (it has %d)", name, only+1, r.pages)
				}
			default:
				fa.Pages[r.page] = r.pa
				got++
				if event != nil {
					event(app.PageEvent{Page: r.page + 1, Pages: r.pages, Stage: app.StagePageDone})
				}
			}
			if opened && (got == len(fa.Pages) || only >= 0 && got == 1) {
				return fa, nil
			}
		case <-jctx.Done():
			return app.FileAnalysis{}, stopCause(ctx, jctx, jctx.Err())
		}
	}
}

// stopCause says why a job ended with err: when the job's context ended
// (a request then fails with context.Canceled, racing the Done case), the
// caller's own cancellation, else ErrClosed, the pool's; otherwise err.
func stopCause(ctx, jctx context.Context, err error) error {
	if jctx.Err() == nil {
		return err
	}
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	return ErrClosed
}

// schedule gives idle workers to runnable jobs (Pool.mu held). Among the
// pairs it picks the job with the fewest requests in flight, then a worker
// that has the job's file open, then a worker already running, then the
// oldest job.
func (p *Pool) schedule() {
	if p.closed {
		return
	}
	for {
		var bs *slot
		var bj *job
		var best [3]int
		for _, j := range p.jobs {
			if !j.runnable() {
				continue
			}
			for _, s := range p.slots {
				if s.busy {
					continue
				}
				key := [3]int{j.active, b2i(s.file != j.id), b2i(s.proc == nil)}
				if bs == nil || less(key, best) {
					bs, bj, best = s, j, key
				}
			}
		}
		if bs == nil {
			return
		}
		page := -1
		if !bj.opening {
			bj.opening = true
		} else {
			page = bj.next
			bj.next++
		}
		bj.active++
		bs.busy = true
		p.wg.Add(1)
		go p.run(bs, bj, page)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func less(a, b [3]int) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

// run carries out one request of j on s (page -1: open) and gives s back.
func (p *Pool) run(s *slot, j *job, page int) {
	defer p.wg.Done()
	r := p.request(s, j, page)

	if r.err == nil && page >= 0 {
		s.pages++
	}
	p.mu.Lock()
	j.active--
	if r.err == nil && page < 0 {
		j.opened, j.pages, j.end = true, r.pages, r.pages
		if j.only >= 0 {
			j.next, j.end = j.only, min(j.only+1, r.pages)
		}
	}
	r.pages = j.pages
	done := j.stopped || r.err != nil || j.opened && j.next >= j.end
	closed := p.closed
	pr := s.proc
	p.mu.Unlock()

	if pr != nil && closed {
		p.mu.Lock()
		s.proc, s.file = nil, 0
		p.mu.Unlock()
		pr.stop()
	} else if pr != nil && done && s.file == j.id {
		// No more requests of this file for this worker: free its memory.
		// The worker is idle and reading, so this small write cannot block.
		if err := pr.w.send(closeMsg{File: j.id}); err != nil {
			p.discard(s)
		}
		s.file = 0
		if s.pages >= p.opt.RecycleAfter {
			// Between files: replace the worker with a fresh process.
			p.mu.Lock()
			if s.proc == pr {
				s.proc = nil
			}
			p.mu.Unlock()
			pr.stop()
			s.pages = 0
		}
	}

	p.mu.Lock()
	s.busy = false
	p.schedule()
	p.mu.Unlock()
	// Hand the result over outside the lock: Analyze may have returned
	// (its context is then done) and no longer read.
	select {
	case j.results <- r:
	case <-j.ctx.Done():
	}
}

// request starts s's worker if needed, opens j's file on it if needed, and
// reads the page.
func (p *Pool) request(s *slot, j *job, page int) result {
	if err := j.ctx.Err(); err != nil {
		return result{page: page, err: err}
	}
	if s.proc == nil {
		pr, err := p.start(j.ctx)
		if err != nil {
			return result{page: page, err: err}
		}
		p.mu.Lock()
		closed := p.closed
		if !closed {
			s.proc, s.file = pr, 0
		}
		p.mu.Unlock()
		s.pages = 0
		if closed {
			pr.discard()
			return result{page: page, err: ErrClosed}
		}
	}
	if s.file != j.id {
		s.file = 0
		reply, err := p.exchange(s, j, page, openMsg{File: j.id, Name: j.name, Data: j.data, Options: EngineOptions{
			ViewDPI: p.opt.ViewDPI, OCRDPI: p.opt.OCRDPI, ThumbWidth: p.opt.ThumbWidth,
			MaxPages: p.opt.MaxPages, MaxPixels: p.opt.MaxPixels, Languages: p.opt.Languages,
		}})
		if err != nil {
			return result{page: page, err: err}
		}
		switch m := reply.(type) {
		case openedMsg:
			if m.File != j.id || m.Pages > maxPages {
				p.discard(s)
				return result{page: page, err: p.failure(ErrCrashed, j, -1, "sent a wrong answer", fmt.Sprintf("file %d, %d pages", m.File, m.Pages))}
			}
			s.file = j.id
			if page < 0 {
				return result{page: page, format: m.Format, pages: int(m.Pages)}
			}
		case errorMsg:
			return result{page: page, err: replyError(m)}
		default:
			p.discard(s)
			return result{page: page, err: p.failure(ErrCrashed, j, -1, "sent a wrong answer", fmt.Sprintf("frame type %#x", m.frameType()))}
		}
	}
	if page < 0 { // the open was done by an earlier request on this worker
		return result{page: page, err: fmt.Errorf("scan pool: file %d opened twice", j.id)}
	}
	reply, err := p.exchange(s, j, page, pageMsg{File: j.id, Index: uint64(page)})
	if err != nil {
		return result{page: page, err: err}
	}
	switch m := reply.(type) {
	case resultMsg:
		if m.File != j.id || m.Index != uint64(page) {
			p.discard(s)
			return result{page: page, err: p.failure(ErrCrashed, j, page, "sent a wrong answer", fmt.Sprintf("file %d page %d", m.File, m.Index+1))}
		}
		m.Page.Index = page
		return result{page: page, pa: m.Page}
	case errorMsg:
		return result{page: page, err: replyError(m)}
	default:
		p.discard(s)
		return result{page: page, err: p.failure(ErrCrashed, j, page, "sent a wrong answer", fmt.Sprintf("frame type %#x", m.frameType()))}
	}
}

// exchange sends one request to s's worker and reads the reply, within the
// timeout and while j's context lasts. On any failure it kills the worker
// (discarding it) and returns the error that says what happened.
func (p *Pool) exchange(s *slot, j *job, page int, req message) (message, error) {
	pr := s.proc
	timer := time.AfterFunc(p.opt.Timeout, pr.kill)
	stopCtx := context.AfterFunc(j.ctx, pr.kill)
	err := pr.w.send(req)
	if err == nil && p.testPageSent != nil && page >= 0 {
		if _, ok := req.(pageMsg); ok {
			p.testPageSent(pr.pid, page)
		}
	}
	var reply message
	if err == nil {
		reply, err = p.reply(pr.r, j, req)
	}
	timedOut := !timer.Stop()
	canceled := !stopCtx()
	if err == nil && !timedOut && !canceled {
		return reply, nil
	}
	status, said := p.discard(s)
	if _, open := req.(openMsg); open {
		page = -1
	}
	switch {
	case canceled:
		return nil, context.Cause(j.ctx)
	case timedOut:
		if page < 0 {
			return nil, &failure{kind: ErrTimeout, msg: fmt.Sprintf("opening %s took longer than %s", j.name, p.opt.Timeout)}
		}
		return nil, &failure{kind: ErrTimeout, msg: fmt.Sprintf("reading page %d of %s took longer than %s", page+1, j.name, p.opt.Timeout)}
	case errors.Is(err, ErrProtocol):
		return nil, p.failure(ErrCrashed, j, page, "sent a garbled answer", err.Error())
	default:
		return nil, p.failure(ErrCrashed, j, page, "crashed", joinDetail(status, said))
	}
}

// reply reads the worker's reply to req. Before a page's reply the worker
// may report the stages the page enters, once each and in order; reply
// checks them (anything else is an ErrProtocol error, a garbled answer)
// and, when j wants them, hands them to j's Analyze. It gives up handing
// them over when j's context ends; the caller then kills the worker.
func (p *Pool) reply(r io.Reader, j *job, req message) (message, error) {
	var last uint64
	for {
		m, err := readMessage(r)
		if err != nil {
			return nil, err
		}
		st, ok := m.(stageMsg)
		if !ok {
			return m, nil
		}
		pm, isPage := req.(pageMsg)
		switch {
		case !isPage:
			return nil, fmt.Errorf("%w: a page stage in answer to frame type %#x", ErrProtocol, req.frameType())
		case st.File != pm.File || st.Index != pm.Index:
			return nil, fmt.Errorf("%w: a stage of file %d page %d while reading file %d page %d", ErrProtocol, st.File, st.Index+1, pm.File, pm.Index+1)
		case st.Stage <= last:
			return nil, fmt.Errorf("%w: page stage %d after stage %d", ErrProtocol, st.Stage, last)
		}
		last = st.Stage
		if !j.stages {
			continue
		}
		stage := app.StageRendering
		if st.Stage == stageRead {
			stage = app.StageOCR
		}
		p.mu.Lock()
		pages := j.pages
		p.mu.Unlock()
		select {
		case j.results <- result{page: int(pm.Index), pages: pages, stage: stage}:
		case <-j.ctx.Done():
		}
	}
}

// failure builds an error of kind about page (-1: opening) of j's file:
// "the reader <what> on page 3 of scan.pdf (<detail>)".
func (p *Pool) failure(kind error, j *job, page int, what, detail string) error {
	msg := fmt.Sprintf("the reader %s on page %d of %s", what, page+1, j.name)
	if page < 0 {
		msg = fmt.Sprintf("the reader %s opening %s", what, j.name)
	}
	if detail != "" {
		msg += " (" + detail + ")"
	}
	return &failure{kind: kind, msg: msg}
}

// failure is a file's failure in the pool: a sentence for the clerk that
// wraps ErrCrashed or ErrTimeout.
type failure struct {
	kind error
	msg  string
}

func (e *failure) Error() string { return e.msg }
func (e *failure) Unwrap() error { return e.kind }

// discard kills s's worker, waits for it and forgets it; it returns how
// the process ended and the last lines it wrote to stderr.
func (p *Pool) discard(s *slot) (status, said string) {
	pr := s.proc
	p.mu.Lock()
	s.proc, s.file = nil, 0
	p.mu.Unlock()
	if pr == nil {
		return "", ""
	}
	pr.discard()
	return pr.status(), pr.stderr.said()
}

func joinDetail(status, said string) string {
	switch {
	case said == "":
		return status
	case status == "":
		return "it said: " + said
	}
	return status + "; it said: " + said
}

// proc is one running worker process.
type proc struct {
	cmd     *exec.Cmd
	pid     int
	in, out *os.File // our ends of its stdin and stdout
	w       *frameWriter
	r       *bufio.Reader
	stderr  *tailBuffer
	exited  chan struct{} // closed when the process has been waited for
	waitErr error         // set before exited closes
}

// start starts a worker process and checks its greeting.
func (p *Pool) start(ctx context.Context) (*proc, error) {
	command := strings.Join(p.opt.Command, " ")
	notStarted := func(format string, args ...any) error {
		return fmt.Errorf("the scan worker did not start: %s: "+format, append([]any{command}, args...)...)
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, notStarted("%v", err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, notStarted("%v", err)
	}
	cmd := exec.Command(p.opt.Command[0], p.opt.Command[1:]...)
	cmd.Env = p.env
	cmd.Stdin, cmd.Stdout = inR, outW
	tail := &tailBuffer{max: 8 << 10}
	cmd.Stderr = tail
	// Its own process group: a Ctrl-C in the terminal reaches Folio, which
	// then stops its workers, not the workers in the middle of a page.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = time.Second
	err = cmd.Start()
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, notStarted("%v", err)
	}
	pr := &proc{cmd: cmd, pid: cmd.Process.Pid, in: inW, out: outR, w: newFrameWriter(inW),
		r: bufio.NewReaderSize(outR, 64<<10), stderr: tail, exited: make(chan struct{})}
	go func() {
		pr.waitErr = cmd.Wait()
		close(pr.exited)
	}()

	timer := time.AfterFunc(startTimeout, pr.kill)
	stopCtx := context.AfterFunc(ctx, pr.kill)
	pr.w.send(helloMsg{Version: protocolVersion}) // a failure shows in the read
	m, err := readMessage(pr.r)
	timedOut := !timer.Stop()
	canceled := !stopCtx()
	if err == nil && !timedOut && !canceled {
		if r, ok := m.(readyMsg); ok && r.Version == protocolVersion {
			return pr, nil
		}
	}
	pr.discard()
	said := pr.stderr.said()
	switch {
	case canceled:
		return nil, context.Cause(ctx)
	case timedOut:
		return nil, notStarted("it did not answer within %s", startTimeout)
	case err != nil && errors.Is(err, ErrProtocol):
		return nil, notStarted("it is not a Folio scan worker (%v)", err)
	case err != nil:
		return nil, notStarted("it ended before greeting (%s)", joinDetail(pr.status(), said))
	}
	switch r := m.(type) {
	case readyMsg:
		return nil, notStarted("it speaks protocol version %d, this Folio %d; is it the same Folio version?", r.Version, protocolVersion)
	default:
		return nil, notStarted("it is not a Folio scan worker (it answered with frame type %#x)", m.frameType())
	}
}

func (pr *proc) kill() { pr.cmd.Process.Kill() }

// discard kills the process, waits for it and closes our pipe ends.
func (pr *proc) discard() {
	pr.kill()
	<-pr.exited
	pr.in.Close()
	pr.out.Close()
}

// stop asks the process to exit by closing its stdin, and kills it if it
// has not within stopGrace.
func (pr *proc) stop() {
	pr.in.Close()
	t := time.NewTimer(stopGrace)
	defer t.Stop()
	select {
	case <-pr.exited:
	case <-t.C:
		pr.kill()
		<-pr.exited
	}
	pr.out.Close()
}

// status says how the process ended (after exited).
func (pr *proc) status() string {
	if pr.waitErr == nil {
		return "it exited"
	}
	var ee *exec.ExitError
	if errors.As(pr.waitErr, &ee) {
		return ee.ProcessState.String()
	}
	return pr.waitErr.Error()
}

// Close stops the workers: it closes the stdin of idle ones and gives them
// stopGrace to exit before it kills them, kills busy ones (their files fail
// with ErrClosed), and returns when every worker process has been waited
// for. Close may be called more than once.
func (p *Pool) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		p.wg.Wait()
		return nil
	}
	p.closed = true
	var idle []*proc
	for _, s := range p.slots {
		if !s.busy && s.proc != nil {
			idle = append(idle, s.proc)
			s.proc, s.file = nil, 0
		}
	}
	p.mu.Unlock()
	p.cancel() // kills the busy workers through their jobs' contexts

	var wg sync.WaitGroup
	for _, pr := range idle {
		wg.Go(pr.stop)
	}
	wg.Wait()
	p.wg.Wait()
	return nil
}

// tailBuffer keeps the last max bytes written to it, and the last
// headlines of a crash it saw ("aborting process from uncaught error!",
// "SIGABRT: abort", "fatal error: …"): the Go runtime prints its headline
// before a stack trace and registers that push it out of the tail.
type tailBuffer struct {
	mu        sync.Mutex
	max       int
	b         []byte
	line      []byte   // the line being written, up to 512 bytes
	headlines []string // the last three
}

// isHeadline reports whether a line of stderr says why a process ended.
func isHeadline(l []byte) bool {
	for _, h := range []string{"fatal error:", "panic:", "terminate called", "aborting process"} {
		if bytes.HasPrefix(l, []byte(h)) {
			return true
		}
	}
	return bytes.HasPrefix(l, []byte("SIG")) && bytes.Contains(l, []byte(": ")) // SIGSEGV: segmentation violation
}

func (t *tailBuffer) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, b...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	for _, c := range b {
		if c != '\n' {
			if len(t.line) < 512 {
				t.line = append(t.line, c)
			}
			continue
		}
		if isHeadline(t.line) {
			t.headlines = append(t.headlines, strings.TrimSpace(string(t.line)))
			if len(t.headlines) > 3 {
				t.headlines = t.headlines[1:]
			}
		}
		t.line = t.line[:0]
	}
	return len(b), nil
}

// said sums up the process's last words: the crash headlines if it wrote
// any, else its last few lines, at most 600 bytes.
func (t *tailBuffer) said() string {
	t.mu.Lock()
	b := bytes.TrimSpace(t.b)
	s := strings.Join(t.headlines, " / ")
	t.mu.Unlock()
	if s == "" {
		var lines []string
		for len(b) > 0 && len(lines) < 3 {
			i := bytes.LastIndexByte(b, '\n')
			if l := strings.TrimSpace(string(b[i+1:])); l != "" {
				lines = append([]string{l}, lines...)
			}
			if i < 0 {
				break
			}
			b = b[:i]
		}
		s = strings.Join(lines, " / ")
	}
	if len(s) > 600 {
		s = "…" + s[len(s)-600:]
	}
	return s
}
