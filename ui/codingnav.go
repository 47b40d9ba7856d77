package ui

import (
	"context"

	"fmt"
	"time"

	"folio/app"
	"folio/codeset"
)

// This file is what the coding screens share: the code set they use and
// the sidebar's counts of their work (navigator.go opens them).

// defaultCodeDelay is how long the code search waits after a key: a
// search takes a few milliseconds, so it waits only long enough to let a
// fast typist's burst of keys go by.
const defaultCodeDelay = 60 * time.Millisecond

// coding is the session's coding service over the window's code set,
// opened at its first use (off the Fyne goroutine: it takes a moment).
func (s *session) coding() (app.Coding, *codeset.Set, error) {
	set, err := s.a.codes.Set()
	if err != nil {
		return app.Coding{}, nil, fmt.Errorf("open the code set: %w", err)
	}
	return s.s.Coding(set), set, nil
}

// codingLists is the session's coding service for the acts that look no
// code up (the worklist, the counts, a status, queries and answers): it
// does not open the code set, which a clinician answering a query never
// needs. Assign needs coding.
func (s *session) codingLists() app.Coding { return s.s.Coding(nil) }

func canCode(r app.RoleSet) bool       { return r.Can(app.PermCode) }
func canWriteNotes(r app.RoleSet) bool { return r.Can(app.PermEncounterWrite) }

// refreshCodingCounts updates the sidebar's counts of coding work and
// deficiencies. Counting reads every visit, so at most one count runs at
// a time: a screen change while one runs asks for one more after it, not
// one per change.
func (u *App) refreshCodingCounts(sess *session) {
	r := sess.user.Roles
	coding, defic := canCode(r) || canWriteNotes(r), canSeeDeficiencies(r)
	if !coding && !defic {
		return
	}
	if u.side.counting {
		u.side.recount = true
		return
	}
	u.side.counting = true
	sess.run(func(ctx context.Context) func() {
		var n app.CodingCounts
		var d app.DeficiencyCounts
		var errN, errD error
		if coding {
			n, errN = sess.codingLists().Counts(ctx)
		}
		if defic {
			d, errD = sess.s.Completion().Counts(ctx)
		}
		return func() {
			// A count that failed stays as it was; the screens say what failed.
			if coding && errN == nil {
				u.side.setCodingCounts(n)
			}
			if defic && errD == nil {
				u.side.setDeficiencyCount(d)
			}
			u.side.counting = false
			if u.side.recount {
				u.side.recount = false
				u.refreshCodingCounts(sess)
			}
		}
	})
}
