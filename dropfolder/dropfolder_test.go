package dropfolder

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"folio/internal/testclock"
)

func TestTakesSettledFilesOnce(t *testing.T) {
	ctx := context.Background()
	for _, keep := range []bool{false, true} {
		dir := t.TempDir()
		c := testclock.New(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
		var got []string
		fail := true
		w, err := New(Options{Dir: dir, Settle: 3 * time.Second, Keep: keep, Now: c.Now,
			Import: func(_ context.Context, name string, data []byte) error {
				if name == "flaky.pdf" && fail {
					fail = false
					return errors.New("vault busy")
				}
				got = append(got, name+":"+string(data))
				return nil
			}})
		if err != nil {
			t.Fatal(err)
		}
		write := func(name, content string) {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		write("a.pdf", "AAA")
		write("flaky.pdf", "F")
		write(".hidden", "H")
		write("b.pdf.part", "partial")
		if n, _ := w.Scan(ctx); n != 0 {
			t.Fatalf("took %d files before they settled", n)
		}
		c.Add(time.Second)
		write("a.pdf", "AAAA") // still being written: grows
		c.Add(time.Second)
		if n, _ := w.Scan(ctx); n != 0 {
			t.Fatal("took a file that was still growing")
		}
		c.Add(3 * time.Second)
		n, _ := w.Scan(ctx) // a.pdf settles; flaky fails once
		if n != 1 || !slices.Equal(got, []string{"a.pdf:AAAA"}) {
			t.Fatalf("keep=%v: pass 1 took %d: %v", keep, n, got)
		}
		c.Add(3 * time.Second)
		if n, _ := w.Scan(ctx); n != 1 || got[1] != "flaky.pdf:F" {
			t.Fatalf("keep=%v: retry: %d %v", keep, n, got)
		}
		c.Add(10 * time.Second)
		w.Scan(ctx)
		w.Scan(ctx)
		if len(got) != 2 {
			t.Fatalf("keep=%v: a file was imported twice: %v", keep, got)
		}
		_, errA := os.Stat(filepath.Join(dir, "a.pdf"))
		if keep != (errA == nil) {
			t.Fatalf("keep=%v: a.pdf present=%v", keep, errA == nil)
		}
		if _, err := os.Stat(filepath.Join(dir, "b.pdf.part")); err != nil {
			t.Fatal("a partial file was touched")
		}
	}
}

func TestBadFolder(t *testing.T) {
	if _, err := New(Options{Dir: filepath.Join(t.TempDir(), "missing"), Import: func(context.Context, string, []byte) error { return nil }}); err == nil {
		t.Fatal("a missing folder was accepted")
	}
}

// A file whose end shows it is whole (a PDF's %%EOF) is taken on the
// second pass without waiting out the settle time; a PDF still missing its
// end waits.
func TestCompleteFilesNeedNoSettle(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	c := testclock.New(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	var got []string
	w, err := New(Options{Dir: dir, Settle: time.Hour, Now: c.Now,
		Import: func(_ context.Context, name string, _ []byte) error { got = append(got, name); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"whole.pdf":   "%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n",
		"half.pdf":    "%PDF-1.7\n1 0 obj\n<<>>\nendobj\n",
		"photo.jpg":   "\xff\xd8\xff\xe0 pretend image data \xff\xd9",
		"cut.jpg":     "\xff\xd8\xff\xe0 pretend image da",
		"scan.tiff":   "II*\x00 a tiff has no end marker",
		"notes.txt":   "anything else waits too",
		"picture.png": "\x89PNG\r\n\x1a\n....IEND\xaeB`\x82",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	w.Scan(ctx)
	c.Add(time.Second)
	w.Scan(ctx)
	slices.Sort(got)
	if want := []string{"photo.jpg", "picture.png", "whole.pdf"}; !slices.Equal(got, want) {
		t.Fatalf("taken early: %v, want %v", got, want)
	}
}
