package visible

import "testing"

func TestLine(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"plain", "Banda, Amina", "Banda, Amina"},
		{"other scripts", "Nyirenda Ŵ محمد 李", "Nyirenda Ŵ محمد 李"},
		{"newline and tab", "a\nb\tc\r", `a\nb\tc\r`},
		{"escape sequence", "x\x1b[8m hidden", `x\x1b[8m hidden`},
		{"DEL and C1", "a\x7fb\u009bc\u0085", `a\x7fb\u009bc\u0085`},
		{"bidi", "\u202aa\u202bb\u202cc\u202dd\u202ee\u2066f\u2067g\u2068h\u2069i\u200ej\u200fk\u061c",
			`\u202aa\u202bb\u202cc\u202dd\u202ee\u2066f\u2067g\u2068h\u2069i\u200ej\u200fk\u061c`},
		{"invisible", "a\u200bb\ufeffc\u00add\U000e0041", `a\u200bb\ufeffc\u00add\U000e0041`},
		{"separators", "a\u2028b\u2029c", `a\u2028b\u2029c`},
		{"not UTF-8", "a\xffb\xc3", `a\xffb\xc3`},
		{"backslash kept", `C:\scans\a.pdf`, `C:\scans\a.pdf`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := Line(c.in); got != c.want {
				t.Errorf("Line(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestText(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"plain", "Allergic to penicillin.", "Allergic to penicillin."},
		{"lines kept", "line one\nline two\n", "line one\nline two\n"},
		{"windows line ends", "a\r\nb", "a\nb"},
		{"lone carriage return", "a\rb", `a\rb`},
		{"bidi on a line", "a\n\u202eb", "a\n" + `\u202eb`},
		{"escape sequence", "\x1b[2Jx\ty", `\x1b[2Jx\ty`},
		{"separators", "a\u2028b", `a\u2028b`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := Text(c.in); got != c.want {
				t.Errorf("Text(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}
