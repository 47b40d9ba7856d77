package archive_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"folio/archive"
	"folio/archive/api"
	"folio/archive/boltstore"
)

// headerDevice stands in for the TLS client certificate in these tests.
const headerDevice = "X-Test-Device"

var errRevoked = fmt.Errorf("%w: device revoked", api.ErrForbidden)

func deviceFromHeader(r *http.Request) (api.DeviceID, error) {
	v := r.Header.Get(headerDevice)
	if v == "revoked" {
		return 0, errRevoked
	}
	if v == "" {
		return 0, errors.New("no client certificate")
	}
	return api.ParseDeviceID(v)
}

type fixture struct {
	t     *testing.T
	store *boltstore.Store
	srv   *httptest.Server
	// served gets each request's path once the handler has returned.
	served chan string
	// members are the devices made workstations of the organisation's
	// vault (orgKey) before their first request: every device of these
	// tests is one, but for TestVaultMembers'.
	mu      sync.Mutex
	members map[api.DeviceID]bool
	strict  bool // no device is made a member by the fixture
}

// orgKey stands for the organisation vault's identity key in the tests
// that do not sign claims.
var orgKey = bytes.Repeat([]byte{0x42}, api.VaultKeySize)

// member makes dev a workstation of the organisation's vault, as its
// signed claim would, unless the fixture is strict.
func (f *fixture) member(dev api.DeviceID) {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.strict || dev == 0 || f.members[dev] {
		return
	}
	if _, err := f.store.ClaimVault(context.Background(), dev, orgKey, time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)); err != nil {
		f.t.Fatalf("make %s a member: %v", dev, err)
	}
	f.members[dev] = true
}

