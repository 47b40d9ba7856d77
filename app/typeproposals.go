package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"folio/classify"
)

// This file is where document-type proposals come from: the keyword rules
// a records manager keeps (a setting), and what this workstation learned
// from its clerks' filings (package classify does the sums).
//
// Both are kept in the meta bucket sealed with the record key, bound to
// their key: the rules because an organisation's keywords may name people
// (a referring doctor), the learned evidence because it is made of the
// words of patients' documents (the meta keys name the types, in clear,
// as the other settings' keys do). Neither is synced: each workstation keeps
// its own rules and learns from the filings made on it.
//
// Learning: every write of documents a person makes (docStore.writeAll) sets
// what each document teaches this workstation — a filed (indexed or
// verified) document teaches its type with the words of its pages; any
// other nothing — and when that differs from what it taught before
// (Document.Learned, per device), the old evidence is taken back and the
// new added, in the same transaction as the document's new version. So a
// filing teaches once, a correction moves the evidence to the new type,
// and an undo, a send-back or a merge takes it back. Filings made without
// a person (a cover sheet that files a document on import) teach nothing.

// Meta keys of the type proposals (their values sealed).
const (
	metaTypeRules     = "settings/type-rules"
	metaLearnedPrefix = "learned/type/" // + the type's slug
)

// Learning records what a document taught one workstation's classifier:
// the type it was filed as and the page texts (blob ids) whose words
// were counted, so exactly those words are taken back when the filing
// changes.
type Learning struct {
	Device string   `json:"device"`
	Type   string   `json:"type"`
	Texts  []string `json:"texts,omitempty"`
}

// sealMeta seals a meta value with the record key, bound to its key.
func sealMeta(keys Keyring, key string, plain []byte) ([]byte, error) {
	return keys.RecordAEAD().Encrypt(plain, []byte("folio meta "+key))
}

// openMeta opens a value sealMeta sealed under key.
func openMeta(keys Keyring, key string, sealed []byte) ([]byte, error) {
	plain, err := keys.RecordAEAD().Decrypt(sealed, []byte("folio meta "+key))
	if err != nil {
		return nil, fmt.Errorf("open %s: it does not decrypt with this vault's key: %w", key, err)
	}
	return plain, nil
}

// TypeRules is where intake's document-type proposals come from, as a
// records manager sees it: the keyword rules they keep, and how many
// filings of each type taught this workstation. Changing the rules is
// audited; reading them, and the counts, reads no patient data.
type TypeRules struct{ s *Session }

// TypeRules returns the session's type-rules service.
func (s *Session) TypeRules() TypeRules { return TypeRules{s} }

// Rules returns the document-type keyword rules and whether they are
// the built-in ones (never changed, or reset). Rules are not patient
// data; any signed-in user may read them.
func (tr TypeRules) Rules(ctx context.Context) (rules classify.Rules, builtIn bool, err error) {
	keys, err := tr.s.keyring()
	if err != nil {
		return nil, false, err
	}
	sealed, err := tr.s.v.cfg.Meta.GetMeta(ctx, metaTypeRules)
	if errors.Is(err, ErrNotFound) {
		return classify.DefaultRules(), true, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read the type rules: %w", err)
	}
	plain, err := openMeta(keys, metaTypeRules, sealed)
	if err != nil {
		return nil, false, err
	}
	if err := json.Unmarshal(plain, &rules); err != nil {
		return nil, false, fmt.Errorf("the stored type rules are damaged (%v): set them again or reset them to the built-in ones", err)
	}
	return rules, false, nil
}

// Set replaces the document-type keyword rules (tidied: keywords
// in lower case, repeats and empty lines dropped). They apply to documents
// proposed from now on. Administrators and records managers; audited with
// what changed.
func (tr TypeRules) Set(ctx context.Context, rules classify.Rules) error {
	ctx, err := tr.s.require(ctx, intakeSettingsPerm(tr.s.User().Roles), ActSettings, "")
	if err != nil {
		return err
	}
	rules = rules.Tidy()
	if err := rules.Check(); err != nil {
		var re *classify.RulesError
		if errors.As(err, &re) {
			return Invalidf("%s", re.Reason)
		}
		return err
	}
	old, builtIn, err := tr.Rules(ctx)
	if err != nil {
		return err
	}
	if !builtIn && slices.EqualFunc(old, rules, func(a, b classify.Rule) bool {
		return a.Type == b.Type && slices.Equal(a.Keywords, b.Keywords)
	}) {
		return nil // nothing to change, nothing to audit
	}
	keys, err := tr.s.keyring()
	if err != nil {
		return err
	}
	plain, err := json.Marshal(rules)
	if err != nil {
		return err
	}
	sealed, err := sealMeta(keys, metaTypeRules, plain)
	if err != nil {
		return fmt.Errorf("seal the type rules: %w", err)
	}
	return tr.s.commit(ctx, nil, AuditEvent{Action: ActSettings, Detail: "document type rules: " + rulesChange(old, rules)},
		map[string][]byte{metaTypeRules: sealed}, nil)
}

