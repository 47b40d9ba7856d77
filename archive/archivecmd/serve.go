package archivecmd

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"folio/archive"
	"folio/archive/api"
	"folio/archive/pki"
)

// Timeouts of the HTTPS server.
//
// There is deliberately no http.Server ReadTimeout or WriteTimeout: both
// are deadlines for a whole request, and a workstation on a clinic's slow
// link may take a quarter of an hour to download a 1 GB scanned original
// (or to push a 48 MB batch); a WriteTimeout would cut it every time, and
// it would resume and be cut again. Instead each request may stall — make
// no progress reading its body or writing its answer — for at most
// ServeParams.StallTimeout (see progress). Slow-loris clients are further
// bounded by mTLS: the server reads no HTTP from a peer without an
// enrolled certificate, and the handshake itself falls under
// ReadHeaderTimeout.
const (
	// readHeaderTimeout bounds the TLS handshake and reading a request's
	// headers.
	readHeaderTimeout = 20 * time.Second
	// idleTimeout closes a keep-alive connection unused this long.
	idleTimeout = 2 * time.Minute
	// defaultStallTimeout is the longest a request may go without reading
	// or writing a byte.
	defaultStallTimeout = 2 * time.Minute
	// maxHeaderBytes: the API's headers are a device id, a size and a hash.
	maxHeaderBytes = 64 << 10
	// shutdownTimeout is how long a stopping server lets requests in
	// flight finish before it closes their connections (a cut upload or
	// download resumes where it stopped).
	shutdownTimeout = 30 * time.Second
)

// ServeParams configures Serve.
type ServeParams struct {
	// DataDir is the archive's folder (made by init).
	DataDir string
	// Listen is the address to listen on (host:port), used when Listener
	// is nil.
	Listen string
	// Listener, when set, is where to serve (tests pass 127.0.0.1:0);
	// Serve closes it.
	Listener net.Listener
	// Store is "" for the embedded store in DataDir/store, or a
	// postgres:// URL.
	Store string
	// Out receives the start-up message (address, CA fingerprint, how to
	// enroll); nil discards it.
	Out io.Writer
	// Log receives the server's log (slog.Default when nil).
	Log *slog.Logger
	// StallTimeout is the longest a request may go without reading or
	// writing a byte (0: 2 minutes).
	StallTimeout time.Duration
	// Now is the archive's clock for what it records and the deadlines
	// it checks (time.Now when nil; TLS checks certificates with the
	// system clock).
	Now func() time.Time
	// Limits bound each workstation's requests, bytes and blob sizes
	// (zero fields: archive's defaults).
	Limits archive.Limits
	// UploadExpiry is how long an incomplete upload may go without a
	// chunk before it is discarded (0: DefaultUploadExpiry); the sweep
	// runs every UploadExpiry/4, at most hourly.
	UploadExpiry time.Duration
}

// DefaultUploadExpiry is how long an abandoned upload keeps its chunks.
const DefaultUploadExpiry = 72 * time.Hour

// expireUploads discards the uploads idle for expiry.
func expireUploads(ctx context.Context, store archive.Store, expiry time.Duration, now func() time.Time, log *slog.Logger) {
	n, err := store.ExpireUploads(ctx, now().Add(-expiry))
	switch {
	case err != nil && ctx.Err() == nil:
		log.Error("expire idle uploads", "err", err)
	case n > 0:
		log.Info("discarded idle uploads", "uploads", n, "idle for", expiry)
	}
}

// sweepUploads discards idle uploads every expiry/4 (at most hourly)
// until ctx ends.
func sweepUploads(ctx context.Context, store archive.Store, expiry time.Duration, now func() time.Time, log *slog.Logger) {
	t := time.NewTicker(min(expiry/4, time.Hour))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			expireUploads(ctx, store, expiry, now, log)
		}
	}
}

