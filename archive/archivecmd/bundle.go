package archivecmd

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"folio/archive"
	"folio/archive/api"
	"folio/archive/pki"
	fcrypto "folio/crypto"
	"folio/visible"
)

// Sync bundles at the archive (package archive/bundle). The archive's
// bundle key pair lives in DIR/bundles/: archive.key (the private Tink
// keyset, 0600, like the server's TLS key) and archive.pub (delivered to
// the workstations in their enrollment files). The store keeps, per vault,
// what its last export said (archive.BundleWorkstation: name, reply key,
// cursor, blobs held), so that 'folio-archive export' on any archive
// machine sharing the store can write it a reply without a new export.

func bundleDir(dataDir string) string { return filepath.Join(dataDir, "bundles") }

// ensureBundleKey returns the archive's bundle key pair, making it on
// first use (an archive folder made before bundles existed gets one here).
func ensureBundleKey(dataDir string) (public, private []byte, err error) {
	dir := bundleDir(dataDir)
	pubPath, keyPath := filepath.Join(dir, "archive.pub"), filepath.Join(dir, "archive.key")
	public, err = os.ReadFile(pubPath)
	if err == nil {
		if private, err = os.ReadFile(keyPath); err != nil {
			return nil, nil, fmt.Errorf("read the archive's bundle key: %w", err)
		}
		return public, private, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("read the archive's bundle key: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("create %s: %w", dir, err)
	}
	if public, private, err = fcrypto.NewBundleKeys(nil); err != nil {
		return nil, nil, err
	}
	// The private half first: the public one's presence means "made".
	if err := writeFileAtomic(keyPath, private, 0o600); err != nil {
		return nil, nil, err
	}
	if err := writeFileAtomic(pubPath, public, 0o644); err != nil {
		return nil, nil, err
	}
	return public, private, nil
}

// writeFileAtomic writes data to path through a temporary file in the
// same folder (write, fsync, rename).
func writeFileAtomic(path string, data []byte, perm fs.FileMode) error {
	return writeAtomic(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// writeAtomic writes path through a temporary file beside it: a crash or
// an error leaves no half-written file under the name.
func writeAtomic(path string, perm fs.FileMode, write func(io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = f.Chmod(perm); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = write(f); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// bundleParams loads what reading and writing bundles needs.
func (e *env) bundleParams(store archive.Store) (archive.BundleParams, error) {
	dir, _, err := e.pkiDir() // says what to do when DIR is no archive folder
	if err != nil {
		return archive.BundleParams{}, err
	}
	_, private, err := ensureBundleKey(e.dataDir)
	if err != nil {
		return archive.BundleParams{}, err
	}
	return BundleParams(dir, store, private)
}

// BundleParams is what reading and writing sync bundles needs over store:
// the organisation's CA, the archive's signing key and certificate and
// its revocation list, from the PKI folder pkiDir, and the archive's
// private bundle key. A revoked workstation's bundle is refused
// (api.ErrForbidden).
func BundleParams(pkiDir string, store archive.Store, privateKey []byte) (archive.BundleParams, error) {
	org, err := pki.Load(pkiDir)
	if err != nil {
		return archive.BundleParams{}, err
	}
	ca, err := pki.CACertificate(pkiDir)
	if err != nil {
		return archive.BundleParams{}, err
	}
	crl, err := pki.LoadRevocations(pkiDir)
	if err != nil {
		return archive.BundleParams{}, err
	}
	signer, cert, err := pki.ServerSigner(pkiDir)
	if err != nil {
		return archive.BundleParams{}, err
	}
	return archive.BundleParams{
		Store: store, Org: org.Name, CA: ca, Signer: signer, Cert: cert, PrivateKey: privateKey,
		CheckCert: func(c *x509.Certificate) error {
			err := crl.Check(pki.Identity{Name: c.Subject.CommonName, Serial: c.SerialNumber.Text(16)})
			if errors.Is(err, pki.ErrRevoked) {
				return fmt.Errorf("%w: %w: the bundle of a revoked workstation is refused; enroll it again ('folio-archive device add') and export again there", api.ErrForbidden, err)
			}
			return err
		},
	}, nil
}

// checkBundleRun checks what a bundle command needs before it reads or
// writes anything: a store spec the binary can open, an archive folder,
// and no file yet at its output path (given as --flag).
func (e *env) checkBundleRun(spec, path, flag string) error {
	if err := checkStoreSpec(spec); err != nil {
		return err
	}
	if _, _, err := e.pkiDir(); err != nil {
		return err
	}
	return refuseExisting(path, flag)
}

// refuseExisting refuses an output file that exists (never overwritten).
func refuseExisting(path, flag string) error {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%s already exists; choose another --%s or remove it first", path, flag)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("check %s: %w", path, err)
	}
	return nil
}

// openBundle opens the archive's store and bundle keys for an import or an
// export; close releases the store.
func (e *env) openBundle(ctx context.Context, spec string) (p archive.BundleParams, close func(), err error) {
	store, err := openBundleStore(ctx, e.dataDir, spec)
	if err != nil {
		return p, nil, err
	}
	if p, err = e.bundleParams(store); err != nil {
		store.Close()
		return p, nil, err
	}
	return p, func() { store.Close() }, nil
}

// openBundleStore opens the store for import and export.
func openBundleStore(ctx context.Context, dataDir, spec string) (archive.Store, error) {
	return openStoreToWrite(ctx, dataDir, spec, "while importing or exporting bundles")
}

// openStoreToWrite opens the store for a command that writes to it,
// explaining the lock a running server holds on the embedded one (while
// says when to stop the server).
func openStoreToWrite(ctx context.Context, dataDir, spec, while string) (archive.Store, error) {
	if spec != "" {
		return openStore(ctx, dataDir, spec)
	}
	s, err := openStoreToRead(ctx, dataDir, "")
	switch {
	case errors.Is(err, errStoreBusy):
		return nil, fmt.Errorf("%w: stop it ('folio-archive serve') %s, or run this against its PostgreSQL store (--store)", errStoreBusy, while)
	case errors.Is(err, errNoStore):
		return openStore(ctx, dataDir, "")
	}
	return s, err
}

func (e *env) importCommand() *cobra.Command {
	var reply, spec string
	var quota int64
	cmd := &cobra.Command{
		Use:   "import --data DIR [--store postgres://...] FILE --reply OUT",
		Short: "import a workstation's sync bundle (folio sync export) and write its reply",
		Long: `Imports a sync bundle a workstation without a link wrote ('folio sync export'),
carried here on a USB stick: it is verified completely first (signed by an
enrolled, unrevoked workstation of this organisation, encrypted to this
archive, not altered or cut), then imported exactly as an online sync would
(importing the same bundle again changes nothing). The reply (--reply, never
overwritten) carries back what the archive confirms, every change the
workstation lacks and every scan it does not hold; carry it back and run
'folio sync import OUT' there.

The workstation is held to its storage quota as online ('folio-archive
device quota', else --device-quota: give serve's): what would take it past
the quota is not taken, the reply does not confirm it, and it stays on the
workstation: once the quota is raised, 'folio sync export --all' there
carries it again.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := required("reply", reply, "the reply bundle to write for the workstation"); err != nil {
				return err
			}
			if err := e.checkBundleRun(spec, reply, "reply"); err != nil {
				return err
			}
			f, err := os.Open(args[0])
			if err != nil {
				return fmt.Errorf("open the bundle: %w", err)
			}
			defer f.Close()
			fi, err := f.Stat()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if quota < 0 {
				return fmt.Errorf("--device-quota %d: give the bytes one workstation may hold, or 0 for no quota", quota)
			}
			p, closeStore, err := e.openBundle(ctx, spec)
			if err != nil {
				return err
			}
			defer closeStore()
			p.DeviceQuota = quota
			if quota == 0 {
				p.DeviceQuota = archive.NoQuota
			}
			res, err := archive.ImportBundle(ctx, p, f, fi.Size())
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			h := res.Header
			if err := p.Store.PutBundleWorkstation(ctx, archive.BundleWorkstation{Name: h.From, Device: h.Device, ReplyKey: res.Info.ReplyKey,
				Cursor: res.Info.Cursor, Have: res.Info.Have, Updated: time.Now()}); err != nil {
				return fmt.Errorf("the bundle is imported, but what it says of %s could not be kept (import it again): %w", h.From, err)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "Imported %s from %s (vault %s, made %s): %d batches, %d new versions, %d already here, %d scans complete (%d chunks stored).\n",
				visible.Line(args[0]), visible.Line(h.From), h.Device, h.Created.Local().Format("2006-01-02 15:04"), len(res.Confirmed), res.Versions, res.Duplicates, len(res.BlobsStored), res.Chunks)
			if res.OverQuota != nil {
				fmt.Fprintf(out, "Not taken: %d batches and %d scans, over the workstation's quota (%v). They stay on %s: once its quota is raised, export there with 'folio sync export --all'.\n",
					res.BatchesWithheld, res.BlobsWithheld, res.OverQuota, visible.Line(h.From))
			}
			var rep archive.ReplyReport
			err = writeAtomic(reply, 0o600, func(w io.Writer) error {
				var err error
				rep, err = archive.WriteReply(ctx, p, w, archive.Reply{Device: h.Device, Name: h.From, Key: res.Info.ReplyKey,
					After: res.Info.Cursor, Have: res.Info.Have, Import: &res})
				return err
			})
			if err != nil {
				return fmt.Errorf("the bundle is imported, but the reply could not be written (run 'folio-archive export --device %s' for one): %w", h.From, err)
			}
			fmt.Fprintf(out, "Wrote the reply %s for %s: %d changes, %d scans (%d bytes). There run\n  folio sync import %s\n",
				visible.Line(reply), visible.Line(h.From), rep.Changes, rep.Blobs, rep.BlobBytes, filepath.Base(reply))
			return nil
		},
	}
	cmd.Flags().StringVar(&reply, "reply", "", "the reply bundle to write (required; never overwritten)")
	cmd.Flags().Int64Var(&quota, "device-quota", archive.DefaultDeviceQuota, "bytes a workstation without a quota of its own may hold on the archive, as serve's (0: no quota)")
	cmd.Flags().StringVar(&spec, "store", "", "the store serve uses, if not the embedded one (postgres://…)")
	return cmd
}

func (e *env) exportCommand() *cobra.Command {
	var device, out, spec string
	cmd := &cobra.Command{
		Use:   "export --data DIR --device NAME --out FILE [--store postgres://...]",
		Short: "write a sync bundle for a workstation without waiting for its export",
		Long: `Writes a reply bundle for a workstation that synced by bundle before: every
change after its last export's cursor and every scan it did not hold, encrypted
to the key its last export named. Carry it there and run 'folio sync import
FILE'.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := required("device", device, "the workstation's name"); err != nil {
				return err
			}
			if err := required("out", out, "the bundle to write"); err != nil {
				return err
			}
			if err := e.checkBundleRun(spec, out, "out"); err != nil {
				return err
			}
			ctx := cmd.Context()
			p, closeStore, err := e.openBundle(ctx, spec)
			if err != nil {
				return err
			}
			defer closeStore()
			d, err := p.Store.BundleWorkstation(ctx, device)
			if errors.Is(err, api.ErrNotFound) {
				return fmt.Errorf("the archive has no bundle from a workstation named %s yet, so it has no key to encrypt a reply to: import one of its exports first ('folio sync export' there)", device)
			}
			if err != nil {
				return err
			}
			var rep archive.ReplyReport
			if err := writeAtomic(out, 0o600, func(w io.Writer) error {
				var err error
				rep, err = archive.WriteReply(ctx, p, w, archive.Reply{Device: d.Device, Name: d.Name, Key: d.ReplyKey, After: d.Cursor, Have: d.Have})
				return err
			}); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Wrote %s for %s: %d changes, %d scans (%d bytes). There run\n  folio sync import %s\n",
				visible.Line(out), visible.Line(d.Name), rep.Changes, rep.Blobs, rep.BlobBytes, strings.TrimSpace(filepath.Base(out)))
			return nil
		},
	}
	cmd.Flags().StringVar(&device, "device", "", "the workstation's name (required)")
	cmd.Flags().StringVar(&out, "out", "", "the bundle to write (required; never overwritten)")
	cmd.Flags().StringVar(&spec, "store", "", "the store serve uses, if not the embedded one (postgres://…)")
	return cmd
}
