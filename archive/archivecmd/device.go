package archivecmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"folio/archive"
	"folio/archive/api"
	"folio/archive/pki"
	"folio/visible"
)

func (e *env) deviceCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "device",
		Short: "enroll, revoke and list the workstations",
		Args:  noArgs,
		RunE:  needSubcommand,
	}
	cmd.AddCommand(e.deviceAddCommand(), e.deviceRevokeCommand(), e.deviceListCommand(), e.deviceQuotaCommand())
	return cmd
}

func (e *env) deviceAddCommand() *cobra.Command {
	var name, out, address string
	var valid time.Duration
	cmd := &cobra.Command{
		Use:   "add --data DIR --name NAME --out FILE [--address HOST:PORT] [--valid 72h]",
		Short: "enroll a workstation: write its enrollment file",
		Long: `Issues a certificate for one workstation and writes its enrollment file
(0600): the organisation's CA, the workstation's certificate and private key,
and the archive's address (--address, default the first --host of init on
port ` + pki.DefaultPort + `). The private key exists only in this file: carry it to the
workstation, then delete it from the stick.

The file works once and only for a short time: the archive binds it to the
first vault that uses it and refuses it after --valid (default 72h) if it
was not used by then. A lost stick is then worth little; still revoke the
name if you lose one ('folio-archive device revoke').`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := required("name", name, "the workstation's name (letters, digits, '.', '_', '-')"); err != nil {
				return err
			}
			if err := required("out", out, "the enrollment file to write"); err != nil {
				return err
			}
			if err := pki.CheckDeviceName(name); err != nil {
				return err
			}
			dir, _, err := e.pkiDir()
			if err != nil {
				return err
			}
			// Refuse before a certificate is issued whose key would be lost.
			if _, err := os.Lstat(out); err == nil {
				return fmt.Errorf("%s already exists; choose another --out or remove it first", out)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("check %s: %w", out, err)
			}
			// The archive's key for sync bundles travels in the file too.
			bundleKey, _, err := ensureBundleKey(e.dataDir)
			if err != nil {
				return err
			}
			enr, err := pki.AddDeviceWithin(dir, name, address, valid)
			if err != nil {
				return err
			}
			enr.BundleKey = bundleKey
			if err := enr.WriteFile(out); err != nil {
				// The certificate was issued but its key is lost with the
				// file: revoke it so that the name can be enrolled again.
				if _, rerr := pki.Revoke(dir, name); rerr != nil {
					return fmt.Errorf("%w; the certificate issued for %s could not be revoked either (%v): run 'folio-archive device revoke --name %s'", err, name, rerr, name)
				}
				return fmt.Errorf("%w; the certificate issued for %s was revoked again, so run the command once more with a writable --out", err, name)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "Enrolled %s (certificate serial %s, expires %s).\n", name, enr.Cert.SerialNumber.Text(16), enr.Cert.NotAfter.UTC().Format(time.DateOnly))
			fmt.Fprintf(w, "Wrote %s for archive address %s; use it by %s (once).\n\n", out, enr.Address, enr.EnrollBy().Local().Format("2006-01-02 15:04"))
			fmt.Fprintf(w, "The file holds the workstation's private key: carry it to the workstation on\n")
			fmt.Fprintf(w, "a USB stick and delete it from the stick once it has been read. There run\n")
			fmt.Fprintf(w, "  folio sync enroll %s\n", out)
			fmt.Fprintf(w, "or, for a workstation without a vault yet,\n")
			fmt.Fprintf(w, "  folio init --join %s --user NAME\n", out)
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "the workstation's name (required)")
	cmd.Flags().StringVar(&out, "out", "", "the enrollment file to write (required; never overwritten)")
	cmd.Flags().StringVar(&address, "address", "", "the archive's HOST:PORT as the workstation dials it (default: from init)")
	cmd.Flags().DurationVar(&valid, "valid", pki.DefaultEnrollWindow, "how long the file may wait for its first use (e.g. 24h)")
	return cmd
}

func (e *env) deviceRevokeCommand() *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "revoke --data DIR --name NAME",
		Short: "revoke a workstation's certificate",
		Long: `Revokes the workstation's certificate. A running archive refuses it from
its next request on, without a restart. To let the workstation back in,
enroll it again with 'folio-archive device add'.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := required("name", name, "the workstation to revoke (see 'folio-archive device list')"); err != nil {
				return err
			}
			dir, _, err := e.pkiDir()
			if err != nil {
				return err
			}
			d, err := pki.Revoke(dir, name)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Revoked %s (certificate serial %s). The archive refuses it from its next request on.\n", d.Name, d.Serial)
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "the workstation's name (required)")
	return cmd
}

// deviceJSON is one registry entry with what the store knows of it.
type deviceJSON struct {
	pki.Device
	// Vaults are the vault device ids the store has seen this
	// workstation's certificates sync, with their figures.
	Vaults []api.DeviceInfo `json:"vaults,omitempty"`
}

// storeState says whether the store's figures are included.
type storeState string

const (
	storeOpen storeState = "open" // figures from the store
	storeBusy storeState = "busy" // the running server holds it
	storeNone storeState = "none" // no store yet
)

type deviceListJSON struct {
	Store   storeState   `json:"store"`
	Devices []deviceJSON `json:"devices"`
	// Unregistered are devices the store knows under a name the registry
	// does not hold.
	Unregistered []api.DeviceInfo `json:"unregistered,omitempty"`
}

func (e *env) deviceListCommand() *cobra.Command {
	var asJSON bool
	var spec string
	cmd := &cobra.Command{
		Use:   "list --data DIR [--json]",
		Short: "list the enrolled workstations and what the archive knows of them",
		Long: `Lists the device registry (name, status, serial, expiry) with, when the
