package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"folio/app"
)

// visitFlags are the visit and vital-sign flags of encounter add.
type visitFlags struct {
	typ, at, site, reason, bp  string
	temp, weight, height, muac float64
	pulse, rr, spo2            int
	confirmWeight              bool
	note                       noteFlags
}

func (f *visitFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.typ, "type", "outpatient", "outpatient, admission, discharge, emergency, antenatal, immunisation, home-visit, telephone or other")
	fs.StringVar(&f.at, "time", "", "date and time of service, YYYY-MM-DD HH:MM (default: now)")
	fs.StringVar(&f.site, "site", "", "where the patient was seen")
	fs.StringVar(&f.reason, "reason", "", "reason for the visit")
	fs.Float64Var(&f.temp, "temp", 0, "temperature, °C")
	fs.IntVar(&f.pulse, "pulse", 0, "pulse, beats per minute")
	fs.StringVar(&f.bp, "bp", "", "blood pressure, systolic/diastolic mmHg (120/80)")
	fs.IntVar(&f.rr, "rr", 0, "respiratory rate, breaths per minute")
	fs.IntVar(&f.spo2, "spo2", 0, "SpO2, %")
	fs.Float64Var(&f.weight, "weight", 0, "weight, kg")
	fs.Float64Var(&f.height, "height", 0, "height, cm")
	fs.Float64Var(&f.muac, "muac", 0, "mid-upper arm circumference, cm")
	fs.BoolVar(&f.confirmWeight, "confirm-weight", false, "the weight is right though it looks like pounds")
	f.note.register(fs)
}

// encounter builds the encounter the flags describe.
func (f *visitFlags) encounter() (app.Encounter, error) {
	typ, err := app.ParseEncounterType(f.typ)
	if err != nil {
		return app.Encounter{}, usageError{err}
	}
	at, err := parseServiceTime(f.at)
	if err != nil {
		return app.Encounter{}, err
	}
	e := app.Encounter{Time: at, Type: typ, Site: f.site, Reason: f.reason, Vitals: app.Vitals{
		TemperatureC: f.temp, Pulse: f.pulse, RespRate: f.rr, SpO2: f.spo2,
		WeightKg: f.weight, HeightCm: f.height, MUACCm: f.muac, WeightConfirmed: f.confirmWeight}}
	if f.bp != "" {
		sys, dia, ok := strings.Cut(f.bp, "/")
		s, err1 := strconv.Atoi(strings.TrimSpace(sys))
		d, err2 := strconv.Atoi(strings.TrimSpace(dia))
		if !ok || err1 != nil || err2 != nil {
			return app.Encounter{}, usageError{fmt.Errorf("blood pressure %q: give it as systolic/diastolic, e.g. 120/80", f.bp)}
		}
		e.Vitals.Systolic, e.Vitals.Diastolic = s, d
	}
	f.note.apply(&e.Note, nil)
	return e, nil
}

// parseServiceTime reads a date of service in local time; empty is now.
func parseServiceTime(s string) (time.Time, error) { return parseLocalTime("date of service", s) }

// parseLocalTime reads a date and time (what it is, for the error) in
// local time; empty is now.
func parseLocalTime(what, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Now(), nil
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, usageError{fmt.Errorf("%s %q: use YYYY-MM-DD HH:MM", what, s)}
}

// noteFlags are the sections of a note.
type noteFlags struct{ history, exam, assessment, plan string }

func (f *noteFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.history, "history", "", "note: history")
	fs.StringVar(&f.exam, "exam", "", "note: examination")
	fs.StringVar(&f.assessment, "assessment", "", "note: assessment")
	fs.StringVar(&f.plan, "plan", "", "note: plan")
}

// apply copies the sections given (all when fs is nil) onto n.
func (f *noteFlags) apply(n *app.Note, fs *pflag.FlagSet) {
	for name, dst := range map[string]*string{"history": &n.History, "exam": &n.Examination, "assessment": &n.Assessment, "plan": &n.Plan} {
		if fs == nil || fs.Changed(name) {
			*dst = map[string]string{"history": f.history, "exam": f.exam, "assessment": f.assessment, "plan": f.plan}[name]
		}
	}
}

