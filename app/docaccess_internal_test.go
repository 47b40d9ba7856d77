package app

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// documentGuardExempt are the only functions besides the guard that may
// touch document records directly, and why.
var documentGuardExempt = map[string]string{
	"loadDocument":      "the guard's own read",
	"versionChart":      "the guard's check of a version in conflict",
	"documentWrite":     "encodes a new version; reads nothing",
	"indexTokens":       "sync machinery: derives blind-index tokens, shows a person nothing",
	"documentTextBlobs": "sync machinery: returns document ids to re-index",
	"ReindexTexts":      "sync machinery: derives blind-index tokens again, shows a person nothing",
	"blobRefs":          "sync machinery: returns blob ids and their classes",
	"conflictLabel":     "conflicts are shown only after conflictAllowed checked the chart",
	"checkScans":        "verify: checks every document's scan files; names a chart's MRN only where documentChart allows",
	"FirstSteps":        "asks whether any document exists; reads none and shows nothing of one",
}

// Every operation on a document must go through the guard in
// docaccess.go (openDocument, visibleDocuments), so that a new operation
// cannot forget the chart's restriction (issue 12, item 2). This test
// reads the package's source and fails on any other function that decodes
// a document record or names KindDocument.
func TestDocumentReadsGoThroughTheGuard(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			if _, exempt := documentGuardExempt[fn.Name.Name]; exempt {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if id, ok := n.(*ast.Ident); ok && (id.Name == "decodeDocument" || id.Name == "KindDocument") {
					t.Errorf("%s: %s uses %s: read documents through openDocument or visibleDocuments (docaccess.go)",
						fset.Position(id.Pos()), fn.Name.Name, id.Name)
				}
				return true
			})
		}
	}
}
