package scan

import (
	"bytes"
	"context"
	"errors"
	"io"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"folio/app"
)

// progressLog records a file's page events and checks that they never
// come two at once.
type progressLog struct {
	busy   atomic.Int32
	t      *testing.T
	events []app.PageEvent
}

func (l *progressLog) event(e app.PageEvent) {
	if l.busy.Add(1) != 1 {
		l.t.Errorf("two page events at once (%+v)", e)
	}
	l.events = append(l.events, e)
	l.busy.Add(-1)
}

// byPage returns each page's stages in the order they came.
func (l *progressLog) byPage() map[int][]app.ImportStage {
	m := map[int][]app.ImportStage{}
	for _, e := range l.events {
		m[e.Page] = append(m[e.Page], e.Stage)
	}
	return m
}

// TestPoolProgress reads a three-page image-only file with two workers:
// every page reports rendering, then OCR, then done, with the right page
// count, through the one goroutine that called AnalyzeProgress.
func TestPoolProgress(t *testing.T) {
	p := newTestPool(t, Options{})
	log := &progressLog{t: t}
	fa, err := p.AnalyzeProgress(context.Background(), "scan.pdf", readScan(t, "paperless__multi-page-images.pdf"), log.event)
	if err != nil {
		t.Fatal(err)
	}
	wantPages(t, fa, "pdf", 3)
	n := len(log.events)
	want := []app.ImportStage{app.StageRendering, app.StageOCR, app.StagePageDone}
	got := log.byPage()
	if len(got) != 3 {
		t.Fatalf("events for pages %v, want pages 1 to 3: %+v", got, log.events)
	}
	for page := 1; page <= 3; page++ {
		if !slices.Equal(got[page], want) {
			t.Errorf("page %d: stages %v, want %v", page, got[page], want)
		}
	}
	for _, e := range log.events {
		if e.Pages != 3 {
			t.Errorf("event %+v: want 3 pages", e)
		}
	}
	if len(log.events) != n {
		t.Errorf("%d events after AnalyzeProgress returned", len(log.events)-n)
	}

	// Analyze, without progress, on the same workers.
	if fa, err = p.Analyze(context.Background(), "scan.pdf", readScan(t, "paperless__multi-page-images.pdf")); err != nil {
		t.Fatal(err)
	}
	wantPages(t, fa, "pdf", 3)
}

// TestPoolProgressCrash kills the worker reading page 2 while it OCRs the
// page: the file fails with the crash on page 2, page 2 is never done, and
// the next file reads normally.
func TestPoolProgressCrash(t *testing.T) {
	p := newTestPool(t, Options{})
	var mu sync.Mutex
	reader := map[int]int{} // page (1-based) → the worker's pid
	p.testPageSent = func(pid, page int) {
		mu.Lock()
		reader[page+1] = pid
		mu.Unlock()
	}
	log := &progressLog{t: t}
	var once sync.Once
	event := func(e app.PageEvent) {
		log.event(e)
		if e.Page == 2 && e.Stage == app.StageOCR {
			mu.Lock()
			pid := reader[2]
			mu.Unlock()
			once.Do(func() { syscall.Kill(pid, syscall.SIGKILL) })
		}
	}
	data := readScan(t, "paperless__multi-page-images.pdf")
	_, err := p.AnalyzeProgress(context.Background(), "scan.pdf", data, event)
	if !errors.Is(err, ErrCrashed) || !strings.HasPrefix(err.Error(), "the reader crashed on page 2 of scan.pdf (signal: killed") {
		t.Fatalf("got %v, want the crash on page 2", err)
	}
	if got := log.byPage()[2]; !slices.Equal(got, []app.ImportStage{app.StageRendering, app.StageOCR}) {
		t.Errorf("page 2: stages %v, want rendering and OCR, not done", got)
	}
	fa, err := p.AnalyzeProgress(context.Background(), "scan.pdf", data, (&progressLog{t: t}).event)
	if err != nil {
		t.Fatalf("after a crash: %v", err)
	}
	wantPages(t, fa, "pdf", 3)
}

// TestReplyStages feeds the pool's reply reader frame sequences: stages of
// the page asked for, once each and in order, are passed on; any other
// stage frame is a protocol error.
func TestReplyStages(t *testing.T) {
	page := pageMsg{File: 7, Index: 1}
	reply := resultMsg{File: 7, Index: 1, Page: app.PageAnalysis{Index: 1}}
	stage := func(file, index, st uint64) message { return stageMsg{File: file, Index: index, Stage: st} }
	tests := []struct {
		name   string
		req    message
		frames []message
		want   []app.ImportStage // passed on; nil with wantErr
		err    bool
	}{
		{"both stages", page, []message{stage(7, 1, stageRender), stage(7, 1, stageRead), reply}, []app.ImportStage{app.StageRendering, app.StageOCR}, false},
		{"no stages", page, []message{reply}, nil, false},
		{"render then an error", page, []message{stage(7, 1, stageRender), errorMsg{File: 7, Code: codeInvalid, Message: "bad"}}, []app.ImportStage{app.StageRendering}, false},
		{"read before render", page, []message{stage(7, 1, stageRead), stage(7, 1, stageRender), reply}, nil, true},
		{"stage twice", page, []message{stage(7, 1, stageRender), stage(7, 1, stageRender), reply}, nil, true},
		{"another page", page, []message{stage(7, 2, stageRender), reply}, nil, true},
		{"another file", page, []message{stage(8, 1, stageRender), reply}, nil, true},
		{"stage of an open", openMsg{File: 7, Name: "x.pdf"}, []message{stage(7, 0, stageRender), openedMsg{File: 7, Format: "pdf", Pages: 2}}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in bytes.Buffer
			for _, m := range tt.frames {
				in.Write(frame(t, m))
			}
			p := &Pool{}
			j := &job{id: 7, name: "x.pdf", ctx: context.Background(), results: make(chan result, 10), stages: true, pages: 2}
			reply, err := p.reply(&in, j, tt.req)
			if tt.err {
				if !errors.Is(err, ErrProtocol) {
					t.Fatalf("reply %#v, %v; want ErrProtocol", reply, err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(reply, tt.frames[len(tt.frames)-1]) {
				t.Fatalf("reply %#v, %v", reply, err)
			}
			close(j.results)
			var got []app.ImportStage
			for r := range j.results {
				if r.page != 1 || r.pages != 2 {
					t.Errorf("stage result %+v: want page index 1 of 2", r)
				}
				got = append(got, r.stage)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("passed on %v, want %v", got, tt.want)
			}
			if _, err := readMessage(&in); err != io.EOF {
				t.Errorf("read past the reply: %v", err)
			}
		})
	}
}

// TestReplyStagesDropped: a job that wants no progress gets none, and its
// reply still comes.
func TestReplyStagesDropped(t *testing.T) {
	var in bytes.Buffer
	for _, m := range []message{stageMsg{File: 3, Index: 0, Stage: stageRender}, stageMsg{File: 3, Index: 0, Stage: stageRead},
		resultMsg{File: 3, Index: 0}} {
		in.Write(frame(t, m))
	}
	j := &job{id: 3, ctx: context.Background(), results: make(chan result)} // unbuffered: a send would block
	reply, err := (&Pool{}).reply(&in, j, pageMsg{File: 3, Index: 0})
	if _, ok := reply.(resultMsg); !ok || err != nil {
		t.Fatalf("reply %#v, %v", reply, err)
	}
}
