package app

import (
	"errors"
	"time"
)

// This file holds what the window and the command line are told of this
// workstation's link with the organisation's archive. Package syncer
// answers it (syncer.Admin): app declares the facts, never how they are
// read, so that ui and cli present them without knowing the syncer.

// Errors the sync administration wraps, for callers to say what happens
// next (errors.Is).
var (
	// ErrNoLink: the archive cannot be reached now (no network, the
	// archive down); trying again later may work.
	ErrNoLink = errors.New("the archive cannot be reached")
	// ErrRefused: the archive refuses this workstation (its enrollment was
	// revoked, or it belongs to another organisation).
	ErrRefused = errors.New("the archive refuses this workstation")
)

// Enrollment is what an enrollment file (made by 'folio-archive device
// add') says.
type Enrollment struct {
	Org         string // the organisation
	Workstation string // this workstation's name at the archive
	Address     string // the archive's host:port
	// CAFingerprint is the SHA-256 of the organisation's certificate
	// authority, to compare with what the archive's administrator reads.
	CAFingerprint string
	// Bundles is set when the file has the archive's key for sync bundles.
	Bundles bool
}

// SyncState is where this workstation stands with its archive, as read
// from the vault without asking the archive.
type SyncState struct {
	Enrolled   bool
	Enrollment Enrollment // Address is the one in use (the setting wins)
	Device     string     // this vault's device id
	// WaitingForKeys is set on a workstation that joined and waits for an
	// administrator to send the vault keys; JoinFingerprint is the key
	// fingerprint it shows.
	WaitingForKeys  bool
	JoinFingerprint string
	// Vault is the fingerprint of the organisation's vault this
	// workstation showed the archive ("" before it did).
	Vault string
	// LastSuccess is the end of the last complete round (zero: never).
	LastSuccess time.Time
	// PendingChanges are record versions the archive has not confirmed;
	// PendingScans the scans not uploaded yet, when ScansKnown (a running
	// sync counts them).
	PendingChanges, PendingScans int
	ScansKnown                   bool
	Conflicts                    int
	SetAside                     []SetAsideChange
	// Bandwidth is the cap in bytes per second (0: none).
	Bandwidth int64
}

// SetAsideChange is a change sync set aside: an incoming one that was not
// imported, or (Outgoing) a user or password change made here that the
// archive does not accept, kept here.
type SetAsideChange struct {
	Seq      uint64 // its place in the archive's sequence (outgoing: in this workstation's changes)
	Outgoing bool
	What     string // "patient 0192…", or "" when unknown
	Reason   string
}

// KeyRequest is a workstation's request for the vault keys.
type KeyRequest struct {
	Device      DeviceID
	Name        string
	PublicKey   []byte
	Fingerprint string // the join key's fingerprint, as the joining workstation shows it
	Requested   time.Time
	Granted     time.Time // zero while it waits
}

// SyncItem names a record whose sync state is asked for, with the blobs it
// depends on (a document's page images, text and thumbnails).
type SyncItem struct {
	Kind  Kind
	ID    string
	Blobs []string
}

// RecordSync is where a record stands with the archive, as a badge shows
// it.
type RecordSync int

// Record sync states.
const (
	SyncNone     RecordSync = iota // not synced (no archive): no badge
	SyncSent                       // the archive holds it
	SyncPending                    // a change waits to be sent
	SyncError                      // the archive refused it, or a change of it was set aside
	SyncConflict                   // changed on two workstations at once
)

// SyncStatus is what the sync indicator shows of a running sync
// (syncer.Status.Words puts an engine's status in these words).
type SyncStatus struct {
	Text    string // one line: "Up to date · 12:04", "Offline: retrying in 40 s"
	Detail  string // pending counts, the last error
	Problem bool   // shown in the error colour
	// Conflicts is how many records are in conflict: the indicator then
	// offers the conflicts screen to those who resolve them.
	Conflicts int
	// Settled is set when a round has ended: the screen on show reads the
	// sync states of its records again.
	Settled bool
}
