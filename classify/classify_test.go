package classify

import (
	"errors"
	"maps"
	"strings"
	"testing"
)

func TestDefaultRulesPropose(t *testing.T) {
	for _, c := range []struct{ text, want, reason string }{
		{"DISCHARGE SUMMARY\nDate of discharge: 2024-03-01", "discharge-summary", "words: discharge summary, date of discharge (rule)"},
		{"Laboratory report. Specimen: blood. Haemoglobin 11.2 g/dL", "lab-result", "words: laboratory, specimen, haemoglobin (rule)"},
		{"Dear Doctor, kindly see this patient. Referral for further care", "referral", "words: referral, kindly see, dear doctor (rule)"},
		{"Chest X-ray. Impression: no active disease", "imaging-report", "words: x-ray, impression: (rule)"},
		{"I hereby give my consent to the procedure. Signature of patient ___", "consent", "words: consent, i hereby, signature of patient (rule)"},
		{"The quick brown fox", Other, "no keyword of a known type, and nothing learned that fits"},
		// Keywords are whole words: "rx" is not in "proxy", nor "mri" in "primrose".
		{"A proxy server by the primrose path", Other, "no keyword of a known type, and nothing learned that fits"},
		// Spaces and line ends between a keyword's words do not matter.
		{"DISCHARGE\n  SUMMARY", "discharge-summary", "words: discharge summary (rule)"},
	} {
		got := Propose(DefaultRules(), nil, c.text)
		if got.Type != c.want || got.Reason != c.reason {
			t.Errorf("%q: %s (%s), want %s (%s)", c.text, got.Type, got.Reason, c.want, c.reason)
		}
	}
}

