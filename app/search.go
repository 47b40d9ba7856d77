package app

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Match is one search or duplicate-check result.
type Match struct {
	Patient Patient
	Score   float64  // 0..1, higher is closer
	Reasons []string // why it matched ("same phone", "name sounds alike")
	// Withheld marks a restricted patient the user may not open without
	// break-glass: Patient holds only what finding them needs (see
	// Patient.Findable); opening the chart is the audited, reasoned act.
	Withheld bool
}

// disclose prepares search results for the user: a restricted patient
// whose chart the user may not open shows only what finding them needs,
// and every restricted patient a search returned is audited under that
// patient (what was searched, and whether the details were withheld), so
// the patient's trail shows who looked for them.
func (pt Patients) disclose(ctx context.Context, ms []Match, search string) error {
	for i := range ms {
		p := ms[i].Patient
		if !p.Restricted {
			continue
		}
		what := "shown"
		if !pt.s.charts.mayOpen(p) {
			ms[i].Patient, ms[i].Withheld, what = p.Findable(), true, "details withheld"
		}
		if err := pt.s.audit(ctx, AuditEvent{Action: ActPatientSearch, Patient: p.MRN, Object: "patient/" + p.ID,
			Detail: fmt.Sprintf("restricted chart in the results of %s (%s)", search, what)}); err != nil {
			return err
		}
	}
	return nil
}

// maxCandidates bounds how many index hits a search decrypts and ranks.
const maxCandidates = 5000

var (
	isoDate  = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	dmyDate  = regexp.MustCompile(`^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$`)
	yearOnly = regexp.MustCompile(`^\d{4}$`)
)

// query is a parsed search: name words plus exact criteria.
type query struct {
	words []string
	exact []string // index terms every result must have (dob:, yob:, tel:, mrn:)
	why   []string
}

func parseQuery(q string, now time.Time) query {
	var out query
	q = strings.TrimSpace(q)
	// A whole query of digits and separators is a phone number.
	if d := phoneDigits(q); len(d) >= 6 && strings.Trim(q, "0123456789+-() ") == "" && !isoDate.MatchString(q) {
		out.exact = append(out.exact, "tel:"+phoneKey(q))
		out.why = append(out.why, "phone")
		return out
	}
	for _, f := range strings.Fields(q) {
		switch {
		case isoDate.MatchString(f):
			out.exact = append(out.exact, "dob:"+f)
			out.why = append(out.why, "date of birth")
		case looksLikeMRN(f):
			if mrn, err := ParseMRN(f); err == nil {
				out.exact = append(out.exact, "mrn:"+mrn)
			} else {
				out.exact = append(out.exact, "mrn:"+strings.ToUpper(f))
			}
			out.why = append(out.why, "MRN")
		case dmyDate.MatchString(f):
			m := dmyDate.FindStringSubmatch(f)
			d, _ := strconv.Atoi(m[1])
			mo, _ := strconv.Atoi(m[2])
			out.exact = append(out.exact, fmt.Sprintf("dob:%s-%02d-%02d", m[3], mo, d))
			out.why = append(out.why, "date of birth")
		case yearOnly.MatchString(f):
			if y, _ := strconv.Atoi(f); y >= 1880 && y <= now.Year() {
				out.exact = append(out.exact, "yob:"+f)
				out.why = append(out.why, "year of birth")
			}
		default:
			out.words = append(out.words, nameWords(f)...)
		}
	}
	return out
}

// Search finds patients as a clerk types: by name (spelling
// variants and typos tolerated), MRN, date of birth (YYYY-MM-DD or
// DD/MM/YYYY), year of birth, or phone, in any mix ("mary okello 1984").
// Results are ranked best first. The search is audited.
func (pt Patients) Search(ctx context.Context, q string, limit int) ([]Match, error) {
	ctx, err := pt.s.require(ctx, PermPatientSearch, ActPatientSearch, "")
	if err != nil {
		return nil, err
	}
	pq := parseQuery(q, pt.s.v.now())
	if len(pq.words) == 0 && len(pq.exact) == 0 {
		return nil, nil
	}
	ids, err := pt.candidates(ctx, pq)
	if err != nil {
		return nil, err
	}
	matches, err := pt.rank(ctx, pq, ids, limit)
	if err != nil {
		return nil, err
	}
	if err := pt.disclose(ctx, matches, fmt.Sprintf("the search %q", q)); err != nil {
		return nil, err
	}
	return matches, pt.s.audit(ctx, AuditEvent{Action: ActPatientSearch, Detail: fmt.Sprintf("%q: %d results", q, len(matches))})
}

