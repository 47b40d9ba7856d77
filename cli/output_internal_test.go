package cli

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"

	"folio/app"
	"folio/visible"
)

// TestPrintfEscapesEveryTextArgument: strings of any string type, errors,
// Stringers and lists of strings are escaped; numbers and the format are
// not.
func TestPrintfEscapesEveryTextArgument(t *testing.T) {
	type name string
	var b bytes.Buffer
	printf(&b, "%s|%s|%v|%s|%d|%v\n", "a\nb", name("c\x1bd"), errString("e\u202ef"), []string{"g\nh"}, 7, stringer("i\tj"))
	printLine(&b, "k\nl", 8)
	printBlock(&b, "one\x1b[2J\ntwo\u202e")
	want := "a\\nb|c\\x1bd|e\\u202ef|[g\\nh]|7|i\\tj\nk\\nl 8\n  one\\x1b[2J\n  two\\u202e\n"
	if b.String() != want {
		t.Errorf("printed %q, want %q", b.String(), want)
	}
}

type errString string

func (e errString) Error() string { return string(e) }

type stringer string

func (s stringer) String() string { return string(s) }

// TestWriteJSONEscapesHiddenCharacters: encoding/json leaves DEL, C1 and
// format characters raw; writeJSON escapes them, and the JSON still
// decodes to the same text.
func TestWriteJSONEscapesHiddenCharacters(t *testing.T) {
	in := "x\x1b[8m\u202e\x7f\u0085\U000e0041\n"
	var b bytes.Buffer
	if err := writeJSON(&b, map[string]string{"detail": in}); err != nil {
		t.Fatal(err)
	}
	if i := bytes.IndexFunc(b.Bytes(), func(r rune) bool { return visible.Hidden(r) && r != '\n' }); i >= 0 {
		t.Errorf("JSON output has a hidden character at %d: %q", i, b.String())
	}
	var out map[string]string
	if err := json.Unmarshal(b.Bytes(), &out); err != nil || out["detail"] != in {
		t.Errorf("JSON %q decodes to %q, %v; want %q", b.String(), out["detail"], err, in)
	}
}

// TestOutputGoesThroughPrinters keeps every command's output on the
// printers of output.go: no other file of the package writes to a writer
// with fmt, encodes JSON itself, or prints with cobra's Print methods, so
// a new command cannot print a person's text raw.
func TestOutputGoesThroughPrinters(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	forbidden := map[string]bool{"fmt.Fprint": true, "fmt.Fprintf": true, "fmt.Fprintln": true, "fmt.Print": true,
		"fmt.Printf": true, "fmt.Println": true, "json.NewEncoder": true, "io.WriteString": true, "os.Stdout": true, "os.Stderr": true}
	cobraPrint := map[string]bool{"Print": true, "Printf": true, "Println": true, "PrintErr": true, "PrintErrf": true, "PrintErrln": true}
	fset := token.NewFileSet()
	for _, name := range files {
		if name == "output.go" || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); ok && forbidden[x.Name+"."+sel.Sel.Name] {
				t.Errorf("%s: %s.%s: print through printf, printLine, printBlock or writeJSON (output.go)", fset.Position(sel.Pos()), x.Name, sel.Sel.Name)
			}
			if cobraPrint[sel.Sel.Name] {
				t.Errorf("%s: .%s: print through printf, printLine, printBlock or writeJSON (output.go)", fset.Position(sel.Pos()), sel.Sel.Name)
			}
			if sel.Sel.Name == "Write" || sel.Sel.Name == "WriteString" {
				if c, ok := sel.X.(*ast.CallExpr); ok {
					if s, ok := c.Fun.(*ast.SelectorExpr); ok && (s.Sel.Name == "OutOrStdout" || s.Sel.Name == "ErrOrStderr") {
						t.Errorf("%s: writes to the terminal directly: print through output.go", fset.Position(sel.Pos()))
					}
				}
			}
			return true
		})
	}
}

// An import that finds its file stored but not yet read (another import is
// reading it, or one stopped) never says the file was filed.
func TestImportLinesNeverFileNothing(t *testing.T) {
	for _, st := range []app.BatchStatus{app.BatchStored, app.BatchAnalysed} {
		ls := importLines("scan.pdf", app.ImportResult{Batch: app.Batch{ID: "b1", Status: st}, Duplicate: true})
		if len(ls) != 1 || ls[0].Status == "filed" {
			t.Errorf("batch %s with no documents: %+v", st, ls)
		}
	}
}
