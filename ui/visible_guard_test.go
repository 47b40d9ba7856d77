package ui

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestWindowFieldsGoThroughVisible keeps the window's text on visible:
// a record's or a person's field (p.Address, usr.FullName, d.Type) given
// to a label, a rich text segment or a text helper as it is, or joined
// into one with +, fails the test; it must pass through a function first
// (visible.Line, visible.Text or a helper built on them, such as
// docTypeText). Fields that hold only text Folio makes itself are listed
// in madeByFolio; the screens' own unexported fields and local variables
// are not checked (a value copied into one before it is shown is the
// reviewer's to see). An entry's SetText is not checked either: a person
// edits that text, so it must be exact.
func TestWindowFieldsGoThroughVisible(t *testing.T) {
	// Fields whose text Folio makes (fingerprints, a device id, messages
	// it wrote, the text of an entry).
	madeByFolio := []string{"CAFingerprint", "Fingerprint", "Text", "Label", "Device", "Detail"}
	shows := map[string]int{ // function or method name → index of its text argument
		"NewLabel": 0, "NewLabelWithStyle": 0, "SetText": 0, "wrapped": 0, "text": 0, "muted": 0, "heading": 0, "info": 0,
	}
	fset, parsed := parseWindowSources(t)
	entries := entryNames(parsed)
	for _, f := range parsed {
		pkgs := map[string]bool{}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			n := filepath.Base(path)
			if imp.Name != nil {
				n = imp.Name.Name
			}
			pkgs[n] = true
		}
		check := func(e ast.Expr) {
			ast.Inspect(e, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.CallExpr, *ast.FuncLit:
					return false // a function decides how the value is shown
				case *ast.SelectorExpr:
					if x, ok := n.X.(*ast.Ident); ok && pkgs[x.Name] {
						return false // a package's constant or function
					}
					if n.Sel.IsExported() && !slices.Contains(madeByFolio, n.Sel.Name) {
						t.Errorf("%s: %s is shown as it is; pass it through visible.Line (or visible.Text)", fset.Position(n.Pos()), exprText(n))
					}
					return false
				}
				return true
			})
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				var fn string
				switch f := n.Fun.(type) {
				case *ast.Ident:
					fn = f.Name
				case *ast.SelectorExpr:
					fn = f.Sel.Name
				}
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok && fn == "SetText" && entries[lastName(sel.X)] {
					return true
				}
				if i, ok := shows[fn]; ok && len(n.Args) > i {
					check(n.Args[i])
				}
			case *ast.KeyValueExpr:
				if k, ok := n.Key.(*ast.Ident); ok && k.Name == "Text" {
					check(n.Value)
				}
			}
			return true
		})
	}
}

// entryNames are the names of the fields and variables that hold entries
// (declared as *entry, or given newEntry or newMultiLineEntry).
func entryNames(files []*ast.File) map[string]bool {
	names := map[string]bool{}
	isEntry := func(e ast.Expr) bool {
		if st, ok := e.(*ast.StarExpr); ok {
			if id, ok := st.X.(*ast.Ident); ok && id.Name == "entry" {
				return true
			}
		}
		if c, ok := e.(*ast.CallExpr); ok {
			if id, ok := c.Fun.(*ast.Ident); ok && (id.Name == "newEntry" || id.Name == "newMultiLineEntry") {
				return true
			}
		}
		return false
	}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.Field:
				if isEntry(n.Type) {
					for _, id := range n.Names {
						names[id.Name] = true
					}
				}
			case *ast.AssignStmt:
				for i, r := range n.Rhs {
					if isEntry(r) && i < len(n.Lhs) {
						names[lastName(n.Lhs[i])] = true
					}
				}
			}
			return true
		})
	}
	return names
}

// lastName is the last name of x, y or x.y.
func lastName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return e.Sel.Name
	}
	return ""
}

func exprText(e ast.Expr) string {
	if s, ok := e.(*ast.SelectorExpr); ok {
		return exprText(s.X) + "." + s.Sel.Name
	}
	if i, ok := e.(*ast.Ident); ok {
		return i.Name
	}
	return "…"
}

// parseWindowSources parses the package's Go files, tests left out.
func parseWindowSources(t *testing.T) (*token.FileSet, []*ast.File) {
	t.Helper()
	return parseSources(t, ".")
}

// parseSources parses the Go files of the folders dirs, tests left out.
func parseSources(t *testing.T, dirs ...string) (*token.FileSet, []*ast.File) {
	t.Helper()
	fset := token.NewFileSet()
	var parsed []*ast.File
	for _, dir := range dirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, name, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			parsed = append(parsed, f)
		}
	}
	return fset, parsed
}
