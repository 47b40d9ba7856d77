package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"folio/app"
	"folio/dropfolder"
	"folio/printout"
	"folio/profile"
	"folio/scan/pageread"
)

// docJSON is the stable JSON shape of a document on the command line.
type docJSON struct {
	ID       string        `json:"id"`
	MRN      string        `json:"mrn"`
	Type     string        `json:"type"`
	Date     string        `json:"date"`
	Pages    int           `json:"pages"`
	Status   app.DocStatus `json:"status"`
	Orphan   bool          `json:"orphan,omitempty"`
	Problems []string      `json:"problems,omitempty"`
	Reason   string        `json:"reason,omitempty"` // why the patient was proposed
	// TypeReason says why the document's type was proposed.
	TypeReason string `json:"type_reason,omitempty"`
	// LeftOut are the pages that came with the document but are not part
	// of it, in page order; `folio doc restore-page` puts one back.
	LeftOut []leftOutJSON `json:"left_out,omitempty"`
	// ArchiveIDs are the archive identifiers on the pages (codes matching
	// the archive-identifier setting); Barcodes every code read.
	ArchiveIDs []string      `json:"archive_ids,omitempty"`
	Barcodes   []barcodeJSON `json:"barcodes,omitempty"`
}

// leftOutJSON is one left-out page of a document.
type leftOutJSON struct {
	Page   int         `json:"page"`   // 1-based, in the scanned file
	Reason app.LeftOut `json:"reason"` // blank, cover sheet, separator sheet, removed
	Text   string      `json:"text"`   // "page 4 left out as blank"
}

// barcodeJSON is one code read on a document's page.
type barcodeJSON struct {
	Page      int    `json:"page"`   // 1-based page of the document
	Format    string `json:"format"` // QR_CODE, CODE_128, CODE_39, DATA_MATRIX
	Value     string `json:"value"`
	ArchiveID bool   `json:"archive_id,omitempty"`
	// Box on the page's viewing image, pixels from the top left.
	X int `json:"x"`
	Y int `json:"y"`
	W int `json:"w"`
	H int `json:"h"`
}

func docToJSON(d app.Document) docJSON {
	date := ""
	if !d.Date.IsZero() {
		date = d.Date.Format(time.DateOnly)
	}
	mrn := d.MRN
	if mrn == "" {
		mrn = d.ProposedPatient.Value
	}
	j := docJSON{ID: d.ID, MRN: mrn, Type: d.Type, Date: date, Pages: len(d.Pages), Status: d.Status,
		Orphan: d.Orphan, Problems: d.Problems, Reason: d.ProposedPatient.Reason, ArchiveIDs: d.ArchiveIDs,
		TypeReason: d.ProposedType.Reason}
	for _, p := range d.Removed {
		j.LeftOut = append(j.LeftOut, leftOutJSON{Page: p.Index + 1, Reason: p.Why(), Text: p.LeftOutLine()})
	}
	for _, c := range d.Codes() {
		j.Barcodes = append(j.Barcodes, barcodeJSON{Page: c.Page + 1, Format: c.Format, Value: c.Value,
			ArchiveID: c.ArchiveID, X: c.X, Y: c.Y, W: c.W, H: c.H})
	}
	return j
}

// leftOutNotes lists a document's left-out pages for a NOTES column; with
// blankOnly, only those found blank (sheets are expected to be left out).
func leftOutNotes(j docJSON, blankOnly bool) []string {
	var out []string
	for _, l := range j.LeftOut {
		if !blankOnly || l.Reason == app.LeftBlank {
			out = append(out, l.Text)
		}
	}
	return out
}

func writeDocs(w io.Writer, docs []app.Document) error {
	return writeTable(w, "ID\tMRN\tTYPE\tDATE\tPAGES\tSTATUS\tNOTES", docs, func(tw io.Writer, d app.Document) {
		j := docToJSON(d)
		notes := strings.Join(j.Problems, "; ")
		if len(j.ArchiveIDs) > 0 {
			notes = strings.TrimPrefix(notes+"; archive ID "+strings.Join(j.ArchiveIDs, ", "), "; ")
		}
		if j.Orphan {
			notes = strings.TrimPrefix(notes+"; orphan: "+j.Reason, "; ")
		}
		if left := leftOutNotes(j, false); len(left) > 0 {
			notes = strings.TrimPrefix(notes+"; "+strings.Join(left, "; "), "; ")
		}
		printf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", j.ID, j.MRN, j.Type, j.Date, j.Pages, j.Status, notes)
	})
}

