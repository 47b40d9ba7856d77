package syncer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"folio/archive/api"
	"folio/archive/pki"
)

// Client speaks the archive's wire API (package api) over mutual TLS, as
// one device. It counts the bytes it moves on the wire, and can cap them.
//
// Records, pulls and every other call share one HTTP/2 connection; blob
// chunks travel on up to BlobConnections other TCP connections (HTTP/1.1,
// one request in flight on each), so that blob transfers running side by
// side are not held to what one TCP connection manages on a long, lossy
// link. While the bandwidth cap (not the link) sets the pace, blob
// requests stay on the main connection. Every connection has the same
// certificate and pinned CA, counts in WireBytes and draws on the one
// bandwidth cap.
type Client struct {
	base   string
	device api.DeviceID
	http   *http.Client
	// blobs carries the blob chunks, on at most blobConns connections.
	blobs     *http.Client
	blobConns int
	// Wire counts bytes read and written on the network connections,
	// TLS records and HTTP framing included.
	wire *wireCounter
	// addr, tls and dial open the connection whyCut listens on.
	addr string
	tls  *tls.Config
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// ClientOptions tune a Client.
type ClientOptions struct {
	// BytesPerSecond caps the traffic in each direction (0: no cap). All
	// connections share the cap.
	BytesPerSecond int64
	// BlobConnections is how many TCP connections carry blob chunks side
	// by side (0: DefaultBlobConnections). One TCP connection with 10 %
	// loss and a 1.2 s round trip fills only some 60 % of a 64 kbit/s
	// line; a few fill it.
	BlobConnections int
	// Dial replaces the network dialer (tests put a fault proxy here).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// NewClient returns a client for the archive of an enrollment, speaking
// for device (the vault's device id).
func NewClient(e *pki.Enrollment, device api.DeviceID, opts ClientOptions) (*Client, error) {
	cfg, err := pki.ClientTLS(e)
	if err != nil {
		return nil, err
	}
	return newClient("https://"+e.Address, device, cfg, opts), nil
}

// DefaultBlobConnections is the number of connections that carry blob
// chunks when ClientOptions.BlobConnections is 0. Measured with the netem
// soak (600 ms delay, 10 % loss, 64 kbit/s; TestNetemSoak, knob
// FOLIO_NETEM_BLOBCONNS), 20 patients and 3 pages: one connection took
// 2.17× the link time, two 1.39×, three 1.58–1.63× (its last blob moves
// alone), four 1.36×; with three the blob phase runs within 5 % of the
// line's IP bytes at 64 kbit/s.
const DefaultBlobConnections = 3

func newClient(base string, device api.DeviceID, cfg *tls.Config, opts ClientOptions) *Client {
	wire := &wireCounter{limit: newLimiter(opts.BytesPerSecond)}
	dial := opts.Dial
	if dial == nil {
		d := &net.Dialer{Timeout: 20 * time.Second, KeepAlive: 30 * time.Second}
		dial = d.DialContext
	}
	counted := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return newCountedConn(c, wire), nil
	}
	tr := transport(counted, cfg)
	tr.MaxIdleConnsPerHost, tr.ForceAttemptHTTP2 = 2, true
	// The blob transport speaks HTTP/1.1 only, so that each chunk in
	// flight has a TCP connection of its own (HTTP/2 would multiplex them
	// all on one): ALPN offers http/1.1 alone, and an empty TLSNextProto
	// keeps the transport from upgrading. MaxConnsPerHost bounds the
	// connections whatever the callers do.
	n := opts.BlobConnections
	if n <= 0 {
		n = DefaultBlobConnections
	}
	blobTLS := cfg.Clone()
	blobTLS.NextProtos = []string{"http/1.1"}
	btr := transport(counted, blobTLS)
	btr.MaxConnsPerHost, btr.MaxIdleConnsPerHost = n, n
	btr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	return &Client{base: base, device: device, http: &http.Client{Transport: tr},
		blobs: &http.Client{Transport: btr}, blobConns: n, wire: wire,
		addr: strings.TrimPrefix(base, "https://"), tls: cfg, dial: dial}
}

// transport is an HTTP transport over dial's connections with the
// client's timeouts; the caller sets how it pools connections.
func transport(dial func(ctx context.Context, network, addr string) (net.Conn, error), cfg *tls.Config) *http.Transport {
	return &http.Transport{
		DialContext:           dial,
		TLSClientConfig:       cfg,
		TLSHandshakeTimeout:   30 * time.Second,
		ResponseHeaderTimeout: 2 * time.Minute,
		IdleConnTimeout:       90 * time.Second,
	}
}

// BlobConnections returns how many blob transfers may run side by side,
// each on a connection of its own.
func (c *Client) BlobConnections() int { return c.blobConns }

// capBound reports whether the bandwidth cap held traffic back in the
// last second: another connection would not move more bytes.
func (c *Client) capBound() bool { return c.wire.limit.bound(time.Second) }

// blobClient is the client for a blob request: a blob connection, or the
// main connection while the bandwidth cap sets the pace (a blob
// connection would add its handshake and nothing else).
func (c *Client) blobClient() *http.Client {
	if c.capBound() {
		return c.http
	}
	return c.blobs
}

// WireBytes returns the bytes read and written on the network so far.
func (c *Client) WireBytes() (read, written int64) {
	return c.wire.read.Load(), c.wire.written.Load()
}

// Close drops idle connections.
func (c *Client) Close() {
	c.http.CloseIdleConnections()
	c.blobs.CloseIdleConnections()
}

// do sends a request on the main connection.
func (c *Client) do(ctx context.Context, method, path string, body io.Reader, hdr map[string]string) (*http.Response, error) {
	return c.doOn(ctx, c.http, method, path, body, hdr)
}

// doOn sends a request with hc (the main client or the blob client) and
// sorts its failures: a refused certificate (pki.ErrRefused), a link
// that failed (*NetError), or the archive's answer (api errors).
func (c *Client) doOn(ctx context.Context, hc *http.Client, method, path string, body io.Reader, hdr map[string]string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set(api.HeaderDevice, c.device.String())
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", api.ContentTypeJSON)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := hc.Do(req)
	if err != nil {
		err = pki.Explain(err)
		var op *net.OpError
		dialed := !errors.As(err, &op) || op.Op != "dial"
		if dialed && ctx.Err() == nil && !errors.Is(err, pki.ErrRefused) {
			if refused := c.whyCut(ctx); refused != nil {
				err = refused
			}
		}
		if errors.Is(err, pki.ErrRefused) {
			return nil, err // a person must act: not a link to wait for
		}
		return nil, &NetError{Err: err}
	}
	if resp.StatusCode >= 300 && resp.StatusCode != http.StatusPartialContent {
		defer resp.Body.Close()
		return nil, api.DecodeErrorResponse(resp)
	}
	return resp, nil
}

// whyCut tells a refused certificate from a cut link after a request
// failed on a connection that was open: the archive judges this workstation's
// certificate after the workstation has begun to send (TLS 1.3), and may
// close the connection before its alert is read. whyCut opens a new
// connection and only listens: the archive answers a certificate it
// accepts with a session ticket, one it refuses with an alert. It returns
// the refusal explained (pki.ErrRefused), or nil when the certificate was
// accepted or the archive cannot be reached.
func (c *Client) whyCut(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	raw, err := c.dial(ctx, "tcp", c.addr)
	if err != nil {
		return nil
	}
	defer raw.Close()
	accepted := make(ticketSignal, 1)
	cfg := c.tls.Clone()
	cfg.ClientSessionCache = accepted
	conn := tls.Client(raw, cfg)
	refusal := func(err error) error {
		if err = pki.Explain(err); errors.Is(err, pki.ErrRefused) {
			return err
		}
		return nil
	}
	if err := conn.HandshakeContext(ctx); err != nil {
		return refusal(err)
	}
	read := make(chan error, 1)
	go func() { // ends when raw is closed
		_, err := conn.Read(make([]byte, 1))
		read <- err
	}()
	select {
	case err := <-read:
		return refusal(err)
	case <-accepted:
	case <-ctx.Done():
	}
	return nil
}

// ticketSignal is a TLS session cache that only says a session ticket
// arrived: the server accepted the client's certificate.
type ticketSignal chan struct{}

func (s ticketSignal) Get(string) (*tls.ClientSessionState, bool) { return nil, false }
func (s ticketSignal) Put(string, *tls.ClientSessionState) {
	select {
	case s <- struct{}{}:
	default:
	}
}

// NetError is a failure to reach the archive or to finish an exchange:
// the link is down or was cut. The syncer retries after a pause.
type NetError struct{ Err error }

func (e *NetError) Error() string { return "cannot reach the archive: " + e.Err.Error() }
func (e *NetError) Unwrap() error { return e.Err }

func jsonCall[T any](ctx context.Context, c *Client, method, path string, in any, decode func(io.Reader) (T, error)) (T, error) {
	var zero T
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return zero, err
		}
		body = bytes.NewReader(b)
	}
	resp, err := c.do(ctx, method, path, body, nil)
	if err != nil {
		return zero, err
	}
	defer resp.Body.Close()
	out, err := decode(resp.Body)
	if err != nil {
		return zero, &NetError{Err: fmt.Errorf("read the archive's answer to %s %s: %w", method, path, err)}
	}
	return out, nil
}

