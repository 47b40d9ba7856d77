package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	fitz "github.com/gen2brain/go-fitz"
	"github.com/rogpeppe/go-internal/testscript"

	"folio/app"
	"folio/cli"
	"folio/printout"
	"folio/profile"
	"folio/storage/tamper"
)

// The scripts in testdata/script run the real command line, as a separate
// process per command, against a real vault in the script's work folder.
// Scan workers are the same program ("folio scan-worker"), found on the
// PATH testscript sets up.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"folio": func() {
			os.Exit(cli.Main(cli.Params{
				Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
				Getenv:        os.Getenv,
				FastKDF:       true, // password hashing at its cheapest: tests only
				WorkerCommand: []string{"folio", "scan-worker"},
			}))
		},
	})
}

func TestScripts(t *testing.T) {
	corpus, err := filepath.Abs("../testdata/corpus")
	if err != nil {
		t.Fatal(err)
	}
	made, err := filepath.Abs("../testdata/made")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(e *testscript.Env) error {
			e.Setenv("FOLIO_DATA", e.WorkDir+"/vault")
			e.Setenv("FOLIO_USER", "admin")
			e.Setenv("FOLIO_PASSWORD", "correct horse battery staple")
			e.Setenv("CORPUS", corpus)
			e.Setenv("MADE", made)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"scanbatch":    scanBatchCmd,
			"jsonenv":      jsonEnvCmd,
			"damageslot":   damageSlotCmd,
			"damagerecord": damageRecordCmd,
			"damagescans":  damageScansCmd,
			"pdftext":      pdfTextCmd,
			"pdftitle":     pdfTitleCmd,
			"whitepage":    whitePageCmd,
			"faintpage":    faintPageCmd,
		},
	})
}

// scanBatchCmd is "scanbatch OUT.pdf IN...": it prints every page of the
// inputs (PDFs or images) at 150 dpi and stacks them into one image-only
// PDF, as a scanner fed the printed pages would write it.
func scanBatchCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: scanbatch OUT.pdf IN...")
	}
	var pages []printout.Page
	for _, in := range args[1:] {
		doc, err := fitz.New(ts.MkAbs(in))
		ts.Check(err)
		for i := range doc.NumPage() {
			img, err := doc.ImageDPI(i, 150)
			ts.Check(err)
			var buf bytes.Buffer
			ts.Check(jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}))
			pages = append(pages, printout.Page{JPEG: buf.Bytes(), WidthPx: img.Bounds().Dx(), HeightPx: img.Bounds().Dy(), DPI: 150})
		}
		doc.Close()
	}
	var out bytes.Buffer
	ts.Check(printout.SearchablePDF(&out, "scanner output", pages))
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), out.Bytes(), 0o600))
}

// openPDF opens the PDF at name in the script's work folder with MuPDF,
// closed when the script ends.
func openPDF(ts *testscript.TestScript, name string) *fitz.Document {
	doc, err := fitz.New(ts.MkAbs(name))
	ts.Check(err)
	ts.Defer(func() { doc.Close() })
	return doc
}

// pdfTextCmd is "pdftext IN.pdf OUT.txt": it writes the text MuPDF
// extracts from every page of a PDF, in the order the PDF holds it, as a
// PDF reader's search and copy see it.
func pdfTextCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: pdftext IN.pdf OUT.txt")
	}
	doc := openPDF(ts, args[0])
	var out strings.Builder
	for i := range doc.NumPage() {
		text, err := doc.Text(i)
		ts.Check(err)
		out.WriteString(text)
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(out.String()), 0o600))
}

// pdfTitleCmd is "pdftitle IN.pdf TITLE": the PDF's metadata title is
// TITLE (the window's export writes the same one).
func pdfTitleCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: pdftitle IN.pdf TITLE")
	}
	doc := openPDF(ts, args[0])
	// go-fitz hands the title back in a NUL-padded buffer.
	if got := strings.TrimRight(doc.Metadata()["title"], "\x00"); got != args[1] {
		ts.Fatalf("%s is titled %q, not %q", args[0], got, args[1])
	}
}