store can be read, each workstation's vault device id, last contact, versions
pushed and backlog (changes it has not pulled yet). While the server runs
it holds the embedded store; the list then shows the registry only.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, devs, err := e.registry(spec)
			if err != nil {
				return err
			}
			m, state, err := readMetrics(cmd.Context(), e.dataDir, spec)
			if err != nil {
				return err
			}
			l := joinDevices(devs, m, state)
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), l)
			}
			return writeDeviceList(cmd.OutOrStdout(), l)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&spec, "store", "", "the store serve uses, if not the embedded one (postgres://…)")
	return cmd
}

// readMetrics reads the store's metrics, or says why it cannot.
func readMetrics(ctx context.Context, dataDir, spec string) (api.Metrics, storeState, error) {
	var m api.Metrics
	state, err := readStore(ctx, dataDir, spec, func(st archive.Store) error {
		var err error
		m, err = archive.MetricsWithVault(ctx, st)
		return err
	})
	return m, state, err
}

// readStore opens the store to read, runs read on it and closes it; a
// store busy (the server holds it) or absent is said by the state, and
// read does not run.
func readStore(ctx context.Context, dataDir, spec string, read func(archive.Store) error) (storeState, error) {
	st, err := openStoreToRead(ctx, dataDir, spec)
	switch {
	case errors.Is(err, errStoreBusy):
		return storeBusy, nil
	case errors.Is(err, errNoStore):
		return storeNone, nil
	case err != nil:
		return "", err
	}
	err = read(st)
	if cerr := st.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	return storeOpen, nil
}

// joinDevices pairs registry entries with the store's devices by
// certificate name; a name enrolled more than once (revoked, enrolled
// again) gets the store's figures on its latest entry.
func joinDevices(devs []pki.Device, m api.Metrics, state storeState) deviceListJSON {
	l := deviceListJSON{Store: state, Devices: make([]deviceJSON, len(devs))}
	latest := map[string]int{}
	for i, d := range devs {
		l.Devices[i] = deviceJSON{Device: d}
		latest[d.Name] = i
	}
	for _, info := range m.Devices {
		i, ok := latest[info.Name]
		if !ok {
			l.Unregistered = append(l.Unregistered, info)
			continue
		}
		l.Devices[i].Vaults = append(l.Devices[i].Vaults, info)
	}
	return l
}

func writeDeviceList(w io.Writer, l deviceListJSON) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATUS\tSERIAL\tEXPIRES\tVAULT DEVICE\tLAST SEEN\tVERSIONS\tBACKLOG")
	row := func(name, status, serial, expires string, info *api.DeviceInfo) {
		vault, seen, versions, backlog := "-", "-", "-", "-"
		if info != nil {
			vault, seen = info.ID.String(), when(info.LastSeen)
			versions, backlog = fmt.Sprint(info.Versions), fmt.Sprint(info.Backlog)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", visible.Line(name), status, serial, expires, vault, seen, versions, backlog)
	}
	for _, d := range l.Devices {
		status := string(d.Status)
		if d.Revoked != nil {
			status += " " + d.Revoked.Format(time.DateOnly)
		}
		if len(d.Vaults) == 0 {
			row(d.Name, status, d.Serial, d.Expires.Format(time.DateOnly), nil)
		}
		for _, v := range d.Vaults {
			row(d.Name, status, d.Serial, d.Expires.Format(time.DateOnly), &v)
		}
	}
	for _, v := range l.Unregistered {
		row(v.Name, "not in registry", "-", "-", &v)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(l.Devices) == 0 {
		fmt.Fprintln(w, "No workstation is enrolled yet: 'folio-archive device add --data DIR --name NAME --out FILE'.")
	}
	return writeStoreNote(w, l.Store)
}

// writeStoreNote says why the store's figures are missing.
func writeStoreNote(w io.Writer, state storeState) error {
	var err error
	switch state {
	case storeBusy:
		_, err = fmt.Fprintln(w, "The archive server is running and holds the store: its figures are not shown (they are in GET /v1/metrics).")
	case storeNone:
		_, err = fmt.Fprintln(w, "The archive has not served yet: no store, so no figures.")
	}
	return err
}

// when prints a time for a table, "-" for none.
func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
