package app

import (
	"fmt"
	"math"
	"time"
)

// Vitals are an encounter's vital signs, each in the unit its name says;
// zero is "not taken".
type Vitals struct {
	TemperatureC float64 `json:"temp_c,omitempty"`
	Pulse        int     `json:"pulse,omitempty"`     // beats per minute
	Systolic     int     `json:"bp_sys,omitempty"`    // mmHg
	Diastolic    int     `json:"bp_dia,omitempty"`    // mmHg
	RespRate     int     `json:"resp_rate,omitempty"` // breaths per minute
	SpO2         int     `json:"spo2,omitempty"`      // %
	WeightKg     float64 `json:"weight_kg,omitempty"`
	HeightCm     float64 `json:"height_cm,omitempty"`
	MUACCm       float64 `json:"muac_cm,omitempty"` // mid-upper arm circumference
	// WeightConfirmed: the clinician confirmed a weight the check took
	// for pounds typed as kilograms.
	WeightConfirmed bool `json:"weight_confirmed,omitempty"`
}

// Without returns v without the sign a VitalsError names by its Field
// (temp_c, pulse …): what a draft keeps when a sign is refused and there
// is no one to ask (the window locking).
func (v Vitals) Without(field string) Vitals {
	switch field {
	case "temp_c":
		v.TemperatureC = 0
	case "pulse":
		v.Pulse = 0
	case "bp_sys", "bp_dia": // one goes with the other
		v.Systolic, v.Diastolic = 0, 0
	case "resp_rate":
		v.RespRate = 0
	case "spo2":
		v.SpO2 = 0
	case "weight_kg":
		v.WeightKg, v.WeightConfirmed = 0, false
	case "height_cm":
		v.HeightCm = 0
	case "muac_cm":
		v.MUACCm = 0
	}
	return v
}

// BMI is weight over height squared (kg/m²), or 0 without both.
func (v Vitals) BMI() float64 {
	if v.WeightKg <= 0 || v.HeightCm <= 0 {
		return 0
	}
	m := v.HeightCm / 100
	return math.Round(v.WeightKg/(m*m)*10) / 10
}

// VitalsError is a vital sign refused as implausible: Field names it (as
// the JSON does), and the message says what to do. Confirmable is set when
// the value may be right after all (a weight the check took for pounds):
// the clinician may confirm it (Vitals.WeightConfirmed). It is an
// *InvalidError with the same reason, and so ErrInvalid.
type VitalsError struct {
	Field       string
	Msg         string
	Confirmable bool
}

func (e *VitalsError) Error() string { return e.Msg }

// Unwrap makes a VitalsError an *InvalidError, and so an ErrInvalid.
func (e *VitalsError) Unwrap() error { return &InvalidError{Reason: e.Msg} }

// vitalRange is the plausible range of one vital sign in a living patient.
type vitalRange struct {
	field, name, unit string
	value             float64
	lo, hi            float64
	hint              string
}

// lbPerKg converts kilograms to pounds.
const lbPerKg = 2.20462

