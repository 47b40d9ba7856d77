package syncer_test

import (
	"context"
	"testing"

	"folio/app"
	"folio/internal/testkit"
	"folio/syncer"
)

// TestSendWhileLocked: with no one signed in (no session, no keys) a round
// sends the changes and scans made before the lock, and takes in nothing;
// the others receive the records at once and the scans once a signed-in
// round has written their manifests.
func TestSendWhileLocked(t *testing.T) {
	ctx := context.Background()
	_, a, b, admin := twoWards(t)
	a.round(t, admin)
	nurse := join(t, a, admin, b)

	// Offline work on both, then a locks.
	ps, err := admin.Patients().Register(ctx, app.Patient{Family: "Wekesa", Given: "Peter", Sex: app.SexMale, Village: "Bungoma", BirthDate: birth(t, "1975")})
	if err != nil {
		t.Fatal(err)
	}
	scan := testkit.Corpus(t, "scans/ocrmypdf__linn.png")
	if _, err := admin.Intake().ImportFile(ctx, "linn.png", "test", scan); err != nil {
		t.Fatal(err)
	}
	if _, err := nurse.Patients().Register(ctx, app.Patient{Family: "Njeri", Given: "Ann", Sex: app.SexFemale, Village: "Nyeri", BirthDate: birth(t, "1990")}); err != nil {
		t.Fatal(err)
	}
	b.round(t, nurse)
	lastSync, _ := a.prof.DB.Meta().GetMeta(ctx, "sync/last-success")
	admin.Lock(ctx)

	locked := syncer.New(syncer.Params{DB: a.prof.DB, Blobs: a.prof.Blobs, Client: a.client(t, syncer.ClientOptions{})})
	if st := locked.Status(); !st.SendOnly {
		t.Fatalf("an engine without a session: %+v, want SendOnly", st)
	}
	rep, err := locked.Round(ctx)
	if err != nil {
		t.Fatalf("send-only round: %v (did: %s)", err, rep)
	}
	if rep.Pushed == 0 || rep.Audit == 0 || rep.BlobsUp == 0 || rep.Pulled != 0 || rep.Known != 0 || rep.BlobsDown != 0 {
		t.Fatalf("send-only round did %s; want versions, audit entries and scans sent, nothing taken in", rep)
	}
	st := locked.Status()
	if st.State != syncer.StateSent || st.PendingChanges != 0 || st.PendingBlobs != 0 || st.LastSent.IsZero() {
		t.Fatalf("status after the send-only round: %+v", st)
	}
	if text, _, problem := syncer.Describe(st, st.LastSent); problem || text == "" {
		t.Fatalf("described as %q (problem %v)", text, problem)
	}
	if now, _ := a.prof.DB.Meta().GetMeta(ctx, "sync/last-success"); string(now) != string(lastSync) {
		t.Fatalf("a send-only round moved the last complete sync from %q to %q", lastSync, now)
	}
	if rep, err := locked.Round(ctx); err != nil || rep.Pushed != 0 || rep.BlobsUp != 0 {
		t.Fatalf("a second send-only round: %s, %v; want nothing sent again", rep, err)
	}

	// b takes in a's patient now.
	if rep := b.round(t, nurse); rep.Pulled == 0 {
		t.Fatalf("b after a's send-only round: %s", rep)
	}
	if ms, err := nurse.Patients().Search(ctx, "wekesa", 10); err != nil || len(ms) != 1 || ms[0].Patient.MRN != ps[0].MRN {
		t.Fatalf("b searching wekesa: %+v, %v", ms, err)
	}
	// a signs in again: its round takes in b's patient and writes the
	// manifests, and no scan goes up twice; then b gets the scans.
	admin = login(t, a, "admin", adminPW)
	if rep := a.round(t, admin); rep.Pulled == 0 || rep.BlobsUp != 0 {
		t.Fatalf("a's round after signing in: %s; want b's changes taken in and no scan sent again", rep)
	}
	if ms, err := admin.Patients().Search(ctx, "njeri", 10); err != nil || len(ms) != 1 {
		t.Fatalf("a searching njeri: %+v, %v", ms, err)
	}
	if rep := b.round(t, nurse); rep.BlobsDown == 0 {
		t.Fatalf("b after a's signed-in round: %s; want a's scans", rep)
	}
	for id, err := range a.prof.Blobs.List(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if !b.prof.Blobs.Has(id) {
			t.Fatalf("blob %s of a is missing on b", id)
		}
	}
}
