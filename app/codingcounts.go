package app

import "context"

// CodingCounts is how much coding work waits for the signed-in user, for
// the sidebar: for a coder, the signed encounters waiting for coding and
// those queried; for a clinician, their own unsigned notes and the coders'
// queries waiting for their answer. A count the user's roles do not work
// on is -1.
type CodingCounts struct {
	Waiting, Queried    int
	Unsigned, MyQueries int
}

// Counts counts the coding work of the user's roles. A count names no
// patient and shows nothing of a record, so, like Indexing.WorkCounts, it
// is not an audited access.
func (c Coding) Counts(ctx context.Context) (CodingCounts, error) {
	n := CodingCounts{Waiting: -1, Queried: -1, Unsigned: -1, MyQueries: -1}
	roles := c.s.User().Roles
	if roles.Can(PermCode) {
		items, err := c.worklist(ctx, "")
		if err != nil {
			return n, err
		}
		n.Waiting, n.Queried = 0, 0
		for _, it := range items {
			switch it.Status {
			case CodingWaiting:
				n.Waiting++
			case CodingQueried:
				n.Queried++
			}
		}
	}
	if roles.Can(PermEncounterWrite) {
		drafts, err := c.s.Encounters().unsigned(ctx)
		if err != nil {
			return n, err
		}
		qs, err := c.openQueries(ctx)
		if err != nil {
			return n, err
		}
		n.Unsigned, n.MyQueries = len(drafts), len(qs)
	}
	return n, nil
}
