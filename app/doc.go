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
// # The core and the services
//
// Session is the core: the unlocked keys, the signed-in user and their
// signing key, the clock (through its Vault), the role check (require),
// the audit writer (audit, stamp, Checkpoint) and the atomic write of
// records with their audit event (commit, commitVersions). It holds no
// domain's use cases: its methods are those, the session's own (User,
// Locked, Lock, SigningKey) and the service constructors. Beside them it
// holds a few small internal parts, fields made with the session
// (newSession), each a struct holding the session with one job, which
// every service may use:
//
//	s.charts  // access.go: the patient cache, resolve, the restricted-chart rule (canOpen, readGrant), the start of a chart act (open)
//	s.docs    // docaccess.go, docview.go: the document guard (open, visible) and the document reads and writes behind it
//	s.encode  // indextokens.go and each kind's file: a record version with its blind-index tokens, also one written elsewhere (indexTokens)
//	s.signing // signing.go, users.go, notesig.go: endorsing versions with the user's signing key, the password slots that carry it, and signing notes and addenda with it (and checking those signatures)
//	s.learner // typeproposals.go: the learned type evidence the document writes keep in line
//
// Each domain is a service: a small struct holding the session, made by a
// Session method of the domain's name, with only that domain's methods:
//
//	sess.Patients().Register(ctx, p)               // patients.go, search.go, delete.go
//	sess.Documents().Page(ctx, id, 0)              // docview.go, docaccess.go
//	sess.Intake().ImportFile(ctx, name, src, data) // intake.go
//	sess.Indexing().FileDocument(ctx, id, fp)      // indexing.go, leftout.go
//	sess.TypeRules().Set(ctx, rules)               // typeproposals.go
//	sess.Users().Add(ctx, u, password)             // users.go
//	sess.Settings().SetIdleLock(ctx, d)            // settings.go, barcodes.go, intakesettings.go, vault.go, procedurelist.go
//	sess.Audit().Events(ctx, f)                    // audit.go, verify.go, verifynotes.go, scancheck.go
//	sess.Conflicts().Resolve(ctx, k, id, v, m)     // conflicts.go
//	sess.Encounters().Sign(ctx, e)                 // encounters.go, encounter.go, vitals.go, addendum.go, notepdf.go
//	sess.ChartSummary().Summary(ctx, mrn)          // summary.go, summaryentry.go
//	sess.Coding(codes).Assign(ctx, id, a)          // coding.go, codingedits.go, codinganswer.go
//	sess.Completion().All(ctx)                     // completion.go, completionrules.go, completionfind.go, completionindex.go, completionsettings.go
//	sess.Replica().ImportReplicated(ctx, vs)       // replica.go, incoming.go, join.go, refused.go
//
// A service method checks the role with s.require, does its work through
// the core, and writes its change and audit event in one s.commit, the
// same steps every service takes; services never call each other's
// unexported methods, only the core's and its parts'.
//
// A new domain (encounters, coding, chart tracking, disclosures,
// retention) is added the same way without touching the others: its
// types, Permission and Action constants, a file with
//
//	// Encounters records visits and their coding.
//	type Encounters struct{ s *Session }
//
//	// Encounters returns the session's encounter service.
//	func (s *Session) Encounters() Encounters { return Encounters{s} }
//
// and its methods on Encounters, its roles' permissions in roles.go, and a
// record Kind if it stores records. The window and the command line call
// sess.Encounters(); the core does not change.
//
// app imports neither Fyne nor bbolt nor Tink: the parts below it are the
// small interfaces in ports.go and keys.go, wired together by main.go.
package app