// Reset returns to the built-in rules. Administrators and
// records managers; audited.
func (tr TypeRules) Reset(ctx context.Context) error {
	ctx, err := tr.s.require(ctx, intakeSettingsPerm(tr.s.User().Roles), ActSettings, "")
	if err != nil {
		return err
	}
	old, _, err := tr.Rules(ctx)
	if err != nil {
		old = nil // damaged rules are reset all the same
	}
	return tr.s.commit(ctx, nil, AuditEvent{Action: ActSettings,
		Detail: "document type rules reset to the built-in ones: " + rulesChange(old, classify.DefaultRules())},
		nil, []string{metaTypeRules})
}

// rulesChange says what changed from old to rules, per type: "lab-result
// +troponin -culture; new type immunization-record (vaccine)".
func rulesChange(old, rules classify.Rules) string {
	var parts []string
	find := func(rs classify.Rules, typ string) (classify.Rule, bool) {
		i := slices.IndexFunc(rs, func(r classify.Rule) bool { return r.Type == typ })
		if i < 0 {
			return classify.Rule{}, false
		}
		return rs[i], true
	}
	for _, r := range rules {
		o, ok := find(old, r.Type)
		if !ok {
			parts = append(parts, fmt.Sprintf("new type %s (%s)", r.Type, strings.Join(r.Keywords, ", ")))
			continue
		}
		var d []string
		for _, k := range r.Keywords {
			if !slices.Contains(o.Keywords, k) {
				d = append(d, "+"+k)
			}
		}
		for _, k := range o.Keywords {
			if !slices.Contains(r.Keywords, k) {
				d = append(d, "-"+k)
			}
		}
		if len(d) > 0 {
			parts = append(parts, r.Type+" "+strings.Join(d, " "))
		}
	}
	for _, o := range old {
		if _, ok := find(rules, o.Type); !ok {
			parts = append(parts, "type "+o.Type+" removed")
		}
	}
	if len(parts) == 0 {
		return "no change"
	}
	return strings.Join(parts, "; ")
}

// learner is the part of the core that keeps this workstation's learned
// evidence of document types: the document writes bring it in line
// (learn), and intake and the type rules read it (model). It is reached
// through s.learner.
type learner struct{ s *Session }

// model reads this workstation's learned evidence: of the given
// types only, or of every type when none is given.
func (lr learner) model(ctx context.Context, only ...string) (*classify.Model, error) {
	keys, err := lr.s.keyring()
	if err != nil {
		return nil, err
	}
	vals := map[string][]byte{}
	if len(only) == 0 {
		if vals, err = lr.s.v.cfg.Meta.MetaPrefix(ctx, metaLearnedPrefix); err != nil {
			return nil, fmt.Errorf("read the learned document types: %w", err)
		}
	}
	for _, typ := range only {
		b, err := lr.s.v.cfg.Meta.GetMeta(ctx, metaLearnedPrefix+typ)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read what was learned of %s: %w", typ, err)
		}
		vals[metaLearnedPrefix+typ] = b
	}
	m := &classify.Model{}
	for key, sealed := range vals {
		plain, err := openMeta(keys, key, sealed)
		if err != nil {
			return nil, err
		}
		e, err := classify.DecodeEvidence(plain)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		m.Set(strings.TrimPrefix(key, metaLearnedPrefix), e)
	}
	return m, nil
}

// proposalModel returns the learned model for proposals, read once per
// change of it (Vault.learned counts the changes) and kept, prepared, by
// the session until it locks.
func (in Intake) proposalModel(ctx context.Context) (*classify.Model, error) {
	gen := in.s.v.learned.Load()
	in.s.mu.Lock()
	m, at := in.s.model, in.s.modelAt
	in.s.mu.Unlock()
	if m != nil && at == gen {
		return m, nil
	}
	m, err := in.s.learner.model(ctx)
	if err != nil {
		return nil, err
	}
	m.Prepare() // from here on it is only read, by any goroutine
	in.s.mu.Lock()
	in.s.model, in.s.modelAt = m, gen
	in.s.mu.Unlock()
	return m, nil
}

