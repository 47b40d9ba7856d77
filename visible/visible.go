// Package visible renders text that came from a person or a file (names,
// reasons, file names, page text) for a screen: as one line, with every
// character a terminal would obey or a reader could not see written as a
// Go escape. A newline in a break-glass reason cannot print a fake audit
// row, an escape sequence cannot hide the rest of a line, a right-to-left
// override cannot reverse it. The command line prints every value through
// it; the window uses it where one line of such text is shown.
package visible

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Line renders s as one line that a terminal or a window shows character
// for character and obeys in nothing: control characters (C0, DEL, C1),
// Unicode format characters (bidi embeddings, overrides, isolates and
// marks, zero-width and other invisible characters), line and paragraph
// separators, and bytes that are not UTF-8 are written as Go escapes (\n,
// \t, \x1b, \u202e). Every other character, letters of any script
// included, is unchanged. A backslash is left as it is (file names on
// Windows shares have them), so a literal "\n" typed by a person reads the
// same as an escaped newline; it cannot start a line either way.
func Line(s string) string {
	i := strings.IndexFunc(s, func(r rune) bool { return r == utf8.RuneError || Hidden(r) })
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case Hidden(r) && r > 0xffff:
			fmt.Fprintf(&b, `\U%08x`, r)
		case Hidden(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// Text renders s as Line does, line by line, and keeps its line breaks,
// for a widget that shows several lines (a patient's notes): a Windows
// line end (\r\n) is one break; a lone \r, a tab, the line and paragraph
// separators and every other character Line escapes are escaped.
func Text(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = Line(l)
	}
	return strings.Join(lines, "\n")
}

// Hidden reports whether a terminal would act on r or show nothing for it:
// control characters (Cc: C0, DEL, C1), format characters (Cf: bidi
// controls U+202A–U+202E, U+2066–U+2069, U+200E/F, U+061C, zero-width
// characters, the byte-order mark, tags) and the line and paragraph
// separators.
func Hidden(r rune) bool {
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp)
}
