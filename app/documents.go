package app

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Record kinds of the scanning pipeline.
const (
	KindBatch    Kind = "batch"
	KindDocument Kind = "document"
)

// BatchStatus is where an imported file stands.
type BatchStatus string

// Batch statuses: stored (the original is safe; analysis pending or
// interrupted), analysed (split into documents), failed (stored, but it
// could not be read: the reason says why).
const (
	BatchStored   BatchStatus = "stored"
	BatchAnalysed BatchStatus = "analysed"
	BatchFailed   BatchStatus = "failed"
)

// Batch is one imported file: the encrypted original and what became of it.
type Batch struct {
	ID        string      `json:"id"`
	Name      string      `json:"name"`     // the file's name where it came from
	Source    string      `json:"source"`   // "import", "drop folder /srv/scans", "app"
	Original  string      `json:"original"` // blob id of the original file
	Size      int64       `json:"size"`
	Format    string      `json:"format,omitempty"`
	Pages     int         `json:"pages,omitempty"`
	Status    BatchStatus `json:"status"`
	Error     string      `json:"error,omitempty"`
	Documents []string    `json:"documents,omitempty"`
	Imported  time.Time   `json:"imported"`
	Operator  string      `json:"operator"` // who scanned or imported it
	Device    string      `json:"device"`
	Version   Version     `json:"-"`
}

// DocStatus is a document's place in the indexing workflow.
type DocStatus string

// Document statuses: queued (a person must confirm patient, type or date),
// indexed (filed in a chart), verified (a second person checked it).
const (
	DocQueued   DocStatus = "queued"
	DocIndexed  DocStatus = "indexed"
	DocVerified DocStatus = "verified"
	// DocMerged is a document whose pages were moved into another
	// (MergedInto); it is kept, empty, so its history stays readable.
	DocMerged DocStatus = "merged"
)

// DocPage is one page of a document: where it came from and its derived,
// encrypted images and text.
type DocPage struct {
	Batch      string  `json:"batch"`
	Index      int     `json:"index"` // page index in the batch file
	View       string  `json:"view"`  // blob ids
	Thumb      string  `json:"thumb"`
	Text       string  `json:"text,omitempty"`
	Words      string  `json:"words,omitempty"` // blob of the OCR word boxes (JSON)
	TextSource string  `json:"text_source,omitempty"`
	Confidence float64 `json:"confidence,omitempty"`
	Rotation   int     `json:"rotation,omitempty"` // detected and applied by the scan worker
	// Turn is a further clockwise turn (0, 90, 180, 270) a person asked
	// for; viewers and exports apply it.
	Turn   int `json:"turn,omitempty"`
	Width  int `json:"width"`
	Height int `json:"height"`
	// LeftOut says why a page in Document.Removed is not part of the
	// document (leftout.go); empty for the document's pages.
	LeftOut LeftOut `json:"left_out,omitempty"`
	// Barcodes are the codes read on the page, boxed on its viewing image
	// (sheets' codes are on sheets, which are not pages of a document).
	Barcodes []Barcode `json:"barcodes,omitempty"`
}

// Provenance records how a scanned document was made, as IHE XDS-SD keeps
// it for scanned documents: who scanned it, on what, when.
type Provenance struct {
	Operator string    `json:"operator"`
	Source   string    `json:"source"`
	Device   string    `json:"device"`
	Scanned  time.Time `json:"scanned"`
}

// Document is a filed (or waiting) scanned document.
type Document struct {
	ID        string    `json:"id"`
	PatientID string    `json:"patient_id,omitempty"`
	MRN       string    `json:"mrn,omitempty"`
	Type      string    `json:"type"`
	Date      time.Time `json:"date,omitzero"` // date of service
	Status    DocStatus `json:"status"`
	// Orphan marks a document whose sheet or text names a patient the
	// index does not know: the records clerk resolves it.
	Orphan bool      `json:"orphan,omitempty"`
	Pages  []DocPage `json:"pages"`
	// ArchiveIDs are the archive identifiers on the pages (codes marked
	// Barcode.ArchiveID), each once, in page order; every write of the
	// document sets them from its pages.
	ArchiveIDs []string `json:"archive_ids,omitempty"`
	Expected   int      `json:"expected_pages,omitempty"`
	Problems   []string `json:"problems,omitempty"`
	// Proposals the pipeline made, with reasons, for the indexing clerk.
	ProposedPatient Proposal   `json:"proposed_patient,omitzero"`
	ProposedType    Proposal   `json:"proposed_type,omitzero"`
	ProposedDate    Proposal   `json:"proposed_date,omitzero"`
	Provenance      Provenance `json:"provenance"`
	Changed         time.Time  `json:"changed"`
	ChangedBy       string     `json:"changed_by"`
	VerifiedBy      string     `json:"verified_by,omitempty"`
	// QA marks a filed document chosen for the second-person check (by
	// sampling, or because something about it needs a look).
	QA         bool   `json:"qa,omitempty"`
	MergedInto string `json:"merged_into,omitempty"`
	// Removed are the left-out pages that came with the document, in page
	// order, each with its reason: found blank, the sheet that started it,
	// taken out by a person. They stay here (and in the batch's original)
	// until a person restores one (leftout.go).
	Removed []DocPage `json:"removed,omitempty"`
	// Learned is what the document taught each workstation's type
	// proposals when it was filed there (typeproposals.go).
	Learned []Learning `json:"learned,omitempty"`
	Version Version    `json:"-"`
}

// blobID derives a blob's id from its content with the vault's PRF, so the
// same file imported twice is recognised while the id reveals nothing.
func blobID(k Keyring, kind string, data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(k.Token([]byte("blob:" + kind + ":" + hex.EncodeToString(sum[:]))))
}

func decodeBatch(rec StoredRecord) (Batch, error) {
	return decodeRecord[Batch](rec, "batch")
}

func (b *Batch) setVersion(v Version) { b.Version = v }

func decodeDocument(rec StoredRecord) (Document, error) {
	return decodeRecord[Document](rec, "document")
}

func (d *Document) setVersion(v Version) { d.Version = v }
