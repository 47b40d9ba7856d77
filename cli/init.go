package cli

import (
	"time"

	"github.com/spf13/cobra"

	"folio/app"
	"folio/archive/pki"
	"folio/syncer"
)

func initCommand(e *env) *cobra.Command {
	var site, join string
	cmd := &cobra.Command{
		Use:   "init",
		Short: "create the vault and its first administrator; print the recovery key",
		Long: `Creates the encrypted vault in the data folder with a first administrator
(--user, FOLIO_USER, or your login name). The password comes from
FOLIO_PASSWORD or is asked twice. The recovery key is printed once: write it
down or print it, and keep it locked away; it is the only way back in if every
administrator forgets their password.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if join != "" {
				return initJoin(e, cmd, join)
			}
			prof, err := e.open()
			if err != nil {
				return err
			}
			defer prof.Close()
			name := e.userName()
			pw, err := e.newSecret("FOLIO_PASSWORD", "new password for administrator "+name)
			if err != nil {
				return err
			}
			key, err := prof.Vault.Create(cmd.Context(), app.CreateParams{Admin: name, Password: pw, SitePrefix: site})
			if err != nil {
				return err
			}
			prefix, _ := prof.Vault.SitePrefix(cmd.Context())
			out := cmd.OutOrStdout()
			printf(out, "Vault created in %s for administrator %s (MRN prefix %s).\n\n", prof.Dir, name, prefix)
			printf(out, "RECOVERY KEY (shown only now; write it down and keep it safe):\n\n    %s\n\n", key)
			printLine(out, "With it, 'folio user recover' sets a new password when one is forgotten.")
			return nil
		},
	}
	cmd.Flags().StringVar(&join, "join", "", "join the organisation's vault with this enrollment file (from 'folio-archive device add') instead of creating one")
	cmd.Flags().StringVar(&site, "site", "", "MRN site prefix, 2 to 6 letters or digits (default: from the device id)")
	return cmd
}

// initJoin enrolls an empty vault and asks the archive for the vault keys.
func initJoin(e *env, cmd *cobra.Command, file string) error {
	ctx := cmd.Context()
	enr, err := pki.ReadEnrollment(file)
	if err != nil {
		return err
	}
	if err := enr.CheckFresh(time.Now()); err != nil {
		return err
	}
	prof, err := e.open()
	if err != nil {
		return err
	}
	defer prof.Close()
	name := e.userName()
	pw, err := e.newSecret("FOLIO_PASSWORD", "new password for "+name+" on this workstation")
	if err != nil {
		return err
	}
	req, err := prof.Vault.PrepareJoin(ctx, name, pw)
	if err != nil {
		return err
	}
	if err := syncer.SaveEnrollment(prof.Dir, enr); err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	printf(out, "This workstation is %s of %s; its vault waits for the keys.\n", enr.Device, enr.Org)
	printf(out, "Key fingerprint: %s\n\n", req.Fingerprint)
	client, _, err := syncer.Connect(ctx, prof.Dir, prof.DB, "", syncer.ClientOptions{})
	if err != nil {
		return err
	}
	defer client.Close()
	if _, err := client.RequestKeys(ctx, req.PublicKey); err != nil {
		printf(out, "The archive at %s cannot be reached now (%v);\n'folio sync now' asks again.\n", enr.Address, err)
		return nil
	}
	printf(out, "Asked the archive for the keys. On an enrolled workstation an administrator runs:\n\n    folio sync approve %s --fingerprint %s\n\n", enr.Device, req.Fingerprint)
	printf(out, "Then run 'folio sync now --user %s' here.\n", name)
	return nil
}
