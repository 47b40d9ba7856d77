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
	pal := lightPalette
	if v == theme.VariantDark {
		pal = darkPalette
	}
	if c, ok := pal[n]; ok {
		return c
	}
	return t.base.Color(n, v)
}

// lightPalette: a pale grey page, white cards, one blue-teal accent.
var lightPalette = map[fyne.ThemeColorName]color.Color{
	theme.ColorNamePrimary:           rgb(0x1b, 0x6a, 0x8c),
	theme.ColorNameHyperlink:         rgb(0x1b, 0x6a, 0x8c),
	theme.ColorNameFocus:             color.NRGBA{R: 0x1b, G: 0x6a, B: 0x8c, A: 0x60},
	theme.ColorNameSelection:         color.NRGBA{R: 0x1b, G: 0x6a, B: 0x8c, A: 0x38},
	theme.ColorNameHover:             color.NRGBA{R: 0x1b, G: 0x6a, B: 0x8c, A: 0x14},
	theme.ColorNameBackground:        rgb(0xf2, 0xf4, 0xf6),
	theme.ColorNameInputBackground:   rgb(0xff, 0xff, 0xff),
	colorNameSurface:                 rgb(0xff, 0xff, 0xff),
	theme.ColorNameMenuBackground:    rgb(0xff, 0xff, 0xff),
	theme.ColorNameOverlayBackground: rgb(0xff, 0xff, 0xff),
	theme.ColorNameHeaderBackground:  rgb(0xe6, 0xea, 0xee),
	theme.ColorNameInputBorder:       rgb(0xb8, 0xc2, 0xcc),
	theme.ColorNameButton:            rgb(0xe3, 0xe8, 0xed),
	theme.ColorNameForeground:        rgb(0x1c, 0x26, 0x30),
	colorNameMuted:                   rgb(0x5b, 0x67, 0x73),
	theme.ColorNameDisabled:          rgb(0x64, 0x6f, 0x7b), // also low-importance labels: readable
	theme.ColorNamePlaceHolder:       rgb(0x5b, 0x67, 0x73),
	theme.ColorNameSeparator:         rgb(0xd9, 0xdf, 0xe5),
	theme.ColorNameError:             rgb(0xb4, 0x23, 0x18),
	theme.ColorNameSuccess:           rgb(0x1e, 0x7b, 0x45),
	theme.ColorNameWarning:           rgb(0xa1, 0x5c, 0x00),
	colorNameBanner:                  rgb(0xe3, 0xf0, 0xf6),
	colorNameCaution:                 rgb(0xfd, 0xf0, 0xd5),
	colorNameGood:                    rgb(0xe1, 0xf3, 0xe7),
}

// darkPalette: the same roles, light text on slate.
var darkPalette = map[fyne.ThemeColorName]color.Color{
	theme.ColorNamePrimary:             rgb(0x5f, 0xb3, 0xd6),
	theme.ColorNameHyperlink:           rgb(0x5f, 0xb3, 0xd6),
	theme.ColorNameForegroundOnPrimary: rgb(0x0e, 0x1a, 0x22),
	theme.ColorNameFocus:               color.NRGBA{R: 0x5f, G: 0xb3, B: 0xd6, A: 0x70},
	theme.ColorNameSelection:           color.NRGBA{R: 0x5f, G: 0xb3, B: 0xd6, A: 0x40},
	theme.ColorNameHover:               color.NRGBA{R: 0x5f, G: 0xb3, B: 0xd6, A: 0x1c},
	theme.ColorNameBackground:          rgb(0x16, 0x1b, 0x20),
	theme.ColorNameInputBackground:     rgb(0x20, 0x27, 0x2e),
	colorNameSurface:                   rgb(0x20, 0x27, 0x2e),
	theme.ColorNameMenuBackground:      rgb(0x20, 0x27, 0x2e),
	theme.ColorNameOverlayBackground:   rgb(0x20, 0x27, 0x2e),
	theme.ColorNameHeaderBackground:    rgb(0x26, 0x2e, 0x36),
	theme.ColorNameInputBorder:         rgb(0x4a, 0x56, 0x62),
	theme.ColorNameButton:              rgb(0x2c, 0x35, 0x3e),
	theme.ColorNameForeground:          rgb(0xe6, 0xea, 0xee),
	colorNameMuted:                     rgb(0x9a, 0xa6, 0xb2),
	theme.ColorNameDisabled:            rgb(0x8a, 0x96, 0xa2),
	theme.ColorNamePlaceHolder:         rgb(0x9a, 0xa6, 0xb2),
	theme.ColorNameSeparator:           rgb(0x33, 0x3c, 0x45),
	theme.ColorNameError:               rgb(0xf2, 0x8b, 0x82),
	theme.ColorNameSuccess:             rgb(0x6f, 0xcf, 0x97),
	theme.ColorNameWarning:             rgb(0xf0, 0xb4, 0x5a),
	colorNameBanner:                    rgb(0x1d, 0x33, 0x40),
	colorNameCaution:                   rgb(0x3d, 0x30, 0x14),
	colorNameGood:                      rgb(0x17, 0x33, 0x24),
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
