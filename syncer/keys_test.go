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
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				sel, ok := n.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				if why, bad := keyCalls[sel.Sel.Name]; bad {
					t.Errorf("%s: %s (%s): ask the session (the Session interface) instead", fset.Position(sel.Pos()), sel.Sel.Name, why)
				}
				// Blobs.Sealed(aead) opens blob files with the blob key;
				// DB.Sealed reads a sealed version, which is fine.
				if x, ok := sel.X.(*ast.SelectorExpr); ok && sel.Sel.Name == "Sealed" && x.Sel.Name == "Blobs" {
					t.Errorf("%s: Blobs.Sealed opens blob files with the blob key: ask the session instead", fset.Position(sel.Pos()))
				}
			case *ast.SelectorExpr:
				if pkg, ok := n.X.(*ast.Ident); ok && (pkg.Name == "app" || pkg.Name == "crypto") && keyTypes[n.Sel.Name] {
					t.Errorf("%s: %s.%s is a key: ask the session (the Session interface) instead", fset.Position(n.Pos()), pkg.Name, n.Sel.Name)
				}
			}
			return true
		})
	}
}
