// Package crypto holds Folio's keys and does all its encryption; it is the
// only package that imports Tink.
//
// # Key hierarchy
//
//	password ──Argon2id(params in slot header)──▶ slot key ─┐
//	recovery key (160 bits, printed) ──Argon2id(FastKDF)──▶ ├─▶ master key (32 random bytes)
//	                                                        │
//	master key ──HKDF──▶ bundle wrap key: AES-256-GCM over each Tink keyset
//	           ──HKDF──▶ bundle MAC key: HMAC-SHA256 over the whole bundle
//
//	bundle = { record KEK   AEAD, AES-256-GCM      → RecordAEAD: envelope, fresh data key per Encrypt
//	           blob key     StreamingAEAD, AES256-GCM-HKDF, 1 MiB segments → BlobAEAD
//	           index key    PRF, HMAC-SHA256       → Token: 16-byte blind-index tokens
//	           audit-sign   Ed25519                → Sign / Verify checkpoints
//	           audit-seal   HPKE X25519/AES-256-GCM → AuditSealer (public) / OpenAudit
//	           audit public keyset (clear, authenticated by the MAC) }
//
// A key slot wraps the master key, never the data: adding a user or
// changing a password writes a new slot and re-encrypts nothing. A
// password slot also wraps the seed of its user's signing key (format 3),
// which is kept nowhere else. The bundle
// and the slots are stored in clear by the caller; see slot.go and
// bundle.go for their byte layouts.
//
// # Invariants
//
//   - Decoders never panic and never trust sizes: slot, bundle, recovery
//     key and public keyset parsers check every length first. Fuzz tests
//     hold them to it.
//   - Argon2id parameters are bounded (time 1..16, memory 8 MiB..1 GiB,
//     threads 1..16) and checked before hashing, so a forged slot cannot
//     hang the app or exhaust its memory (ErrSlotParams).
//   - A slot is bound to its header and its owner: the associated data is
//     the header plus the user name (or "recovery"), so changing the
//     parameters, the kind or the user makes it fail like a wrong password.
//   - Every byte of a bundle is authenticated; a changed bundle, or a
//     bundle of another vault, fails with app.ErrTampered.
//   - Errors: wrong password or recovery key → app.ErrWrongPassword;
//     failed authentication of a bundle, record, audit event or signature →
//     app.ErrTampered; bad format → ErrMalformed; bad parameters →
//     ErrSlotParams (both also app.ErrDamaged when a stored slot or bundle
//     reads so: damage, not a wrong password); a format newer than this
//     build → app.ErrNewerSchema;
//     use after Close → app.ErrLocked.
//   - A Keyring is safe for concurrent use; Close zeroes the master key and
//     drops every key reference (best effort: Go may have copied bytes). No
//     package-level mutable state.
package crypto
