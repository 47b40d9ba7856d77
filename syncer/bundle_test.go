package syncer_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"folio/app"
	"folio/archive"
	"folio/archive/api"
	"folio/archive/archivetest"
	"folio/archive/bundle"
	"folio/archive/pki"
	"folio/syncer"
)

// bundleSite is an archive that takes bundles: its PKI folder, a store
// and archivetest's bundle key and parameters (Reply imports a bundle and
// writes the reply).
type bundleSite struct {
	dir   string
	store archive.Store
	*archivetest.Bundles
}

func newBundleSite(t *testing.T, dir string, store archive.Store) *bundleSite {
	t.Helper()
	return &bundleSite{dir: dir, store: store, Bundles: archivetest.NewBundles(t, dir, store)}
}

// onlineSite is a bundle site at a running archive server (startArchive),
// so that its workstations may sync online too.
func onlineSite(t *testing.T) (*bundleSite, *testArchive) {
	t.Helper()
	arc := startArchive(t)
	return newBundleSite(t, arc.Dir, arc.Store), arc
}

// offlineSite is a bundle site with its own embedded store and no server.
func offlineSite(t *testing.T, org string) (*bundleSite, *testArchive) {
	t.Helper()
	arc := archivetest.Offline(t, archivetest.Options{Org: org})
	return newBundleSite(t, arc.Dir, arc.Store), &testArchive{Archive: arc}
}

// station enrolls a workstation with the site's bundle key in its file.
func (s *bundleSite) station(t *testing.T, arc *testArchive, name string) *workstation {
	w := newWorkstation(t, arc, name)
	w.enr.BundleKey = s.Pub
	return w
}

func bundleEngine(w *workstation, s *app.Session) *syncer.Engine {
	return syncer.New(syncer.Params{DB: w.prof.DB, Blobs: w.prof.Blobs, Session: s.Replica()})
}

// export writes w's export bundle and returns its path.
func export(t *testing.T, w *workstation, s *app.Session, all bool) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "export.bundle")
	if _, err := bundleEngine(w, s).Bundles().Export(context.Background(), path, w.enr, all); err != nil {
		t.Fatalf("export: %v", err)
	}
	return path
}

func importReply(t *testing.T, w *workstation, s *app.Session, path string) syncer.ImportReport {
	t.Helper()
	rep, err := bundleEngine(w, s).Bundles().Import(context.Background(), path, w.enr)
	if err != nil {
		t.Fatalf("import reply: %v", err)
	}
	return rep
}

// lap is one trip of the USB stick: export, import at the archive, reply
// imported.
func (s *bundleSite) lap(t *testing.T, w *workstation, sess *app.Session) syncer.ImportReport {
	t.Helper()
	reply, err := s.Reply(t, export(t, w, sess, false))
	if err != nil {
		t.Fatalf("archive import: %v", err)
	}
	return importReply(t, w, sess, reply)
}

func head(t *testing.T, st archive.Store) uint64 {
	m, err := st.Metrics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return m.Head
}

