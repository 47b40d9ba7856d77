package ui

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"folio/codeset"
)

// codeLimit is how many codes a search shows; more means the query
// should be narrower.
const codeLimit = 50

// codeSearch is the coding screen's search as you type over the code set:
// by code prefix (J18, J18.9) or by words in any order, with prefixes and
// typos (pneum unspec, pnuemonia). Results come in the set's order within
// relevance; category headers show, dimmed and marked, but cannot be
// assigned. The code set is reference data, not PHI: searching it is not
// audited.
type codeSearch struct {
	sess   *session
	pick   *pickList
	status *widget.Label
	set    *codeset.Set // nil until opened
	hits   []codeset.Hit

	// Fyne goroutine only.
	gen  int    // generation of the latest query; older answers are dropped
	stop func() // cancels the pending debounced search
}

const codeHint = "Type a code (J18.9) or words (pneum unspec). ↑ ↓ choose; Enter assigns it (the first is the principal), Ctrl+P as the principal, Ctrl+D as a secondary."

func newCodeSearch(sess *session) *codeSearch {
	cs := &codeSearch{sess: sess, status: widget.NewLabel(codeHint)}
	cs.status.Wrapping = fyne.TextWrapWord
	cs.pick = newPickList(sess.a.input, "Search ICD-10-CM: a code or words", true)
	cs.pick.onQuery = cs.changed
	return cs
}

// opened sets the code set once it is open, and searches for what was
// typed meanwhile.
func (cs *codeSearch) opened(set *codeset.Set) {
	cs.set = set
	cs.pick.field.PlaceHolder = fmt.Sprintf("Search %s %s: a code or words", set.System(), set.Version())
	cs.pick.field.Refresh()
	if q := cs.pick.field.Text; strings.TrimSpace(q) != "" {
		cs.searchNow(q)
	}
}

// changed runs at every key: it searches once the keys pause for the
// window's codeDelay (a search takes milliseconds; the pause only lets a
// burst of keys go by).
func (cs *codeSearch) changed(q string) {
	cs.cancel()
	cs.gen++
	gen := cs.gen
	if strings.TrimSpace(q) == "" || cs.set == nil {
		cs.apply(q, nil, false)
		return
	}
	ctx := cs.sess.ctx
	cs.stop = cs.sess.a.tasks.after(cs.sess.a.codeDelay, func() func() {
		if ctx.Err() != nil {
			return nil
		}
		return cs.lookup(ctx, gen, q)
	})
}

func (cs *codeSearch) cancel() {
	if cs.stop != nil {
		cs.stop()
		cs.stop = nil
	}
}

// searchNow searches for q at once and shows the results; the debounce
// calls the same lookup. Tests call it instead of waiting.
func (cs *codeSearch) searchNow(q string) {
	cs.cancel()
	cs.gen++
	cs.lookup(cs.sess.ctx, cs.gen, q)()
}

// lookup searches (off the Fyne goroutine) and returns how to show the
// answer; an answer to an older query than the latest is dropped.
func (cs *codeSearch) lookup(ctx context.Context, gen int, q string) func() {
	hits, more := cs.set.Search(q, codeLimit)
	return func() {
		if gen != cs.gen || ctx.Err() != nil {
			return
		}
		cs.apply(q, hits, more)
	}
}

// apply shows a search's answer, the first code chosen.
func (cs *codeSearch) apply(q string, hits []codeset.Hit, more bool) {
	cs.hits = hits
	rows := make([]pickRow, len(hits))
	for i, h := range hits {
		rows[i] = pickRow{lead: fmt.Sprintf("%-8s", h.Code.Code), title: h.Code.Long}
		if !h.Code.Assignable() {
			rows[i].dim, rows[i].tag = true, "category: choose a code under it"
		}
	}
	cs.pick.set(rows)
	switch {
	case strings.TrimSpace(q) == "":
		cs.status.SetText(codeHint)
	case cs.set == nil:
		cs.status.SetText("Opening the code set…")
	case len(hits) == 0:
		cs.status.SetText(fmt.Sprintf("No code matches “%s”: try fewer words, or the start of the code.", strings.TrimSpace(q)))
	case more:
		cs.status.SetText(fmt.Sprintf("The first %d codes found; type more to narrow the search.", len(hits)))
	default:
		cs.status.SetText(plural(len(hits), "code", "codes") + " found.  ↑ ↓ choose; Enter assigns, Ctrl+P as the principal, Ctrl+D as a secondary.")
	}
}

// chosen is the code the arrows chose; false when none.
func (cs *codeSearch) chosen() (codeset.Code, bool) {
	i, ok := cs.pick.current()
	if !ok || i >= len(cs.hits) {
		return codeset.Code{}, false
	}
	return cs.hits[i].Code, true
}

// forget empties the field and the results.
func (cs *codeSearch) forget() {
	cs.cancel()
	cs.gen++
	cs.hits = nil
	cs.pick.forget()
	cs.status.SetText(codeHint)
}