// importLine is one line of `folio import` output per resulting document
// (or per file that could not be read, or was not taken).
type importLine struct {
	File   string        `json:"file"`
	Status string        `json:"status"` // filed, queued, failed, duplicate, skipped
	Reason string        `json:"reason,omitempty"`
	MRN    string        `json:"mrn,omitempty"`
	Type   string        `json:"type,omitempty"`
	Pages  int           `json:"pages,omitempty"`
	ID     string        `json:"document,omitempty"`
	Doc    app.DocStatus `json:"-"`
}

func importLines(file string, r app.ImportResult) []importLine {
	if r.Batch.Status == app.BatchFailed {
		return []importLine{{File: file, Status: "failed", Reason: "stored, could not be read: " + r.Batch.Error}}
	}
	var out []importLine
	for _, d := range r.Documents {
		l := importLine{File: file, Status: "queued", MRN: docToJSON(d).MRN, Type: d.Type, Pages: len(d.Pages), ID: d.ID}
		switch {
		case r.Duplicate:
			l.Status, l.Reason = "duplicate", "imported before, as batch "+r.Batch.ID
		case d.Status != app.DocQueued:
			l.Status, l.Reason = "filed", d.ProposedPatient.Reason
		case d.Orphan:
			l.Reason = "orphan: " + d.ProposedPatient.Reason
		default:
			l.Reason = strings.Join(append(slices.Clone(d.Problems), "needs a person to confirm the patient"), "; ")
		}
		if blank := leftOutNotes(docToJSON(d), true); len(blank) > 0 && !r.Duplicate {
			l.Reason = strings.TrimPrefix(l.Reason+"; "+strings.Join(blank, "; "), "; ")
		}
		out = append(out, l)
	}
	if r.Duplicate && r.Withheld > 0 {
		out = append(out, importLine{File: file, Status: "duplicate", Reason: "already imported, and filed to a chart you may not open"})
	}
	if len(out) == 0 {
		// Every analysed file is at least one document (one of no pages
		// waits in the queue); a batch still stored is being read.
		l := importLine{File: file, Status: "stored", Reason: "the original is stored; its pages are still being read (by another import, `folio watch` or the window): see `folio queue list` once they are"}
		if r.Batch.Status != app.BatchStored {
			l.Status, l.Reason = "failed", "stored, but no page of it could be read"
		}
		out = append(out, l)
	}
	return out
}

// importFile is a file `folio import` was asked to take.
type importFile struct {
	path string
	// named: the person named it on the command line, so a link is read
	// through (they chose it); a link found in a folder is skipped.
	named bool
}

