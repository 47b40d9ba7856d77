package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// Theme sizes of our own, for the few texts that must read at a glance.
const (
	sizeNameTitle fyne.ThemeSizeName = "folio.title" // a patient's name, a screen's title
	sizeNameMRN   fyne.ThemeSizeName = "folio.mrn"   // an MRN shown prominently
	sizeNameKey   fyne.ThemeSizeName = "folio.key"   // the recovery key, shown once
)

// Colours of our own.
const (
	colorNameSurface fyne.ThemeColorName = "folio.surface" // cards and the header bar
	colorNameMuted   fyne.ThemeColorName = "folio.muted"   // secondary text in rows
	colorNameBanner  fyne.ThemeColorName = "folio.banner"  // background of an information banner
	colorNameCaution fyne.ThemeColorName = "folio.caution" // background of a warning banner
	colorNameGood    fyne.ThemeColorName = "folio.good"    // background of a success banner
)

// folioTheme is a calm theme: a pale grey page, white cards, one blue-teal
// accent; in the desktop's dark mode, the same layout in dark slate. The
// variant is the system's (FYNE_THEME=light or dark forces one); widgets
// take their colours when a screen is built.
type folioTheme struct{ base fyne.Theme }

func newTheme() fyne.Theme { return folioTheme{base: theme.DefaultTheme()} }

func rgb(r, g, b uint8) color.NRGBA { return color.NRGBA{R: r, G: g, B: b, A: 0xff} }

func (t folioTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if v == theme.VariantDark {
		return t.dark(n)
	}
	switch n {
	case theme.ColorNamePrimary, theme.ColorNameHyperlink:
		return rgb(0x1b, 0x6a, 0x8c)
	case theme.ColorNameFocus:
		return color.NRGBA{R: 0x1b, G: 0x6a, B: 0x8c, A: 0x60}
	case theme.ColorNameSelection:
		return color.NRGBA{R: 0x1b, G: 0x6a, B: 0x8c, A: 0x38}
	case theme.ColorNameHover:
		return color.NRGBA{R: 0x1b, G: 0x6a, B: 0x8c, A: 0x14}
	case theme.ColorNameBackground:
		return rgb(0xf2, 0xf4, 0xf6)
	case theme.ColorNameInputBackground, colorNameSurface, theme.ColorNameMenuBackground, theme.ColorNameOverlayBackground:
		return rgb(0xff, 0xff, 0xff)
	case theme.ColorNameHeaderBackground:
		return rgb(0xe6, 0xea, 0xee)
	case theme.ColorNameInputBorder:
		return rgb(0xb8, 0xc2, 0xcc)
	case theme.ColorNameButton:
		return rgb(0xe3, 0xe8, 0xed)
	case theme.ColorNameForeground:
		return rgb(0x1c, 0x26, 0x30)
	case colorNameMuted, theme.ColorNamePlaceHolder:
		return rgb(0x5b, 0x67, 0x73)
	case theme.ColorNameSeparator:
		return rgb(0xd9, 0xdf, 0xe5)
	case theme.ColorNameError:
		return rgb(0xb4, 0x23, 0x18)
	case theme.ColorNameSuccess:
		return rgb(0x1e, 0x7b, 0x45)
	case theme.ColorNameWarning:
		return rgb(0xa1, 0x5c, 0x00)
	case colorNameBanner:
		return rgb(0xe3, 0xf0, 0xf6)
	case colorNameCaution:
		return rgb(0xfd, 0xf0, 0xd5)
	case colorNameGood:
		return rgb(0xe1, 0xf3, 0xe7)
	}
	return t.base.Color(n, theme.VariantLight)
}

// dark is the dark variant's palette: the same roles, light text on slate.
func (t folioTheme) dark(n fyne.ThemeColorName) color.Color {
	switch n {
	case theme.ColorNamePrimary, theme.ColorNameHyperlink:
		return rgb(0x5f, 0xb3, 0xd6)
	case theme.ColorNameForegroundOnPrimary:
		return rgb(0x0e, 0x1a, 0x22)
	case theme.ColorNameFocus:
		return color.NRGBA{R: 0x5f, G: 0xb3, B: 0xd6, A: 0x70}
	case theme.ColorNameSelection:
		return color.NRGBA{R: 0x5f, G: 0xb3, B: 0xd6, A: 0x40}
	case theme.ColorNameHover:
		return color.NRGBA{R: 0x5f, G: 0xb3, B: 0xd6, A: 0x1c}
	case theme.ColorNameBackground:
		return rgb(0x16, 0x1b, 0x20)
	case theme.ColorNameInputBackground, colorNameSurface, theme.ColorNameMenuBackground, theme.ColorNameOverlayBackground:
		return rgb(0x20, 0x27, 0x2e)
	case theme.ColorNameHeaderBackground:
		return rgb(0x26, 0x2e, 0x36)
	case theme.ColorNameInputBorder:
		return rgb(0x4a, 0x56, 0x62)
	case theme.ColorNameButton:
		return rgb(0x2c, 0x35, 0x3e)
	case theme.ColorNameForeground:
		return rgb(0xe6, 0xea, 0xee)
	case colorNameMuted, theme.ColorNamePlaceHolder:
		return rgb(0x9a, 0xa6, 0xb2)
	case theme.ColorNameSeparator:
		return rgb(0x33, 0x3c, 0x45)
	case theme.ColorNameError:
		return rgb(0xf2, 0x8b, 0x82)
	case theme.ColorNameSuccess:
		return rgb(0x6f, 0xcf, 0x97)
	case theme.ColorNameWarning:
		return rgb(0xf0, 0xb4, 0x5a)
	case colorNameBanner:
		return rgb(0x1d, 0x33, 0x40)
	case colorNameCaution:
		return rgb(0x3d, 0x30, 0x14)
	case colorNameGood:
		return rgb(0x17, 0x33, 0x24)
	}
	return t.base.Color(n, theme.VariantDark)
}

func (t folioTheme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case sizeNameTitle:
		return 24
	case sizeNameMRN:
		return 18
	case sizeNameKey:
		return 26
	case theme.SizeNameText:
		return 14
	case theme.SizeNameHeadingText:
		return 22
	case theme.SizeNameSubHeadingText:
		return 17
	case theme.SizeNameInputRadius, theme.SizeNameSelectionRadius:
		return 4
	}
	return t.base.Size(n)
}

func (t folioTheme) Font(s fyne.TextStyle) fyne.Resource { return t.base.Font(s) }

func (t folioTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return t.base.Icon(n) }

// lockIcon is a padlock for the Lock button (Fyne's icon set has none).
var lockIcon = theme.NewThemedResource(fyne.NewStaticResource("lock.svg", []byte(
	`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">`+
		`<path fill="#000000" d="M12 2a5 5 0 0 0-5 5v3h2V7a3 3 0 0 1 6 0v3h2V7a5 5 0 0 0-5-5z"/>`+
		`<path fill="#000000" fill-rule="evenodd" d="M6.5 10h11A1.5 1.5 0 0 1 19 11.5v8a1.5 1.5 0 0 1-1.5 1.5h-11A1.5 1.5 0 0 1 5 19.5v-8A1.5 1.5 0 0 1 6.5 10zM12 13.5a1.5 1.5 0 0 0-.75 2.8V18h1.5v-1.7A1.5 1.5 0 0 0 12 13.5z"/>`+
		`</svg>`)))
