package archive_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"folio/archive"
	"folio/archive/api"
	"folio/endorse"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// signer is a user with a real Ed25519 signing key.
type signer struct {
	name string
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
}

func newSigner(t *testing.T, name string) signer {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return signer{name, priv, pub}
}

func (s signer) cert(admin bool) *endorse.UserCert {
	return &endorse.UserCert{Name: s.name, Key: s.pub, Admin: admin}
}

// endorsedVersion is a version of kind/id over parent, its plaintext data,
// signed by by (with cert, for a user version or a first key).
func endorsedVersion(dev api.DeviceID, kind, id string, hlc uint64, parent api.Version, data string, by signer, cert *endorse.UserCert) api.RecordVersion {
	e := endorse.Sign(by.priv, by.name, cert, kind, id, endorse.Version{HLC: parent.HLC, Device: uint64(parent.Device)}, []byte(data))
	return api.RecordVersion{Kind: kind, ID: id, Version: api.Version{HLC: hlc, Device: dev}, Parent: parent,
		Ciphertext: []byte("sealed " + data), Endorsement: &e}
}

// The archive's server takes users and key slots only as the rules of
// package endorse say: the first administrator certifies themself, then
// only an enabled administrator makes or changes users, and key slots
// come from their user or an administrator. A refused version refuses its
// whole batch (403, nothing stored), and the registry is rebuilt the same
// from the store after a restart.
func TestServerRefusesUnendorsedUsers(t *testing.T) {
	f := newFixture(t)
	admin, clerk := newSigner(t, "admin"), newSigner(t, "clerk")
	// The first administrator and their key slots, in one batch.
	adminV := endorsedVersion(devA, "user", "admin", 10, api.Version{}, "admin's user", admin, admin.cert(true))
	slotsV := endorsedVersion(devA, "keyslots", "admin", 11, api.Version{}, "admin's slots", admin, nil)
	if status, b := f.push(devA, api.PushRequest{Device: devA, Batch: 1, Versions: []api.RecordVersion{adminV, slotsV}}); status != http.StatusOK {
		t.Fatalf("the first administrator: %d %s", status, b)
	}
	// The administrator adds a clerk; the clerk changes their password.
	clerkV := endorsedVersion(devA, "user", "clerk", 12, api.Version{}, "clerk's user", admin, clerk.cert(false))
	if status, b := f.push(devA, api.PushRequest{Device: devA, Batch: 2, Versions: []api.RecordVersion{clerkV}}); status != http.StatusOK {
		t.Fatalf("admin adds a clerk: %d %s", status, b)
	}
	clerkSlots := endorsedVersion(devB, "keyslots", "clerk", 13, api.Version{}, "clerk's slots", clerk, nil)
	if status, b := f.push(devB, api.PushRequest{Device: devB, Batch: 1, Versions: []api.RecordVersion{clerkSlots}}); status != http.StatusOK {
		t.Fatalf("a clerk's own password: %d %s", status, b)
	}
	head := f.head()

	mallory := newSigner(t, "mallory")
	refused := map[string]api.RecordVersion{
		"junk user/admin": {Kind: "user", ID: "admin", Version: api.Version{HLC: 20, Device: devB}, Parent: adminV.Version, Ciphertext: []byte("junk")},
		"a clerk makes an administrator": endorsedVersion(devB, "user", "clerk2", 21, api.Version{}, "clerk2", clerk,
			&endorse.UserCert{Name: "clerk2", Key: mallory.pub, Admin: true}),
		"a clerk raises their own role": endorsedVersion(devB, "user", "clerk", 22, clerkV.Version, "clerk, admin", clerk,
			&endorse.UserCert{Name: "clerk", Key: clerk.pub, Admin: true}),
		"a clerk plants the admin's slots": endorsedVersion(devB, "keyslots", "admin", 23, slotsV.Version, "slots", clerk, nil),
		"a second self-made administrator": endorsedVersion(devB, "user", "mallory", 24, api.Version{}, "mallory", mallory, mallory.cert(true)),
		"a stranger's first key for admin": endorsedVersion(devB, "keyslots", "admin", 25, slotsV.Version, "slots", signer{"admin", mallory.priv, mallory.pub},
			&endorse.UserCert{Name: "admin", Key: mallory.pub}),
		"the recovery slot by a clerk": endorsedVersion(devB, "keyslots", endorse.RecoverySlotsID, 26, api.Version{}, "recovery", clerk, nil),
	}
	batch := uint64(2)
	for name, v := range refused {
		// With an innocent patient version before it: nothing is stored.
		req := api.PushRequest{Device: devB, Batch: batch, Versions: []api.RecordVersion{rv(devB, "p-"+name, 30+batch), v}}
		status, b := f.push(devB, req)
		wantError(t, status, b, http.StatusForbidden, api.CodeForbidden)
		if !strings.Contains(string(b), "not written in the session of a user allowed to write it") {
			t.Errorf("%s: the refusal gives no reason: %s", name, b)
		}
		if got := f.head(); got != head {
			t.Fatalf("%s: the archive's head moved from %d to %d", name, head, got)
		}
		batch++
	}
	// The administrator's later changes still go through.
	adminSlots2 := endorsedVersion(devA, "keyslots", "admin", 40, slotsV.Version, "admin's new password", admin, nil)
	if status, b := f.push(devA, api.PushRequest{Device: devA, Batch: 3, Versions: []api.RecordVersion{adminSlots2, adminV}}); status != http.StatusOK {
		t.Fatalf("the administrator's password change (with a version held already): %d %s", status, b)
	}

	// After a restart the registry is what it was.
	s, err := archive.NewSigners(context.Background(), f.store, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Registered(context.Background())
	if err != nil || len(got) != 2 || got[0].Name != "admin" || !got[0].Admin || !bytes.Equal(got[0].Key, admin.pub) ||
		got[1].Name != "clerk" || got[1].Admin || !bytes.Equal(got[1].Key, clerk.pub) {
		t.Fatalf("registered after a restart: %+v, %v", got, err)
	}
	_, err = s.Push(context.Background(), api.PushRequest{Device: devB, Batch: 50, Versions: []api.RecordVersion{refused["a clerk makes an administrator"]}}, t0)
	if !errors.Is(err, api.ErrForbidden) || !strings.Contains(err.Error(), "clerk is not an administrator") {
		t.Fatalf("after a restart, a clerk's administrator: %v", err)
	}
}

// Versions stored before endorsements existed grant nothing: on such an
// archive the first administrator to sign in certifies themself.
func TestSignersOverOlderArchive(t *testing.T) {
	f := newFixture(t)
	old := api.RecordVersion{Kind: "user", ID: "admin", Version: api.Version{HLC: 5, Device: devA}, Ciphertext: []byte("old admin")}
	if _, err := f.store.Push(context.Background(), api.PushRequest{Device: devA, Batch: 1, Versions: []api.RecordVersion{old}}, t0); err != nil {
		t.Fatal(err)
	}
	admin := newSigner(t, "admin")
	v := endorsedVersion(devA, "user", "admin", 6, old.Version, "admin", admin, admin.cert(true))
	if status, b := f.push(devA, api.PushRequest{Device: devA, Batch: 2, Versions: []api.RecordVersion{v}}); status != http.StatusOK {
		t.Fatalf("the first administrator over an older archive: %d %s", status, b)
	}
}

// A refused batch names every version the rules refuse, in a header a
// workstation reads (api.HeaderRefused), so it sets those aside and sends
// the rest; the body stays the ErrorBody older workstations read.
func TestServerNamesRefusedVersions(t *testing.T) {
	f := newFixture(t)
	admin, clerk := newSigner(t, "admin"), newSigner(t, "clerk")
	adminV := endorsedVersion(devA, "user", "admin", 10, api.Version{}, "admin's user", admin, admin.cert(true))
	clerkV := endorsedVersion(devA, "user", "clerk", 11, api.Version{}, "clerk's user", admin, clerk.cert(false))
	if status, b := f.push(devA, api.PushRequest{Device: devA, Batch: 1, Versions: []api.RecordVersion{adminV, clerkV}}); status != http.StatusOK {
		t.Fatalf("the first administrator and a clerk: %d %s", status, b)
	}
	// A reset with the recovery key: the clerk certifies a new key of theirs.
	fresh := newSigner(t, "clerk")
	reset := endorsedVersion(devB, "user", "clerk", 20, clerkV.Version, "clerk, new key", fresh, fresh.cert(false))
	slots := endorsedVersion(devB, "keyslots", "clerk", 21, api.Version{}, "clerk's new slots", fresh, nil)
	req := api.PushRequest{Device: devB, Batch: 1, Versions: []api.RecordVersion{rv(devB, "p1", 19), reset, rv(devB, "p2", 22), slots}}
	body, _ := json.Marshal(req)
	f.member(devB)
	hreq, _ := http.NewRequest(http.MethodPost, f.srv.URL+api.PathPush, bytes.NewReader(body))
	hreq.Header.Set(headerDevice, devB.String())
	resp, err := f.srv.Client().Do(hreq)
	if err != nil {
		t.Fatal(err)
	}
	e := api.DecodeErrorResponse(resp)
	resp.Body.Close()
	if e.Status != http.StatusForbidden || e.Code != api.CodeForbidden || !errors.Is(e, api.ErrForbidden) {
		t.Fatalf("the batch with a self-certified reset: %d %s %s", e.Status, e.Code, e.Message)
	}
	if len(e.Refused) != 2 || e.Refused[0].Index != 1 || e.Refused[0].Kind != "user" || e.Refused[0].ID != "clerk" || e.Refused[0].Version != reset.Version ||
		e.Refused[1].Index != 3 || e.Refused[1].Kind != "keyslots" || e.Refused[1].Version != slots.Version ||
		!strings.Contains(e.Refused[0].Reason, "does not verify") {
		t.Fatalf("the refused versions named: %+v", e.Refused)
	}
	// Without them the batch goes through.
	req.Versions = []api.RecordVersion{req.Versions[0], req.Versions[2]}
	if status, b := f.push(devB, req); status != http.StatusOK {
		t.Fatalf("the batch without the refused versions: %d %s", status, b)
	}
	// An answer without the header, or with one that does not read,
	// is a plain refusal.
	if rs := api.DecodeRefused(`[{"index":"x"}]`); rs != nil {
		t.Fatalf("a damaged header read as %+v", rs)
	}
}
