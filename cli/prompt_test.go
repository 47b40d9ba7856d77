package cli_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"folio/cli"
)

// Without a terminal to ask on and without the variable, the answer names
// the variable to set (not "the environment variable").
func TestNoTerminalNamesTheVariable(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"init"}, nil, "cannot ask for the new password for administrator admin: there is no terminal; set the environment variable FOLIO_PASSWORD instead"},
		{[]string{"user", "add", "grace", "--role", "records"}, map[string]string{"FOLIO_USER": "admin", "FOLIO_PASSWORD": adminPW},
			"cannot ask for the password for new user grace: there is no terminal; set the environment variable FOLIO_NEW_PASSWORD instead"},
		{[]string{"user", "list"}, map[string]string{"FOLIO_USER": "admin"},
			"cannot ask for the password for admin: there is no terminal; set the environment variable FOLIO_PASSWORD instead"},
	} {
		env := map[string]string{"FOLIO_DATA": dir}
		for k, v := range c.env {
			env[k] = v
		}
		var out, errb bytes.Buffer
		code := cli.Run(context.Background(), c.args, cli.Params{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
			Getenv: func(k string) string { return env[k] }, FastKDF: true,
			Prompt: func(string) ([]byte, error) { return nil, errors.New("there is no terminal") }})
		if code == 0 || !strings.Contains(errb.String(), c.want) {
			t.Errorf("folio %s: exit %d, %q; want %q", strings.Join(c.args, " "), code, errb.String(), c.want)
		}
		if c.args[0] == "init" {
			// Make the vault for the next cases.
			env["FOLIO_PASSWORD"] = adminPW
			if code := cli.Run(context.Background(), c.args, cli.Params{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
				Getenv: func(k string) string { return env[k] }, FastKDF: true}); code != 0 {
				t.Fatalf("init: %s", errb.String())
			}
		}
	}
}
