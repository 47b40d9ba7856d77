package syncer_test

import (
	"context"
	"slices"
	"testing"

	"folio/app"
)

// The organisation's procedure list set on one workstation is the list on
// the other once they sync, and a change on the second comes back.
func TestProcedureListSync(t *testing.T) {
	ctx := context.Background()
	a, b, admin, _ := wardPair(t)
	graceA := login(t, a, "grace", clinicianPW)
	want := []app.ProcedureEntry{{Code: "WD01", Description: "Wound dressing"}, {Code: "IUD", Description: "IUD insertion"}}
	if err := graceA.Settings().SetProcedures(ctx, slices.Clone(want)); err != nil {
		t.Fatal(err)
	}
	a.round(t, admin)
	nurse := join(t, a, admin, b)
	graceB := login(t, b, "grace", clinicianPW)
	if got, err := graceB.Settings().Procedures(ctx); err != nil || !slices.Equal(got, want) {
		t.Fatalf("the list on b: %+v, %v", got, err)
	}
	want = append(want, app.ProcedureEntry{Code: "CS01", Description: "Caesarean section"})
	if err := graceB.Settings().SetProcedures(ctx, slices.Clone(want)); err != nil {
		t.Fatal(err)
	}
	settleWithoutConflict(t, a, admin, b, nurse)
	if got, err := graceA.Settings().Procedures(ctx); err != nil || !slices.Equal(got, want) {
		t.Fatalf("the list on a after b's change: %+v, %v", got, err)
	}
}