// Push sends one batch.
func (c *Client) Push(ctx context.Context, req api.PushRequest) (api.PushResponse, error) {
	return jsonCall(ctx, c, http.MethodPost, api.PathPush, req, api.DecodePushResponse)
}

// Pull reads one page of changes after a cursor.
func (c *Client) Pull(ctx context.Context, after uint64, limit int) (api.PullResponse, error) {
	q := url.Values{"after": {strconv.FormatUint(after, 10)}, "limit": {strconv.Itoa(limit)}}
	return jsonCall(ctx, c, http.MethodGet, api.PathChanges+"?"+q.Encode(), nil, api.DecodePullResponse)
}

// Device returns what the archive knows of this device.
func (c *Client) Device(ctx context.Context) (api.DeviceInfo, error) {
	return jsonCall(ctx, c, http.MethodGet, api.PathDevice, nil, api.DecodeDeviceInfo)
}

// AuditEntries reads back one page of this device's audit chain as the
// archive holds it, after seq after.
func (c *Client) AuditEntries(ctx context.Context, after uint64, limit int) (api.AuditPage, error) {
	q := url.Values{"after": {strconv.FormatUint(after, 10)}, "limit": {strconv.Itoa(limit)}}
	return jsonCall(ctx, c, http.MethodGet, api.PathAudit+"?"+q.Encode(), nil, api.DecodeAuditPage)
}

