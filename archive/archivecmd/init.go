package archivecmd

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"folio/archive/pki"
)

func (e *env) initCommand() *cobra.Command {
	var org string
	var hosts []string
	cmd := &cobra.Command{
		Use:   "init --data DIR --org NAME [--host H ...]",
		Short: "create the organisation's CA and the archive server's certificate",
		Long: `Creates the archive's folder with the organisation's certificate authority
(DIR/pki/ca.key: whoever holds it can enroll devices) and the server's TLS
certificate for the host names and addresses the workstations will dial
(--host, repeatable; default localhost and 127.0.0.1). It never overwrites
an existing CA.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := e.dir()
			if err != nil {
				return err
			}
			if err := required("org", org, "the organisation's name, as the certificates will show it"); err != nil {
				return err
			}
			o, err := pki.Init(pkiDir(dir), org, hosts)
			if err != nil {
				return err
			}
			if _, _, err := ensureBundleKey(dir); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "Created the Folio archive of %q in %s.\n\n", o.Name, dir)
			fmt.Fprintf(out, "  CA fingerprint      %s\n", o.CAFingerprint)
			fmt.Fprintf(out, "  CA expires          %s\n", o.CAExpires.Format(time.DateOnly))
			fmt.Fprintf(out, "  server certificate  %s (expires %s)\n", strings.Join(o.Hosts, ", "), o.ServerExpires.Format(time.DateOnly))
			fmt.Fprintf(out, "  enrollment address  %s (change with device add --address)\n\n", o.DefaultAddress())
			fmt.Fprintf(out, "Keep %s secret and backed up: whoever holds it can enroll devices,\n", filepath.Join(pkiDir(dir), "ca.key"))
			fmt.Fprintf(out, "and without it every workstation must be enrolled again.\n\n")
			fmt.Fprintf(out, "Next steps:\n")
			fmt.Fprintf(out, "  1. folio-archive device add --data %s --name NAME --out NAME.enroll\n", dir)
			fmt.Fprintf(out, "     (one per workstation; carry the file to it on a USB stick)\n")
			fmt.Fprintf(out, "  2. folio-archive serve --data %s --listen :%s\n", dir, pki.DefaultPort)
			fmt.Fprintf(out, "  3. on the workstation: folio sync enroll NAME.enroll\n")
			fmt.Fprintf(out, "     (a workstation without a vault yet: folio init --join NAME.enroll --user NAME)\n")
			return nil
		},
	}
	cmd.Flags().StringVar(&org, "org", "", "the organisation's name (required)")
	cmd.Flags().StringSliceVar(&hosts, "host", nil, "a DNS name or IP address of the server (repeatable; default localhost, 127.0.0.1)")
	return cmd
}