// whitePageCmd is "whitepage OUT.png": a white letter page at 150 dpi, the
// blank back of a sheet as a scanner reads it.
func whitePageCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: whitepage OUT.png")
	}
	img := image.NewGray(image.Rect(0, 0, 1275, 1650))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	writePNG(ts, args[0], img)
}

// faintPageCmd is "faintpage OUT.png IN": IN's first page at 150 dpi in
// pale print (black as gray 166, too faint for the blank check's ink), as
// a faded copy scans.
func faintPageCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: faintpage OUT.png IN")
	}
	doc := openPDF(ts, args[1])
	m, err := doc.ImageDPI(0, 150)
	ts.Check(err)
	img := image.NewGray(m.Bounds())
	for y := m.Bounds().Min.Y; y < m.Bounds().Max.Y; y++ {
		for x := m.Bounds().Min.X; x < m.Bounds().Max.X; x++ {
			v := color.GrayModel.Convert(m.At(x, y)).(color.Gray).Y
			img.SetGray(x, y, color.Gray{Y: 255 - byte(int(255-v)*35/100)})
		}
	}
	writePNG(ts, args[0], img)
}

// writePNG writes img as a PNG file at name in the script's work folder.
func writePNG(ts *testscript.TestScript, name string, img image.Image) {
	var buf bytes.Buffer
	ts.Check(png.Encode(&buf, img))
	ts.Check(os.WriteFile(ts.MkAbs(name), buf.Bytes(), 0o600))
}

// jsonEnvCmd is "jsonenv VAR FILE PATH": it sets VAR to the value at PATH
// (dot-separated keys and array indexes, e.g. 0.document) in a JSON file
// such as a command's saved stdout.
func jsonEnvCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: jsonenv VAR FILE PATH")
	}
	var v any
	ts.Check(json.Unmarshal([]byte(ts.ReadFile(args[1])), &v))
	for _, key := range strings.Split(args[2], ".") {
		switch x := v.(type) {
		case []any:
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 || i >= len(x) {
				ts.Fatalf("jsonenv: no index %s in an array of %d", key, len(x))
			}
			v = x[i]
		case map[string]any:
			var ok bool
			if v, ok = x[key]; !ok {
				ts.Fatalf("jsonenv: no key %q", key)
			}
		default:
			ts.Fatalf("jsonenv: %q reaches a %T", key, v)
		}
	}
	ts.Setenv(args[0], fmt.Sprint(v))
}

// damageSlotCmd is "damageslot USER": it spoils a byte of each of USER's
// key slots in the vault file at $FOLIO_DATA, as a failing disk would.
func damageSlotCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: damageslot USER")
	}
	ts.Check(tamper.DamageKeySlots(filepath.Join(ts.Getenv("FOLIO_DATA"), profile.VaultFile), args[0]))
}

// damageRecordCmd is "damagerecord KIND ID": it spoils a byte of the
// newest version of the record in the vault file at $FOLIO_DATA.
func damageRecordCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: damagerecord KIND ID")
	}
	ts.Check(tamper.DamageRecord(filepath.Join(ts.Getenv("FOLIO_DATA"), profile.VaultFile), app.Kind(args[0]), args[1]))
}

// damageScansCmd is "damagescans DIR": it flips one byte in the middle of
// every blob file under DIR (a profile's blob folder), as a failing disk
// would.
func damageScansCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: damagescans DIR")
	}
	n := 0
	ts.Check(filepath.WalkDir(ts.MkAbs(args[0]), func(path string, d fs.DirEntry, err error) error {
		if err != nil || !strings.HasSuffix(path, ".blob") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		b[len(b)/2] ^= 0x40
		n++
		return os.WriteFile(path, b, 0o600)
	}))
	if n == 0 {
		ts.Fatalf("damagescans: no blob files under %s", args[0])
	}
}
