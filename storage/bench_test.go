package storage

import (
	"context"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"folio/app"
	"folio/crypto"
)

// benchFixture is a store sealed with the real Tink envelope AEAD (a fresh
// data key per version, wrapped by the KEK), so the figures include the
// encryption Folio really does.
func benchFixture(b *testing.B) *fixture {
	b.Helper()
	f := newFixture(b, Options{})
	k, err := crypto.NewKeyring()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(k.Close)
	f.aead = k.RecordAEAD()
	f.rec = f.db.Records(f.aead)
	return f
}

// The write benchmarks commit 1,000 new records of 1 KiB with 4 index
// tokens each per transaction, with random (UUID-like) ids as the app uses.
const (
	benchBatch  = 1000
	benchSize   = 1024
	benchTokens = 4
)

func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func randomToken() []byte {
	t := make([]byte, 16)
	_, _ = rand.Read(t)
	return t
}

// seqID returns time-ordered ids (like UUIDv7): inserts land at the end of
// the B+trees instead of all over them.
var seqCounter uint64

func seqID() string {
	seqCounter++
	return fmt.Sprintf("%016x-%s", seqCounter, randomID()[:8])
}

func benchWrites() []app.RecordWrite { return benchWritesWith(randomID) }

func benchWritesWith(newID func() string) []app.RecordWrite {
	data := make([]byte, benchSize)
	_, _ = rand.Read(data)
	ws := make([]app.RecordWrite, benchBatch)
	for i := range ws {
		toks := make([][]byte, benchTokens)
		for j := range toks {
			toks[j] = randomToken()
		}
		ws[i] = app.RecordWrite{Kind: app.KindPatient, ID: newID(), Data: data, Tokens: toks}
	}
	return ws
}

func BenchmarkCommit1000(b *testing.B) {
	for _, ids := range []struct {
		name  string
		newID func() string
	}{{"random-ids", randomID}, {"time-ordered-ids", seqID}} {
		b.Run(ids.name, func(b *testing.B) {
			ctx := context.Background()
			f := benchFixture(b)
			var elapsed time.Duration
			n := 0
			for b.Loop() {
				b.StopTimer()
				ws := benchWritesWith(ids.newID)
				b.StartTimer()
				start := time.Now()
				if _, err := f.rec.Commit(ctx, app.Commit{Writes: ws, Audit: [][]byte{make([]byte, 200)}}); err != nil {
					b.Fatal(err)
				}
				elapsed += time.Since(start)
				n += len(ws)
			}
			b.ReportMetric(float64(n)/elapsed.Seconds(), "writes/s")
		})
	}
}

// BenchmarkPlainBolt1000 is the same writes and key layout on plain bbolt,
// without encryption or the store's checks: the floor Commit is measured
// against.
func BenchmarkPlainBolt1000(b *testing.B) {
	db, err := bolt.Open(filepath.Join(b.TempDir(), "plain.db"), 0o600, &bolt.Options{FreelistType: bolt.FreelistMapType})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	var elapsed time.Duration
	n := 0
	hlc := uint64(time.Now().UnixMilli()) << 16
	for b.Loop() {
		b.StopTimer()
		ws := benchWrites()
		b.StartTimer()
		start := time.Now()
		err := db.Update(func(tx *bolt.Tx) error {
			vers, heads, toks := tx.Bucket(bucketVersions), tx.Bucket(bucketHeads), tx.Bucket(bucketTokens)
			index, oplog := tx.Bucket(bucketIndex), tx.Bucket(bucketOplog)
			for _, w := range ws {
				hlc++
				v := app.Version{HLC: hlc, Device: 1}
				if err := vers.Put(versionKey(w.Kind, w.ID, v), encodeVersionValue(w.Parent, nil, w.Data)); err != nil {
					return err
				}
				rk := recordKey(w.Kind, w.ID)
				if err := heads.Put(rk, encodeVersion(v)); err != nil {
					return err
				}
				for _, t := range w.Tokens {
					if err := index.Put(indexKey(t, w.Kind, w.ID), []byte{}); err != nil {
						return err
					}
				}
				if err := toks.Put(rk, encodeTokenSet(v, w.Tokens)); err != nil {
					return err
				}
				seq, _ := oplog.NextSequence()
				if err := oplog.Put(seqKey(seq), encodeOp(w.Kind, w.ID, v)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		n += len(ws)
	}
	b.ReportMetric(float64(n)/elapsed.Seconds(), "writes/s")
}

// benchStore fills a store with 10,000 records and returns their ids and
// one token of each.
func benchStore(b *testing.B) (*fixture, []string, [][]byte) {
	ctx := context.Background()
	f := benchFixture(b)
	var ids []string
	var toks [][]byte
	for range 10 {
		ws := benchWrites()
		if _, err := f.rec.Commit(ctx, app.Commit{Writes: ws}); err != nil {
			b.Fatal(err)
		}
		for _, w := range ws {
			ids = append(ids, w.ID)
			toks = append(toks, w.Tokens[0])
		}
	}
	return f, ids, toks
}

func BenchmarkHead(b *testing.B) {
	ctx := context.Background()
	f, ids, _ := benchStore(b)
	i := 0
	for b.Loop() {
		if _, err := f.rec.Head(ctx, app.KindPatient, ids[i%len(ids)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkLookup(b *testing.B) {
	ctx := context.Background()
	f, _, toks := benchStore(b)
	i := 0
	for b.Loop() {
		got, err := f.rec.Lookup(ctx, toks[i%len(toks)])
		if err != nil || len(got) != 1 {
			b.Fatal(got, err)
		}
		i++
	}
}

// BenchmarkPlainBoltGet reads the same records as BenchmarkHead straight
// from bbolt (head, then the version value) without decrypting: the floor
// Head is measured against.
func BenchmarkPlainBoltGet(b *testing.B) {
	f, ids, _ := benchStore(b)
	i := 0
	for b.Loop() {
		id := ids[i%len(ids)]
		err := f.db.bolt.View(func(tx *bolt.Tx) error {
			v, err := decodeVersion(tx.Bucket(bucketHeads).Get(recordKey(app.KindPatient, id)))
			if err != nil {
				return err
			}
			val := tx.Bucket(bucketVersions).Get(versionKey(app.KindPatient, id, v))
			if val == nil {
				return fmt.Errorf("no version for %s", id)
			}
			_ = append([]byte(nil), val...) // copied out, as Head does
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		i++
	}
}
