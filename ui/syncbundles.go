package ui

import (
	"context"
	"os"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// syncBundles is the Sync section's way without a link (syncadmin.go):
// export a bundle of what the archive lacks to carry on a USB stick, and
// import the archive's reply, each off the Fyne goroutine.
type syncBundles struct {
	s   *syncAdminScreen
	box fyne.CanvasObject

	all                  *check
	exportBtn, importBtn *widget.Button
	bundleBusy           *widget.Activity
	bundleMsg            messageLabel
}

// newSyncBundles makes the panel, its buttons off until enrolled.
func newSyncBundles(s *syncAdminScreen) *syncBundles {
	u := s.sess.a
	b := &syncBundles{s: s, bundleMsg: newMessageLabel()}
	b.all = newCheck(u.input, "Everything the archive has not confirmed yet (the last stick was lost)", nil)
	b.exportBtn = button(u.input, "Export bundle…", theme.DocumentSaveIcon(), widget.MediumImportance, b.askExport)
	b.importBtn = button(u.input, "Import reply…", theme.FolderOpenIcon(), widget.MediumImportance, b.askImport)
	b.bundleBusy = widget.NewActivity()
	b.bundleBusy.Hide()
	b.box = panel(container.NewVBox(
		heading("No link? A USB stick"),
		muted("Export a bundle of what the archive lacks from this workstation (encrypted to the archive, signed by "+
			"this workstation) and carry it to the archive: there, 'folio-archive import FILE --reply REPLY'. Bring the "+
			"reply back and import it here: only then do the changes count as sent. The next export carries only what "+
			"is new."),
		b.all,
		container.NewHBox(container.NewCenter(b.bundleBusy), layout.NewSpacer(), b.exportBtn, b.importBtn),
		b.bundleMsg.Label,
	))
	return b
}

// askExport asks where to write the bundle.
func (b *syncBundles) askExport() {
	u := b.s.sess.a
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		path := w.URI().Path()
		w.Close()
		// The dialog made the file empty; the export writes a new one.
		if fi, err := os.Stat(path); err == nil && fi.Size() == 0 {
			os.Remove(path)
		}
		b.export(path, b.all.Checked)
	}, u.win)
	d.SetFileName(b.s.state.Enrollment.Workstation + "-" + u.now().Format("20060102-1504") + ".bundle")
	u.dialogs.showDialog(d)
}

// askImport asks for the archive's reply.
func (b *syncBundles) askImport() { b.s.askOpen(b.importReply) }

// run runs an export or an import off the Fyne goroutine with the
// activity indicator turning; the window stays usable.
func (b *syncBundles) run(work func(ctx context.Context) (string, error), done func(string, error)) {
	setEnabled(false, b.exportBtn, b.importBtn)
	b.bundleMsg.clear()
	spin(b.bundleBusy, true)
	b.s.sess.run(func(ctx context.Context) func() {
		summary, err := work(ctx)
		return func() {
			spin(b.bundleBusy, false)
			setEnabled(true, b.exportBtn, b.importBtn)
			done(summary, err)
		}
	})
}

// export writes the bundle to path.
func (b *syncBundles) export(path string, all bool) {
	sess, sync := b.s.sess, b.s.sync
	b.run(func(ctx context.Context) (string, error) {
		return sync.ExportBundle(ctx, sess.s, path, all)
	}, func(summary string, err error) {
		if err != nil {
			b.bundleMsg.error("No bundle was written: " + message(err))
			return
		}
		b.all.SetChecked(false)
		b.bundleMsg.info("Wrote " + path + ": " + summary + ". At the archive: folio-archive import --data DIR " +
			path + " --reply REPLY; then Import reply… here. Nothing counts as sent until then.")
	})
}

// importReply applies the archive's reply at path.
func (b *syncBundles) importReply(path string) {
	sess, sync := b.s.sess, b.s.sync
	b.run(func(ctx context.Context) (string, error) {
		return sync.ImportReply(ctx, sess.s, path)
	}, func(summary string, err error) {
		if err != nil {
			b.bundleMsg.error("The reply was not imported, and nothing changed: " + message(err))
			return
		}
		b.bundleMsg.info("Imported " + path + ": " + summary + ".")
		if b.s.here() {
			b.s.reload()
		}
	})
}
