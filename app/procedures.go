package app

import (
	"regexp"
	"slices"
	"strings"
)

// The systems a procedure code is recorded with: the organisation's own
// list, or CPT entered as a bare code (CPT's descriptions are licensed,
// so Folio ships none).
const (
	ProcedureSystem = "local"
	CPTSystem       = "CPT"
)

// ProcedureEntry is one procedure of the organisation's list.
type ProcedureEntry struct {
	Code        string `json:"code"`
	Description string `json:"description"`
}

// localCode is the shape of a code of the list: 2 to 10 letters, digits,
// dots or dashes; cptCode is a CPT code's: four digits and a digit or F,
// T or U (99213, 0001F, 0042T).
var (
	localCode = regexp.MustCompile(`^[0-9A-Z][0-9A-Z.\-]{1,9}$`)
	cptCode   = regexp.MustCompile(`^[0-9]{4}[0-9FTU]$`)
)

// checkProcedures finds each procedure code on the organisation's list,
// or takes it as a bare CPT code; anything else is refused.
func checkProcedures(codes []string, list []ProcedureEntry) ([]Procedure, error) {
	var out []Procedure
	seen := map[string]bool{}
	for _, c := range codes {
		c = strings.ToUpper(strings.TrimSpace(c))
		i := slices.IndexFunc(list, func(p ProcedureEntry) bool { return p.Code == c })
		switch {
		case seen[c]:
			return nil, Invalidf("procedure %s is given twice: code each procedure once", c)
		case i >= 0:
			out = append(out, Procedure{System: ProcedureSystem, Code: c, Description: list[i].Description})
		case cptCode.MatchString(c):
			out = append(out, Procedure{System: CPTSystem, Code: c})
		default:
			return nil, Invalidf("procedure %q is neither on the organisation's procedure list (folio code procedures) nor a CPT code (five characters, e.g. 99213)", c)
		}
		seen[c] = true
	}
	return out, nil
}
