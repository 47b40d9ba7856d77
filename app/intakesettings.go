package app

import (
	"context"
	"fmt"
	"path/filepath"
)

// Settings of the drop-folder intake, kept in the vault so the app and
// `folio watch` agree.
const (
	metaDropFolder = "settings/drop-folder"
	metaKeepScans  = "settings/keep-scans"
)

// IntakeSettings say where the scanner drops its files and what happens to
// a file once its original is stored encrypted.
type IntakeSettings struct {
	DropFolder string // absolute path; empty means no drop folder is watched
	// Keep leaves imported files in the drop folder (default: they are
	// removed once stored, so no plaintext scan stays on disk).
	Keep bool
}

// SetIntakeSettings changes the drop folder and the keep setting.
// Administrators and records managers; audited.
func (st Settings) SetIntakeSettings(ctx context.Context, is IntakeSettings) error {
	ctx, err := st.s.require(ctx, intakeSettingsPerm(st.s.User().Roles), ActSettings, "")
	if err != nil {
		return err
	}
	if is.DropFolder != "" && !filepath.IsAbs(is.DropFolder) {
		return Invalidf("drop folder %q: give the full path", is.DropFolder)
	}
	keep := "false"
	if is.Keep {
		keep = "true"
	}
	return st.s.commit(ctx, nil, AuditEvent{Action: ActSettings, Detail: fmt.Sprintf("drop folder %q, keep files %s", is.DropFolder, keep)},
		map[string][]byte{metaDropFolder: []byte(is.DropFolder), metaKeepScans: []byte(keep)}, nil)
}

// MayChangeIntakeSettings reports whether roles may change the intake's
// settings (drop folder, archive identifiers, document-type rules):
// administrators, and records managers (who verify documents).
func MayChangeIntakeSettings(r RoleSet) bool { return r.Can(PermUserManage) || r.Can(PermDocVerify) }

// intakeSettingsPerm is the permission under which roles change the
// intake's settings (MayChangeIntakeSettings): a records manager's
// document verification, else an administrator's user management.
func intakeSettingsPerm(r RoleSet) Permission {
	if r.Can(PermDocVerify) {
		return PermDocVerify
	}
	return PermUserManage
}

// IntakeSettings returns the drop-folder settings (none set: no folder,
// files removed after import).
func (v *Vault) IntakeSettings(ctx context.Context) IntakeSettings {
	return IntakeSettings{
		DropFolder: v.setting(ctx, metaDropFolder),
		Keep:       v.setting(ctx, metaKeepScans) == "true",
	}
}