// vitalsHint adds to a weight the check took for pounds how to confirm it.
func vitalsHint(err error) error {
	var ve *app.VitalsError
	if errors.As(err, &ve) && ve.Confirmable {
		return fmt.Errorf("%w (--confirm-weight)", err)
	}
	return err
}

// encounters runs fn with the encounter service of a signed-in session.
// When --break-glass gives a reason, it first breaks the glass of the
// chart of the patient (MRN or id) or of the encounter the command names.
func encounters(e *env, cmd *cobra.Command, patientRef, encounterID string, fn func(ctx context.Context, en app.Encounters) error) error {
	return withChartService(e, cmd, (*app.Session).Encounters, patientRef, encounterID, fn)
}

// onEncounter makes a command's RunE that runs fn on the encounter its
// first argument names, opened (and the read audited).
func onEncounter(e *env, fn func(ctx context.Context, cmd *cobra.Command, en app.Encounters, enc app.Encounter) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		return encounters(e, cmd, "", args[0], func(ctx context.Context, en app.Encounters) error {
			enc, err := en.Open(ctx, args[0])
			if err != nil {
				return err
			}
			return fn(ctx, cmd, en, enc)
		})
	}
}

// glassHint says how to open a restricted chart from the command line.
func glassHint(err error) error {
	if errors.Is(err, app.ErrNeedsBreakGlass) {
		return fmt.Errorf("%w; run again with --break-glass \"reason\"", err)
	}
	return err
}

func encounterCommand(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "encounter", Short: "record, show, list and sign encounters; add addenda; link documents; write referral letters"}
	breakGlassFlag(cmd.PersistentFlags())
	cmd.AddCommand(encounterAdd(e), encounterShow(e), encounterList(e), encounterSign(e), encounterAddendum(e),
		encounterLink(e, true), encounterLink(e, false), encounterDelete(e), encounterReferral(e))
	return cmd
}

