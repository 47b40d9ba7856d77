package syncer_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"folio/app"
	"folio/archive/api"
	"folio/archive/boltstore"
	"folio/archive/pki"
	"folio/crypto"
	"folio/syncer"
)

// TestAttackLostEnrollmentFile is issue 12's first attack, against the
// real folio-archive server: whoever finds an unused enrollment file makes
// a vault of their own, enrolls it, and waits for the next workstation to
// ask for the vault keys, to hand it their own keys (and so read the
// patients it registers). The archive serves one vault — the first one
// shown to it — so the finder's vault is refused, cannot see or answer
// requests, and pushes nothing; a grant the finder slipped past the
// archive (its store altered) is refused by the joining workstation; the
// real administrator's approval still goes through.
func TestAttackLostEnrollmentFile(t *testing.T) {
	ctx := context.Background()
	arc := startSecArchive(t, "Lake Health District")
	mon := arc.monitor(t)
	a := arc.station(t, "ward-a")
	admin := firstVault(t, a)
	a.round(t, admin) // the organisation's vault is shown to the archive first
	ca := a.client(t, syncer.ClientOptions{})
	orgID, err := admin.Replica().VaultIdentity()
	if err != nil {
		t.Fatal(err)
	}
	lost := arc.station(t, "ward-c") // the file on the lost stick
	d := arc.station(t, "ward-d")    // the next workstation to join
	e := arc.station(t, "ward-e")

	// The finder makes a vault of their own and enrolls it with the file.
	thief := newVault(t, lost, "TF")
	tc := lost.client(t, syncer.ClientOptions{})
	_, err = syncer.ShowVault(ctx, lost.prof.DB, tc, thief.Replica())
	if !errors.Is(err, api.ErrForeignVault) {
		t.Fatalf("the finder's vault shown to the archive: %v, want ErrForeignVault", err)
	}
	wantWords(t, "the refusal", err.Error(), "organisation's vault "+api.VaultFingerprint(orgID), "another one", "folio init --join")
	if m, err := mon.Metrics(ctx); err != nil || m.Vault == nil || !bytes.Equal(m.Vault.PublicKey, orgID) {
		t.Fatalf("the archive's metrics name the vault %+v, %v; want the organisation's", m.Vault, err)
	}
	checkRefusedRound(t, mon, lost, thief, tc, "organisation's vault", "another one")

	// ward-d asks for the keys; the finder neither sees nor answers it.
	joinD, dc := d.askForKeys(t, "nurse")
	if reqs, err := tc.KeyRequests(ctx); !errors.Is(err, api.ErrNotMember) {
		t.Fatalf("the finder lists the key requests: %+v, %v; want ErrNotMember", reqs, err)
	}
	devD := api.DeviceID(d.prof.DB.DeviceID())
	reqD := api.KeyRequest{Device: devD, Name: "ward-d", PublicKey: joinD.PublicKey}
	if _, err := syncer.SendGrant(ctx, tc, thief.Replica(), reqD); !errors.Is(err, api.ErrForbidden) {
		t.Fatalf("the finder's grant: %v, want it refused", err)
	}
	if g, err := syncer.ReceiveGrant(ctx, dc, joinD.PublicKey, nil); err != nil || g != nil {
		t.Fatalf("ward-d after the finder's attempt: %+v, %v; want still waiting", g, err)
	}

	// The administrator approves only with the fingerprint ward-d shows.
	if _, err := syncer.Approve(ctx, ca, admin.Replica(), "ward-d", "", crypto.JoinFingerprint); !errors.Is(err, syncer.ErrNoFingerprint) {
		t.Fatalf("approve without a fingerprint: %v, want ErrNoFingerprint", err)
	}
	if _, err := syncer.Approve(ctx, ca, admin.Replica(), "ward-d", "0000-0000-0000-0000-0000", crypto.JoinFingerprint); !errors.Is(err, syncer.ErrFingerprintMismatch) {
		t.Fatalf("approve with another fingerprint: %v, want ErrFingerprintMismatch", err)
	}
	if _, err := syncer.Approve(ctx, ca, admin.Replica(), "ward-d", joinD.Fingerprint, crypto.JoinFingerprint); err != nil {
		t.Fatalf("the administrator's approval: %v", err)
	}
	grant, err := syncer.ReceiveGrant(ctx, dc, joinD.PublicKey, nil)
	if err != nil || grant == nil || !bytes.Equal(grant.Vault, orgID) {
		t.Fatalf("ward-d's grant: %+v, %v; want the organisation vault's", grant, err)
	}
	first, err := d.prof.Vault.CompleteJoin(ctx, []byte(nursePW), *grant)
	if err != nil {
		t.Fatal(err)
	}
	d.round(t, first)
	first.Lock(ctx)
	nurse := login(t, d, "nurse", nursePW)
	ps, err := nurse.Patients().Register(ctx, app.Patient{Family: "Achieng", Given: "Mary", Sex: app.SexFemale, Village: "Homa Bay", BirthDate: birth(t, "1983")})
	if err != nil {
		t.Fatal(err)
	}
	d.round(t, nurse)
	if rep := a.round(t, admin); rep.Pulled == 0 {
		t.Fatalf("ward-a did not receive ward-d's patient: %s", rep)
	}
	if _, err := admin.Patients().Open(ctx, ps[0].MRN); err != nil {
		t.Fatalf("ward-d's patient on ward-a: %v", err)
	}
	// The finder pulls nothing.
	if _, err := tc.Pull(ctx, 0, 100); !errors.Is(err, api.ErrNotMember) {
		t.Fatalf("the finder pulls: %v, want ErrNotMember", err)
	}

	// An archive whose store was altered to keep the finder's grant for
	// ward-e: ward-e refuses it, and keys of another vault never install.
	joinE, ec := e.askForKeys(t, "midwife")
	devE := api.DeviceID(e.prof.DB.DeviceID())
	thiefKeys, err := thief.Replica().GrantVaultKeys(ctx, app.DeviceID(devE), "ward-e", joinE.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	_, thiefSig, err := thief.Replica().SignVaultStatement(api.GrantMessage(devE, joinE.PublicKey, thiefKeys))
	if err != nil {
		t.Fatal(err)
	}
	arc.stop(t)
	st, err := boltstore.Open(filepath.Join(arc.dir, "store"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.GrantKey(ctx, api.KeyGrant{Device: devE, Grant: thiefKeys, Signature: thiefSig}, api.DeviceID(lost.prof.DB.DeviceID()), time.Now()); err != nil {
		t.Fatal(err)
	}
	st.Close()
	arc.serve(t)
	if g, err := syncer.ReceiveGrant(ctx, ec, joinE.PublicKey, nil); !errors.Is(err, app.ErrForeignVault) {
		t.Fatalf("ward-e took the finder's grant from the archive: %+v, %v; want ErrForeignVault", g, err)
	}
	_, err = e.prof.Vault.CompleteJoin(ctx, []byte(nursePW), app.VaultGrant{Keys: thiefKeys, Vault: orgID})
	if !errors.Is(err, app.ErrForeignVault) {
		t.Fatalf("ward-e installs the finder's keys: %v, want ErrForeignVault", err)
	}
	if _, waiting, err := e.prof.Vault.JoinPending(ctx); err != nil || !waiting {
		t.Fatalf("ward-e after refusing the finder's keys: waiting %v, %v; want still waiting", waiting, err)
	}
}

// TestAttackEnrollmentFileReused: an enrollment file works once. A second
// vault using a file another vault used is refused, and says why.
func TestAttackEnrollmentFileReused(t *testing.T) {
	ctx := context.Background()
	arc := startSecArchive(t, "Lake Health District")
	a := arc.station(t, "ward-a")
	admin := firstVault(t, a)
	a.round(t, admin)

	copyOfA := arc.station(t, "unused")
	copyOfA.enr = a.enr // the same file, used again by another vault
	s := newVault(t, copyOfA, "WX")
	_, err := copyOfA.client(t, syncer.ClientOptions{}).Device(ctx)
	if !errors.Is(err, api.ErrEnrollmentUsed) {
		t.Fatalf("a used enrollment file again: %v, want ErrEnrollmentUsed", err)
	}
	wantWords(t, "the refusal", err.Error(), "already used by another vault", "works once", "new one")
	checkRefusedRound(t, arc.monitor(t), copyOfA, s, copyOfA.client(t, syncer.ClientOptions{}), "already used", "works once")
}

// TestAttackExpiredEnrollmentFile: an enrollment file not used within its
// validity ('device add --valid') is refused by the archive at its first
// use, and by a workstation before it keeps it; one used in time keeps
// working after its deadline.
func TestAttackExpiredEnrollmentFile(t *testing.T) {
	ctx := context.Background()
	arc := startSecArchive(t, "Lake Health District")
	dir := t.TempDir()
	for _, name := range []string{"ward-b", "ward-c"} {
		out := arc.command(t, "device", "add", "--name", name, "--out", filepath.Join(dir, name+".enroll"), "--address", arc.addr, "--valid", "24h")
		wantWords(t, "device add", out, "use it by", "(once)")
	}
	read := func(name string) *pki.Enrollment {
		e, err := pki.ReadEnrollment(filepath.Join(dir, name+".enroll"))
		if err != nil {
			t.Fatal(err)
		}
		if by := e.EnrollBy(); by.Before(time.Now().Add(23*time.Hour)) || by.After(time.Now().Add(24*time.Hour)) {
			t.Fatalf("%s: enroll by %v, want in 24 hours", name, by)
		}
		return e
	}
	late, timely := arc.station(t, "unused-b"), arc.station(t, "unused-c")
	late.enr, timely.enr = read("ward-b"), read("ward-c")
	if _, err := timely.client(t, syncer.ClientOptions{}).Device(ctx); err != nil {
		t.Fatalf("first use in time: %v", err)
	}

	arc.ahead.Store(int64(25 * time.Hour))
	_, err := late.client(t, syncer.ClientOptions{}).Device(ctx)
	if !errors.Is(err, api.ErrEnrollmentExpired) {
		t.Fatalf("first use after the deadline: %v, want ErrEnrollmentExpired", err)
	}
	wantWords(t, "the refusal", err.Error(), "expired", "before it was first used", "folio-archive device add")
	s := newVault(t, late, "WB")
	checkRefusedRound(t, arc.monitor(t), late, s, late.client(t, syncer.ClientOptions{}), "expired", "new one")
	if _, err := timely.client(t, syncer.ClientOptions{}).Device(ctx); err != nil {
		t.Fatalf("a file used in time, after its deadline: %v", err)
	}

	// The workstation's own check, as 'folio sync enroll', 'folio init
	// --join' and the window make it (syncer.SaveEnrollment) a day later.
	if err := late.enr.CheckFresh(time.Now().Add(25 * time.Hour)); !errors.Is(err, pki.ErrEnrollmentExpired) {
		t.Fatalf("the workstation's check a day later: %v, want pki.ErrEnrollmentExpired", err)
	}
	if err := late.enr.CheckFresh(time.Now()); err != nil {
		t.Fatalf("the workstation's check in time: %v", err)
	}
	if err := syncer.SaveEnrollment(late.prof.Dir, late.enr); err != nil || !syncer.Enrolled(late.prof.Dir) {
		t.Fatalf("keep a fresh enrollment: %v", err)
	}
}

// TestClaimShownAgainToANewStore: an archive whose store was set up anew
// (the same organisation and certificates, an empty store) no longer knows
// the workstation's vault; the round that meets the refusal forgets that it
// showed it, and the next one shows it again (what that round then says of
// an archive that lost its changes is another matter: its pull cursor).
func TestClaimShownAgainToANewStore(t *testing.T) {
	ctx := context.Background()
	arc := startSecArchive(t, "Lake Health District")
	a := arc.station(t, "ward-a")
	admin := firstVault(t, a)
	a.round(t, admin)
	arc.stop(t)
	if err := os.RemoveAll(filepath.Join(arc.dir, "store")); err != nil {
		t.Fatal(err)
	}
	arc.serve(t)
	// The archive binds the certificate again at the first request; the
	// round's push is refused: the claim is not known there.
	eng := a.engine(t, admin, a.client(t, syncer.ClientOptions{}))
	if _, err := eng.Round(ctx); !errors.Is(err, api.ErrNotMember) {
		t.Fatalf("first round against the new store: %v, want ErrNotMember", err)
	}
	if _, err := eng.Round(ctx); errors.Is(err, api.ErrNotMember) {
		t.Fatalf("the next round: %v; want the vault shown again", err)
	}
	id, err := admin.Replica().VaultIdentity()
	if err != nil {
		t.Fatal(err)
	}
	if m, err := arc.monitor(t).Metrics(ctx); err != nil || m.Vault == nil || !bytes.Equal(m.Vault.PublicKey, id) {
		t.Fatalf("the new store's vault: %+v, %v; want this one", m.Vault, err)
	}
}
