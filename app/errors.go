package app

import (
	"errors"
	"fmt"
)

// Sentinel errors callers branch on with errors.Is. Messages are sentences a
// clerk can read; wrap them with what failed.
var (
	ErrNotFound = errors.New("not found")
	// ErrDeleted is a record whose newest version is a tombstone; it is
	// also ErrNotFound.
	ErrDeleted         = fmt.Errorf("%w: the registration was deleted", ErrNotFound)
	ErrConflict        = errors.New("the record was changed by someone else; reload and try again")
	ErrLocked          = errors.New("the vault is locked; log in first")
	ErrWrongPassword   = errors.New("wrong user name or password")
	ErrUnknownUser     = errors.New("wrong user name or password")
	ErrUserDisabled    = errors.New("this user account is disabled; ask an administrator")
	ErrTooManyAttempts = errors.New("too many failed logins")
	ErrForbidden       = errors.New("your role does not allow this")
	ErrNotInitialized  = errors.New("no vault here yet; run 'folio init' or start the app to create one")
	ErrAlreadyExists   = errors.New("already exists")
	ErrInvalid         = errors.New("invalid input")
	ErrTampered        = errors.New("data failed its integrity check (tampered or corrupted)")
	// ErrDamaged means the vault's keys on this computer (a key slot or
	// the key bundle) are damaged: no password can open them. It is not a
	// wrong password and does not count toward the login delay.
	ErrDamaged     = errors.New("the vault's keys on this computer are damaged, so no password can open them")
	ErrNewerSchema = errors.New("this vault was written by a newer version of Folio; update Folio to open it")
	// ErrScrubPending: a change that removed a key (a password, the
	// recovery key) is saved, but the vault file could not yet be
	// rewritten without the old key (Commit.Scrub).
	ErrScrubPending = errors.New("the change is saved, but the vault file still holds the removed key until Folio can rewrite it (it tries again each time the vault opens; check the disk has space)")
	// ErrForeignVault: keys or records of a vault other than the
	// organisation's.
	ErrForeignVault = errors.New("not the organisation's vault")
	// ErrNoSigningKey: the signed-in user's password slots on this
	// workstation hold no signing key the vault knows for them (their
	// password was set again elsewhere), so their session cannot sign
	// user or password changes.
	ErrNoSigningKey = errors.New("your sign-in here cannot sign changes to users or passwords: your password was changed on another workstation; sync, then sign in with your current password, or ask an administrator to reset it")
	// ErrRestricted: the chart is restricted and the user's role may
	// neither open it nor break the glass; it is also ErrForbidden.
	ErrRestricted = fmt.Errorf("%w: the chart is restricted", ErrForbidden)
)

// RecoveryKeyError is a recovery key as typed that cannot be one (a wrong
// length, a character keys never use, a check group that does not match),
// found before any key derivation. Reason says what is wrong, for the
// person typing it.
type RecoveryKeyError struct{ Reason string }

func (e *RecoveryKeyError) Error() string { return e.Reason }

// InvalidError is input Folio refuses (a malformed user name, a setting
// out of range, a date that is no date). Reason says what is wrong and
// what to do, in words the person who typed it understands ("the
// password needs at least 8 characters"); the window shows it as it is,
// whatever the error was wrapped in on its way up. It is also ErrInvalid,
// and reads as ErrInvalid's text followed by the reason, as the
// command line prints it.
type InvalidError struct{ Reason string }

func (e *InvalidError) Error() string { return ErrInvalid.Error() + ": " + e.Reason }

// Unwrap makes an InvalidError an ErrInvalid.
func (e *InvalidError) Unwrap() error { return ErrInvalid }

// Invalidf refuses input: it returns an *InvalidError whose Reason is
// fmt.Sprintf(format, a...). Every ErrInvalid is made with it, so that
// the reason reaches the window whole (errors.As) and no one cuts it out
// of an error's text.
func Invalidf(format string, a ...any) error {
	return &InvalidError{Reason: fmt.Sprintf(format, a...)}
}

// clerkReason is what a clerk reads of err where it is kept as words (a
// failed import's batch record and its progress): an InvalidError's reason
// alone, any other error's text.
func clerkReason(err error) string {
	var inv *InvalidError
	if errors.As(err, &inv) {
		return inv.Reason
	}
	return err.Error()
}
