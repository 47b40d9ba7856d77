package archive

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"folio/archive/api"
)

// DefaultPullLimit is the page size of a pull that names none.
const DefaultPullLimit = 500

// ServerParams configures a Server.
type ServerParams struct {
	Store Store
	// DeviceFromRequest returns the calling device from the request's
	// verified TLS client certificate (the pki package provides it). An
	// error wrapping api.ErrForbidden (a revoked device) answers 403; any
	// other error answers 401.
	DeviceFromRequest func(*http.Request) (api.DeviceID, error)
	// Now is the clock for last-seen times (time.Now when nil).
	Now func() time.Time
	// Countersigner, when set, signs each push's audit head
	// (api.Countersignature): the archive's certificate key.
	Countersigner crypto.Signer
	// CountersignCert is the Countersigner's certificate, sent with each
	// countersignature so a workstation can check it offline.
	CountersignCert *x509.Certificate
	// Log receives internal errors (slog.Default when nil). It never sees
	// ciphertext or request bodies.
	Log *slog.Logger
	// Limits bound each device's requests, bytes and blob sizes.
	Limits Limits
}

// Server is the archive's http.Handler: the wire API of package api over a
// Store. It holds no state of its own.
type Server struct {
	store    Store
	deviceOf func(*http.Request) (api.DeviceID, error)
	now      func() time.Time
	signer   crypto.Signer
	cert     *x509.Certificate
	log      *slog.Logger
	mux      *http.ServeMux
	members  sync.Map // api.DeviceID → true: devices known to be vault members
	limits   *limiter
	signers  *Signers
}

// NewServer returns the handler for p.
func NewServer(p ServerParams) (*Server, error) {
	if p.Store == nil || p.DeviceFromRequest == nil {
		return nil, errors.New("archive server: a store and DeviceFromRequest are required")
	}
	s := &Server{store: p.Store, deviceOf: p.DeviceFromRequest, now: p.Now, signer: p.Countersigner, cert: p.CountersignCert, log: p.Log}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.limits = newLimiter(p.Limits, s.now)
	signers, err := NewSigners(context.Background(), p.Store, s.log)
	if err != nil {
		return nil, fmt.Errorf("archive server: %w", err)
	}
	s.signers = signers
	m := http.NewServeMux()
	m.HandleFunc("GET "+api.PathHealth, s.health)
	// What moves records, blobs and keys is for the organisation vault's
	// workstations only (member); a joining workstation may ask for the
	// keys and read its own request, and any device may show its vault.
	m.HandleFunc("POST "+api.PathPush, s.authed(s.member(s.push)))
	m.HandleFunc("GET "+api.PathChanges, s.authed(s.member(s.changes)))
	m.HandleFunc("GET "+api.PathBlobs+"{id}", s.authed(s.member(s.blobStatus)))
	m.HandleFunc("PUT "+api.PathBlobs+"{id}/chunks/{n}", s.authed(s.member(s.putChunk)))
	m.HandleFunc("GET "+api.PathBlobs+"{id}/data", s.authed(s.member(s.blobData)))
	m.HandleFunc("GET "+api.PathDevice, s.authed(s.device))
	m.HandleFunc("GET "+api.PathAudit, s.authed(s.member(s.audit)))
	m.HandleFunc("GET "+api.PathMetrics, s.authed(s.metrics))
	m.HandleFunc("POST "+api.PathKeyRequest, s.authed(s.putKeyRequest))
	m.HandleFunc("GET "+api.PathKeyRequest, s.authed(s.keyRequest))
	m.HandleFunc("GET "+api.PathKeyRequests, s.authed(s.member(s.keyRequests)))
	m.HandleFunc("POST "+api.PathKeyGrant, s.authed(s.member(s.grantKey)))
	m.HandleFunc("POST "+api.PathVaultClaim, s.authed(s.claimVault))
	m.HandleFunc("GET "+api.PathVault, s.authed(s.orgVault))
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, fmt.Errorf("%w: no endpoint %s %s (see archive/api)", api.ErrNotFound, r.Method, r.URL.Path))
	})
	s.mux = m
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

type deviceHandler func(w http.ResponseWriter, r *http.Request, dev api.DeviceID)

