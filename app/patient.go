package app

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Sex is the administrative sex recorded at registration (FHIR's codes).
type Sex string

// The administrative sexes.
const (
	SexFemale  Sex = "female"
	SexMale    Sex = "male"
	SexOther   Sex = "other"
	SexUnknown Sex = "unknown"
)

// Label is the sex in words, as forms and printouts show it.
func (s Sex) Label() string {
	switch s {
	case SexFemale:
		return "Female"
	case SexMale:
		return "Male"
	case SexOther:
		return "Other"
	}
	return "Unknown"
}

// ParseSex accepts the FHIR code or its first letter, in any case.
func ParseSex(s string) (Sex, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "female", "f":
		return SexFemale, nil
	case "male", "m":
		return SexMale, nil
	case "other", "o":
		return SexOther, nil
	case "unknown", "u", "":
		return SexUnknown, nil
	}
	return "", Invalidf("sex %q: use female, male, other or unknown", s)
}

// BirthDate is a date of birth that may be known only to the year or month,
// as rural registrations often are. Month and Day are 0 when unknown.
// Estimated marks a date a person guessed ("about 40 years old").
type BirthDate struct {
	Year      int  `json:"y"`
	Month     int  `json:"m,omitempty"`
	Day       int  `json:"d,omitempty"`
	Estimated bool `json:"est,omitempty"`
}

// ParseBirthDate accepts YYYY-MM-DD, YYYY-MM or YYYY; a trailing "~" or a
// leading "about " marks it estimated.
func ParseBirthDate(s string) (BirthDate, error) {
	var b BirthDate
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(strings.ToLower(s), "about "); ok {
		s, b.Estimated = strings.TrimSpace(rest), true
	}
	if rest, ok := strings.CutSuffix(s, "~"); ok {
		s, b.Estimated = rest, true
	}
	parts := strings.Split(s, "-")
	if len(parts) > 3 || s == "" {
		return BirthDate{}, Invalidf("date of birth %q: use YYYY-MM-DD or YYYY", s)
	}
	nums := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || (i == 0 && len(p) != 4) || (i > 0 && len(p) != 2) {
			return BirthDate{}, Invalidf("date of birth %q: use YYYY-MM-DD or YYYY", s)
		}
		nums[i] = n
	}
	b.Year = nums[0]
	if len(nums) > 1 {
		b.Month = nums[1]
	}
	if len(nums) > 2 {
		b.Day = nums[2]
	}
	return b, b.Validate(time.Now())
}

// Validate checks that the date exists and is not in the future.
func (b BirthDate) Validate(now time.Time) error {
	if b.Year < 1880 || b.Year > now.Year() {
		return Invalidf("year of birth %d is not plausible", b.Year)
	}
	if b.Month < 0 || b.Month > 12 || (b.Month == 0 && b.Day != 0) {
		return Invalidf("month of birth %d is not valid", b.Month)
	}
	if b.Day != 0 {
		t := time.Date(b.Year, time.Month(b.Month), b.Day, 0, 0, 0, 0, time.UTC)
		if t.Day() != b.Day {
			return Invalidf("%s is not a real date", b)
		}
		if t.After(now) {
			return Invalidf("date of birth %s is in the future", b)
		}
	}
	return nil
}

// IsZero reports whether no date is recorded.
func (b BirthDate) IsZero() bool { return b.Year == 0 }

// String renders the known part of the date: 1980-04-02, 1980-04 or 1980,
// with "~" after an estimated one.
func (b BirthDate) String() string {
	if b.IsZero() {
		return ""
	}
	s := fmt.Sprintf("%04d", b.Year)
	if b.Month > 0 {
		s += fmt.Sprintf("-%02d", b.Month)
	}
	if b.Day > 0 {
		s += fmt.Sprintf("-%02d", b.Day)
	}
	if b.Estimated {
		s += "~"
	}
	return s
}

