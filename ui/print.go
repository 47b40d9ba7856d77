package ui

import (
	"context"

	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/printer"
)

// Printing: the Print buttons of the recovery key screens, the cover sheet
// and the document viewer send their PDF to the computer's printer through
// Options.Printer; when that fails, a dialog says why and offers to save
// the PDF instead, so nothing is lost.

// sendToPrinter prints the PDF that makePDF returns (it runs off the Fyne
// goroutine and may read the vault) under title, then, on the Fyne
// goroutine, says so in msg or offers save when it failed. ctx is the
// session's (or, before login, a background) context.
func sendToPrinter(ctx context.Context, u *App, what string, msg messageLabel,
	makePDF func(ctx context.Context) (title string, pdf []byte, err error), save func()) {
	msg.info("Sending " + what + " to the printer…")
	u.tasks.run(func() func() {
		if ctx.Err() != nil {
			return nil
		}
		title, pdf, err := makePDF(ctx)
		var job string
		if err == nil {
			job, err = u.opts.Printer.Print(ctx, title, pdf)
		}
		clear(pdf)
		return func() {
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				msg.error(capital(what) + " was not printed.")
				u.dialogs.offerSave(capital(what)+" was not printed", message(err), save)
				return
			}
			done := capital(what) + " was sent to the printer"
			if job != "" {
				done += " (job " + job + ")"
			}
			msg.info(done + ". Collect it from the printer now.")
		}
	})
}

// printerName names the printer Print sends to, for the audit trail:
// "the printer" (the default) or "the printer NAME".
func printerName(pr printer.Printer) string {
	if p := pr.Destination; p != "" {
		return "the printer " + p
	}
	return "the printer"
}

// printButton is a Print button.
func printButton(h inputHooks, label string, tapped func()) *widget.Button {
	return button(h, label, theme.DocumentPrintIcon(), widget.MediumImportance, tapped)
}
