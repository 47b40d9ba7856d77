package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"folio/app"
)

// A visit signed before notes were key-signed reads as it was, marked as
// the older form; a key-signed one is not marked.
func TestVisitReadingSaysTheOlderForm(t *testing.T) {
	test.NewTempApp(t)
	at := time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	e := app.Encounter{Time: at, Type: app.EncOutpatient, Clinician: "amos", Note: app.Note{Assessment: "Malaria."},
		Signed:  &app.Signature{By: "amos", At: at, Hash: "h"},
		Addenda: []app.Addendum{{By: "bella", At: at, Text: "Added.", Hash: "h"}}}
	if got := allText(newVisitReading(e).box); strings.Count(got, "(older form, not key-signed)") != 2 || !strings.Contains(got, "Malaria.") {
		t.Fatalf("older form:\n%s", got)
	}
	e.Signed.Key, e.Signed.Sig = []byte("k"), []byte("s")
	e.Addenda[0].Key, e.Addenda[0].Sig = []byte("k"), []byte("s")
	if got := allText(newVisitReading(e).box); strings.Contains(got, "older form") {
		t.Fatalf("key-signed:\n%s", got)
	}
}
