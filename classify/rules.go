package classify

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Rule says which keywords suggest a document type.
type Rule struct {
	Type     string   `json:"type"`     // the type's slug, like "lab-result"
	Keywords []string `json:"keywords"` // lower case, each one or more words
}

// Rules are the keyword rules in order of strength: when two types match
// as many keywords, the earlier wins.
type Rules []Rule

// Limits of the rules a person may set.
const (
	MaxRules      = 100
	MaxKeywords   = 100
	MaxKeywordLen = 60
)

// ErrInvalidRules is the error of rules Check refuses.
var ErrInvalidRules = errors.New("invalid type rules")

// RulesError is rules Check refuses. Reason says what is wrong and what
// to do, for the person who wrote the rules ("type lab has no keyword"),
// so a window shows it as it is. It is also ErrInvalidRules.
type RulesError struct{ Reason string }

func (e *RulesError) Error() string { return ErrInvalidRules.Error() + ": " + e.Reason }

// Unwrap makes a RulesError an ErrInvalidRules.
func (e *RulesError) Unwrap() error { return ErrInvalidRules }

// DefaultRules are the built-in rules, what a vault starts with and what a
// reset returns to.
func DefaultRules() Rules {
	return Rules{
		{"discharge-summary", []string{"discharge summary", "date of discharge", "discharged on", "discharge diagnosis"}},
		{"lab-result", []string{"laboratory", "lab result", "specimen", "reference range", "haemoglobin", "hemoglobin", "test result", "culture"}},
		{"imaging-report", []string{"radiology", "x-ray", "xray", "ultrasound", "ct scan", "mri", "impression:", "imaging"}},
		{"referral", []string{"referral", "referred to", "refer this patient", "kindly see", "dear doctor"}},
		{"consent", []string{"consent", "i hereby", "i agree to", "signature of patient", "witness"}},
		{"prescription", []string{"prescription", "rx", "tablets", "mg twice", "dispense", "dosage"}},
		{"clinical-note", []string{"history of presenting", "examination", "assessment", "plan:", "complaint", "diagnosis"}},
		{"correspondence", []string{"dear", "yours sincerely", "yours faithfully", "re:"}},
		{"administrative", []string{"invoice", "receipt", "registration form", "insurance", "payment"}},
	}
}

// ValidType reports whether s is a type slug: 1 to 40 lower-case letters,
// digits and hyphens.
func ValidType(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// Tidy returns the rules as they are kept: keywords trimmed, lower case,
// inner spaces single, empty ones and repeats dropped; a type without
// keywords left out.
func (rs Rules) Tidy() Rules {
	out := Rules{}
	for _, r := range rs {
		var kws []string
		for _, k := range r.Keywords {
			k = strings.Join(strings.Fields(strings.ToLower(k)), " ")
			if k != "" && !slices.Contains(kws, k) {
				kws = append(kws, k)
			}
		}
		if len(kws) > 0 {
			out = append(out, Rule{Type: strings.TrimSpace(r.Type), Keywords: kws})
		}
	}
	return out
}

// Check says what is wrong with tidy rules, as a *RulesError: a
// type that is not a slug or appears twice, a keyword too long or without
// a letter or digit, too many rules or keywords.
func (rs Rules) Check() error {
	bad := func(format string, a ...any) error {
		return &RulesError{Reason: fmt.Sprintf(format, a...)}
	}
	if len(rs) > MaxRules {
		return bad("%d types; keep it to %d", len(rs), MaxRules)
	}
	for i, r := range rs {
		if !ValidType(r.Type) {
			return bad("type %q: use lower-case letters, digits and hyphens, like lab-result", r.Type)
		}
		if slices.ContainsFunc(rs[:i], func(o Rule) bool { return o.Type == r.Type }) {
			return bad("type %s is listed twice; put all its keywords on one line", r.Type)
		}
		if len(r.Keywords) == 0 {
			return bad("type %s has no keyword", r.Type)
		}
		if len(r.Keywords) > MaxKeywords {
			return bad("type %s has %d keywords; keep it to %d", r.Type, len(r.Keywords), MaxKeywords)
		}
		for _, k := range r.Keywords {
			if len(k) > MaxKeywordLen {
				return bad("keyword %q of %s is longer than %d characters", k, r.Type, MaxKeywordLen)
			}
			if strings.IndexFunc(k, isWordRune) < 0 {
				return bad("keyword %q of %s has no letter or digit", k, r.Type)
			}
			if strings.ContainsAny(k, ",\n\r\t") {
				return bad("keyword %q of %s holds a comma or line break; give each keyword on its own", k, r.Type)
			}
		}
	}
	return nil
}

// Match is what the rules found in a text: the type whose keywords it
// holds most of, and those keywords in rule order.
type Match struct {
	Type  string
	Words []string
}

// Match finds the rule whose keywords the text holds most of; ok is false
// when no keyword occurs.
func (rs Rules) Match(text string) (m Match, ok bool) {
	low := " " + strings.Join(strings.Fields(strings.ToLower(text)), " ") + " "
	for _, r := range rs {
		var hits []string
		for _, k := range r.Keywords {
			if containsKeyword(low, k) {
				hits = append(hits, k)
			}
		}
		if len(hits) > len(m.Words) {
			m = Match{Type: r.Type, Words: hits}
		}
	}
	return m, len(m.Words) > 0
}

// containsKeyword reports whether text holds k, with no letter or digit
// joined to either end of it where that end is a letter or digit.
func containsKeyword(text, k string) bool {
	first, _ := utf8.DecodeRuneInString(k)
	last, _ := utf8.DecodeLastRuneInString(k)
	for from := 0; ; {
		i := strings.Index(text[from:], k)
		if i < 0 {
			return false
		}
		i += from
		end := i + len(k)
		before, _ := utf8.DecodeLastRuneInString(text[:i])
		after, _ := utf8.DecodeRuneInString(text[end:])
		if (!isWordRune(first) || !isWordRune(before)) && (!isWordRune(last) || !isWordRune(after)) {
			return true
		}
		from = i + 1
	}
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
