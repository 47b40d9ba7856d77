package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"folio/codeset"
)

// derivedPrefix begins the id of a problem derived from an encounter's
// coded diagnosis: dx-ENCOUNTER-CODE. It is no record until a clinician
// resolves it; Resolve then stores it, under that id, with its end.
const derivedPrefix = "dx-"

func derivedID(encounterID, code string) string {
	return derivedPrefix + encounterID + "-" + codeset.Normalize(code)
}

// codedDiagnoses derives problems from the coded diagnoses of the chart's
// signed encounters (the latest coding of each; encs are the chart's
// encounters as Encounters.ofChart reads them): one problem per code, from
// the latest encounter that carries it, with the id derivedID gives.
// Its onset is the first encounter with the code for a chronic problem (a
// code the code set calls chronic) and the latest for an acute one, so an
// acute diagnosis leaves the summary acuteLasts after the last visit that
// coded it.
func (cs ChartSummary) codedDiagnoses(ctx context.Context, p Patient, encs []Encounter) ([]ChartEntry, error) {
	byCode := map[string]*ChartEntry{}
	var order []string
	for _, e := range encs {
		if e.Deleted || e.Signed == nil {
			continue
		}
		coded, err := latestCoding(ctx, cs.s, e.ID)
		if err != nil {
			return nil, err
		}
		if coded == nil {
			continue
		}
		for _, d := range coded.Diagnoses {
			key, at := codeset.Normalize(d.Code), day(e.Time)
			c := byCode[key]
			if c == nil {
				c = &ChartEntry{Section: SectionProblem, PatientID: e.PatientID, Code: d.Code, CodeSystem: d.System,
					Text: d.Description, Chronic: chronicCode(d), Onset: at, MRN: p.MRN}
				byCode[key] = c
				order = append(order, key)
			} else if c.Chronic && at.Before(c.Onset) || !c.Chronic && at.After(c.Onset) {
				c.Onset = at
			}
			if at.After(c.lastVisit) {
				c.lastVisit = at
			}
			if !c.Recorded.After(coded.At) {
				c.ID, c.EncounterID, c.RecordedBy, c.Recorded = derivedID(e.ID, d.Code), e.ID, coded.By, coded.At
				c.Changed, c.ChangedBy = coded.At, coded.By
			}
		}
	}
	out := make([]ChartEntry, 0, len(order))
	for _, k := range order {
		out = append(out, *byCode[k])
	}
	return out, nil
}

// chronicCode reports whether the code set calls a diagnosis's code
// chronic (the chronic condition indicator of ICD-10-CM).
func chronicCode(d Diagnosis) bool {
	if d.System != codeset.ICD10CMSystem {
		return false
	}
	set, err := problemCodes.Set()
	if err != nil {
		return false
	}
	c, err := set.Lookup(d.Code)
	return err == nil && c.Chronic == codeset.Chronic
}

// unrecorded keeps the derived problems no recorded problem of the same
// code stands for: a recorded one still active, one resolved on or after
// the derived one's last visit or after it was coded (a derived problem
// resolved is stored so), or one recorded since that visit. A later visit,
// coded after the resolution, brings it back.
func unrecorded(derived, recorded []ChartEntry, now time.Time) []ChartEntry {
	var out []ChartEntry
	for _, d := range derived {
		seen := false
		for _, r := range recorded {
			if r.Section != SectionProblem || !strings.EqualFold(codeset.Normalize(r.Code), codeset.Normalize(d.Code)) {
				continue
			}
			switch {
			case r.Active(now),
				r.Ended != nil && (!r.Ended.Date.Before(d.lastVisit) || !r.Ended.At.Before(d.Recorded)),
				r.Ended == nil && !day(r.Recorded).Before(d.lastVisit):
				seen = true
			}
		}
		if !seen {
			out = append(out, d)
		}
	}
	return out
}

// derivedEntry finds a problem derived from a coded diagnosis by its id.
func (cs ChartSummary) derivedEntry(ctx context.Context, id string) (ChartEntry, error) {
	rest := strings.TrimPrefix(id, derivedPrefix)
	i := strings.LastIndex(rest, "-")
	if i < 0 {
		return ChartEntry{}, fmt.Errorf("%w: there is no problem %s; check the id", ErrNotFound, id)
	}
	rec, err := cs.s.records.Head(ctx, KindEncounter, rest[:i])
	if err != nil {
		return ChartEntry{}, fmt.Errorf("%w: there is no problem %s; check the id", ErrNotFound, id)
	}
	e, err := decodeEncounter(rec)
	if err != nil {
		return ChartEntry{}, err
	}
	// The caller checks the user may open the chart before it shows or
	// changes anything of it.
	p, _, err := cs.s.charts.chartOf(ctx, e.PatientID)
	if err != nil {
		return ChartEntry{}, err
	}
	encs, err := cs.s.Encounters().ofChart(ctx, p)
	if err != nil {
		return ChartEntry{}, err
	}
	derived, err := cs.codedDiagnoses(ctx, p, encs)
	if err != nil {
		return ChartEntry{}, err
	}
	for _, c := range derived {
		if c.ID == id {
			return c, nil
		}
	}
	return ChartEntry{}, fmt.Errorf("%w: there is no problem %s now (the encounter was recoded, or a later visit carries the code); list the problems again", ErrNotFound, id)
}
