// Package pgstore is the archive's PostgreSQL store, for organisations that
// run several archive processes behind a load balancer: every process
// opens the same database (and schema), and together they behave as one
// archive.
//
// Everything lives in PostgreSQL, blobs included: the record versions and
// the global order (changes), the batch answers (batches), the device
// registry (devices), the audit chains (audit), the certificate bindings,
// the key requests, and the blobs as rows of verified 1 MiB chunks
// (blob_chunks, bytea). Keeping blobs in the database rather than in files
// beside it is deliberate: the archive processes share no filesystem, only
// the database; PostgreSQL stores a 1 MiB bytea out of line (TOAST) without
// trouble; a blob's visibility and its bytes commit in one transaction; and
// one pg_dump (or one base backup) holds the whole archive.
//
// Schema migrations are SQL files under migrations/, embedded in the
// binary and applied by goose at Open. Open holds a PostgreSQL advisory
// lock named after the schema while it migrates, so several processes
// starting at once apply each migration exactly once and none of them
// serves before the schema is current. The Schema option gives a store a
// schema of its own (created if needed); without it the store uses the
// first schema of the connection's search_path.
//
// Invariants (besides archive.Store's):
//   - Pushes are serialised across every process by a row lock on the
//     single head row (SELECT … FOR UPDATE), taken first in the push's
//     transaction; the push numbers its new versions head+1, head+2 … and
//     commits before it releases the lock. Sequence numbers are therefore
//     gap-free and commit in order: a reader whose snapshot holds seq N
//     holds every seq below it, so a pull cursor never skips a change.
//   - A push is one transaction (versions, audit entries, device record,
//     batch answer): it is acknowledged only after COMMIT, and a refused
//     push stores nothing.
//   - A pull reads the head and its page in one REPEATABLE READ snapshot,
//     and first reads only the ciphertext sizes, so a page never loads
//     more than api.MaxPullPageBytes of ciphertext (plus one change).
//   - A chunk row exists only once its length and SHA-256 were checked. A
//     blob becomes complete (visible) only in the transaction that read
//     every chunk back, in order, and found that they hash to its id; that
//     transaction holds the blob's row lock, so two processes never
//     assemble one blob at once. A blob that fails the whole hash is
//     deleted with its chunks.
//   - OpenBlob reads a blob one chunk at a time: at most one chunk (1 MiB)
//     is in memory per open reader, whatever the blob's size.
//   - Kinds, record ids, names and certificate serials are stored as text:
//     a binding whose serial or name is not valid UTF-8 (or holds a NUL) is
//     refused with api.ErrInvalid (the api's validation already refuses
//     such kinds, ids and names).
//   - Times are stored as timestamptz, so they keep microseconds (Go's
//     nanoseconds are truncated); a NULL time is Go's zero time.
package pgstore