// Learned returns how many filed documents of each type taught this
// workstation's proposals. Any signed-in user; no patient data.
func (tr TypeRules) Learned(ctx context.Context) (map[string]int, error) {
	m, err := tr.s.learner.model(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, t := range m.Types() {
		out[t] = m.Documents(t)
	}
	return out, nil
}

// proposeType proposes a document's type from its text with the rules and
// what was learned. It does not fail: with the rules or the evidence
// unreadable it proposes from what it has and says so in the reason.
func (in Intake) proposeType(ctx context.Context, text string) Proposal {
	var trouble []string
	rules, _, err := in.s.TypeRules().Rules(ctx)
	if err != nil {
		rules = classify.DefaultRules()
		trouble = append(trouble, "the built-in rules were used: "+err.Error())
	}
	m, err := in.proposalModel(ctx)
	if err != nil {
		m = nil
		trouble = append(trouble, "nothing learned was used: "+err.Error())
	}
	p := classify.Propose(rules, m, text)
	reason := p.Reason
	if len(trouble) > 0 {
		reason += " (" + strings.Join(trouble, "; ") + ")"
	}
	return Proposal{Value: p.Type, Reason: reason, Confidence: p.Confidence}
}

// teaching is what a document should have taught this device: its type
// and page texts when it is filed, nothing (nil) otherwise.
func teaching(d Document, device string) *Learning {
	if d.Status != DocIndexed && d.Status != DocVerified || d.Type == "" {
		return nil
	}
	l := &Learning{Device: device, Type: d.Type}
	for _, p := range d.Pages {
		if p.Text != "" {
			l.Texts = append(l.Texts, p.Text)
		}
	}
	return l
}

// learn brings this device's learned evidence in line with docs (their
// new versions, about to be written): it updates each document's
// Learned and returns the sealed evidence of the types that changed, for
// the same commit. texts[i] are the page texts of docs[i]. The caller
// holds v.learn until the commit is done.
func (lr learner) learn(ctx context.Context, docs []Document, texts [][]string) (map[string][]byte, error) {
	device := lr.s.v.cfg.Device.String()
	type change struct {
		doc       int
		had, want *Learning
	}
	var changes []change
	var types []string
	for i, d := range docs {
		want := teaching(d, device)
		var had *Learning
		if at := slices.IndexFunc(d.Learned, func(l Learning) bool { return l.Device == device }); at >= 0 {
			had = &d.Learned[at]
		}
		if had == nil && want == nil || had != nil && want != nil && had.Type == want.Type && slices.Equal(had.Texts, want.Texts) {
			continue
		}
		changes = append(changes, change{i, had, want})
		for _, l := range []*Learning{had, want} {
			if l != nil && !slices.Contains(types, l.Type) {
				types = append(types, l.Type)
			}
		}
	}
	if len(changes) == 0 {
		return nil, nil
	}
	m, err := lr.model(ctx, types...)
	if err != nil {
		return nil, err
	}
	for _, c := range changes {
		d := &docs[c.doc]
		learned := slices.DeleteFunc(slices.Clone(d.Learned), func(l Learning) bool { return l.Device == device })
		if c.had != nil {
			m.Forget(c.had.Type, lr.words(ctx, c.had.Texts))
		}
		if c.want != nil {
			m.Learn(c.want.Type, classify.Words(strings.Join(texts[c.doc], "\n")))
			learned = append(learned, *c.want)
		}
		d.Learned = learned
	}
	keys, err := lr.s.keyring()
	if err != nil {
		return nil, err
	}
	puts := map[string][]byte{}
	for _, typ := range types {
		key := metaLearnedPrefix + typ
		if puts[key], err = sealMeta(keys, key, m.Evidence(typ).Encode()); err != nil {
			return nil, fmt.Errorf("seal what was learned of %s: %w", typ, err)
		}
	}
	return puts, nil
}

// words reads back the words a document taught from its page text
// blobs. A text that no longer reads (its blob lost) gives no words: the
// document is still taken back, only its words stay counted.
func (lr learner) words(ctx context.Context, textIDs []string) []string {
	blobs, _, err := lr.s.docs.blobs()
	if err != nil {
		return nil
	}
	var b strings.Builder
	for _, id := range textIDs {
		if t, err := blobs.GetBlob(ctx, id); err == nil {
			b.Write(t)
			b.WriteByte('\n')
		}
	}
	return classify.Words(b.String())
}
