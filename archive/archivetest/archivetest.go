// Package archivetest runs a real organisation's archive inside a test:
// the organisation's CA and the archive's keys (pki.Init), the embedded
// store (boltstore), the archive's HTTP API behind mutual TLS on 127.0.0.1,
// workstations enrolled with it (pki.AddDevice), and the archive's side of
// the USB bundles (import a workstation's bundle, write the reply). The
// sync engine's tests and the window's sync tests run against it; nothing
// in it is a stand-in.
//
// Beside it, package storetest is the conformance suite every archive store
// passes.
package archivetest

import (
	"context"
	"crypto/tls"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"folio/archive"
	"folio/archive/api"
	"folio/archive/archivecmd"
	"folio/archive/boltstore"
	"folio/archive/pki"
	"folio/crypto"
)

// Org is the organisation's name unless Options say otherwise.
const Org = "Test Health District"

// Options shape an Archive. The zero value is an archive of Org.
type Options struct {
	// Org is the organisation's name ("" is Org).
	Org string
	// Wrap, when set, wraps the store the server serves, so that fault
	// tests can act between the server and its store. Archive.Store is
	// the store itself.
	Wrap func(archive.Store) archive.Store
}

// Archive is one organisation's archive: its folder (the CA and the
// archive's keys, the store in Dir/store) and, once started, its server.
type Archive struct {
	// Dir is the archive's folder, as `folio-archive init` makes it.
	Dir string
	// Addr is where the server listens (127.0.0.1:port). An offline
	// archive's is an address nothing listens on.
	Addr string
	// Store is the embedded store, open while the archive runs.
	Store *boltstore.Store

	opt Options
	srv *http.Server
}

// Start makes an archive in a temporary folder and serves it on a free
// port of 127.0.0.1 until the test ends.
func Start(t testing.TB, opt Options) *Archive {
	t.Helper()
	a := initArchive(t, opt)
	a.serve(t)
	t.Cleanup(a.Stop)
	return a
}

// Offline makes an archive with its store open and no server: its
// workstations sync by bundle only (Addr is never dialled).
func Offline(t testing.TB, opt Options) *Archive {
	t.Helper()
	a := initArchive(t, opt)
	store, err := boltstore.Open(filepath.Join(a.Dir, "store"))
	if err != nil {
		t.Fatal(err)
	}
	a.Store, a.Addr = store, "127.0.0.1:9"
	t.Cleanup(func() { store.Close() })
	return a
}

func initArchive(t testing.TB, opt Options) *Archive {
	t.Helper()
	if opt.Org == "" {
		opt.Org = Org
	}
	dir := t.TempDir()
	if _, err := pki.Init(dir, opt.Org, []string{"127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	return &Archive{Dir: dir, opt: opt}
}

// certFromRequest is the calling workstation's certificate, for the
// Binder.
func certFromRequest(r *http.Request) (api.Cert, error) {
	id, err := pki.DeviceFromRequest(r)
	if err != nil {
		return api.Cert{}, err
	}
	return api.Cert{Serial: id.Serial, Name: id.Name}, nil
}

// serve opens the store in a.Dir and serves it on a free port of
// 127.0.0.1 (a.Addr), countersigning audit entries with the archive's key.
func (a *Archive) serve(t testing.TB) {
	t.Helper()
	store, err := boltstore.Open(filepath.Join(a.Dir, "store"))
	if err != nil {
		t.Fatal(err)
	}
	var served archive.Store = store
	if a.opt.Wrap != nil {
		served = a.opt.Wrap(store)
	}
	binder := archive.NewBinder(served, certFromRequest, nil)
	signer, cert, err := pki.ServerSigner(a.Dir)
	if err != nil {
		t.Fatal(err)
	}
	h, err := archive.NewServer(archive.ServerParams{Store: served, DeviceFromRequest: binder.DeviceFromRequest,
		Countersigner: signer, CountersignCert: cert})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := pki.ServerTLS(a.Dir)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	a.Store, a.srv, a.Addr = store, srv, ln.Addr().String()
}

// Stop closes the server, its connections and its store, as a crash of
// the archive would: what the store committed stays.
func (a *Archive) Stop() {
	if a.srv != nil {
		a.srv.Close()
	}
	a.Store.Close()
}

// Restart stops the archive and serves its data again on a new port.
func (a *Archive) Restart(t testing.TB) {
	t.Helper()
	a.Stop()
	a.serve(t)
}

// Enroll adds a workstation: its enrollment file, as `folio-archive device
// add` writes it.
func (a *Archive) Enroll(t testing.TB, name string) *pki.Enrollment {
	t.Helper()
	e, err := pki.AddDevice(a.Dir, name, a.Addr)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// Bundles is the archive's side of the USB bundles: its bundle key and
// what reading and writing bundles needs over the archive's store.
type Bundles struct {
	// Pub is the archive's public bundle key, which a workstation's
	// enrollment carries (Enrollment.BundleKey).
	Pub []byte
	// Params read bundles and write replies.
	Params archive.BundleParams
}

// Bundles makes a bundle key for the archive.
func (a *Archive) Bundles(t testing.TB) *Bundles {
	t.Helper()
	return NewBundles(t, a.Dir, a.Store)
}

// NewBundles makes a bundle key for the archive whose PKI folder is pkiDir
// (made by pki.Init) and whose store is store.
func NewBundles(t testing.TB, pkiDir string, store archive.Store) *Bundles {
	t.Helper()
	pub, priv, err := crypto.NewBundleKeys(nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := archivecmd.BundleParams(pkiDir, store, priv)
	if err != nil {
		t.Fatal(err)
	}
	return &Bundles{Pub: pub, Params: p}
}

// Reply imports a workstation's bundle at the archive and writes the reply
// into a new temporary file, as `folio-archive import FILE --reply REPLY`
// does; it returns the reply's path, or the archive's refusal.
func (b *Bundles) Reply(t testing.TB, path string) (string, error) {
	t.Helper()
	ctx := context.Background()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	res, err := archive.ImportBundle(ctx, b.Params, f, fi.Size())
	if err != nil {
		return "", err
	}
	out := filepath.Join(t.TempDir(), "reply.bundle")
	rf, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer rf.Close()
	h := res.Header
	if _, err := archive.WriteReply(ctx, b.Params, rf, archive.Reply{Device: h.Device, Name: h.From, Key: res.Info.ReplyKey,
		After: res.Info.Cursor, Have: res.Info.Have, Import: &res}); err != nil {
		t.Fatalf("write reply: %v", err)
	}
	return out, nil
}
