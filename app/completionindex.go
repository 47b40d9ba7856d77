package app

import (
	"context"
	"errors"
	"fmt"
)

// metaCompletionIndex marks a vault whose encounters and coding acts all
// carry the index terms record completion looks its candidates up by
// (enc:draft, enc:signed, enc:type:…, coding:coded:…, coding:procedures;
// completionfind.go). Those terms came with record completion, so the
// records a vault held before have their index made again once, at the
// first computation; versions written or received since carry them.
const metaCompletionIndex = "index/completion-terms-v1"

// ensureIndex gives the encounters and coding acts written before record
// completion their index terms, once per vault (see metaCompletionIndex).
// A record whose terms are already right is not written.
func (cp Completion) ensureIndex(ctx context.Context) error {
	meta := cp.s.v.cfg.Meta
	if _, err := meta.GetMeta(ctx, metaCompletionIndex); err == nil {
		return nil
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	keys, err := cp.s.keyring()
	if err != nil {
		return err
	}
	if cp.s.v.cfg.Replica == nil {
		return nil // a store that cannot be reindexed holds only new records
	}
	replica := cp.s.v.cfg.Replica(keys.RecordAEAD())
	for _, kind := range []Kind{KindEncounter, KindCoding} {
		for rec, err := range cp.s.records.Heads(ctx, kind) {
			if err != nil {
				return fmt.Errorf("index the %s records for record completion: %w", kind, err)
			}
			want, err := cp.s.encode.indexTokens(ctx, rec)
			if err != nil {
				return err
			}
			have, err := cp.s.records.Tokens(ctx, kind, rec.ID)
			if err != nil {
				return err
			}
			if sameTokens(have, want) {
				continue
			}
			if err := replica.Reindex(ctx, kind, rec.ID, rec.Version, want); err != nil {
				return fmt.Errorf("index %s %s for record completion: %w", kind, rec.ID, err)
			}
		}
	}
	return meta.UpdateMeta(ctx, map[string][]byte{metaCompletionIndex: []byte("1")}, nil)
}
