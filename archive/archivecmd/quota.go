package archivecmd

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"folio/archive"
	"folio/archive/pki"
)

func (e *env) deviceQuotaCommand() *cobra.Command {
	var name, spec string
	cmd := &cobra.Command{
		Use:   "quota --data DIR --name NAME SIZE|none|default [--store postgres://...]",
		Short: "set one workstation's storage quota on the archive",
		Long: `Sets how much one workstation may hold on the archive (its records, and the
scans it sent first), in place of 'folio-archive serve --device-quota' for it:
SIZE in bytes or with a unit (500MiB, 80GiB, 2TB), 'none' for no quota, or
'default' to go back to the server's. It is kept in the store, so it holds
after a restart and for every archive process sharing a PostgreSQL store,
from the workstation's next push or upload on. The embedded store is held by
a running server: stop it first, or set the quota on the PostgreSQL store.
The quota also holds a workstation's USB bundles ('folio-archive import').`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := required("name", name, "the workstation (see 'folio-archive device list')"); err != nil {
				return err
			}
			bytes, err := parseQuota(args[0])
			if err != nil {
				return err
			}
			if err := checkStoreSpec(spec); err != nil {
				return err
			}
			dir, _, err := e.pkiDir()
			if err != nil {
				return err
			}
			devs, err := pki.Devices(dir)
			if err != nil {
				return err
			}
			if !slices.ContainsFunc(devs, func(d pki.Device) bool { return d.Name == name }) {
				return fmt.Errorf("no workstation %q is enrolled here (see 'folio-archive device list')", name)
			}
			ctx := cmd.Context()
			st, err := openStoreToWrite(ctx, e.dataDir, spec, "while setting a quota")
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.SetQuota(ctx, name, bytes); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			switch {
			case bytes == 0:
				fmt.Fprintf(out, "%s is held to the server's quota again ('folio-archive serve --device-quota').\n", name)
			case bytes == archive.NoQuota:
				fmt.Fprintf(out, "%s may hold any amount on the archive (no quota).\n", name)
			default:
				fmt.Fprintf(out, "%s may hold %s on the archive.\n", name, archive.ByteSize(bytes))
			}
			return st.Close()
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "the workstation's name (required)")
	cmd.Flags().StringVar(&spec, "store", "", "the store serve uses, if not the embedded one (postgres://…)")
	return cmd
}

// quotaUnits are the units a quota may be given in, longest first.
var quotaUnits = []struct {
	suffix string
	bytes  int64
}{
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
	{"b", 1},
}

// parseQuota reads a quota: bytes, with a unit or not; "none" is
// archive.NoQuota, "default" 0 (the server's).
func parseQuota(s string) (int64, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	switch v {
	case "none":
		return archive.NoQuota, nil
	case "default":
		return 0, nil
	}
	unit := int64(1)
	for _, u := range quotaUnits {
		if n, ok := strings.CutSuffix(v, u.suffix); ok {
			v, unit = strings.TrimSpace(n), u.bytes
			break
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/unit {
		return 0, fmt.Errorf("quota %q: give a size in bytes or with a unit (500MiB, 80GiB, 2TB), 'none' or 'default'", s)
	}
	return n * unit, nil
}
