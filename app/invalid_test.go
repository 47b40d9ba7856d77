package app_test

import (
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"folio/app"
)

// Input a service refuses reaches its caller as an *app.InvalidError
// whose Reason is the sentence a clerk reads, whatever wrapped it on the
// way, and still reads as before on the command line ("invalid input: "
// and the reason) and still is ErrInvalid.
func TestRefusedInputCarriesItsReason(t *testing.T) {
	ctx := context.Background()
	prof, _ := newVault(t, nil)
	admin := login(t, prof.Vault, "admin", adminPW)
	for _, tc := range []struct {
		name   string
		err    error
		reason string
	}{
		{"a scan-worker count out of range", admin.Settings().SetScanWorkers(ctx, 99),
			"99 scan workers: choose 1 to 16, or 0 for one per processor core"},
		{"a short password", admin.Users().Add(ctx, app.User{Name: "grace", Roles: app.RoleSet{app.RoleRecords}}, []byte("short")),
			"the password needs at least 8 characters (a passphrase of a few words is best)"},
		{"taking one's own administrator role", admin.Users().SetRoles(ctx, "admin", app.RoleSet{app.RoleRecords}),
			"you cannot take away your own administrator role; ask another administrator"},
		{"an idle lock of a second", admin.Settings().SetIdleLock(ctx, time.Second),
			"idle lock 1s: choose between 1m and 8h"},
	} {
		var inv *app.InvalidError
		if !errors.As(tc.err, &inv) || inv.Reason != tc.reason {
			t.Errorf("%s: %v, want an InvalidError saying %q", tc.name, tc.err, tc.reason)
			continue
		}
		if !errors.Is(tc.err, app.ErrInvalid) || tc.err.Error() != "invalid input: "+tc.reason {
			t.Errorf("%s: %q is not ErrInvalid with its reason", tc.name, tc.err)
		}
	}
}

// Every refusal of input in the tree is made with app.Invalidf (or an
// *app.InvalidError), so that the window finds its reason with
// errors.As: this test reads the source of every package but the
// archive's (which has its own api.ErrInvalid) and fails on a
// fmt.Errorf that wraps app.ErrInvalid itself, whose reason could only
// be cut out of the error's text.
func TestInvalidInputIsMadeWithInvalidf(t *testing.T) {
	fset := token.NewFileSet()
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "archive" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != ".." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		inApp := f.Name.Name == "app" && filepath.Base(filepath.Dir(path)) == "app"
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if sel, ok := call.Fun.(*ast.SelectorExpr); !ok || sel.Sel.Name != "Errorf" {
				return true
			}
			for _, a := range call.Args {
				switch a := a.(type) {
				case *ast.Ident:
					if inApp && a.Name == "ErrInvalid" {
						t.Errorf("%s: fmt.Errorf wraps ErrInvalid: refuse input with Invalidf", fset.Position(a.Pos()))
					}
				case *ast.SelectorExpr:
					if x, ok := a.X.(*ast.Ident); ok && x.Name == "app" && a.Sel.Name == "ErrInvalid" {
						t.Errorf("%s: fmt.Errorf wraps app.ErrInvalid: refuse input with app.Invalidf", fset.Position(a.Pos()))
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
