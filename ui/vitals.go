package ui

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/app"
)

// This file is the vital signs of the visit editor: one field per sign
// with its unit beside it, BMI computed from weight and height, and a
// message under the field a value was refused for (by the window when it
// is not a number, by app's plausible-range check otherwise), with what
// was typed kept.

// visitLabelWidth lines the labels of the visit and its vital signs up:
// as wide as the widest, "Temperature".
func visitLabelWidth() float32 { return widget.NewLabel("Temperature").MinSize().Width }

// vitalField is one vital sign's field, its unit and its message.
type vitalField struct {
	name  string // as app.VitalsError.Field names it (temp_c, pulse …)
	words string // the sign in words, for a message of the window's own
	field *entry
	label *wideLabel
	msg   *fieldMessage
	whole bool // an integer (pulse), not a decimal (temperature)
}

// vitalsBlock is the vital signs part of the editor.
type vitalsBlock struct {
	fields  []*vitalField // in Tab order; systolic then diastolic
	byName  map[string]*vitalField
	bmi     *widget.Label
	confirm *check // shown when app takes a weight for pounds
	box     *fyne.Container
}

func newVitalsBlock(h inputHooks, changed func()) *vitalsBlock {
	vb := &vitalsBlock{byName: map[string]*vitalField{}}
	lw := visitLabelWidth()
	mk := func(name, words, placeholder string, whole bool) *vitalField {
		f := &vitalField{name: name, words: words, field: newEntry(h, placeholder), msg: newFieldMessage(), whole: whole}
		// A number needs no scrolling of its own, and a scroll inside the
		// editor's scroll draws outside it where the editor cuts a field.
		f.field.Scroll = container.ScrollNone
		f.field.OnChanged = func(string) { vb.showBMI(); changed() }
		vb.fields = append(vb.fields, f)
		vb.byName[name] = f
		return f
	}
	vb.bmi = widget.NewLabel("")
	vb.bmi.Importance = widget.LowImportance
	vb.confirm = newCheck(h, "The weight is right in kg", func(bool) { changed() })
	vb.confirm.Hide()
	box := container.New(layout.NewCustomPaddedVBoxLayout(2))
	row := func(label, unit string, center fyne.CanvasObject, fs ...*vitalField) {
		l := fieldLabelW(label, lw)
		for _, f := range fs {
			f.label = l
		}
		u := widget.NewLabel(unit)
		u.Importance = widget.LowImportance
		box.Add(container.NewBorder(nil, nil, l, container.NewGridWrap(fyne.NewSize(52, l.MinSize().Height), u), center))
		box.Add(fs[0].msg)
	}
	t := mk("temp_c", "temperature", "", false)
	row("Temperature", "°C", t.field, t)
	p := mk("pulse", "pulse", "", true)
	row("Pulse", "/min", p.field, p)
	sys, dia := mk("bp_sys", "systolic blood pressure", "systolic", true), mk("bp_dia", "diastolic blood pressure", "diastolic", true)
	dia.msg = sys.msg // one message for the blood pressure
	row("BP", "mmHg", container.NewGridWithColumns(2, sys.field, dia.field), sys, dia)
	rr := mk("resp_rate", "respiratory rate", "", true)
	row("Resp. rate", "/min", rr.field, rr)
	o := mk("spo2", "SpO2", "", true)
	row("SpO2", "%", o.field, o)
	w := mk("weight_kg", "weight", "", false)
	row("Weight", "kg", w.field, w)
	box.Add(vb.confirm)
	ht := mk("height_cm", "height", "", false)
	row("Height", "cm", ht.field, ht)
	box.Add(container.NewBorder(nil, nil, fieldLabelW("BMI", lw), nil, vb.bmi))
	m := mk("muac_cm", "MUAC", "", false)
	row("MUAC", "cm", m.field, m)
	vb.box = box
	vb.showBMI()
	return vb
}

// number reads a field: empty is "not taken" (0).
func (f *vitalField) number() (float64, error) {
	s := strings.TrimSpace(strings.ReplaceAll(f.field.Text, ",", "."))
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n < 0 || f.whole && n != float64(int(n)) {
		kind := "a number"
		if f.whole {
			kind = "a whole number"
		}
		return 0, &app.VitalsError{Field: f.name, Msg: fmt.Sprintf("write the %s as %s, or leave it empty", f.words, kind)}
	}
	return n, nil
}

