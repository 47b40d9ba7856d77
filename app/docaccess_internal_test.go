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
// touch document records directly, and why; a method is named with its
// receiver's type.
var documentGuardExempt = map[string]string{
	"docStore.load":             "the guard's own read",
	"docStore.versionChart":     "the guard's check of a version in conflict",
	"encoder.document":          "encodes a new version; reads nothing",
	"encoder.indexTokens":       "sync machinery: derives blind-index tokens, shows a person nothing",
	"Replica.documentTextBlobs": "sync machinery: returns document ids to re-index",
	"Replica.ReindexTexts":      "sync machinery: derives blind-index tokens again, shows a person nothing",
	"Replica.blobRefs":          "sync machinery: returns blob ids and their classes",
	"conflictLabel":             "conflicts are shown only after conflictAllowed checked the chart",
	"Audit.checkScans":          "verify: checks every document's scan files; names a chart's MRN only where the guard (docStore.chart) allows",
	"Documents.FirstSteps":      "asks whether any document exists; reads none and shows nothing of one",
}

// Every operation on a document must go through the guard in
// docaccess.go (s.docs.open, s.docs.visible), so that a new operation
// cannot forget the chart's restriction (issue 12, item 2). This test
// reads the package's source and fails on any other function that decodes
// a document record or names KindDocument.
func TestDocumentReadsGoThroughTheGuard(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	seen := map[string]bool{}
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
			name := funcName(fn)
			if _, exempt := documentGuardExempt[name]; exempt {
				seen[name] = true
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if id, ok := n.(*ast.Ident); ok && (id.Name == "decodeDocument" || id.Name == "KindDocument") {
					t.Errorf("%s: %s uses %s: read documents through the guard, s.docs.open or s.docs.visible (docaccess.go)",
						fset.Position(id.Pos()), name, id.Name)
				}
				return true
			})
		}
	}
	for name := range documentGuardExempt {
		if !seen[name] {
			t.Errorf("documentGuardExempt names %s, which is not a function of the package: update it", name)
		}
	}
}

// funcName is a function's name, a method's prefixed with its receiver's
// type: "docStore.load".
func funcName(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	typ := fn.Recv.List[0].Type
	if star, ok := typ.(*ast.StarExpr); ok {
		typ = star.X
	}
	if id, ok := typ.(*ast.Ident); ok {
		return id.Name + "." + fn.Name.Name
	}
	return fn.Name.Name
}
