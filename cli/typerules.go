package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"folio/app"
	"folio/classify"
)

// `folio settings type-rules`: the keyword rules of document-type
// proposals, and what this workstation learned from its filings.

func typeRulesCommand(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "type-rules",
		Short: "the keywords that propose each document type (list, set, reset); records managers and administrators",
		Long: `Document types are proposed for scanned documents from keyword rules and from
what this workstation learned from the documents its clerks filed. The rules
are a setting: each type has keywords (one or more words each, matched in the
text as whole words, in any case); the type whose keywords the text holds most
of is proposed, the earlier type winning a tie. Learning takes over where it
has seen enough filings of the types involved.`,
	}
	var asJSON bool
	list := &cobra.Command{
		Use:   "list [--json]",
		Short: "print the rules, and how many filed documents taught each type",
		Args:  cobra.NoArgs,
		RunE: e.signedIn(func(cmd *cobra.Command, _ []string, s *app.Session) error {
			rules, builtIn, err := s.TypeRules().Rules(cmd.Context())
			if err != nil {
				return err
			}
			taught, err := s.TypeRules().Learned(cmd.Context())
			if err != nil {
				return err
			}
			return writeOne(cmd, asJSON, map[string]any{"built_in": builtIn, "rules": rules, "learned": taught}, func(w io.Writer) error {
				return writeTypeRules(w, rules, builtIn, taught)
			})
		}),
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	set := &cobra.Command{
		Use:   "set TYPE 'KEYWORD, KEYWORD, ...'",
		Short: `give a type its keywords, comma-separated (a new type goes last; "" removes the type's rule)`,
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			typ := strings.TrimSpace(args[0])
			if !classify.ValidType(typ) {
				return usageError{fmt.Errorf("document type %q: use lower-case letters, digits and hyphens, like lab-result", typ)}
			}
			return e.inSession(cmd.Context(), func(s *app.Session) error {
				rules, _, err := s.TypeRules().Rules(cmd.Context())
				if err != nil {
					return err
				}
				rules = withKeywords(rules, typ, strings.Split(args[1], ","))
				if err := s.TypeRules().Set(cmd.Context(), rules); err != nil {
					return err
				}
				now, _, err := s.TypeRules().Rules(cmd.Context())
				if err != nil {
					return err
				}
				i := slices.IndexFunc(now, func(r classify.Rule) bool { return r.Type == typ })
				if i < 0 {
					printf(cmd.OutOrStdout(), "%s: no rule now (only learning proposes it)\n", typ)
					return nil
				}
				printf(cmd.OutOrStdout(), "%s: %s\n", typ, strings.Join(now[i].Keywords, ", "))
				return nil
			})
		},
	}
	reset := &cobra.Command{
		Use:   "reset",
		Short: "go back to the built-in rules (what was learned stays)",
		Args:  cobra.NoArgs,
		RunE: e.signedIn(func(cmd *cobra.Command, _ []string, s *app.Session) error {
			if err := s.TypeRules().Reset(cmd.Context()); err != nil {
				return err
			}
			printf(cmd.OutOrStdout(), "type rules: the built-in ones (%d types)\n", len(classify.DefaultRules()))
			return nil
		}),
	}
	cmd.AddCommand(list, set, reset)
	return cmd
}

// withKeywords returns rules with typ's keywords replaced (appended as a
// new rule when typ has none; removed when keywords are all empty).
func withKeywords(rules classify.Rules, typ string, keywords []string) classify.Rules {
	out := slices.Clone(rules)
	i := slices.IndexFunc(out, func(r classify.Rule) bool { return r.Type == typ })
	if i < 0 {
		return append(out, classify.Rule{Type: typ, Keywords: keywords})
	}
	out[i] = classify.Rule{Type: typ, Keywords: keywords}
	return out
}

// writeTypeRules prints the rules as a table, then the learned types no
// rule names.
func writeTypeRules(w io.Writer, rules classify.Rules, builtIn bool, taught map[string]int) error {
	which := "changed here"
	if builtIn {
		which = "the built-in ones"
	}
	printf(w, "type rules: %s\n", which)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	printf(tw, "TYPE\tLEARNED FROM\tKEYWORDS\n")
	learnedText := func(n int) string { return fmt.Sprintf("%d filed", n) }
	for _, r := range rules {
		printf(tw, "%s\t%s\t%s\n", r.Type, learnedText(taught[r.Type]), strings.Join(r.Keywords, ", "))
	}
	var extra []string
	for t := range taught {
		if !slices.ContainsFunc(rules, func(r classify.Rule) bool { return r.Type == t }) {
			extra = append(extra, t)
		}
	}
	slices.Sort(extra)
	for _, t := range extra {
		printf(tw, "%s\t%s\t(no rule: learned only)\n", t, learnedText(taught[t]))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	printf(w, "a document no rule or learning fits is proposed as %s\n", classify.Other)
	return nil
}
