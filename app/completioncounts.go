package app

import "context"

// DeficiencyCounts is how many open deficiencies the sidebar shows: the
// signed-in user's own, and every one (for those who see the records
// manager's list); -1 for a count the user's roles do not see.
type DeficiencyCounts struct{ Mine, All int }

// Counts counts the open deficiencies as of the session's clock. A count
// names no patient and shows nothing of a record, so, like
// Indexing.WorkCounts, it is not an audited access.
func (cp Completion) Counts(ctx context.Context) (DeficiencyCounts, error) {
	n := DeficiencyCounts{Mine: -1, All: -1}
	roles := cp.s.User().Roles
	if !roles.Can(PermCompletion) && !roles.Can(PermCompletionAll) {
		return n, nil
	}
	open, err := cp.open(ctx, cp.s.v.now())
	if err != nil {
		return n, err
	}
	if roles.Can(PermCompletion) {
		n.Mine = 0
		me := cp.s.User().Name
		for _, d := range open {
			if d.Assignee == me {
				n.Mine++
			}
		}
	}
	if roles.Can(PermCompletionAll) {
		n.All = len(open)
	}
	return n, nil
}
