package cli

import (
	"io"
	"strings"

	"github.com/spf13/cobra"

	"folio/codeset"
)

// codeCommand is the coder's: search the code set, show a code, and code
// signed encounters.
func codeCommand(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "code", Short: "search ICD-10-CM or a loaded code set, show a code; code signed encounters"}
	cmd.AddCommand(codeSearch(e), codeShow(e), codeAssign(e), codeQuery(e), codeAnswer(e), codeStatus(e), codeWorklist(e), codeQueries(e), codeProcedures(e))
	return cmd
}

// codeJSON is a code as --json prints it.
type codeJSON struct {
	System    string `json:"system"`
	Version   string `json:"version"`
	Code      string `json:"code"`
	Billable  bool   `json:"billable"`
	Short     string `json:"short"`
	Long      string `json:"long"`
	POAExempt bool   `json:"poa_exempt"`
	Match     string `json:"match,omitempty"`
}

func toCodeJSON(c codeset.Code) codeJSON {
	return codeJSON{System: c.System, Version: c.Version, Code: c.Code, Billable: c.Billable,
		Short: c.Short, Long: c.Long, POAExempt: c.POAExempt}
}

// flag is how a code is marked in a listing: a header cannot be assigned.
func flag(c codeset.Code) string {
	if c.Billable {
		return "billable"
	}
	return "header"
}

func codeSearch(e *env) *cobra.Command {
	var asJSON bool
	var limit int
	cmd := &cobra.Command{
		Use:   "search QUERY... [--json] [--limit N]",
		Short: "find codes by code prefix (J18, J18.9) or by words in any order, with prefixes and typos",
		Args:  cobra.MinimumNArgs(1),
		RunE: e.withCodeSet(func(cmd *cobra.Command, args []string, set *codeset.Set) error {
			query := strings.Join(args, " ")
			hits, more := set.Search(query, limit)
			w := cmd.OutOrStdout()
			if asJSON {
				out := make([]codeJSON, len(hits))
				for i, h := range hits {
					out[i] = toCodeJSON(h.Code)
					out[i].Match = h.Match.String()
				}
				return writeJSON(w, out)
			}
			if len(hits) == 0 {
				printf(cmd.ErrOrStderr(), "no code in %s %s matches %q: try fewer words, or the start of the code\n", set.System(), set.Version(), query)
				return nil
			}
			for _, h := range hits {
				printf(w, "%-8s  %-8s  %s\n", h.Code.Code, flag(h.Code), h.Code.Long)
			}
			if more {
				printf(cmd.ErrOrStderr(), "more than %d codes match: type more of the code or another word\n", limit)
			}
			return nil
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the codes as JSON")
	cmd.Flags().IntVar(&limit, "limit", 50, "at most this many codes")
	codeSetFlags(cmd, &e.codeSystem, &e.codeVersion)
	return cmd
}

func codeShow(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show CODE [--json]",
		Short: "show one code: its descriptions, whether it may be assigned, its POA exemption",
		Args:  cobra.ExactArgs(1),
		RunE: e.withCodeSet(func(cmd *cobra.Command, args []string, set *codeset.Set) error {
			c, err := set.Lookup(args[0])
			if err != nil {
				return err
			}
			return writeOne(cmd, asJSON, toCodeJSON(c), func(w io.Writer) error { writeCode(w, set, c); return nil })
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the code as JSON")
	codeSetFlags(cmd, &e.codeSystem, &e.codeVersion)
	return cmd
}

// writeCode prints a code for a coder.
func writeCode(w io.Writer, set *codeset.Set, c codeset.Code) {
	printf(w, "%s  %s %s\n", c.Code, c.System, c.Version)
	printf(w, "  %s\n", c.Long)
	if c.Short != "" && c.Short != c.Long {
		printf(w, "  short: %s\n", c.Short)
	}
	if _, err := set.Assignable(c.Code); err != nil {
		printf(w, "  header: %v\n", err)
	} else {
		printf(w, "  billable: may be assigned\n")
	}
	if c.POAExempt {
		printf(w, "  exempt from present-on-admission reporting\n")
	}
}
