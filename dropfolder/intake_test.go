package dropfolder_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"folio/app"
	"folio/dropfolder"
	"folio/printout"
	"folio/profile"
	"folio/scan/pageread"
)

// TestMain lets this test binary be its own scan worker: profile.Open
// starts workers as "<this executable> scan-worker".
func TestMain(m *testing.M) {
	pageread.ServeIfWorker(os.Args)
	os.Exit(m.Run())
}

// textPDF is a one-page PDF whose text layer says text.
func textPDF(t *testing.T, text string) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 400, 500))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	var j, pdf bytes.Buffer
	if err := jpeg.Encode(&j, img, nil); err != nil {
		t.Fatal(err)
	}
	if err := printout.SearchablePDF(&pdf, "letter", []printout.Page{{JPEG: j.Bytes(), DPI: 50, Text: text}}); err != nil {
		t.Fatal(err)
	}
	return pdf.Bytes()
}

// The intake the window and `folio watch` run: it first finishes an import
// a restart interrupted, then imports what the scanner drops, reporting
// both, and removes the file once it is stored.
func TestIntakeResumesThenImports(t *testing.T) {
	ctx := context.Background()
	prof, err := profile.Open(t.TempDir(), profile.Options{FastKDF: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { prof.Close() })
	if _, err := prof.Vault.Create(ctx, app.CreateParams{Admin: "admin", Password: []byte("correct horse battery staple"), SitePrefix: "KAB"}); err != nil {
		t.Fatal(err)
	}
	admin, err := prof.Vault.Login(ctx, "admin", []byte("correct horse battery staple"))
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.Users().Add(ctx, app.User{Name: "grace", Roles: app.RoleSet{app.RoleRecords}}, []byte("records clerk passphrase")); err != nil {
		t.Fatal(err)
	}
	admin.Lock(ctx)
	clerk, err := prof.Vault.Login(ctx, "grace", []byte("records clerk passphrase"))
	if err != nil {
		t.Fatal(err)
	}
	defer clerk.Lock(ctx)

	// An import stopped once its original was stored (the app closed).
	stop, cancel := context.WithCancel(ctx)
	_, err = clerk.Intake().ImportFileProgress(stop, "interrupted.pdf", "import", textPDF(t, "interrupted letter"), func(p app.ImportProgress) {
		if p.Stage == app.StageStored {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted import: %v", err)
	}

	dir := t.TempDir()
	var mu sync.Mutex
	var resumed []app.ImportResult
	var stages []app.ImportStage
	done := make(chan app.ImportResult, 1)
	serve, stopServe := context.WithCancel(ctx)
	defer stopServe()
	in, err := dropfolder.NewIntake(dropfolder.IntakeParams{Dir: dir, Interval: 20 * time.Millisecond, Importer: clerk.Intake(),
		ResumeProgress: func(b app.Batch, p app.ImportProgress) {
			mu.Lock()
			stages = append(stages, p.Stage)
			mu.Unlock()
		},
		Resumed: func(r app.ImportResult) { resumed = append(resumed, r) },
		Track: func(name string) (func(app.ImportProgress), func(app.ImportResult, error)) {
			return nil, func(r app.ImportResult, err error) {
				if err != nil {
					t.Errorf("import %s: %v", name, err)
				}
				done <- r
			}
		},
		OnError: func(path string, err error) { t.Errorf("%s: %v", path, err) },
	})
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- in.Serve(serve) }()
	if err := os.WriteFile(filepath.Join(dir, "scan.pdf"), textPDF(t, "dropped letter"), 0o600); err != nil {
		t.Fatal(err)
	}
	var r app.ImportResult
	select {
	case r = <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("the dropped file was not imported within two minutes")
	}
	stopServe()
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if len(resumed) != 1 || resumed[0].Batch.Name != "interrupted.pdf" || resumed[0].Batch.Status != app.BatchAnalysed {
		t.Fatalf("resumed %+v", resumed)
	}
	mu.Lock()
	if len(stages) == 0 || stages[0] != app.StageStored || stages[len(stages)-1] != app.StageNeedsIndexing {
		t.Errorf("resume progress %v", stages)
	}
	mu.Unlock()
	if r.Batch.Name != "scan.pdf" || r.Batch.Source != "drop folder "+dir || r.Batch.Status != app.BatchAnalysed {
		t.Fatalf("dropped file: %+v", r.Batch)
	}
	if _, err := os.Stat(filepath.Join(dir, "scan.pdf")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the stored file is still in the drop folder: %v", err)
	}
	q, err := clerk.Indexing().Queue(ctx)
	if err != nil || len(q) != 2 {
		t.Fatalf("queue: %d documents, %v", len(q), err)
	}
}
