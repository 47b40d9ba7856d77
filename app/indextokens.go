package app

import (
	"context"
	"encoding/json"
)

// encoder is the part of the core that encodes record versions with their
// blind-index tokens: every kind's write (patient, batch, document,
// encounter, addendum, summary entry, user) is here, so the services that write a record
// and the sync code that stores a version written elsewhere derive the
// same tokens. Replica stores the versions written on other workstations
// with their tokens (ImportReplicated, ReindexTexts), and Conflicts stores
// a resolution's merged data with its tokens (indexTokens).
type encoder struct{ s *Session }

// write encodes v as the version of record kind/id that follows parent,
// with the blind-index tokens of terms.
func (ec encoder) write(kind Kind, id string, parent Version, v any, terms []string) (RecordWrite, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return RecordWrite{}, err
	}
	toks, err := ec.tokens(terms)
	if err != nil {
		return RecordWrite{}, err
	}
	return RecordWrite{Kind: kind, ID: id, Parent: parent, Data: data, Tokens: toks}, nil
}

// tokens turns index terms into blind-index tokens.
func (ec encoder) tokens(terms []string) ([][]byte, error) {
	keys, err := ec.s.keyring()
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(terms))
	for i, t := range terms {
		out[i] = keys.Token([]byte(t))
	}
	return out, nil
}

// indexTokens derives the blind-index tokens of a record version written
// elsewhere (another workstation, or a conflict's resolution) as its
// writer derived them: the index of every replica follows the same rules. A document's words come from its
// page text blobs that are already here; the syncer asks again once they
// arrive (ReindexTexts).
func (ec encoder) indexTokens(ctx context.Context, rec StoredRecord) ([][]byte, error) {
	switch rec.Kind {
	case KindPatient:
		return tokensOf(rec, decodePatient, func(p Patient) (RecordWrite, error) { return ec.patient(p, Version{}) })
	case KindBatch:
		return tokensOf(rec, decodeBatch, func(b Batch) (RecordWrite, error) { return ec.batch(b, Version{}), nil })
	case KindDocument:
		return tokensOf(rec, decodeDocument, func(d Document) (RecordWrite, error) {
			return ec.document(d, Version{}, ec.pageTexts(ctx, d))
		})
	case KindEncounter:
		return tokensOf(rec, decodeEncounter, func(e Encounter) (RecordWrite, error) { return ec.encounter(e, Version{}) })
	case KindAddendum:
		return tokensOf(rec, decodeAddendum, ec.addendum)
	case KindSummary:
		return tokensOf(rec, decodeChartEntry, func(c ChartEntry) (RecordWrite, error) { return ec.chartEntry(c, Version{}) })
	case KindCoding:
		return tokensOf(rec, decodeCoding, ec.coding)
	}
	return nil, nil
}

// tokensOf decodes rec and encodes it again, for the index tokens its
// encoding derives.
func tokensOf[T any](rec StoredRecord, decode func(StoredRecord) (T, error), encode func(T) (RecordWrite, error)) ([][]byte, error) {
	v, err := decode(rec)
	if err != nil {
		return nil, err
	}
	w, err := encode(v)
	return w.Tokens, err
}

// pageTexts reads the text of a document's pages that are here.
func (ec encoder) pageTexts(ctx context.Context, d Document) []string {
	blobs, _, err := ec.s.docs.blobs()
	if err != nil {
		return nil
	}
	var out []string
	for _, p := range d.Pages {
		if p.Text == "" {
			continue
		}
		if b, err := blobs.GetBlob(ctx, p.Text); err == nil {
			out = append(out, string(b))
		}
	}
	return out
}
