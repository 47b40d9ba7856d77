package app

import (
	"cmp"
	"context"
	"fmt"
	"sync"
)

// A scanned document filed in a chart is part of that chart: whoever may
// not open the chart may not see, search, export or change the document
// either. This file is the one guard every operation on documents goes
// through — opening one, its pages, text and thumbnails, exporting,
// filing, QA, page corrections, listings, search hits and the answer to a
// duplicate import. It is the only code that reads a document record for a
// person (TestDocumentReadsGoThroughTheGuard holds the package to that):
//
//   - open reads one document for one use. The role must have the
//     use's permission, and the chart must be one the user may open (not
//     restricted, or the role reads restricted charts, or this session
//     broke the glass for it). A refusal is audited under the patient and
//     says neither the patient nor anything else about the document.
//   - visible reads the documents of a listing and leaves out
//     those in charts the user may not open.

// docStore is the part of the core the document domains share: this
// guard, the reads and writes of document versions behind it (docview.go),
// the sealed blob store of their files, and the QA draw of a document
// being filed. Services reach it through s.docs.
type docStore struct{ s *Session }

// docUse is what an operation does with a document: the permission it
// needs and the action a refusal is audited as.
type docUse struct {
	perm Permission
	act  Action
}

// The uses of a document.
var (
	useRead   = docUse{PermDocRead, ActDocRead}
	useExport = docUse{PermDocRead, ActDocExport}
	useFile   = docUse{PermDocIndex, ActDocFile}
	useEdit   = docUse{PermDocIndex, ActDocEdit}
	useVerify = docUse{PermDocVerify, ActDocVerify}
)

// open reads a document for one use: the guard. The context it
// returns carries the permission the use was granted, for the use's audit
// events.
func (dc docStore) open(ctx context.Context, id string, use docUse) (context.Context, Document, error) {
	ctx, err := dc.s.require(ctx, use.perm, use.act, "")
	if err != nil {
		return ctx, Document{}, err
	}
	d, err := dc.load(ctx, id)
	if err != nil {
		return ctx, Document{}, err
	}
	chart, ok, err := dc.chart(ctx, d)
	if err != nil {
		return ctx, Document{}, err
	}
	if !ok {
		return ctx, Document{}, dc.refuse(ctx, d.ID, chart, use.act)
	}
	return ctx, d, nil
}

// visible reads the documents with the given ids, in that order,
// leaving out those filed in charts the user may not open; withheld are
// those charts, one entry per document left out.
func (dc docStore) visible(ctx context.Context, ids []string) (docs []Document, withheld []Patient, err error) {
	for _, id := range ids {
		d, err := dc.load(ctx, id)
		if err != nil {
			return nil, nil, err
		}
		chart, ok, err := dc.chart(ctx, d)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			withheld = append(withheld, chart)
			continue
		}
		docs = append(docs, d)
	}
	return docs, withheld, nil
}

// visibleOnTwo is visible over the two halves of a long list of ids
// on two goroutines (a big chart's thousands of records decrypt and
// decode on both cores of a clinic's PC), with visible's result.
func (dc docStore) visibleOnTwo(ctx context.Context, ids []string) ([]Document, []Patient, error) {
	if len(ids) < 64 {
		return dc.visible(ctx, ids)
	}
	half := len(ids) / 2
	var docs [2][]Document
	var withheld [2][]Patient
	var errs [2]error
	var wg sync.WaitGroup
	wg.Go(func() { docs[1], withheld[1], errs[1] = dc.visible(ctx, ids[half:]) })
	docs[0], withheld[0], errs[0] = dc.visible(ctx, ids[:half])
	wg.Wait()
	if err := cmp.Or(errs[0], errs[1]); err != nil {
		return nil, nil, err
	}
	return append(docs[0], docs[1]...), append(withheld[0], withheld[1]...), nil
}