// read returns the vital signs typed, or the first one that is not a
// number.
func (vb *vitalsBlock) read() (app.Vitals, error) { return vb.readWithout(nil) }

// readWithout is read with the signs named (in words) left empty.
func (vb *vitalsBlock) readWithout(left []string) (app.Vitals, error) {
	n := map[string]float64{}
	for _, f := range vb.fields {
		if slices.Contains(left, f.words) {
			continue
		}
		x, err := f.number()
		if err != nil {
			return app.Vitals{}, err
		}
		n[f.name] = x
	}
	return app.Vitals{
		TemperatureC: n["temp_c"], Pulse: int(n["pulse"]), Systolic: int(n["bp_sys"]), Diastolic: int(n["bp_dia"]),
		RespRate: int(n["resp_rate"]), SpO2: int(n["spo2"]), WeightKg: n["weight_kg"], HeightCm: n["height_cm"],
		MUACCm: n["muac_cm"], WeightConfirmed: vb.confirm.Visible() && vb.confirm.Checked,
	}, nil
}

// words names a sign (by its VitalsError field) in words.
func (vb *vitalsBlock) words(field string) string {
	if f := vb.byName[field]; f != nil {
		return f.words
	}
	return field
}

// fill shows v's signs (zero as empty).
func (vb *vitalsBlock) fill(v app.Vitals) {
	num := func(x float64) string {
		if x == 0 {
			return ""
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	vals := map[string]float64{"temp_c": v.TemperatureC, "pulse": float64(v.Pulse), "bp_sys": float64(v.Systolic),
		"bp_dia": float64(v.Diastolic), "resp_rate": float64(v.RespRate), "spo2": float64(v.SpO2),
		"weight_kg": v.WeightKg, "height_cm": v.HeightCm, "muac_cm": v.MUACCm}
	for _, f := range vb.fields {
		f.field.SetText(num(vals[f.name]))
	}
	if v.WeightConfirmed {
		vb.confirm.SetChecked(true)
		vb.confirm.Show()
	}
	vb.showBMI()
}

// showBMI computes the BMI from what is typed.
func (vb *vitalsBlock) showBMI() {
	w, errW := vb.byName["weight_kg"].number()
	h, errH := vb.byName["height_cm"].number()
	b := app.Vitals{WeightKg: w, HeightCm: h}.BMI()
	if errW != nil || errH != nil || b == 0 {
		vb.bmi.SetText("from weight and height")
		return
	}
	vb.bmi.SetText(fmt.Sprintf("%.1f kg/m²", b))
}

// refused shows a refused sign's message under its field and returns the
// field, for the keyboard; nil when err is not about a sign.
func (vb *vitalsBlock) refused(err *app.VitalsError) *entry {
	vb.clear()
	f := vb.byName[err.Field]
	if f == nil {
		return nil
	}
	f.msg.set(sentence(err.Msg))
	f.label.Importance = widget.DangerImportance
	f.label.Refresh()
	if err.Confirmable {
		vb.confirm.Show()
	}
	return f.field
}

// clear takes every message away.
func (vb *vitalsBlock) clear() {
	for _, f := range vb.fields {
		f.msg.set("")
		if f.label.Importance != widget.MediumImportance {
			f.label.Importance = widget.MediumImportance
			f.label.Refresh()
		}
	}
}

// forget empties every field.
func (vb *vitalsBlock) forget() {
	for _, f := range vb.fields {
		f.field.SetText("")
	}
	vb.clear()
}

// fieldMessage is a refusal under a field, in red, wrapped to the field's
// column; empty, it takes no room.
type fieldMessage struct {
	*widget.RichText
	Text string
}

func newFieldMessage() *fieldMessage {
	m := &fieldMessage{RichText: widget.NewRichText()}
	m.Wrapping = fyne.TextWrapWord
	m.Hide()
	return m
}

func (m *fieldMessage) set(s string) {
	m.Text = s
	m.Segments = []widget.RichTextSegment{&widget.TextSegment{Text: s,
		Style: widget.RichTextStyle{ColorName: theme.ColorNameError, Inline: true}}}
	if s == "" {
		m.Hide()
	} else {
		m.Show()
	}
	m.Refresh()
}
