package storetest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"folio/archive"
	"folio/archive/api"
)

func testBindings(t *testing.T, open Opener) {
	s, reopen := openClosed(t, open)
	ctx := context.Background()
	const a, b = api.DeviceID(0xa1), api.DeviceID(0xb1)
	ward := api.Cert{Serial: "1f", Name: "ward-pc"}
	if err := s.Bind(ctx, api.Binding{Cert: ward, Device: a, Bound: t0}); err != nil {
		t.Fatalf("first binding: %v", err)
	}
	if err := s.Bind(ctx, api.Binding{Cert: ward, Device: a, Bound: t0.Add(time.Hour)}); err != nil {
		t.Fatalf("the same binding again: %v", err)
	}
	if err := s.Bind(ctx, api.Binding{Cert: ward, Device: b, Bound: t0}); !errors.Is(err, api.ErrEnrollmentUsed) || !errors.Is(err, api.ErrForbidden) {
		t.Fatalf("a bound certificate claiming another device: %v, want ErrEnrollmentUsed", err)
	}
	if err := s.Bind(ctx, api.Binding{Cert: api.Cert{Serial: "2f", Name: "front-desk"}, Device: a, Bound: t0}); !errors.Is(err, api.ErrForbidden) {
		t.Fatalf("another workstation's certificate claiming a bound device: %v, want ErrForbidden", err)
	}
	if err := s.Bind(ctx, api.Binding{Cert: api.Cert{Serial: "3f", Name: "ward-pc"}, Device: a, Bound: t0}); err != nil {
		t.Fatalf("a renewed certificate of the same name: %v", err)
	}
	if err := s.Bind(ctx, api.Binding{Cert: api.Cert{Serial: "", Name: "x"}, Device: a}); !errors.Is(err, api.ErrInvalid) {
		t.Fatalf("binding without a serial: %v, want ErrInvalid", err)
	}
	d, err := s.Device(ctx, a)
	if err != nil || d.Name != "ward-pc" {
		t.Fatalf("device after binding: %+v, %v; want the name ward-pc", d, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = reopen(t)
	if err := s.Bind(ctx, api.Binding{Cert: ward, Device: b, Bound: t0}); !errors.Is(err, api.ErrEnrollmentUsed) {
		t.Fatalf("after a restart, a bound certificate claiming another device: %v, want ErrEnrollmentUsed", err)
	}
}

// testEnrollmentDeadline: a certificate's first use must come before its
// EnrollBy; once bound in time, it keeps working after it.
func testEnrollmentDeadline(t *testing.T, open Opener) {
	s, _ := openClosed(t, open)
	ctx := context.Background()
	late := api.Cert{Serial: "4f", Name: "ward-late", EnrollBy: t0}
	err := s.Bind(ctx, api.Binding{Cert: late, Device: 0xc1, Bound: t0.Add(time.Second)})
	if !errors.Is(err, api.ErrEnrollmentExpired) || !errors.Is(err, api.ErrForbidden) {
		t.Fatalf("first use after the deadline: %v, want ErrEnrollmentExpired", err)
	}
	if _, err := s.Device(ctx, 0xc1); !errors.Is(err, api.ErrNotFound) {
		t.Fatalf("a refused binding left a device: %v", err)
	}
	timely := api.Cert{Serial: "5f", Name: "ward-timely", EnrollBy: t0}
	if err := s.Bind(ctx, api.Binding{Cert: timely, Device: 0xc2, Bound: t0.Add(-time.Second)}); err != nil {
		t.Fatalf("first use before the deadline: %v", err)
	}
	if err := s.Bind(ctx, api.Binding{Cert: timely, Device: 0xc2, Bound: t0.Add(time.Hour)}); err != nil {
		t.Fatalf("the same binding after the deadline: %v", err)
	}
}

// testVaultClaims: the first claim makes its vault the organisation's; the
// same vault's devices become members; another vault is refused.
func testVaultClaims(t *testing.T, open Opener) {
	s, reopen := openClosed(t, open)
	ctx := context.Background()
	org, other := bytes.Repeat([]byte{1}, api.VaultKeySize), bytes.Repeat([]byte{2}, api.VaultKeySize)
	if _, err := s.OrgVault(ctx); !errors.Is(err, api.ErrNotFound) {
		t.Fatalf("organisation vault before any claim: %v, want ErrNotFound", err)
	}
	got, err := s.ClaimVault(ctx, 0xa1, org, t0)
	if err != nil || !bytes.Equal(got.PublicKey, org) || got.Device != 0xa1 || !got.Bound.Equal(t0) {
		t.Fatalf("first claim: %+v, %v", got, err)
	}
	if _, err := s.ClaimVault(ctx, 0xb1, other, t0.Add(time.Hour)); !errors.Is(err, api.ErrForeignVault) || !errors.Is(err, api.ErrForbidden) {
		t.Fatalf("another vault's claim: %v, want ErrForeignVault", err)
	}
	if _, err := s.ClaimVault(ctx, 0xa2, org, t0.Add(time.Hour)); err != nil {
		t.Fatalf("a second device of the vault: %v", err)
	}
	if _, err := s.ClaimVault(ctx, 0xa1, org, t0.Add(2*time.Hour)); err != nil {
		t.Fatalf("the same claim again: %v", err)
	}
	if _, err := s.ClaimVault(ctx, 0xa3, []byte("short"), t0); !errors.Is(err, api.ErrInvalid) {
		t.Fatalf("a claim with a malformed key: %v, want ErrInvalid", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = reopen(t)
	for dev, want := range map[api.DeviceID]bool{0xa1: true, 0xa2: true, 0xb1: false, 0xa3: false} {
		if ok, err := s.VaultMember(ctx, dev); err != nil || ok != want {
			t.Errorf("member %s after a restart: %v, %v; want %v", dev, ok, err, want)
		}
	}
	if got, err := s.OrgVault(ctx); err != nil || !bytes.Equal(got.PublicKey, org) || got.Device != 0xa1 {
		t.Fatalf("organisation vault after a restart: %+v, %v", got, err)
	}
}

func testKeyRequests(t *testing.T, open Opener) {
	s, reopen := openClosed(t, open)
	ctx := context.Background()
	const joiner, admin = api.DeviceID(0x10), api.DeviceID(0x20)
	if _, err := s.KeyRequest(ctx, joiner); !errors.Is(err, api.ErrNotFound) {
		t.Fatalf("no request yet: %v, want ErrNotFound", err)
	}
	if _, err := s.GrantKey(ctx, api.KeyGrant{Device: joiner, Grant: []byte("wrapped"), Signature: []byte("sig")}, admin, t0); !errors.Is(err, api.ErrNotFound) {
		t.Fatalf("grant without a request: %v, want ErrNotFound", err)
	}
	req := api.KeyRequest{Device: joiner, Name: "clinic-2", PublicKey: []byte("pub-1"), Requested: t0}
	got, err := s.PutKeyRequest(ctx, req)
	if err != nil || !got.Pending() || !bytes.Equal(got.PublicKey, req.PublicKey) {
		t.Fatalf("put request: %+v, %v", got, err)
	}
	req.PublicKey = []byte("pub-2") // the workstation started over with a new key pair
	if _, err := s.PutKeyRequest(ctx, req); err != nil {
		t.Fatalf("replace a pending request: %v", err)
	}
	list, err := s.KeyRequests(ctx)
	if err != nil || len(list) != 1 || string(list[0].PublicKey) != "pub-2" {
		t.Fatalf("requests: %+v, %v; want the one with pub-2", list, err)
	}
	granted, err := s.GrantKey(ctx, api.KeyGrant{Device: joiner, Grant: []byte("wrapped"), Signature: []byte("sig")}, admin, t0.Add(time.Minute))
	if err != nil || granted.Pending() || granted.GrantedBy != admin || string(granted.Grant) != "wrapped" {
		t.Fatalf("grant: %+v, %v", granted, err)
	}
	if _, err := s.GrantKey(ctx, api.KeyGrant{Device: joiner, Grant: []byte("wrapped"), Signature: []byte("sig")}, admin, t0); err != nil {
		t.Fatalf("the same grant again: %v", err)
	}
	if _, err := s.GrantKey(ctx, api.KeyGrant{Device: joiner, Grant: []byte("other"), Signature: []byte("sig")}, admin, t0); !errors.Is(err, api.ErrConflict) {
		t.Fatalf("a second, different grant: %v, want ErrConflict", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = reopen(t)
	req.PublicKey = []byte("pub-3")
	if _, err := s.PutKeyRequest(ctx, req); !errors.Is(err, api.ErrConflict) {
		t.Fatalf("a new key after the grant: %v, want ErrConflict", err)
	}
	again, err := s.PutKeyRequest(ctx, api.KeyRequest{Device: joiner, Name: "clinic-2", PublicKey: []byte("pub-2"), Requested: t0})
	if err != nil || string(again.Grant) != "wrapped" {
		t.Fatalf("asking again with the granted key: %+v, %v; want the grant", again, err)
	}
	mine, err := s.KeyRequest(ctx, joiner)
	if err != nil || string(mine.Grant) != "wrapped" || string(mine.GrantSignature) != "sig" || !mine.Granted.Equal(t0.Add(time.Minute)) {
		t.Fatalf("request after restart: %+v, %v", mine, err)
	}
}

func testBundleWorkstations(t *testing.T, open Opener) {
	s, reopen := openClosed(t, open)
	ctx := context.Background()
	if _, err := s.BundleWorkstation(ctx, "ward-a"); !errors.Is(err, api.ErrNotFound) {
		t.Fatalf("no bundle yet: %v, want ErrNotFound", err)
	}
	id1, id2 := api.BlobID([]byte("scan 1")), api.BlobID([]byte("scan 2"))
	first := archive.BundleWorkstation{Device: 0xa1, Name: "ward-a", ReplyKey: []byte("reply key 1"), Cursor: 7, Have: []string{id1}, Updated: t0.Add(123456789)}
	if err := s.PutBundleWorkstation(ctx, first); err != nil {
		t.Fatal(err)
	}
	// The same vault's next bundle replaces the first one.
	second := archive.BundleWorkstation{Device: 0xa1, Name: "ward-a", ReplyKey: []byte("reply key 2"), Cursor: 12, Have: []string{id1, id2}, Updated: t0.Add(time.Hour)}
	if err := s.PutBundleWorkstation(ctx, second); err != nil {
		t.Fatal(err)
	}
	// A vault that ward-a's name had before (the workstation was set up
	// again) and an older bundle of it do not hide the newest.
	older := archive.BundleWorkstation{Device: 0xffff_0000_0000_00a2, Name: "ward-a", ReplyKey: []byte("old vault"), Cursor: 3, Updated: t0.Add(-time.Hour)}
	other := archive.BundleWorkstation{Device: 0xb1, Name: "ward-b", ReplyKey: []byte("b's key"), Updated: t0.Add(2 * time.Hour)}
	for _, w := range []archive.BundleWorkstation{older, other} {
		if err := s.PutBundleWorkstation(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	check := func(s archive.Store, when string) {
		t.Helper()
		got, err := s.BundleWorkstation(ctx, "ward-a")
		if err != nil {
			t.Fatalf("%s: %v", when, err)
		}
		if got.Device != second.Device || string(got.ReplyKey) != "reply key 2" || got.Cursor != 12 ||
			!slices.Equal(got.Have, second.Have) || !got.Updated.Equal(second.Updated) {
			t.Fatalf("%s: ward-a's bundle record is %+v, want %+v", when, got, second)
		}
		if got, err := s.BundleWorkstation(ctx, "ward-b"); err != nil || got.Device != other.Device || got.Have != nil {
			t.Fatalf("%s: ward-b's bundle record is %+v, %v; want device %s holding no blobs", when, got, err, other.Device)
		}
	}
	check(s, "after the bundles")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = reopen(t)
	check(s, "after a restart")
	// A vault that moved to an older time (a clock set back) is still found
	// under its own device once it is the newest of its name again.
	older.Updated = t0.Add(3 * time.Hour)
	if err := s.PutBundleWorkstation(ctx, older); err != nil {
		t.Fatal(err)
	}
	if got, err := s.BundleWorkstation(ctx, "ward-a"); err != nil || got.Device != older.Device || string(got.ReplyKey) != "old vault" {
		t.Fatalf("after the other vault's newer bundle: %+v, %v; want device %s", got, err, older.Device)
	}
	for _, bad := range []archive.BundleWorkstation{
		{Name: "ward-c", ReplyKey: []byte("k")},
		{Device: 1, ReplyKey: []byte("k")},
		{Device: 1, Name: "ward-c"},
		{Device: 1, Name: "ward\x00c", ReplyKey: []byte("k")},
		{Device: 1, Name: "ward-c", ReplyKey: []byte("k"), Have: []string{"not-a-blob-id"}},
	} {
		if err := s.PutBundleWorkstation(ctx, bad); !errors.Is(err, api.ErrInvalid) {
			t.Errorf("bundle record %+v: %v, want ErrInvalid", bad, err)
		}
	}
	if _, err := s.BundleWorkstation(ctx, "ward-c"); !errors.Is(err, api.ErrNotFound) {
		t.Fatalf("after refused records: %v, want ErrNotFound", err)
	}
}
