package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"folio/app"
)

// coding runs fn with the coding service of a signed-in session, over the
// code set the command line holds.
func coding(e *env, cmd *cobra.Command, fn func(ctx context.Context, c app.Coding) error) error {
	set, err := e.codeSet(e.codeSystem, e.codeVersion)
	if err != nil {
		return err
	}
	err = e.inSession(cmd.Context(), func(s *app.Session) error { return fn(cmd.Context(), s.Coding(set)) })
	var edits *app.EditsError
	if errors.As(err, &edits) {
		return fmt.Errorf("%w (--override REASON)", err)
	}
	return err
}

// codeAndPOA splits J18.9:Y into the code and its present-on-admission.
func codeAndPOA(s string) (string, string) {
	code, poa, _ := strings.Cut(s, ":")
	return code, poa
}

func codeAssign(e *env) *cobra.Command {
	var principal, poa, override string
	var secondary, procedures []string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "assign ENCOUNTER --principal CODE[:POA] [--secondary CODE[:POA] ...] [--poa Y|N|U|W] [--procedure CODE ...] [--override REASON]",
		Short: "code a signed encounter: principal and secondary diagnoses, procedures",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if principal == "" {
				return usageError{errors.New("give the principal diagnosis (--principal CODE)")}
			}
			a := app.Assignment{DefaultPOA: poa, Procedures: procedures, Override: override}
			for _, d := range append([]string{principal}, secondary...) {
				code, p := codeAndPOA(d)
				a.Diagnoses, a.POA = append(a.Diagnoses, code), append(a.POA, p)
			}
			return coding(e, cmd, func(ctx context.Context, c app.Coding) error {
				r, err := c.Assign(ctx, args[0], a)
				if err != nil {
					return err
				}
				return writeOne(cmd, asJSON, r, func(w io.Writer) error {
					printf(w, "encounter %s coded by %s\n", r.EncounterID, r.By)
					writeCodes(w, r)
					return nil
				})
			})
		},
	}
	cmd.Flags().StringVar(&principal, "principal", "", "principal diagnosis, ICD-10-CM or the --system chosen (J18.9, or J18.9:Y with its present-on-admission)")
	cmd.Flags().StringArrayVar(&secondary, "secondary", nil, "a secondary diagnosis (repeat for more)")
	cmd.Flags().StringVar(&poa, "poa", "", "present on admission for every diagnosis of an admission not given its own: Y, N, U or W")
	cmd.Flags().StringArrayVar(&procedures, "procedure", nil, "a procedure code from the organisation's list; a CPT code as its bare code (repeat for more)")
	cmd.Flags().StringVar(&override, "override", "", "assign despite the edits the codes fail, for this reason (recorded and audited)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the coding as JSON")
	codeSetFlags(cmd, &e.codeSystem, &e.codeVersion)
	return cmd
}

// writeCodes prints the diagnoses, procedures and overrides of a coding.
func writeCodes(w io.Writer, r app.CodingRecord) {
	for _, d := range r.Diagnoses {
		kind := "secondary"
		if d.Principal {
			kind = "principal"
		}
		poa := ""
		switch {
		case d.POA != "":
			poa = "  POA " + d.POA
		case d.POAExempt:
			poa = "  POA exempt"
		}
		printf(w, "  %-9s  %-8s  %s (%s %s)%s\n", kind, d.Code, d.Description, d.System, d.Version, poa)
	}
	for _, p := range r.Procedures {
		desc := p.Description
		if desc != "" {
			desc += " "
		}
		printf(w, "  procedure  %-8s  %s(%s)\n", p.Code, desc, p.System)
	}
	for _, o := range r.Overrides {
		printf(w, "  overridden: %s — because: %s\n", o.Edit, o.Reason)
	}
}

func codeQuery(e *env) *cobra.Command {
	var text string
	cmd := &cobra.Command{
		Use:   "query ENCOUNTER --text QUESTION",
		Short: "ask the clinician a question about a signed encounter before coding it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return coding(e, cmd, func(ctx context.Context, c app.Coding) error {
				q, err := c.Query(ctx, args[0], text)
				if err != nil {
					return err
				}
				printf(cmd.OutOrStdout(), "%s\n", q.ID)
				printf(cmd.ErrOrStderr(), "query sent on encounter %s; it is queried until the clinician answers (folio code answer %s --text ...)\n", q.EncounterID, q.ID)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&text, "text", "", "the question")
	return cmd
}

func codeAnswer(e *env) *cobra.Command {
	var text, onBehalf string
	cmd := &cobra.Command{
		Use:   "answer QUERYID --text ANSWER [--on-behalf NOTE]",
		Short: "answer a coder's query (the clinician it was sent to, or a records manager on their behalf)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return coding(e, cmd, func(ctx context.Context, c app.Coding) error {
				answer := c.Answer
				if cmd.Flags().Changed("on-behalf") {
					answer = func(ctx context.Context, id, text string) (app.CodingRecord, error) {
						return c.AnswerOnBehalf(ctx, id, text, onBehalf)
					}
				}
				a, err := answer(ctx, args[0], text)
				if err != nil {
					return err
				}
				if a.OnBehalf != "" {
					printf(cmd.OutOrStdout(), "query %s answered by %s on behalf of the clinician: %s\n", a.QueryID, a.By, a.OnBehalf)
					return nil
				}
				printf(cmd.OutOrStdout(), "query %s answered by %s\n", a.QueryID, a.By)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&text, "text", "", "the answer")
	cmd.Flags().StringVar(&onBehalf, "on-behalf", "", "records managers: why you answer for the clinician it was sent to")
	return cmd
}

func codeStatus(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status ENCOUNTER [--json]",
		Short: "an encounter's coding: waiting, coded or queried, with the codes, coder, queries and dates",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return coding(e, cmd, func(ctx context.Context, c app.Coding) error {
				st, err := c.Status(ctx, args[0])
				if err != nil {
					return err
				}
				return writeOne(cmd, asJSON, st, func(w io.Writer) error { writeCodingStatus(w, st); return nil })
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the coding as JSON")
	return cmd
}

const stamp = "2006-01-02 15:04"

// writeCodingStatus prints an encounter's coding for a coder.
func writeCodingStatus(w io.Writer, st app.EncounterCoding) {
	printf(w, "encounter %s (%s), signed by %s %s: %s\n", st.EncounterID, st.MRN, st.Clinician, st.Signed.Local().Format(stamp), st.Status)
	if st.Current != nil {
		printf(w, "coded by %s %s (%s after signing)\n", st.Current.By, st.Current.At.Local().Format(stamp), st.Current.At.Sub(st.Signed).Round(1e9))
		writeCodes(w, *st.Current)
	}
	for _, h := range st.History {
		switch h.What {
		case app.CodingQuery:
			printf(w, "query %s by %s %s: %s\n", h.ID, h.By, h.At.Local().Format(stamp), h.Text)
		case app.CodingAnswer:
			printf(w, "  answered by %s %s: %s\n", h.By, h.At.Local().Format(stamp), h.Text)
		}
	}
}