// Age returns the age in whole years at now (from the year alone when the
// rest is unknown).
func (b BirthDate) Age(now time.Time) int {
	age := now.Year() - b.Year
	if b.Month > 0 && (int(now.Month()) < b.Month || (int(now.Month()) == b.Month && b.Day > now.Day())) {
		age--
	}
	return age
}

// NextOfKin is the person to contact for a patient.
type NextOfKin struct {
	Name         string `json:"name,omitempty"`
	Relationship string `json:"rel,omitempty"`
	Phone        string `json:"phone,omitempty"`
}

// Patient is one person in the master patient index. Every change is a new
// version; Version is the version this value was read at (the parent of an
// amendment).
type Patient struct {
	ID         string    `json:"id"`
	MRN        string    `json:"mrn"`
	Family     string    `json:"family"`
	Given      string    `json:"given"`
	OtherNames []string  `json:"other_names,omitempty"` // aliases, maiden names, nicknames
	Sex        Sex       `json:"sex"`
	BirthDate  BirthDate `json:"birth_date"`
	NationalID string    `json:"national_id,omitempty"`
	Phone      string    `json:"phone,omitempty"`
	Village    string    `json:"village,omitempty"`
	Address    string    `json:"address,omitempty"`
	NextOfKin  NextOfKin `json:"next_of_kin,omitzero"`
	Notes      string    `json:"notes,omitempty"`
	// Restricted marks a sensitive chart: opening it needs the
	// restricted-read permission or a stated break-glass reason.
	Restricted bool `json:"restricted,omitempty"`
	// MergedInto is the surviving patient's id once this record was merged
	// as a duplicate; Merged lists the ids this record absorbed.
	MergedInto string   `json:"merged_into,omitempty"`
	Merged     []string `json:"merged,omitempty"`
	// Deleted makes this version a tombstone: the registration was made in
	// error and is withdrawn. The record keeps its history and its MRN, but
	// searches no longer show it and opening it says it was deleted, and
	// why (DeletedReason). Patients.Restore undoes it.
	Deleted       bool   `json:"deleted,omitempty"`
	DeletedReason string `json:"deleted_reason,omitempty"`

	Version Version   `json:"-"`
	Changed time.Time `json:"changed"`
	// ChangedBy is the user name that wrote this version.
	ChangedBy string `json:"changed_by"`
}

// Findable is what a search shows of a restricted patient to a user who
// may not open the chart without break-glass: what finding them needs —
// name, sex, year of birth, MRN (and the id that opens the chart) — and
// the restricted flag. National id, address, phone, next of kin, notes,
// other names and the rest are withheld.
func (p Patient) Findable() Patient {
	return Patient{ID: p.ID, MRN: p.MRN, Family: p.Family, Given: p.Given, Sex: p.Sex,
		BirthDate: BirthDate{Year: p.BirthDate.Year, Estimated: p.BirthDate.Estimated}, Restricted: true}
}

// FullName is "Given Family".
func (p Patient) FullName() string { return strings.TrimSpace(p.Given + " " + p.Family) }

// Validate checks the fields a registration needs and trims them.
func (p *Patient) Validate(now time.Time) error {
	p.Family = strings.Join(strings.Fields(p.Family), " ")
	p.Given = strings.Join(strings.Fields(p.Given), " ")
	if p.Family == "" && p.Given == "" {
		return Invalidf("a family or given name is required")
	}
	if p.Sex == "" {
		p.Sex = SexUnknown
	}
	if _, err := ParseSex(string(p.Sex)); err != nil {
		return err
	}
	if p.BirthDate.IsZero() {
		return Invalidf("a date of birth (at least the year) is required")
	}
	if err := p.BirthDate.Validate(now); err != nil {
		return err
	}
	if p.Phone != "" && len(phoneDigits(p.Phone)) < 6 {
		return Invalidf("phone number %q has too few digits", p.Phone)
	}
	names := p.OtherNames[:0]
	for _, n := range p.OtherNames {
		if n = strings.Join(strings.Fields(n), " "); n != "" {
			names = append(names, n)
		}
	}
	p.OtherNames = names
	return nil
}
