package archive_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"folio/archive/api"
	"folio/archive/storetest"
)

func (f *fixture) send(dev api.DeviceID, method, path string, v any) (int, []byte) {
	f.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		f.t.Fatal(err)
	}
	return f.do(dev, method, path, bytes.NewReader(b), nil)
}

func wantRefused(t *testing.T, what string, status int, body []byte, code string) {
	t.Helper()
	var e api.ErrorBody
	if status != http.StatusForbidden || json.Unmarshal(body, &e) != nil || e.Code != code {
		t.Fatalf("%s: %d %s, want 403 %s", what, status, body, code)
	}
}

// TestVaultMembers: the archive takes records, pulls, blobs and key grants
// only from workstations that showed it the organisation's vault (the
// first vault shown), and keeps a grant only when that vault signed it.
func TestVaultMembers(t *testing.T) {
	f := newFixture(t)
	f.strict = true
	org, other := storetest.NewVaultKey(t), storetest.NewVaultKey(t)
	const devA, devB, devC = api.DeviceID(0xa), api.DeviceID(0xb), api.DeviceID(0xc)

	status, body := f.push(devA, api.PushRequest{Device: devA, Batch: 1, Versions: []api.RecordVersion{rv(devA, "p1", 10)}})
	wantRefused(t, "a push before the vault was shown", status, body, api.CodeNotMember)
	status, body = f.do(devA, http.MethodGet, api.PathChanges, nil, nil)
	wantRefused(t, "a pull before the vault was shown", status, body, api.CodeNotMember)
	if status, body := f.do(devA, http.MethodGet, api.PathVault, nil, nil); status != http.StatusNotFound {
		t.Fatalf("the vault before any claim: %d %s, want 404", status, body)
	}

	status, body = f.send(devA, http.MethodPost, api.PathVaultClaim, api.VaultClaim{PublicKey: org.Public(), Signature: org.Sign(api.VaultClaimMessage(devB))})
	if status != http.StatusForbidden {
		t.Fatalf("a claim signed for another device: %d %s, want 403", status, body)
	}
	status, body = f.send(devA, http.MethodPost, api.PathVaultClaim, api.VaultClaim{PublicKey: org.Public(), Signature: org.Sign(api.VaultClaimMessage(devA))})
	got, err := api.DecodeOrgVault(bytes.NewReader(body))
	if status != http.StatusOK || err != nil || !bytes.Equal(got.PublicKey, org.Public()) || got.Device != devA {
		t.Fatalf("the first claim: %d %s %v", status, body, err)
	}
	status, body = f.send(devB, http.MethodPost, api.PathVaultClaim, api.VaultClaim{PublicKey: other.Public(), Signature: other.Sign(api.VaultClaimMessage(devB))})
	wantRefused(t, "another vault's claim", status, body, api.CodeForeignVault)
	status, body = f.push(devB, api.PushRequest{Device: devB, Batch: 1, Versions: []api.RecordVersion{rv(devB, "p9", 10)}})
	wantRefused(t, "another vault's push", status, body, api.CodeNotMember)
	if status, body := f.push(devA, api.PushRequest{Device: devA, Batch: 1, Versions: []api.RecordVersion{rv(devA, "p1", 10)}}); status != http.StatusOK {
		t.Fatalf("the organisation vault's push: %d %s", status, body)
	}

	// C joins: it may ask, and read its own request, before it holds keys.
	joinKey := []byte("c's join public key")
	if err := f.store.Bind(context.Background(), api.Binding{Cert: api.Cert{Serial: "c1", Name: "ward-c"}, Device: devC}); err != nil {
		t.Fatal(err)
	}
	if status, body := f.send(devC, http.MethodPost, api.PathKeyRequest, api.KeyRequestBody{PublicKey: joinKey}); status != http.StatusOK {
		t.Fatalf("c asks for the keys: %d %s", status, body)
	}
	status, body = f.do(devB, http.MethodGet, api.PathKeyRequests, nil, nil)
	wantRefused(t, "another vault lists the requests", status, body, api.CodeNotMember)
	grant := []byte("keys wrapped to c")
	status, body = f.send(devB, http.MethodPost, api.PathKeyGrant, api.KeyGrant{Device: devC, Grant: grant, Signature: other.Sign(api.GrantMessage(devC, joinKey, grant))})
	wantRefused(t, "another vault's grant", status, body, api.CodeNotMember)
	status, body = f.send(devA, http.MethodPost, api.PathKeyGrant, api.KeyGrant{Device: devC, Grant: grant, Signature: other.Sign(api.GrantMessage(devC, joinKey, grant))})
	wantRefused(t, "a grant signed by another vault", status, body, api.CodeForeignVault)
	status, body = f.send(devA, http.MethodPost, api.PathKeyGrant, api.KeyGrant{Device: devC, Grant: grant, Signature: org.Sign(api.GrantMessage(devC, []byte("another join key"), grant))})
	wantRefused(t, "a grant signed for another join key", status, body, api.CodeForeignVault)
	status, body = f.send(devA, http.MethodPost, api.PathKeyGrant, api.KeyGrant{Device: devC, Grant: grant, Signature: org.Sign(api.GrantMessage(devC, joinKey, grant))})
	if status != http.StatusOK {
		t.Fatalf("the organisation vault's grant: %d %s", status, body)
	}
	status, body = f.do(devC, http.MethodGet, api.PathKeyRequest, nil, nil)
	k, err := api.DecodeKeyRequest(bytes.NewReader(body))
	if status != http.StatusOK || err != nil || !bytes.Equal(k.Grant, grant) || !bytes.Equal(k.Vault, org.Public()) ||
		api.VerifyVault(k.Vault, api.GrantMessage(devC, joinKey, k.Grant), k.GrantSignature) != nil {
		t.Fatalf("c's request after the grant: %d %s %v; want the grant, signed, with the organisation's key", status, body, err)
	}
}
