package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"folio/app"
	"folio/visible"
)

// Every line the commands print goes through this file: printf and
// printLine for text, printBlock for multi-line text, writeJSON for JSON.
// What they print may come from a person or a file (names, reasons, file
// names, page text), and a terminal obeys what it is sent: a newline in a
// break-glass reason would print a fake audit row, an escape sequence could
// hide the rest of a line, a right-to-left override could reverse it. So
// every value is passed through visible.Line first, and only the command's own
// format string lays out lines and columns. TestOutputGoesThroughPrinters
// keeps other files of the package from writing to a terminal any other
// way.

// printf is fmt.Fprintf for text a person reads: every argument that is
// text (a string of any string type, an error, a Stringer, a list of
// strings) is printed through visible.Line; numbers and the format are as
// given.
func printf(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, format, visibleArgs(args)...)
}

// printLine is fmt.Fprintln for text a person reads, each argument
// through visible.Line as printf does.
func printLine(w io.Writer, args ...any) {
	fmt.Fprintln(w, visibleArgs(args)...)
}

// printBlock prints text of many lines, such as a page's text, indented by
// two spaces: each line through visible.Line, so the text can neither hide
// characters nor print a line that looks like the command's own (those
// start at the margin).
func printBlock(w io.Writer, text string) {
	for line := range strings.Lines(text) {
		fmt.Fprintf(w, "  %s\n", visible.Line(strings.TrimSuffix(line, "\n")))
	}
}

func visibleArgs(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = visibleArg(a)
	}
	return out
}

func visibleArg(a any) any {
	switch v := a.(type) {
	case nil:
		return nil
	case error:
		return visible.Line(v.Error())
	case fmt.Stringer:
		return visible.Line(v.String())
	case []string:
		vs := make([]string, len(v))
		for i, s := range v {
			vs[i] = visible.Line(s)
		}
		return vs
	}
	if rv := reflect.ValueOf(a); rv.Kind() == reflect.String {
		return visible.Line(rv.String())
	}
	return a
}

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
	Withheld   bool          `json:"withheld,omitempty"` // a restricted patient found: only name, sex, year of birth, MRN
	MergedInto string        `json:"merged_into,omitempty"`
	Deleted    string        `json:"deleted,omitempty"` // the reason, when the registration was withdrawn
	Version    string        `json:"version,omitempty"`
	Changed    time.Time     `json:"changed,omitzero"`
	ChangedBy  string        `json:"changed_by,omitempty"`
	Score      float64       `json:"score,omitempty"`
	Reasons    []string      `json:"reasons,omitempty"`
}

func toJSON(p app.Patient) patientJSON {
	return patientJSON{MRN: p.MRN, ID: p.ID, Family: p.Family, Given: p.Given, OtherNames: p.OtherNames,
		Sex: p.Sex, DOB: p.BirthDate.String(), Phone: p.Phone, NationalID: p.NationalID, Village: p.Village,
		Address: p.Address, NextOfKin: p.NextOfKin, Notes: p.Notes, Restricted: p.Restricted,
		MergedInto: p.MergedInto, Deleted: p.DeletedReason, Version: p.Version.String(), Changed: p.Changed, ChangedBy: p.ChangedBy}
}

// matchJSON is a search result: a withheld (restricted) patient carries
// only what finding them needs.
func matchJSON(m app.Match) patientJSON {
	j := toJSON(m.Patient)
	j.Score, j.Reasons, j.Withheld = m.Score, m.Reasons, m.Withheld
	if m.Withheld {
		j.Version = ""
	}
	return j
}

// writeJSON prints v as indented JSON. encoding/json escapes C0 controls
// and U+2028/U+2029 but writes DEL, C1 controls and format characters (a
// right-to-left override) as they are; writeJSON escapes those too
// (\u202e), so JSON on a terminal is as safe as text and decodes to the
// same values.
// writeList prints a command's list: with --json an array of each item's
// JSON shape (empty for none), else writeText's lines, or the sentence none
// on the error stream when there is nothing to list.
func writeList[T, J any](cmd *cobra.Command, items []T, asJSON bool, toJSON func(T) J, none string, writeText func(io.Writer, []T) error) error {
	if asJSON {
		out := make([]J, len(items))
		for i, it := range items {
			out[i] = toJSON(it)
		}
		return writeJSON(cmd.OutOrStdout(), out)
	}
	if len(items) == 0 {
		printLine(cmd.ErrOrStderr(), none)
		return nil
	}
	return writeText(cmd.OutOrStdout(), items)
}

// writeOne prints a command's one result: with --json v as JSON, else
// what writeText writes.
func writeOne(cmd *cobra.Command, asJSON bool, v any, writeText func(io.Writer) error) error {
	if asJSON {
		return writeJSON(cmd.OutOrStdout(), v)
	}
	return writeText(cmd.OutOrStdout())
}

func writeJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(jsonVisible(buf.Bytes()))
	return err
}

// jsonVisible escapes the hidden characters encoding/json leaves in its
// output. Those can only stand inside JSON strings, where \uXXXX (a
// surrogate pair beyond U+FFFF) means the same character; the newlines
// are the encoder's indentation.
func jsonVisible(b []byte) []byte {
	escape := func(r rune) bool { return r != '\n' && visible.Hidden(r) }
	if bytes.IndexFunc(b, escape) < 0 {
		return b
	}
	out := make([]byte, 0, len(b)+32)
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		switch {
		case !escape(r):
			out = append(out, b[:size]...)
		case r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			out = fmt.Appendf(out, `\u%04x\u%04x`, r1, r2)
		default:
			out = fmt.Appendf(out, `\u%04x`, r)
		}
		b = b[size:]
	}
	return out
}

// writeTable prints items as a table of aligned columns: the header (the
// column names, tab-separated, as the code writes them), then the line
// row prints of each item.
func writeTable[T any](w io.Writer, header string, items []T, row func(tw io.Writer, it T)) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, it := range items {
		row(tw, it)
	}
	return tw.Flush()
}

// writeMatches prints search results as a table.
func writeMatches(w io.Writer, ms []app.Match, now time.Time) error {
	return writeTable(w, "MRN\tNAME\tSEX\tBORN\tAGE\tVILLAGE\tPHONE\tWHY", ms, func(tw io.Writer, m app.Match) {
		p, why := m.Patient, m.Reasons
		if m.Withheld {
			why = append([]string{"restricted chart: details withheld"}, why...)
		}
		printf(tw, "%s\t%s, %s\t%s\t%s\t%d\t%s\t%s\t%s\n", p.MRN, strings.ToUpper(p.Family), p.Given,
			p.Sex, p.BirthDate, p.BirthDate.Age(now), p.Village, p.Phone, strings.Join(why, ", "))
	})
}

// writePatient prints one patient as aligned fields.
func writePatient(w io.Writer, p app.Patient, now time.Time) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			printf(tw, "%s\t%s\n", k, v)
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