// Metrics returns the archive's metrics.
func (c *Client) Metrics(ctx context.Context) (api.Metrics, error) {
	return jsonCall(ctx, c, http.MethodGet, api.PathMetrics, nil, api.DecodeMetrics)
}

// BlobStatus says which chunks of a blob the archive holds.
func (c *Client) BlobStatus(ctx context.Context, id string) (api.BlobStatus, error) {
	return jsonCall(ctx, c, http.MethodGet, api.PathBlobs+id, nil, api.DecodeBlobStatus)
}

// PutChunk sends chunk n of blob id (size bytes in all), on a blob
// connection (see blobClient). The archive takes a blob's chunks in any
// order.
func (c *Client) PutChunk(ctx context.Context, id string, size int64, n int, data []byte) (api.BlobStatus, error) {
	sum := sha256Hex(data)
	resp, err := c.doOn(ctx, c.blobClient(), http.MethodPut, api.PathBlobs+id+"/chunks/"+strconv.Itoa(n), bytes.NewReader(data), map[string]string{
		api.HeaderBlobSize: strconv.FormatInt(size, 10), api.HeaderChunkSHA256: sum, "Content-Type": "application/octet-stream",
	})
	if err != nil {
		return api.BlobStatus{}, err
	}
	defer resp.Body.Close()
	st, err := api.DecodeBlobStatus(resp.Body)
	if err != nil {
		return api.BlobStatus{}, &NetError{Err: fmt.Errorf("read the archive's answer to chunk %d of blob %s: %w", n, id, err)}
	}
	return st, nil
}

