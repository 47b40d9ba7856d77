package cli

import (
	"context"

	"github.com/spf13/cobra"

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
		if why, _ := cmd.Flags().GetString("break-glass"); why != "" {
			var breaker glassBreaker = s.Patients()
			id := patientRef
			if patientRef == "" {
				breaker, id = sv, recordID
			}
			if _, err := breaker.BreakGlass(ctx, id, why); err != nil {
				return err
			}
		}
		return glassHint(fn(ctx, sv))
	})
}
