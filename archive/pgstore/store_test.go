package pgstore_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	neturl "net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"folio/archive"
	"folio/archive/api"
	"folio/archive/pgstore"
	"folio/archive/storetest"
)

const defaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// testURL returns the URL of the test PostgreSQL. A server that cannot be
// reached fails the test, unless FOLIO_NO_POSTGRES=1 says there is none.
func testURL(tb testing.TB) string {
	tb.Helper()
	url := os.Getenv("FOLIO_TEST_POSTGRES")
	if url == "" {
		url = defaultURL
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err == nil {
		err = conn.Ping(ctx)
		conn.Close(ctx)
	}
	if err != nil {
		if os.Getenv("FOLIO_NO_POSTGRES") == "1" {
			tb.Skipf("PostgreSQL not reachable and FOLIO_NO_POSTGRES=1: %v", err)
		}
		shown := url
		if u, perr := neturl.Parse(url); perr == nil {
			shown = u.Redacted()
		}
		tb.Fatalf("PostgreSQL is not reachable at %s: %v\n"+
			"Start it (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start), "+
			"point FOLIO_TEST_POSTGRES at another server, or set FOLIO_NO_POSTGRES=1 to skip these tests.", shown, err)
	}
	return url
}

// freshSchema names a schema no other test uses, dropped when tb ends
// (after the stores on it are closed: cleanups run last-in first-out).
func freshSchema(tb testing.TB, url string) string {
	tb.Helper()
	var b [6]byte
	rand.Read(b[:])
	name := "folio_test_" + hex.EncodeToString(b[:])
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			tb.Errorf("drop schema %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{name}.Sanitize()+` CASCADE`); err != nil {
			tb.Errorf("drop schema %s: %v", name, err)
		}
	})
	return name
}

func open(tb testing.TB, url, schema string) *pgstore.Store {
	tb.Helper()
	s, err := pgstore.Open(context.Background(), url, pgstore.WithSchema(schema))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	url := testURL(t)
	storetest.Run(t, func(t *testing.T) (archive.Store, func(t *testing.T) archive.Store) {
		schema := freshSchema(t, url)
		reopen := func(t *testing.T) archive.Store { return open(t, url, schema) }
		return reopen(t), reopen
	})
}

func TestConcurrentOpenMigratesOnce(t *testing.T) {
	url := testURL(t)
	schema := freshSchema(t, url)
	const n = 6
	stores := make([]*pgstore.Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { stores[i], errs[i] = pgstore.Open(context.Background(), url, pgstore.WithSchema(schema)) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("open %d of %d at once: %v", i, n, err)
		}
		t.Cleanup(func() { stores[i].Close() })
	}
	// Every store works on the one schema.
	const a = api.DeviceID(0xa)
	for i, s := range stores {
		v := api.RecordVersion{Kind: "patient", ID: fmt.Sprint("p", i), Version: api.Version{HLC: uint64(i + 1), Device: a}, Ciphertext: []byte("x")}
		resp, err := s.Push(context.Background(), api.PushRequest{Device: a, Batch: uint64(i + 1), Versions: []api.RecordVersion{v}}, time.Now())
		if err != nil || resp.Results[0].Seq != uint64(i+1) {
			t.Fatalf("push through store %d: %+v, %v; want seq %d", i, resp, err, i+1)
		}
	}
}

