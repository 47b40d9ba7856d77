// Package storetest is the conformance suite of archive.Store: every
// backend (the embedded bbolt store, PostgreSQL) runs Run in its tests and
// must pass all of it, and runs BenchmarkPush in its benchmarks, so that
// the stores compare. (A real archive server for other packages' tests is
// package archivetest.)
package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"folio/archive"
	"folio/archive/api"
	"folio/endorse"
)

// Opener opens a fresh, empty store for one test. Calling reopen opens a
// new Store over the same data as s (a restart); the suite closes s first.
type Opener func(t *testing.T) (s archive.Store, reopen func(t *testing.T) archive.Store)

// Run runs the conformance suite against the stores open gives.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open Opener)
	}{
		{"IdempotentPush", testIdempotentPush},
		{"RefusedPushStoresNothing", testRefusedPush},
		{"ConcurrentPushesGapFree", testConcurrentPushes},
		{"PagedPull", testPagedPull},
		{"PullPageBytes", testPullPageBytes},
		{"SiblingsKept", testSiblings},
		{"Endorsements", testEndorsements},
		{"AuditChain", testAuditChain},
		{"AuditReadBack", testAuditReadBack},
		{"BlobResume", testBlobResume},
		{"BlobBadChunk", testBlobBadChunk},
		{"BlobWholeHashMismatch", testBlobWholeHash},
		{"ExpireUploads", testExpireUploads},
		{"DeviceQuota", testDeviceQuota},
		{"Quotas", testQuotas},
		{"Restart", testRestart},
		{"DevicesAndMetrics", testDevicesAndMetrics},
		{"Bindings", testBindings},
		{"EnrollmentDeadline", testEnrollmentDeadline},
		{"VaultClaims", testVaultClaims},
		{"KeyRequests", testKeyRequests},
		{"BundleWorkstations", testBundleWorkstations},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// openClosed opens a store that is closed when the test ends.
func openClosed(t *testing.T, open Opener) (archive.Store, func(t *testing.T) archive.Store) {
	t.Helper()
	s, reopen := open(t)
	return closing(t, s), func(t *testing.T) archive.Store { return closing(t, reopen(t)) }
}

type onceCloser struct {
	archive.Store
	once sync.Once
	err  error
}

func (c *onceCloser) Close() error {
	c.once.Do(func() { c.err = c.Store.Close() })
	return c.err
}

func closing(t *testing.T, s archive.Store) archive.Store {
	c := &onceCloser{Store: s}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return c
}

// version returns version hlc of record id written by dev, with parent.
func version(dev api.DeviceID, kind, id string, hlc uint64, parent api.Version) api.RecordVersion {
	return api.RecordVersion{
		Kind: kind, ID: id, Version: api.Version{HLC: hlc, Device: dev}, Parent: parent,
		Ciphertext: fmt.Appendf(nil, "sealed:%s/%s@%d.%s", kind, id, hlc, dev),
	}
}

func push(t *testing.T, s archive.Store, req api.PushRequest) api.PushResponse {
	t.Helper()
	resp, err := s.Push(context.Background(), req, t0)
	if err != nil {
		t.Fatalf("push batch %d of %s: %v", req.Batch, req.Device, err)
	}
	if len(resp.Results) != len(req.Versions) {
		t.Fatalf("push batch %d: %d results for %d versions", req.Batch, len(resp.Results), len(req.Versions))
	}
	return resp
}

func head(t *testing.T, s archive.Store) api.Metrics {
	t.Helper()
	m, err := s.Metrics(context.Background())
	if err != nil {
		t.Fatalf("metrics: %v", err)
	}
	return m
}

// pullAll reads every change after 0 in pages of limit.
func pullAll(t *testing.T, s archive.Store, dev api.DeviceID, limit int) []api.Change {
	t.Helper()
	var out []api.Change
	var after uint64
	for range 100000 {
		page, err := s.Pull(context.Background(), dev, after, limit, t0)
		if err != nil {
			t.Fatalf("pull after %d: %v", after, err)
		}
		if len(page.Changes) > limit {
			t.Fatalf("pull limit %d gave %d changes", limit, len(page.Changes))
		}
		out = append(out, page.Changes...)
		if len(page.Changes) > 0 && page.Next != page.Changes[len(page.Changes)-1].Seq {
			t.Fatalf("pull after %d: next %d is not the last change's seq", after, page.Next)
		}
		if !page.More {
			return out
		}
		if page.Next <= after {
			t.Fatalf("pull after %d: More without progress (next %d)", after, page.Next)
		}
		after = page.Next
	}
	t.Fatal("pull never ended")
	return nil
}

func testIdempotentPush(t *testing.T, open Opener) {
	s, _ := openClosed(t, open)
	const a = api.DeviceID(0xa)
	req := api.PushRequest{Device: a, Batch: 1, Versions: []api.RecordVersion{
		version(a, "patient", "p1", 100, api.Version{}),
		version(a, "patient", "p2", 101, api.Version{}),
	}}
	first := push(t, s, req)
	if first.Replayed || first.Results[0].Seq != 1 || first.Results[1].Seq != 2 {
		t.Fatalf("first push answer %+v, want seqs 1 and 2", first)
	}
	again := push(t, s, req)
	if !again.Replayed || !slices.Equal(again.Results, first.Results) {
		t.Fatalf("replayed push answer %+v, want the first answer %+v marked replayed", again, first)
	}
	if m := head(t, s); m.Head != 2 {
		t.Fatalf("head after replay = %d, want 2 (nothing new stored)", m.Head)
	}
	// The same version in a new batch (the first answer was lost and the
	// device renumbered): already had it, same seq.
	re := push(t, s, api.PushRequest{Device: a, Batch: 2, Versions: []api.RecordVersion{
		req.Versions[1], version(a, "patient", "p3", 102, api.Version{}),
	}})
	if re.Results[0] != (api.PushResult{Seq: 2, Duplicate: true}) || re.Results[1] != (api.PushResult{Seq: 3}) {
		t.Fatalf("re-push answer %+v, want [2 duplicate, 3]", re.Results)
	}
	if got := pullAll(t, s, a, 10); len(got) != 3 {
		t.Fatalf("pulled %d changes, want 3", len(got))
	}
}

func testRefusedPush(t *testing.T, open Opener) {
	s, _ := openClosed(t, open)
	const a, b = api.DeviceID(0xa), api.DeviceID(0xb)
	req := api.PushRequest{Device: a, Batch: 1, Versions: []api.RecordVersion{version(a, "patient", "p1", 100, api.Version{})}}
	push(t, s, req)
	changed := version(a, "patient", "p1", 100, api.Version{})
	changed.Ciphertext = []byte("other bytes")
	cases := []struct {
		name string
		req  api.PushRequest
		want error
	}{
		{"batch reused with other content", api.PushRequest{Device: a, Batch: 1, Versions: []api.RecordVersion{version(a, "patient", "p9", 109, api.Version{})}}, api.ErrConflict},
		{"version rewritten", api.PushRequest{Device: a, Batch: 2, Versions: []api.RecordVersion{version(a, "patient", "p8", 108, api.Version{}), changed}}, api.ErrConflict},
		{"another device's version", api.PushRequest{Device: a, Batch: 3, Versions: []api.RecordVersion{version(b, "patient", "p7", 107, api.Version{})}}, api.ErrForbidden},
		{"no batch number", api.PushRequest{Device: a, Batch: 0, Versions: req.Versions}, api.ErrInvalid},
		{"empty ciphertext", api.PushRequest{Device: a, Batch: 4, Versions: []api.RecordVersion{{Kind: "patient", ID: "p6", Version: api.Version{HLC: 5, Device: a}}}}, api.ErrInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Push(context.Background(), tc.req, t0)
			if !errors.Is(err, tc.want) {
				t.Fatalf("push: %v, want %v", err, tc.want)
			}
			if m := head(t, s); m.Head != 1 {
				t.Fatalf("head after a refused push = %d, want 1", m.Head)
			}
			if d, err := s.Device(context.Background(), a); err != nil || d.LastBatch != 1 || d.Versions != 1 {
				t.Fatalf("device after a refused push: %+v, %v", d, err)
			}
		})
	}
}

