package syncer_test

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"folio/archive"
	"folio/archive/api"
	"folio/syncer"
)

// limitedArchive is a folio-archive server with the given limits and
// upload expiry, and an enrolled workstation of its organisation's vault.
func limitedArchive(t *testing.T, limits archive.Limits, expiry time.Duration) (*secArchive, *workstation, *syncer.Client) {
	t.Helper()
	arc := startSecArchive(t, "Lake Health District")
	arc.stop(t)
	arc.limits, arc.expiry = limits, expiry
	arc.serve(t)
	a := arc.station(t, "ward-a")
	admin := firstVault(t, a)
	a.round(t, admin)
	return arc, a, a.client(t, syncer.ClientOptions{})
}

// chunkOf returns the first chunk of random data for a blob declared size
// bytes long (its id is made up: the upload is never meant to finish).
func chunkOf(t *testing.T, size int64) (string, []byte) {
	t.Helper()
	data := make([]byte, api.ChunkLen(size, 0))
	rand.Read(data)
	id := make([]byte, 32)
	rand.Read(id)
	return api.BlobID(id), data
}

// TestAttackArchiveHugeBlob: a workstation declaring a 4 GiB scan is
// refused at its first chunk (the archive's --max-blob-size), and nothing
// is kept; a scan within the limit is taken.
func TestAttackArchiveHugeBlob(t *testing.T) {
	ctx := context.Background()
	arc, _, c := limitedArchive(t, archive.Limits{MaxBlobSize: 64 << 20}, 0)
	mon := arc.monitor(t)
	before := archiveFigures(t, mon)
	id, data := chunkOf(t, 4<<30)
	_, err := c.PutChunk(ctx, id, 4<<30, 0, data)
	if !errors.Is(err, api.ErrTooLarge) {
		t.Fatalf("a chunk of a 4 GiB blob: %v, want ErrTooLarge", err)
	}
	wantWords(t, "the refusal", err.Error(), "limit of 64 MiB", "--max-blob-size")
	if after := archiveFigures(t, mon); after != before {
		t.Errorf("the archive changed after the refused chunk:\nbefore %s\nafter  %s", before, after)
	}
	id, data = chunkOf(t, 3<<20)
	if _, err := c.PutChunk(ctx, id, 3<<20, 0, data); err != nil {
		t.Fatalf("a chunk of a 3 MiB blob: %v", err)
	}
}

// TestAttackArchiveFlood: a workstation over its share of requests or
// bytes is told to wait (429 with Retry-After), which its sync engine
// waits at least; another workstation is still served.
func TestAttackArchiveFlood(t *testing.T) {
	ctx := context.Background()
	arc, _, c := limitedArchive(t, archive.Limits{Requests: 30, Bytes: 4 << 20}, 0)
	var err error
	for range 40 {
		if _, err = c.Device(ctx); err != nil {
			break
		}
	}
	if !errors.Is(err, api.ErrRateLimited) {
		t.Fatalf("40 requests at once: %v, want ErrRateLimited", err)
	}
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Status != 429 || ae.RetryAfter < time.Second || ae.RetryAfter > time.Minute {
		t.Fatalf("the refusal %#v: want 429 with Retry-After of a few seconds", err)
	}
	if wait := syncer.RetryWait(err, 1, 5*time.Minute); wait < ae.RetryAfter {
		t.Errorf("the engine would retry after %s, before the archive's %s", wait, ae.RetryAfter)
	}
	b := arc.station(t, "ward-b")
	if _, err := b.client(t, syncer.ClientOptions{}).Device(ctx); err != nil {
		t.Fatalf("another workstation while ward-a is held back: %v", err)
	}

	// Bytes: 4 MiB an hour, one 1 MiB chunk after another.
	arc.stop(t)
	arc.limits = archive.Limits{Bytes: 4 << 20}
	arc.serve(t)
	id, _ := chunkOf(t, 8<<20)
	data := make([]byte, api.ChunkSize)
	for n := range 8 {
		if _, err = c.PutChunk(ctx, id, 8<<20, n, data); err != nil {
			break
		}
	}
	if !errors.Is(err, api.ErrRateLimited) {
		t.Fatalf("8 MiB sent at once: %v, want ErrRateLimited", err)
	}
	wantWords(t, "the refusal", err.Error(), "in an hour", "--device-bytes-per-hour")
}

