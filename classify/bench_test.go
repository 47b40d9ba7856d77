package classify

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// bigModel is a model at its size limit: 10 types of MaxWordsPerType
// words each, as a workstation's after years of filings.
func bigModel() (*Model, []string) {
	r := rand.New(rand.NewPCG(1, 2))
	word := func() string {
		var b strings.Builder
		for range 4 + r.IntN(8) {
			b.WriteByte(byte('a' + r.IntN(26)))
		}
		return b.String()
	}
	m := &Model{}
	for t := range 10 {
		e := Evidence{Documents: 5000, Words: map[string]int{}}
		for len(e.Words) < MaxWordsPerType {
			e.Words[word()] = 1 + r.IntN(5000)
		}
		m.Set(fmt.Sprintf("type-%d", t), e)
	}
	doc := make([]string, 400) // a page or two of distinct words
	for i := range doc {
		doc[i] = word()
	}
	return m, doc
}

// BenchmarkGuess is one proposal's cost with a full, prepared model.
func BenchmarkGuess(b *testing.B) {
	m, doc := bigModel()
	m.Prepare()
	for b.Loop() {
		m.Guess(doc)
	}
}

// BenchmarkPrepare is the cost of preparing a full model, once per change.
func BenchmarkPrepare(b *testing.B) {
	m, _ := bigModel()
	for b.Loop() {
		m.ready = false
		m.Prepare()
	}
}

// BenchmarkDecodeEvidence is the cost of reading one type's stored
// evidence at its size limit (a proposal reads every type's).
func BenchmarkDecodeEvidence(b *testing.B) {
	m, _ := bigModel()
	enc := m.Evidence("type-0").Encode()
	b.ReportMetric(float64(len(enc)), "bytes")
	for b.Loop() {
		if _, err := DecodeEvidence(enc); err != nil {
			b.Fatal(err)
		}
	}
}