func testConcurrentPushes(t *testing.T, open Opener) {
	s, _ := openClosed(t, open)
	PushGapFree(t, []archive.Store{s}, 4, 15, 3)
}

// PushGapFree pushes from devices devices at once, device d through
// stores[d%len(stores)] (one store, or several over the same data), each
// batches batches of per versions. Then it pulls everything through
// stores[0] and fails t unless the global sequence has no gap: every
// version pulled once, in seq order 1, 2, …, with the seq its push was
// acknowledged with, and the head at the last.
func PushGapFree(t *testing.T, stores []archive.Store, devices, batches, per int) {
	t.Helper()
	type key struct {
		dev api.DeviceID
		id  string
	}
	var mu sync.Mutex
	seqOf := map[key]uint64{}
	var wg sync.WaitGroup
	errs := make(chan error, devices)
	for d := range devices {
		dev := api.DeviceID(0x100 + d)
		s := stores[d%len(stores)]
		wg.Go(func() {
			for b := range batches {
				req := api.PushRequest{Device: dev, Batch: uint64(b + 1)}
				for v := range per {
					id := fmt.Sprintf("r%d-%d", b, v)
					req.Versions = append(req.Versions, version(dev, "patient", id, uint64(1000+b*per+v), api.Version{}))
				}
				resp, err := s.Push(context.Background(), req, t0)
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				for i, r := range resp.Results {
					seqOf[key{dev, req.Versions[i].ID}] = r.Seq
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	all := pullAll(t, stores[0], 1, 7)
	if len(all) != devices*batches*per {
		t.Fatalf("pulled %d changes, want %d", len(all), devices*batches*per)
	}
	for i, c := range all {
		if c.Seq != uint64(i+1) {
			t.Fatalf("change %d has seq %d: the global sequence has a gap or is out of order", i, c.Seq)
		}
		if got := seqOf[key{c.Pusher, c.ID}]; got != c.Seq {
			t.Fatalf("%s %s pulled with seq %d, acknowledged with %d", c.Pusher, c.ID, c.Seq, got)
		}
	}
	if m := head(t, stores[0]); m.Head != uint64(len(all)) {
		t.Fatalf("head %d, want %d", m.Head, len(all))
	}
}

func testPagedPull(t *testing.T, open Opener) {
	s, _ := openClosed(t, open)
	const a, r = api.DeviceID(0xa), api.DeviceID(0xc)
	for b := range 5 {
		push(t, s, api.PushRequest{Device: a, Batch: uint64(b + 1), Versions: []api.RecordVersion{
			version(a, "patient", fmt.Sprint("p", b), uint64(10+b), api.Version{}),
		}})
	}
	page, err := s.Pull(context.Background(), r, 0, 2, t0)
	if err != nil || len(page.Changes) != 2 || page.Next != 2 || !page.More || page.Head != 5 {
		t.Fatalf("first page %+v, %v; want seqs 1-2, next 2, more, head 5", page, err)
	}
	page, err = s.Pull(context.Background(), r, 4, 2, t0)
	if err != nil || len(page.Changes) != 1 || page.Changes[0].Seq != 5 || page.Next != 5 || page.More {
		t.Fatalf("last page %+v, %v; want seq 5, next 5, no more", page, err)
	}
	page, err = s.Pull(context.Background(), r, 5, 2, t0)
	if err != nil || len(page.Changes) != 0 || page.Next != 5 || page.More {
		t.Fatalf("empty page %+v, %v; want nothing, next 5", page, err)
	}
	if _, err := s.Pull(context.Background(), r, 6, 2, t0); !errors.Is(err, api.ErrConflict) {
		t.Fatalf("pull past the head: %v, want ErrConflict", err)
	}
	first, err := s.Pull(context.Background(), r, 0, 1, t0)
	if err != nil {
		t.Fatal(err)
	}
	c := first.Changes[0]
	want := version(a, "patient", "p0", 10, api.Version{})
	if c.Pusher != a || c.Kind != want.Kind || c.ID != want.ID || c.Version != want.Version || c.Parent != want.Parent || !bytes.Equal(c.Ciphertext, want.Ciphertext) {
		t.Fatalf("pulled %+v, want %+v as pushed", c, want)
	}
	d, err := s.Device(context.Background(), r)
	if err != nil || d.Cursor != 5 || d.Backlog != 0 {
		t.Fatalf("reader device %+v, %v; want cursor 5, backlog 0", d, err)
	}
}

func testPullPageBytes(t *testing.T, open Opener) {
	s, _ := openClosed(t, open)
	const a = api.DeviceID(0xa)
	per := api.MaxPullPageBytes / 4
	var req = api.PushRequest{Device: a, Batch: 1}
	for i := range 5 {
		v := version(a, "document", fmt.Sprint("d", i), uint64(10+i), api.Version{})
		v.Ciphertext = bytes.Repeat([]byte{byte(i)}, per)
		req.Versions = append(req.Versions, v)
	}
	push(t, s, req)
	page, err := s.Pull(context.Background(), a, 0, api.MaxPullLimit, t0)
	if err != nil || len(page.Changes) != 4 || !page.More || page.Next != 4 {
		t.Fatalf("page of big changes: %d changes, more %v, next %d, %v; want 4 (%d bytes), more", len(page.Changes), page.More, page.Next, err, api.MaxPullPageBytes)
	}
	big := version(a, "document", "huge", 99, api.Version{})
	big.Ciphertext = make([]byte, api.MaxCiphertext)
	push(t, s, api.PushRequest{Device: a, Batch: 2, Versions: []api.RecordVersion{big}})
	page, err = s.Pull(context.Background(), a, 5, 10, t0)
	if err != nil || len(page.Changes) != 1 || len(page.Changes[0].Ciphertext) != api.MaxCiphertext {
		t.Fatalf("page of one change at the size limit: %d changes, %v", len(page.Changes), err)
	}
}

func testSiblings(t *testing.T, open Opener) {
	s, _ := openClosed(t, open)
	const a, b = api.DeviceID(0xa), api.DeviceID(0xb)
	root := version(a, "patient", "p1", 100, api.Version{})
	push(t, s, api.PushRequest{Device: a, Batch: 1, Versions: []api.RecordVersion{root}})
	// Both devices amend the same version offline.
	sa := version(a, "patient", "p1", 200, root.Version)
	sb := version(b, "patient", "p1", 150, root.Version)
	push(t, s, api.PushRequest{Device: b, Batch: 1, Versions: []api.RecordVersion{sb}})
	push(t, s, api.PushRequest{Device: a, Batch: 2, Versions: []api.RecordVersion{sa}})
	vs, err := s.Versions(context.Background(), "patient", "p1")
	if err != nil {
		t.Fatal(err)
	}
	var got []api.Version
	for _, v := range vs {
		got = append(got, v.Version)
	}
	if want := []api.Version{root.Version, sb.Version, sa.Version}; !slices.Equal(got, want) {
		t.Fatalf("versions %v, want %v (both siblings kept, in global order)", got, want)
	}
	if _, err := s.Versions(context.Background(), "patient", "p2"); !errors.Is(err, api.ErrNotFound) {
		t.Fatalf("versions of an unknown record: %v, want ErrNotFound", err)
	}
}

// endorsed is a version of kind/id carrying an endorsement by signer.
func endorsed(dev api.DeviceID, kind, id string, hlc uint64, parent api.Version, signer string) api.RecordVersion {
	v := version(dev, kind, id, hlc, parent)
	v.Endorsement = &endorse.Endorsement{Signer: signer, Content: bytes.Repeat([]byte{byte(hlc)}, 32), Signature: bytes.Repeat([]byte{7}, 64),
		Cert: &endorse.UserCert{Name: id, Key: bytes.Repeat([]byte{9}, 32), Admin: signer == id}}
	return v
}

// A version's endorsement is kept with it: pulled, listed by Versions and
// Endorsed (users and key slots only, after a seq), after a restart too;
// the same version pushed again with another endorsement is a conflict.
func testEndorsements(t *testing.T, open Opener) {
	ctx := context.Background()
	s, reopen := openClosed(t, open)
	const a = api.DeviceID(0xa)
	user := endorsed(a, "user", "admin", 100, api.Version{}, "admin")
	slots := endorsed(a, "keyslots", "admin", 101, api.Version{}, "admin")
	slots.Endorsement.Cert = nil
	patient := version(a, "patient", "p1", 102, api.Version{})
	bare := version(a, "user", "old", 103, api.Version{}) // written before endorsements
	push(t, s, api.PushRequest{Device: a, Batch: 1, Versions: []api.RecordVersion{user, slots, patient, bare}})
	check := func(s archive.Store) {
		t.Helper()
		got := pullAll(t, s, a, 10)
		if len(got) != 4 || !reflect.DeepEqual(got[0].Endorsement, user.Endorsement) || !reflect.DeepEqual(got[1].Endorsement, slots.Endorsement) ||
			got[2].Endorsement != nil || got[3].Endorsement != nil {
			t.Fatalf("pulled endorsements: %+v", got)
		}
		vs, err := s.Versions(ctx, "user", "admin")
		if err != nil || len(vs) != 1 || !reflect.DeepEqual(vs[0].Endorsement, user.Endorsement) {
			t.Fatalf("versions of user/admin: %+v, %v", vs, err)
		}
		all, err := s.Endorsed(ctx, 0)
		if err != nil || len(all) != 3 || all[0].Seq != got[0].Seq || all[1].Seq != got[1].Seq || all[2].Seq != got[3].Seq ||
			!reflect.DeepEqual(all[0].Endorsement, user.Endorsement) || all[2].Endorsement != nil {
			t.Fatalf("endorsed from 0: %+v, %v", all, err)
		}
		after, err := s.Endorsed(ctx, got[0].Seq)
		if err != nil || len(after) != 2 || after[0].Seq != got[1].Seq {
			t.Fatalf("endorsed after %d: %+v, %v", got[0].Seq, after, err)
		}
		if none, err := s.Endorsed(ctx, got[3].Seq); err != nil || len(none) != 0 {
			t.Fatalf("endorsed after the last: %+v, %v", none, err)
		}
	}
	check(s)
	// The same version again: a duplicate with the same endorsement, a
	// conflict with another (nothing of the batch stored).
	if resp := push(t, s, api.PushRequest{Device: a, Batch: 2, Versions: []api.RecordVersion{user}}); !resp.Results[0].Duplicate {
		t.Fatalf("the same endorsed version again: %+v", resp)
	}
	forged := user
	forged.Endorsement = &endorse.Endorsement{Signer: "mallory", Content: user.Endorsement.Content, Signature: user.Endorsement.Signature, Cert: user.Endorsement.Cert}
	if _, err := s.Push(ctx, api.PushRequest{Device: a, Batch: 3, Versions: []api.RecordVersion{version(a, "patient", "p2", 200, api.Version{}), forged}}, t0); !errors.Is(err, api.ErrConflict) {
		t.Fatalf("a stored version with another endorsement: %v, want ErrConflict", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	check(reopen(t))
}

func chain(from, to uint64, prev []byte) []api.AuditEntry {
	var out []api.AuditEntry
	for seq := from; seq <= to; seq++ {
		sealed := fmt.Appendf(nil, "sealed audit %d", seq)
		h := api.AuditChainHash(prev, seq, sealed)
		out = append(out, api.AuditEntry{Seq: seq, Sealed: sealed, Hash: h})
		prev = h
	}
	return out
}

func testAuditChain(t *testing.T, open Opener) {
	s, _ := openClosed(t, open)
	const a = api.DeviceID(0xa)
	all := chain(1, 6, nil)
	resp := push(t, s, api.PushRequest{Device: a, Batch: 1, Audit: all[:3]})
	if resp.AuditThrough != 3 {
		t.Fatalf("audit through %d, want 3", resp.AuditThrough)
	}
	// Overlap with what is held is fine.
	resp = push(t, s, api.PushRequest{Device: a, Batch: 2, Audit: all[1:5]})
	if resp.AuditThrough != 5 {
		t.Fatalf("audit through %d, want 5", resp.AuditThrough)
	}
	forged := slices.Clone(all[3:4])
	forged[0].Sealed = []byte("rewritten")
	forged[0].Hash = api.AuditChainHash(all[2].Hash, 4, forged[0].Sealed)
	broken := slices.Clone(all[5:6])
	broken[0].Hash = bytes.Repeat([]byte{1}, 32)
	cases := []struct {
		name  string
		audit []api.AuditEntry
		want  error
	}{
		{"gap", chain(7, 7, nil), api.ErrInvalid},
		{"altered entry", forged, api.ErrConflict},
		{"broken link", broken, api.ErrHashMismatch},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := api.PushRequest{Device: a, Batch: uint64(10 + i), Audit: tc.audit,
				Versions: []api.RecordVersion{version(a, "patient", "px", uint64(500+i), api.Version{})}}
			if _, err := s.Push(context.Background(), req, t0); !errors.Is(err, tc.want) {
				t.Fatalf("push: %v, want %v", err, tc.want)
			}
			if d, _ := s.Device(context.Background(), a); d.AuditThrough != 5 {
				t.Fatalf("audit through %d after a refused push, want 5", d.AuditThrough)
			}
			if m := head(t, s); m.Head != 0 {
				t.Fatalf("head %d after a refused push, want 0 (its versions not stored)", m.Head)
			}
		})
	}
}

// testAuditReadBack reads a device's chain back page by page, as a
// workstation restored from a backup does; another device's chain is not
// mixed in, and a device that never pushed has an empty chain.
func testAuditReadBack(t *testing.T, open Opener) {
	s, _ := openClosed(t, open)
	const a, b = api.DeviceID(0xa), api.DeviceID(0xb)
	all := chain(1, 7, nil)
	push(t, s, api.PushRequest{Device: a, Batch: 1, Audit: all})
	push(t, s, api.PushRequest{Device: b, Batch: 1, Audit: chain(1, 2, nil)})
	var got []api.AuditEntry
	after := uint64(2)
	for {
		page, err := s.AuditEntries(context.Background(), a, after, 3)
		if err != nil {
			t.Fatal(err)
		}
		if page.Through != 7 || len(page.Entries) == 0 || len(page.Entries) > 3 {
			t.Fatalf("page after %d: through %d, %d entries", after, page.Through, len(page.Entries))
		}
		got = append(got, page.Entries...)
		after = page.Entries[len(page.Entries)-1].Seq
		if !page.More {
			break
		}
	}
	if len(got) != 5 {
		t.Fatalf("read back %d entries after 2, want 5", len(got))
	}
	for i, e := range got {
		w := all[i+2]
		if e.Seq != w.Seq || !bytes.Equal(e.Hash, w.Hash) || !bytes.Equal(e.Sealed, w.Sealed) {
			t.Fatalf("entry %d read back as %d %x, want %d %x", i, e.Seq, e.Hash, w.Seq, w.Hash)
		}
	}
	if page, err := s.AuditEntries(context.Background(), a, 7, 10); err != nil || len(page.Entries) != 0 || page.More {
		t.Fatalf("after the last entry: %+v, %v; want an empty page", page, err)
	}
	if page, err := s.AuditEntries(context.Background(), 0xc, 0, 10); err != nil || page.Through != 0 || len(page.Entries) != 0 {
		t.Fatalf("a device that never pushed: %+v, %v; want an empty chain", page, err)
	}
}

// blobData returns size random bytes and their id.
func blobData(seed uint64, size int) ([]byte, string) {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b, api.BlobID(b)
}

func chunk(data []byte, n int) ([]byte, [32]byte) {
	c := data[n*api.ChunkSize : n*api.ChunkSize+api.ChunkLen(int64(len(data)), n)]
	return c, sha256.Sum256(c)
}

// upload sends the chunks the store's status says are missing and returns
// how many bytes it sent.
func upload(t *testing.T, s archive.Store, id string, data []byte) int {
	t.Helper()
	missing := make([]int, api.ChunkCount(int64(len(data))))
	for i := range missing {
		missing[i] = i
	}
	st, err := s.BlobStatus(context.Background(), id)
	switch {
	case err == nil:
		missing = st.Missing()
	case !errors.Is(err, api.ErrNotFound):
		t.Fatalf("blob status: %v", err)
	}
	sent := 0
	for _, n := range missing {
		c, sum := chunk(data, n)
		if st, err = s.PutChunk(context.Background(), id, int64(len(data)), n, sum, c); err != nil {
			t.Fatalf("put chunk %d: %v", n, err)
		}
		sent += len(c)
	}
	if !st.Complete {
		t.Fatalf("blob not complete after its upload: %+v", st)
	}
	return sent
}

func readBlob(t *testing.T, s archive.Store, id string) []byte {
	t.Helper()
	f, size, err := s.OpenBlob(context.Background(), id)
	if err != nil {
		t.Fatalf("open blob: %v", err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil || int64(len(b)) != size {
		t.Fatalf("read blob: %d bytes of %d, %v", len(b), size, err)
	}
	return b
}

func testBlobResume(t *testing.T, open Opener) {
	s, _ := openClosed(t, open)
	data, id := blobData(1, 3*api.ChunkSize+12345)
	// The first two chunks arrive, then the link is cut.
	for n := range 2 {
		c, sum := chunk(data, n)
		st, err := s.PutChunk(context.Background(), id, int64(len(data)), n, sum, c)
		if err != nil || st.Complete {
			t.Fatalf("put chunk %d: %+v, %v", n, st, err)
		}
	}
	if _, _, err := s.OpenBlob(context.Background(), id); !errors.Is(err, api.ErrNotFound) {
		t.Fatalf("open a half-uploaded blob: %v, want ErrNotFound", err)
	}
	if ids, err := s.Blobs(context.Background()); err != nil || len(ids) != 0 {
		t.Fatalf("blobs listed mid-upload: %v, %v; want none", ids, err)
	}
	st, err := s.BlobStatus(context.Background(), id)
	if err != nil || !slices.Equal(st.Have, []int{0, 1}) || st.Chunks != 4 || st.Complete {
		t.Fatalf("status after the cut: %+v, %v; want chunks 0 and 1 of 4", st, err)
	}
	if m := head(t, s); m.Uploads != 1 || m.Blobs != 0 {
		t.Fatalf("metrics mid-upload: %+v", m)
	}
	sent := upload(t, s, id, data)
	if want := len(data) - 2*api.ChunkSize; sent != want {
		t.Fatalf("resumed upload sent %d bytes, want %d (verified chunks re-sent)", sent, want)
	}
	if got := readBlob(t, s, id); !bytes.Equal(got, data) {
		t.Fatal("blob read back differs from what was uploaded")
	}
	if ids, err := s.Blobs(context.Background()); err != nil || !slices.Equal(ids, []string{id}) {
		t.Fatalf("blobs listed after the upload: %v, %v; want [%s]", ids, err, id)
	}
	// Uploading again sends nothing; a chunk of a complete blob stores nothing.
	if sent := upload(t, s, id, data); sent != 0 {
		t.Fatalf("upload of a stored blob sent %d bytes, want 0", sent)
	}
	c, sum := chunk(data, 3)
	if st, err := s.PutChunk(context.Background(), id, int64(len(data)), 3, sum, c); err != nil || !st.Complete {
		t.Fatalf("chunk of a complete blob: %+v, %v", st, err)
	}
	if m := head(t, s); m.Blobs != 1 || m.BlobBytes != int64(len(data)) || m.Uploads != 0 {
		t.Fatalf("metrics after the upload: %+v", m)
	}
}

func testBlobBadChunk(t *testing.T, open Opener) {
	s, _ := openClosed(t, open)
	data, id := blobData(2, api.ChunkSize+10)
	c, sum := chunk(data, 0)
	bad := bytes.Clone(c)
	bad[7] ^= 1
	cases := []struct {
		name string
		n    int
		sum  [32]byte
		data []byte
		size int64
		want error
	}{
		{"damaged bytes", 0, sum, bad, int64(len(data)), api.ErrHashMismatch},
		{"short chunk", 0, sha256.Sum256(c[:100]), c[:100], int64(len(data)), api.ErrInvalid},
		{"past the end", 2, sum, c, int64(len(data)), api.ErrInvalid},
		{"bad id", 0, sum, c, int64(len(data)), api.ErrInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bid := id
			if tc.name == "bad id" {
				bid = "../" + id[3:]
			}
			if _, err := s.PutChunk(context.Background(), bid, tc.size, tc.n, tc.sum, tc.data); !errors.Is(err, tc.want) {
				t.Fatalf("put chunk: %v, want %v", err, tc.want)
			}
			if _, err := s.BlobStatus(context.Background(), id); !errors.Is(err, api.ErrNotFound) {
				t.Fatalf("status after a refused chunk: %v, want ErrNotFound (nothing stored)", err)
			}
		})
	}
	// A size differing from the upload's is refused.
	if _, err := s.PutChunk(context.Background(), id, int64(len(data)), 0, sum, c); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutChunk(context.Background(), id, int64(len(data)+1), 0, sum, c); !errors.Is(err, api.ErrConflict) {
		t.Fatalf("chunk with another size: %v, want ErrConflict", err)
	}
}

func testBlobWholeHash(t *testing.T, open Opener) {
	s, _ := openClosed(t, open)
	data, _ := blobData(3, api.ChunkSize+10)
	_, id := blobData(4, api.ChunkSize+10) // an id that is not data's hash
	for n := range 2 {
		c, sum := chunk(data, n)
		_, err := s.PutChunk(context.Background(), id, int64(len(data)), n, sum, c)
		if n == 1 && !errors.Is(err, api.ErrHashMismatch) {
			t.Fatalf("last chunk of a blob that does not hash to its id: %v, want ErrHashMismatch", err)
		}
	}
	if _, _, err := s.OpenBlob(context.Background(), id); !errors.Is(err, api.ErrNotFound) {
		t.Fatalf("open a blob that failed its hash: %v, want ErrNotFound", err)
	}
	if _, err := s.BlobStatus(context.Background(), id); !errors.Is(err, api.ErrNotFound) {
		t.Fatalf("status of a blob that failed its hash: %v, want ErrNotFound (upload discarded)", err)
	}
	if m := head(t, s); m.Blobs != 0 || m.BlobBytes != 0 {
		t.Fatalf("metrics: %+v, want no blob", m)
	}
}

func testRestart(t *testing.T, open Opener) {
	s, reopen := openClosed(t, open)
	const a = api.DeviceID(0xa)
	req := api.PushRequest{Device: a, Batch: 1, Audit: chain(1, 2, nil), Versions: []api.RecordVersion{
		version(a, "patient", "p1", 100, api.Version{}),
		version(a, "patient", "p1", 101, api.Version{HLC: 100, Device: a}),
	}}
	first := push(t, s, req)
	data, id := blobData(5, 2*api.ChunkSize+1)
	upload(t, s, id, data)
	half, hid := blobData(6, 2*api.ChunkSize)
	c, sum := chunk(half, 0)
	if _, err := s.PutChunk(context.Background(), hid, int64(len(half)), 0, sum, c); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = reopen(t)
	if again := push(t, s, req); !again.Replayed || !slices.Equal(again.Results, first.Results) {
		t.Fatalf("replay after restart: %+v, want the first answer", again)
	}
	if got := pullAll(t, s, a, 10); len(got) != 2 {
		t.Fatalf("pulled %d changes after restart, want 2", len(got))
	}
	if got := readBlob(t, s, id); !bytes.Equal(got, data) {
		t.Fatal("blob differs after restart")
	}
	st, err := s.BlobStatus(context.Background(), hid)
	if err != nil || !slices.Equal(st.Have, []int{0}) {
		t.Fatalf("half upload after restart: %+v, %v; want chunk 0 kept", st, err)
	}
	if sent := upload(t, s, hid, half); sent != api.ChunkSize {
		t.Fatalf("resumed after restart sending %d bytes, want %d", sent, api.ChunkSize)
	}
	d, err := s.Device(context.Background(), a)
	if err != nil || d.AuditThrough != 2 || d.LastBatch != 1 || d.Versions != 2 {
		t.Fatalf("device after restart: %+v, %v", d, err)
	}
	if m := head(t, s); m.Head != 2 || m.Blobs != 2 || m.RecordBytes == 0 {
		t.Fatalf("metrics after restart: %+v", m)
	}
	next := push(t, s, api.PushRequest{Device: a, Batch: 2, Versions: []api.RecordVersion{version(a, "patient", "p2", 102, api.Version{})}})
	if next.Results[0].Seq != 3 {
		t.Fatalf("first seq after restart %d, want 3", next.Results[0].Seq)
	}
}

func testDevicesAndMetrics(t *testing.T, open Opener) {
	s, _ := openClosed(t, open)
	const a, b = api.DeviceID(0xa), api.DeviceID(0xb)
	if _, err := s.Device(context.Background(), a); !errors.Is(err, api.ErrNotFound) {
		t.Fatalf("unknown device: %v, want ErrNotFound", err)
	}
	later := t0.Add(time.Hour)
	if _, err := s.Push(context.Background(), api.PushRequest{Device: a, Batch: 7, Versions: []api.RecordVersion{
		version(a, "patient", "p1", 100, api.Version{}), version(a, "patient", "p2", 101, api.Version{}),
	}}, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pull(context.Background(), b, 1, 10, later); err != nil {
		t.Fatal(err)
	}
	// a pushed to an empty archive: it holds everything, its own
	// versions included, so it has no backlog.
	da, err := s.Device(context.Background(), a)
	if err != nil || !da.LastSeen.Equal(t0) || !da.FirstSeen.Equal(t0) || da.LastBatch != 7 || da.Versions != 2 || da.Cursor != 2 || da.Backlog != 0 {
		t.Fatalf("pusher %+v, %v; want cursor 2, backlog 0", da, err)
	}
	db, err := s.Device(context.Background(), b)
	if err != nil || !db.LastSeen.Equal(later) || db.Cursor != 1 || db.Backlog != 1 {
		t.Fatalf("puller %+v, %v; want cursor 1, backlog 1", db, err)
	}
	// b pushes while it lacks a's second version: its cursor stays; a,
	// caught up before, now lacks b's version.
	if _, err := s.Push(context.Background(), api.PushRequest{Device: b, Batch: 1, Versions: []api.RecordVersion{
		version(b, "patient", "p3", 102, api.Version{}),
	}}, later); err != nil {
		t.Fatal(err)
	}
	if db, err := s.Device(context.Background(), b); err != nil || db.Cursor != 1 || db.Backlog != 2 {
		t.Fatalf("puller after its push %+v, %v; want cursor 1, backlog 2", db, err)
	}
	if da, err := s.Device(context.Background(), a); err != nil || da.Cursor != 2 || da.Backlog != 1 {
		t.Fatalf("pusher after b's push %+v, %v; want cursor 2, backlog 1", da, err)
	}
	m := head(t, s)
	if m.Head != 3 || len(m.Devices) != 2 || m.RecordBytes <= 0 {
		t.Fatalf("metrics %+v", m)
	}
}

// testExpireUploads: an upload no chunk reached since the cut-off is
// discarded (a workstation starts it over), one still receiving chunks
// and complete blobs are kept.
func testExpireUploads(t *testing.T, open Opener) {
	s, reopen := openClosed(t, open)
	ctx := context.Background()
	done, doneID := blobData(21, 2*api.ChunkSize+5)
	upload(t, s, doneID, done)
	idle, idleID := blobData(22, 3*api.ChunkSize)
	c, sum := chunk(idle, 0)
	if _, err := s.PutChunk(ctx, idleID, int64(len(idle)), 0, sum, c); err != nil {
		t.Fatal(err)
	}
	if n, err := s.ExpireUploads(ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("expire uploads idle for an hour: %d, %v; want none", n, err)
	}
	cut := time.Now()
	live, liveID := blobData(23, 2*api.ChunkSize)
	c, sum = chunk(live, 0)
	if _, err := s.PutChunk(ctx, liveID, int64(len(live)), 0, sum, c); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = reopen(t)
	if n, err := s.ExpireUploads(ctx, cut); err != nil || n != 1 {
		t.Fatalf("expire uploads idle since the cut-off: %d, %v; want 1", n, err)
	}
	if st, err := s.BlobStatus(ctx, idleID); !errors.Is(err, api.ErrNotFound) {
		t.Fatalf("the expired upload: %+v, %v; want not found", st, err)
	}
	if st, err := s.BlobStatus(ctx, liveID); err != nil || len(st.Have) != 1 {
		t.Fatalf("the live upload: %+v, %v; want its chunk kept", st, err)
	}
	if got := readBlob(t, s, doneID); !bytes.Equal(got, done) {
		t.Fatal("a complete blob changed after the expiry")
	}
	if m := head(t, s); m.Uploads != 1 {
		t.Fatalf("uploads after the expiry: %d, want 1", m.Uploads)
	}
	upload(t, s, idleID, idle) // started over
	if got := readBlob(t, s, idleID); !bytes.Equal(got, idle) {
		t.Fatal("the expired upload, sent again, does not read back")
	}
}

// testQuotas: a quota set for one workstation is kept by name, replaced,
// removed with 0, survives a restart; bad names and sizes are refused.
func testQuotas(t *testing.T, open Opener) {
	s, reopen := openClosed(t, open)
	ctx := context.Background()
	if q, err := s.Quotas(ctx); err != nil || len(q) != 0 {
		t.Fatalf("quotas of a new store: %v, %v", q, err)
	}
	for name, bytes := range map[string]int64{"ward-a": 10 << 30, "ward-b": 1, "ward-c": archive.NoQuota, "ward-d": 5} {
		if err := s.SetQuota(ctx, name, bytes); err != nil {
			t.Fatalf("set the quota of %s to %d: %v", name, bytes, err)
		}
	}
	if err := s.SetQuota(ctx, "ward-b", 2<<20); err != nil {
		t.Fatal(err)
	}
	if err := s.SetQuota(ctx, "ward-d", 0); err != nil {
		t.Fatal(err)
	}
	if err := s.SetQuota(ctx, "ward-e", 0); err != nil {
		t.Fatalf("remove a quota never set: %v", err)
	}
	for _, bad := range []struct {
		name  string
		bytes int64
	}{{"", 5}, {strings.Repeat("x", 257), 5}, {"ward\x00", 5}, {"ward-a", -2}} {
		if err := s.SetQuota(ctx, bad.name, bad.bytes); !errors.Is(err, api.ErrInvalid) {
			t.Fatalf("quota %d for %.20q: %v, want ErrInvalid", bad.bytes, bad.name, err)
		}
	}
	want := map[string]int64{"ward-a": 10 << 30, "ward-b": 2 << 20, "ward-c": archive.NoQuota}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = reopen(t)
	if q, err := s.Quotas(ctx); err != nil || !maps.Equal(q, want) {
		t.Fatalf("quotas after a restart: %v, %v; want %v", q, err, want)
	}
}

// testDeviceQuota: a blob is charged once, to the first device that
// uploads it; a charge past the quota is refused and charges nothing;
// pushed versions count; the counts survive a restart; an expired
// upload's charge is given back.
func testDeviceQuota(t *testing.T, open Opener) {
	s, reopen := openClosed(t, open)
	ctx := context.Background()
	const a, b = api.DeviceID(0xa1), api.DeviceID(0xb2)
	const quota = 3 * api.ChunkSize
	held := func(t *testing.T, s archive.Store, dev api.DeviceID) int64 {
		t.Helper()
		info, err := s.Device(ctx, dev)
		if errors.Is(err, api.ErrNotFound) {
			return 0
		}
		if err != nil {
			t.Fatal(err)
		}
		return info.Held
	}
	data, id := blobData(31, 2*api.ChunkSize)
	size := int64(len(data))
	for range 2 {
		if n, err := s.Charge(ctx, a, id, size, quota); err != nil || n != size {
			t.Fatalf("charge a %d-byte blob to a: %d, %v; want %d", size, n, err, size)
		}
	}
	upload(t, s, id, data)
	if n, err := s.Charge(ctx, b, id, size, quota); err != nil || n != 0 {
		t.Fatalf("charge the blob a uploaded to b: %d, %v; want 0 (held already)", n, err)
	}
	more, moreID := blobData(32, 2*api.ChunkSize)
	if n, err := s.Charge(ctx, a, moreID, int64(len(more)), quota); !errors.Is(err, api.ErrQuota) || n != size {
		t.Fatalf("charge a past its quota: %d, %v; want ErrQuota with %d held", n, err, size)
	}
	if got := held(t, s, a); got != size {
		t.Fatalf("a holds %d after the refused charge, want %d", got, size)
	}
	req := api.PushRequest{Device: a, Batch: 1, Audit: chain(1, 1, nil), Versions: []api.RecordVersion{version(a, "patient", "q1", 100, api.Version{})}}
	push(t, s, req)
	want := size + int64(len(req.Versions[0].Ciphertext))
	if again := push(t, s, req); !again.Replayed {
		t.Fatalf("replayed push: %+v", again)
	}
	if got := held(t, s, a); got != want {
		t.Fatalf("a holds %d after pushing a version (and replaying it), want %d", got, want)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = reopen(t)
	if got := held(t, s, a); got != want {
		t.Fatalf("a holds %d after a restart, want %d", got, want)
	}
	if got := held(t, s, b); got != 0 {
		t.Fatalf("b holds %d, want 0", got)
	}
	// An upload without a quota is charged; once expired, no longer.
	if n, err := s.Charge(ctx, a, moreID, int64(len(more)), 0); err != nil || n != want+int64(len(more)) {
		t.Fatalf("charge without a quota: %d, %v; want %d", n, err, want+int64(len(more)))
	}
	c, sum := chunk(more, 0)
	if _, err := s.PutChunk(ctx, moreID, int64(len(more)), 0, sum, c); err != nil {
		t.Fatal(err)
	}
	if n, err := s.ExpireUploads(ctx, time.Now().Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("expire the idle upload: %d, %v; want 1", n, err)
	}
	if got := held(t, s, a); got != want {
		t.Fatalf("a holds %d after its upload expired, want %d", got, want)
	}
}
