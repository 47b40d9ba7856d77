package cli

import (
	"context"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"folio/app"
)

// glassBreaker is a chart service that opens a restricted chart for a
// reason, given the chart's patient or a record in it.
type glassBreaker interface {
	BreakGlass(ctx context.Context, id, reason string) (app.Patient, error)
}

// withChartService runs fn with the service svc gives of a signed-in
// session (encounters, the chart summary). When --break-glass gives a
// reason, it first breaks the glass of the chart of the patient (MRN or
// id) or, with no patient, of the chart the record recordID is in.
func withChartService[S glassBreaker](e *env, cmd *cobra.Command, svc func(*app.Session) S, patientRef, recordID string, fn func(ctx context.Context, sv S) error) error {
	return e.inSession(cmd.Context(), func(s *app.Session) error {
		ctx, sv := cmd.Context(), svc(s)
		var breaker glassBreaker = s.Patients()
		id := patientRef
		if patientRef == "" {
			breaker, id = sv, recordID
		}
		why, _ := cmd.Flags().GetString("break-glass")
		if err := breakGlass(ctx, breaker, id, why); err != nil {
			return err
		}
		return glassHint(fn(ctx, sv))
	})
}

// breakGlassFlag adds to fs the --break-glass flag withChartService reads:
// the reason for opening a restricted chart.
func breakGlassFlag(fs *pflag.FlagSet) {
	fs.String("break-glass", "", "reason for opening a restricted chart (recorded as break-glass)")
}

// breakGlass opens the restricted chart of id (a patient, or a record in
// the chart) through b for the reason given; with no reason it does
// nothing, and the record's own check then says a reason is needed.
func breakGlass(ctx context.Context, b glassBreaker, id, reason string) error {
	if reason == "" {
		return nil
	}
	_, err := b.BreakGlass(ctx, id, reason)
	return err
}
