// Package locale fixes the process locale before Fyne reads it. Fyne's
// language package parses $LANG at initialisation and logs an error for the
// POSIX "C" locale that servers, cron and CI use; Folio then shows English
// anyway. Imported (for its side effect) by main: Go initialises packages
// in import-path order when their own imports allow, so "folio/locale" runs
// before "fyne.io/...".
package locale

import "os"

func init() {
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		switch os.Getenv(v) {
		case "C", "POSIX", "C.UTF-8", "C.utf8":
			os.Setenv(v, "en_US.UTF-8")
		}
	}
}