// candidates intersects the index hits of every criterion. Each name word
// contributes the union of its own terms; when the words together find
// nothing (a typo in one of them), the union of the words is used.
func (pt Patients) candidates(ctx context.Context, pq query) ([]string, error) {
	var sets [][]string
	for _, term := range pq.exact {
		ids, err := pt.s.charts.lookup(ctx, term)
		if err != nil {
			return nil, err
		}
		sets = append(sets, ids)
	}
	var wordSets [][]string
	for _, w := range pq.words {
		var union []string
		for _, term := range queryTerms(w) {
			ids, err := pt.s.charts.lookup(ctx, term)
			if err != nil {
				return nil, err
			}
			union = append(union, ids...)
		}
		slices.Sort(union)
		wordSets = append(wordSets, slices.Compact(union))
	}
	result := intersect(append(slices.Clone(sets), wordSets...))
	if len(result) == 0 && len(wordSets) > 1 {
		var union []string
		for _, ws := range wordSets {
			union = append(union, ws...)
		}
		slices.Sort(union)
		result = intersect(append(sets, slices.Compact(union)))
	}
	if len(result) > maxCandidates {
		result = result[:maxCandidates]
	}
	return result, nil
}

// intersect returns the ids present in every sorted set.
func intersect(sets [][]string) []string {
	if len(sets) == 0 {
		return nil
	}
	slices.SortFunc(sets, func(a, b []string) int { return len(a) - len(b) })
	out := slices.Clone(sets[0])
	for _, s := range sets[1:] {
		out = slices.DeleteFunc(out, func(id string) bool {
			_, found := slices.BinarySearch(s, id)
			return !found
		})
	}
	return out
}

// rank decrypts candidates, scores them by name similarity and returns the
// best limit (all when limit <= 0), best first.
func (pt Patients) rank(ctx context.Context, pq query, ids []string, limit int) ([]Match, error) {
	type scored struct {
		c     *cachedPatient
		score float64
		how   string
	}
	typed := nameKeys(pq.words)
	seen := make(map[string]bool, len(ids))
	var hits []scored
	for _, id := range ids {
		c, err := pt.s.charts.cached(ctx, id)
		if err != nil {
			return nil, err
		}
		if gone, err := pt.s.charts.withdrawn(ctx, c.p); err != nil || gone {
			if err != nil {
				return nil, err
			}
			continue // only an MRN search reaches a deleted registration
		}
		if c.p.MergedInto != "" {
			// Only an MRN search reaches a merged record: show the survivor.
			p, err := pt.s.charts.resolve(ctx, c.p.ID, true)
			if err != nil {
				return nil, err
			}
			c = newCached(p)
		}
		if seen[c.p.ID] {
			continue
		}
		seen[c.p.ID] = true
		h := scored{c: c, score: 1}
		if len(typed) > 0 {
			if h.score, h.how = nameScore(typed, c.names); h.score < 0.75 {
				continue
			}
			// Clerks type the family name first: a family-name match of the
			// first word ranks above the same match on a given name.
			if fam, _ := nameScore(typed[:1], c.names[:c.family]); fam >= 0.9 {
				h.score += 0.01 * fam
			}
		}
		hits = append(hits, h)
	}
	slices.SortFunc(hits, func(a, b scored) int {
		if a.score != b.score {
			return cmp.Compare(b.score, a.score)
		}
		return cmp.Or(strings.Compare(a.c.p.Family, b.c.p.Family), strings.Compare(a.c.p.Given, b.c.p.Given),
			strings.Compare(a.c.p.ID, b.c.p.ID))
	})
	if limit > 0 && len(hits) > limit {
		hits = hits[:limit]
	}
	out := make([]Match, len(hits))
	for i, h := range hits {
		out[i] = Match{Patient: h.c.p, Score: min(h.score, 1), Reasons: slices.Clone(pq.why)}
		if h.how != "" {
			out[i].Reasons = append(out[i].Reasons, h.how)
		}
	}
	return out, nil
}