// expandFiles lists the files named, walking directories (hidden files and
// folders skipped; links and other entries that are not folders listed, for
// the reader to skip), sorted.
func expandFiles(args []string) ([]importFile, error) {
	var files []importFile
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", a, err)
		}
		if !st.IsDir() {
			files = append(files, importFile{path: a, named: true})
			continue
		}
		// A named folder may be a link to one: walk what it points to.
		err = filepath.WalkDir(filepath.Join(a, "."), func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if p != a && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.IsDir() {
				files = append(files, importFile{path: p})
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	slices.SortFunc(files, func(a, b importFile) int { return strings.Compare(a.path, b.path) })
	return files, nil
}

func importCommand(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "import FILE|DIR...",
		Short: "import scanned files: store, read, split and file them; one line per resulting document",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			files, err := expandFiles(args)
			if err != nil {
				return usageError{err}
			}
			return e.inSession(cmd.Context(), func(s *app.Session) error {
				out := cmd.OutOrStdout()
				tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
				failed, skipped := 0, 0
				var all []importLine
				for i, r := range importAll(cmd.Context(), s, files) {
					if r.err != nil && cmd.Context().Err() != nil {
						return errors.New("stopped: the files listed above are imported, the others are not (a file that was being read is finished by `folio watch` or the window); run the import again for the rest")
					}
					if r.err != nil {
						return fmt.Errorf("import %s: %w", files[i].path, r.err)
					}
					for _, l := range r.lines {
						switch l.Status {
						case "failed":
							failed++
						case "skipped":
							skipped++
						}
						all = append(all, l)
						if !asJSON {
							printf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", l.Status, l.File, l.MRN, l.Type, pages(l.Pages), l.Reason)
							tw.Flush()
						}
					}
				}
				if asJSON {
					if all == nil {
						all = []importLine{}
					}
					return writeJSON(out, all)
				}
				var problems []string
				if skipped > 0 {
					problems = append(problems, fmt.Sprintf("%d of %d files were skipped (not read, not stored)", skipped, len(files)))
				}
				if failed > 0 {
					problems = append(problems, fmt.Sprintf("%d of %d files could not be read (they are stored)", failed, len(files)))
				}
				if problems != nil {
					return fmt.Errorf("%s; see the reasons above", strings.Join(problems, "; "))
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}

// fileImport is what became of one file of `folio import`.
type fileImport struct {
	lines []importLine
	err   error // the vault could not take the file (not: the file is bad)
}

// importAll imports files side by side, one per CPU, so single-page files
// keep every scan worker busy, and yields the results in the files' order
// as they become ready. Stopping the loop early cancels the rest. Each
// file is read with dropfolder.ReadFile: regular files only, links only
// when named, the size checked before reading.
func importAll(ctx context.Context, s *app.Session, files []importFile) iter.Seq2[int, fileImport] {
	return func(yield func(int, fileImport) bool) {
		var wg sync.WaitGroup
		defer wg.Wait()
		ctx, cancel := context.WithCancel(ctx)
		defer cancel() // before the wait: the files not yet done stop
		results := make([]chan fileImport, len(files))
		for i := range results {
			results[i] = make(chan fileImport, 1)
		}
		sem := make(chan struct{}, runtime.NumCPU())
		wg.Add(1)
		go func() { // starts the files in order, as slots free up
			defer wg.Done()
			for i, f := range files {
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					for _, r := range results[i:] {
						r <- fileImport{err: ctx.Err()}
					}
					return
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer func() { <-sem }()
					results[i] <- importOne(ctx, s, f)
				}()
			}
		}()
		for i := range files {
			if !yield(i, <-results[i]) {
				return
			}
		}
	}
}

// importOne reads and imports one file of `folio import`.
func importOne(ctx context.Context, s *app.Session, f importFile) fileImport {
	data, err := dropfolder.ReadFile(ctx, f.path, dropfolder.ReadOptions{FollowLinks: f.named})
	if ctx.Err() != nil {
		return fileImport{err: ctx.Err()}
	}
	if err != nil { // not read, not stored
		var skip *dropfolder.SkipError
		if errors.As(err, &skip) {
			err = skip.Reason
		}
		return fileImport{lines: []importLine{{File: f.path, Status: "skipped", Reason: err.Error()}}}
	}
	r, err := s.Intake().ImportFile(ctx, filepath.Base(f.path), "import", data)
	return fileImport{lines: importLines(f.path, r), err: err}
}

func coversheetCommand(e *env) *cobra.Command {
	var patient, docType, date, out string
	var pages int
	cmd := &cobra.Command{
		Use:   "coversheet --patient MRN --type TYPE [--date YYYY-MM-DD] [--pages N] --out FILE.pdf",
		Short: "print a cover sheet: a batch scanned behind it files itself",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !slices.Contains(app.DocumentTypes, docType) {
				return usageError{fmt.Errorf("document type %q: use one of %s", docType, strings.Join(app.DocumentTypes, ", "))}
			}
			d, err := serviceDate(date)
			if err != nil {
				return err
			}
			sheet := app.CoverSheet{Type: docType, Pages: pages, Date: d}
			return e.inSession(cmd.Context(), func(s *app.Session) error {
				p, err := s.Patients().Open(cmd.Context(), patient)
				if err != nil {
					return err
				}
				sheet.MRN = p.MRN
				var buf bytes.Buffer
				info := printout.CoverInfo{Sheet: sheet, PatientName: strings.ToUpper(p.Family) + ", " + p.Given,
					BirthDate: p.BirthDate.String(), TypeLabel: app.DocTypeLabel(docType), PrintedBy: s.User().Name, PrintedAt: time.Now()}
				if err := printout.CoverSheetPDF(&buf, info); err != nil {
					return err
				}
				return writeOut(out, buf.Bytes(), cmd.OutOrStdout())
			})
		},
	}
	cmd.Flags().StringVar(&patient, "patient", "", "the patient's MRN")
	cmd.Flags().StringVar(&docType, "type", "", "document type: "+strings.Join(app.DocumentTypes, ", "))
	cmd.Flags().StringVar(&date, "date", "", "date of service, YYYY-MM-DD")
	cmd.Flags().IntVar(&pages, "pages", 0, "pages that follow the sheet (checked when scanned)")
	cmd.Flags().StringVar(&out, "out", "", "the PDF file to write")
	_ = cmd.MarkFlagRequired("patient")
	_ = cmd.MarkFlagRequired("type")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

// serviceDate reads a document's --date of service, YYYY-MM-DD; empty is
// none.
func serviceDate(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, usageError{fmt.Errorf("date %q: use YYYY-MM-DD", s)}
	}
	return t, nil
}

// writeOut writes a file atomically (temp, fsync, rename).
func writeOut(path string, data []byte, stdout io.Writer) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".folio-*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	printf(stdout, "wrote %s\n", path)
	return nil
}

func separatorCommand(e *env) *cobra.Command {
	var out string
	var n int
	cmd := &cobra.Command{
		Use:   "separator --out FILE.pdf [--count N]",
		Short: "print separator sheets: each starts a new document in a scanned batch",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if n < 1 || n > 500 {
				return usageError{errors.New("--count must be between 1 and 500")}
			}
			var buf bytes.Buffer
			if err := printout.SeparatorSheetPDF(&buf, n); err != nil {
				return err
			}
			return writeOut(out, buf.Bytes(), cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "the PDF file to write")
	cmd.Flags().IntVar(&n, "count", 1, "how many sheets")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

func docCommand(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "doc", Short: "list, show and export scanned documents"}
	var patient, reason string
	var asJSON bool
	cmd.PersistentFlags().StringVar(&reason, "reason", "", "break-glass reason, for a document in a restricted chart (recorded in the audit)")
	list := &cobra.Command{
		Use:   "list --patient MRN",
		Short: "a patient's documents, newest first",
		Args:  cobra.NoArgs,
		RunE: e.signedIn(func(cmd *cobra.Command, _ []string, s *app.Session) error {
			if err := breakGlass(cmd.Context(), s.Patients(), patient, reason); err != nil {
				return err
			}
			docs, err := s.Documents().OfPatient(cmd.Context(), patient)
			if err != nil {
				return err
			}
			return printDocs(e, cmd, docs, asJSON)
		}),
	}
	list.Flags().StringVar(&patient, "patient", "", "the patient's MRN")
	list.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	_ = list.MarkFlagRequired("patient")

	var showJSON bool
	show := &cobra.Command{
		Use:   "show ID",
		Short: "one document: patient, type, date, pages, provenance, and its text",
		Args:  cobra.ExactArgs(1),
		RunE: e.signedIn(func(cmd *cobra.Command, args []string, s *app.Session) error {
			if err := breakGlass(cmd.Context(), s.Documents(), args[0], reason); err != nil {
				return err
			}
			d, err := s.Documents().Open(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if showJSON {
				return writeJSON(cmd.OutOrStdout(), d)
			}
			out := cmd.OutOrStdout()
			if err := writeDocs(out, []app.Document{d}); err != nil {
				return err
			}
			printf(out, "\nscanned %s by %s (%s)\n", d.Provenance.Scanned.Format(time.RFC3339), d.Provenance.Operator, d.Provenance.Source)
			if p := d.ProposedType; p.Value != "" {
				printf(out, "type proposed: %s (%s)\n", p.Value, p.Reason)
			}
			if len(d.ArchiveIDs) > 0 {
				printf(out, "archive IDs: %s\n", strings.Join(d.ArchiveIDs, ", "))
			}
			if codes := d.Codes(); len(codes) > 0 {
				printLine(out, "barcodes:")
				for _, c := range codes {
					printf(out, "  %s\n", d.Describe(c))
				}
			}
			for i := range d.Pages {
				pc, err := s.Documents().Page(cmd.Context(), d.ID, i)
				if err != nil {
					return err
				}
				printf(out, "\n--- page %d (%s) ---\n", i+1, d.Pages[i].TextSource)
				printBlock(out, strings.TrimSpace(pc.Text))
			}
			if len(d.Removed) > 0 {
				printf(out, "\n--- left out (folio doc restore-page %s --page N puts one back) ---\n", d.ID)
				for _, p := range d.Removed {
					printf(out, "%s\n", p.LeftOutLine())
				}
			}
			return nil
		}),
	}
	show.Flags().BoolVar(&showJSON, "json", false, "print JSON")

	var out string
	export := &cobra.Command{
		Use:   "export ID --out FILE.pdf",
		Short: "decrypt a document into a searchable PDF (audited)",
		Args:  cobra.ExactArgs(1),
		RunE: e.signedIn(func(cmd *cobra.Command, args []string, s *app.Session) error {
			if err := breakGlass(cmd.Context(), s.Documents(), args[0], reason); err != nil {
				return err
			}
			var buf bytes.Buffer
			if _, err := s.Documents().ExportPDF(cmd.Context(), args[0], out, &buf); err != nil {
				return err
			}
			return writeOut(out, buf.Bytes(), cmd.OutOrStdout())
		}),
	}
	export.Flags().StringVar(&out, "out", "", "the PDF file to write")
	_ = export.MarkFlagRequired("out")
	cmd.AddCommand(list, show, export)
	cmd.AddCommand(docEditCommands(e)...)
	return cmd
}

func printDocs(e *env, cmd *cobra.Command, docs []app.Document, asJSON bool) error {
	return writeList(cmd, docs, asJSON, docToJSON, "no documents", writeDocs)
}

func searchCommand(e *env) *cobra.Command {
	var patient string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "search TEXT [--patient MRN]",
		Short: "full-text search of scanned documents (every word must appear; words in \"quotes\" one after another)",
		Args:  cobra.MinimumNArgs(1),
		RunE: e.signedIn(func(cmd *cobra.Command, args []string, s *app.Session) error {
			hits, skipped, err := s.Documents().Search(cmd.Context(), strings.Join(args, " "), patient)
			if err != nil {
				return err
			}
			for _, id := range skipped {
				printf(cmd.ErrOrStderr(), "document %s could not be searched: damaged, run folio verify\n", id)
			}
			return writeList(cmd, hits, asJSON, hitToJSON, "no document found", writeHits)
		}),
	}
	cmd.Flags().StringVar(&patient, "patient", "", "only this patient's chart")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}

func queueCommand(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "queue", Short: "the indexing queue: documents waiting for a person, and QA"}
	list := docListCommand(e, "list", "documents waiting to be filed (orphans included), oldest first", app.Indexing.Queue)

	var fp struct{ patient, docType, date string }
	file := &cobra.Command{
		Use:   "file ID --patient MRN --type TYPE [--date YYYY-MM-DD]",
		Short: "file a queued document in a patient's chart (or correct a filed one)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := serviceDate(fp.date)
			if err != nil {
				return err
			}
			p := app.FileParams{Patient: fp.patient, Type: fp.docType, Date: d}
			return e.inSession(cmd.Context(), func(s *app.Session) error {
				d, err := s.Indexing().FileDocument(cmd.Context(), args[0], p)
				if err != nil {
					return err
				}
				printf(cmd.OutOrStdout(), "document %s filed for %s as %s\n", d.ID, d.MRN, d.Type)
				return nil
			})
		},
	}
	file.Flags().StringVar(&fp.patient, "patient", "", "the patient's MRN")
	file.Flags().StringVar(&fp.docType, "type", "", "document type")
	file.Flags().StringVar(&fp.date, "date", "", "date of service, YYYY-MM-DD")
	_ = file.MarkFlagRequired("patient")
	_ = file.MarkFlagRequired("type")

	verify := &cobra.Command{
		Use:   "verify ID",
		Short: "quality check: confirm a filed document (by a second person)",
		Args:  cobra.ExactArgs(1),
		RunE: e.signedIn(func(cmd *cobra.Command, args []string, s *app.Session) error {
			d, err := s.Documents().Verify(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			printf(cmd.OutOrStdout(), "document %s verified by %s\n", d.ID, d.VerifiedBy)
			return nil
		}),
	}
	cmd.AddCommand(list, file, verify,
		docListCommand(e, "qa", "filed documents chosen for the second-person check, oldest first", app.Indexing.QAQueue),
		docListCommand(e, "orphans", "waiting documents that name a patient the index does not know", app.Indexing.Orphans))
	return cmd
}

func scanWorkerCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:    "scan-worker",
		Short:  "internal: the scan worker subprocess (reads files on stdin, answers on stdout)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return pageread.ServeWorker(cmd.Context(), e.Stdin, e.Stdout)
		},
	}
}

