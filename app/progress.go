package app

import (
	"context"
	"sync"
)

// ImportStage is where the import of one file has got to.
type ImportStage string

// The stages of an import, in the order they come. A file goes from stored
// through rendering and ocr (page by page; pages read side by side
// interleave) to filing, and ends in exactly one of the final stages:
// filed, needs indexing, failed or duplicate.
const (
	StageStored        ImportStage = "stored"         // original stored encrypted; nothing read yet
	StageRendering     ImportStage = "rendering"      // a page is being rendered (MuPDF)
	StageOCR           ImportStage = "ocr"            // a page is being read (text layer or Tesseract)
	StageFiling        ImportStage = "filing"         // all pages read; splitting, proposing, writing
	StageFiled         ImportStage = "filed"          // done; every document filed itself (cover sheets)
	StageNeedsIndexing ImportStage = "needs indexing" // done; at least one document waits in the queue
	StageFailed        ImportStage = "failed"         // stored, but could not be read (Reason says why) or not stored (error)
	StageDuplicate     ImportStage = "duplicate"      // the same file was imported before; nothing new stored
)

// ImportProgress is one report on a file's import.
type ImportProgress struct {
	Stage     ImportStage
	Page      int    // the page the stage is about, 1-based; 0 when not about one page
	PagesDone int    // pages fully read so far
	Pages     int    // the file's page count, 0 until the file is opened
	Reason    string // for StageFailed: what went wrong, in words a clerk understands
}

// importReport turns one import's steps and its analyzer's page events
// into ImportProgress reports. It calls progress under its lock, so calls
// are one at a time and in order whichever goroutine reports, and nothing
// is reported after the final stage. A nil *importReport reports nothing.
type importReport struct {
	progress func(ImportProgress)

	mu sync.Mutex
	// mu protects the following.
	pages, done int
	reading     []pageAt // pages with a stage and not yet done, most recent last
	ended       bool
}

// pageAt is the stage a page being read has reached.
type pageAt struct {
	page  int
	stage ImportStage
}

// newImportReport returns a report that calls progress, or nil when
// progress is nil.
func newImportReport(progress func(ImportProgress)) *importReport {
	if progress == nil {
		return nil
	}
	return &importReport{progress: progress}
}

// emit reports st about page (r.mu held).
func (r *importReport) emit(st ImportStage, page int, reason string) {
	r.progress(ImportProgress{Stage: st, Page: page, PagesDone: r.done, Pages: r.pages, Reason: reason})
}

// stage reports a stage of the whole file: stored or filing.
func (r *importReport) stage(st ImportStage) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.ended {
		r.emit(st, 0, "")
	}
}

// read records that all pages of the file have been read.
func (r *importReport) read(pages int) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pages, r.done, r.reading = pages, pages, nil
}

// finish reports a final stage; nothing is reported after it.
func (r *importReport) finish(st ImportStage, reason string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.ended {
		r.ended = true
		r.emit(st, 0, reason)
	}
}

// page takes an analyzer's page event. A page entering a stage is
// reported as such; a page done counts in PagesDone and is reported as
// the latest stage of a page still being read, if there is one (else the
// next page's or the filing report carries the count).
func (r *importReport) page(e PageEvent) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return
	}
	if e.Pages > 0 {
		r.pages = e.Pages
	}
	for i, p := range r.reading {
		if p.page == e.Page {
			r.reading = append(r.reading[:i], r.reading[i+1:]...)
			break
		}
	}
	switch e.Stage {
	case StageRendering, StageOCR:
		r.reading = append(r.reading, pageAt{e.Page, e.Stage})
		r.emit(e.Stage, e.Page, "")
	case StagePageDone:
		r.done++
		if r.pages > 0 {
			r.done = min(r.done, r.pages)
		}
		if n := len(r.reading); n > 0 {
			r.emit(r.reading[n-1].stage, r.reading[n-1].page, "")
		}
	}
}

// failOn reports StageFailed with the words of *err (clerkReason) when the import
// returns an error, unless ctx ended (the batch then stays stored and is
// resumed later). Deferred by the import.
func (r *importReport) failOn(ctx context.Context, err *error) {
	if r != nil && *err != nil && ctx.Err() == nil {
		r.finish(StageFailed, clerkReason(*err))
	}
}
