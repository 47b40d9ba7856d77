package app

import "context"

// encoder is the part of the core that encodes record versions with their
// blind-index tokens: every kind's write (patient, batch, document,
// encounter, addendum, summary entry, user) is here, so the services that write a record
// and the sync code that stores a version written elsewhere derive the
// same tokens. Replica stores the versions written on other workstations
// with their tokens (ImportReplicated, ReindexTexts), and Conflicts stores
// a resolution's merged data with its tokens (indexTokens).
type encoder struct{ s *Session }

// encode returns the session's record encoder.
func (s *Session) encode() encoder { return encoder{s} }

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
		p, err := decodePatient(rec)
		if err != nil {
			return nil, err
		}
		w, err := ec.patient(p, Version{})
		return w.Tokens, err
	case KindBatch:
		b, err := decodeBatch(rec)
		if err != nil {
			return nil, err
		}
		return ec.batch(b, Version{}).Tokens, nil
	case KindDocument:
		d, err := decodeDocument(rec)
		if err != nil {
			return nil, err
		}
		w, err := ec.document(d, Version{}, ec.pageTexts(ctx, d))
		return w.Tokens, err
	case KindEncounter:
		e, err := decodeEncounter(rec)
		if err != nil {
			return nil, err
		}
		w, err := ec.encounter(e, Version{})
		return w.Tokens, err
	case KindAddendum:
		a, err := decodeAddendum(rec)
		if err != nil {
			return nil, err
		}
		w, err := ec.addendum(a)
		return w.Tokens, err
	case KindSummary:
		c, err := decodeChartEntry(rec)
		if err != nil {
			return nil, err
		}
		w, err := ec.chartEntry(c, Version{})
		return w.Tokens, err
	case KindCoding:
		r, err := decodeCoding(rec)
		if err != nil {
			return nil, err
		}
		w, err := ec.coding(r)
		return w.Tokens, err
	}
	return nil, nil
}

// pageTexts reads the text of a document's pages that are here.
func (ec encoder) pageTexts(ctx context.Context, d Document) []string {
	blobs, _, err := ec.s.docs().blobs()
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