// check refuses implausible values: out of range for a living patient, a
// temperature in °F, a height in metres, a weight that fits pounds far
// better than kilograms for the patient's age and height.
func (v Vitals) check(born BirthDate, at time.Time) error {
	if t := v.TemperatureC; t >= 86 && t <= 113 {
		return &VitalsError{Field: "temp_c", Msg: fmt.Sprintf("temperature %g looks like degrees Fahrenheit: enter it in °C (%.1f °C)", t, (t-32)*5/9)}
	}
	if h := v.HeightCm; h > 0 && h < 2.6 {
		return &VitalsError{Field: "height_cm", Msg: fmt.Sprintf("height %g looks like metres: enter it in centimetres (%g cm)", h, h*100)}
	}
	if (v.Systolic == 0) != (v.Diastolic == 0) {
		return &VitalsError{Field: "bp_sys", Msg: "give the blood pressure as both numbers, systolic/diastolic (120/80)"}
	}
	for _, r := range []vitalRange{
		{"temp_c", "temperature", "°C", v.TemperatureC, 25, 45, "check the thermometer and enter the reading in °C"},
		{"pulse", "pulse", "/min", float64(v.Pulse), 20, 250, "count it again for a full minute"},
		{"bp_sys", "systolic blood pressure", "mmHg", float64(v.Systolic), 40, 300, "measure it again"},
		{"bp_dia", "diastolic blood pressure", "mmHg", float64(v.Diastolic), 20, 200, "measure it again"},
		{"resp_rate", "respiratory rate", "/min", float64(v.RespRate), 4, 100, "count it again for a full minute"},
		{"spo2", "SpO2", "%", float64(v.SpO2), 50, 100, "check the probe and read it again"},
		{"weight_kg", "weight", "kg", v.WeightKg, 0.3, 350, "weigh the patient again and enter kilograms"},
		{"height_cm", "height", "cm", v.HeightCm, 20, 250, "measure again and enter centimetres"},
		{"muac_cm", "MUAC", "cm", v.MUACCm, 5, 50, "measure the mid-upper arm again and enter centimetres"},
	} {
		if r.value != 0 && (r.value < r.lo || r.value > r.hi) {
			return &VitalsError{Field: r.field, Msg: fmt.Sprintf("%s %g %s is not plausible (%g–%g %s): %s",
				r.name, r.value, r.unit, r.lo, r.hi, r.unit, r.hint)}
		}
	}
	if v.Systolic != 0 && v.Diastolic >= v.Systolic {
		return &VitalsError{Field: "bp_dia", Msg: fmt.Sprintf("blood pressure %d/%d: the diastolic must be lower than the systolic; enter systolic/diastolic", v.Systolic, v.Diastolic)}
	}
	if err := v.checkPounds(born, at); err != nil {
		return err
	}
	if b := v.BMI(); b != 0 && (b < 7 || b > 100) {
		return &VitalsError{Field: "weight_kg", Msg: fmt.Sprintf("weight %g kg and height %g cm do not fit together (BMI %.1f): check both", v.WeightKg, v.HeightCm, b)}
	}
	return nil
}

// checkPounds flags a weight that looks like pounds typed as kilograms:
// with a height, a BMI over 50 that would be 12–45 in pounds; without one,
// more than the heaviest plausible weight for the age that would be under
// it in pounds. The clinician may confirm it.
func (v Vitals) checkPounds(born BirthDate, at time.Time) error {
	w := v.WeightKg
	if w == 0 || v.WeightConfirmed {
		return nil
	}
	asKg := w / lbPerKg
	var why string
	if v.HeightCm > 0 {
		bmi := v.BMI()
		inLb := Vitals{WeightKg: asKg, HeightCm: v.HeightCm}.BMI()
		if bmi <= 50 || inLb < 12 || inLb > 45 {
			return nil
		}
		why = fmt.Sprintf("for a height of %g cm (BMI %.1f)", v.HeightCm, bmi)
	} else {
		age := -1
		if !born.IsZero() {
			age = born.Age(at)
		}
		limit := heaviestForAge(age)
		if w <= limit || asKg > limit {
			return nil
		}
		why = "for a patient of this age"
		if age >= 0 {
			why = fmt.Sprintf("for a patient aged %d", age)
		}
	}
	return &VitalsError{Field: "weight_kg", Confirmable: true, Msg: fmt.Sprintf(
		"weight %g kg is unlikely %s: if it was weighed in pounds, enter %.1f kg; if %g kg is right, confirm the weight", w, why, asKg, w)}
}

// heaviestForAge is a generous upper bound of body weight (kg) at an age in
// whole years (-1 when unknown), above the heaviest children of the WHO
// and CDC growth references.
func heaviestForAge(age int) float64 {
	limits := []float64{14, 20, 24, 28, 32, 36, 42, 48, 56, 64, 72, 82, 92, 105, 115, 125, 135, 145}
	if age < 0 || age >= len(limits) {
		return 150
	}
	return limits[age]
}