func encounterAdd(e *env) *cobra.Command {
	var f visitFlags
	var sign, asJSON bool
	cmd := &cobra.Command{
		Use:   "add MRN [--type T] [--time T] [--temp C] [--pulse N] [--bp S/D] ... [--sign]",
		Short: "record an encounter as a draft note (or signed, with --sign); prints its id",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			enc, err := f.encounter()
			if err != nil {
				return err
			}
			return encounters(e, cmd, args[0], "", func(ctx context.Context, en app.Encounters) error {
				enc, err = en.Add(ctx, args[0], enc)
				if err != nil {
					return vitalsHint(err)
				}
				if sign {
					enc, err := en.Sign(ctx, enc)
					if err != nil {
						return fmt.Errorf("encounter %s is saved as a draft, but not signed: %w", enc.ID, err)
					}
				}
				return writeOne(cmd, asJSON, encounterToJSON(enc), func(w io.Writer) error { printLine(w, enc.ID); return nil })
			})
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().BoolVar(&sign, "sign", false, "sign the note at once")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the encounter as JSON")
	return cmd
}

func encounterShow(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "show an encounter: visit, vital signs, note, addenda, linked documents",
		Args:  cobra.ExactArgs(1),
		RunE: onEncounter(e, func(ctx context.Context, cmd *cobra.Command, en app.Encounters, enc app.Encounter) error {
			return writeOne(cmd, asJSON, encounterToJSON(enc), func(w io.Writer) error { writeEncounter(w, enc); return nil })
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func encounterList(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list MRN",
		Short: "a patient's encounters, newest first",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return encounters(e, cmd, args[0], "", func(ctx context.Context, en app.Encounters) error {
				list, err := en.List(ctx, args[0])
				if err != nil {
					return err
				}
				return writeList(cmd, list, asJSON, encounterToJSON, "no encounters", writeEncounters)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}

func encounterSign(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "sign ID",
		Short: "sign your draft note as it stands; after that it is never changed",
		Args:  cobra.ExactArgs(1),
		RunE: onEncounter(e, func(ctx context.Context, cmd *cobra.Command, en app.Encounters, enc app.Encounter) error {
			enc, err := en.Sign(ctx, enc)
			if err != nil {
				return err
			}
			printf(cmd.OutOrStdout(), "encounter %s signed by %s at %s\n", enc.ID, enc.Signed.By, enc.Signed.At.Local().Format("2006-01-02 15:04"))
			return nil
		}),
	}
}

func encounterAddendum(e *env) *cobra.Command {
	var text string
	cmd := encounterChange(e, "addendum ID --text TEXT", "correct a signed note with an addendum, signed by you", cobra.ExactArgs(1),
		func(ctx context.Context, en app.Encounters, args []string) (string, error) {
			enc, err := en.Addendum(ctx, args[0], text)
			return fmt.Sprintf("addendum %d added to encounter %s", len(enc.Addenda), enc.ID), err
		})
	cmd.Flags().StringVar(&text, "text", "", "the addendum")
	return cmd
}

func encounterLink(e *env, add bool) *cobra.Command {
	use, short, did := "link", "link a scanned document of the patient's chart to the encounter", "linked to"
	if !add {
		use, short, did = "unlink", "remove a document's link to the encounter (the document stays in the chart)", "unlinked from"
	}
	return encounterChange(e, use+" ID DOCUMENT", short, cobra.ExactArgs(2),
		func(ctx context.Context, en app.Encounters, args []string) (string, error) {
			link := en.Link
			if !add {
				link = en.Unlink
			}
			_, err := link(ctx, args[0], args[1])
			return fmt.Sprintf("document %s %s encounter %s", args[1], did, args[0]), err
		})
}

func encounterDelete(e *env) *cobra.Command {
	var reason string
	cmd := encounterChange(e, "delete ID --reason R", "delete your draft written in error (a signed note is never deleted)", cobra.ExactArgs(1),
		func(ctx context.Context, en app.Encounters, args []string) (string, error) {
			err := en.Delete(ctx, args[0], reason)
			return fmt.Sprintf("encounter %s deleted", args[0]), err
		})
	cmd.Flags().StringVar(&reason, "reason", "", "why the draft is deleted")
	return cmd
}

// encounterChange is a command that changes the encounter its first
// argument names (--break-glass opens a restricted chart) and prints the
// line change says what it did in.
func encounterChange(e *env, use, short string, args cobra.PositionalArgs, change func(ctx context.Context, en app.Encounters, args []string) (string, error)) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  args,
		RunE: func(cmd *cobra.Command, args []string) error {
			return encounters(e, cmd, "", args[0], func(ctx context.Context, en app.Encounters) error {
				said, err := change(ctx, en, args)
				if err != nil {
					return err
				}
				printLine(cmd.OutOrStdout(), said)
				return nil
			})
		},
	}
}

func writeEncounters(w io.Writer, list []app.Encounter) error {
	for _, enc := range list {
		printf(w, "%s  %-17s %-7s %-12s %s  %s\n", enc.Time.Local().Format("2006-01-02 15:04"),
			enc.Type.Label(), enc.Status(), enc.Clinician, enc.ID, enc.Reason)
	}
	return nil
}

func encounterReferral(e *env) *cobra.Command {
	var to app.ReferralTo
	var out string
	cmd := &cobra.Command{
		Use:   "referral ID --to \"Dr X, Y Hospital\" [--reason R] --out FILE.pdf",
		Short: "write a referral letter from a signed visit as a PDF: findings, diagnoses, allergies, medications (audited)",
		Args:  cobra.ExactArgs(1),
		RunE: encounterPDF(e, &out, func(ctx context.Context, en app.Encounters, id string, w io.Writer) error {
			return en.ReferralPDF(ctx, id, to, w)
		}),
	}
	cmd.Flags().StringVar(&to.Recipient, "to", "", "who the letter is for: the clinician and the facility")
	cmd.Flags().StringVar(&to.Reason, "reason", "", "the reason for referral (default: the visit's reason)")
	cmd.Flags().StringVarP(&out, "out", "o", "", "the PDF file to write")
	_ = cmd.MarkFlagRequired("to")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}
