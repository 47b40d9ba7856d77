package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The organisation's procedure list is a KindSetting record (like the
// record-completion thresholds), so every workstation codes from the same
// list once they sync. A workstation of an earlier Folio kept its list in
// its own meta store (metaProcedures): the first use moves it into the
// record, in one commit, so nothing is lost.
const (
	procedureListID = "procedure-list"
	metaProcedures  = "settings/procedures"
)

// procedureList is the stored setting.
type procedureList struct {
	Procedures []ProcedureEntry `json:"procedures"`
	Changed    time.Time        `json:"changed,omitzero"`
	ChangedBy  string           `json:"changed_by,omitempty"`
}

// SetProcedures replaces the organisation's procedure list the coders
// choose procedure codes from, for every workstation (the setting syncs).
// Coders (records); audited.
func (st Settings) SetProcedures(ctx context.Context, list []ProcedureEntry) error {
	ctx, err := st.s.require(ctx, PermCode, ActSettings, "")
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, p := range list {
		p.Code, p.Description = strings.ToUpper(strings.TrimSpace(p.Code)), strings.TrimSpace(p.Description)
		switch {
		case !localCode.MatchString(p.Code):
			return Invalidf("procedure code %q: use 2 to 10 letters, digits, dots or dashes", p.Code)
		case p.Description == "":
			return Invalidf("procedure %s has no description: say what the procedure is", p.Code)
		case seen[p.Code]:
			return Invalidf("procedure %s is on the list twice", p.Code)
		}
		seen[p.Code], list[i] = true, p
	}
	if _, err := st.Procedures(ctx); err != nil { // moves a list kept the old way first
		return err
	}
	err = st.writeProcedures(ctx, list, fmt.Sprintf("procedure list: %d procedures", len(list)), nil)
	if errors.Is(err, ErrConflict) {
		return fmt.Errorf("%w: the procedure list was changed meanwhile (on another workstation); look at it again and repeat the change", ErrConflict)
	}
	return err
}

// Procedures returns the organisation's procedure list (empty when none
// is set). A list this workstation kept the old way is moved into the
// synced setting now.
func (st Settings) Procedures(ctx context.Context) ([]ProcedureEntry, error) {
	if _, err := st.s.keyring(); err != nil {
		return nil, err
	}
	rec, err := st.s.records.Head(ctx, KindSetting, procedureListID)
	if err == nil {
		var pl procedureList
		if err := json.Unmarshal(rec.Data, &pl); err != nil {
			return nil, fmt.Errorf("the procedure list: %w: %v", ErrTampered, err)
		}
		return pl.Procedures, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("read the procedure list: %w", err)
	}
	old, err := st.s.v.cfg.Meta.GetMeta(ctx, metaProcedures)
	if err != nil || len(old) == 0 {
		return nil, nil
	}
	var list []ProcedureEntry
	if err := json.Unmarshal(old, &list); err != nil {
		return nil, fmt.Errorf("the procedure list on this computer cannot be read (%v): set it again", err)
	}
	if err := st.writeProcedures(ctx, list, fmt.Sprintf("procedure list of this workstation moved to the organisation's setting: %d procedures", len(list)), []string{metaProcedures}); err != nil {
		return nil, fmt.Errorf("move the procedure list to the organisation's setting: %w", err)
	}
	return list, nil
}

// writeProcedures writes a new version of the list with its audit event,
// deleting the meta keys given in the same commit.
func (st Settings) writeProcedures(ctx context.Context, list []ProcedureEntry, detail string, deleteMeta []string) error {
	var parent Version
	if rec, err := st.s.records.Head(ctx, KindSetting, procedureListID); err == nil {
		parent = rec.Version
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	data, err := json.Marshal(procedureList{Procedures: list, Changed: st.s.v.now(), ChangedBy: st.s.User().Name})
	if err != nil {
		return err
	}
	w := RecordWrite{Kind: KindSetting, ID: procedureListID, Parent: parent, Data: data}
	return st.s.commit(ctx, []RecordWrite{w}, AuditEvent{Action: ActSettings, Detail: detail}, nil, deleteMeta)
}
