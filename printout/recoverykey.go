package printout

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"folio/app"
)

// RecoveryKeyInfo is what the recovery key sheet shows: the key and where
// and when it was issued. No patient data.
type RecoveryKeyInfo struct {
	Key      string // as issued: groups of four joined by '-'
	Site     string // the workstation's MRN site prefix; may be empty
	IssuedBy string // the administrator's user name; may be empty
	IssuedAt time.Time
}

// Recovery key sheet texts.
const (
	recoveryWarning = "Anyone who has this key can open every record in this vault. Keep this sheet locked away " +
		"from the computer (a safe, or with the clinic's important papers). Do not keep a photo or a file of it."
	recoveryReplaces = "This key replaces every earlier recovery key of this vault: destroy any older sheet."
	recoveryFileNote = "If this sheet was saved as a file to print it, delete the file once it is printed."
)

var recoverySteps = []string{
	"At the Folio login screen, choose \"Forgot password? Use the recovery key\".",
	"Type the user name whose password is forgotten, then this key. Dashes, spaces and upper or lower case do not matter.",
	"Choose a new password, type it twice, and log in with it. The reset is recorded in the audit trail.",
	"On the command line the same is: folio user recover NAME",
}

// RecoveryKeyPDF writes a one-page A4 recovery key sheet: the key in large
// monospaced characters, three groups a line, with how to use it. A key
// that is not groups of letters and digits joined by '-' is refused with
// an error wrapping [app.ErrInvalid], and nothing is written.
func RecoveryKeyPDF(w io.Writer, info RecoveryKeyInfo) error {
	groups, err := keyGroups(info.Key)
	if err != nil {
		return err
	}
	pdf := newA4("Folio recovery key")
	if !info.IssuedAt.IsZero() {
		pdf.SetCreationDate(info.IssuedAt)
	}
	pdf.AddPage()
	y := 16.0
	y = centred(pdf, y, 14, "B", 28, "FOLIO RECOVERY KEY")
	y += 2
	y = paragraph(pdf, y, "", 11, recoveryWarning)
	y += 4

	issued := info.IssuedBy
	if !info.IssuedAt.IsZero() {
		if issued != "" {
			issued += ", "
		}
		issued += info.IssuedAt.Format("2006-01-02 15:04")
	}
	for _, r := range []struct{ label, value string }{
		{"Workstation", siteText(info.Site)},
		{"Issued", issued},
	} {
		if r.value == "" {
			continue
		}
		pdf.SetFont(fontSans, "", 12)
		pdf.SetTextColor(70, 70, 70)
		pdf.SetXY(sideMargin+6, y)
		pdf.CellFormat(40, 8, r.label, "", 0, "L", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
		pdf.SetFont(fontSans, "B", 12)
		pdf.CellFormat(contentW-46, 8, clean(r.value), "", 0, "L", false, 0, "")
		y += 8
	}
	y += 4

	// The key, boxed: three groups of four a line, as on the screen.
	const lineH = 16.0
	var lines []string
	for i := 0; i < len(groups); i += 3 {
		lines = append(lines, strings.Join(groups[i:min(i+3, len(groups))], "-"))
	}
	boxH := float64(len(lines))*lineH + 10
	pdf.SetDrawColor(0, 0, 0)
	pdf.SetLineWidth(0.6)
	pdf.Rect(sideMargin+10, y, contentW-20, boxH, "D")
	pdf.SetFont(fontMono, "", 30)
	for i, l := range lines {
		pdf.SetXY(sideMargin+10, y+5+float64(i)*lineH)
		pdf.CellFormat(contentW-20, lineH, l, "", 0, "C", false, 0, "")
	}
	y += boxH + 3
	y = centred(pdf, y, 6, "", 10, "Check every character against the screen. The letters O, I and L are never used: 0 and 1 are digits.")
	y += 6

	pdf.SetFont(fontSans, "B", 14)
	pdf.SetXY(sideMargin, y)
	pdf.CellFormat(contentW, 8, "When a password is forgotten", "", 0, "L", false, 0, "")
	y += 9
	for i, s := range recoverySteps {
		pdf.SetFont(fontSans, "B", 11)
		pdf.SetXY(sideMargin, y)
		pdf.CellFormat(8, 6, fmt.Sprintf("%d.", i+1), "", 0, "L", false, 0, "")
		pdf.SetFont(fontSans, "", 11)
		pdf.SetXY(sideMargin+8, y)
		pdf.MultiCell(contentW-8, 6, clean(s), "", "L", false)
		y = pdf.GetY() + 1
	}
	y += 4
	y = paragraph(pdf, y, "B", 11, recoveryReplaces)
	y += 8

	// Lines to fill in by hand.
	pdf.SetFont(fontSans, "", 12)
	pdf.SetLineWidth(0.3)
	for _, label := range []string{"Kept at", "Checked by", "Date"} {
		pdf.SetXY(sideMargin, y)
		pdf.CellFormat(30, 8, label, "", 0, "L", false, 0, "")
		pdf.Line(sideMargin+30, y+7, sideMargin+contentW, y+7)
		y += 12
	}

	pdf.SetTextColor(90, 90, 90)
	paragraph(pdf, a4H-24, "", 9, recoveryFileNote)
	pdf.SetTextColor(0, 0, 0)
	return output(pdf, w, "recovery key")
}

// keyGroups splits a recovery key into its groups, or refuses it.
func keyGroups(key string) ([]string, error) {
	key = strings.ToUpper(strings.TrimSpace(key))
	groups := strings.Split(key, "-")
	if key == "" || len(key) > 80 {
		return nil, app.Invalidf("no recovery key to print")
	}
	for _, g := range groups {
		if g == "" || len(g) > 8 || strings.Trim(g, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			return nil, app.Invalidf("%q is not a recovery key", key)
		}
	}
	return groups, nil
}

func siteText(site string) string {
	if site == "" {
		return ""
	}
	return "MRN site prefix " + site
}

// paragraph writes wrapped text across the page from y and returns the y
// below it.
func paragraph(pdf *fpdf.Fpdf, y float64, style string, size float64, text string) float64 {
	pdf.SetFont(fontSans, style, size)
	pdf.SetXY(sideMargin, y)
	pdf.MultiCell(contentW, size*0.5, clean(text), "", "L", false)
	return pdf.GetY()
}