// BlobData opens blob id's bytes from offset on, on a blob connection
// (see blobClient), held until the body is closed.
func (c *Client) BlobData(ctx context.Context, id string, offset int64) (io.ReadCloser, error) {
	hdr := map[string]string{}
	if offset > 0 {
		hdr["Range"] = "bytes=" + strconv.FormatInt(offset, 10) + "-"
	}
	resp, err := c.doOn(ctx, c.blobClient(), http.MethodGet, api.PathBlobs+id+"/data", nil, hdr)
	if err != nil {
		return nil, err
	}
	if offset > 0 && resp.StatusCode != http.StatusPartialContent {
		resp.Body.Close()
		return nil, fmt.Errorf("%w: the archive ignored the range of blob %s from byte %d", api.ErrInvalid, id, offset)
	}
	return resp.Body, nil
}

// RequestKeys posts this device's public key for the vault keys.
func (c *Client) RequestKeys(ctx context.Context, publicKey []byte) (api.KeyRequest, error) {
	return jsonCall(ctx, c, http.MethodPost, api.PathKeyRequest, api.KeyRequestBody{PublicKey: publicKey}, api.DecodeKeyRequest)
}

// KeyRequest returns this device's key request, with its grant once given.
func (c *Client) KeyRequest(ctx context.Context) (api.KeyRequest, error) {
	return jsonCall(ctx, c, http.MethodGet, api.PathKeyRequest, nil, api.DecodeKeyRequest)
}

// KeyRequests lists every device's key request.
func (c *Client) KeyRequests(ctx context.Context) ([]api.KeyRequest, error) {
	l, err := jsonCall(ctx, c, http.MethodGet, api.PathKeyRequests, nil, api.DecodeKeyRequestList)
	return l.Requests, err
}

// GrantKeys sends the vault keys, wrapped to a device's public key and
// signed by the vault (SendGrant makes them).
func (c *Client) GrantKeys(ctx context.Context, g api.KeyGrant) (api.KeyRequest, error) {
	return jsonCall(ctx, c, http.MethodPost, api.PathKeyGrant, g, api.DecodeKeyRequest)
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// wireCounter counts (and optionally paces) bytes on the network.
type wireCounter struct {
	read, written atomic.Int64
	limit         *limiter
}

// countedConn counts and paces one connection's bytes. Closing it (the
// transport does when a request's context ends) ends a wait for the
// bandwidth cap at once.
type countedConn struct {
	net.Conn
	w      *wireCounter
	ctx    context.Context // ends when the connection is closed
	cancel context.CancelFunc
}

func newCountedConn(c net.Conn, w *wireCounter) *countedConn {
	ctx, cancel := context.WithCancel(context.Background())
	return &countedConn{Conn: c, w: w, ctx: ctx, cancel: cancel}
}

func (c *countedConn) Read(p []byte) (int, error) {
	if c.w.limit != nil && len(p) > c.w.limit.burst {
		p = p[:c.w.limit.burst]
	}
	n, err := c.Conn.Read(p)
	c.w.read.Add(int64(n))
	if werr := c.w.limit.wait(c.ctx, n); werr != nil && err == nil {
		err = net.ErrClosed
	}
	return n, err
}

func (c *countedConn) Write(p []byte) (int, error) {
	total := 0
	for len(p) > 0 {
		k := len(p)
		if c.w.limit != nil {
			k = min(k, c.w.limit.burst)
		}
		if err := c.w.limit.wait(c.ctx, k); err != nil {
			return total, net.ErrClosed
		}
		n, err := c.Conn.Write(p[:k])
		total += n
		c.w.written.Add(int64(n))
		if err != nil {
			return total, err
		}
		p = p[k:]
	}
	return total, nil
}

// Close closes the connection and ends a wait for the bandwidth cap.
func (c *countedConn) Close() error {
	c.cancel()
	return c.Conn.Close()
}
