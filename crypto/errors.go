package crypto

import (
	"errors"
	"fmt"

	"folio/app"
)

// Sentinel errors of this package, for errors.Is. Wrong passwords, failed
// authentication and a closed keyring are reported with the app sentinels
// (app.ErrWrongPassword, app.ErrTampered, app.ErrLocked).
var (
	// ErrMalformed: a key slot, key bundle, public key or recovery key is
	// not in the expected format (truncated, wrong magic, wrong length, bad
	// check group). The wrapping error says what is malformed.
	ErrMalformed = errors.New("malformed key data")
	// ErrSlotParams: a key slot asks for password-hashing parameters outside
	// the allowed bounds (or a caller asked to write such a slot). Such a
	// slot is refused before any hashing runs.
	ErrSlotParams = errors.New("key slot has password-hashing parameters outside the allowed range")
)

// errClosed is returned by every method of a closed Keyring.
var errClosed = fmt.Errorf("vault keys were closed: %w", app.ErrLocked)

// malformed returns an error wrapping ErrMalformed.
func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}
