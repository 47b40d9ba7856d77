package app

import (
	"context"
	"fmt"
)

// LoadCodeSet records that an administrator loaded another code set (the
// WHO ICD-10 or ICD-11 tabulations an organisation holds a licence for):
// it checks the role, runs keep, which stores the set's file where the
// command line reads it from, and audits the load as a settings change
// ("code set loaded: ICD-10 2019, 4 codes"). The file is the caller's to
// keep because a code set is public reference data, not PHI: it lives in
// the data folder in clear, beside the vault, not in it. Administrators
// only; a refusal is audited and keep is not run.
func (st Settings) LoadCodeSet(ctx context.Context, system, version string, codes int, keep func() error) error {
	ctx, err := st.s.require(ctx, PermUserManage, ActSettings, "")
	if err != nil {
		return err
	}
	if err := keep(); err != nil {
		return err
	}
	return st.s.audit(ctx, AuditEvent{Action: ActSettings, Detail: fmt.Sprintf("code set loaded: %s %s, %d codes", system, version, codes)})
}