// TestOpenSearchPath opens a store by the URL's search_path alone, and with
// a pool of one connection (migrating must not wait for a second).
func TestOpenSearchPath(t *testing.T) {
	url := testURL(t)
	schema := freshSchema(t, url)
	ctx := context.Background()
	s, err := pgstore.Open(ctx, url, pgstore.WithSchema(schema), pgstore.WithMaxConns(1))
	if err != nil {
		t.Fatal(err)
	}
	const a = api.DeviceID(0xa)
	v := api.RecordVersion{Kind: "patient", ID: "p1", Version: api.Version{HLC: 1, Device: a}, Ciphertext: []byte("x")}
	if _, err := s.Push(ctx, api.PushRequest{Device: a, Batch: 1, Versions: []api.RecordVersion{v}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = pgstore.Open(ctx, url+"&search_path="+schema)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if vs, err := s.Versions(ctx, "patient", "p1"); err != nil || len(vs) != 1 {
		t.Fatalf("versions through the URL's search_path: %+v, %v; want the one pushed", vs, err)
	}
	if _, err := pgstore.Open(ctx, url+"&search_path=folio_test_no_such_schema"); err == nil {
		t.Fatal("open with a search_path naming no schema: no error")
	}
}

// TestTwoProcessesGapFree pushes through two stores on one schema, as two
// archive processes behind a load balancer would, while a reader pulls:
// the global order must come out gap-free, every acknowledged seq must be
// the one pulled, and the reader must never see a seq before a lower one.
func TestTwoProcessesGapFree(t *testing.T) {
	url := testURL(t)
	schema := freshSchema(t, url)
	procs := []*pgstore.Store{open(t, url, schema), open(t, url, schema)}
	for _, s := range procs {
		t.Cleanup(func() { s.Close() })
	}
	ctx, stopReader := context.WithCancel(context.Background())
	defer stopReader()
	readerErr := make(chan error, 1)
	go func() { // a puller following along while pushes land
		var after uint64
		for ctx.Err() == nil {
			page, err := procs[1].Pull(ctx, 0xfeed, after, 50, time.Now())
			if err != nil {
				if ctx.Err() != nil {
					break
				}
				readerErr <- err
				return
			}
			for _, c := range page.Changes {
				if c.Seq != after+1 {
					readerErr <- fmt.Errorf("reader after %d got seq %d: it skipped a change", after, c.Seq)
					return
				}
				after = c.Seq
			}
		}
		readerErr <- nil
	}()
	// Devices alternate between the two processes.
	storetest.PushGapFree(t, []archive.Store{procs[0], procs[1]}, 6, 20, 5)
	stopReader()
	if err := <-readerErr; err != nil {
		t.Fatal(err)
	}
}

// TestBlobReaderSeeks reads a blob of several chunks from offsets across
// chunk boundaries, as an HTTP Range request does.
func TestBlobReaderSeeks(t *testing.T) {
	url := testURL(t)
	s := open(t, url, freshSchema(t, url))
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	data := make([]byte, 2*api.ChunkSize+777)
	rand.Read(data)
	id := api.BlobID(data)
	for n := range api.ChunkCount(int64(len(data))) {
		c := data[n*api.ChunkSize : n*api.ChunkSize+api.ChunkLen(int64(len(data)), n)]
		if _, err := s.PutChunk(ctx, id, int64(len(data)), n, sha256.Sum256(c), c); err != nil {
			t.Fatal(err)
		}
	}
	f, size, err := s.OpenBlob(ctx, id)
	if err != nil || size != int64(len(data)) {
		t.Fatalf("open blob: %d bytes, %v", size, err)
	}
	defer f.Close()
	for _, off := range []int64{api.ChunkSize - 10, 0, 2*api.ChunkSize + 700, api.ChunkSize, 5} {
		if _, err := f.Seek(off, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(io.LimitReader(f, api.ChunkSize+20))
		if err != nil {
			t.Fatalf("read from %d: %v", off, err)
		}
		want := data[off:min(off+api.ChunkSize+20, int64(len(data)))]
		if !bytes.Equal(got, want) {
			t.Fatalf("read from %d: %d bytes differing from the blob's", off, len(got))
		}
	}
	if end, err := f.Seek(0, io.SeekEnd); err != nil || end != size {
		t.Fatalf("seek to the end: %d, %v", end, err)
	}
	if n, err := f.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Fatalf("read at the end: %d, %v; want io.EOF", n, err)
	}
}

// BenchmarkPush is storetest's push benchmark on PostgreSQL.
func BenchmarkPush(b *testing.B) {
	url := testURL(b)
	s := open(b, url, freshSchema(b, url))
	b.Cleanup(func() { s.Close() })
	storetest.BenchmarkPush(b, s)
}
