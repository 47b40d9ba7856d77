package syncer

import (
	"cmp"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"folio/app"
	"folio/archive/api"
	"folio/archive/bundle"
	"folio/archive/pki"
	"folio/crypto"
)

// Sync by bundle, for a site with no link (package archive/bundle):
// Bundles.Export writes what the archive lacks from this vault,
// Bundles.Import applies the archive's reply. Both go through the online
// round's own pieces — batches cut by cutBatch and numbered and fixed as
// push numbers them, importPage for the changes, the partial/commit blob
// functions for the scans — so a site may alternate between the two
// freely:
//
//   - Exporting acknowledges nothing. The oplog and sync/audit-sent move
//     only when the archive confirms, by a reply or online: a reply
//     confirms batches by number and content digest, and the oplog is
//     acknowledged through the longest run of its pending entries the
//     confirmed batches cover, never past a gap (a lost bundle).
//   - An export reserves its batch numbers (sync/next-batch moves past
//     them), so an online push never reuses one; a batch in flight online
//     travels first with its fixed content.
//   - The vault's reply key pair is made at the first export; its private
//     half is kept sealed under the vault's record key, by the session
//     (app.Replica.SealBundleKey).
//   - A reply is verified completely (signature by the archive's
//     certificate under the pinned CA, addressed to this workstation and
//     vault, digest, every frame and blob) before anything is applied, and
//     applying it again changes nothing.

// Meta keys of the bundle state.
const (
	metaReplyPublic   = "sync/bundle/reply-public"   // the vault's bundle public key
	metaReplyPrivate  = "sync/bundle/reply-key"      // its private key, sealed
	metaOplogExported = "sync/bundle/oplog-exported" // oplog seq exported through
	metaBundleBatch   = "sync/bundle/batch/"         // + batch (20 digits): JSON exportedBatch
	metaBundleBlob    = "sync/bundle/blob/"          // + local blob id: exported
	metaLastExport    = "sync/bundle/last-export"    // id of the last export
)

// ErrNoBundleKey: the enrollment predates sync bundles.
var ErrNoBundleKey = errors.New("this workstation's enrollment file has no key for sync bundles (it was made before bundles existed): ask the administrator for a new enrollment file ('folio-archive device revoke' then 'device add' on the archive) and run 'folio sync enroll FILE' here")

// exportedBatch is what the vault remembers of a batch it exported, to
// recognise the archive's confirmation.
type exportedBatch struct {
	Digest       string `json:"digest"`
	OplogFrom    uint64 `json:"oplog_from,omitempty"`
	OplogThrough uint64 `json:"oplog_through,omitempty"`
}

// ExportReport says what an export carries.
type ExportReport struct {
	ID        string
	Batches   int
	Versions  int
	Audit     int
	Blobs     int
	BlobBytes int64
	// NotAccepted counts the user and key-slots versions made here the
	// archive does not accept, kept back (folio sync set-aside).
	NotAccepted int
}

func (r ExportReport) String() string {
	s := fmt.Sprintf("%d batches (%d record versions, %d audit entries), %d scans (%d bytes)", r.Batches, r.Versions, r.Audit, r.Blobs, r.BlobBytes)
	if r.NotAccepted > 0 {
		s += fmt.Sprintf("; %d user or password changes made here kept back, which the archive does not accept (see folio sync set-aside)", r.NotAccepted)
	}
	return s
}

// ImportReport says what importing a reply did.
type ImportReport struct {
	Report
	// Acked is the oplog seq acknowledged through (0: none), AuditHeld
	// the audit seq the archive holds.
	Acked, AuditHeld uint64
	Cursor           uint64
	// BlobsUnknown are blobs of the reply no manifest here names.
	BlobsUnknown int
}

func (r ImportReport) String() string {
	return fmt.Sprintf("the archive confirmed changes through %d and the audit trail through %d; %d new versions (%d known, %d set aside, %d records in conflict); %d scans (%d bytes); cursor %d",
		r.Acked, r.AuditHeld, r.Pulled, r.Known, r.Rejected, r.Forked, r.BlobsDown, r.BytesDown, r.Cursor)
}

// Bundles carries the engine's exchange with the archive on a USB stick,
// as sync bundles (see above). An export or import never overlaps a round.
type Bundles struct{ e *Engine }

