package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"folio/app"
	"folio/classify"
	"folio/printer"
	"folio/visible"
)

// How patients read on screen: the family name in capitals first, so two
// patients who share a given name are told apart at a glance, and the
// date of birth with the age beside it. What a person typed is shown
// through visible.Line: one line, a right-to-left override or an
// invisible character shown as an escape, never obeyed.

// familyText is the family name as rows and titles show it: in capitals.
func familyText(p app.Patient) string { return visible.Line(strings.ToUpper(p.Family)) }

// givenText is the given names, with a leading comma when a family name
// comes before them.
func givenText(p app.Patient) string {
	switch {
	case p.Given == "":
		return ""
	case p.Family == "":
		return visible.Line(p.Given)
	}
	return ", " + visible.Line(p.Given)
}

// displayName is "OKELLO, Mary Akello".
func displayName(p app.Patient) string { return familyText(p) + givenText(p) }

// sexLabel is the administrative sex for people: the drop-down's words,
// and "Sex unknown" rather than a bare "Unknown".
func sexLabel(s app.Sex) string {
	if o := sexOption(s); o != "Unknown" {
		return o
	}
	return "Sex unknown"
}

// sexOptions are the choices of the sex drop-down, in the order a clerk
// meets them.
var sexOptions = []string{"Female", "Male", "Other", "Unknown"}

func sexFromLabel(s string) app.Sex {
	switch s {
	case "Female":
		return app.SexFemale
	case "Male":
		return app.SexMale
	case "Other":
		return app.SexOther
	}
	return app.SexUnknown
}

// sexOption is the drop-down's choice for s.
func sexOption(s app.Sex) string { return s.Label() }

// ageText is a short age: "41 y", and "7 mo" or "12 d" for a baby whose
// date of birth is known.
func ageText(b app.BirthDate, now time.Time) string {
	if b.IsZero() {
		return ""
	}
	years := b.Age(now)
	if years >= 2 || b.Month == 0 {
		if years < 0 {
			return ""
		}
		return fmt.Sprintf("%d y", years)
	}
	day := max(b.Day, 1)
	born := time.Date(b.Year, time.Month(b.Month), day, 0, 0, 0, 0, time.UTC)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	months := (today.Year()-born.Year())*12 + int(today.Month()) - int(born.Month())
	if today.Day() < born.Day() {
		months--
	}
	if months >= 1 {
		return fmt.Sprintf("%d mo", months)
	}
	if b.Day == 0 {
		return "under 1 mo"
	}
	return fmt.Sprintf("%d d", int(today.Sub(born).Hours()/24))
}

// birthText is "1984-03-12 (41 y)", or "about 1970 (about 55 y)" for an
// estimated date.
func birthText(b app.BirthDate, now time.Time) string {
	if b.IsZero() {
		return "date of birth unknown"
	}
	d := strings.TrimSuffix(b.String(), "~")
	age := ageText(b, now)
	if b.Estimated {
		return fmt.Sprintf("about %s (about %s)", d, age)
	}
	return fmt.Sprintf("%s (%s)", d, age)
}

// docTypeText is a document's type as a title shows it ("Lab result"):
// the type is a record's text, which another workstation or a cover
// sheet may have written, so it goes through visible.Line.
func docTypeText(slug string) string { return visible.Line(app.DocTypeLabel(slug)) }

// userText is "Grace Nakato (grace)", or the user name alone.
func userText(u app.User) string {
	if u.FullName == "" {
		return visible.Line(u.Name)
	}
	return visible.Line(u.FullName + " (" + u.Name + ")")
}

// kinText is "Peter Okello (brother), 0772 123 456".
func kinText(k app.NextOfKin) string {
	s := k.Name
	if k.Relationship != "" {
		if s != "" {
			s += " "
		}
		s += "(" + k.Relationship + ")"
	}
	if k.Phone != "" {
		if s != "" {
			s += ", "
		}
		s += k.Phone
	}
	return visible.Line(s)
}

// summary is the one-line detail of a patient under their name: sex, date
// of birth and age, village, phone.
func summary(p app.Patient, now time.Time) string {
	parts := []string{sexLabel(p.Sex), birthText(p.BirthDate, now)}
	if p.Village != "" {
		parts = append(parts, p.Village)
	}
	if p.Phone != "" {
		parts = append(parts, p.Phone)
	}
	return visible.Line(strings.Join(parts, "  ·  "))
}

// whenText is a version's time in the workstation's zone.
func whenText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format("2006-01-02 15:04")
}

// change is one field that differs between two versions of a patient.
type change struct {
	Field, Old, New string
}

