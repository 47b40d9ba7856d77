package crypto

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"strings"

	"folio/app"
)

// Recovery key format: 160 random bits as 32 Crockford base32 characters,
// then a 4-character check group (the first 20 bits of SHA-256 over a
// label and the key), written in 9 groups of 4 joined by '-':
//
//	7K3Q-M0ZD-...-XXXX-CHK4
//
// The check group catches a mistyped character before any key derivation
// runs (a random typo passes with probability 2^-20).
const (
	crockford         = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	recoveryKeyBytes  = 20
	recoveryKeyChars  = recoveryKeyBytes * 8 / 5 // 32
	recoveryCheckLen  = 4
	recoveryGroupSize = 4
	recoveryTotal     = recoveryKeyChars + recoveryCheckLen
	recoveryCheckInfo = "folio recovery key check v1\x00"
	maxRecoveryInput  = 256 // longer input cannot be a recovery key
)

// NewRecoveryKey returns a new random recovery key, to be printed on the
// recovery sheet and shown once.
func NewRecoveryKey() (string, error) {
	key := make([]byte, recoveryKeyBytes)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("create recovery key: %w", err)
	}
	defer clear(key)
	return formatRecoveryKey(key), nil
}

// formatRecoveryKey writes 20 key bytes in the printed form.
func formatRecoveryKey(key []byte) string {
	chars := append(toBase32(key, recoveryKeyChars), recoveryCheck(key)...)
	var b strings.Builder
	for i, c := range chars {
		if i > 0 && i%recoveryGroupSize == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(crockford[c])
	}
	return b.String()
}

// ParseRecoveryKey reads a recovery key as a person types it: case does not
// matter, spaces and dashes are ignored, and O is read as 0, I and L as 1.
// A wrong length, a character outside the alphabet or a check group that
// does not match wraps ErrMalformed and an *app.RecoveryKeyError. It returns the 20 key bytes.
func ParseRecoveryKey(s string) ([]byte, error) {
	if len(s) > maxRecoveryInput {
		return nil, mistyped("recovery key is %d characters long; it should have %d (%d groups of %d)",
			len(s), recoveryTotal, recoveryTotal/recoveryGroupSize, recoveryGroupSize)
	}
	vals := make([]byte, 0, recoveryTotal)
	for _, r := range s {
		switch r {
		case ' ', '-', '\t', '\r', '\n':
			continue
		}
		v, ok := crockfordValue(r)
		if !ok {
			return nil, mistyped("recovery key contains %q, which recovery keys never use", r)
		}
		vals = append(vals, v)
	}
	if len(vals) != recoveryTotal {
		return nil, mistyped("recovery key has %d characters; it should have %d (%d groups of %d)",
			len(vals), recoveryTotal, recoveryTotal/recoveryGroupSize, recoveryGroupSize)
	}
	key := fromBase32(vals[:recoveryKeyChars], recoveryKeyBytes)
	if subtle.ConstantTimeCompare(recoveryCheck(key), vals[recoveryKeyChars:]) != 1 {
		clear(key)
		return nil, mistyped("recovery key check group does not match; a character is mistyped")
	}
	return key, nil
}

// mistyped returns an error wrapping ErrMalformed and an
// *app.RecoveryKeyError that says what is wrong with a typed recovery key.
func mistyped(format string, args ...any) error {
	return fmt.Errorf("%w: %w", ErrMalformed, &app.RecoveryKeyError{Reason: fmt.Sprintf(format, args...)})
}

// recoveryCheck returns the check group of key as base32 digit values.
func recoveryCheck(key []byte) []byte {
	h := sha256.New()
	h.Write([]byte(recoveryCheckInfo))
	h.Write(key)
	return toBase32(h.Sum(nil), recoveryCheckLen)
}

// crockfordValue decodes one Crockford base32 character.
func crockfordValue(r rune) (byte, bool) {
	if r >= 'a' && r <= 'z' {
		r -= 'a' - 'A'
	}
	switch r {
	case 'O':
		return 0, true
	case 'I', 'L':
		return 1, true
	}
	if i := strings.IndexRune(crockford, r); i >= 0 {
		return byte(i), true
	}
	return 0, false
}

// toBase32 returns the first n 5-bit digits of b, most significant bit
// first. b must hold at least 5n bits.
func toBase32(b []byte, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		var v byte
		for j := range 5 {
			bit := i*5 + j
			v = v<<1 | (b[bit/8]>>(7-bit%8))&1
		}
		out[i] = v
	}
	return out
}

// fromBase32 packs 5-bit digits into n bytes, most significant bit first.
func fromBase32(digits []byte, n int) []byte {
	out := make([]byte, n)
	for i, d := range digits {
		for j := range 5 {
			bit := i*5 + j
			if bit/8 < n && d>>(4-j)&1 == 1 {
				out[bit/8] |= 1 << (7 - bit%8)
			}
		}
	}
	return out
}
