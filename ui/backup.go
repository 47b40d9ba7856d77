package ui

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// This file is the Backup card of Administration's Settings: "Back up
// now…" copies the vault and its scans into a folder while the window
// stays in use (Options.Backup). The window holds the vault's file lock,
// so the command line's 'folio backup' cannot run beside it: this is the
// backup of a workstation in use.

// backupCard is the Backup card: what a backup is, the button, a message.
type backupCard struct {
	screen *settingsScreen
	now    *widget.Button
	msg    messageLabel
	box    fyne.CanvasObject
}

func newBackupCard(s *settingsScreen) *backupCard {
	u := s.sess.a
	c := &backupCard{screen: s, msg: newMessageLabel()}
	c.now = button(u.input, "Back up now…", theme.DocumentSaveIcon(), widget.HighImportance, c.ask)
	c.box = panel(container.NewVBox(
		heading("Backup"),
		wrapped("Copies this workstation's vault and scans into a folder — best on another disk or a USB stick — "+
			"encrypted exactly as they are stored: the copy opens only with a password of this vault. Work goes on "+
			"while it runs. A later backup into the same folder copies only the new scans."),
		wrapped("To restore: close Folio and run folio restore --from FOLDER. The backup is checked before anything "+
			"is replaced, and the replaced folder is kept. A workstation that syncs with an archive then fetches back "+
			"on its next sync what it had sent after the backup was taken."),
		container.NewHBox(layout.NewSpacer(), c.now),
		c.msg.Label,
	))
	return c
}

// ask lets the administrator pick the backup folder.
func (c *backupCard) ask() {
	u := c.screen.sess.a
	d := dialog.NewFolderOpen(func(dir fyne.ListableURI, err error) {
		if err != nil || dir == nil {
			return
		}
		c.backupTo(dir.Path())
	}, u.win)
	u.dialogs.showDialog(d)
}

// backupTo takes the backup into dir off the Fyne goroutine and says how it
// went.
func (c *backupCard) backupTo(dir string) {
	sess := c.screen.sess
	backup, user := sess.a.opts.Backup, sess.user.Name
	c.now.Disable()
	c.msg.info("Backing up to " + dir + "…")
	sess.run(func(ctx context.Context) func() {
		r, err := backup(ctx, user, dir)
		return func() {
			c.now.Enable()
			if err != nil {
				c.msg.error("The backup was not made: " + message(err))
				return
			}
			c.msg.info(fmt.Sprintf("Backed up to %s: the vault and %s (%s in the folder). Keep it away from this computer.",
				r.Dir, plural(r.Scans, "new scan file", "new scan files"), r.SizeText()))
		}
	})
}
