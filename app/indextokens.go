package app

import "context"

// The blind-index tokens of a record version, as every replica derives
// them: on the core, because two services write versions they did not
// encode themselves — Replica stores the versions written on other
// workstations with their tokens (ImportReplicated, ReindexTexts), and
// Conflicts stores a resolution's merged data with its tokens.

// indexTokens derives the blind-index tokens of a record version written
// elsewhere (another workstation, or a conflict's resolution) as its
// writer derived them: the index of every replica follows the same rules. A document's words come from its
// page text blobs that are already here; the syncer asks again once they
// arrive (ReindexTexts).
func (s *Session) indexTokens(ctx context.Context, rec StoredRecord) ([][]byte, error) {
	switch rec.Kind {
	case KindPatient:
		p, err := decodePatient(rec)
		if err != nil {
			return nil, err
		}
		w, err := s.charts().patientWrite(p, Version{})
		return w.Tokens, err
	case KindBatch:
		b, err := decodeBatch(rec)
		if err != nil {
			return nil, err
		}
		return s.batchWrite(b, Version{}).Tokens, nil
	case KindDocument:
		d, err := decodeDocument(rec)
		if err != nil {
			return nil, err
		}
		w, err := s.documentWrite(d, Version{}, s.pageTexts(ctx, d))
		return w.Tokens, err
	case KindEncounter:
		e, err := decodeEncounter(rec)
		if err != nil {
			return nil, err
		}
		w, err := s.encounterWrite(e, Version{})
		return w.Tokens, err
	case KindAddendum:
		a, err := decodeAddendum(rec)
		if err != nil {
			return nil, err
		}
		w, err := s.addendumWrite(a)
		return w.Tokens, err
	}
	return nil, nil
}

// pageTexts reads the text of a document's pages that are here.
func (s *Session) pageTexts(ctx context.Context, d Document) []string {
	blobs, _, err := s.blobs()
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
