package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"folio/app"
)

// A note signed before notes were key-signed reads as it was, marked as
// the older form; a key-signed one says so.
func TestWriteNoteSaysTheSignatureForm(t *testing.T) {
	at := time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	e := app.Encounter{Note: app.Note{Assessment: "Malaria."}, Signed: &app.Signature{By: "amos", At: at, Hash: "h"},
		Addenda: []app.Addendum{{By: "bella", At: at, Text: "Added.", Hash: "h"}}}
	var b bytes.Buffer
	writeNote(&b, e)
	if out := b.String(); !strings.Contains(out, "Signed by amos at ") || !strings.Contains(out, "(older form, not key-signed)\n") ||
		!strings.Contains(out, "Addendum 1, signed by bella at ") || strings.Count(out, "older form") != 2 {
		t.Fatalf("older form:\n%s", out)
	}
	e.Signed.Key, e.Signed.Sig = []byte("k"), []byte("s")
	e.Addenda[0].Key, e.Addenda[0].Sig = []byte("k"), []byte("s")
	b.Reset()
	writeNote(&b, e)
	if out := b.String(); strings.Contains(out, "older form") || strings.Count(out, "(key-signed)") != 2 {
		t.Fatalf("key-signed:\n%s", out)
	}
}
