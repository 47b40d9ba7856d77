package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"folio/app"
)

// patientJSON is the stable JSON shape of a patient on the command line.
type patientJSON struct {
	MRN        string        `json:"mrn"`
	ID         string        `json:"id"`
	Family     string        `json:"family"`
	Given      string        `json:"given"`
	OtherNames []string      `json:"other_names,omitempty"`
	Sex        app.Sex       `json:"sex"`
	DOB        string        `json:"dob"`
	Phone      string        `json:"phone,omitempty"`
	NationalID string        `json:"national_id,omitempty"`
	Village    string        `json:"village,omitempty"`
	Address    string        `json:"address,omitempty"`
	NextOfKin  app.NextOfKin `json:"next_of_kin,omitzero"`
	Notes      string        `json:"notes,omitempty"`
	Restricted bool          `json:"restricted,omitempty"`
	MergedInto string        `json:"merged_into,omitempty"`
	Deleted    string        `json:"deleted,omitempty"` // the reason, when the registration was withdrawn
	Version    string        `json:"version"`
	Changed    time.Time     `json:"changed"`
	ChangedBy  string        `json:"changed_by"`
	Score      float64       `json:"score,omitempty"`
	Reasons    []string      `json:"reasons,omitempty"`
}

func toJSON(p app.Patient) patientJSON {
	return patientJSON{MRN: p.MRN, ID: p.ID, Family: p.Family, Given: p.Given, OtherNames: p.OtherNames,
		Sex: p.Sex, DOB: p.BirthDate.String(), Phone: p.Phone, NationalID: p.NationalID, Village: p.Village,
		Address: p.Address, NextOfKin: p.NextOfKin, Notes: p.Notes, Restricted: p.Restricted,
		MergedInto: p.MergedInto, Deleted: p.DeletedReason, Version: p.Version.String(), Changed: p.Changed, ChangedBy: p.ChangedBy}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeMatches prints search results as a table.
func writeMatches(w io.Writer, ms []app.Match, now time.Time) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MRN\tNAME\tSEX\tBORN\tAGE\tVILLAGE\tPHONE\tWHY")
	for _, m := range ms {
		p := m.Patient
		fmt.Fprintf(tw, "%s\t%s, %s\t%s\t%s\t%d\t%s\t%s\t%s\n", p.MRN, strings.ToUpper(p.Family), p.Given,
			p.Sex, p.BirthDate, p.BirthDate.Age(now), p.Village, p.Phone, strings.Join(m.Reasons, ", "))
	}
	return tw.Flush()
}

// writePatient prints one patient as aligned fields.
func writePatient(w io.Writer, p app.Patient, now time.Time) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s\t%s\n", k, v)
		}
	}
	row("MRN", p.MRN)
	row("Name", strings.ToUpper(p.Family)+", "+p.Given)
	row("Other names", strings.Join(p.OtherNames, "; "))
	row("Sex", string(p.Sex))
	row("Born", fmt.Sprintf("%s (age %d)", p.BirthDate, p.BirthDate.Age(now)))
	row("Phone", p.Phone)
	row("National ID", p.NationalID)
	row("Village", p.Village)
	row("Address", p.Address)
	if k := p.NextOfKin; k.Name != "" {
		row("Next of kin", strings.TrimSpace(fmt.Sprintf("%s (%s) %s", k.Name, k.Relationship, k.Phone)))
	}
	row("Notes", p.Notes)
	if p.Restricted {
		row("Restricted", "yes")
	}
	row("Merged into", p.MergedInto)
	row("Version", fmt.Sprintf("%s by %s at %s", p.Version, p.ChangedBy, p.Changed.Format(time.RFC3339)))
	return tw.Flush()
}

// pages says "1 page" or "n pages".
func pages(n int) string {
	if n == 1 {
		return "1 page"
	}
	return fmt.Sprintf("%d pages", n)
}