func TestRulesTidyAndCheck(t *testing.T) {
	rs := Rules{{" lab-result ", []string{" Troponin ", "troponin", "", "Blood  Count"}}, {"empty", []string{" "}}}.Tidy()
	if len(rs) != 1 || rs[0].Type != "lab-result" || strings.Join(rs[0].Keywords, "|") != "troponin|blood count" {
		t.Fatalf("tidy: %+v", rs)
	}
	if err := rs.Check(); err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string]Rules{
		"type not a slug":  {{"Lab Result", []string{"x"}}},
		"type twice":       {{"a", []string{"x"}}, {"a", []string{"y"}}},
		"no letter":        {{"a", []string{"--"}}},
		"too long keyword": {{"a", []string{strings.Repeat("x", MaxKeywordLen+1)}}},
		"comma in keyword": {{"a", []string{"x, y"}}},
		"no keywords":      {{"a", nil}},
	} {
		if err := bad.Check(); !errors.Is(err, ErrInvalidRules) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestLearnForgetIsExact(t *testing.T) {
	var m Model
	m.Learn("lab-result", Words("Haemoglobin 11.2 g/dL, platelets normal"))
	before := m.Evidence("lab-result")
	other := Words("Platelets low; ferritin ferritin high")
	m.Learn("lab-result", other)
	if got := m.Evidence("lab-result"); got.Documents != 2 || got.Words["platelets"] != 2 || got.Words["ferritin"] != 1 {
		t.Fatalf("after two: %+v", got)
	}
	m.Forget("lab-result", other)
	if got := m.Evidence("lab-result"); got.Documents != before.Documents || !maps.Equal(got.Words, before.Words) {
		t.Fatalf("forgetting the second gives %+v, want %+v", got, before)
	}
	// Forgetting what was never learned never goes below zero.
	m.Forget("lab-result", Words("never seen words"))
	m.Forget("lab-result", nil)
	m.Forget("consent", Words("consent"))
	if got := m.Evidence("lab-result"); got.Documents != 0 || len(got.Words) != 0 {
		t.Fatalf("after forgetting more than was learned: %+v", got)
	}
	if m.Documents("consent") != 0 {
		t.Fatal("a type never learned has documents")
	}
}

// A page that mentions an invoice is not administrative once clerks have
// filed such pages as something else, and the proposal says why.
func TestLearningOverridesAWrongRule(t *testing.T) {
	var m Model
	for range 4 {
		m.Learn("other", Words("Wikipedia, the free encyclopedia. From Wikipedia: an invoice is a commercial document; article history"))
		m.Learn("administrative", Words("Invoice number 17. Amount due for payment. Insurance: NHIF. Receipt"))
	}
	text := "From Wikipedia, the free encyclopedia. An invoice, bill or tab is a commercial document"
	if got := Propose(DefaultRules(), nil, text); got.Type != "administrative" {
		t.Fatalf("rules alone: %+v", got)
	}
	got := Propose(DefaultRules(), &m, text)
	if got.Type != "other" || got.Source != FromLearned {
		t.Fatalf("with learning: %+v", got)
	}
	if !strings.HasPrefix(got.Reason, "learned from 4 filed documents (words: ") || !strings.Contains(got.Reason, "wikipedia") ||
		!strings.Contains(got.Reason, "the rule's words invoice pointed to administrative") {
		t.Errorf("reason %q", got.Reason)
	}
	// Where rules and learning agree, the proposal says both.
	both := Propose(DefaultRules(), &m, "Invoice number 99, payment due, receipt enclosed")
	if both.Type != "administrative" || both.Source != FromBoth || !strings.Contains(both.Reason, "(rule); learned from 4 filed documents") {
		t.Errorf("agreeing: %+v", both)
	}
	// A rule for a type nobody has filed yet is not overruled.
	lab := Propose(DefaultRules(), &m, "Wikipedia article: laboratory specimen")
	if lab.Type != "lab-result" || lab.Source != FromRule {
		t.Errorf("rule for an unlearned type: %+v", lab)
	}
}

// Learning alone proposes a type no rule knows.
func TestLearningProposesANewType(t *testing.T) {
	var m Model
	for _, v := range []string{"MMR", "Influenza, seasonal, injectable", "Hep B, adolescent or pediatric", "DTaP"} {
		m.Learn("immunization-record", Words("KINGMAN HEALTHCARE CENTER vaccine given "+v))
		m.Learn("clinical-note", Words("Chief complaint: cough. History of present illness. Assessment and plan: "+v))
	}
	got := Propose(DefaultRules(), &m, "2019-04-01 KINGMAN HEALTHCARE CENTER Influenza vaccine given")
	if got.Type != "immunization-record" || !strings.HasPrefix(got.Reason, "learned from 4 filed documents") {
		t.Fatalf("%+v", got)
	}
}

func TestEvidenceRoundTrip(t *testing.T) {
	var m Model
	m.Learn("referral", Words("Dear colleague, kindly see Mr Otieno"))
	e, err := DecodeEvidence(m.Evidence("referral").Encode())
	if err != nil || e.Documents != 1 || e.Words["otieno"] != 1 {
		t.Fatalf("%+v %v", e, err)
	}
	for _, bad := range []string{`{`, `{"documents":-1}`, `{"documents":1,"words":{"abc":2}}`, `{"documents":1,"words":{"ab":1}}`, `{"documents":1,"words":{"ABC":1}}`} {
		if _, err := DecodeEvidence([]byte(bad)); !errors.Is(err, ErrBadEvidence) {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

func FuzzDecodeEvidence(f *testing.F) {
	f.Add([]byte(`{"documents":2,"words":{"specimen":2,"blood":1}}`))
	f.Add([]byte(`{"documents":0}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeEvidence(b)
		if err != nil {
			return
		}
		again, err := DecodeEvidence(e.Encode())
		if err != nil || again.Documents != e.Documents || !maps.Equal(again.Words, e.Words) {
			t.Fatalf("round trip: %+v → %+v, %v", e, again, err)
		}
		var m Model
		m.Set("t", e)
		m.Guess([]string{"blood"})
	})
}
