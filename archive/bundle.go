package archive

import (
	"cmp"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"folio/archive/api"
	"folio/archive/bundle"
	"folio/archive/pki"
)

// The archive's side of sync bundles (package bundle): ImportBundle takes
// in a workstation's export through the same Store calls the HTTP server
// makes (Bind, Push, PutChunk), and WriteReply writes what that
// workstation lacks. An export is verified completely — signature, chain
// to the organisation's CA, revocation, digest, every frame and blob —
// before the store is touched, and importing it again changes nothing
// (pushes replay, versions are duplicates, chunks are held).

// BundleParams is what the archive needs to read and write bundles.
type BundleParams struct {
	Store Store
	// Org is the organisation's name; CA its certificate.
	Org string
	CA  *x509.Certificate
	// CheckCert refuses a device certificate that is revoked (an error
	// wrapping api.ErrForbidden), checked after its chain.
	CheckCert func(*x509.Certificate) error
	// Signer and Cert are the archive server's key and certificate: they
	// sign replies and countersign audit heads.
	Signer crypto.Signer
	Cert   *x509.Certificate
	// PrivateKey is the archive's bundle key (Tink keyset, clear).
	PrivateKey []byte
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Log hears of the organisation's vault being bound, and of other
	// vaults refused (slog.Default when nil).
	Log *slog.Logger
	// Signers checks the users and key slots a bundle carries; when nil,
	// ImportBundle builds it from Store.
	Signers *Signers
	// DeviceQuota is the storage quota of a workstation none was set for
	// (Store.SetQuota), as serve's Limits.DeviceQuota: 0 the default,
	// NoQuota none.
	DeviceQuota int64
}

// quota is the server's quota, ≤ 0 for none.
func (p BundleParams) quota() int64 {
	return Limits{DeviceQuota: p.DeviceQuota}.withDefaults().DeviceQuota
}

func (p BundleParams) now() time.Time {
	if p.Now == nil {
		return time.Now()
	}
	return p.Now()
}

// BundleImport says what ImportBundle did, and what the reply needs.
type BundleImport struct {
	Header bundle.Header
	Info   bundle.ExportInfo
	// Confirmed are the batches the archive holds, BlobsStored the blobs.
	Confirmed   []bundle.Confirmed
	BlobsStored []string
	Countersign *api.Countersignature
	// Versions new to the archive, Duplicates it had, Replayed batches
	// it had taken before; Chunks stored.
	Versions, Duplicates, Replayed, Chunks int
	// OverQuota is the first refusal of what would take the workstation
	// past its storage quota (wrapping api.ErrQuota), as a push or an
	// upload online is refused; BatchesWithheld and BlobsWithheld count
	// what was not taken: the batch refused and every one after it, and
	// the blobs refused. They stay on the workstation (the reply does not
	// confirm them); its next export with all (folio sync export --all)
	// carries them again.
	OverQuota                      error
	BatchesWithheld, BlobsWithheld int
}

