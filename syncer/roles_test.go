package syncer_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"folio/app"
	"folio/crypto"
	"folio/endorse"
)

// Issue 14: users with several roles sync through the real archive, which
// accepts their versions (an administrator with other roles signs as an
// administrator), and a user version written by an older Folio (one
// "role") syncs and loads with that role on the other workstation.
func TestSeveralRolesSync(t *testing.T) {
	ctx := context.Background()
	_, a, b, admin := twoWards(t)
	if err := admin.Users().SetRoles(ctx, "admin", app.RoleSet{app.RoleAdmin, app.RoleRecords}); err != nil {
		t.Fatal(err)
	}

	// An older Folio on a makes the nurse a clinician: one role, signed
	// by the administrator.
	recs := a.prof.DB.Records(vaultKeys(t, a.prof.DB, admin).RecordAEAD())
	rec, err := recs.Head(ctx, app.KindUser, "nurse")
	if err != nil {
		t.Fatal(err)
	}
	var older map[string]any
	if err := json.Unmarshal(rec.Data, &older); err != nil {
		t.Fatal(err)
	}
	delete(older, "roles")
	older["role"] = string(app.RoleClinician)
	data, _ := json.Marshal(older)
	var prev endorse.Endorsement
	if err := json.Unmarshal(rec.Endorsement, &prev); err != nil {
		t.Fatal(err)
	}
	e := endorse.Sign(ed25519Seeded(t, a, "admin", adminPW), "admin", prev.Cert, "user", "nurse", parentOf(rec.Version), data)
	if _, err := recs.Commit(ctx, app.Commit{Writes: []app.RecordWrite{{Kind: app.KindUser, ID: "nurse", Parent: rec.Version, Data: data, Endorsement: endorsementJSON(t, e)}}}); err != nil {
		t.Fatal(err)
	}
	a.round(t, admin) // the archive refusing a version fails the round

	nurse := join(t, a, admin, b)
	if got := nurse.User().Roles; !slices.Equal(got, app.RoleSet{app.RoleClinician}) {
		t.Fatalf("on b the older version's nurse has the roles %v", got)
	}
	if _, err := nurse.Indexing().Queue(ctx); !errors.Is(err, app.ErrForbidden) {
		t.Fatalf("a clinician lists the queue: %v", err)
	}
	adminOnB, err := b.prof.DB.Records(vaultKeys(t, b.prof.DB, nurse).RecordAEAD()).Head(ctx, app.KindUser, "admin")
	if err != nil {
		t.Fatal(err)
	}
	var u app.User
	if err := json.Unmarshal(adminOnB.Data, &u); err != nil || !slices.Equal(u.Roles, app.RoleSet{app.RoleAdmin, app.RoleRecords}) {
		t.Fatalf("the administrator on b: %v (%v)", u.Roles, err)
	}

	// Two roles for the nurse, given on a, hold on b at her next sign-in.
	if err := admin.Users().SetRoles(ctx, "nurse", app.RoleSet{app.RoleClinician, app.RoleRecords}); err != nil {
		t.Fatal(err)
	}
	a.round(t, admin)
	if rep := b.round(t, nurse); rep.Pulled == 0 || rep.Rejected != 0 {
		t.Fatalf("b's round: %s", rep)
	}
	nurse.Lock(ctx)
	nurse = login(t, b, "nurse", nursePW)
	if got := nurse.User().Roles; !slices.Equal(got, app.RoleSet{app.RoleRecords, app.RoleClinician}) {
		t.Fatalf("on b the nurse now has the roles %v", got)
	}
	if _, err := nurse.Indexing().Queue(ctx); err != nil {
		t.Fatalf("the records clerk and clinician lists the queue on b: %v", err)
	}
}

// ed25519Seeded returns the signing key in name's password slot on w.
func ed25519Seeded(t *testing.T, w *workstation, name, pw string) ed25519.PrivateKey {
	t.Helper()
	ctx := context.Background()
	bundle, err := w.prof.DB.Meta().GetMeta(ctx, "vault/bundle")
	if err != nil {
		t.Fatal(err)
	}
	slots, err := w.prof.DB.Meta().MetaPrefix(ctx, "slot/user/"+name+"/")
	if err != nil {
		t.Fatal(err)
	}
	for _, slot := range slots {
		if k, seed, err := crypto.OpenPasswordSlot(bundle, slot, name, []byte(pw)); err == nil {
			k.Close()
			if seed != nil {
				return ed25519.NewKeyFromSeed(seed)
			}
		}
	}
	t.Fatalf("no slot of %s holds a signing key", name)
	return nil
}
