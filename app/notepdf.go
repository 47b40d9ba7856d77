package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// The audited acts of printing an encounter.
const (
	ActNotePrint     Action = "note.print"    // a signed visit note printed or saved as a PDF
	ActReferralPrint Action = "note.referral" // a referral letter built from a signed visit
)

// NotePrint is what a printed visit note shows: the chart's patient, the
// signed encounter with its addenda (oldest first), its coding, and who
// printed it when. Names holds the full names of the users it names
// (clinician, signers, authors of addenda), by user name, where their
// records give one.
type NotePrint struct {
	Patient    Patient
	Encounter  Encounter
	Diagnoses  []Diagnosis // the latest coding, principal first; none until coded
	Procedures []Procedure
	Site       string // the workstation's MRN site prefix
	Names      map[string]string
	PrintedBy  string
	PrintedAt  time.Time // also the time zone every time is printed in
}

// Who is a user as a printout names them: "Full Name (name)", or the
// user name alone.
func (n NotePrint) Who(user string) string {
	if full := n.Names[user]; full != "" && full != user {
		return full + " (" + user + ")"
	}
	return user
}

// ReferralTo is who a referral letter is addressed to, and why.
type ReferralTo struct {
	Recipient string // the clinician and facility, e.g. "Dr Okot, Mulago Hospital"
	Reason    string // the reason for referral; empty takes the visit's reason
}

// ReferralPrint is what a referral letter shows: the visit as NotePrint
// has it, the recipient and the reason, and the chart's summary
// (allergies, active problems, current medications).
type ReferralPrint struct {
	NotePrint
	To      ReferralTo
	Summary Summary
}

// errDraftNotPrinted refuses to print a note that is not signed.
func errDraftNotPrinted(e Encounter) error {
	return Invalidf("the note of this visit (%s) is still a draft: only a signed note can be printed, saved as a PDF or used for a referral letter; ask %s to sign it first",
		e.Time.Format("2006-01-02"), e.Clinician)
}

// NotePDF writes the signed visit note of encounter id to w as a PDF:
// the patient, the visit, its vital signs, note, diagnoses and
// procedures, the signature, and every addendum with its own; the
// patient's name, MRN and "Page n of N" on every page. A draft is
// refused. The print is audited, naming the encounter and the version
// printed, before anything is written.
func (en Encounters) NotePDF(ctx context.Context, id string, w io.Writer) error {
	if en.s.v.cfg.NotePDF == nil {
		return errors.New("print a visit note: no PDF writer is wired")
	}
	ctx, n, err := en.printable(ctx, id, PermEncounterRead, ActNotePrint)
	if err != nil {
		return err
	}
	if err := en.s.audit(ctx, AuditEvent{Action: ActNotePrint, Patient: n.Patient.MRN,
		Object: "encounter/" + n.Encounter.ID + "@" + n.Encounter.Version.String(),
		Detail: fmt.Sprintf("visit note of %s, %d addenda", n.Encounter.Time.Format("2006-01-02"), len(n.Encounter.Addenda))}); err != nil {
		return err
	}
	if err := en.s.v.cfg.NotePDF(w, n); err != nil {
		return fmt.Errorf("write the PDF of the note of encounter %s: %w", n.Encounter.ID, err)
	}
	return nil
}

// ReferralPDF writes a referral letter built from the signed visit of
// encounter id to w as a PDF: addressed to to.Recipient, with the reason
// for referral, the visit's history, examination, assessment and plan,
// its diagnoses, and the allergies, problems and current medications of
// the chart's summary; the referring clinician is the one who signed the
// note. Clinicians write referral letters; a draft is refused. The letter
// is audited with its recipient (a disclosure of the chart) before
// anything is written.
func (en Encounters) ReferralPDF(ctx context.Context, id string, to ReferralTo, w io.Writer) error {
	if en.s.v.cfg.ReferralPDF == nil {
		return errors.New("print a referral letter: no PDF writer is wired")
	}
	to.Recipient, to.Reason = strings.TrimSpace(to.Recipient), strings.TrimSpace(to.Reason)
	if to.Recipient == "" {
		return Invalidf("say who the letter is for: the clinician and the facility, e.g. \"Dr Okot, Mulago Hospital\"")
	}
	ctx, n, err := en.printable(ctx, id, PermEncounterWrite, ActReferralPrint)
	if err != nil {
		return err
	}
	if to.Reason == "" {
		to.Reason = n.Encounter.Reason
	}
	if to.Reason == "" {
		return Invalidf("give the reason for referral: this visit has no reason recorded")
	}
	sum, err := en.s.ChartSummary().Summary(ctx, n.Patient.ID)
	if err != nil {
		return err
	}
	r := ReferralPrint{NotePrint: n, To: to, Summary: sum}
	if err := en.s.audit(ctx, AuditEvent{Action: ActReferralPrint, Patient: n.Patient.MRN,
		Object: "encounter/" + n.Encounter.ID + "@" + n.Encounter.Version.String(),
		Detail: "referral letter to " + to.Recipient + ": " + to.Reason}); err != nil {
		return err
	}
	if err := en.s.v.cfg.ReferralPDF(w, r); err != nil {
		return fmt.Errorf("write the referral letter of encounter %s: %w", n.Encounter.ID, err)
	}
	return nil
}

// printable reads what a print of encounter id shows, after checking the
// role (perm) and the chart-access rule for act: the signed encounter
// with its addenda, the chart's patient, the latest coding, the full
// names of the users it names. A draft is refused. The context returned
// carries the restricted-read grant where the user's role opened a
// restricted chart, for the audit event.
func (en Encounters) printable(ctx context.Context, id string, perm Permission, act Action) (context.Context, NotePrint, error) {
	ctx, e, p, err := en.open(ctx, id, perm, act)
	if err != nil {
		return ctx, NotePrint{}, err
	}
	switch {
	case e.Deleted:
		return ctx, NotePrint{}, fmt.Errorf("%w: encounter %s was deleted (%s)", ErrNotFound, e.ID, e.DeletedReason)
	case e.Signed == nil:
		return ctx, NotePrint{}, errDraftNotPrinted(e)
	}
	if e.Addenda, err = en.addenda(ctx, e); err != nil {
		return ctx, NotePrint{}, err
	}
	if err := sealsIntact(e); err != nil {
		return ctx, NotePrint{}, err
	}
	e.MRN = p.MRN
	coded, err := latestCoding(ctx, en.s, e.ID)
	if err != nil {
		return ctx, NotePrint{}, err
	}
	site, err := en.s.v.SitePrefix(ctx)
	if err != nil {
		return ctx, NotePrint{}, err
	}
	n := NotePrint{Patient: p, Encounter: e, Site: site, Names: map[string]string{},
		PrintedBy: en.s.User().Name, PrintedAt: en.s.v.now().Local()}
	if coded != nil {
		n.Diagnoses, n.Procedures = coded.Diagnoses, coded.Procedures
	}
	users := []string{e.Clinician, e.Signed.By, n.PrintedBy}
	for _, a := range e.Addenda {
		users = append(users, a.By)
	}
	for _, u := range users {
		if _, done := n.Names[u]; done {
			continue
		}
		if n.Names[u], err = en.s.Users().FullName(ctx, u); err != nil && !errors.Is(err, ErrNotFound) {
			return ctx, NotePrint{}, err
		}
	}
	if p.Restricted && en.s.User().Roles.Can(PermRestrictedRead) {
		ctx = withGrant(ctx, PermRestrictedRead)
	}
	return ctx, n, nil
}