func (e *env) serveCommand() *cobra.Command {
	var listen, spec string
	var limits archive.Limits
	var expiry time.Duration
	var quota int64
	cmd := &cobra.Command{
		Use:   "serve --data DIR --listen ADDR [--store postgres://...] [limits]",
		Short: "run the archive server (HTTPS with client certificates) until stopped",
		Long: `Runs the archive: HTTPS only, TLS 1.3, every workstation identified by the
client certificate of its enrollment file. The store is the embedded one in
DIR/store unless --store names a PostgreSQL database. Stop it with Ctrl-C
or SIGTERM: requests in flight get ` + shutdownTimeout.String() + ` to finish, then the store is
closed. The log goes to stderr.

Each workstation is held to limits, so that a broken or compromised one
cannot fill the archive's disk or starve the others: requests a minute,
bytes sent an hour and the size of one scan (over them it is told to wait,
HTTP 429, and its sync retries by itself). Each workstation may hold
--device-quota bytes on the archive in all (its records, and the scans it
sent first, incomplete ones included; counted in the store, so a restart
keeps the count); over it what it sends is refused (HTTP 507) and waits on
the workstation until the quota is raised. An upload no chunk has reached
for --upload-expiry is discarded, and its bytes no longer count.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := e.dir()
			if err != nil {
				return err
			}
			if err := required("listen", listen, "the address to listen on, e.g. :"+pki.DefaultPort); err != nil {
				return err
			}
			if err := checkStoreSpec(spec); err != nil {
				return err
			}
			if _, _, err := e.pkiDir(); err != nil {
				return err
			}
			if quota < 0 {
				return fmt.Errorf("--device-quota %d: give the bytes one workstation may hold, or 0 for no quota", quota)
			}
			limits.DeviceQuota = quota
			if quota == 0 {
				limits.DeviceQuota = archive.NoQuota
			}
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			return Serve(cmd.Context(), ServeParams{DataDir: dir, Listen: listen, Store: spec, Out: cmd.OutOrStdout(), Log: log,
				Limits: limits, UploadExpiry: expiry})
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "", "the address to listen on, e.g. :"+pki.DefaultPort+" (required)")
	cmd.Flags().Int64Var(&limits.MaxBlobSize, "max-blob-size", archive.DefaultMaxBlobSize, "the largest scan (bytes) a workstation may upload")
	cmd.Flags().IntVar(&limits.Requests, "device-requests-per-minute", archive.DefaultRequestsPerMinute, "requests one workstation may make a minute")
	cmd.Flags().Int64Var(&limits.Bytes, "device-bytes-per-hour", archive.DefaultBytesPerHour, "bytes one workstation may send an hour")
	cmd.Flags().Int64Var(&quota, "device-quota", archive.DefaultDeviceQuota, "bytes one workstation may hold on the archive in all (0: no quota)")
	cmd.Flags().DurationVar(&expiry, "upload-expiry", DefaultUploadExpiry, "discard an incomplete upload after this long without a chunk")
	cmd.Flags().StringVar(&spec, "store", "", "a PostgreSQL store (postgres://…) instead of the embedded one")
	return cmd
}

// Serve runs the archive server until ctx ends, then shuts it down
// gracefully and closes the store. It returns nil after a shutdown asked
// for by ctx.
func Serve(ctx context.Context, p ServeParams) (err error) {
	log := p.Log
	if log == nil {
		log = slog.Default()
	}
	out := p.Out
	if out == nil {
		out = io.Discard
	}
	ln := p.Listener
	defer func() {
		if ln != nil {
			ln.Close() // on an early return; harmless after Serve closed it
		}
	}()

	dir := pkiDir(p.DataDir)
	org, err := pki.Load(dir)
	if err != nil {
		return err
	}
	tlsConf, err := pki.ServerTLS(dir)
	if err != nil {
		return err
	}
	signer, cert, err := pki.ServerSigner(dir)
	if err != nil {
		return err
	}
	crl, err := pki.LoadRevocations(dir)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, p.DataDir, p.Store)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := store.Close(); cerr != nil {
			log.Error("close the archive store", "err", cerr)
			if err == nil {
				err = fmt.Errorf("close the archive store: %w", cerr)
			}
		}
	}()
	binder := archive.NewBinder(store, certFromRequest(crl), p.Now)
	handler, err := archive.NewServer(archive.ServerParams{
		Store:             store,
		DeviceFromRequest: binder.DeviceFromRequest,
		Now:               p.Now,
		Countersigner:     signer,
		CountersignCert:   cert,
		Log:               log,
		Limits:            p.Limits,
	})
	if err != nil {
		return err
	}
	now := p.Now
	if now == nil {
		now = time.Now
	}
	expiry := cmp.Or(p.UploadExpiry, DefaultUploadExpiry)
	expireUploads(ctx, store, expiry, now, log) // what expired while the archive was down
	sweepCtx, stopSweep := context.WithCancel(context.Background())
	swept := make(chan struct{})
	go func() {
		defer close(swept)
		sweepUploads(sweepCtx, store, expiry, now, log)
	}()
	defer func() { stopSweep(); <-swept }() // before the store closes
	if ln == nil {
		ln, err = net.Listen("tcp", p.Listen)
		if err != nil {
			return fmt.Errorf("listen on %s: %w (is another archive running, or is the address wrong?)", p.Listen, err)
		}
	}

	srv := &http.Server{
		Handler:           &progress{next: handler, log: log, stall: cmp.Or(p.StallTimeout, defaultStallTimeout)},
		TLSConfig:         tlsConf,
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		// Handshake failures (a revoked or foreign certificate) land here.
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	// The message is complete before the first request is served (the
	// listener is bound already: connections wait for the server).
	addr := ln.Addr().String()
	fmt.Fprintf(out, "Folio archive of %q listening on https://%s (TLS 1.3, enrolled workstations only).\n", org.Name, addr)
	fmt.Fprintf(out, "CA fingerprint: %s\n", org.CAFingerprint)
	fmt.Fprintf(out, "Store: %s\n", describeStore(p.DataDir, p.Store))
	fmt.Fprintf(out, "To enroll a workstation:\n")
	fmt.Fprintf(out, "  folio-archive device add --data %s --name NAME --out NAME.enroll [--address HOST:PORT]\n", p.DataDir)
	fmt.Fprintf(out, "  then on the workstation: folio sync enroll NAME.enroll\n")
	fmt.Fprintf(out, "  (a workstation without a vault yet: folio init --join NAME.enroll --user NAME)\n")
	log.Info("archive serving", "addr", addr, "org", org.Name, "store", describeStore(p.DataDir, p.Store))
	served := make(chan error, 1)
	go func() { served <- srv.ServeTLS(ln, "", "") }()

	select {
	case err := <-served:
		return fmt.Errorf("archive server stopped: %w", err)
	case <-ctx.Done():
	}
	log.Info("archive stopping", "grace", shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("requests still in flight were cut", "err", err)
		srv.Close()
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("archive server: %w", err)
	}
	log.Info("archive stopped")
	return nil
}

// certFromRequest adapts pki.DeviceFromRequest to the Binder. Without a
// verified certificate the error is pki's (the server answers 401); a
// certificate revoked since its connection's handshake is api.ErrForbidden
// (403); a revocation list that cannot be read refuses everyone
// (api.ErrInternal, 500: fail closed).
func certFromRequest(crl *pki.Revocations) func(*http.Request) (api.Cert, error) {
	return func(r *http.Request) (api.Cert, error) {
		id, err := pki.DeviceFromRequest(r)
		if err != nil {
			return api.Cert{}, err
		}
		if err := crl.Check(id); err != nil {
			if errors.Is(err, pki.ErrRevoked) {
				return api.Cert{}, fmt.Errorf("%w: %v: ask the administrator for a new enrollment file", api.ErrForbidden, err)
			}
			return api.Cert{}, fmt.Errorf("%w: %v", api.ErrInternal, err)
		}
		return api.Cert{Serial: id.Serial, Name: id.Name, EnrollBy: id.EnrollBy}, nil
	}
}

// progress is the server's outer handler: it gives every request
// stall to make progress, extended by every read of its body and
// every write of its answer, and logs one line per request (method, path,
// status, bytes, duration, workstation; never a body).
type progress struct {
	next  http.Handler
	log   *slog.Logger
	stall time.Duration
}

func (h *progress) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rc := http.NewResponseController(w)
	// Deadlines are best effort: a connection that cannot set them keeps
	// the server's defaults.
	rc.SetWriteDeadline(start.Add(h.stall))
	pw := &progressWriter{ResponseWriter: w, rc: rc, stall: h.stall}
	if r.Body != nil && r.Body != http.NoBody {
		// Also bounds the server's discarding of a body the handler left
		// unread.
		rc.SetReadDeadline(start.Add(h.stall))
		r.Body = &progressBody{ReadCloser: r.Body, rc: rc, stall: h.stall}
	}
	defer func() {
		// The server flushes the answer's tail after the handler: give it
		// a fresh deadline too (the next request on the connection sets
		// its own).
		rc.SetWriteDeadline(time.Now().Add(h.stall))
		who := "-"
		if id, err := pki.DeviceFromRequest(r); err == nil {
			who = id.Name
		}
		status := pw.status
		if status == 0 {
			status = http.StatusOK
		}
		attrs := []any{"method", r.Method, "path", r.URL.Path, "status", status,
			"bytes", pw.written, "ms", time.Since(start).Milliseconds(), "workstation", who}
		if rg := r.Header.Get("Range"); rg != "" {
			attrs = append(attrs, "range", rg) // a resumed download
		}
		h.log.Info("request", attrs...)
	}()
	h.next.ServeHTTP(pw, r)
}

type progressWriter struct {
	http.ResponseWriter
	rc      *http.ResponseController
	stall   time.Duration
	status  int
	written int64
}

func (w *progressWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *progressWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.rc.SetWriteDeadline(time.Now().Add(w.stall))
	n, err := w.ResponseWriter.Write(b)
	w.written += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (w *progressWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

type progressBody struct {
	io.ReadCloser
	rc    *http.ResponseController
	stall time.Duration
}

func (b *progressBody) Read(p []byte) (int, error) {
	b.rc.SetReadDeadline(time.Now().Add(b.stall))
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		// The body is complete: the server's own read of the connection
		// (which notices a client going away) must not inherit the
		// deadline. After any other error the connection is not read
		// again, and a passed deadline keeps it so.
		b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}