// TestAttackArchiveAbandonedUploads: an upload that no chunk reached for
// the archive's --upload-expiry is discarded (its chunks deleted), at
// start-up and by the sweep; the workstation can start it again.
func TestAttackArchiveAbandonedUploads(t *testing.T) {
	ctx := context.Background()
	arc, _, c := limitedArchive(t, archive.Limits{}, 24*time.Hour)
	mon := arc.monitor(t)
	id, data := chunkOf(t, 3<<20)
	if _, err := c.PutChunk(ctx, id, 3<<20, 0, data); err != nil {
		t.Fatal(err)
	}
	if m, err := mon.Metrics(ctx); err != nil || m.Uploads != 1 {
		t.Fatalf("uploads after a first chunk: %+v, %v", m, err)
	}
	arc.stop(t)
	arc.ahead.Store(int64(25 * time.Hour))
	arc.serve(t)
	if m, err := mon.Metrics(ctx); err != nil || m.Uploads != 0 {
		t.Fatalf("uploads a day later: %d, %v; want the abandoned one discarded", m.Uploads, err)
	}
	if st, err := c.BlobStatus(ctx, id); !errors.Is(err, api.ErrNotFound) {
		t.Fatalf("the discarded upload: %+v, %v; want not found", st, err)
	}
}

// heldBy is what the archive counts device name holding, as its metrics
// show it.
func heldBy(t *testing.T, mon *syncer.Client, name string) int64 {
	t.Helper()
	m, err := mon.Metrics(context.Background())
	if err != nil {
		t.Fatalf("archive metrics: %v", err)
	}
	for _, d := range m.Devices {
		if d.Name == name {
			return d.Held
		}
	}
	t.Fatalf("the archive's metrics name no device %s", name)
	return 0
}

