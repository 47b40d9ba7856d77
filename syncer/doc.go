// Package syncer is the workstation's sync engine: it pushes the vault's
// new record versions, audit entries and blobs to the organisation's
// archive and pulls everyone else's, whenever a link exists.
//
// A round (Engine.Round) does, in order: push record versions and audit
// entries (metadata first), pull the changes of the other workstations,
// then move blobs in both directions by priority — page text and
// thumbnails, then page images, then the scanned originals; within a
// class the documents of the patients this session opened come first.
// Blob chunks travel on ClientOptions.BlobConnections parallel TCP
// connections beside the main one (a lossy, slow link keeps busy), under
// one bandwidth cap. Without a link, Engine.Bundles().Export and Import
// carry the same exchange on a USB stick as a sync bundle (bundle.go).
// RecordStates tells the window each record's state (pending, sent,
// conflict, error); SetAside lists incoming changes that did not open.
//
// The Engine keeps the round itself: construction, Round and Run, the
// push (push.go) and the pull (pull.go), its state and Status. The rest
// are small types made from it, each with one job, as app's services are
// made from the session: Engine.Blobs (blobs.go, mover.go, repair.go)
// moves blob files by priority and repairs a damaged one from the
// archive's copy; Engine.Bundles (bundle.go) is the sync by bundle;
// restore (restore.go) catches up a vault restored from a backup;
// refusedOwn (ownrefused.go) sets aside this workstation's own user and
// key-slots versions the archive refuses. The online push and the bundle
// export cut their batches in one function (cutBatch).
//
// Engine.Run repeats rounds in the background: at once when the vault has
// new changes, every few minutes otherwise, and after a failure with
// exponential backoff and jitter. It never holds a vault transaction
// across the network, so the person using the app is never blocked. An
// engine without a session (the window locked: no keys) only sends —
// versions, audit entries, and the local blobs the archive lacks — and
// leaves taking in the others' changes to the next signed-in round.
//
// Around the engine, two types serve the window and the command line.
// Runner (runner.go) is the window's background sync, Serve(ctx): the
// signed-in session's engine, and the send-only one while no one is
// signed in. Admin (admin.go) answers everything the window's Sync page,
// its joining screens and badges, and the 'folio sync' commands ask:
// where the workstation stands (app.SyncState, read from the vault alone),
// enrolling, the workstations waiting for the vault keys and approving
// them, the bandwidth cap, bundles, the set-aside changes. It returns
// app's structs and wraps app.ErrNoLink and app.ErrRefused, so ui and cli
// only present what it says; the sync state's meta keys stay in this
// package.
//
// Invariants:
//   - Nothing is acknowledged before it is durable. A push batch is
//     numbered and its content fixed (oplog entries through a seq, audit
//     entries through a seq) in the vault's meta before it is sent; after
//     a cut the same batch is sent again and the archive answers it once.
//     The oplog is acknowledged only after the archive's answer is stored.
//     The pull cursor advances only after the page is committed.
//   - Versions travel sealed, as written; every incoming version must open
//     with the vault key as exactly that version, or it is set aside
//     (reported, never stored). A user or key-slots version must also be
//     endorsed by a user the rules of package endorse let write it,
//     checked against this vault's own registry of signing keys, and
//     signed for exactly its plaintext, or it is set aside with the
//     version itself and audited (app/incoming.go): a workstation holding
//     the vault keys cannot make users or plant passwords elsewhere, even
//     through an archive that let it.
//   - A blob is uploaded and downloaded in 1 MiB chunks; verified chunks
//     are never sent again, a download resumes from the bytes it holds,
//     and a downloaded blob is used only after its SHA-256 matches the
//     manifest and the whole stream authenticates with the blob key.
//   - A vault restored from a backup is caught up, never cut off: the
//     first round compares it with what the archive holds of this device,
//     fetches back the audit entries sent after the backup, re-links the
//     ones made since after them, numbers batches after the archive's and
//     pulls back its own versions (restore.go).
//   - A workstation shows the archive once that it holds the
//     organisation's vault keys (ShowVault: a claim signed by the vault
//     key, kept in the meta so a send-only round can show it too); the
//     archive refuses another vault's. Joining takes only keys signed by
//     the organisation's vault and that are its keys (ReceiveGrant,
//     app.Vault.CompleteJoin). An archive asking to wait (429) is waited
//     for (RetryWait). A workstation over its storage quota on the archive
//     (api.ErrQuota) keeps what it would send, still receives, says so
//     (QuotaWords) and asks again only after its longest backoff.
//   - Keys stay in package app. The engine holds no key and opens nothing:
//     it reads sealed versions, the oplog, sealed audit entries and sealed
//     blob files from storage, and sends and receives them as they are.
//     Everything that needs a key or the plaintext is a method of the
//     signed-in session's sync service, sess.Replica() (app.Replica, the
//     Session interface; the engine holds that, not the session): opening and checking the
//     versions that come in and this workstation's own users and key
//     slots before they are sent, storing them with their index tokens,
//     reading and writing blob manifests, sharing key slots, indexing a
//     document whose text arrived, authenticating a received blob file,
//     and sealing the bundle's reply key. The session checks and audits
//     those as it does every other access.
//   - The one exception, by design: an engine without a session (the
//     window locked) still sends. It needs no key for that and reveals
//     nothing: what it sends — record versions, audit entries and blob
//     files — was sealed when it was written and leaves byte for byte as
//     the vault file and the blob folder hold it; the blob hashes it
//     computes are of the sealed files (the archive's ids for them); the
//     claim it shows was signed and kept by a signed-in round. It opens
//     nothing, writes no record and takes nothing in: incoming changes,
//     manifests and key slots wait for a sign-in.
//   - State lives in the vault's meta under "sync/" (cursors, batch
//     numbers, countersignatures: no PHI), so a round interrupted by a
//     crash or a closed app resumes where it stopped.
package syncer
