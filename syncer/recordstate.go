package syncer

import (
	"context"
	"encoding/json"

	"folio/app"
	"folio/storage"
)

// RecordState is where one record stands with the archive, as the window
// shows it on a chart and on each document.
type RecordState int

// Record states, from the least to the most urgent: when a record is in
// more than one (a pending document whose earlier version conflicts), the
// most urgent is the one shown.
const (
	// RecordNotSynced: the workstation has no archive.
	RecordNotSynced RecordState = iota
	// RecordSent: the archive holds the record's versions written here,
	// and every scan, text and thumbnail of it this workstation holds.
	RecordSent
	// RecordPending: a version written here, or one of its blobs, waits
	// to be sent.
	RecordPending
	// RecordError: the archive refused the batch that carries a version
	// of it, or a change of it pulled from the archive did not open with
	// this vault's key and was set aside.
	RecordError
	// RecordConflict: it was changed on two workstations at once; both
	// versions are kept until a person resolves it.
	RecordConflict
)

func (s RecordState) String() string {
	switch s {
	case RecordSent:
		return "sent"
	case RecordPending:
		return "pending"
	case RecordError:
		return "error"
	case RecordConflict:
		return "conflict"
	}
	return "not synced"
}

// RecordQuery names a record whose state is wanted and the blobs it
// depends on (a document's page images, text, word boxes and thumbnails;
// none for a patient).
type RecordQuery struct {
	Kind  app.Kind
	ID    string
	Blobs []string
}

// BlobHolder tells whether a blob is on this workstation (*storage.Blobs
// has it).
type BlobHolder interface {
	Has(id string) bool
}

// StateParams is what RecordStates reads.
type StateParams struct {
	DB *storage.DB
	// Blobs tells which blobs are here: a blob not marked as held by the
	// archive is pending only when this workstation has it to send (one
	// still to come from the archive is another workstation's to send).
	// Nil counts every blob as here.
	Blobs BlobHolder
	// Enrolled is whether the workstation has an archive (Enrolled(dir));
	// without one every record is RecordNotSynced.
	Enrolled bool
	// Refused is whether the last round ended with the archive refusing
	// something (Status.State is StateError): the versions of the batch
	// still in flight are then RecordError rather than RecordPending.
	Refused bool
}

// RecordStates tells, for each query, where its record stands: one read
// transaction of the vault for all of them (the oplog once, the conflict
// markers and the blobs' upload markers by key), so it is cheap enough for
// a chart's documents. It needs no key: what it reads is in clear.
//
// A record is pending while the oplog holds a version of it (written here,
// not yet acknowledged by the archive), or while one of its blobs, or the
// blob's manifest, is here and not yet held by the archive. A change set
// aside by a pull is an error of its record.
func RecordStates(ctx context.Context, p StateParams, qs []RecordQuery) ([]RecordState, error) {
	out := make([]RecordState, len(qs))
	if !p.Enrolled || len(qs) == 0 {
		return out, nil
	}
	q := storage.SyncQuery{MetaKeys: []string{metaInflight}, MetaPrefix: metaRejected}
	for _, r := range qs {
		q.Records = append(q.Records, storage.RecordRef{Kind: r.Kind, ID: r.ID})
		for _, b := range r.Blobs {
			if b == "" {
				continue
			}
			q.Records = append(q.Records, storage.RecordRef{Kind: app.KindBlob, ID: b})
			q.MetaKeys = append(q.MetaKeys, metaUploaded+b)
		}
	}
	ans, err := p.DB.SyncState(ctx, q)
	if err != nil {
		return nil, err
	}
	setAside := map[storage.RecordRef]bool{}
	for k, v := range ans.Meta {
		if c, ok := decodeSetAside(k, v); ok {
			setAside[storage.RecordRef{Kind: c.Kind, ID: c.ID}] = true
		}
	}
	// The versions of a refused batch: the oplog entries it holds.
	var refusedThrough uint64
	if raw, ok := ans.Meta[metaInflight]; ok && p.Refused {
		var fl inflight
		if json.Unmarshal(raw, &fl) == nil {
			refusedThrough = fl.OplogThrough
		}
	}
	for i, r := range qs {
		ref := storage.RecordRef{Kind: r.Kind, ID: r.ID}
		st := RecordSent
		if seq, ok := ans.Pending[ref]; ok {
			st = RecordPending
			if seq <= refusedThrough {
				st = RecordError
			}
		}
		for _, b := range r.Blobs {
			if b == "" || st != RecordSent {
				continue
			}
			if seq, ok := ans.Pending[storage.RecordRef{Kind: app.KindBlob, ID: b}]; ok {
				st = RecordPending // its manifest waits to be sent
				if seq <= refusedThrough {
					st = RecordError
				}
				continue
			}
			if _, up := ans.Meta[metaUploaded+b]; !up && (p.Blobs == nil || p.Blobs.Has(b)) {
				st = RecordPending
			}
		}
		if setAside[ref] {
			st = RecordError
		}
		if ans.Conflict[ref] {
			st = RecordConflict
		}
		out[i] = st
	}
	return out, nil
}

// RecordStates is RecordStates over the engine's vault and blobs, with
// the engine's last round telling whether the batch in flight was refused.
func (e *Engine) RecordStates(ctx context.Context, qs []RecordQuery) ([]RecordState, error) {
	return RecordStates(ctx, StateParams{DB: e.p.DB, Blobs: e.p.Blobs, Enrolled: true, Refused: e.Status().State == StateError}, qs)
}
