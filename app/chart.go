package app

import (
	"context"
	"slices"
	"sync"
)

// Chart is the opening of a patient's chart: the lists the chart shows
// first (the documents, the visits and the summary) read together. It
// makes the reads, the refusals and the audit events that
// Documents.OfPatient, Encounters.List and ChartSummary.Summary make one
// after the other, with less work: the patient is resolved once, the
// visits are decoded once for the list and the summary's coded
// diagnoses, the documents are decoded on two goroutines beside the
// visits, and the reads' audit events (one for each list, saying what it
// read) are appended in one transaction, so an opening waits for one
// fsync, not three.
type Chart struct{ s *Session }

// Chart returns the session's chart opening.
func (s *Session) Chart() Chart { return Chart{s} }

// ChartParts says which lists an opening reads: a role reads what its
// screen shows.
type ChartParts struct {
	Documents  bool // Documents.OfPatient: filed documents, newest date of service first
	Encounters bool // Encounters.List: the visits, newest first
	Summary    bool // ChartSummary.Summary
}

// ChartLists are the lists an opening read, each with the error that
// kept it from being read (a refusal, a record that does not decrypt,
// the audit trail that could not be written), as the three services
// return them.
type ChartLists struct {
	Documents     []Document
	DocumentsErr  error
	Encounters    []Encounter
	EncountersErr error
	Summary       Summary
	SummaryErr    error
}

// chartPart is one list of an opening while it is read: the context its
// permission was granted in, and its audit event once read. Its service
// audits a restricted chart's read under the restricted-read permission
// when restricted is set (Documents.OfPatient does not).
type chartPart struct {
	perm       Permission
	act        Action
	restricted bool
	err        *error
	ctx        context.Context
	event      AuditEvent
}

// Open reads the lists want names of the chart of patientRef (an MRN or
// a record id, merges followed). A list the role may not read, or the
// chart's refusal, is audited as its service audits it and leaves that
// list's error set; the others are still read.
func (c Chart) Open(ctx context.Context, patientRef string, want ChartParts) ChartLists {
	var out ChartLists
	var parts []*chartPart
	for _, w := range []struct {
		on bool
		p  chartPart
	}{
		{want.Documents, chartPart{perm: PermDocRead, act: ActDocRead, err: &out.DocumentsErr}},
		{want.Encounters, chartPart{perm: PermEncounterRead, act: ActEncounterList, restricted: true, err: &out.EncountersErr}},
		{want.Summary, chartPart{perm: PermSummaryRead, act: ActSummaryRead, restricted: true, err: &out.SummaryErr}},
	} {
		if !w.on {
			continue
		}
		p := w.p
		if p.ctx, *p.err = c.s.require(ctx, p.perm, p.act, ""); *p.err == nil {
			parts = append(parts, &p)
		}
	}
	if len(parts) == 0 {
		return out
	}
	pat, err := c.s.charts.resolve(parts[0].ctx, patientRef, true)
	if err != nil {
		for _, p := range parts {
			*p.err = err
		}
		return out
	}
	parts = slices.DeleteFunc(parts, func(p *chartPart) bool {
		*p.err = c.s.charts.canOpen(p.ctx, pat, p.act)
		return *p.err != nil
	})
	docs, encs, sum := partFor(parts, ActDocRead), partFor(parts, ActEncounterList), partFor(parts, ActSummaryRead)
	var wg sync.WaitGroup
	if docs != nil {
		wg.Go(func() {
			out.Documents, *docs.err = c.s.docs.ofChart(docs.ctx, pat)
			docs.event = documentListEvent(pat, out.Documents)
		})
	}
	if encs != nil || sum != nil {
		first := encs
		if first == nil {
			first = sum
		}
		visits, err := c.s.Encounters().ofChart(first.ctx, pat)
		if encs != nil {
			if *encs.err = err; err == nil {
				out.Encounters, *encs.err = c.s.Encounters().listed(encs.ctx, pat, visits)
				encs.event = listEvent(pat, out.Encounters)
			}
		}
		if sum != nil {
			if *sum.err = err; err == nil {
				var entries []ChartEntry
				if entries, *sum.err = c.s.ChartSummary().entriesWith(sum.ctx, pat, visits); *sum.err == nil {
					out.Summary = summarize(pat, entries, c.s.v.now())
					sum.event = summaryEvent(pat, out.Summary)
				}
			}
		}
	}
	wg.Wait()
	var read []AuditEvent
	var readParts []*chartPart
	for _, p := range parts {
		if *p.err == nil {
			ctx := p.ctx
			if p.restricted {
				ctx = c.s.charts.readGrant(ctx, pat)
			}
			read = append(read, c.s.stamp(ctx, p.event))
			readParts = append(readParts, p)
		}
	}
	if err := c.s.appendAudit(ctx, read); err != nil {
		for _, p := range readParts {
			*p.err = err
		}
	}
	return out
}

// partFor is the part of parts read for act, or nil.
func partFor(parts []*chartPart, act Action) *chartPart {
	for _, p := range parts {
		if p.act == act {
			return p
		}
	}
	return nil
}
