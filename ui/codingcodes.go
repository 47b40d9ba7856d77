package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"folio/app"
	"folio/codeset"
	"folio/visible"
)

// codesPanel is what the coder has assigned so far, before it is saved:
// the diagnoses, the principal first, each with its present-on-admission
// choice on an admission (none where the code is exempt), and the
// procedures. Nothing here is written until the coding screen saves it
// through Coding.Assign, which checks it all again.
type codesPanel struct {
	hooks     inputHooks
	admission bool
	dx        []assignedDx
	procs     []string
	box       *fyne.Container
	// back puts the keyboard back in the code search (after a POA).
	back func()
	// changed is told when the codes change (the edits shown are stale).
	changed func()
}

// assignedDx is one diagnosis assigned.
type assignedDx struct {
	code codeset.Code
	poa  *poaChoice // nil when no POA is reported
}

func newCodesPanel(h inputHooks, back, changed func()) *codesPanel {
	return &codesPanel{hooks: h, box: container.NewVBox(), back: back, changed: changed}
}

// add assigns code as the principal diagnosis (the one before becomes a
// secondary) or as a secondary; it returns the POA choice to fill, or
// nil. A code given twice is kept: the duplicate edit says so at save.
func (cp *codesPanel) add(c codeset.Code, principal bool) *poaChoice {
	d := assignedDx{code: c}
	if cp.admission && !c.POAExempt {
		d.poa = newPOAChoice(cp.hooks, cp.back)
	}
	if principal {
		cp.dx = append([]assignedDx{d}, cp.dx...)
	} else {
		cp.dx = append(cp.dx, d)
	}
	cp.redraw()
	return d.poa
}

// addProcedure adds a procedure code as typed (the service checks it
// against the organisation's list, or as a bare CPT code).
func (cp *codesPanel) addProcedure(code string) {
	cp.procs = append(cp.procs, strings.ToUpper(strings.TrimSpace(code)))
	cp.redraw()
}

// removeLast takes back the last code added (a procedure before the
// diagnoses); false when there is none.
func (cp *codesPanel) removeLast() bool {
	switch {
	case len(cp.procs) > 0:
		cp.procs = cp.procs[:len(cp.procs)-1]
	case len(cp.dx) > 0:
		cp.dx = cp.dx[:len(cp.dx)-1]
	default:
		return false
	}
	cp.redraw()
	return true
}

// hasPrincipal reports whether a diagnosis is assigned (the first is the
// principal).
func (cp *codesPanel) hasPrincipal() bool { return len(cp.dx) > 0 }

// assignment is what the panel holds, for Coding.Assign.
func (cp *codesPanel) assignment() app.Assignment {
	var a app.Assignment
	for _, d := range cp.dx {
		a.Diagnoses = append(a.Diagnoses, d.code.Code)
		poa := ""
		if d.poa != nil {
			poa = d.poa.letter()
		}
		a.POA = append(a.POA, poa)
	}
	a.Procedures = append(a.Procedures, cp.procs...)
	return a
}

// set shows the coding in force (to recode from it), or nothing.
func (cp *codesPanel) set(r *app.CodingRecord, set *codeset.Set) {
	cp.dx, cp.procs = nil, nil
	if r != nil {
		for _, d := range r.Diagnoses {
			c := codeset.Code{System: d.System, Version: d.Version, Code: d.Code, Long: d.Description, Billable: true, POAExempt: d.POAExempt}
			if set != nil {
				if found, err := set.Lookup(d.Code); err == nil && found.System == d.System {
					c = found
				}
			}
			ad := assignedDx{code: c}
			if cp.admission && !c.POAExempt {
				ad.poa = newPOAChoice(cp.hooks, cp.back)
				ad.poa.setLetter(d.POA)
			}
			cp.dx = append(cp.dx, ad)
		}
		for _, p := range r.Procedures {
			cp.procs = append(cp.procs, p.Code)
		}
	}
	cp.redraw()
}

// redraw lays the rows out again.
func (cp *codesPanel) redraw() {
	cp.box.Objects = nil
	if len(cp.dx) == 0 && len(cp.procs) == 0 {
		cp.box.Add(muted("No code assigned yet."))
	}
	for i, d := range cp.dx {
		kind := "Secondary"
		if i == 0 {
			kind = "Principal"
		}
		var right fyne.CanvasObject = widget.NewLabel("")
		switch {
		case d.poa != nil:
			right = container.NewHBox(widget.NewLabel("POA"), d.poa)
		case cp.admission:
			right = muted("POA exempt")
		}
		cp.box.Add(codeLine(kind, d.code.Code, d.code.Long, right))
	}
	for _, p := range cp.procs {
		cp.box.Add(codeLine("Procedure", p, "", nil))
	}
	cp.box.Refresh()
	if cp.changed != nil {
		cp.changed()
	}
}

// codeLine is one assigned code: its kind, the code, its description and
// what goes at the right end.
func codeLine(kind, code, desc string, right fyne.CanvasObject) fyne.CanvasObject {
	k := fieldLabelW(kind, 96)
	k.Alignment, k.TextStyle.Bold = fyne.TextAlignLeading, kind == "Principal"
	c := widget.NewLabelWithStyle(visible.Line(code), fyne.TextAlignLeading, fyne.TextStyle{Monospace: true, Bold: true})
	d := widget.NewLabel(visible.Line(desc))
	d.Truncation = fyne.TextTruncateEllipsis
	left := container.NewHBox(k, c)
	if right == nil {
		return container.NewBorder(nil, nil, left, nil, d)
	}
	return container.NewBorder(nil, nil, left, right, d)
}

// poaLetters are the present-on-admission indicators, as the drop-down
// offers them.
var poaLetters = []string{"Y yes", "N no", "U not documented", "W undetermined"}

// poaChoice is the present-on-admission choice of one diagnosis: typing
// Y, N, U or W chooses (as ← → do) and gives the keyboard back to the
// code search, as Enter does.
type poaChoice struct {
	choice
	back func()
}

func newPOAChoice(h inputHooks, back func()) *poaChoice {
	p := &poaChoice{back: back}
	p.hooks = h
	p.Options = poaLetters
	p.PlaceHolder = "Y N U W"
	p.ExtendBaseWidget(p)
	return p
}

func (p *poaChoice) letter() string {
	l, _, _ := strings.Cut(p.Selected, " ")
	return l
}

func (p *poaChoice) setLetter(l string) {
	for _, o := range poaLetters {
		if l != "" && strings.HasPrefix(o, strings.ToUpper(l)+" ") {
			p.SetSelected(o)
		}
	}
}

func (p *poaChoice) TypedRune(r rune) {
	p.hooks.touch()
	if p.hooks.strayRune(r) {
		return
	}
	l := strings.ToUpper(string(r))
	for _, o := range poaLetters {
		if strings.HasPrefix(o, l+" ") {
			p.SetSelected(o)
			p.back()
			return
		}
	}
}

func (p *poaChoice) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyReturn || k.Name == fyne.KeyEnter {
		p.hooks.touch()
		p.back()
		return
	}
	p.choice.TypedKey(k)
}