// versionChart is chart for one stored version of a record, when it is a
// document, and the chart of an encounter's, a summary entry's or a
// coding record's patient;
// any other record is in no chart.
func (dc docStore) versionChart(ctx context.Context, rec StoredRecord) (Patient, bool, error) {
	if rec.Kind == KindEncounter {
		e, err := decodeEncounter(rec)
		if err != nil {
			return Patient{}, dc.s.User().Roles.Can(PermRestrictedRead), nil
		}
		return dc.s.charts.chartOf(ctx, e.PatientID)
	}
	if rec.Kind == KindSummary {
		c, err := decodeChartEntry(rec)
		if err != nil {
			return Patient{}, dc.s.User().Roles.Can(PermRestrictedRead), nil
		}
		return dc.s.charts.chartOf(ctx, c.PatientID)
	}
	if rec.Kind == KindCoding {
		c, err := decodeCoding(rec)
		if err != nil {
			return Patient{}, dc.s.User().Roles.Can(PermRestrictedRead), nil
		}
		return dc.s.charts.chartOf(ctx, c.PatientID)
	}
	if rec.Kind != KindDocument {
		return Patient{}, true, nil
	}
	d, err := decodeDocument(rec)
	if err != nil {
		// It names no chart anyone can tell: only a role that reads
		// restricted charts sees it.
		return Patient{}, dc.s.User().Roles.Can(PermRestrictedRead), nil
	}
	return dc.chart(ctx, d)
}

// chart returns the chart a document is filed in — its patient,
// or the survivor that patient was merged into — and whether the user may
// open it. The chart counts as restricted when any registration on the way
// is. A document filed nowhere yet (waiting for a patient) is open to all.
func (dc docStore) chart(ctx context.Context, d Document) (Patient, bool, error) {
	if d.PatientID == "" {
		return Patient{}, true, nil
	}
	p, ok, err := dc.s.charts.chartOf(ctx, d.PatientID)
	if err != nil {
		return Patient{}, false, fmt.Errorf("chart of document %s: %w", d.ID, err)
	}
	return p, ok, nil
}

// BreakGlass opens, for the rest of the session, the restricted chart a
// document is filed in, with a reason (as Patients.BreakGlass does for a
// patient): a clinician who was given a document's id, not the patient's
// MRN. It is refused to roles without break-glass, and for a document in
// no restricted chart (it needs no reason).
func (ds Documents) BreakGlass(ctx context.Context, id, reason string) (Patient, error) {
	return ds.s.charts.breakGlassVia(ctx, reason, func(ctx context.Context) (Patient, string, error) {
		d, err := ds.s.docs.load(ctx, id)
		if err != nil {
			return Patient{}, "", err
		}
		chart, _, err := ds.s.docs.chart(ctx, d)
		return chart, "document " + id, err
	})
}

// refuse audits a refused document operation under the chart's
// patient and returns the error the user sees: it names the document, not
// the patient.
func (dc docStore) refuse(ctx context.Context, id string, chart Patient, act Action) error {
	_ = dc.s.audit(ctx, AuditEvent{Action: act, Patient: chart.MRN, Object: "document/" + id, Outcome: OutcomeDenied, Detail: "restricted chart"})
	if dc.s.User().Roles.Can(PermBreakGlass) {
		return fmt.Errorf("document %s: %w; give a reason to open the patient's chart first (break-glass; on the command line --reason)", id, ErrNeedsBreakGlass)
	}
	return fmt.Errorf("document %s: %w", id, ErrRestricted)
}

// auditWithheld audits, once under each chart's patient, that an answer
// about object left out what was filed in those charts.
func (dc docStore) auditWithheld(ctx context.Context, act Action, object string, charts []Patient, why string) {
	seen := map[string]bool{}
	for _, p := range charts {
		if !seen[p.ID] {
			seen[p.ID] = true
			_ = dc.s.audit(ctx, AuditEvent{Action: act, Patient: p.MRN, Object: object, Outcome: OutcomeDenied,
				Detail: "restricted chart: " + why + "; withheld"})
		}
	}
}

// load reads a document's head. Only the guard above calls it.
func (dc docStore) load(ctx context.Context, id string) (Document, error) {
	return readHead(ctx, dc.s, KindDocument, id, func(rec StoredRecord) (Document, error) {
		if d, ok := dc.s.decoded.get(id, rec.Version); ok {
			return d, nil
		}
		d, err := decodeDocument(rec)
		if err == nil {
			dc.s.decoded.put(id, d)
		}
		return d, err
	})
}
