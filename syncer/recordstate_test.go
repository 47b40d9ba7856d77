package syncer_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"folio/app"
	"folio/archive/api"
	"folio/internal/testkit"
	"folio/storage"
	"folio/syncer"
)

// docQuery names a document with every blob of its pages.
func docQuery(d app.Document) syncer.RecordQuery {
	q := syncer.RecordQuery{Kind: app.KindDocument, ID: d.ID}
	for _, p := range d.Pages {
		q.Blobs = append(q.Blobs, p.View, p.Thumb, p.Text, p.Words)
	}
	return q
}

func wantStates(t *testing.T, what string, p syncer.StateParams, qs []syncer.RecordQuery, want ...syncer.RecordState) {
	t.Helper()
	got, err := syncer.RecordStates(context.Background(), p, qs)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%s: states %v, want %v", what, got, want)
	}
}

func TestRecordSyncState(t *testing.T) {
	ctx := context.Background()
	arc, a, b, admin := twoWards(t)
	ps, err := admin.Patients().Register(ctx, app.Patient{Family: "Achieng", Given: "Mary", Sex: app.SexFemale, Village: "Kisumu", BirthDate: birth(t, "1984-03-02")})
	if err != nil {
		t.Fatal(err)
	}
	imp, err := admin.Intake().ImportFile(ctx, "page.png", "test", testkit.BarPage(t))
	if err != nil || len(imp.Documents) != 1 || len(imp.Documents[0].Pages) == 0 {
		t.Fatalf("import: %+v, %v", imp, err)
	}
	qs := []syncer.RecordQuery{{Kind: app.KindPatient, ID: ps[0].ID}, docQuery(imp.Documents[0])}
	onA := syncer.StateParams{DB: a.prof.DB, Blobs: a.prof.Blobs, Enrolled: true}

	wantStates(t, "not enrolled", syncer.StateParams{DB: a.prof.DB}, qs, syncer.RecordNotSynced, syncer.RecordNotSynced)
	wantStates(t, "before a round", onA, qs, syncer.RecordPending, syncer.RecordPending)

	// The archive refused the batch in flight (the patient; the document
	// comes after it): its versions are errors.
	pend, err := a.prof.DB.Oplog().Pending(ctx, 0, 0)
	if err != nil || len(pend) == 0 {
		t.Fatalf("pending: %v, %v", pend, err)
	}
	i := slices.IndexFunc(pend, func(e storage.OpEntry) bool { return e.Kind == app.KindPatient && e.ID == ps[0].ID })
	if i < 0 {
		t.Fatalf("the patient is not pending: %v", pend)
	}
	fl, _ := json.Marshal(map[string]uint64{"batch": 1, "oplog_through": pend[i].Seq})
	if err := a.prof.DB.Meta().UpdateMeta(ctx, map[string][]byte{"sync/inflight": fl}, nil); err != nil {
		t.Fatal(err)
	}
	refused := onA
	refused.Refused = true
	wantStates(t, "batch refused", refused, qs, syncer.RecordError, syncer.RecordPending)
	if err := a.prof.DB.Meta().UpdateMeta(ctx, nil, []string{"sync/inflight"}); err != nil {
		t.Fatal(err)
	}

	a.round(t, admin)
	wantStates(t, "after a round", onA, qs, syncer.RecordSent, syncer.RecordSent)

	// Both workstations amend the patient offline: pending on a, then a
	// conflict on both once they have synced; the document stays sent.
	nurse := join(t, a, admin, b)
	onB := syncer.StateParams{DB: b.prof.DB, Blobs: b.prof.Blobs, Enrolled: true}
	wantStates(t, "b after joining", onB, qs, syncer.RecordSent, syncer.RecordSent)
	amendApart(t, admin, nurse, ps[0].MRN)
	wantStates(t, "a amended", onA, qs, syncer.RecordPending, syncer.RecordSent)
	a.round(t, admin)
	b.round(t, nurse)
	a.round(t, admin)
	wantStates(t, "a after both amended", onA, qs, syncer.RecordConflict, syncer.RecordSent)
	wantStates(t, "b after both amended", onB, qs, syncer.RecordConflict, syncer.RecordSent)

	// A version that does not open with the vault key reaches the archive
	// (the archive refuses other vaults' workstations, so it is put in its
	// store directly, as an altered archive would hold it): it is set aside
	// here; its patient is an error.
	c := newWorkstation(t, arc, "ward-c")
	if _, err := c.prof.Vault.Create(ctx, app.CreateParams{Admin: "admin", Password: []byte(adminPW), SitePrefix: "WC"}); err != nil {
		t.Fatal(err)
	}
	other := login(t, c, "admin", adminPW)
	cps, err := other.Patients().Register(ctx, app.Patient{Family: "Otieno", Given: "James", Sex: app.SexMale, BirthDate: birth(t, "1990")})
	if err != nil {
		t.Fatal(err)
	}
	devC := api.DeviceID(c.prof.DB.DeviceID())
	if _, err := arc.Store.Push(ctx, api.PushRequest{Device: devC, Batch: 1, Versions: []api.RecordVersion{{
		Kind: string(app.KindPatient), ID: cps[0].ID, Version: api.Version{HLC: 1 << 40, Device: devC}, Ciphertext: []byte("sealed by another vault"),
	}}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if rep := a.round(t, admin); rep.Rejected == 0 {
		t.Fatalf("a took another vault's changes: %s", rep)
	}
	wantStates(t, "a change set aside", onA, append(qs, syncer.RecordQuery{Kind: app.KindPatient, ID: cps[0].ID}),
		syncer.RecordConflict, syncer.RecordSent, syncer.RecordError)
}
