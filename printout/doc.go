// Package printout makes the PDFs Folio prints and exports: cover sheets and
// separator sheets that a clerk prints, puts into a scanning batch and scans
// back in, searchable PDFs of a document's scanned pages, the recovery key
// sheet, the audit report of the events an administrator chose, and a
// signed visit note or a referral letter built from one (clinical.go).
//
// # Invariants
//
//   - A cover sheet's QR code carries exactly [app.CoverSheet.Payload], and a
//     separator sheet's exactly [app.SeparatorPayload]; a cover sheet whose
//     payload [app.ParseSheet] would not read back is refused, not printed.
//     The codes are drawn as vector shapes at a size (QR at least 6 cm, error
//     correction level Q, modules about 2 mm) and with a quiet zone (4
//     modules, nothing else drawn there) meant to survive a cheap laser
//     printer and a poor scanner.
//   - A sheet shows only what [CoverInfo] holds: no other patient data.
//   - A searchable PDF has one page per [Page], sized px*72/DPI points, with
//     the JPEG embedded as it is (DCTDecode, never re-encoded) under an
//     invisible text layer (render mode 3), so the page looks exactly like the
//     scan and its text can be searched and copied. The layer holds the whole
//     page text: the OCR'd words at their boxes, and what the text says
//     beyond them (a sticky note, a stamp's or a form field's text from the
//     scanned PDF) as lines down the page.
//   - Text in any script is accepted: the Go fonts (BSD licence) are embedded
//     as UTF-8 TrueType subsets, and a character outside the Basic
//     Multilingual Plane or not valid UTF-8 is written as U+FFFD rather than
//     failing. Characters the Go fonts have no glyph for (CJK, for one) print
//     as blanks on a sheet but stay searchable in the invisible layer.
//   - A visit note or referral letter is printed only from a signed note,
//     and every one of its pages carries the patient's name, MRN and "Page
//     n of N", so a page that comes loose is still known; its text wraps
//     and flows onto as many pages as it needs.
//   - Nothing here keeps state between calls; every function writes one
//     complete PDF to its writer or returns an error and may have written
//     nothing useful (callers write to a temporary file and rename).
//
// # Libraries
//
// PDFs are written with github.com/go-pdf/fpdf (MIT, pure Go, no
// dependencies). It was chosen over github.com/signintech/gopdf because it
// has what an OCR text layer needs and gopdf lacks: text render mode 3
// (invisible text), raw content operators (Tz horizontal scaling, one path
// for a whole QR code) and JPEG pass-through. Its repository is archived
// (feature-complete, no further releases); the package uses a small, stable
// part of its API, so a move to a fork would be local to this package.
// Barcodes (QR, Code 128, Code 39) are encoded with
// github.com/makiuchi-d/gozxing (MIT), which the scan side also uses to read
// them.
package printout
