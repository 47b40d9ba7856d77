package archivecmd

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"folio/archive"
	"folio/archive/api"
	"folio/archive/pki"
	"folio/visible"
)

// statusJSON is the stable JSON shape of status.
type statusJSON struct {
	Org            string     `json:"org"`
	CAFingerprint  string     `json:"ca_fingerprint"`
	ServerHosts    []string   `json:"server_hosts"`
	ServerExpires  time.Time  `json:"server_expires"`
	DevicesActive  int        `json:"devices_active"`
	DevicesRevoked int        `json:"devices_revoked"`
	Store          storeState `json:"store"`
	StoreName      string     `json:"store_name"`
	// Metrics are the store's figures (nil unless Store is "open").
	Metrics *api.Metrics `json:"metrics,omitempty"`
	// Signers are the users whose signing keys the archive holds: who may
	// write users and key slots (package endorse; when Store is "open").
	Signers []signerJSON `json:"signers,omitempty"`
	// Quotas are the quotas set for one workstation ('device quota'), by
	// name, in bytes (-1: none; when Store is "open").
	Quotas map[string]int64 `json:"quotas,omitempty"`
}

// signerJSON is one registered user.
type signerJSON struct {
	Name        string `json:"name"`
	Admin       bool   `json:"admin,omitempty"`
	Disabled    bool   `json:"disabled,omitempty"`
	Fingerprint string `json:"key_fingerprint"`
}

func (e *env) statusCommand() *cobra.Command {
	var asJSON bool
	var spec string
	cmd := &cobra.Command{
		Use:   "status --data DIR [--json]",
		Short: "show the archive: organisation, devices, head, backlog, bytes stored",
		Long: `Shows the organisation, the enrolled devices and, when the store can be
read, its figures: the head (last global sequence number), each device's
backlog, the bytes of records and blobs. While the server runs it holds the
embedded store; status then says so and shows the rest.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			org, devs, err := e.registry(spec)
			if err != nil {
				return err
			}
			var m api.Metrics
			var signers []signerJSON
			var quotas map[string]int64
			state, err := readStore(cmd.Context(), e.dataDir, spec, func(st archive.Store) error {
				var err error
				if m, err = archive.MetricsWithVault(cmd.Context(), st); err != nil {
					return err
				}
				if quotas, err = st.Quotas(cmd.Context()); err != nil {
					return err
				}
				signers, err = readSigners(cmd.Context(), st)
				return err
			})
			if err != nil {
				return err
			}
			s := statusJSON{Org: org.Name, CAFingerprint: org.CAFingerprint, ServerHosts: org.Hosts,
				ServerExpires: org.ServerExpires, Store: state, StoreName: describeStore(e.dataDir, spec)}
			for _, d := range devs {
				if d.Status == pki.Active {
					s.DevicesActive++
				} else {
					s.DevicesRevoked++
				}
			}
			if state == storeOpen {
				s.Metrics, s.Signers, s.Quotas = &m, signers, quotas
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), s)
			}
			return writeStatus(cmd.OutOrStdout(), s, devs)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&spec, "store", "", "the store serve uses, if not the embedded one (postgres://…)")
	return cmd
}

func writeStatus(w io.Writer, s statusJSON, devs []pki.Device) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Organisation\t%s\n", visible.Line(s.Org))
	fmt.Fprintf(tw, "CA fingerprint\t%s\n", s.CAFingerprint)
	fmt.Fprintf(tw, "Server certificate\t%s, expires %s\n", strings.Join(s.ServerHosts, ", "), s.ServerExpires.Format(time.DateOnly))
	fmt.Fprintf(tw, "Workstations\t%d enrolled, %d revoked\n", s.DevicesActive, s.DevicesRevoked)
	fmt.Fprintf(tw, "Store\t%s\n", s.StoreName)
	if m := s.Metrics; m != nil {
		fmt.Fprintf(tw, "Head\t%d\n", m.Head)
		fmt.Fprintf(tw, "Records\t%s\n", archive.ByteSize(m.RecordBytes))
		fmt.Fprintf(tw, "Blobs\t%d (%s), %d uploads under way\n", m.Blobs, archive.ByteSize(m.BlobBytes), m.Uploads)
		if v := m.Vault; v != nil {
			fmt.Fprintf(tw, "Organisation vault\t%s (first shown by device %s on %s)\n", v.Fingerprint(), v.Device, v.Bound.Format(time.DateOnly))
		} else {
			fmt.Fprintf(tw, "Organisation vault\tnone yet: the first workstation enrolled with a vault ('folio sync enroll') makes it the organisation's\n")
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if s.Metrics == nil {
		return writeStoreNote(w, s.Store)
	}
	fmt.Fprintln(w)
	active := map[string]bool{}
	for _, d := range devs {
		if d.Status == pki.Active {
			active[d.Name] = true
		}
	}
	tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WORKSTATION\tVAULT DEVICE\tLAST SEEN\tVERSIONS\tAUDIT\tBACKLOG\tHELD\tQUOTA")
	for _, d := range s.Metrics.Devices {
		name := d.Name
		if name == "" {
			name = "?"
		} else if !active[name] {
			name += " (revoked)"
		}
		quota := "the server's"
		if q, ok := s.Quotas[d.Name]; ok && q == archive.NoQuota {
			quota = "none"
		} else if ok {
			quota = archive.ByteSize(q)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\n", visible.Line(name), d.ID, when(d.LastSeen), d.Versions, d.AuditThrough, d.Backlog, archive.ByteSize(d.Held), quota)
	}
	if len(s.Metrics.Devices) == 0 {
		fmt.Fprintln(tw, "(no workstation has synced yet)")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if err := writeSigners(w, s.Signers); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\nHELD is what a workstation holds on the archive (its records, and the scans it sent first); each may hold up to\nits QUOTA ('folio-archive device quota'), else the server's ('folio-archive serve --device-quota', default %s);\nover it the archive refuses what it sends.\n", archive.ByteSize(archive.DefaultDeviceQuota))
	return err
}

// readSigners lists the users the archive's registry holds.
func readSigners(ctx context.Context, st archive.Store) ([]signerJSON, error) {
	reg, err := archive.NewSigners(ctx, st, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, err
	}
	certs, err := reg.Registered(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]signerJSON, len(certs))
	for i, c := range certs {
		out[i] = signerJSON{Name: c.Name, Admin: c.Admin, Disabled: c.Disabled, Fingerprint: archive.KeyFingerprint(c.Key)}
	}
	return out, nil
}

// writeSigners lists the registered users and what they may sign.
func writeSigners(w io.Writer, signers []signerJSON) error {
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USER	MAY WRITE	SIGNING KEY")
	for _, s := range signers {
		may := "own password"
		switch {
		case s.Disabled:
			may = "nothing (disabled)"
		case s.Admin:
			may = "users, passwords (administrator)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", visible.Line(s.Name), may, s.Fingerprint)
	}
	if len(signers) == 0 {
		fmt.Fprintln(tw, "(no user has signed in since the archive checks signatures: the first administrator to sign in registers first)")
	}
	return tw.Flush()
}
