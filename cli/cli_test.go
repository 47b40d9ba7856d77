package cli_test

import (
	"context"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"folio/cli"
)

// The scripts in testdata/script run the real command line, as a separate
// process per command, against a real vault in the script's work folder.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"folio": func() {
			os.Exit(cli.Run(context.Background(), os.Args[1:], cli.Params{
				Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
				Getenv:  os.Getenv,
				FastKDF: true, // password hashing at its cheapest: tests only
			}))
		},
	})
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(e *testscript.Env) error {
			e.Setenv("FOLIO_DATA", e.WorkDir+"/vault")
			e.Setenv("FOLIO_USER", "admin")
			e.Setenv("FOLIO_PASSWORD", "correct horse battery staple")
			return nil
		},
	})
}
