package app

import (
	"fmt"
	"strconv"
	"strings"
)

// MRNs look like "KAB-000123-7": a site prefix (2 to 6 letters or digits,
// chosen per workstation so that offline workstations never hand out the
// same number), a six-digit sequence, and a Luhn mod 36 check character that
// catches any single mistyped character and most swaps of neighbours.

const mrnAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// FormatMRN builds the MRN for sequence number n at a site.
func FormatMRN(prefix string, n uint64) string {
	body := fmt.Sprintf("%s-%06d", prefix, n)
	return body + "-" + string(luhnCheck(body))
}

// ValidSitePrefix reports whether s can be an MRN site prefix.
func ValidSitePrefix(s string) bool {
	if len(s) < 2 || len(s) > 6 {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune(mrnAlphabet, r) {
			return false
		}
	}
	return true
}

// ParseMRN normalises a typed MRN (case, spaces) and checks its check
// character. It returns ErrInvalid when the text is not an MRN at all or its
// check character is wrong ("a digit was mistyped").
func ParseMRN(s string) (string, error) {
	s = strings.ToUpper(strings.Join(strings.Fields(s), ""))
	parts := strings.Split(s, "-")
	if len(parts) != 3 || !ValidSitePrefix(parts[0]) || len(parts[2]) != 1 || len(parts[1]) < 6 {
		return "", Invalidf("%q is not an MRN (like KAB-000123-7)", s)
	}
	if _, err := strconv.ParseUint(parts[1], 10, 64); err != nil {
		return "", Invalidf("%q is not an MRN (like KAB-000123-7)", s)
	}
	body := parts[0] + "-" + parts[1]
	if luhnCheck(body) != parts[2][0] {
		return "", Invalidf("MRN %s has a wrong check character; a character was probably mistyped", s)
	}
	return s, nil
}

// looksLikeMRN reports whether a search query is shaped like an MRN.
func looksLikeMRN(s string) bool {
	return strings.Count(s, "-") == 2 && len(s) >= 10
}

// luhnCheck computes the Luhn mod N check character over the alphanumeric
// characters of s (other characters are skipped).
func luhnCheck(s string) byte {
	const n = len(mrnAlphabet)
	factor, sum := 2, 0
	for i := len(s) - 1; i >= 0; i-- {
		cp := strings.IndexByte(mrnAlphabet, s[i])
		if cp < 0 {
			continue
		}
		addend := factor * cp
		if factor == 2 {
			factor = 1
		} else {
			factor = 2
		}
		sum += addend/n + addend%n
	}
	return mrnAlphabet[(n-sum%n)%n]
}