func pending(t *testing.T, w *workstation) int {
	n, err := w.prof.DB.Oplog().PendingCount(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func blobSet(t *testing.T, w *workstation) []string {
	var ids []string
	for id, err := range w.prof.Blobs.List(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// offlineOrg makes a's vault (admin, nurse, two patients, a scan) and b
// joined to it, without any network: the vault keys go from a to b as the
// approval would carry them.
func offlineOrg(t *testing.T, site *bundleSite, arc *testArchive) (a, b *workstation, admin *app.Session, ps []app.Patient) {
	t.Helper()
	a = site.station(t, arc, "ward-a")
	b = site.station(t, arc, "ward-b")
	admin = firstVault(t, a)
	ps, _ = firstRecords(t, admin)
	return a, b, admin, ps
}

// joinOffline gives b the vault keys of a (what 'folio sync approve'
// carries), b's first session syncs by bundle, and the nurse signs in.
func joinOffline(t *testing.T, site *bundleSite, a *workstation, admin *app.Session, b *workstation) *app.Session {
	t.Helper()
	ctx := context.Background()
	req, err := b.prof.Vault.PrepareJoin(ctx, "nurse", []byte(nursePW))
	if err != nil {
		t.Fatal(err)
	}
	grant, err := admin.Replica().GrantVaultKeys(ctx, app.DeviceID(b.prof.DB.DeviceID()), "ward-b", req.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	vault, err := admin.Replica().VaultIdentity()
	if err != nil {
		t.Fatal(err)
	}
	first, err := b.prof.Vault.CompleteJoin(ctx, []byte(nursePW), app.VaultGrant{Keys: grant, Vault: vault})
	if err != nil {
		t.Fatal(err)
	}
	site.lap(t, b, first)
	first.Lock(ctx)
	return login(t, b, "nurse", nursePW)
}

func TestBundleTwoWorkstationsConverge(t *testing.T) {
	ctx := context.Background()
	site, arc := offlineSite(t, "Test Health District")
	a, b, admin, ps := offlineOrg(t, site, arc)
	if pending(t, a) == 0 {
		t.Fatal("a has nothing pending before its export")
	}

	// a's first lap: everything confirmed, nothing pending.
	exp := export(t, a, admin, false)
	reply, err := site.Reply(t, exp)
	if err != nil {
		t.Fatalf("archive import: %v", err)
	}
	if pending(t, a) == 0 {
		t.Fatal("exporting acknowledged the oplog; only the archive's confirmation may")
	}
	rep := importReply(t, a, admin, reply)
	if n := pending(t, a); n != 0 || rep.Acked == 0 || rep.AuditHeld == 0 {
		t.Fatalf("after a's reply: %d pending, report %s", n, rep)
	}
	if cs, ok, _ := syncer.Countersignature(ctx, a.prof.DB.Meta()); !ok || cs.Seq != rep.AuditHeld {
		t.Fatalf("countersignature after the reply: %+v %v, audit held %d", cs, ok, rep.AuditHeld)
	}
	h1 := head(t, site.store)
	if h1 == 0 {
		t.Fatal("the archive holds nothing after the import")
	}

	// The same bundle again at the archive, and the same reply again at
	// the workstation: no effect, and the second reply is valid too.
	reply2, err := site.Reply(t, exp)
	if err != nil {
		t.Fatalf("second import of the same bundle: %v", err)
	}
	if h := head(t, site.store); h != h1 {
		t.Fatalf("a second import moved the archive's head from %d to %d", h1, h)
	}
	before := blobSet(t, a)
	for _, r := range []string{reply, reply2} {
		rep := importReply(t, a, admin, r)
		if rep.Pulled != 0 || rep.BlobsDown != 0 || pending(t, a) != 0 {
			t.Fatalf("a reply imported again did something: %s", rep)
		}
	}
	if !slices.Equal(before, blobSet(t, a)) {
		t.Fatal("a's blobs changed on a repeated import")
	}

	// b joins and takes in a's work; its scans come on the next lap (b
	// learns their manifests from the first reply).
	nurse := joinOffline(t, site, a, admin, b)
	site.lap(t, b, nurse)
	ms, err := nurse.Patients().Search(ctx, "achieng", 10)
	if err != nil || len(ms) != 1 || ms[0].Patient.ID != ps[0].ID {
		t.Fatalf("b searching achieng: %+v, %v", ms, err)
	}
	if got, want := blobSet(t, b), blobSet(t, a); !slices.Equal(got, want) {
		t.Fatalf("b's blobs %v, a's %v", got, want)
	}

	// Both amend the same patient offline; the laps converge with the
	// conflict kept on both.
	amendApart(t, admin, nurse, ps[1].MRN)
	site.lap(t, a, admin)
	site.lap(t, b, nurse)
	site.lap(t, a, admin)
	ca, _ := a.prof.DB.Replica().Conflicts(ctx)
	cb, _ := b.prof.DB.Replica().Conflicts(ctx)
	if len(ca) != 1 || len(cb) != 1 {
		t.Fatalf("conflicts: a %v, b %v; want the amended patient on both", ca, cb)
	}
	for _, p := range ps {
		ha, _ := admin.Patients().Open(ctx, p.MRN)
		hb, _ := nurse.Patients().Open(ctx, p.MRN)
		if ha.Version != hb.Version {
			t.Fatalf("patient %s: a shows %s, b %s", p.MRN, ha.Version, hb.Version)
		}
	}
	if pending(t, a) != 0 || pending(t, b) != 0 {
		t.Fatalf("pending after the laps: a %d, b %d", pending(t, a), pending(t, b))
	}
	if !slices.Equal(blobSet(t, a), blobSet(t, b)) {
		t.Fatal("a and b hold different blobs")
	}
}

// A bundle imported at the archive, then the workstation syncs online
// before the reply arrives; the late reply is harmless. And the other way
// round: exported, synced online, then the bundle reaches the archive.
func TestBundleMixedWithOnlineSync(t *testing.T) {
	ctx := context.Background()
	site, arc := onlineSite(t)
	a, _, admin, ps := offlineOrg(t, site, arc)

	reply, err := site.Reply(t, export(t, a, admin, false))
	if err != nil {
		t.Fatal(err)
	}
	h1 := head(t, arc.Store)
	rep := a.round(t, admin)
	if rep.Pushed != 0 || pending(t, a) != 0 {
		t.Fatalf("online round after the bundle's import stored new versions: %s", rep)
	}
	if h := head(t, arc.Store); h != h1 {
		t.Fatalf("the online round moved the head from %d to %d: duplicates", h1, h)
	}
	late := importReply(t, a, admin, reply)
	if late.Pulled != 0 || pending(t, a) != 0 {
		t.Fatalf("the late reply: %s", late)
	}

	// Exported, then synced online, then the bundle reaches the archive.
	pa, _ := admin.Patients().Open(ctx, ps[0].MRN)
	pa.Phone = "+254 700 000002"
	if _, err := admin.Patients().Amend(ctx, pa); err != nil {
		t.Fatal(err)
	}
	exp := export(t, a, admin, false)
	a.round(t, admin)
	h2 := head(t, arc.Store)
	reply, err = site.Reply(t, exp)
	if err != nil {
		t.Fatalf("a bundle whose content went online first: %v", err)
	}
	if h := head(t, arc.Store); h != h2 {
		t.Fatalf("importing the bundle after the online round moved the head from %d to %d", h2, h)
	}
	importReply(t, a, admin, reply)
	a.round(t, admin)
	vs, err := arc.Store.Versions(ctx, string(app.KindPatient), ps[0].ID)
	if err != nil || len(vs) != 2 {
		t.Fatalf("versions of the amended patient at the archive: %d, %v; want 2", len(vs), err)
	}
}

func TestBundleRefusals(t *testing.T) {
	ctx := context.Background()
	site, arc := offlineSite(t, "Test Health District")
	a, b, admin, _ := offlineOrg(t, site, arc)
	site.lap(t, a, admin)
	nurse := joinOffline(t, site, a, admin, b)
	exp := export(t, a, admin, false)
	good, err := os.ReadFile(exp)
	if err != nil {
		t.Fatal(err)
	}
	write := func(b []byte) string {
		p := filepath.Join(t.TempDir(), "x.bundle")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tampered := slices.Clone(good)
	tampered[len(good)/2] ^= 1
	h0 := head(t, site.store)

	// Another organisation's archive and workstation.
	other, otherArc := offlineSite(t, "Other District")
	stranger := other.station(t, otherArc, "ward-a")
	if _, err := stranger.prof.Vault.Create(ctx, app.CreateParams{Admin: "admin", Password: []byte(adminPW), SitePrefix: "OD"}); err != nil {
		t.Fatal(err)
	}
	strangerAdmin := login(t, stranger, "admin", adminPW)
	strangerExport := export(t, stranger, strangerAdmin, false)
	stranger.enr.BundleKey = site.Pub // even encrypted to this archive
	strangerExport2 := export(t, stranger, strangerAdmin, true)

	// A vault of its own enrolled with this archive (a lost enrollment
	// file), by bundle: not the organisation's vault.
	finder := site.station(t, arc, "ward-lost")
	if _, err := finder.prof.Vault.Create(ctx, app.CreateParams{Admin: "admin", Password: []byte(adminPW), SitePrefix: "LF"}); err != nil {
		t.Fatal(err)
	}
	finderExport := export(t, finder, login(t, finder, "admin", adminPW), false)

	for _, c := range []struct {
		name string
		path string
		want error
	}{
		{"tampered byte", write(tampered), bundle.ErrDamaged},
		{"truncated", write(good[:len(good)-100]), bundle.ErrDamaged},
		{"random file", write([]byte("%PDF-1.7 not a bundle at all")), bundle.ErrNotBundle},
		{"another org", strangerExport, bundle.ErrNotForUs},
		{"another org, this archive's key", strangerExport2, bundle.ErrNotForUs},
		{"another vault of this org", finderExport, api.ErrForeignVault},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := site.Reply(t, c.path); !errors.Is(err, c.want) {
				t.Fatalf("import: %v, want %v", err, c.want)
			}
			if h := head(t, site.store); h != h0 {
				t.Fatalf("a refused bundle moved the head from %d to %d", h0, h)
			}
		})
	}

	// A reply for b imported on a; a damaged reply; an export imported on
	// a workstation: refused, nothing changed.
	replyB, err := site.Reply(t, export(t, b, nurse, false))
	if err != nil {
		t.Fatal(err)
	}
	replyA, err := site.Reply(t, exp)
	if err != nil {
		t.Fatal(err)
	}
	rb, _ := os.ReadFile(replyA)
	rb[len(rb)/3] ^= 0x40
	n0 := pending(t, a)
	for _, c := range []struct {
		name string
		path string
		want error
	}{
		{"reply for b on a", replyB, bundle.ErrNotForUs},
		{"damaged reply", write(rb), bundle.ErrDamaged},
		{"an export on a workstation", exp, bundle.ErrNotForUs},
		{"cut reply", write(rb[:len(rb)/2]), bundle.ErrDamaged},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := bundleEngine(a, admin).Bundles().Import(ctx, c.path, a.enr)
			if !errors.Is(err, c.want) {
				t.Fatalf("import: %v, want %v", err, c.want)
			}
			if n := pending(t, a); n != n0 {
				t.Fatalf("a refused reply changed the pending count from %d to %d", n0, n)
			}
		})
	}

	// A revoked workstation's bundle.
	if _, err := pki.Revoke(site.dir, "ward-a"); err != nil {
		t.Fatal(err)
	}
	h1 := head(t, site.store)
	if _, err := site.Reply(t, exp); !errors.Is(err, api.ErrForbidden) {
		t.Fatalf("a revoked workstation's bundle: %v, want ErrForbidden", err)
	}
	if h := head(t, site.store); h != h1 {
		t.Fatal("a revoked workstation's bundle moved the head")
	}
}

// The online push and the bundle export cut batches alike (one function):
// the same pending versions make as many batches of Params.PushVersions
// each way.
func TestBundleCutsBatchesAsPush(t *testing.T) {
	ctx := context.Background()
	site, arc := onlineSite(t)
	a, _, admin, _ := offlineOrg(t, site, arc)
	var ps []app.Patient
	for i := range 13 {
		ps = append(ps, app.Patient{Family: fmt.Sprintf("Batch%02d", i), Given: "Cut", Sex: app.SexFemale, BirthDate: birth(t, "1975"), Village: "Bondo"})
	}
	if _, err := admin.Patients().Register(ctx, ps...); err != nil {
		t.Fatal(err)
	}
	const per = 4
	c := a.client(t, syncer.ClientOptions{})
	eng := syncer.New(syncer.Params{DB: a.prof.DB, Blobs: a.prof.Blobs, Session: admin.Replica(), Client: c, PushVersions: per})
	exp, err := eng.Bundles().Export(ctx, filepath.Join(t.TempDir(), "export.bundle"), a.enr, false)
	if err != nil {
		t.Fatal(err)
	}
	if want := (exp.Versions + per - 1) / per; exp.Versions < 13 || exp.Batches != want {
		t.Fatalf("the export cut %d versions into %d batches; want %d of at most %d", exp.Versions, exp.Batches, want, per)
	}
	// Not confirmed by the archive, the same versions go online, in
	// batches numbered after the export's.
	rep, err := eng.Round(ctx)
	if err != nil {
		t.Fatalf("round: %v (%s)", err, rep)
	}
	info, err := c.Device(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Pushed != exp.Versions || info.LastBatch != uint64(2*exp.Batches) {
		t.Fatalf("online: %d versions, the archive's last batch %d; want %d versions in batches %d to %d",
			rep.Pushed, info.LastBatch, exp.Versions, exp.Batches+1, 2*exp.Batches)
	}
}
