package printout

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"folio/app"
)

func TestRecoveryKeyPDF(t *testing.T) {
	key := "7K3Q-M0ZD-ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-C4K9"
	info := RecoveryKeyInfo{Key: key, Site: "KAB", IssuedBy: "admin", IssuedAt: time.Date(2025, 11, 20, 9, 30, 0, 0, time.UTC)}
	b := pdfBytes(t, func(b *bytes.Buffer) error { return RecoveryKeyPDF(b, info) })
	if dir := os.Getenv("FOLIO_SAVE_PDF"); dir != "" {
		_ = os.WriteFile(dir+"/recovery-key.pdf", b, 0o600)
	}
	doc := openPDF(t, b)
	if doc.NumPage() != 1 {
		t.Fatalf("%d pages", doc.NumPage())
	}
	text := pageText(t, doc, 0)
	for _, want := range []string{"FOLIO RECOVERY KEY", "7K3Q-M0ZD-ABCD", "EFGH-JKMN-PQRS", "TVWX-YZ01-C4K9",
		"MRN site prefix KAB", "admin, 2025-11-20 09:30", "Forgot password? Use the recovery key", "folio user recover NAME"} {
		if !strings.Contains(text, want) {
			t.Errorf("the sheet lacks %q:\n%s", want, text)
		}
	}
	if got := metadata(doc, "title"); got != "Folio recovery key" {
		t.Errorf("title %q", got)
	}
}

func TestRecoveryKeyPDFRefusesBadInput(t *testing.T) {
	for _, key := range []string{"", "  ", "ABCD--EFGH", "ABCD-EF GH", "ABCD-ÉFGH", strings.Repeat("ABCD-", 30)} {
		var b bytes.Buffer
		if err := RecoveryKeyPDF(&b, RecoveryKeyInfo{Key: key}); !errors.Is(err, app.ErrInvalid) || b.Len() != 0 {
			t.Errorf("key %q: %v, %d bytes written", key, err, b.Len())
		}
	}
}
