package ui

import (
	"context"
	"errors"
	"testing"

	"folio/app"
)

// Issue 12, items 2 and 3: a record in conflict shows every field of
// every branch. An administrator (who resolves conflicts but may not open
// restricted charts) is not shown the conflict of a chart one branch made
// restricted, and may not resolve it; a records clerk, who opens
// restricted charts, still sees and resolves it.
func TestConflictOfRestrictedChartHiddenFromAdmin(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	a, b := syncedPair(t, c.Now)
	ps := a.register(t, mary())
	a.round(t)
	b.round(t)
	amendOffline(t, a, b, ps[0].MRN, func(p *app.Patient) { p.Phone = "0788 000 111" },
		func(p *app.Patient) { p.Restricted, p.Notes = true, "HIV positive, on ART" })

	cs, err := a.sync.Conflicts().List(ctx) // the administrator, on workstation a
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.ID == ps[0].ID {
			t.Fatalf("the administrator is shown the restricted chart's conflict (%d branches)", len(c.Versions))
		}
	}
	if err := a.sync.Conflicts().Resolve(ctx, app.KindPatient, ps[0].ID, app.Version{}, true); !errors.Is(err, app.ErrForbidden) {
		t.Fatalf("the administrator resolving it: %v", err)
	}

	cs, err = b.sync.Conflicts().List(ctx) // the records clerk, on workstation b
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].ID != ps[0].ID {
		t.Fatalf("the records clerk's conflicts: %d", len(cs))
	}
	if err := b.sync.Conflicts().Resolve(ctx, app.KindPatient, ps[0].ID, cs[0].Versions[0].Version, false); err != nil {
		t.Fatalf("the records clerk resolving it: %v", err)
	}
}
