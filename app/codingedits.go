package app

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"folio/codeset"
)

// CodeSet is the code set diagnoses are coded from: the embedded
// ICD-10-CM (codeset.Set) or another the organisation loaded.
type CodeSet interface {
	// Lookup finds a code, header or not; an error says, in a coder's
	// words, why what was typed is no code of the set.
	Lookup(code string) (codeset.Code, error)
	// Assignable is Lookup refusing a category header
	// (codeset.ErrNotAssignable) with a message naming the codes under it.
	Assignable(code string) (codeset.Code, error)
}

// The present-on-admission indicators (CMS): a diagnosis of an admission
// was present when the order to admit was written (Y), was not (N), the
// documentation does not say (U), or the clinician cannot tell (W).
var poaIndicators = []string{"Y", "N", "U", "W"}

// diagnosisInput is one code as the coder gave it, with its POA.
type diagnosisInput struct {
	code, poa string
}

// checkDiagnoses looks every code up and returns the diagnoses to record,
// the edits they fail (each a sentence; the coder may override them with a
// reason), or an error no reason overrides (an unknown or malformed code, a
// POA indicator that is not one, or one missing on an admission).
func checkDiagnoses(set CodeSet, in []diagnosisInput, e Encounter, p Patient) ([]Diagnosis, []string, error) {
	admission := e.Type == EncAdmission
	var out []Diagnosis
	var edits []string
	seen := map[string]bool{}
	for i, d := range in {
		c, err := set.Lookup(d.code)
		if err != nil {
			return nil, nil, &InvalidError{Reason: err.Error()}
		}
		var na *codeset.NotAssignableError
		if _, err := set.Assignable(d.code); errors.As(err, &na) {
			edits = append(edits, na.Reason)
		} else if err != nil {
			edits = append(edits, err.Error())
		}
		if seen[c.Key()] {
			edits = append(edits, fmt.Sprintf("%s is given twice: code each diagnosis once", c.Code))
		}
		seen[c.Key()] = true
		edits = append(edits, patientEdits(c, e, p)...)
		poa := strings.ToUpper(strings.TrimSpace(d.poa))
		switch {
		case !admission && poa != "":
			return nil, nil, Invalidf("present on admission (%s for %s) is reported only for an admission; this encounter is %s", poa, c.Code, strings.ToLower(e.Type.Label()))
		case admission && c.POAExempt:
			poa = "" // exempt: not reported
		case admission && poa == "":
			return nil, nil, Invalidf("say whether %s was present on admission: Y (yes), N (no), U (not documented) or W (clinically undetermined)", c.Code)
		case admission && !slices.Contains(poaIndicators, poa):
			return nil, nil, Invalidf("present on admission %q for %s: use Y, N, U or W", d.poa, c.Code)
		}
		out = append(out, Diagnosis{System: c.System, Version: c.Version, Code: c.Code, Description: c.Long,
			Principal: i == 0, POA: poa, POAExempt: c.POAExempt && admission})
	}
	return out, edits, nil
}

// patientEdits are the edits of a code against the patient at the date of
// service: the pregnancy chapter (O00–O9A) only for a female aged 10 to 60,
// the perinatal chapter (P00–P96) only up to 28 days of age.
func patientEdits(c codeset.Code, e Encounter, p Patient) []string {
	if c.System != codeset.ICD10CMSystem {
		return nil
	}
	k := c.Key()
	var edits []string
	switch {
	case k[0] == 'O' && k >= "O00" && k < "O9B":
		if p.Sex != SexFemale {
			edits = append(edits, fmt.Sprintf("%s is a pregnancy code (O00–O9A) but the patient's sex is recorded as %s", c.Code, sexWord(p.Sex)))
		} else if age := p.BirthDate.Age(e.Time); !p.BirthDate.IsZero() && (age < 10 || age > 60) {
			edits = append(edits, fmt.Sprintf("%s is a pregnancy code (O00–O9A) but the patient was %d years old on the date of service (expected 10 to 60)", c.Code, age))
		}
	case k[0] == 'P' && k < "P97":
		if days, ok := ageInDays(p.BirthDate, e.Time); ok && days > 28 {
			edits = append(edits, fmt.Sprintf("%s is a newborn (perinatal) code (P00–P96) but the patient was %d days old on the date of service (at most 28)", c.Code, days))
		}
	}
	return edits
}

func sexWord(s Sex) string {
	if s == "" {
		return "not recorded"
	}
	return string(s)
}

// ageInDays is the least the patient's age in days can be at t, given the
// known part of the birth date (a birth year alone counts from its last
// day); false when no birth date is recorded.
func ageInDays(b BirthDate, t time.Time) (int, bool) {
	if b.IsZero() {
		return 0, false
	}
	m, d := b.Month, b.Day
	if m == 0 {
		m = 12
	}
	born := time.Date(b.Year, time.Month(m), 1, 0, 0, 0, 0, t.Location())
	if d == 0 {
		born = born.AddDate(0, 1, -1)
	} else {
		born = born.AddDate(0, 0, d-1)
	}
	y, mo, dd := t.Date()
	day := time.Date(y, mo, dd, 0, 0, 0, 0, t.Location())
	return int(day.Sub(born).Hours() / 24), true
}
