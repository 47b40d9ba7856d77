package syncer_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"testing"

	"folio/app"
	"folio/archive"
	"folio/archive/api"
	"folio/archive/archivetest"
	"folio/archive/pki"
	"folio/crypto"
	"folio/internal/testkit"
	"folio/profile"
	"folio/scan/pageread"
	"folio/storage"
	"folio/syncer"
)

// TestMain lets this test binary be its own scan worker.
func TestMain(m *testing.M) {
	pageread.ServeIfWorker(os.Args)
	os.Exit(m.Run())
}

// testArchive is a real archive server (archivetest: the organisation's
// CA, the embedded store, mutual TLS on 127.0.0.1) with fault hooks
// between the server and its store.
type testArchive struct {
	*archivetest.Archive
	// hooks let fault tests act right after the store answered (the
	// server wraps its store in them; all nil by default).
	hooks storeHooks
}

func startArchive(t *testing.T) *testArchive {
	t.Helper()
	a := &testArchive{}
	a.Archive = archivetest.Start(t, archivetest.Options{Wrap: func(s archive.Store) archive.Store {
		return &hookedStore{Store: s, h: &a.hooks}
	}})
	return a
}

// workstation is one vault with its sync engine.
type workstation struct {
	prof *profile.Profile
	enr  *pki.Enrollment
}