// Bundles returns the engine's sync by bundle.
func (e *Engine) Bundles() Bundles { return Bundles{e} }

// replyKey returns the public half of the vault's bundle key pair, made on
// first use; the session seals the private half.
func (bs Bundles) replyKey(ctx context.Context) ([]byte, error) {
	e := bs.e
	pub, err := e.p.DB.Meta().GetMeta(ctx, metaReplyPublic)
	if err == nil {
		return pub, nil
	}
	if !errors.Is(err, app.ErrNotFound) {
		return nil, err
	}
	pub, priv, err := crypto.NewBundleKeys(nil)
	if err != nil {
		return nil, err
	}
	sealed, err := e.p.Session.SealBundleKey(priv)
	clear(priv)
	if err != nil {
		return nil, err
	}
	if err := e.p.DB.Meta().UpdateMeta(ctx, map[string][]byte{metaReplyPublic: pub, metaReplyPrivate: sealed}, nil); err != nil {
		return nil, err
	}
	return pub, nil
}

// Export writes an export bundle for the archive to path (a new file;
// never overwritten). all re-exports everything the archive has not
// confirmed (for a lost stick), not only what is new since the last
// export.
func (bs Bundles) Export(ctx context.Context, path string, enr *pki.Enrollment, all bool) (ExportReport, error) {
	e := bs.e
	e.roundMu.Lock()
	defer e.roundMu.Unlock()
	if len(enr.BundleKey) == 0 {
		return ExportReport{}, ErrNoBundleKey
	}
	if err := crypto.CheckBundlePublicKey(enr.BundleKey); err != nil {
		return ExportReport{}, fmt.Errorf("the archive's bundle key in the enrollment file: %w", err)
	}
	if _, err := os.Lstat(path); err == nil {
		return ExportReport{}, fmt.Errorf("%s already exists; choose another file or remove it first", path)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return ExportReport{}, fmt.Errorf("write the bundle: %w", err)
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	rep, puts, err := bs.write(ctx, tmp, enr, all)
	if err != nil {
		return rep, err
	}
	if err := tmp.Sync(); err != nil {
		return rep, fmt.Errorf("write the bundle %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return rep, fmt.Errorf("write the bundle %s: %w", path, err)
	}
	if err := os.Link(tmp.Name(), path); err != nil { // never replaces a file made meanwhile
		return rep, fmt.Errorf("write the bundle %s: %w", path, err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	// Only a complete bundle on disk counts as exported.
	if err := e.p.DB.Meta().UpdateMeta(ctx, puts, nil); err != nil {
		return rep, err
	}
	return rep, nil
}

// write writes the bundle to w and returns the meta to store once it is
// safely on disk.
func (bs Bundles) write(ctx context.Context, w io.Writer, enr *pki.Enrollment, all bool) (ExportReport, map[string][]byte, error) {
	e := bs.e
	var rep ExportReport
	db := e.p.DB
	dev := api.DeviceID(db.DeviceID())
	cursor, err := getUint(ctx, db.Meta(), metaCursor)
	if err != nil {
		return rep, nil, err
	}
	// What only this vault knows travels too: key slots set here and the
	// manifests of new blobs (as records in the oplog). Key slots are
	// shared on top of the others' (as the online round shares them after
	// its pull): a joining vault that has received nothing yet (not even
	// the users) shares them after its first reply, with its next export.
	if cursor > 0 || e.p.Session.HoldsUsers(ctx) {
		if _, err := e.p.Session.ShareKeySlots(ctx); err != nil {
			return rep, nil, err
		}
	}
	ms, err := e.Blobs().writeManifests(ctx)
	if err != nil {
		return rep, nil, err
	}
	replyPub, err := bs.replyKey(ctx)
	if err != nil {
		return rep, nil, err
	}
	claim, err := keptClaim(ctx, db, dev, e.p.Session)
	if err != nil {
		return rep, nil, err
	}
	info := bundle.ExportInfo{Cursor: cursor, ReplyKey: replyPub, Vault: &claim}
	for _, id := range slices.Sorted(mapKeys(ms)) {
		if e.p.Blobs.Has(id) {
			info.Have = append(info.Have, ms[id].SHA256)
		}
	}
	bw, err := bundle.NewWriter(w, bundle.Header{Kind: bundle.KindExport, Org: enr.Org, From: enr.Device, To: bundle.Archive,
		Device: dev, Created: e.p.Now()}, enr.BundleKey, enr.Cert, enr.Key)
	if err != nil {
		return rep, nil, err
	}
	rep.ID = bw.Header().ID
	if err := bw.Info(info); err != nil {
		return rep, nil, err
	}
	puts := map[string][]byte{metaLastExport: []byte(rep.ID)}
	emit := func(b bundle.Batch) error {
		if err := bw.Batch(b); err != nil {
			return err
		}
		rec, _ := json.Marshal(exportedBatch{Digest: b.Digest(), OplogFrom: b.OplogFrom, OplogThrough: b.OplogThrough})
		puts[metaBundleBatch+fmt.Sprintf("%020d", b.Request.Batch)] = rec
		rep.Batches++
		rep.Versions += len(b.Request.Versions)
		rep.Audit += len(b.Request.Audit)
		return nil
	}

	// The batches: the one in flight online first, with its fixed content,
	// then new ones numbered after the vault's last.
	next, err := getUint(ctx, db.Meta(), metaNextBatch)
	if err != nil {
		return rep, nil, err
	}
	next = max(next, 1) // never pushed: the archive renumbers a batch it holds already
	auditPos, err := getUint(ctx, db.Meta(), metaAuditSent)
	if err != nil {
		return rep, nil, err
	}
	var after uint64
	if !all {
		if after, err = getUint(ctx, db.Meta(), metaOplogExported); err != nil {
			return rep, nil, err
		}
	}
	fl, inFlight, err := getJSON[inflight](ctx, db.Meta(), metaInflight)
	if err != nil {
		return rep, nil, err
	}
	if inFlight {
		req, _, err := e.batchRequest(ctx, fl)
		if err != nil {
			return rep, nil, err
		}
		b := bundle.Batch{Request: req}
		if len(req.Versions) > 0 {
			first, err := db.Oplog().Pending(ctx, 0, 1)
			if err != nil || len(first) == 0 {
				return rep, nil, fmt.Errorf("read the batch in flight: %v", err)
			}
			b.OplogFrom, b.OplogThrough = first[0].Seq, fl.OplogThrough
			after = max(after, fl.OplogThrough)
		}
		if err := emit(b); err != nil {
			return rep, nil, err
		}
		auditPos = max(auditPos, fl.AuditThrough)
	}
	// This workstation's users and key slots the archive would refuse
	// stay here, set aside (ownrefused.go), audited before the audit
	// trail to carry is read.
	later, err := db.Oplog().Pending(ctx, after, 0)
	if err != nil {
		return rep, nil, err
	}
	keep, err := e.refusedOwn().keepBack(ctx, later, puts)
	if err != nil {
		return rep, nil, err
	}
	rep.NotAccepted = len(keep)
	head, err := db.Audit().AuditHead(ctx)
	if err != nil && !errors.Is(err, app.ErrNotFound) {
		return rep, nil, err
	}
	for {
		req := api.PushRequest{Device: dev, Batch: next, Versions: []api.RecordVersion{}}
		b := bundle.Batch{}
		entries, vs, err := e.cutBatch(ctx, after)
		if err != nil {
			return rep, nil, err
		}
		for i, en := range entries {
			if !slices.Contains(keep, en.Seq) {
				req.Versions = append(req.Versions, wireVersion(vs[i]))
			}
			if b.OplogFrom == 0 {
				b.OplogFrom = en.Seq
			}
			b.OplogThrough = en.Seq
		}
		if head.Seq > auditPos {
			from, through := auditSpan(auditPos, head.Seq)
			for en, err := range db.Audit().AuditEntriesFrom(ctx, from) {
				if err != nil {
					return rep, nil, fmt.Errorf("read the audit trail to send: %w", err)
				}
				if en.Seq > through {
					break
				}
				req.Audit = append(req.Audit, api.AuditEntry{Seq: en.Seq, Sealed: en.Sealed, Hash: en.Hash})
			}
		}
		if len(req.Versions) == 0 && len(req.Audit) == 0 {
			break
		}
		b.Request = req
		if err := emit(b); err != nil {
			return rep, nil, err
		}
		next++
		if b.OplogThrough > 0 {
			after = b.OplogThrough
		}
		if n := len(req.Audit); n > 0 {
			auditPos = req.Audit[n-1].Seq
		}
	}
	puts[metaNextBatch] = putUint(next)
	puts[metaOplogExported] = putUint(after)

	// The complete blobs the archive does not hold yet.
	uploaded, err := db.Meta().MetaPrefix(ctx, metaUploaded)
	if err != nil {
		return rep, nil, err
	}
	exported, err := db.Meta().MetaPrefix(ctx, metaBundleBlob)
	if err != nil {
		return rep, nil, err
	}
	for _, id := range slices.Sorted(mapKeys(ms)) {
		m := ms[id]
		if _, ok := uploaded[metaUploaded+id]; ok {
			continue
		}
		if _, ok := exported[metaBundleBlob+id]; ok && !all {
			continue
		}
		f, size, err := e.p.Blobs.OpenSealed(id)
		if errors.Is(err, app.ErrNotFound) {
			continue // not here: the reply may bring it
		}
		if err != nil {
			return rep, nil, err
		}
		if size != m.Size {
			f.Close()
			return rep, nil, fmt.Errorf("%w: blob %s is %d bytes on disk, its manifest says %d", app.ErrTampered, id, size, m.Size)
		}
		err = bw.Blob(m.SHA256, size, f)
		f.Close()
		if err != nil {
			return rep, nil, err
		}
		puts[metaBundleBlob+id] = []byte{1}
		rep.Blobs++
		rep.BlobBytes += size
	}
	if err := bw.Close(0); err != nil {
		return rep, nil, err
	}
	return rep, puts, nil
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// Import verifies the archive's reply at path completely, then
// applies it. A refusal (another workstation's or organisation's reply, a
// damaged or cut file, a file that is no reply) wraps bundle.ErrNotForUs,
// bundle.ErrDamaged or bundle.ErrNotBundle, and then nothing changed.
func (bs Bundles) Import(ctx context.Context, path string, enr *pki.Enrollment) (ImportReport, error) {
	e := bs.e
	e.roundMu.Lock()
	defer e.roundMu.Unlock()
	var rep ImportReport
	db := e.p.DB
	dev := api.DeviceID(db.DeviceID())
	f, err := os.Open(path)
	if err != nil {
		return rep, fmt.Errorf("open the bundle: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return rep, err
	}
	bf, err := bundle.Open(f, fi.Size())
	if err != nil {
		return rep, err
	}
	h := bf.Header
	switch {
	case h.Kind != bundle.KindReply:
		return rep, fmt.Errorf("%w: it is an export of workstation %s for the archive: take it to the archive ('folio-archive import'); a workstation imports the archive's replies", bundle.ErrNotForUs, h.From)
	case h.Org != enr.Org:
		return rep, fmt.Errorf("%w: it comes from the archive of %q; this workstation belongs to %q", bundle.ErrNotForUs, h.Org, enr.Org)
	case h.To != enr.Device || h.Device != dev:
		return rep, fmt.Errorf("%w: it is the reply for workstation %s (vault %s); this is %s (vault %s): take it to %s", bundle.ErrNotForUs, h.To, h.Device, enr.Device, dev, h.To)
	}
	if err := bf.VerifySender(enr.CA, x509.ExtKeyUsageServerAuth); err != nil {
		return rep, err
	}
	if err := bf.CheckDigest(); err != nil {
		return rep, err
	}
	sealed, err := db.Meta().GetMeta(ctx, metaReplyPrivate)
	if errors.Is(err, app.ErrNotFound) {
		return rep, fmt.Errorf("%w: this vault has never exported a bundle, so no reply can be for it", bundle.ErrNotForUs)
	}
	if err != nil {
		return rep, err
	}
	private, err := e.p.Session.OpenBundleKey(sealed)
	if err != nil {
		return rep, fmt.Errorf("open this vault's bundle key: %w", err)
	}
	defer clear(private)
	// First pass: read and check everything.
	info, end, err := readReply(bf, private, dev, nil)
	if err != nil {
		return rep, err
	}
	// Second pass: apply.
	if err := bs.applyConfirmations(ctx, info, &rep); err != nil {
		return rep, err
	}
	cursor, err := getUint(ctx, db.Meta(), metaCursor)
	if err != nil {
		return rep, err
	}
	var bySHA map[string]localBlob
	texts := map[string]bool{}
	_, _, err = readReply(bf, private, dev, func(it bundle.Item, page *api.PullResponse) error {
		if page != nil {
			return e.importPage(ctx, page.Changes, &rep.Report)
		}
		if bySHA == nil {
			// The changes are in: the manifests name every blob.
			by, err := bs.blobsBySHA(ctx, info.BlobsStored, &rep)
			if err != nil {
				return err
			}
			bySHA = by
		}
		return bs.storeBlob(ctx, *it.Blob, it.Data, bySHA, texts, &rep)
	})
	if err != nil {
		return rep, err
	}
	if bySHA == nil {
		if _, err := bs.blobsBySHA(ctx, info.BlobsStored, &rep); err != nil {
			return rep, err
		}
	}
	e.Blobs().reindex(ctx, texts)
	// Share the key slots set here on top of what arrived (they travel
	// with the next export), as the online round does after its pull.
	if _, err := e.p.Session.ShareKeySlots(ctx); err != nil {
		return rep, err
	}
	// The changes after info.After are in: the cursor may move there,
	// unless this vault holds less than that (restored from an older
	// copy: the gap comes with the next round).
	if info.After <= cursor && end.Through > cursor {
		if err := db.Meta().UpdateMeta(ctx, map[string][]byte{metaCursor: putUint(end.Through)}, nil); err != nil {
			return rep, err
		}
		cursor = end.Through
	}
	rep.Cursor = cursor
	e.refreshCounts(ctx)
	return rep, nil
}

// readReply reads a reply's body; apply (nil in the checking pass) gets
// each page of changes and each blob.
func readReply(bf *bundle.File, private []byte, dev api.DeviceID, apply func(bundle.Item, *api.PullResponse) error) (bundle.ReplyInfo, bundle.End, error) {
	var info bundle.ReplyInfo
	body, err := bf.Body(private, nil)
	if err != nil {
		return info, bundle.End{}, err
	}
	for {
		it, err := body.Next()
		if errors.Is(err, io.EOF) {
			return info, body.End, nil
		}
		if err != nil {
			return info, bundle.End{}, err
		}
		switch it.Type {
		case bundle.FrameInfo:
			if info, err = bundle.DecodeReplyInfo(it.JSON); err != nil {
				return info, bundle.End{}, err
			}
			if info.State.ID != dev || (info.Countersign != nil && info.Countersign.Device != dev) {
				return info, bundle.End{}, fmt.Errorf("%w: its content is about vault %s, not this one", bundle.ErrDamaged, info.State.ID)
			}
		case bundle.FrameChanges:
			page, err := bundle.DecodeChanges(it.JSON)
			if err != nil {
				return info, bundle.End{}, err
			}
			if apply != nil {
				if err := apply(it, &page); err != nil {
					return info, bundle.End{}, err
				}
			}
		case bundle.FrameBlob:
			if apply != nil {
				if err := apply(it, nil); err != nil {
					return info, bundle.End{}, err
				}
			} else if _, err := io.Copy(io.Discard, it.Data); err != nil {
				return info, bundle.End{}, err
			}
		}
	}
}

// applyConfirmations acknowledges what the archive confirmed: the
// oplog through the longest covered run of pending entries, the audit
// trail it holds, the batch numbering after its last, the countersignature.
func (bs Bundles) applyConfirmations(ctx context.Context, info bundle.ReplyInfo, rep *ImportReport) error {
	db := bs.e.p.DB
	records, err := db.Meta().MetaPrefix(ctx, metaBundleBatch)
	if err != nil {
		return err
	}
	fl, inFlight, err := getJSON[inflight](ctx, db.Meta(), metaInflight)
	if err != nil {
		return err
	}
	puts := map[string][]byte{}
	var dels []string
	type span struct{ from, through uint64 }
	var spans []span
	for _, c := range info.Confirmed {
		key := metaBundleBatch + fmt.Sprintf("%020d", c.Batch)
		raw, ok := records[key]
		if !ok {
			continue // confirmed before, or not this vault's lineage
		}
		var rec exportedBatch
		if json.Unmarshal(raw, &rec) != nil || rec.Digest != c.Digest {
			continue
		}
		if rec.OplogThrough > 0 {
			spans = append(spans, span{rec.OplogFrom, rec.OplogThrough})
		}
		dels = append(dels, key)
		if inFlight && fl.Batch == c.Batch {
			dels = append(dels, metaInflight)
		}
	}
	sent, err := getUint(ctx, db.Meta(), metaAuditSent)
	if err != nil {
		return err
	}
	rep.AuditHeld = max(sent, info.State.AuditThrough)
	if rep.AuditHeld > sent {
		puts[metaAuditSent] = putUint(rep.AuditHeld)
	}
	next, err := getUint(ctx, db.Meta(), metaNextBatch)
	if err != nil {
		return err
	}
	if info.State.LastBatch+1 > next {
		puts[metaNextBatch] = putUint(info.State.LastBatch + 1)
	}
	if cs := info.Countersign; cs != nil {
		old, ok, _ := Countersignature(ctx, db.Meta())
		if !ok || cs.Seq >= old.Seq {
			if b, err := json.Marshal(cs); err == nil {
				puts[metaCountersign] = b
			}
		}
	}
	if err := db.Meta().UpdateMeta(ctx, puts, dels); err != nil {
		return err
	}
	if _, ok := puts[metaCountersign]; ok {
		if err := keepCountersign(db, *info.Countersign); err != nil {
			return err
		}
	}
	pending, err := db.Oplog().Pending(ctx, 0, 1)
	if err != nil || len(pending) == 0 {
		return err
	}
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.from, b.from) })
	through := pending[0].Seq - 1
	for _, s := range spans {
		if s.from <= through+1 && s.through > through {
			through = s.through
		}
	}
	if through >= pending[0].Seq {
		if err := db.Oplog().Ack(ctx, through); err != nil {
			return err
		}
		rep.Acked = through
	}
	return nil
}

// localBlob is a blob of this vault, named by its manifest.
type localBlob struct {
	id    string
	class app.BlobClass
}

// blobsBySHA maps the archive's blob ids to this vault's, from the
// manifests, and marks the blobs the archive confirmed holding as
// uploaded.
func (bs Bundles) blobsBySHA(ctx context.Context, stored []string, rep *ImportReport) (map[string]localBlob, error) {
	e := bs.e
	ms, err := e.Blobs().manifests(ctx)
	if err != nil {
		return nil, err
	}
	by := make(map[string]localBlob, len(ms))
	for id, m := range ms {
		by[m.SHA256] = localBlob{id: id, class: m.Class}
	}
	for _, sha := range stored {
		if b, ok := by[sha]; ok && e.p.Blobs.Has(b.id) {
			if err := e.Blobs().markUploaded(ctx, b.id); err != nil {
				return nil, err
			}
		}
	}
	return by, nil
}

// storeBlob keeps one blob of a reply the way a download does: through
// the partial file, committed only when its SHA-256 matches, kept only
// when it opens with the vault's blob key.
func (bs Bundles) storeBlob(ctx context.Context, h bundle.BlobHead, data io.Reader, bySHA map[string]localBlob, texts map[string]bool, rep *ImportReport) error {
	e := bs.e
	lb, ok := bySHA[h.ID]
	id := lb.id
	if !ok {
		rep.BlobsUnknown++
		return nil
	}
	if e.p.Blobs.Has(id) {
		return e.Blobs().markUploaded(ctx, id)
	}
	e.p.Blobs.DiscardPartial(id)
	n, err := e.p.Blobs.AppendPartial(id, data)
	if err != nil {
		e.p.Blobs.DiscardPartial(id)
		return fmt.Errorf("store blob %s: %w", id, err)
	}
	if err := e.p.Blobs.CommitPartial(id, h.ID); err != nil {
		return err
	}
	if err := e.p.Session.CheckReceivedBlob(ctx, id); err != nil {
		return fmt.Errorf("the reply's %w", err)
	}
	rep.BlobsDown++
	rep.BytesDown += n
	if lb.class == app.BlobText {
		texts[id] = true
	}
	return e.Blobs().markUploaded(ctx, id)
}
