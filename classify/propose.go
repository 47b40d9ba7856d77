package classify

import (
	"fmt"
	"strings"
)

// Other is the type proposed when nothing points anywhere.
const Other = "other"

// Thresholds for trusting what was learned over the rules.
const (
	// MinLearned is how many filed documents of a type the model needs
	// before its guess of that type may override the rules.
	MinLearned = 3
	// SureEnough is the model's lowest probability that overrides a rule.
	SureEnough = 0.9
)

// Source says where a proposal came from.
type Source string

// Sources of a proposal.
const (
	FromNothing Source = "none"    // no rule matched, nothing learned
	FromRule    Source = "rule"    // a keyword rule
	FromLearned Source = "learned" // the model learned from filed documents
	FromBoth    Source = "both"    // a rule and the model agree
)

// Proposal is a proposed document type with the reason a clerk reads.
type Proposal struct {
	Type       string
	Source     Source
	Reason     string
	Confidence float64 // 0..1
}

// Propose proposes a type for a document's text from the rules and what
// the model learned (m may be nil or empty). The model wins when it is
// sure (SureEnough), has learned at least MinLearned documents of the type
// it proposes, and knows the type the rules point to (a rule for a type
// nobody has filed yet is not overruled by ignorance of it).
func Propose(rules Rules, m *Model, text string) Proposal {
	match, hit := rules.Match(text)
	var g Guess
	var guessed bool
	if m != nil {
		g, guessed = m.Guess(Words(text))
	}
	trusted := guessed && g.Documents >= MinLearned && g.Probability >= SureEnough &&
		(!hit || m.Documents(match.Type) > 0)
	ruleWords := "words: " + strings.Join(match.Words, ", ") + " (rule)"
	switch {
	case trusted && hit && g.Type == match.Type:
		return Proposal{Type: g.Type, Source: FromBoth, Confidence: 0.95,
			Reason: ruleWords + "; " + learnedText(g)}
	case trusted:
		reason := learnedText(g)
		if hit {
			reason += fmt.Sprintf("; the rule's words %s pointed to %s", strings.Join(match.Words, ", "), match.Type)
		}
		return Proposal{Type: g.Type, Source: FromLearned, Confidence: min(0.5+0.4*g.Probability, 0.9), Reason: reason}
	case hit:
		return Proposal{Type: match.Type, Source: FromRule, Confidence: min(0.4+0.2*float64(len(match.Words)), 0.9), Reason: ruleWords}
	case guessed && g.Documents > 0:
		return Proposal{Type: g.Type, Source: FromLearned, Confidence: 0.2 + 0.3*g.Probability,
			Reason: "no rule matched; " + learnedText(g) + ", unsure"}
	}
	return Proposal{Type: Other, Source: FromNothing, Confidence: 0.1, Reason: "no keyword of a known type, and nothing learned that fits"}
}

// learnedText says what the model's guess rests on: "learned from 14
// filed documents (words: ibuprofen, oral, tablet)".
func learnedText(g Guess) string {
	s := fmt.Sprintf("learned from %d filed %s", g.Documents, plural(g.Documents, "document", "documents"))
	if len(g.Telling) > 0 {
		s += " (words: " + strings.Join(g.Telling, ", ") + ")"
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