// diffPatients lists the fields that differ from a to b, in the order the
// form shows them.
func diffPatients(a, b app.Patient) []change {
	var out []change
	add := func(field, old, new string) {
		if old != new {
			out = append(out, change{Field: field, Old: visible.Text(old), New: visible.Text(new)})
		}
	}
	yes := func(v bool) string {
		if v {
			return "yes"
		}
		return "no"
	}
	add("Family name", a.Family, b.Family)
	add("Given names", a.Given, b.Given)
	add("Other names", strings.Join(a.OtherNames, ", "), strings.Join(b.OtherNames, ", "))
	if a.Sex != b.Sex {
		add("Sex", sexLabel(a.Sex), sexLabel(b.Sex))
	}
	add("Date of birth", a.BirthDate.String(), b.BirthDate.String())
	add("Phone", a.Phone, b.Phone)
	add("National ID", a.NationalID, b.NationalID)
	add("Village", a.Village, b.Village)
	add("Address", a.Address, b.Address)
	add("Next of kin", kinText(a.NextOfKin), kinText(b.NextOfKin))
	add("Notes", a.Notes, b.Notes)
	add("Restricted chart", yes(a.Restricted), yes(b.Restricted))
	add("Merged into", a.MergedInto, b.MergedInto)
	add("Records merged in", fmt.Sprint(len(a.Merged)), fmt.Sprint(len(b.Merged)))
	return out
}

// message turns an error into a sentence for the person at the window.
// It reads only what the error is (errors.Is, errors.As), never its
// text: input refused carries its reason (app.InvalidError,
// classify.RulesError), shown as it is whatever wrapped it; the conditions a clerk meets have their own
// words; anything else is a problem on this computer, said so, with the
// error itself in parentheses for the administrator.
func message(err error) string {
	var (
		wait    *app.WaitError
		roleErr *app.RoleError
		inv     *app.InvalidError
		rules   *classify.RulesError
		large   *app.TooLargeError
		author  *app.NotAuthorError
	)
	switch {
	case err == nil:
		return ""
	case errors.As(err, &inv):
		return sentence(inv.Reason)
	case errors.As(err, &rules):
		return sentence(rules.Reason)
	case errors.As(err, &author):
		return sentence(author.Error())
	case errors.As(err, &large):
		return "The file is " + large.Error() + "."
	case errors.Is(err, app.ErrTooLarge):
		return "The file is too large to import."
	case errors.As(err, &wait):
		return fmt.Sprintf("Too many failed logins. Wait %d s before trying again.", wait.Seconds())
	case errors.Is(err, app.ErrDamaged):
		return "The vault's keys on this computer are damaged, so no password can open them. " +
			"This was not counted as a failed login. Use “Forgot password?” with the recovery key " +
			"from the recovery sheet to set a new password; if that does not work, ask your administrator to restore a backup."
	case errors.Is(err, app.ErrWrongPassword), errors.Is(err, app.ErrUnknownUser):
		return "Wrong user name or password."
	case errors.Is(err, app.ErrUserDisabled):
		return "This user account is disabled; ask an administrator."
	case errors.Is(err, app.ErrTampered):
		return "The vault on this computer is damaged: " + app.ErrTampered.Error() +
			". Stop using it for records and call your administrator to restore a backup."
	case ownWord(err) != nil:
		return sentence(ownWord(err).Error())
	case errors.As(err, &roleErr):
		return sentence(roleErr.Error())
	case errors.Is(err, app.ErrRestricted):
		return "This chart is restricted, and your role does not allow you to open it."
	case errors.Is(err, app.ErrForbidden):
		return "Your role does not allow this."
	case errors.Is(err, app.ErrConflict):
		return "Someone else changed this record; it has been reloaded."
	case errors.Is(err, app.ErrLocked):
		return "The window was locked; log in again."
	case errors.Is(err, app.ErrNotInitialized):
		return "There is no vault on this computer yet."
	case errors.Is(err, app.ErrNoLink):
		return "The archive cannot be reached; Folio keeps working here and sends the changes when it can."
	case errors.Is(err, app.ErrRefused):
		return "The archive refuses this workstation; ask your administrator."
	case errors.Is(err, app.ErrDeleted):
		return "That registration was deleted; reload to see the patient list as it is now."
	case errors.Is(err, app.ErrNotFound):
		return "That is no longer here (it may have been merged, deleted or changed on another workstation); reload and try again."
	case errors.Is(err, app.ErrAlreadyExists):
		return "That already exists; give another name."
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "Stopped before it finished; nothing more was done."
	}
	return "Folio could not do this because of a problem on this computer; try again, and if it happens again, tell your administrator (" +
		visible.Line(err.Error()) + ")."
}

// ownWord returns the error err is whose own text is the sentence a
// clerk reads (message shows it, and no more), or nil.
func ownWord(err error) error {
	for _, own := range []error{
		app.ErrNewerSchema, app.ErrNeedsBreakGlass, app.ErrNoSigningKey, app.ErrScrubPending, app.ErrScanningOff,
		printer.ErrNoPrinter, printer.ErrNotRunning, printer.ErrRefused, printer.ErrUnsupported,
	} {
		if errors.Is(err, own) {
			return own
		}
	}
	return nil
}

// sentence capitalises s and ends it with a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(r)) + s[n:]
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "?") && !strings.HasSuffix(s, "!") {
		s += "."
	}
	return s
}

// plural is "1 patient", "3 patients".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