// authed serves only a device the request's certificate names, within its
// limits.
func (s *Server) authed(h deviceHandler) http.HandlerFunc {
	h = s.limited(h)
	return func(w http.ResponseWriter, r *http.Request) {
		dev, err := s.deviceOf(r)
		if err == nil && dev == 0 {
			err = errors.New("no device id in the certificate")
		}
		if err != nil {
			if !errors.Is(err, api.ErrForbidden) && !errors.Is(err, api.ErrInternal) {
				err = fmt.Errorf("%w: %v: enroll this workstation with the archive (folio sync enroll)", api.ErrUnauthenticated, err)
			}
			s.fail(w, r, err)
			return
		}
		h(w, r, dev)
	}
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	code, status := api.CodeOf(err)
	msg := err.Error()
	if code == api.CodeInternal {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			status = http.StatusServiceUnavailable
		}
		s.log.Error("archive request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		msg = "the archive could not complete the request; try again later (details are in the archive's log)"
	}
	if ne := (*api.NotEndorsedError)(nil); errors.As(err, &ne) && code == api.CodeForbidden && len(ne.Refused) > 0 {
		w.Header().Set(api.HeaderRefused, api.EncodeRefused(ne.Refused))
	}
	if r.Method == http.MethodHead {
		w.WriteHeader(status)
		return
	}
	writeJSON(w, status, api.ErrorBody{Code: code, Message: msg})
}

// reply answers r with v as JSON, or, when err is not nil, with the
// failure err.
func (s *Server) reply(w http.ResponseWriter, r *http.Request, v any, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"code":"internal","message":"encode answer"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", api.ContentTypeJSON)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// decodeBody reads r's body, a what ("push request"), with decode: the
// body is limited to max bytes, and a declared length over it is refused
// at once.
func decodeBody[T any](w http.ResponseWriter, r *http.Request, max int64, what string, decode func(io.Reader) (T, error)) (T, error) {
	if r.ContentLength > max {
		var none T
		return none, fmt.Errorf("%w: %s of %d bytes is over the limit of %d", api.ErrTooLarge, what, r.ContentLength, max)
	}
	return decode(http.MaxBytesReader(w, r.Body, max+1))
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, api.Health{Status: "ok", Time: s.now().UTC()})
}

func (s *Server) push(w http.ResponseWriter, r *http.Request, dev api.DeviceID) {
	req, err := decodeBody(w, r, api.MaxPushBody, "push request", api.DecodePushRequest)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			err = fmt.Errorf("%w: push request is over %d bytes", api.ErrTooLarge, int64(api.MaxPushBody))
		} else if !errors.Is(err, api.ErrInvalid) && !errors.Is(err, api.ErrTooLarge) {
			err = fmt.Errorf("%w: %v", api.ErrInvalid, err) // a cut or unreadable body
		}
		s.fail(w, r, err)
		return
	}
	if req.Device != dev {
		s.fail(w, r, fmt.Errorf("%w: the push names device %s but the certificate is device %s's", api.ErrForbidden, req.Device, dev))
		return
	}
	if err := s.pushQuota(r.Context(), dev, req); err != nil {
		s.fail(w, r, err)
		return
	}
	resp, err := s.signers.Push(r.Context(), req, s.now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if n := len(req.Audit); n > 0 && s.signer != nil && req.Audit[n-1].Seq == resp.AuditThrough {
		cs, err := countersign(s.signer, s.cert, dev, req.Audit[n-1], s.now())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		resp.Countersign = &cs
	}
	writeJSON(w, http.StatusOK, resp)
}

// pushQuota refuses a push that would take dev past its storage quota
// (Store.Push counts what it stores).
func (s *Server) pushQuota(ctx context.Context, dev api.DeviceID, req api.PushRequest) error {
	return checkPushQuota(ctx, s.store, dev, req, s.limits.l.DeviceQuota)
}

// checkPushQuota refuses a push (or a bundle's batch) that would take dev
// past its storage quota (QuotaOf; def is the server's).
func checkPushQuota(ctx context.Context, st Store, dev api.DeviceID, req api.PushRequest, def int64) error {
	info, quota, err := deviceQuota(ctx, st, dev, def)
	if err != nil || quota <= 0 {
		return err
	}
	var more int64
	for _, v := range req.Versions {
		more += int64(len(v.Ciphertext))
	}
	if info.Held+more > quota {
		info.ID = dev
		return overQuota(info, quota, info.Held, more)
	}
	return nil
}

func (s *Server) changes(w http.ResponseWriter, r *http.Request, dev api.DeviceID) {
	q := r.URL.Query()
	var after uint64
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			s.fail(w, r, fmt.Errorf("%w: cursor %.30q is not a number", api.ErrInvalid, v))
			return
		}
		after = n
	}
	limit := DefaultPullLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > api.MaxPullLimit {
			s.fail(w, r, fmt.Errorf("%w: limit %.30q is not a number from 1 to %d", api.ErrInvalid, v, api.MaxPullLimit))
			return
		}
		limit = n
	}
	resp, err := s.store.Pull(r.Context(), dev, after, limit, s.now())
	s.reply(w, r, resp, err)
}

