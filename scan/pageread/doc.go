// Package pageread reads scanned and born-digital files page by page: it renders
// each page with MuPDF as a person sees it (with its annotations and form
// fields), takes the PDF text layer where there is one, otherwise OCRs it with Tesseract
// (gosseract), which also finds which way up it lies, looks for barcodes with
// gozxing, flags blank pages, and makes the viewing and thumbnail JPEGs. The
// result is an app.PageAnalysis per page.
//
// This is Folio's one door to cgo (MuPDF, Tesseract, Leptonica): no other
// package of the archive server, the sync engine, storage, crypto or app
// imports it, so those build with CGO_ENABLED=0.
//
// The in-process reader is Engine (one per worker process) and the
// Document it opens. The rest of Folio never calls it directly: it runs in
// the scan worker subprocess, so that a crash or abort inside MuPDF or
// Tesseract ends the worker, not the application. ServeWorker (worker.go)
// is that subprocess, `folio scan-worker`: package scan's worker loop and
// protocol with an Engine as its reader (NewReader). Package scan's Pool
// starts the workers and spreads files over them; ServeIfWorker lets a
// test binary be its own worker.
//
// # What Page does, in order
//
//  1. One render at OCRDPI (for an image file, at its own pixels; for a
//     PDF page that is a scan of 200 to OCRDPI dpi, at the scan's), of the
//     whole page: contents, annotations (FreeText comments, stamps, ink,
//     sticky-note icons) and form fields' appearances (mupdf.go). This is
//     the page's rendering stage (app.StageRendering); everything after it
//     is its reading stage (app.StageOCR), whichever way the text is read.
//     PageProgress reports each stage as it starts.
//  2. Text layer: MuPDF's text of the page's contents; with at least
//     minLayerChars letters and digits the page is not OCR'd, even if it
//     also holds images of text, and its text (TextSource "layer",
//     Confidence 100) is that of the whole page as drawn, followed by the
//     annotations' texts and form fields' values it does not already show
//     (a sticky note's text is never drawn). A page that is OCR'd gets the
//     same PDF text added to its OCR text where the OCR did not read it
//     (annot.go). The render is turned gray; the view image is that
//     render box-filtered down to ViewDPI, kept in colour only when the
//     page has colour.
//  3. Barcodes (barcode.go): on the view image; when that finds no QR code
//     (cover and separator sheets carry one), again on the full render
//     binarised at its Otsu level, and for QR codes once more after a 3×3
//     majority filter that removes scanner speckle. Each code is kept
//     once, boxed in the view's pixels; when step 5 turns the page, the
//     boxes turn with it.
//  4. Blank detection (blank.go) on the gray view, for pages with neither a
//     text layer nor a barcode. A page with any PDF text (a letter or
//     digit), any shown annotation or filled-in field is never blank, how
//     little ink it has notwithstanding. A blank page is not OCR'd, unless
//     it holds faint marks (pale print, pencil, print showing through from
//     the back): then it is, and if it reads as real words (a few sure
//     words, most of those read; blank.go) it is content, not blank.
//     Otherwise it stays blank, its text kept with it while it is left out
//     of its document, ready for a person who puts it back.
//  5. OCR of the full render with gosseract (ocr.go) in automatic layout
//     mode: blocks and columns are found, as `tesseract FILE stdout` finds
//     them, and their lines come out in reading order, down each column,
//     in the text and in the order of the words (which the searchable
//     PDF's text layer keeps). The orientation first (ocr_osd.go): on a
//     page with some ink, Tesseract's orientation data takes a quick look
//     at the gray view (up to 100 characters); a page it is sure of is
//     turned upright and read without orientation (`tesseract --psm 3`);
//     a page it is unsure of, or with little ink, is read as it lies with
//     orientation (`--psm 1`): Tesseract finds the orientation on the
//     blobs of its own layout analysis and reads a page lying on its side
//     or upside down as it reads it upright. A page skewed by a degree or
//     more (fed in at a slant) is straightened for OCR only with
//     Leptonica's pixFindSkew and an area-map rotation (deskew.go), and
//     the words' boxes are turned back onto the page read. Should the words
//     of a line still run down, up or leftwards, the turn they tell is
//     added to the look's; the view and the word boxes are turned by the
//     whole turn, and the boxes scaled into the upright view's pixels.
//     A scanned page is read at its own resolution (scanres.go): a PDF page
//     that is one image covering the page, at the image's pixels per inch
//     on the page, at most the render's and at least minOCRDPI (150); an
//     image file at its own pixels, at most OCRDPI. Reading a 150 or 206
//     dpi scan at 300 only drew up its pixels, at more Tesseract time for
//     no more words. A scan of 200 dpi or more is also drawn at its own
//     resolution (step 1), so barcodes, the blank check and the view go
//     over its own pixels; a coarser one is drawn at OCRDPI and
//     box-filtered down for the OCR.
//  6. The view is encoded as a JPEG of quality 80 and the thumbnail,
//     ThumbWidth wide, of quality 75; gray pages as one-channel JPEGs.
//
// A page with a text layer is not turned: Rotation is 0 and its view is
// drawn as the PDF has it.
//
// # Invariants
//
//   - An Engine and its Documents are not safe for concurrent use: MuPDF
//     contexts and Tesseract handles are single-threaded. Use one Engine per
//     process and one goroutine per Engine.
//   - Tesseract runs single-threaded only if OMP_THREAD_LIMIT=1 is in the
//     process environment before the process starts (libgomp reads it once);
//     the worker's parent sets it.
//   - Open sniffs the format from the bytes, never from the name, and takes
//     only PDF, TIFF, JPEG and PNG. Every error caused by the input wraps
//     app.ErrInvalid and says, in a sentence a clerk understands, what is
//     wrong with the file.
//   - No page is rendered larger than scan.EngineOptions.MaxPixels: a page
//     that would be is rendered at a lower resolution, and a page too large
//     even for the viewing resolution is refused before MuPDF allocates
//     anything.
//   - Every image in a PageAnalysis is upright: View, Thumbnail and the Words
//     boxes (in View pixels) are all turned by PageAnalysis.Rotation.
//
// # Caveats
//
// MuPDF is called through Folio's own small binding (mupdf.go) to the
// library go-fitz bundles, every call inside fz_try. MuPDF can still abort
// the process on some damaged files (go-fitz issues #57, #68, #142), which
// is why the engine lives in a subprocess.
//
// Memory: a render is copied once on its way to Go (MuPDF's pixmap, then
// Go's image), so a page briefly needs about 8 bytes per rendered pixel
// (480 MB at the default MaxPixels), and straightening a skewed page for OCR
// about 3 bytes more per pixel while it is read (Leptonica's copy, its
// turned page, and that page in Go); MuPDF reads an open file's bytes where
// they are (pinned), uncopied. gosseract does not free the word strings Tesseract
// returns (a few kilobytes per OCR'd page), which is why Pool recycles
// workers. MuPDF prints warnings about damaged files on stderr.
package pageread
