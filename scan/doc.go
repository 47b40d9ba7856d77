// Package scan runs the scan workers: the pure-Go side of reading scanned
// files, which builds without cgo. The page reader itself (MuPDF and
// Tesseract) is package scan/pageread; this package starts it in worker
// subprocesses, speaks to them, and spreads files over them.
//
// # Workers
//
// ServeWorker (worker.go) is the subprocess's loop, `folio scan-worker`
// (pageread.ServeWorker gives it its Reader, pageread.Engine): it
// answers framed requests on stdin and stdout (protocol.go: a type byte, a
// length checked before anything is allocated, a payload). Pool (pool.go)
// is app.Analyzer for the rest of Folio: it starts workers lazily with
// OMP_THREAD_LIMIT=1, spreads the pages of a file over them, kills and
// restarts a worker that crashes or exceeds the per-page time limit (that
// file fails, naming the page; the others go on), and replaces a worker
// with a fresh process between files after RecycleAfter pages. While a
// worker reads a page it reports each stage it starts (stage frames, before
// the page's reply); Pool.AnalyzeProgress passes them on, with each page's
// completion, on the calling goroutine, and Pool.Analyze drops them.
// EngineOptions (options.go) are the reader's options, sent with every
// file.
//
// # Invariants
//
//   - Tesseract runs single-threaded only if OMP_THREAD_LIMIT=1 is in the
//     process environment before the process starts (libgomp reads it once);
//     the pool sets it for its workers.
//   - A worker holds one file open at a time and answers one request at a
//     time; the pool's requests carry the file's id.
//   - A crash or abort inside the reader ends only its worker: the file it
//     was reading fails, naming the page, and the pool starts a new worker.
package scan
