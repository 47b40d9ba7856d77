package ui

import (
	"go/ast"
	"go/token"
	"testing"
)

// TestNoAdapterReadsErrorText keeps the window and the command line from
// deciding anything by an error's text: a call of a strings function
// (Contains, HasPrefix, TrimPrefix, Cut…) or a comparison (==, !=) that
// takes an Error() result fails the test. What an error is, they ask
// with errors.Is and errors.As; the words a clerk reads come with the
// error (app.InvalidError's Reason) or are written in message.
func TestNoAdapterReadsErrorText(t *testing.T) {
	fset, files := parseSources(t, ".", "../cli", "..")
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok {
					if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "strings" {
						for _, a := range n.Args {
							if callsError(a) {
								t.Errorf("%s: strings.%s reads an error's text: branch with errors.Is or errors.As",
									fset.Position(n.Pos()), sel.Sel.Name)
							}
						}
					}
				}
			case *ast.BinaryExpr:
				if (n.Op == token.EQL || n.Op == token.NEQ) && (callsError(n.X) || callsError(n.Y)) {
					t.Errorf("%s: compares an error's text: branch with errors.Is or errors.As", fset.Position(n.Pos()))
				}
			}
			return true
		})
	}
}

// callsError reports whether e calls an Error() method anywhere in it.
func callsError(e ast.Expr) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		if c, ok := n.(*ast.CallExpr); ok && len(c.Args) == 0 {
			if sel, ok := c.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Error" {
				found = true
			}
		}
		return !found
	})
	return found
}