// ImportBundle verifies a workstation's export (size bytes of r) and
// imports it. A refusal wraps bundle.ErrNotBundle, bundle.ErrDamaged,
// bundle.ErrNotForUs or api.ErrForbidden, and then nothing was stored;
// except that a batch carrying a user or key-slots version the rules
// refuse (Signers.Push, api.ErrForbidden) stops the import at that batch,
// the batches before it kept, as the same pushes online would.
func ImportBundle(ctx context.Context, p BundleParams, r io.ReaderAt, size int64) (BundleImport, error) {
	var res BundleImport
	f, err := bundle.Open(r, size)
	if err != nil {
		return res, err
	}
	h := f.Header
	if h.Kind != bundle.KindExport || h.To != bundle.Archive {
		return res, fmt.Errorf("%w: it is a %s for %q; the archive imports the exports of workstations ('folio sync export'), the workstation imports the replies", bundle.ErrNotForUs, h.Kind, h.To)
	}
	if h.Org != p.Org {
		return res, fmt.Errorf("%w: it comes from the organisation %q, this archive is %q's", bundle.ErrNotForUs, h.Org, p.Org)
	}
	if err := f.VerifySender(p.CA, x509.ExtKeyUsageClientAuth); err != nil {
		return res, err
	}
	if p.CheckCert != nil {
		if err := p.CheckCert(f.Cert); err != nil {
			return res, err
		}
	}
	if err := f.CheckDigest(); err != nil {
		return res, err
	}
	// First pass: read and check everything.
	checked, err := readExport(f, p.PrivateKey, h.Device, nil)
	if err != nil {
		return res, err
	}
	// Bind the certificate to the vault as the first request online would,
	// and take only a workstation of the organisation's vault (its claim
	// travels in the bundle).
	cert := api.Cert{Serial: f.Cert.SerialNumber.Text(16), Name: f.Cert.Subject.CommonName, EnrollBy: pki.EnrollBy(f.Cert)}
	if err := p.Store.Bind(ctx, api.Binding{Cert: cert, Device: h.Device, Bound: p.now()}); err != nil {
		return res, fmt.Errorf("workstation %s, vault %s: %w", cert.Name, h.Device, err)
	}
	if err := p.admit(ctx, h.Device, checked.Vault); err != nil {
		return res, fmt.Errorf("workstation %s, vault %s: %w", cert.Name, h.Device, err)
	}
	// Second pass: import, users and key slots checked as at a push.
	if p.Signers == nil {
		if p.Signers, err = NewSigners(ctx, p.Store, p.Log); err != nil {
			return res, err
		}
	}
	res.Header = h
	var lastAudit *api.AuditEntry
	info, err := readExport(f, p.PrivateKey, h.Device, func(it bundle.Item, b *bundle.Batch) error {
		if b != nil {
			if res.BatchesWithheld > 0 {
				res.BatchesWithheld++ // batches stay in order behind the one refused
				return nil
			}
			c, err := p.pushBatch(ctx, *b, &res)
			if errors.Is(err, api.ErrQuota) {
				res.OverQuota = cmp.Or(res.OverQuota, err)
				res.BatchesWithheld++
				return nil
			}
			if err != nil {
				return err
			}
			if n := len(b.Request.Audit); n > 0 {
				lastAudit = &b.Request.Audit[n-1]
			}
			res.Confirmed = append(res.Confirmed, c)
			return nil
		}
		done, err := p.putBlob(ctx, h.Device, *it.Blob, it.Data, &res)
		if errors.Is(err, api.ErrQuota) {
			res.OverQuota = cmp.Or(res.OverQuota, err)
			res.BlobsWithheld++
			_, err = io.Copy(io.Discard, it.Data)
			return err
		}
		if err != nil {
			return err
		}
		if done {
			res.BlobsStored = append(res.BlobsStored, it.Blob.ID)
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	res.Info = info
	if lastAudit != nil && p.Signer != nil {
		dev, err := p.Store.Device(ctx, h.Device)
		if err == nil && dev.AuditThrough == lastAudit.Seq {
			cs, err := countersign(p.Signer, p.Cert, h.Device, *lastAudit, p.now())
			if err != nil {
				return res, err
			}
			res.Countersign = &cs
		}
	}
	return res, nil
}

// admit lets in a device of the organisation's vault: a member already,
// or one whose bundle carries its claim.
func (p BundleParams) admit(ctx context.Context, dev api.DeviceID, claim *api.VaultClaim) error {
	ok, err := p.Store.VaultMember(ctx, dev)
	if err != nil || ok {
		return err
	}
	if claim == nil {
		return errNotMember(dev)
	}
	log := p.Log
	if log == nil {
		log = slog.Default()
	}
	_, err = admitClaim(ctx, p.Store, dev, *claim, p.now(), log)
	return err
}

// readExport reads an export's body; apply (nil in the checking pass)
// gets each batch and blob.
func readExport(f *bundle.File, private []byte, dev api.DeviceID, apply func(bundle.Item, *bundle.Batch) error) (bundle.ExportInfo, error) {
	body, err := f.Body(private, nil)
	if err != nil {
		return bundle.ExportInfo{}, err
	}
	var info bundle.ExportInfo
	for {
		it, err := body.Next()
		if errors.Is(err, io.EOF) {
			return info, nil
		}
		if err != nil {
			return info, err
		}
		switch it.Type {
		case bundle.FrameInfo:
			if info, err = bundle.DecodeExportInfo(it.JSON); err != nil {
				return info, err
			}
		case bundle.FrameBatch:
			b, err := bundle.DecodeBatch(it.JSON)
			if err != nil {
				return info, err
			}
			if b.Request.Device != dev {
				return info, fmt.Errorf("%w: batch %d names vault %s, the bundle vault %s", bundle.ErrDamaged, b.Request.Batch, b.Request.Device, dev)
			}
			if _, err := CheckPush(b.Request); err != nil {
				return info, fmt.Errorf("%w: batch %d: %v", bundle.ErrDamaged, b.Request.Batch, err)
			}
			if apply != nil {
				if err := apply(it, &b); err != nil {
					return info, err
				}
			}
		case bundle.FrameBlob:
			if apply != nil {
				if err := apply(it, nil); err != nil {
					return info, err
				}
			} else if _, err := io.Copy(io.Discard, it.Data); err != nil {
				return info, err
			}
		}
	}
}

// pushBatch stores one batch as the online push does. A batch number the
// archive holds with other content (the workstation also synced online,
// or its vault was restored from an older copy) is stored after the
// device's last batch instead: its versions are then duplicates, its audit
// entries held, and nothing is stored twice.
func (p BundleParams) pushBatch(ctx context.Context, b bundle.Batch, res *BundleImport) (bundle.Confirmed, error) {
	req := b.Request
	if err := checkPushQuota(ctx, p.Store, req.Device, req, p.quota()); err != nil {
		return bundle.Confirmed{}, fmt.Errorf("import batch %d: %w", b.Request.Batch, err)
	}
	resp, err := p.Signers.Push(ctx, req, p.now())
	if errors.Is(err, api.ErrConflict) && !errors.Is(err, api.ErrHashMismatch) {
		info, ierr := p.Store.Device(ctx, req.Device)
		if ierr == nil && info.LastBatch >= req.Batch {
			req.Batch = info.LastBatch + 1
			resp, err = p.Signers.Push(ctx, req, p.now())
		}
	}
	if err != nil {
		return bundle.Confirmed{}, fmt.Errorf("import batch %d: %w", b.Request.Batch, err)
	}
	if resp.Replayed {
		res.Replayed++
	}
	for _, r := range resp.Results {
		if r.Duplicate || resp.Replayed {
			res.Duplicates++
		} else {
			res.Versions++
		}
	}
	return bundle.Confirmed{Batch: b.Request.Batch, StoredAs: req.Batch, Digest: b.Digest(),
		OplogFrom: b.OplogFrom, OplogThrough: b.OplogThrough, AuditThrough: resp.AuditThrough}, nil
}

// putBlob stores one blob chunk by chunk, each checked as an upload's
// chunk is, charged to dev as an upload is (over its quota: api.ErrQuota,
// nothing stored, data not read further); it reports whether the archive
// holds the blob complete.
func (p BundleParams) putBlob(ctx context.Context, dev api.DeviceID, h bundle.BlobHead, data io.Reader, res *BundleImport) (bool, error) {
	st, err := p.Store.BlobStatus(ctx, h.ID)
	if errors.Is(err, api.ErrNotFound) {
		st, err = api.BlobStatus{ID: h.ID, Size: h.Size, Chunks: api.ChunkCount(h.Size)}, nil
	}
	if err != nil {
		return false, err
	}
	if st.Complete {
		_, err := io.Copy(io.Discard, data)
		return true, err
	}
	if st.Size != h.Size {
		return false, fmt.Errorf("%w: blob %s is %d bytes in the bundle, %d at the archive", api.ErrConflict, h.ID, h.Size, st.Size)
	}
	info, quota, err := deviceQuota(ctx, p.Store, dev, p.quota())
	if err != nil {
		return false, err
	}
	if held, err := p.Store.Charge(ctx, dev, h.ID, h.Size, quota); errors.Is(err, api.ErrQuota) {
		info.ID = dev
		return false, overQuota(info, quota, held, h.Size)
	} else if err != nil {
		return false, err
	}
	buf := make([]byte, api.ChunkSize)
	for n := range api.ChunkCount(h.Size) {
		c := buf[:api.ChunkLen(h.Size, n)]
		if _, err := io.ReadFull(data, c); err != nil {
			return false, err
		}
		if slices.Contains(st.Have, n) {
			continue
		}
		sum := sha256.Sum256(c)
		if err := CheckChunk(h.ID, h.Size, n, sum, c); err != nil {
			return false, err
		}
		if st, err = p.Store.PutChunk(ctx, h.ID, h.Size, n, sum, c); err != nil {
			return false, err
		}
		res.Chunks++
	}
	// The reader checks the whole blob's hash at its end.
	if _, err := io.Copy(io.Discard, data); err != nil {
		return false, err
	}
	return st.Complete, nil
}

// Reply is what a reply says besides the changes and blobs the archive
// finds itself.
type Reply struct {
	Device api.DeviceID
	Name   string // the workstation's name (its certificate's CN)
	// Key is the workstation's bundle public key.
	Key []byte
	// After is the workstation's pull cursor; Have the blobs it holds.
	After uint64
	Have  []string
	// From the import answered (zero for a reply without one).
	Import *BundleImport
}

// ReplyReport counts what a reply carries.
type ReplyReport struct {
	Changes, Blobs int
	BlobBytes      int64
	Through        uint64
}

// WriteReply writes the reply bundle for one workstation to w: its state
// at the archive, what the import confirmed, every change after its
// cursor and the complete blobs it lacks.
func WriteReply(ctx context.Context, p BundleParams, w io.Writer, r Reply) (ReplyReport, error) {
	var rep ReplyReport
	state, err := p.Store.Device(ctx, r.Device)
	if errors.Is(err, api.ErrNotFound) {
		state, err = api.DeviceInfo{ID: r.Device, Name: r.Name}, nil
	}
	if err != nil {
		return rep, err
	}
	info := bundle.ReplyInfo{State: state, After: r.After}
	if r.Import != nil {
		info.InReplyTo = r.Import.Header.ID
		info.Confirmed, info.BlobsStored, info.Countersign = r.Import.Confirmed, r.Import.BlobsStored, r.Import.Countersign
	}
	bw, err := bundle.NewWriter(w, bundle.Header{Kind: bundle.KindReply, Org: p.Org, From: bundle.Archive, To: r.Name, Device: r.Device, Created: p.now()}, r.Key, p.Cert, p.Signer)
	if err != nil {
		return rep, err
	}
	if err := bw.Info(info); err != nil {
		return rep, err
	}
	cursor := r.After
	for {
		page, err := p.Store.Pull(ctx, r.Device, cursor, DefaultPullLimit, p.now())
		if errors.Is(err, api.ErrConflict) {
			return rep, fmt.Errorf("%w: the workstation's cursor %d is past this archive's last change: it synced with another archive", err, cursor)
		}
		if err != nil {
			return rep, err
		}
		if len(page.Changes) > 0 {
			if err := bw.Changes(page); err != nil {
				return rep, err
			}
			rep.Changes += len(page.Changes)
		}
		cursor = page.Next
		if !page.More {
			break
		}
	}
	rep.Through = cursor
	// Every complete blob the workstation lacks: the ones of the manifests
	// it holds, and those of the manifests this reply brings.
	all, err := p.Store.Blobs(ctx)
	if err != nil {
		return rep, err
	}
	have := make(map[string]bool, len(r.Have))
	for _, id := range r.Have {
		have[id] = true
	}
	for _, id := range all {
		if have[id] {
			continue
		}
		f, size, err := p.Store.OpenBlob(ctx, id)
		if errors.Is(err, api.ErrNotFound) {
			continue // not uploaded by its workstation yet
		}
		if err != nil {
			return rep, err
		}
		err = bw.Blob(id, size, f)
		f.Close()
		if err != nil {
			return rep, err
		}
		rep.Blobs++
		rep.BlobBytes += size
	}
	return rep, bw.Close(cursor)
}
