package storetest

import (
	"context"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"folio/archive"
	"folio/archive/api"
)

// BenchmarkPush pushes batches of 100 versions of 1 KiB ciphertext into s
// and reports versions per second; every store's BenchmarkPush runs it, so
// the stores compare.
func BenchmarkPush(b *testing.B, s archive.Store) {
	const per = 100
	const dev = api.DeviceID(0xbe)
	ct := make([]byte, 1024)
	rand.Read(ct)
	ctx := context.Background()
	batch := uint64(0)
	for b.Loop() {
		batch++
		req := api.PushRequest{Device: dev, Batch: batch, Versions: make([]api.RecordVersion, per)}
		for i := range per {
			hlc := batch*per + uint64(i)
			req.Versions[i] = api.RecordVersion{Kind: "document", ID: fmt.Sprint("d", hlc), Version: api.Version{HLC: hlc, Device: dev}, Ciphertext: ct}
		}
		if _, err := s.Push(ctx, req, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(per*b.N)/b.Elapsed().Seconds(), "versions/s")
}
