package ui

import (
	"image/color"
	"math"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// luminance is the WCAG relative luminance of c.
func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	lin := func(v uint32) float64 {
		s := float64(v) / 0xffff
		if s <= 0.03928 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

func contrast(a, b color.Color) float64 {
	la, lb := luminance(a), luminance(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

// Both variants keep text readable on every background a screen uses:
// body text at WCAG AAA (7:1), secondary text, links and messages at AA
// (4.5:1). Fyne draws a low-importance label (the register form's "age
// 43 y", the viewer's "Filed, to be checked", the audit's counts) in the
// colour of disabled controls, so that colour is held to AA too: in the
// README's walk it was a pale grey no one could read (issue 14).
func TestThemeContrast(t *testing.T) {
	th := newTheme()
	for _, v := range []fyne.ThemeVariant{theme.VariantLight, theme.VariantDark} {
		for _, bg := range []fyne.ThemeColorName{theme.ColorNameBackground, colorNameSurface, theme.ColorNameInputBackground} {
			back := th.Color(bg, v)
			checks := []struct {
				fg  fyne.ThemeColorName
				min float64
			}{
				{theme.ColorNameForeground, 7}, {colorNameMuted, 4.5}, {theme.ColorNamePrimary, 4.5},
				{theme.ColorNameError, 4.5}, {theme.ColorNameSuccess, 4.5}, {theme.ColorNameWarning, 4.5},
				{theme.ColorNameDisabled, 4.5},
			}
			for _, c := range checks {
				if got := contrast(th.Color(c.fg, v), back); got < c.min {
					t.Errorf("variant %d: %s on %s has contrast %.1f, want ≥ %.1f", v, c.fg, bg, got, c.min)
				}
			}
		}
		if got := contrast(th.Color(theme.ColorNameForegroundOnPrimary, v), th.Color(theme.ColorNamePrimary, v)); got < 4.5 {
			t.Errorf("variant %d: text on a primary button has contrast %.1f", v, got)
		}
		for _, bg := range []fyne.ThemeColorName{colorNameBanner, colorNameCaution, colorNameGood} {
			if got := contrast(th.Color(theme.ColorNameForeground, v), th.Color(bg, v)); got < 7 {
				t.Errorf("variant %d: text on %s has contrast %.1f", v, bg, got)
			}
		}
	}
}
