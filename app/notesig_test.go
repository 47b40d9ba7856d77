package app_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"folio/app"
)

// keySignedVisit is a visit of amina by doc, signed, with an addendum
// when addendum.
func keySignedVisit(t *testing.T, c *clinic, addendum bool) app.Encounter {
	t.Helper()
	ctx := context.Background()
	e, err := c.doc.Encounters().Add(ctx, c.amina.MRN, visit(time.Now().Add(-time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	e.Note = app.Note{Assessment: "Pneumonia.", Plan: "Amoxicillin 5 days."}
	if e, err = c.doc.Encounters().Sign(ctx, e); err != nil {
		t.Fatal(err)
	}
	if !addendum {
		return e
	}
	if e, err = c.doc.Encounters().Addendum(ctx, e.ID, "Allergy to penicillin noted: changed to azithromycin."); err != nil {
		t.Fatal(err)
	}
	return e
}

// verifyNotes runs verify as the administrator and returns its problems
// joined, and what it found of the signed notes.
func verifyNotes(t *testing.T, c *clinic) (string, app.NoteCheck) {
	t.Helper()
	r, err := c.admin.Audit().VerifyQuick(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(r.Problems, "\n"), r.SignedNotes
}

// A note and its addendum are signed with their author's key, over what
// they cover, and verify checks both on any workstation's copy.
func TestNoteKeySigned(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	e := keySignedVisit(t, c, true)
	if !e.Signed.KeySigned() || !e.Addenda[0].KeySigned() || !ed25519.PublicKey(e.Signed.Key).Equal(ed25519.PublicKey(c.doc.SigningKey())) {
		t.Fatalf("signature: %+v, addendum %+v", e.Signed, e.Addenda[0])
	}
	got, err := c.grace.Encounters().Open(ctx, e.ID)
	if err != nil || !got.Signed.KeySigned() || len(got.Addenda) != 1 {
		t.Fatalf("open: %v %+v", err, got.Signed)
	}
	if problems, n := verifyNotes(t, c); problems != "" || n.Signed != 1 || n.OlderForm != 0 {
		t.Fatalf("verify: %q %+v", problems, n)
	}
}

// Someone holding the vault keys but no clinician's password changes a
// signed note behind the services: with its content hash recomputed, or
// signed again with a key of their own. Opening the note refuses the first,
// and verify reports both in words and fails.
func TestNoteSignatureTampered(t *testing.T) {
	ctx := context.Background()
	_, mallory, _ := ed25519.GenerateKey(rand.Reader)
	var clerk *app.Session
	for _, tc := range []struct {
		name     string
		alter    func(e *app.Encounter)
		openFail bool
		want     string
	}{
		{"plan changed, hash recomputed", func(e *app.Encounter) {
			e.Note.Plan = "Discharge, no treatment."
			app.Reseal(e, nil)
		}, true, "does not match what was signed"},
		{"plan changed, signed with another key", func(e *app.Encounter) {
			e.Note.Plan = "Discharge, no treatment."
			app.Reseal(e, mallory)
		}, false, "was not made with a signing key doc's user records here ever gave them"},
		{"signed again by a records clerk", func(e *app.Encounter) { clerk.SignAs(e) }, false,
			"grace was not a clinician when it was signed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			clerk = c.grace
			e := keySignedVisit(t, c, false)
			if err := c.admin.ForgeEncounter(ctx, e.ID, tc.alter); err != nil {
				t.Fatal(err)
			}
			_, err := c.grace.Encounters().Open(ctx, e.ID)
			if tc.openFail != errors.Is(err, app.ErrTampered) {
				t.Fatalf("open of the forged note: %v", err)
			}
			problems, _ := verifyNotes(t, c)
			if !strings.Contains(problems, "the signed note of the visit of") || !strings.Contains(problems, tc.want) {
				t.Fatalf("verify: %q", problems)
			}
		})
	}
}

// A note signed before notes were key-signed (a content hash only) still
// reads, and verify counts it as the older form, not as a problem.
func TestNoteOlderFormReads(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	e := keySignedVisit(t, c, true)
	if err := c.admin.ForgeEncounter(ctx, e.ID, func(e *app.Encounter) { e.Signed.Key, e.Signed.Sig = nil, nil }); err != nil {
		t.Fatal(err)
	}
	got, err := c.doc.Encounters().Open(ctx, e.ID)
	if err != nil || got.Signed.KeySigned() || got.Status() != "signed" {
		t.Fatalf("older form: %v %+v", err, got.Signed)
	}
	if problems, n := verifyNotes(t, c); problems != "" || n.Signed != 1 || n.OlderForm != 1 {
		t.Fatalf("verify: %q %+v", problems, n)
	}
}

// An addendum whose text is changed behind the services, its hash
// recomputed, no longer matches its author's signature: the note does not
// open, and verify reports it.
func TestAddendumSignatureTampered(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	e := keySignedVisit(t, c, true)
	if err := c.admin.ForgeAddendum(ctx, e, e.Addenda[0].ID, "No allergy."); err != nil {
		t.Fatal(err)
	}
	if _, err := c.grace.Encounters().Open(ctx, e.ID); !errors.Is(err, app.ErrTampered) {
		t.Fatalf("open with a forged addendum: %v", err)
	}
	problems, _ := verifyNotes(t, c)
	if !strings.Contains(problems, "the signed note of the visit of") || !strings.Contains(problems, "addendum") {
		t.Fatalf("verify: %q", problems)
	}
}
