package profile

import (
	"folio/app"
	"folio/syncer"
)

// SyncAdmin is the administration of this profile's link with the
// organisation's archive, for the window and the command line; runner is
// the window's background sync (nil on the command line).
func (p *Profile) SyncAdmin(runner *syncer.Runner) *syncer.Admin {
	return syncer.NewAdmin(syncer.AdminParams{Dir: p.Dir, DB: p.DB, Blobs: p.Blobs, Vault: p.Vault, Runner: runner})
}

// SyncRunner is the window's background sync of this profile;
// sendStatus, when set, receives what the send-only engine does while no
// one is signed in, in the indicator's words.
func (p *Profile) SyncRunner(sendStatus func(app.SyncStatus)) *syncer.Runner {
	return syncer.NewRunner(syncer.RunnerParams{Dir: p.Dir, DB: p.DB, Blobs: p.Blobs, Vault: p.Vault, SendStatus: sendStatus})
}
