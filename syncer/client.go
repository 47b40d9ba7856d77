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
type Client struct {
	base   string
	device api.DeviceID
	http   *http.Client
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
	// BytesPerSecond caps the traffic in each direction (0: no cap).
	BytesPerSecond int64
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

func newClient(base string, device api.DeviceID, cfg *tls.Config, opts ClientOptions) *Client {
	wire := &wireCounter{limit: newLimiter(opts.BytesPerSecond)}
	dial := opts.Dial
	if dial == nil {
		d := &net.Dialer{Timeout: 20 * time.Second, KeepAlive: 30 * time.Second}
		dial = d.DialContext
	}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &countedConn{Conn: c, w: wire}, nil
		},
		TLSClientConfig:       cfg,
		TLSHandshakeTimeout:   30 * time.Second,
		ResponseHeaderTimeout: 2 * time.Minute,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   2,
		ForceAttemptHTTP2:     true,
	}
	return &Client{base: base, device: device, http: &http.Client{Transport: tr}, wire: wire,
		addr: strings.TrimPrefix(base, "https://"), tls: cfg, dial: dial}
}

// WireBytes returns the bytes read and written on the network so far.
func (c *Client) WireBytes() (read, written int64) {
	return c.wire.read.Load(), c.wire.written.Load()
}

// Close drops idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

func (c *Client) do(ctx context.Context, method, path string, body io.Reader, hdr map[string]string) (*http.Response, error) {
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
	resp, err := c.http.Do(req)
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
		return nil, api.DecodeError(resp.StatusCode, resp.Body)
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

// Metrics returns the archive's metrics.
func (c *Client) Metrics(ctx context.Context) (api.Metrics, error) {
	return jsonCall(ctx, c, http.MethodGet, api.PathMetrics, nil, api.DecodeMetrics)
}

// BlobStatus says which chunks of a blob the archive holds.
func (c *Client) BlobStatus(ctx context.Context, id string) (api.BlobStatus, error) {
	return jsonCall(ctx, c, http.MethodGet, api.PathBlobs+id, nil, api.DecodeBlobStatus)
}

// PutChunk sends chunk n of blob id (size bytes in all).
func (c *Client) PutChunk(ctx context.Context, id string, size int64, n int, data []byte) (api.BlobStatus, error) {
	sum := sha256Hex(data)
	resp, err := c.do(ctx, http.MethodPut, api.PathBlobs+id+"/chunks/"+strconv.Itoa(n), bytes.NewReader(data), map[string]string{
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

// BlobData opens blob id's bytes from offset on.
func (c *Client) BlobData(ctx context.Context, id string, offset int64) (io.ReadCloser, error) {
	hdr := map[string]string{}
	if offset > 0 {
		hdr["Range"] = "bytes=" + strconv.FormatInt(offset, 10) + "-"
	}
	resp, err := c.do(ctx, http.MethodGet, api.PathBlobs+id+"/data", nil, hdr)
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

// GrantKeys sends the vault keys, wrapped to a device's public key.
func (c *Client) GrantKeys(ctx context.Context, device api.DeviceID, grant []byte) (api.KeyRequest, error) {
	return jsonCall(ctx, c, http.MethodPost, api.PathKeyGrant, api.KeyGrant{Device: device, Grant: grant}, api.DecodeKeyRequest)
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

type countedConn struct {
	net.Conn
	w *wireCounter
}

func (c *countedConn) Read(p []byte) (int, error) {
	if c.w.limit != nil && len(p) > c.w.limit.burst {
		p = p[:c.w.limit.burst]
	}
	n, err := c.Conn.Read(p)
	c.w.read.Add(int64(n))
	c.w.limit.wait(n)
	return n, err
}

func (c *countedConn) Write(p []byte) (int, error) {
	total := 0
	for len(p) > 0 {
		k := len(p)
		if c.w.limit != nil {
			k = min(k, c.w.limit.burst)
		}
		c.w.limit.wait(k)
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