// FindDuplicates lists registered patients that may be the same person as
// p: the same national ID or phone, or a name that sounds alike with a date
// of birth within a year. Call it before Register and show the
// candidates. The check is audited as a search.
func (pt Patients) FindDuplicates(ctx context.Context, p Patient) ([]Match, error) {
	ctx, err := pt.s.require(ctx, PermPatientSearch, ActPatientSearch, "")
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var ids []string
	addAll := func(term string) error {
		found, err := pt.s.charts.lookup(ctx, term)
		for _, id := range found {
			if !seen[id] && id != p.ID {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		return err
	}
	if n := strings.ToUpper(strings.Join(strings.Fields(p.NationalID), "")); n != "" {
		if err := addAll("nid:" + n); err != nil {
			return nil, err
		}
	}
	if k := phoneKey(p.Phone); len(k) >= 6 {
		if err := addAll("tel:" + k); err != nil {
			return nil, err
		}
	}
	if fam := nameWords(p.Family); len(fam) > 0 && !p.BirthDate.IsZero() {
		for dy := -1; dy <= 1; dy++ {
			yearIDs, err := pt.s.charts.lookup(ctx, fmt.Sprintf("yob:%04d", p.BirthDate.Year+dy))
			if err != nil {
				return nil, err
			}
			var nameIDs []string
			for _, t := range queryTerms(fam[0]) {
				found, err := pt.s.charts.lookup(ctx, t)
				if err != nil {
					return nil, err
				}
				nameIDs = append(nameIDs, found...)
			}
			slices.Sort(nameIDs)
			for _, id := range intersect([][]string{yearIDs, slices.Compact(nameIDs)}) {
				if !seen[id] && id != p.ID {
					seen[id] = true
					ids = append(ids, id)
				}
			}
		}
	}
	var out []Match
	for _, id := range ids {
		c, err := pt.s.charts.head(ctx, id)
		if err != nil {
			return nil, err
		}
		if c.MergedInto != "" || c.Deleted {
			continue
		}
		if m, ok := duplicateScore(p, c); ok {
			out = append(out, m)
		}
	}
	slices.SortStableFunc(out, func(a, b Match) int {
		if a.Score > b.Score {
			return -1
		} else if a.Score < b.Score {
			return 1
		}
		return 0
	})
	if err := pt.disclose(ctx, out, "a duplicate check"); err != nil {
		return nil, err
	}
	return out, pt.s.audit(ctx, AuditEvent{Action: ActPatientSearch, Detail: fmt.Sprintf("duplicate check: %d candidates", len(out))})
}

// duplicateScore weighs the evidence that c is the same person as p.
func duplicateScore(p, c Patient) (Match, bool) {
	m := Match{Patient: c}
	score := 0.0
	if n := strings.ToUpper(strings.Join(strings.Fields(p.NationalID), "")); n != "" &&
		n == strings.ToUpper(strings.Join(strings.Fields(c.NationalID), "")) {
		score += 0.6
		m.Reasons = append(m.Reasons, "same national ID")
	}
	if k := phoneKey(p.Phone); len(k) >= 6 && (k == phoneKey(c.Phone) || k == phoneKey(c.NextOfKin.Phone)) {
		score += 0.3
		m.Reasons = append(m.Reasons, "same phone")
	}
	names := nameKeys(patientNameWords(c))
	family, how := nameScore(nameKeys(nameWords(p.Family)), names)
	given, _ := nameScore(nameKeys(nameWords(p.Given)), names)
	if len(nameWords(p.Given)) == 0 {
		given = family
	}
	if names := (family + given) / 2; names >= 0.85 {
		score += 0.4 * names
		if how == "name" && names >= 0.999 {
			m.Reasons = append(m.Reasons, "same name")
		} else {
			m.Reasons = append(m.Reasons, "similar name")
		}
	}
	switch b, d := p.BirthDate, c.BirthDate; {
	case b.Day > 0 && b.Day == d.Day && b.Month == d.Month && b.Year == d.Year:
		score += 0.3
		m.Reasons = append(m.Reasons, "same date of birth")
	case b.Year == d.Year:
		score += 0.15
		m.Reasons = append(m.Reasons, "same year of birth")
	case (b.Estimated || d.Estimated) && (b.Year-d.Year == 1 || d.Year-b.Year == 1):
		score += 0.1
		m.Reasons = append(m.Reasons, "year of birth within one year")
	}
	m.Score = min(score, 1)
	return m, m.Score >= 0.45
}
