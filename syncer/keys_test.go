package syncer_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// keyCalls are the calls through which code reaches the vault's keys or a
// record's plaintext, and keyTypes the key types (of app and crypto).
// app.AuditKey is not among them: the session hands the engine that
// narrow signer (Sign, Verify) to check and splice the audit trail's
// keyed head, whose entries are sealed to a key the engine never sees.
var (
	keyCalls = map[string]string{
		"Records":        "the record store opens records with the record key",
		"OpenVersion":    "opens a sealed version",
		"ImportVersions": "opens and stores versions",
		"RecordAEAD":     "the record key",
		"BlobAEAD":       "the blob key",
	}
	keyTypes = map[string]bool{"AEAD": true, "StreamingAEAD": true, "Keyring": true}
)

// Keys stay in package app (see the package doc): the engine sends and
// receives sealed versions and sealed blob files, and the session does
// whatever needs a key. This test reads the package's source and fails on
// any use of a key or of a store that opens records.
func TestEngineHoldsNoKey(t *testing.T) {
	fset, files := packageSources(t)
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				sel, ok := n.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				if why, bad := keyCalls[sel.Sel.Name]; bad {
					t.Errorf("%s: %s (%s): ask the session's Replica (the Session interface) instead", fset.Position(sel.Pos()), sel.Sel.Name, why)
				}
				// Blobs.Sealed(aead) opens blob files with the blob key;
				// Replica.Sealed reads a sealed version, which is fine.
				if x, ok := sel.X.(*ast.SelectorExpr); ok && sel.Sel.Name == "Sealed" && x.Sel.Name == "Blobs" {
					t.Errorf("%s: Blobs.Sealed opens blob files with the blob key: ask the session instead", fset.Position(sel.Pos()))
				}
			case *ast.SelectorExpr:
				if pkg, ok := n.X.(*ast.Ident); ok && (pkg.Name == "app" || pkg.Name == "crypto") && keyTypes[n.Sel.Name] {
					t.Errorf("%s: %s.%s is a key: ask the session's Replica (the Session interface) instead", fset.Position(n.Pos()), pkg.Name, n.Sel.Name)
				}
			}
			return true
		})
	}
}

// The engine holds the session's sync service (app.Replica), never the
// session: syncer's functions that take the window's *app.Session (Admin's
// and Runner's) may only hand on its Replica(), compare it with nil or
// pass it to another of syncer's functions (checked the same way). This
// test reads the package's source and fails on any other use, such as a
// call of another of the session's services or of the core.
func TestEngineHoldsTheReplicaNotTheSession(t *testing.T) {
	fset, files := packageSources(t)
	seen := 0
	for _, f := range files {
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			sessions := map[string]bool{}
			for _, field := range fn.Type.Params.List {
				if star, ok := field.Type.(*ast.StarExpr); ok && isAppSession(star.X) {
					for _, n := range field.Names {
						sessions[n.Name] = true
					}
				}
			}
			if len(sessions) == 0 {
				continue
			}
			var stack []ast.Node
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if n == nil {
					stack = stack[:len(stack)-1]
					return true
				}
				if id, ok := n.(*ast.Ident); ok && sessions[id.Name] {
					seen++
					if !handsOnReplica(id, stack[len(stack)-1]) {
						t.Errorf("%s: %s uses the session %s: give the engine %s.Replica() (app.Replica) instead",
							fset.Position(id.Pos()), fn.Name.Name, id.Name, id.Name)
					}
				}
				stack = append(stack, n)
				return true
			})
		}
	}
	if seen == 0 {
		t.Fatal("no function of syncer takes an *app.Session: the test checks nothing; update it")
	}
}

// isAppSession reports whether x is app.Session.
func isAppSession(x ast.Expr) bool {
	sel, ok := x.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "Session" {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	return ok && pkg.Name == "app"
}

// handsOnReplica reports whether the session id, under parent, is only
// asked for its Replica, compared (with nil) or passed on as an argument.
func handsOnReplica(id *ast.Ident, parent ast.Node) bool {
	switch p := parent.(type) {
	case *ast.SelectorExpr:
		return p.X == id && p.Sel.Name == "Replica"
	case *ast.BinaryExpr:
		return p.Op == token.EQL || p.Op == token.NEQ
	case *ast.CallExpr:
		return p.Fun != ast.Expr(id)
	}
	return false
}

// packageSources parses syncer's source files, without its tests.
func packageSources(t *testing.T) (*token.FileSet, []*ast.File) {
	t.Helper()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return fset, files
}
