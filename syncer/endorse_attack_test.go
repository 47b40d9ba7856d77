package syncer_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"folio/app"
	"folio/archive/api"
	"folio/archive/boltstore"
	"folio/endorse"
	"folio/storage"
	"folio/syncer"
)

// asWire is a stored version as a push carries it.
func asWire(t *testing.T, sv storage.SealedVersion) api.RecordVersion {
	t.Helper()
	v := api.RecordVersion{Kind: string(sv.Kind), ID: sv.ID, Ciphertext: sv.Ciphertext,
		Version: api.Version{HLC: sv.Version.HLC, Device: api.DeviceID(sv.Version.Device)},
		Parent:  api.Version{HLC: sv.Parent.HLC, Device: api.DeviceID(sv.Parent.Device)}}
	if len(sv.Endorsement) > 0 {
		v.Endorsement = &endorse.Endorsement{}
		if err := json.Unmarshal(sv.Endorsement, v.Endorsement); err != nil {
			t.Fatal(err)
		}
	}
	return v
}

func endorsementJSON(t *testing.T, e endorse.Endorsement) []byte {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func parentOf(v app.Version) endorse.Version {
	return endorse.Version{HLC: v.HLC, Device: uint64(v.Device)}
}

// A member workstation holds the vault keys (its nurse's password opens
// them) but no administrator's password. It seals, with the real record
// key, (1) a junk user/admin, (2) a well-formed user/clerk2 with the
// administrator's role, self-signed, (3) key slots for admin holding a slot
// of a password it knows (the nurse's), and (4) a user/clerk3 made an
// administrator under the real administrator's signature of another
// content. The real archive server refuses (1)–(3) with 403 and stores
// nothing, and the attacker's own sync round sets them aside unsent; (4)
// it cannot tell (it cannot read records), and the
// administrator's workstation sets it aside. An archive that let (1)–(3)
// through (they are written into its store behind the server's back) does
// not get them applied either: the administrator's workstation, given
// them by a USB reply bundle, sets them aside, with their reasons and the
// versions themselves, audited. The administrator's own changes still
// sync, and admin still signs in only with the administrator's password.
func TestAttackMemberPushesForgedAdmin(t *testing.T) {
	ctx := context.Background()
	arc := startSecArchive(t, "Test Health District")
	a, b := arc.station(t, "ward-a"), arc.station(t, "ward-b")
	admin := firstVault(t, a)
	a.round(t, admin)
	nurse := join(t, a, admin, b)
	monitor := arc.monitor(t)
	headOf := func() uint64 {
		t.Helper()
		m, err := monitor.Metrics(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return m.Head
	}

	// The attacker's forgeries, sealed on b with the vault's record key.
	recs := b.prof.DB.Records(vaultKeys(t, b.prof.DB, nurse).RecordAEAD())
	head := func(kind app.Kind, id string) app.StoredRecord {
		t.Helper()
		r, err := recs.Head(ctx, kind, id)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	adminUser, nurseUser, adminSlots := head(app.KindUser, "admin"), head(app.KindUser, "nurse"), head(app.KindKeySlots, "admin")
	var clerk2 map[string]any
	if err := json.Unmarshal(nurseUser.Data, &clerk2); err != nil {
		t.Fatal(err)
	}
	clerk2["name"], clerk2["role"], clerk2["roles"] = "clerk2", string(app.RoleAdmin), []string{string(app.RoleAdmin)}
	clerk2Data, _ := json.Marshal(clerk2)
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	clerk2E := endorse.Sign(priv, "clerk2", &endorse.UserCert{Name: "clerk2", Key: pub, Admin: true}, "user", "clerk2", endorse.Version{}, clerk2Data)
	nurseSlots, err := b.prof.DB.Meta().MetaPrefix(ctx, "slot/user/nurse/")
	if err != nil || len(nurseSlots) == 0 {
		t.Fatalf("the nurse's slots on b: %v, %v", nurseSlots, err)
	}
	planted := map[string][]byte{}
	for k, v := range nurseSlots {
		planted["slot/user/admin/"+strings.TrimPrefix(k, "slot/user/nurse/")] = v
	}
	slotsData, _ := json.Marshal(map[string]any{"slots": planted})
	slotsE := endorse.Sign(priv, "nurse", nil, "keyslots", "admin", parentOf(adminSlots.Version), slotsData)
	forged := []app.RecordWrite{
		{Kind: app.KindUser, ID: "admin", Parent: adminUser.Version, Data: []byte(`{"name":"admin","role":"admin","junk":true}`)},
		{Kind: app.KindUser, ID: "clerk2", Data: clerk2Data, Endorsement: endorsementJSON(t, clerk2E)},
		{Kind: app.KindKeySlots, ID: "admin", Parent: adminSlots.Version, Data: slotsData, Endorsement: endorsementJSON(t, slotsE)},
	}
	vs, err := recs.Commit(ctx, app.Commit{Writes: forged})
	if err != nil {
		t.Fatal(err)
	}
	var wire []api.RecordVersion
	for i, w := range forged {
		sv, err := b.prof.DB.Replica().Sealed(ctx, w.Kind, w.ID, vs[i])
		if err != nil {
			t.Fatal(err)
		}
		wire = append(wire, asWire(t, sv))
	}

	// The real archive refuses each, nothing stored.
	before := headOf()
	cb := b.client(t, syncer.ClientOptions{})
	bDev := api.DeviceID(b.prof.DB.DeviceID())
	for i, v := range wire {
		_, err := cb.Push(ctx, api.PushRequest{Device: bDev, Batch: 1000 + uint64(i), Versions: []api.RecordVersion{v}})
		var ae *api.Error
		if !errors.As(err, &ae) || ae.Status != 403 || !errors.Is(err, api.ErrForbidden) || !strings.Contains(err.Error(), "not written in the session of a user allowed to write it") {
			t.Fatalf("forgery %d (%s/%s) pushed: %v, want a 403 saying why", i+1, v.Kind, v.ID, err)
		}
	}
	// The attacker's workstation, syncing, does not send them: it checks
	// its own users and key slots as the archive does and sets them
	// aside there (its other changes would sync).
	if _, err := b.engine(t, nurse, cb).Round(ctx); err != nil {
		t.Fatalf("the attacker's sync round: %v", err)
	}
	if kept := outgoing(t, b); len(kept) != 3 {
		t.Fatalf("the attacker's workstation set aside %d of its forgeries, want 3: %+v", len(kept), kept)
	}
	stored, err := cb.Pull(ctx, before, api.MaxPullLimit)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range stored.Changes {
		for _, v := range wire {
			if c.Kind == v.Kind && c.ID == v.ID && c.Version == v.Version {
				t.Fatalf("a forgery was stored: %s/%s at %d", c.Kind, c.ID, c.Seq)
			}
		}
	}

	// The administrator's changes still sync.
	if err := admin.Users().Add(ctx, app.User{Name: "clerk3", Roles: app.RoleSet{app.RoleRecords}}, []byte("clerk three's words")); err != nil {
		t.Fatal(err)
	}
	if rep := a.round(t, admin); rep.Pushed == 0 {
		t.Fatalf("the administrator's round pushed nothing: %s", rep)
	}

	// (4) The administrator's signature of clerk3, on other content: the
	// archive cannot tell, the workstation can.
	page, err := cb.Pull(ctx, 0, api.MaxPullLimit)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(page.Changes, func(c api.Change) bool { return c.Kind == "user" && c.ID == "clerk3" })
	if i < 0 || page.Changes[i].Endorsement == nil {
		t.Fatalf("clerk3's user on the archive: %+v", page.Changes)
	}
	var clerk3 map[string]any
	if err := json.Unmarshal(nurseUser.Data, &clerk3); err != nil {
		t.Fatal(err)
	}
	clerk3["name"], clerk3["role"] = "clerk3", string(app.RoleAdmin)
	clerk3Data, _ := json.Marshal(clerk3)
	replayed := app.RecordWrite{Kind: app.KindUser, ID: "clerk3", Data: clerk3Data, Endorsement: endorsementJSON(t, *page.Changes[i].Endorsement)}
	rv, err := recs.Commit(ctx, app.Commit{Writes: []app.RecordWrite{replayed}})
	if err != nil {
		t.Fatal(err)
	}
	sv, err := b.prof.DB.Replica().Sealed(ctx, app.KindUser, "clerk3", rv[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cb.Push(ctx, api.PushRequest{Device: bDev, Batch: 2000, Versions: []api.RecordVersion{asWire(t, sv)}}); err != nil {
		t.Fatalf("a replayed signature on other content: %v (the archive cannot read the content)", err)
	}
	rep := a.round(t, admin)
	if rep.Rejected != 1 {
		t.Fatalf("the administrator's workstation set aside %d versions, want clerk3's forgery: %s", rep.Rejected, rep)
	}

	// An archive that let (1)–(3) in: they reach the administrator's
	// workstation on a USB reply bundle.
	arc.stop(t)
	store, err := boltstore.Open(filepath.Join(arc.dir, "store"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Push(ctx, api.PushRequest{Device: bDev, Batch: 3000, Versions: wire}, time.Now()); err != nil {
		t.Fatalf("write the forgeries into the store: %v", err)
	}
	site := newBundleSite(t, arc.pki(), store)
	a.enr.BundleKey = site.Pub
	reply, err := site.Reply(t, export(t, a, admin, false))
	if err != nil {
		t.Fatalf("the administrator's bundle at the archive: %v", err)
	}
	ir := importReply(t, a, admin, reply)
	if ir.Rejected != 3 {
		t.Fatalf("the administrator's workstation set aside %d versions from the bundle, want 3: %s", ir.Rejected, ir)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	arc.serve(t)
	a.round(t, admin)

	// Nothing of it applied on the administrator's workstation, nothing
	// lost: each set aside with its reason and the version, audited.
	users, err := admin.Users().List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	roles := map[string]string{}
	for _, u := range users {
		roles[u.Name] = u.Roles.String()
	}
	if roles["admin"] != "admin" || roles["clerk3"] != "records" || roles["nurse"] != "records" {
		t.Fatalf("users on the administrator's workstation: %+v", users)
	}
	if _, ok := roles["clerk2"]; ok {
		t.Fatalf("the forged clerk2 was applied: %+v", users)
	}
	if s, err := a.prof.Vault.Login(ctx, "admin", []byte(nursePW)); err == nil {
		s.Lock(ctx)
		t.Fatal("admin signs in with the nurse's password: the planted slot was installed")
	}
	login(t, a, "admin", adminPW)
	aside, err := syncer.SetAside(ctx, a.prof.DB.Meta())
	if err != nil || len(aside) != 4 {
		t.Fatalf("set aside on the administrator's workstation: %+v, %v", aside, err)
	}
	for _, c := range aside {
		if c.Version == nil || len(c.Version.Ciphertext) == 0 || !strings.Contains(c.Reason, "not written in the session of a user allowed to write it") {
			t.Fatalf("set aside without its version or reason: %+v", c)
		}
	}
	events, err := admin.Audit().Events(ctx, app.AuditFilter{Action: app.ActSyncRefused})
	if err != nil || len(events) != 4 {
		t.Fatalf("audit of the refused versions: %+v, %v", events, err)
	}
}