func watchCommand(e *env) *cobra.Command {
	var keep bool
	var interval time.Duration
	cmd := &cobra.Command{
		Use:   "watch [DIR]",
		Short: "run the drop-folder intake headless: import every file the scanner writes (default: the drop folder setting)",
		Args:  cobra.MaximumNArgs(1),
		RunE: e.signedInProfile(func(cmd *cobra.Command, args []string, s *app.Session, prof *profile.Profile) error {
			settings := prof.Vault.IntakeSettings(cmd.Context())
			dir := settings.DropFolder
			if len(args) == 1 {
				dir = args[0]
			}
			if dir == "" {
				return usageError{errors.New("no drop folder: name one, or set it with `folio settings drop-folder DIR`")}
			}
			if !cmd.Flags().Changed("keep") {
				keep = settings.Keep
			}
			out := cmd.OutOrStdout()
			print := func(file string, r app.ImportResult, note string) {
				for _, l := range importLines(file, r) {
					printf(out, "%s\t%s\t%s\t%s\t%s\t%s%s\n", l.Status, l.File, l.MRN, l.Type, pages(l.Pages), note, l.Reason)
				}
			}
			in, err := dropfolder.NewIntake(dropfolder.IntakeParams{Dir: dir, Interval: interval, Keep: keep, Importer: s.Intake(),
				Resumed: func(r app.ImportResult) { print(r.Batch.Name, r, "resumed; ") },
				Track: func(name string) (func(app.ImportProgress), func(app.ImportResult, error)) {
					return nil, func(r app.ImportResult, err error) {
						if err == nil {
							print(name, r, "")
						}
					}
				},
				OnError: func(path string, err error) { printf(cmd.ErrOrStderr(), "folio: %s: %v\n", path, err) },
			})
			if err != nil {
				return usageError{err}
			}
			printf(out, "watching %s (Ctrl+C stops)\n", dir)
			return in.Serve(cmd.Context())
		}),
	}
	cmd.Flags().BoolVar(&keep, "keep", false, "leave imported files in the folder (default: the drop folder setting, else remove them once stored encrypted)")
	cmd.Flags().DurationVar(&interval, "interval", time.Second, "how often to look")
	return cmd
}

// hitJSON is a search hit on the command line: the page counts from 1.
type hitJSON struct {
	Document string `json:"document"`
	MRN      string `json:"mrn"`
	Page     int    `json:"page"`
	Snippet  string `json:"snippet"`
}

func hitToJSON(h app.TextHit) hitJSON {
	return hitJSON{h.Document.ID, h.Document.MRN, h.Page + 1, h.Snippet}
}

func writeHits(w io.Writer, hits []app.TextHit) error {
	return writeTable(w, "DOCUMENT\tMRN\tTYPE\tPAGE\tSNIPPET", hits, func(tw io.Writer, h app.TextHit) {
		printf(tw, "%s\t%s\t%s\t%d\t%s\n", h.Document.ID, h.Document.MRN, h.Document.Type, h.Page+1, h.Snippet)
	})
}