func newWorkstation(t *testing.T, a *testArchive, name string) *workstation {
	t.Helper()
	prof, err := profile.Open(t.TempDir(), profile.Options{FastKDF: true, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { prof.Close() })
	return &workstation{prof: prof, enr: a.Enroll(t, name)}
}

func (w *workstation) client(t *testing.T, opts syncer.ClientOptions) *syncer.Client {
	t.Helper()
	c, err := syncer.NewClient(w.enr, api.DeviceID(w.prof.DB.DeviceID()), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func (w *workstation) engine(t *testing.T, s *app.Session, c *syncer.Client) *syncer.Engine {
	return syncer.New(syncer.Params{DB: w.prof.DB, Blobs: w.prof.Blobs, Session: s.Replica(), Client: c})
}

// settle runs rounds on a (signed in as sa), b (sb) and a again, so each
// has the other's changes, and returns the conflicts each then holds.
func settle(t *testing.T, a *workstation, sa *app.Session, b *workstation, sb *app.Session) (ca, cb []storage.Conflict) {
	t.Helper()
	a.round(t, sa)
	b.round(t, sb)
	a.round(t, sa)
	ctx := context.Background()
	ca, _ = a.prof.DB.Replica().Conflicts(ctx)
	cb, _ = b.prof.DB.Replica().Conflicts(ctx)
	return ca, cb
}

// settleWithoutConflict settles a and b and fails the test when either
// then holds a conflict.
func settleWithoutConflict(t *testing.T, a *workstation, sa *app.Session, b *workstation, sb *app.Session) {
	t.Helper()
	if ca, cb := settle(t, a, sa, b, sb); len(ca) != 0 || len(cb) != 0 {
		t.Fatalf("conflicts: on a %+v, on b %+v", ca, cb)
	}
}

func (w *workstation) round(t *testing.T, s *app.Session) syncer.Report {
	t.Helper()
	rep, err := w.engine(t, s, w.client(t, syncer.ClientOptions{})).Round(context.Background())
	if err != nil {
		t.Fatalf("sync round: %v (did: %s)", err, rep)
	}
	return rep
}

func login(t *testing.T, w *workstation, user, pw string) *app.Session {
	t.Helper()
	s, err := w.prof.Vault.Login(context.Background(), user, []byte(pw))
	if err != nil {
		t.Fatalf("log in %s: %v", user, err)
	}
	t.Cleanup(func() { s.Lock(context.Background()) })
	return s
}

const adminPW, nursePW = "correct horse battery", "the ward clerk words"

// vaultKeys opens the vault keys of s's workstation (db) from its user's
// password slot, outside any session, as anyone holding that password
// could: the tests' attackers forge with them, and set-ups seal test
// blobs. The keys never leave a session in Folio itself.
func vaultKeys(t testing.TB, db *storage.DB, s *app.Session) *crypto.Keyring {
	t.Helper()
	ctx := context.Background()
	name := s.User().Name
	pw := map[string]string{"admin": adminPW, "nurse": nursePW, "clerk": "green paper folders"}[name]
	bundle, err := db.Meta().GetMeta(ctx, "vault/bundle")
	if err != nil {
		t.Fatal(err)
	}
	slots, err := db.Meta().MetaPrefix(ctx, "slot/user/"+name+"/")
	if err != nil {
		t.Fatal(err)
	}
	for _, slot := range slots {
		if k, _, err := crypto.OpenPasswordSlot(bundle, slot, name, []byte(pw)); err == nil {
			t.Cleanup(k.Close)
			return k
		}
	}
	t.Fatalf("no password slot of %s opens with the test password", name)
	return nil
}

// blobKey is vaultKeys' blob key.
func blobKey(t testing.TB, db *storage.DB, s *app.Session) app.StreamingAEAD {
	t.Helper()
	aead, err := vaultKeys(t, db, s).BlobAEAD()
	if err != nil {
		t.Fatal(err)
	}
	return aead
}

// askForKeys prepares w to join as user (password nursePW) and sends
// its key request to the archive; it returns the request and w's client.
func (w *workstation) askForKeys(t *testing.T, user string) (app.JoinRequest, *syncer.Client) {
	t.Helper()
	ctx := context.Background()
	req, err := w.prof.Vault.PrepareJoin(ctx, user, []byte(nursePW))
	if err != nil {
		t.Fatal(err)
	}
	c := w.client(t, syncer.ClientOptions{})
	if _, err := c.RequestKeys(ctx, req.PublicKey); err != nil {
		t.Fatalf("request keys: %v", err)
	}
	return req, c
}

// join runs the key transfer: b asks for the keys with nurse's password,
// the administrator on a grants them, b opens them and syncs.
func join(t *testing.T, a *workstation, admin *app.Session, b *workstation) *app.Session {
	t.Helper()
	ctx := context.Background()
	req, cb := b.askForKeys(t, "nurse")
	ca := a.client(t, syncer.ClientOptions{})
	reqs, err := ca.KeyRequests(ctx)
	if err != nil || len(reqs) != 1 || reqs[0].Name != "ward-b" {
		t.Fatalf("key requests seen by a: %+v, %v", reqs, err)
	}
	if _, err := syncer.SendGrant(ctx, ca, admin.Replica(), reqs[0]); err != nil {
		t.Fatalf("send grant: %v", err)
	}
	grant, err := syncer.ReceiveGrant(ctx, cb, req.PublicKey, nil)
	if err != nil || grant == nil {
		t.Fatalf("b's grant: %+v, %v", grant, err)
	}
	if _, err := b.prof.Vault.CompleteJoin(ctx, []byte("wrong password words"), *grant); !errors.Is(err, app.ErrWrongPassword) {
		t.Fatalf("complete join with a wrong password: %v, want ErrWrongPassword", err)
	}
	first, err := b.prof.Vault.CompleteJoin(ctx, []byte(nursePW), *grant)
	if err != nil {
		t.Fatalf("complete join: %v", err)
	}
	b.round(t, first)
	first.Lock(ctx)
	return login(t, b, "nurse", nursePW)
}

func birth(t *testing.T, s string) app.BirthDate {
	b, err := app.ParseBirthDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTwoWorkstationsConverge(t *testing.T) {
	ctx := context.Background()
	_, a, b, admin := twoWards(t)
	ps, imp := firstRecords(t, admin)
	rep := a.round(t, admin)
	if rep.Pushed == 0 || rep.Audit == 0 || rep.BlobsUp == 0 {
		t.Fatalf("first round of a: %s", rep)
	}
	nurse := join(t, a, admin, b)

	// b sees a's patients by search (its index follows the pulled versions).
	ms, err := nurse.Patients().Search(ctx, "achieng", 10)
	if err != nil || len(ms) != 1 || ms[0].Patient.ID != ps[0].ID {
		t.Fatalf("b searching achieng: %+v, %v", ms, err)
	}
	// b holds every blob of a, verified.
	for id, err := range a.prof.Blobs.List(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if !b.prof.Blobs.Has(id) {
			t.Fatalf("blob %s of a is missing on b", id)
		}
	}

	// Both amend the same patient offline, different fields.
	amendApart(t, admin, nurse, ps[1].MRN)
	ca, cb := settle(t, a, admin, b, nurse)
	if len(ca) != 1 || len(cb) != 1 {
		t.Fatalf("conflicts: a %v, b %v; want the amended patient on both", ca, cb)
	}
	ha, _ := admin.Patients().Open(ctx, ps[1].MRN)
	hb, _ := nurse.Patients().Open(ctx, ps[1].MRN)
	if ha.Version != hb.Version {
		t.Fatalf("current versions differ: a %s, b %s", ha.Version, hb.Version)
	}

	// A records person resolves it on a with the proposed merge (the
	// branches changed different fields); the resolution reaches b and
	// clears the flag there too.
	cs, err := admin.Conflicts().List(ctx)
	if err != nil || len(cs) != 1 || !cs[0].Mergeable || !slices.Equal(cs[0].Differing, []string{"phone", "village"}) {
		t.Fatalf("conflicts as a person sees them: %+v, %v", cs, err)
	}
	if err := admin.Conflicts().Resolve(ctx, cs[0].Kind, cs[0].ID, app.Version{}, true); err != nil {
		t.Fatal(err)
	}
	a.round(t, admin)
	b.round(t, nurse)
	for name, w := range map[string]*workstation{"a": a, "b": b} {
		if cs, _ := w.prof.DB.Replica().Conflicts(ctx); len(cs) != 0 {
			t.Fatalf("%s still lists conflicts after the resolution: %v", name, cs)
		}
	}
	merged, err := nurse.Patients().Open(ctx, ps[1].MRN)
	if err != nil || merged.Phone != "+254 700 000001" || merged.Village != "Bondo" {
		t.Fatalf("merged patient on b: %+v, %v; want a's phone and b's village", merged, err)
	}

	// a withdraws Mary's registration while b, offline, files the scan to
	// her: after sync both hold the deletion and the document, and Mary
	// stays reachable, flagged deleted, so the document is not lost.
	if _, err := admin.Patients().Delete(ctx, ps[0].MRN, "registered in error"); err != nil {
		t.Fatal(err)
	}
	if _, err := nurse.Indexing().FileDocument(ctx, imp.Documents[0].ID, app.FileParams{Patient: ps[0].MRN, Type: "correspondence"}); err != nil {
		t.Fatal(err)
	}
	a.round(t, admin)
	b.round(t, nurse)
	a.round(t, admin)
	for name, s := range map[string]*app.Session{"a": admin, "b": nurse} {
		p, err := s.Patients().Open(ctx, ps[0].MRN)
		if err != nil || !p.Deleted {
			t.Fatalf("%s opening Mary, deleted with a document filed: %+v, %v", name, p, err)
		}
		docs, err := s.Documents().OfPatient(ctx, ps[0].MRN)
		if err != nil || len(docs) != 1 {
			t.Fatalf("%s: Mary's documents: %d, %v", name, len(docs), err)
		}
	}
	// Restored, she is an ordinary patient again everywhere.
	if _, err := admin.Patients().Restore(ctx, ps[0].MRN, "has a document"); err != nil {
		t.Fatal(err)
	}
	a.round(t, admin)
	b.round(t, nurse)
	if p, err := nurse.Patients().Open(ctx, ps[0].MRN); err != nil || p.Deleted {
		t.Fatalf("b after the restore: %+v, %v", p, err)
	}
}

// firstRecords has s register Mary Achieng and James Otieno (ps, in that
// order) and import a scan.
func firstRecords(t *testing.T, s *app.Session) (ps []app.Patient, imp app.ImportResult) {
	t.Helper()
	ctx := context.Background()
	ps, err := s.Patients().Register(ctx,
		app.Patient{Family: "Achieng", Given: "Mary", Sex: app.SexFemale, Village: "Kisumu", BirthDate: birth(t, "1984-03-02")},
		app.Patient{Family: "Otieno", Given: "James", Sex: app.SexMale, Village: "Siaya", BirthDate: birth(t, "1990")})
	if err != nil {
		t.Fatal(err)
	}
	imp, err = s.Intake().ImportFile(ctx, "linn.png", "test", testkit.Corpus(t, "scans/ocrmypdf__linn.png"))
	if err != nil {
		t.Fatal(err)
	}
	return ps, imp
}

// amendApart amends the patient mrn in two sessions, each on its own
// workstation and before either syncs: sa sets the phone, sb the village.
func amendApart(t *testing.T, sa, sb *app.Session, mrn string) {
	t.Helper()
	amend := func(s *app.Session, change func(*app.Patient)) {
		ctx := context.Background()
		p, err := s.Patients().Open(ctx, mrn)
		if err != nil {
			t.Fatal(err)
		}
		change(&p)
		if _, err := s.Patients().Amend(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	amend(sa, func(p *app.Patient) { p.Phone = "+254 700 000001" })
	amend(sb, func(p *app.Patient) { p.Village = "Bondo" })
}

// twoWards starts an archive with two workstations of it, ward-a and
// ward-b, and creates the organisation's vault on a (firstVault; admin is
// signed in there); b has not joined yet.
func twoWards(t *testing.T) (arc *testArchive, a, b *workstation, admin *app.Session) {
	t.Helper()
	arc = startArchive(t)
	a, b = newWorkstation(t, arc, "ward-a"), newWorkstation(t, arc, "ward-b")
	return arc, a, b, firstVault(t, a)
}

// firstVault creates w's vault, the organisation's first (site WA), with
// admin (adminPW) and the records clerk nurse (nursePW), and signs admin in.
func firstVault(t *testing.T, w *workstation) *app.Session {
	t.Helper()
	ctx := context.Background()
	if _, err := w.prof.Vault.Create(ctx, app.CreateParams{Admin: "admin", Password: []byte(adminPW), SitePrefix: "WA"}); err != nil {
		t.Fatal(err)
	}
	admin := login(t, w, "admin", adminPW)
	if err := admin.Users().Add(ctx, app.User{Name: "nurse", Roles: app.RoleSet{app.RoleRecords}}, []byte(nursePW)); err != nil {
		t.Fatal(err)
	}
	return admin
}
