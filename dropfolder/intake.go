package dropfolder

import (
	"context"
	"fmt"
	"time"

	"folio/app"
)

// Importer is what an Intake needs from the vault: the signed-in user's
// imports (app's intake service).
type Importer interface {
	ImportFileProgress(ctx context.Context, name, source string, data []byte, progress func(app.ImportProgress)) (app.ImportResult, error)
	ResumeImportsProgress(ctx context.Context, progress func(b app.Batch, p app.ImportProgress)) ([]app.ImportResult, error)
}

// IntakeParams configure an Intake. Every func is optional and may be
// called from the intake's goroutine or the importer's.
type IntakeParams struct {
	Dir      string
	Keep     bool          // leave imported files in the folder
	Interval time.Duration // between passes; default 1 s
	Importer Importer
	// Track is told of each file as its import starts; it returns what
	// receives the import's progress (nil: nothing) and what is told its
	// outcome (nil: nothing).
	Track func(name string) (progress func(app.ImportProgress), done func(app.ImportResult, error))
	// ResumeProgress is told the progress of each batch an earlier run
	// stored but did not finish reading (ImportProgress as
	// app.Intake.ResumeImportsProgress reports it).
	ResumeProgress func(b app.Batch, p app.ImportProgress)
	// Resumed is told each resumed batch's result, once all are resumed.
	Resumed func(r app.ImportResult)
	// OnError is told what could not be taken or imported (Options.OnError),
	// and a resume that failed (path is then Dir).
	OnError func(path string, err error)
}

// Intake is the drop-folder intake the window and `folio watch` run: it
// first finishes the imports a restart interrupted, then imports every
// file the scanner writes into the folder.
type Intake struct {
	p IntakeParams
	w *Watcher
}

// NewIntake returns the intake of p.Dir; the folder must exist.
func NewIntake(p IntakeParams) (*Intake, error) {
	if p.Importer == nil {
		return nil, fmt.Errorf("drop folder %s: no importer", p.Dir)
	}
	in := &Intake{p: p}
	w, err := New(Options{Dir: p.Dir, Interval: p.Interval, Keep: p.Keep, Import: in.importFile, OnError: p.OnError})
	if err != nil {
		return nil, err
	}
	in.w = w
	return in, nil
}

// Serve resumes the interrupted imports, then watches the folder until ctx
// ends. A resume that fails is reported (OnError) and the watch goes on:
// new scans must still come in.
func (in *Intake) Serve(ctx context.Context) error {
	rs, err := in.p.Importer.ResumeImportsProgress(ctx, in.p.ResumeProgress)
	if in.p.Resumed != nil {
		for _, r := range rs {
			in.p.Resumed(r)
		}
	}
	if err != nil && ctx.Err() == nil && in.p.OnError != nil {
		in.p.OnError(in.p.Dir, fmt.Errorf("resume the imports a restart interrupted: %w", err))
	}
	return in.w.Serve(ctx)
}

// importFile imports one file the watcher took.
func (in *Intake) importFile(ctx context.Context, name string, data []byte) error {
	var progress func(app.ImportProgress)
	var done func(app.ImportResult, error)
	if in.p.Track != nil {
		progress, done = in.p.Track(name)
	}
	r, err := in.p.Importer.ImportFileProgress(ctx, name, "drop folder "+in.p.Dir, data, progress)
	if done != nil {
		done(r, err)
	}
	return err
}