func (s *Server) blobStatus(w http.ResponseWriter, r *http.Request, _ api.DeviceID) {
	id, err := api.ParseBlobID(r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	st, err := s.store.BlobStatus(r.Context(), id)
	s.reply(w, r, st, err)
}

func (s *Server) putChunk(w http.ResponseWriter, r *http.Request, dev api.DeviceID) {
	id, err := api.ParseBlobID(r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	size, err := api.ParseBlobSize(r.Header.Get(api.HeaderBlobSize))
	if err != nil {
		s.fail(w, r, fmt.Errorf("header %s: %w", api.HeaderBlobSize, err))
		return
	}
	n, err := api.ParseChunkIndex(r.PathValue("n"), size)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sum, err := api.ParseSHA256(r.Header.Get(api.HeaderChunkSHA256))
	if err != nil {
		s.fail(w, r, fmt.Errorf("header %s: %w", api.HeaderChunkSHA256, err))
		return
	}
	if size > s.limits.l.MaxBlobSize {
		s.fail(w, r, fmt.Errorf("%w: a blob of %d MiB is over this archive's limit of %d MiB per scan (folio-archive serve --max-blob-size)", api.ErrTooLarge, size>>20, s.limits.l.MaxBlobSize>>20))
		return
	}
	want := api.ChunkLen(size, n)
	if r.ContentLength >= 0 && r.ContentLength != int64(want) {
		s.fail(w, r, fmt.Errorf("%w: chunk %d of a %d-byte blob is %d bytes, not %d", api.ErrInvalid, n, size, want, r.ContentLength))
		return
	}
	// want ≤ api.ChunkSize: checked before allocating.
	buf := make([]byte, want+1)
	got, err := io.ReadFull(http.MaxBytesReader(w, r.Body, int64(want)+1), buf)
	switch {
	case got > want:
		s.fail(w, r, fmt.Errorf("%w: chunk %d is over its %d bytes", api.ErrTooLarge, n, want))
		return
	case got < want:
		s.fail(w, r, fmt.Errorf("%w: chunk %d arrived with %d of its %d bytes (%v): send it again", api.ErrInvalid, n, got, want, err))
		return
	}
	info, quota, err := deviceQuota(r.Context(), s.store, dev, s.limits.l.DeviceQuota)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	info.ID = dev
	if held, err := s.store.Charge(r.Context(), dev, id, size, quota); errors.Is(err, api.ErrQuota) {
		s.fail(w, r, overQuota(info, quota, held, size))
		return
	} else if err != nil {
		s.fail(w, r, err)
		return
	}
	st, err := s.store.PutChunk(r.Context(), id, size, n, sum, buf[:want])
	s.reply(w, r, st, err)
}

func (s *Server) blobData(w http.ResponseWriter, r *http.Request, _ api.DeviceID) {
	id, err := api.ParseBlobID(r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f, _, err := s.store.OpenBlob(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("ETag", `"`+id+`"`)
	w.Header().Set("Cache-Control", "private, immutable")
	http.ServeContent(w, r, "", time.Time{}, f)
}

func (s *Server) device(w http.ResponseWriter, r *http.Request, dev api.DeviceID) {
	info, err := s.store.Device(r.Context(), dev)
	if errors.Is(err, api.ErrNotFound) {
		info, err = api.DeviceInfo{ID: dev}, nil // enrolled, never pushed or pulled
	}
	s.reply(w, r, info, err)
}

// audit answers a device's own audit chain after a seq: only the calling
// device's, so one workstation never reads another's trail.
func (s *Server) audit(w http.ResponseWriter, r *http.Request, dev api.DeviceID) {
	q := r.URL.Query()
	after, err := strconv.ParseUint(q.Get("after"), 10, 64)
	if err != nil {
		s.fail(w, r, fmt.Errorf("%w: audit seq %.30q is not a number", api.ErrInvalid, q.Get("after")))
		return
	}
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil || limit < 1 || limit > api.MaxBatchAudit {
		s.fail(w, r, fmt.Errorf("%w: limit %.30q is not a number from 1 to %d", api.ErrInvalid, q.Get("limit"), api.MaxBatchAudit))
		return
	}
	page, err := s.store.AuditEntries(r.Context(), dev, after, limit)
	s.reply(w, r, page, err)
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request, _ api.DeviceID) {
	m, err := MetricsWithVault(r.Context(), s.store)
	s.reply(w, r, m, err)
}
