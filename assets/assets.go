// Package assets holds what Folio embeds in its binary: the application
// icon now; the ICD-10-CM code set, fonts and templates as they come.
// Everything here is read-only.
package assets

import _ "embed"

// IconPNG is the application icon, 512×512 PNG.
//
//go:embed icon.png
var IconPNG []byte
