package crypto_test

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"

	"folio/app"
	"folio/crypto"
)

var recoveryFormat = regexp.MustCompile(`^([0-9A-HJKMNP-TV-Z]{4}-){8}[0-9A-HJKMNP-TV-Z]{4}$`)

func TestRecoveryKeyFormat(t *testing.T) {
	seen := map[string]bool{}
	for range 20 {
		k, err := crypto.NewRecoveryKey()
		if err != nil {
			t.Fatal(err)
		}
		if !recoveryFormat.MatchString(k) {
			t.Fatalf("recovery key %q is not 9 groups of 4 Crockford characters", k)
		}
		if seen[k] {
			t.Fatalf("recovery key %q repeated", k)
		}
		seen[k] = true
		b, err := crypto.ParseRecoveryKey(k)
		if err != nil || len(b) != 20 {
			t.Fatalf("ParseRecoveryKey(%q) = %d bytes, %v", k, len(b), err)
		}
	}
}

// keyWith returns a recovery key whose text holds every given character.
func keyWith(t *testing.T, chars string) string {
	t.Helper()
	for range 1000 {
		k, err := crypto.NewRecoveryKey()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.ContainsFunc(chars, func(r rune) bool { return !strings.ContainsRune(k, r) }) {
			return k
		}
	}
	t.Fatalf("no recovery key with %q in 1000 tries", chars)
	return ""
}

func TestParseRecoveryKeyTolerance(t *testing.T) {
	k := keyWith(t, "01")
	want, err := crypto.ParseRecoveryKey(k)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, typed string
	}{
		{"as printed", k},
		{"lowercase", strings.ToLower(k)},
		{"spaces for dashes", strings.ReplaceAll(k, "-", " ")},
		{"no separators", strings.ReplaceAll(k, "-", "")},
		{"extra spaces", "  " + strings.ReplaceAll(k, "-", " - ") + "\n"},
		{"O for 0", strings.ReplaceAll(k, "0", "O")},
		{"o for 0", strings.ReplaceAll(k, "0", "o")},
		{"I for 1", strings.ReplaceAll(k, "1", "I")},
		{"l for 1", strings.ReplaceAll(k, "1", "l")},
		{"L for 1", strings.ReplaceAll(k, "1", "L")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := crypto.ParseRecoveryKey(tt.typed)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("ParseRecoveryKey(%q) = %x, %v; want %x", tt.typed, got, err, want)
			}
		})
	}
}

func TestParseRecoveryKeyErrors(t *testing.T) {
	k := keyWith(t, "")
	// swap changes the character at i to the next one of the alphabet.
	swap := func(i int) string {
		const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
		b := []byte(k)
		b[i] = alphabet[(strings.IndexByte(alphabet, b[i])+1)%len(alphabet)]
		return string(b)
	}
	tests := []struct {
		name, typed, msg string
	}{
		{"empty", "", "0 characters"},
		{"one character short", k[:len(k)-1], "35 characters"},
		{"one character long", k + "7", "37 characters"},
		{"group missing", k[:len(k)-5], "32 characters"},
		{"mistyped first character", swap(0), "check group"},
		{"mistyped middle character", swap(17), "check group"},
		{"mistyped check character", swap(len(k) - 1), "check group"},
		{"U is not used", "U" + k[1:], `'U'`},
		{"punctuation", strings.Replace(k, "-", "_", 1), `'_'`},
		{"non-ASCII", strings.Replace(k, "-", "é", 1), `'é'`},
		{"far too long", strings.Repeat("0", 10000), "10000 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := crypto.ParseRecoveryKey(tt.typed)
			if !errors.Is(err, crypto.ErrMalformed) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %v, want ErrMalformed mentioning %s", err, tt.msg)
			}
			var mistyped *app.RecoveryKeyError
			if !errors.As(err, &mistyped) || !strings.HasPrefix(mistyped.Reason, "recovery key") {
				t.Fatalf("err = %v, want an app.RecoveryKeyError saying what is wrong", err)
			}
		})
	}
}
