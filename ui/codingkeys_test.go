package ui

import (
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2"

	"folio/app"
)

// codingKeyAreas are the coding screens' areas of the table as
// TestEveryShortcutFromEveryField drives them: grace codes (the worklist,
// encounter enc), dr.amani, the clinician of codingWork, has notes unsigned
// and queries to answer.
func codingKeyAreas(t *testing.T, u *App, enc string) map[string][]keyArea {
	c := u.win.Canvas()
	is := func(want string) func() string {
		return func() string {
			if got := fmt.Sprintf("%T", u.cur); got != want {
				return "the window shows " + got + ", want " + want
			}
			return ""
		}
	}
	focusIs := func(want func() fyne.Focusable) effect {
		return func() func() string {
			return func() string {
				if f := c.Focused(); f != want() {
					return fmt.Sprintf("the keyboard is in %T, want %T", f, want())
				}
				return ""
			}
		}
	}
	// moves is the effect of ↓ or ↑ on a pick list: from row from to want.
	moves := func(p func() *pickList, from, want int) effect {
		return func() func() string {
			l := p()
			l.choose(from)
			return func() string {
				if l.sel != want {
					return fmt.Sprintf("row %d chosen, want %d", l.sel+1, want+1)
				}
				return ""
			}
		}
	}
	work := func() *codingWorklistScreen { return current[*codingWorklistScreen](t, u) }
	coding := func() *codingScreen { return current[*codingScreen](t, u) }
	notes := func() *myNotesScreen { return current[*myNotesScreen](t, u) }
	queries := func() *myQueriesScreen { return current[*myQueriesScreen](t, u) }
	tab := func(status app.CodingStatus) effect {
		return func() func() string {
			w := work()
			return func() string {
				if w.status != status {
					return fmt.Sprintf("the tab is %q, want %q", w.status, status)
				}
				return ""
			}
		}
	}
	says := func(m func() *messageLabel, want string) func() string {
		return func() string {
			if !strings.Contains(m().Text, want) {
				return fmt.Sprintf("the message says %q, want %q", m().Text, want)
			}
			return ""
		}
	}
	// assigns is the effect of Ctrl+P or Ctrl+D: the first code that may
	// be assigned is chosen, and is added as the principal or a secondary.
	assigns := func(principal bool) effect {
		return func() func() string {
			s := coding()
			s.codes.add(s.search.hits[0].Code, true) // one there already
			for i, h := range s.search.hits {
				if h.Code.Assignable() {
					s.search.pick.choose(i)
					break
				}
			}
			want, _ := s.search.chosen()
			return func() string {
				at := len(s.codes.dx) - 1
				if principal {
					at = 0
				}
				if len(s.codes.dx) != 2 || s.codes.dx[at].code.Code != want.Code {
					return fmt.Sprintf("assigned %v, want %s as principal=%v", s.codes.assignment().Diagnoses, want.Code, principal)
				}
				return ""
			}
		}
	}
	defic := func() *deficiencyScreen { return current[*deficiencyScreen](t, u) }
	list := func(all bool) effect {
		return func() func() string {
			d := defic()
			return func() string {
				u.tasks.wait()
				if d.all != all {
					return fmt.Sprintf("the list of all is %v, want %v", d.all, all)
				}
				return ""
			}
		}
	}
	// worklist is the area of a worklist screen that user opens with show:
	// from its Find field, ↓ ↑ move the choice of its pick list, and the
	// other keys have the effects given.
	worklist := func(user string, show func(), pick func() *pickList, effects map[string]effect) keyArea {
		effects["↓"], effects["↑"] = moves(pick, 0, 1), moves(pick, 1, 0)
		return keyArea{
			user: user, open: func() { show(); u.tasks.wait() },
			fields:  func() map[string]fyne.Focusable { return map[string]fyne.Focusable{"Find": pick().field} },
			effects: effects,
		}
	}
	return map[string][]keyArea{
		areaDefic: {worklist("grace", u.nav.showDeficiencies, func() *pickList { return defic().pick }, map[string]effect{
			"Enter": func() func() string {
				return func() string {
					u.tasks.wait()
					if is("*ui.codingScreen")() != "" && is("*ui.patientScreen")() != "" {
						return fmt.Sprintf("the window shows %T, want the coding screen or the chart", u.cur)
					}
					return ""
				}
			},
			"Ctrl+1": list(false), "Ctrl+2": list(true),
		})},
		areaWork: {worklist("grace", u.nav.showCoding, func() *pickList { return work().pick }, map[string]effect{
			"Enter":  func() func() string { return func() string { u.tasks.wait(); return is("*ui.codingScreen")() } },
			"Ctrl+1": tab(app.CodingWaiting), "Ctrl+2": tab(app.CodingQueried), "Ctrl+3": tab(app.CodingCoded), "Ctrl+4": tab(""),
		})},
		areaCoding: {{
			user: "grace",
			open: func() {
				u.nav.showCodingEncounter(enc)
				u.tasks.wait()
				s := coding()
				s.search.pick.field.SetText("pneumonia")
				s.search.searchNow("pneumonia")
			},
			fields: func() map[string]fyne.Focusable {
				s := coding()
				return map[string]fyne.Focusable{"Search": s.search.pick.field, "Procedure": s.proc, "Question": s.question}
			},
			effects: map[string]effect{
				"↓":      moves(func() *pickList { return coding().search.pick }, 0, 1),
				"↑":      moves(func() *pickList { return coding().search.pick }, 1, 0),
				"Ctrl+P": assigns(true), "Ctrl+D": assigns(false),
				"Ctrl+T": focusIs(func() fyne.Focusable { return coding().proc }),
				"Ctrl+R": func() func() string {
					s := coding()
					s.codes.addProcedure("99213")
					return func() string {
						if len(s.codes.procs) != 0 {
							return "the procedure is still there"
						}
						return ""
					}
				},
				"Ctrl+S": func() func() string {
					return says(func() *messageLabel { return &coding().msg }, "principal diagnosis")
				},
				"Ctrl+E": focusIs(func() fyne.Focusable { return coding().question }),
				"Ctrl+G": focusIs(func() fyne.Focusable { return coding().search.pick.field }),
			},
		}},
		areaNotes: {worklist("dr.amani", u.nav.showMyNotes, func() *pickList { return notes().pick }, map[string]effect{
			"Enter": func() func() string { return func() string { u.tasks.wait(); return is("*ui.encounterScreen")() } },
		})},
		areaQueries: {{
			user: "dr.amani", open: func() { u.nav.showMyQueries(); u.tasks.wait() },
			fields: func() map[string]fyne.Focusable { return map[string]fyne.Focusable{"Answer": queries().answer} },
			effects: map[string]effect{
				"↓": moves(func() *pickList { return queries().pick }, 0, 1), "↑": moves(func() *pickList { return queries().pick }, 1, 0),
				"Enter":  func() func() string { return says(func() *messageLabel { return &queries().msg }, "answer is empty") },
				"Ctrl+S": func() func() string { return says(func() *messageLabel { return &queries().msg }, "answer is empty") },
			},
		}},
	}
}
