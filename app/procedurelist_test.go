package app_test

import (
	"context"
	"testing"

	"folio/app"
)

// A procedure list kept the old way (in the workstation's own meta store)
// is moved into the synced setting on first use, whole, and the old copy
// removed; a change after that is a new version of the setting.
func TestProcedureListMovedToTheSetting(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	if err := c.grace.KeepProceduresTheOldWay(ctx, []byte(`[{"code":"WD01","description":"Wound dressing"},{"code":"IUD","description":"IUD insertion"}]`)); err != nil {
		t.Fatal(err)
	}
	list, err := c.doc.Settings().Procedures(ctx)
	if err != nil || len(list) != 2 || list[1].Code != "IUD" {
		t.Fatalf("first use: %+v, %v", list, err)
	}
	if old, _ := c.grace.ProceduresKeptTheOldWay(ctx); len(old) != 0 {
		t.Fatalf("the old copy is still there: %s", old)
	}
	if list, err = c.grace.Settings().Procedures(ctx); err != nil || len(list) != 2 {
		t.Fatalf("second use: %+v, %v", list, err)
	}
	if err := c.grace.Settings().SetProcedures(ctx, append(list, app.ProcedureEntry{Code: "CS01", Description: "Caesarean section"})); err != nil {
		t.Fatal(err)
	}
	if list, err = c.doc.Settings().Procedures(ctx); err != nil || len(list) != 3 || list[2].Code != "CS01" {
		t.Fatalf("after the change: %+v, %v", list, err)
	}
}
