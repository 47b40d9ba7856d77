// Package app holds Folio's domain types (patients, users, roles, audit
// events) and the services that act on them. It is the only layer that
// decides who may do what: every read or write of PHI goes through a
// Session, which checks the user's role and appends an audit event in the
// same transaction as the change it describes.
//
// Invariants kept here:
//   - app never sees a plaintext key on disk and never writes plaintext: it
//     hands records to a RecordStore that seals them, and turns every search
//     term into a blind-index token before it leaves the package.
//   - a record is never overwritten: amendments, merges and un-merges are new
//     versions that name their parent.
//   - every PHI access, login (failed too), user change, break-glass and
//     verification appends an audit event sealed to the vault's audit key.
//   - every user and key-slot version carries the endorsement of the
//     signed-in user who wrote it (signing.go; the rules are package
//     endorse's), and a user's private signing key exists only in their
//     password slots and in their session's memory while signed in.
//   - the record and blob keys never leave a Session. Sync (package
//     syncer) moves sealed versions and sealed blob files and holds no
//     key: the session opens and checks what comes in before it is stored
//     (incoming.go), writes the blob manifests and the key slots that
//     travel, authenticates the blob files received, and seals the sync
//     bundle's reply key (replica.go). The syncer gets only a narrow
//     signer of the audit trail's keyed head (AuditKey: Sign and Verify)
//     to splice a restored vault's trail. The one exception, by design,
//     is sending while locked: the syncer pushes the versions, audit
//     entries and blob files already sealed here, with no key at all, so
//     it reveals nothing the vault file does not already hold in the same
//     ciphertext (see package syncer).
//
// app imports neither Fyne nor bbolt nor Tink: the parts below it are the
// small interfaces in ports.go and keys.go, wired together by main.go.
package app