func newFixture(t *testing.T) *fixture {
	st, err := boltstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h, err := archive.NewServer(archive.ServerParams{
		Store: st, DeviceFromRequest: deviceFromHeader,
		Now: func() time.Time { return time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, store: st, served: make(chan string, 1000), members: map[api.DeviceID]bool{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		select {
		case f.served <- r.URL.Path:
		default:
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// do sends a request as dev (no device when dev is 0) and returns the
// status and body.
func (f *fixture) do(dev api.DeviceID, method, path string, body io.Reader, hdr map[string]string) (int, []byte) {
	f.t.Helper()
	f.member(dev)
	req, err := http.NewRequest(method, f.srv.URL+path, body)
	if err != nil {
		f.t.Fatal(err)
	}
	if dev != 0 {
		req.Header.Set(headerDevice, dev.String())
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp.StatusCode, b
}

func (f *fixture) push(dev api.DeviceID, req api.PushRequest) (int, []byte) {
	f.t.Helper()
	b, err := json.Marshal(req)
	if err != nil {
		f.t.Fatal(err)
	}
	return f.do(dev, http.MethodPost, api.PathPush, bytes.NewReader(b), nil)
}

func (f *fixture) head() uint64 {
	f.t.Helper()
	status, b := f.do(devA, http.MethodGet, api.PathMetrics, nil, nil)
	m, err := api.DecodeMetrics(bytes.NewReader(b))
	if status != http.StatusOK || err != nil {
		f.t.Fatalf("metrics: %d %s %v", status, b, err)
	}
	return m.Head
}

// wantError checks an error answer's status and code and that its message
// says something.
func wantError(t *testing.T, status int, body []byte, wantStatus int, wantCode string) {
	t.Helper()
	e := api.DecodeError(status, bytes.NewReader(body))
	if status != wantStatus || e.Code != wantCode || len(e.Message) < 10 {
		t.Fatalf("answer %d %s, want %d with code %s and a message", status, body, wantStatus, wantCode)
	}
}

const devA, devB = api.DeviceID(0xa), api.DeviceID(0xb)

func rv(dev api.DeviceID, id string, hlc uint64) api.RecordVersion {
	return api.RecordVersion{Kind: "patient", ID: id, Version: api.Version{HLC: hlc, Device: dev}, Ciphertext: []byte("sealed " + id)}
}

func TestPushPull(t *testing.T) {
	f := newFixture(t)
	req := api.PushRequest{Device: devA, Batch: 1, Versions: []api.RecordVersion{rv(devA, "p1", 10), rv(devA, "p2", 11)}}
	status, b := f.push(devA, req)
	resp, err := api.DecodePushResponse(bytes.NewReader(b))
	if status != http.StatusOK || err != nil || resp.Results[0].Seq != 1 || resp.Results[1].Seq != 2 {
		t.Fatalf("push: %d %s %v", status, b, err)
	}
	status, b = f.push(devA, req)
	again, err := api.DecodePushResponse(bytes.NewReader(b))
	if status != http.StatusOK || err != nil || !again.Replayed || again.Results[1] != resp.Results[1] {
		t.Fatalf("replayed push: %d %s %v", status, b, err)
	}
	status, b = f.do(devB, http.MethodGet, api.PathChanges+"?after=0&limit=1", nil, nil)
	page, err := api.DecodePullResponse(bytes.NewReader(b))
	if status != http.StatusOK || err != nil || len(page.Changes) != 1 || !page.More || page.Next != 1 {
		t.Fatalf("pull page 1: %d %s %v", status, b, err)
	}
	status, b = f.do(devB, http.MethodGet, api.PathChanges+"?after=1", nil, nil)
	page, err = api.DecodePullResponse(bytes.NewReader(b))
	if status != http.StatusOK || err != nil || len(page.Changes) != 1 || page.More || page.Changes[0].ID != "p2" ||
		!bytes.Equal(page.Changes[0].Ciphertext, []byte("sealed p2")) || page.Changes[0].Pusher != devA {
		t.Fatalf("pull page 2: %d %s %v", status, b, err)
	}
	status, b = f.do(devA, http.MethodGet, api.PathDevice, nil, nil)
	info, err := api.DecodeDeviceInfo(bytes.NewReader(b))
	if status != http.StatusOK || err != nil || info.LastBatch != 1 || info.Versions != 2 {
		t.Fatalf("device: %d %s %v", status, b, err)
	}
}

func TestBadRequestsStoreNothing(t *testing.T) {
	f := newFixture(t)
	good, _ := json.Marshal(api.PushRequest{Device: devA, Batch: 1, Versions: []api.RecordVersion{rv(devA, "p1", 10)}})
	other, _ := json.Marshal(api.PushRequest{Device: devB, Batch: 1, Versions: []api.RecordVersion{rv(devB, "p1", 10)}})
	forged, _ := json.Marshal(api.PushRequest{Device: devA, Batch: 1, Versions: []api.RecordVersion{rv(devB, "p1", 10)}})
	cases := []struct {
		name       string
		dev        string
		method     string
		path, body string
		status     int
		code       string
		hdr        map[string]string
	}{
		{"no certificate", "", "POST", api.PathPush, string(good), 401, api.CodeUnauthenticated, nil},
		{"revoked device", "revoked", "POST", api.PathPush, string(good), 403, api.CodeForbidden, nil},
		{"push for another device", devA.String(), "POST", api.PathPush, string(other), 403, api.CodeForbidden, nil},
		{"another device's version", devA.String(), "POST", api.PathPush, string(forged), 403, api.CodeForbidden, nil},
		{"not JSON", devA.String(), "POST", api.PathPush, "{not json", 400, api.CodeInvalid, nil},
		{"unknown field", devA.String(), "POST", api.PathPush, `{"device":"000000000000000a","batch":1,"versions":[],"extra":1}`, 400, api.CodeInvalid, nil},
		{"trailing data", devA.String(), "POST", api.PathPush, string(good) + "{}", 400, api.CodeInvalid, nil},
		{"bad cursor", devA.String(), "GET", api.PathChanges + "?after=-1", "", 400, api.CodeInvalid, nil},
		{"limit too big", devA.String(), "GET", api.PathChanges + "?limit=100000", "", 400, api.CodeInvalid, nil},
		{"cursor past head", devA.String(), "GET", api.PathChanges + "?after=5", "", 409, api.CodeConflict, nil},
		{"bad blob id", devA.String(), "GET", api.PathBlobs + "xyz", "", 400, api.CodeInvalid, nil},
		{"unknown blob", devA.String(), "GET", api.PathBlobs + api.BlobID([]byte("none")), "", 404, api.CodeNotFound, nil},
		{"unknown blob data", devA.String(), "GET", api.PathBlobs + api.BlobID([]byte("none")) + "/data", "", 404, api.CodeNotFound, nil},
		{"no such endpoint", devA.String(), "GET", "/v1/nothing", "", 404, api.CodeNotFound, nil},
		{"chunk without size", devA.String(), "PUT", api.PathBlobs + api.BlobID([]byte("ab")) + "/chunks/0", "ab", 400, api.CodeInvalid,
			map[string]string{api.HeaderChunkSHA256: api.BlobID([]byte("ab"))}},
		{"chunk without hash", devA.String(), "PUT", api.PathBlobs + api.BlobID([]byte("ab")) + "/chunks/0", "ab", 400, api.CodeInvalid,
			map[string]string{api.HeaderBlobSize: "2"}},
		{"chunk hash in capitals", devA.String(), "PUT", api.PathBlobs + api.BlobID([]byte("ab")) + "/chunks/0", "ab", 400, api.CodeInvalid,
			map[string]string{api.HeaderBlobSize: "2", api.HeaderChunkSHA256: strings.ToUpper(api.BlobID([]byte("ab")))}},
		{"chunk past the end", devA.String(), "PUT", api.PathBlobs + api.BlobID([]byte("ab")) + "/chunks/1", "ab", 400, api.CodeInvalid,
			map[string]string{api.HeaderBlobSize: "2", api.HeaderChunkSHA256: api.BlobID([]byte("ab"))}},
		{"chunk of the wrong length", devA.String(), "PUT", api.PathBlobs + api.BlobID([]byte("ab")) + "/chunks/0", "abc", 400, api.CodeInvalid,
			map[string]string{api.HeaderBlobSize: "2", api.HeaderChunkSHA256: api.BlobID([]byte("ab"))}},
		{"chunk not matching its hash", devA.String(), "PUT", api.PathBlobs + api.BlobID([]byte("ab")) + "/chunks/0", "ac", 422, api.CodeHashMismatch,
			map[string]string{api.HeaderBlobSize: "2", api.HeaderChunkSHA256: api.BlobID([]byte("ab"))}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			req, _ := http.NewRequest(tc.method, f.srv.URL+tc.path, body)
			if tc.dev != "" {
				req.Header.Set(headerDevice, tc.dev)
			}
			for k, v := range tc.hdr {
				req.Header.Set(k, v)
			}
			resp, err := f.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			wantError(t, resp.StatusCode, b, tc.status, tc.code)
			if h := f.head(); h != 0 {
				t.Fatalf("head %d after a refused request, want 0", h)
			}
			if _, err := f.store.BlobStatus(context.Background(), api.BlobID([]byte("ab"))); !errors.Is(err, api.ErrNotFound) {
				t.Fatalf("blob status after a refused request: %v, want ErrNotFound", err)
			}
		})
	}
}

// countingReader yields n bytes of 'x' and counts what was read.
type countingReader struct{ n, read int }

func (c *countingReader) Read(p []byte) (int, error) {
	if c.read >= c.n {
		return 0, io.EOF
	}
	k := min(len(p), c.n-c.read)
	for i := range k {
		p[i] = 'x'
	}
	c.read += k
	return k, nil
}

func TestOversizedBodyRefusedBeforeReading(t *testing.T) {
	f := newFixture(t)
	f.member(devA)
	h, _ := archive.NewServer(archive.ServerParams{Store: f.store, DeviceFromRequest: deviceFromHeader})
	cases := []struct {
		name, path, method string
		size               int
		hdr                map[string]string
		status             int
	}{
		{"push", api.PathPush, "POST", api.MaxPushBody + 1, nil, 413},
		{"chunk", api.PathBlobs + api.BlobID([]byte("b")) + "/chunks/0", "PUT", api.ChunkSize + 1,
			map[string]string{api.HeaderBlobSize: strconv.Itoa(2 * api.ChunkSize), api.HeaderChunkSHA256: api.BlobID(nil)}, 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := &countingReader{n: tc.size}
			req := httptest.NewRequest(tc.method, tc.path, body)
			req.ContentLength = int64(tc.size)
			req.Header.Set(headerDevice, devA.String())
			for k, v := range tc.hdr {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status || body.read != 0 {
				t.Fatalf("answer %d %s after reading %d bytes; want %d before reading", rec.Code, rec.Body, body.read, tc.status)
			}
		})
	}
}

// failingReader yields its bytes, then an error: a link cut mid-upload.
type failingReader struct{ r io.Reader }

func (f failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errors.New("link cut")
	}
	return n, err
}

func (f *fixture) putChunk(data []byte, id string, n int, body io.Reader, sum string) (int, []byte) {
	f.t.Helper()
	return f.do(devA, http.MethodPut, fmt.Sprintf("%s%s/chunks/%d", api.PathBlobs, id, n), body, map[string]string{
		api.HeaderBlobSize: strconv.Itoa(len(data)), api.HeaderChunkSHA256: sum,
	})
}

func chunkOf(data []byte, n int) ([]byte, string) {
	c := data[n*api.ChunkSize : n*api.ChunkSize+api.ChunkLen(int64(len(data)), n)]
	s := sha256.Sum256(c)
	return c, hex.EncodeToString(s[:])
}

func TestBlobUploadResumeAndRange(t *testing.T) {
	f := newFixture(t)
	r := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 2*api.ChunkSize+999)
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	id := api.BlobID(data)
	c0, s0 := chunkOf(data, 0)
	if status, b := f.putChunk(data, id, 0, bytes.NewReader(c0), s0); status != 200 {
		t.Fatalf("chunk 0: %d %s", status, b)
	}
	// Chunk 1 is cut half-way: the client sees an error, the server stores nothing.
	c1, s1 := chunkOf(data, 1)
	req, _ := http.NewRequest(http.MethodPut, fmt.Sprintf("%s%s%s/chunks/1", f.srv.URL, api.PathBlobs, id), failingReader{bytes.NewReader(c1[:len(c1)/2])})
	req.ContentLength = int64(len(c1))
	req.Header.Set(headerDevice, devA.String())
	req.Header.Set(api.HeaderBlobSize, strconv.Itoa(len(data)))
	req.Header.Set(api.HeaderChunkSHA256, s1)
	if resp, err := f.srv.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("a cut upload succeeded")
	}
	for p := range f.served {
		if strings.HasSuffix(p, "/chunks/1") {
			break
		}
	}
	// A damaged chunk 1 is refused.
	bad := bytes.Clone(c1)
	bad[0] ^= 0xff
	status, b := f.putChunk(data, id, 1, bytes.NewReader(bad), s1)
	wantError(t, status, b, http.StatusUnprocessableEntity, api.CodeHashMismatch)

	status, b = f.do(devA, http.MethodGet, api.PathBlobs+id, nil, nil)
	st, err := api.DecodeBlobStatus(bytes.NewReader(b))
	if status != 200 || err != nil || fmt.Sprint(st.Missing()) != "[1 2]" {
		t.Fatalf("status after the cut: %d %s %v; want chunks 1 and 2 missing", status, b, err)
	}
	sent := 0
	for _, n := range st.Missing() {
		c, s := chunkOf(data, n)
		status, b = f.putChunk(data, id, n, bytes.NewReader(c), s)
		if status != 200 {
			t.Fatalf("chunk %d: %d %s", n, status, b)
		}
		sent += len(c)
	}
	if st, _ = api.DecodeBlobStatus(bytes.NewReader(b)); !st.Complete || sent != len(data)-api.ChunkSize {
		t.Fatalf("after resuming: %+v, sent %d", st, sent)
	}
	status, b = f.do(devA, http.MethodGet, api.PathBlobs+id+"/data", nil, nil)
	if status != 200 || !bytes.Equal(b, data) {
		t.Fatalf("download: %d, %d bytes", status, len(b))
	}
	from, to := api.ChunkSize+5, 2*api.ChunkSize+100
	status, b = f.do(devB, http.MethodGet, api.PathBlobs+id+"/data", nil, map[string]string{"Range": fmt.Sprintf("bytes=%d-%d", from, to)})
	if status != http.StatusPartialContent || !bytes.Equal(b, data[from:to+1]) {
		t.Fatalf("range download: %d, %d bytes", status, len(b))
	}
	status, _ = f.do(devB, http.MethodHead, api.PathBlobs+id, nil, nil)
	if status != 200 {
		t.Fatalf("HEAD of a stored blob: %d", status)
	}
}

func TestHealthAndMetrics(t *testing.T) {
	f := newFixture(t)
	status, b := f.do(0, http.MethodGet, api.PathHealth, nil, nil)
	if h, err := api.DecodeHealth(bytes.NewReader(b)); status != 200 || err != nil || h.Status != "ok" {
		t.Fatalf("health: %d %s %v", status, b, err)
	}
	// devA pushed to an empty archive: it holds all, no backlog.
	f.push(devA, api.PushRequest{Device: devA, Batch: 1, Versions: []api.RecordVersion{rv(devA, "p1", 10)}})
	status, b = f.do(devB, http.MethodGet, api.PathMetrics, nil, nil)
	m, err := api.DecodeMetrics(bytes.NewReader(b))
	if status != 200 || err != nil || m.Head != 1 || len(m.Devices) != 1 || m.Devices[0].ID != devA || m.Devices[0].Backlog != 0 || m.RecordBytes != int64(len("sealed p1")) {
		t.Fatalf("metrics: %d %s %v", status, b, err)
	}
	status, b = f.do(0, http.MethodGet, api.PathMetrics, nil, nil)
	wantError(t, status, b, 401, api.CodeUnauthenticated)
}

func TestConcurrentPushesOverHTTP(t *testing.T) {
	f := newFixture(t)
	const devices, batches = 3, 10
	errs := make(chan error, devices*batches)
	var wg sync.WaitGroup
	for d := range devices {
		dev := api.DeviceID(0x100 + d)
		f.member(dev)
		wg.Go(func() {
			for b := range batches {
				body, _ := json.Marshal(api.PushRequest{Device: dev, Batch: uint64(b + 1), Versions: []api.RecordVersion{rv(dev, fmt.Sprint("p", b), uint64(10+b))}})
				req, _ := http.NewRequest(http.MethodPost, f.srv.URL+api.PathPush, bytes.NewReader(body))
				req.Header.Set(headerDevice, dev.String())
				resp, err := f.srv.Client().Do(req)
				if err != nil {
					errs <- err
					return
				}
				_, err = api.DecodePushResponse(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || err != nil {
					errs <- fmt.Errorf("push %s batch %d: %d %v", dev, b+1, resp.StatusCode, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	status, b := f.do(devA, http.MethodGet, api.PathChanges+"?limit=1000", nil, nil)
	page, err := api.DecodePullResponse(bytes.NewReader(b))
	if status != 200 || err != nil || len(page.Changes) != devices*batches {
		t.Fatalf("pull: %d, %d changes, %v", status, len(page.Changes), err)
	}
	for i, c := range page.Changes {
		if c.Seq != uint64(i+1) {
			t.Fatalf("change %d has seq %d: a gap in the global sequence", i, c.Seq)
		}
	}
}