// TestAttackArchiveFillDisk: a workstation uploading past its storage
// quota (--device-quota) is refused (507, api.ErrQuota) with words an
// administrator acts on; the count survives a restart of the archive; a
// second workstation uploading a blob the first already sent is not
// charged for it; the refused workstation's sync engine keeps what it
// would send, still receives, says so in a clerk's words and waits long.
func TestAttackArchiveFillDisk(t *testing.T) {
	ctx := context.Background()
	const quota = 4 << 20
	arc := startSecArchive(t, "Lake Health District")
	arc.stop(t)
	arc.limits = archive.Limits{DeviceQuota: quota}
	arc.serve(t)
	a := arc.station(t, "ward-a")
	admin := firstVault(t, a)
	a.round(t, admin)
	b := arc.station(t, "ward-b")
	nurse := join(t, a, admin, b)
	mon := arc.monitor(t)
	c := a.client(t, syncer.ClientOptions{})

	// ward-a fills its quota exactly with the first chunk of a blob (an
	// incomplete upload counts whole), then tries one more.
	fill := quota - heldBy(t, mon, "ward-a")
	fillID, data := chunkOf(t, fill)
	if _, err := c.PutChunk(ctx, fillID, fill, 0, data); err != nil {
		t.Fatalf("a blob that fills the quota: %v", err)
	}
	over := func(what string) {
		t.Helper()
		id, data := chunkOf(t, 1<<20)
		_, err := c.PutChunk(ctx, id, 1<<20, 0, data)
		var ae *api.Error
		if !errors.Is(err, api.ErrQuota) || !errors.As(err, &ae) || ae.Status != 507 {
			t.Fatalf("%s: a blob past the quota: %v, want ErrQuota (507)", what, err)
		}
		wantWords(t, "the refusal", err.Error(), "workstation ward-a holds 4.0 MiB", "quota is 4.0 MiB", "--device-quota")
	}
	over("before a restart")
	arc.stop(t)
	arc.serve(t)
	if held := heldBy(t, mon, "ward-a"); held != quota {
		t.Errorf("after a restart the archive counts ward-a holding %d bytes, want %d", held, quota)
	}
	over("after a restart")

	// ward-b sends the same blob: held already, it costs ward-b nothing.
	bHeld := heldBy(t, mon, "ward-b")
	if _, err := b.client(t, syncer.ClientOptions{}).PutChunk(ctx, fillID, fill, 1, make([]byte, api.ChunkLen(fill, 1))); err != nil {
		t.Fatalf("ward-b sends a chunk of the blob ward-a sent: %v", err)
	}
	if held := heldBy(t, mon, "ward-b"); held != bHeld {
		t.Errorf("ward-b holds %d bytes after sending a blob ward-a holds, want %d as before", held, bHeld)
	}

	// ward-a's engine: its new records wait, ward-b's arrive.
	registerPatients(t, nurse, 1)
	b.round(t, nurse)
	registerPatients(t, admin, 2)
	pending, err := a.prof.DB.Oplog().PendingCount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	eng := syncer.New(syncer.Params{DB: a.prof.DB, Blobs: a.prof.Blobs, Session: admin.Replica(), Client: c, Log: slog.New(slog.DiscardHandler)})
	rep, err := eng.Round(ctx)
	if !errors.Is(err, api.ErrQuota) {
		t.Fatalf("ward-a's round over its quota: %v (did %s), want ErrQuota", err, rep)
	}
	if rep.Pulled == 0 {
		t.Errorf("ward-a's round over its quota took in nothing (%s): ward-b's record should arrive", rep)
	}
	if n, err := a.prof.DB.Oplog().PendingCount(ctx); err != nil || n < pending {
		t.Errorf("ward-a's pending changes after the refused round: %d, %v; want at least the %d before", n, err, pending)
	}
	text, _, problem := syncer.Describe(eng.Status(), time.Now())
	t.Logf("the indicator says: %s", text)
	if !problem {
		t.Errorf("the indicator shows no problem: %q", text)
	}
	wantWords(t, "the sync indicator", text, "no more room", "Nothing is lost", "administrator")
	if wait := syncer.RetryWait(err, 1, 10*time.Minute); wait < 5*time.Minute {
		t.Errorf("the engine would ask again after %s, want the longest backoff (from 5 minutes)", wait)
	}

	// The administrator raises ward-a's quota alone, as the refusal
	// says; it holds over a restart, and what waited is sent.
	arc.stop(t)
	if out := arc.command(t, "device", "quota", "--name", "ward-a", "64MiB"); !strings.Contains(out, "ward-a may hold 64.0 MiB") {
		t.Fatalf("device quota says %q", out)
	}
	if out := arc.command(t, "status"); !regexp.MustCompile(`(?m)^ward-a .*64\.0 MiB\s*$`).MatchString(out) {
		t.Fatalf("status does not show ward-a's quota:\n%s", out)
	}
	arc.serve(t)
	if rep, err := eng.Round(ctx); err != nil {
		t.Fatalf("ward-a's round after its quota was raised: %v (did %s)", err, rep)
	}
	if n, err := a.prof.DB.Oplog().PendingCount(ctx); err != nil || n != 0 {
		t.Fatalf("ward-a's pending changes after its quota was raised: %d, %v", n, err)
	}
	// ward-b is still held to the server's.
	id, data := chunkOf(t, quota)
	if _, err := b.client(t, syncer.ClientOptions{}).PutChunk(ctx, id, quota, 0, data); !errors.Is(err, api.ErrQuota) {
		t.Fatalf("ward-b past the server's quota: %v, want ErrQuota", err)
	}
}
