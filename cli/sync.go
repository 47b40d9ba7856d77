package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"folio/app"
	"folio/archive/api"
	"folio/archive/pki"
	"folio/profile"
	"folio/syncer"
)

func syncCommand(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "connect this workstation to the organisation's archive and sync with it",
		Long: `Sync sends this workstation's changes (records, audit trail, scans) to the
organisation's archive and brings everyone else's, whenever a link exists.
The window does it in the background; these commands do it headless.`,
	}
	cmd.AddCommand(syncEnrollCommand(e), syncNowCommand(e), syncStatusCommand(e),
		syncRequestsCommand(e), syncApproveCommand(e), syncConflictsCommand(e), syncResolveCommand(e), syncBandwidthCommand(e), syncSetAsideCommand(e),
		syncExportCommand(e), syncImportCommand(e))
	return cmd
}

func syncEnrollCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "enroll FILE",
		Short: "connect this vault to the archive with an enrollment file (an administrator)",
		Long: `Keeps the enrollment file made by 'folio-archive device add' in the data
folder and checks that the archive answers. Delete the file from the USB
stick afterwards: it holds this workstation's private key.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			enr, err := pki.ReadEnrollment(args[0])
			if err != nil {
				return err
			}
			if err := enr.CheckFresh(time.Now()); err != nil {
				return err
			}
			return e.inSessionProfile(cmd.Context(), func(s *app.Session, prof *profile.Profile) error {
				if !s.User().Roles.Can(app.PermUserManage) {
					return fmt.Errorf("enroll: %w: an administrator enrolls a workstation", app.ErrForbidden)
				}
				admin := prof.SyncAdmin(nil)
				enrolled, err := admin.Enroll(args[0])
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				printf(out, "Enrolled as %s with the archive of %s at %s (this vault is device %s).\n", enrolled.Workstation, enrolled.Org, enrolled.Address, prof.DB.DeviceID())
				client, _, err := admin.Connect(cmd.Context())
				if err != nil {
					return err
				}
				defer client.Close()
				ctx, cancel := context.WithTimeout(cmd.Context(), 10*time.Second)
				defer cancel()
				org, err := syncer.ShowVault(ctx, prof.DB, client, s.Replica())
				if errors.Is(err, api.ErrForeignVault) {
					return err
				}
				if err != nil {
					printf(out, "The archive does not answer yet (%v); sync starts when it does.\n", err)
					return nil
				}
				printf(out, "The archive serves the organisation's vault %s: this one.\n", org.Fingerprint())
				info, err := client.Device(ctx)
				if err != nil {
					printf(out, "The archive does not answer yet (%v); sync starts when it does.\n", err)
					return nil
				}
				printf(out, "The archive answers: %d changes there for this workstation to pull. Run 'folio sync now'.\n", info.Backlog)
				return nil
			})
		},
	}
}

// openArchive opens the profile and a client for its archive; done closes
// both.
func openArchive(e *env, ctx context.Context) (*profile.Profile, *syncer.Client, func(), error) {
	prof, err := e.open()
	if err != nil {
		return nil, nil, nil, err
	}
	c, _, err := prof.SyncAdmin(nil).Connect(ctx)
	if err != nil {
		prof.Close()
		return nil, nil, nil, err
	}
	return prof, c, func() { c.Close(); prof.Close() }, nil
}

func syncNowCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "now",
		Short: "run one sync round now and report what moved",
		Long: `Pushes this workstation's pending changes, pulls everyone else's and moves
scans both ways, then prints what it did. On a workstation that joined with
'folio init --join', the first run fetches the vault keys once an
administrator approved them (folio sync approve) and the joining user's
password opens them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			prof, client, done, err := openArchive(e, ctx)
			if err != nil {
				return err
			}
			defer done()
			s, err := syncSession(e, ctx, cmd.OutOrStdout(), prof, client)
			if err != nil {
				return err
			}
			defer s.Lock(ctx)
			eng := syncer.New(syncer.Params{DB: prof.DB, Blobs: prof.Blobs, Session: s.Replica(), Client: client})
			rep, err := eng.Round(ctx)
			printLine(cmd.OutOrStdout(), "Sync:", rep)
			if rep.Restore != nil {
				printf(cmd.OutOrStdout(), "%s.\n", rep.Restore)
			}
			if err != nil {
				return fmt.Errorf("sync stopped: %w; what moved before is kept, and the next round resumes", err)
			}
			if len(s.User().Roles) == 0 {
				// The first sync of a joining workstation: its user's
				// record should have arrived.
				if err := s.Replica().CheckUserArrived(ctx); err != nil {
					return err
				}
			}
			st := eng.Status()
			printf(cmd.OutOrStdout(), "Up to date: %d changes pending, %d scans to upload, %d records in conflict.\n", st.PendingChanges, st.PendingBlobs, st.Conflicts)
			return nil
		},
	}
}

// syncSession logs in, or on a joining workstation opens the granted keys.
func syncSession(e *env, ctx context.Context, out io.Writer, prof *profile.Profile, client *syncer.Client) (*app.Session, error) {
	req, joining, err := prof.Vault.JoinPending(ctx)
	if err != nil {
		return nil, err
	}
	if !joining {
		pw, err := e.secret("FOLIO_PASSWORD", "password for "+e.userName())
		if err != nil {
			return nil, err
		}
		return prof.Vault.Login(ctx, e.userName(), pw)
	}
	grant, err := syncer.ReceiveGrant(ctx, client, req.PublicKey, nil)
	if err != nil {
		return nil, err
	}
	if grant == nil {
		enr, err := syncer.LoadEnrollment(prof.Dir)
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("this workstation still waits for the vault keys (key %s): on an enrolled workstation an administrator runs 'folio sync approve %s --fingerprint %s'", req.Fingerprint, enr.Device, req.Fingerprint)
	}
	pw, err := e.secret("FOLIO_PASSWORD", "password for "+req.User)
	if err != nil {
		return nil, err
	}
	s, err := prof.Vault.CompleteJoin(ctx, pw, *grant)
	if err != nil {
		return nil, err
	}
	printf(out, "The vault keys arrived from the organisation's vault %s (compare it with what 'folio sync status' shows on the administrator's workstation); %s can sign in here after this first sync.\n", api.VaultFingerprint(grant.Vault), req.User)
	return s, nil
}

// statusJSON is the stable shape of 'folio sync status --json'.
type statusJSON struct {
	Enrolled       bool                  `json:"enrolled"`
	Org            string                `json:"org,omitempty"`
	Workstation    string                `json:"workstation,omitempty"`
	Archive        string                `json:"archive,omitempty"`
	Device         string                `json:"device"`
	WaitingForKeys bool                  `json:"waiting_for_keys,omitempty"`
	Fingerprint    string                `json:"join_key_fingerprint,omitempty"`
	Vault          string                `json:"organisation_vault,omitempty"`
	PendingChanges int                   `json:"pending_changes"`
	Conflicts      int                   `json:"conflicts"`
	LastSuccess    string                `json:"last_success,omitempty"`
	Reachable      bool                  `json:"reachable"`
	Error          string                `json:"error,omitempty"`
	Backlog        uint64                `json:"backlog"`
	AuditSent      uint64                `json:"audit_held_by_archive"`
	Countersigned  *api.Countersignature `json:"countersigned,omitempty"`
	// Restored: the archive holds later work of this workstation than
	// this vault (restored from a backup); the next sync catches up.
	Restored bool `json:"restored_behind_archive,omitempty"`
}

func syncStatusCommand(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "this workstation's sync state: pending changes, conflicts, last success (no password needed)",
		Args:  cobra.NoArgs,
		RunE: e.withProfile(func(cmd *cobra.Command, _ []string, prof *profile.Profile) error {
			ctx := cmd.Context()
			admin := prof.SyncAdmin(nil)
			ss, err := admin.State(ctx)
			if err != nil {
				return err
			}
			st := statusJSON{Device: ss.Device, Enrolled: ss.Enrolled, WaitingForKeys: ss.WaitingForKeys, Fingerprint: ss.JoinFingerprint,
				Vault: ss.Vault, PendingChanges: ss.PendingChanges, Conflicts: ss.Conflicts}
			if ss.Enrolled {
				st.Org, st.Workstation, st.Archive = ss.Enrollment.Org, ss.Enrollment.Workstation, ss.Enrollment.Address
			}
			if !ss.LastSuccess.IsZero() {
				st.LastSuccess = ss.LastSuccess.Format(time.RFC3339)
			}
			if c, ok, _ := admin.Countersignature(ctx); ok {
				st.Countersigned = &c
			}
			if st.Enrolled {
				view, err := admin.AskArchive(ctx)
				if err != nil {
					st.Error = err.Error()
				} else {
					st.Reachable, st.Backlog, st.AuditSent, st.Restored = true, view.Backlog, view.AuditThrough, view.Restored
				}
			}
			return writeOne(cmd, asJSON, st, func(w io.Writer) error { printSyncStatus(w, st); return nil })
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func printSyncStatus(out io.Writer, st statusJSON) {
	if !st.Enrolled {
		printf(out, "Not enrolled with an archive (device %s). %d changes wait for one.\n", st.Device, st.PendingChanges)
		return
	}
	printf(out, "Workstation  %s of %s (device %s)\n", st.Workstation, st.Org, st.Device)
	printf(out, "Archive      %s", st.Archive)
	if st.Reachable {
		printf(out, " (reachable; %d changes there to pull)\n", st.Backlog)
	} else {
		printf(out, " (not reachable: %s)\n", st.Error)
	}
	if st.Restored {
		printLine(out, "Restored     this workstation was restored from a backup: the archive holds later work of it; the next sync (folio sync now, or signing in at the window) fetches it back")
	}
	if st.WaitingForKeys {
		printf(out, "Keys         waiting for an administrator's approval (key %s)\n", st.Fingerprint)
	}
	if st.Vault != "" {
		printf(out, "Vault        the organisation's vault %s\n", st.Vault)
	}
	last := st.LastSuccess
	if last == "" {
		last = "never"
	}
	printf(out, "Last sync    %s\n", last)
	printf(out, "Pending      %d changes\n", st.PendingChanges)
	printf(out, "Conflicts    %d records\n", st.Conflicts)
	if st.Countersigned != nil {
		printf(out, "Audit trail  countersigned by the archive through entry %d at %s\n", st.Countersigned.Seq, st.Countersigned.Time.Format(time.RFC3339))
	}
}

func syncRequestsCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "requests",
		Short: "list the workstations waiting for the vault keys",
		Args:  cobra.NoArgs,
		RunE: e.withProfile(func(cmd *cobra.Command, _ []string, prof *profile.Profile) error {
			reqs, err := prof.SyncAdmin(nil).KeyRequests(cmd.Context())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			n := 0
			for _, r := range reqs {
				if r.Granted.IsZero() {
					n++
					printf(out, "%-20s key %s  asked %s\n", r.Name, r.Fingerprint, r.Requested.Format(time.RFC3339))
				}
			}
			if n == 0 {
				printLine(out, "No workstation is waiting for the vault keys.")
			}
			return nil
		}),
	}
}

func syncApproveCommand(e *env) *cobra.Command {
	var fingerprint string
	cmd := &cobra.Command{
		Use:   "approve NAME --fingerprint KEY",
		Short: "send the vault keys to a joining workstation, wrapped to its key (an administrator)",
		Long: `Ask the person at the joining workstation to read out the key fingerprint it
shows ('folio init --join' or 'folio sync status' there) and give it with
--fingerprint: the keys go only to a request with that key. Never use a
fingerprint read from this workstation's own list: someone holding a lost
enrollment file may be asking in the workstation's name. The keys travel
signed by this vault, and the joining workstation checks that.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if fingerprint == "" {
				return usageError{syncer.ErrNoFingerprint}
			}
			ctx := cmd.Context()
			return e.inSessionProfile(ctx, func(s *app.Session, prof *profile.Profile) error {
				r, err := prof.SyncAdmin(nil).Approve(ctx, s, args[0], fingerprint)
				if err != nil {
					return err
				}
				id, err := s.Replica().VaultIdentity()
				if err != nil {
					return err
				}
				printf(cmd.OutOrStdout(), "Sent the vault keys to %s (key %s), signed by this vault %s. There, 'folio sync now' opens them with its user's password and shows that vault fingerprint to compare.\n", r.Name, r.Fingerprint, api.VaultFingerprint(id))
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&fingerprint, "fingerprint", "", "the key fingerprint the joining workstation shows (required)")
	return cmd
}

func syncConflictsCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "conflicts",
		Short: "list records changed on two workstations at once, with their branches (both are kept)",
		Args:  cobra.NoArgs,
		RunE: e.signedIn(func(cmd *cobra.Command, _ []string, s *app.Session) error {
			cs, err := s.Conflicts().List(cmd.Context())
			if err != nil {
				return err
			}
			printConflicts(cmd.OutOrStdout(), cs)
			return nil
		}),
	}
}

func printConflicts(out io.Writer, cs []app.Conflict) {
	if len(cs) == 0 {
		printLine(out, "No conflicts.")
		return
	}
	for _, c := range cs {
		printf(out, "%s (%s %s), shown now: %s\n", c.Label, c.Kind, c.ID, c.Current)
		for _, v := range c.Versions {
			printf(out, "  branch %s by %s at %s\n", v.Version, v.ChangedBy, v.Changed.Format(time.RFC3339))
			for _, f := range c.Differing {
				printf(out, "    %-14s %s\n", f, v.Fields[f])
			}
		}
		if c.Mergeable {
			printLine(out, "  the branches changed different fields; merged they give:")
			p := c.ProposalFields()
			for _, f := range c.Differing {
				printf(out, "    %-14s %s\n", f, p[f])
			}
			printf(out, "  resolve: folio sync resolve %s %s --merge   (or --keep VERSION)\n", c.Kind, c.ID)
		} else {
			printf(out, "  resolve: folio sync resolve %s %s --keep VERSION\n", c.Kind, c.ID)
		}
	}
}

func syncResolveCommand(e *env) *cobra.Command {
	var keep string
	var merge bool
	cmd := &cobra.Command{
		Use:   "resolve KIND ID (--keep VERSION | --merge)",
		Short: "settle a conflict with a new version: one branch's content, or the proposed merge",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (keep == "") == !merge {
				return usageError{errors.New("give one of --keep VERSION or --merge")}
			}
			var v app.Version
			if keep != "" {
				var err error
				if v, err = app.ParseVersion(keep); err != nil {
					return usageError{err}
				}
			}
			return e.inSession(cmd.Context(), func(s *app.Session) error {
				if err := s.Conflicts().Resolve(cmd.Context(), app.Kind(args[0]), args[1], v, merge); err != nil {
					return err
				}
				printf(cmd.OutOrStdout(), "Resolved %s %s; the resolution reaches the other workstations with the next sync.\n", args[0], args[1])
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&keep, "keep", "", "the branch to keep (as 'folio sync conflicts' shows it)")
	cmd.Flags().BoolVar(&merge, "merge", false, "keep both branches' changes (when they changed different fields)")
	return cmd
}

func syncBandwidthCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "bandwidth BYTES-PER-SECOND",
		Short: "cap what sync sends and receives per second (0: no cap); applies from the next sync",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || n < 0 {
				return usageError{fmt.Errorf("bandwidth %q: give bytes per second, 0 for no cap", args[0])}
			}
			return e.inSessionProfile(cmd.Context(), func(s *app.Session, prof *profile.Profile) error {
				if !s.User().Roles.Can(app.PermUserManage) {
					return fmt.Errorf("bandwidth: %w: an administrator sets it", app.ErrForbidden)
				}
				return prof.SyncAdmin(nil).SetBandwidth(cmd.Context(), n)
			})
		},
	}
}

// withBundleAdmin signs in and runs fn with the session, the sync
// administration and the workstation's enrollment (bundles need no link).
func withBundleAdmin(e *env, ctx context.Context, fn func(s *app.Session, admin *syncer.Admin, enr app.Enrollment) error) error {
	return e.inSessionProfile(ctx, func(s *app.Session, prof *profile.Profile) error {
		admin := prof.SyncAdmin(nil)
		st, err := admin.State(ctx)
		if err == nil && !st.Enrolled {
			err = syncer.ErrNotEnrolled
		}
		if err != nil {
			return err
		}
		return fn(s, admin, st.Enrollment)
	})
}

func syncExportCommand(e *env) *cobra.Command {
	var out string
	var all bool
	cmd := &cobra.Command{
		Use:   "export --out FILE [--all]",
		Short: "write a sync bundle for the archive, for a site without a link (USB stick)",
		Long: `Writes what the archive lacks from this workstation — its changes, its audit
trail and its scans — into one file, encrypted to the archive and signed by
this workstation. Carry it to the archive ('folio-archive import FILE
--reply REPLY') and bring the reply back ('folio sync import REPLY'). Nothing
counts as sent until the reply (or an online sync) confirms it. The next
export carries only what is new; --all carries everything not confirmed yet
again (for a stick that was lost).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usageError{errors.New("--out is required: the bundle file to write")}
			}
			ctx := cmd.Context()
			return withBundleAdmin(e, ctx, func(s *app.Session, admin *syncer.Admin, enr app.Enrollment) error {
				rep, err := admin.ExportBundle(ctx, s, out, all)
				if err != nil {
					return fmt.Errorf("export: %w", err)
				}
				printf(cmd.OutOrStdout(), "Wrote %s for the archive of %s: %s.\n", out, enr.Org, rep)
				printf(cmd.OutOrStdout(), "At the archive: folio-archive import --data DIR %s --reply REPLY; then here: folio sync import REPLY\n", out)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "the bundle file to write (required; never overwritten)")
	cmd.Flags().BoolVar(&all, "all", false, "carry everything the archive has not confirmed, not only what is new since the last export")
	return cmd
}

func syncImportCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "import FILE",
		Short: "apply the archive's reply bundle (from 'folio-archive import … --reply')",
		Long: `Verifies the archive's reply completely — signed by this organisation's
archive, addressed to this workstation, not altered or cut — and only then
applies it: what the archive confirmed stops being pending, everyone else's
changes and the scans arrive. Importing the same reply again changes nothing.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return withBundleAdmin(e, ctx, func(s *app.Session, admin *syncer.Admin, _ app.Enrollment) error {
				rep, err := admin.ImportReply(ctx, s, args[0])
				if err != nil {
					return fmt.Errorf("import %s: %w", args[0], err)
				}
				out := cmd.OutOrStdout()
				printf(out, "Imported %s: %s.\n", args[0], rep)
				st, err := admin.State(ctx)
				if err != nil {
					return err
				}
				printf(out, "Now %d changes pending, %d records in conflict.\n", st.PendingChanges, st.Conflicts)
				return nil
			})
		},
	}
}

func syncSetAsideCommand(e *env) *cobra.Command {
	var dismiss, asJSON bool
	cmd := &cobra.Command{
		Use:   "set-aside [--dismiss]",
		Short: "changes sync set aside: incoming ones not imported, and users or passwords changed here the archive does not accept",
		Long: "Lists the changes a sync set aside because they failed their integrity check (the archive's\n" +
			"copy or the link altered them), or because they are a user or a password (key slots) that\n" +
			"no entitled user's session signed: made on a workstation without an administrator's\n" +
			"password. They were never imported; --json shows each as it came. Report them to the\n" +
			"archive's administrator; --dismiss (an administrator) stops the sync indicator flagging them.\n" +
			"It also lists the users and passwords changed on this workstation that the archive does not\n" +
			"accept (a password reset with the recovery key, for one), each with what to do: they are kept\n" +
			"here and not sent, and the rest of the changes sync.",
		Args: cobra.NoArgs,
		RunE: e.signedInProfile(func(cmd *cobra.Command, _ []string, s *app.Session, prof *profile.Profile) error {
			admin := prof.SyncAdmin(nil)
			cs, err := admin.SetAside(cmd.Context())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if dismiss {
				if !s.User().Roles.Can(app.PermUserManage) {
					return fmt.Errorf("set-aside --dismiss: %w: an administrator dismisses them", app.ErrForbidden)
				}
				entries := make([]app.SetAsideChange, len(cs))
				for i, c := range cs {
					entries[i] = c.Entry()
				}
				if err := admin.DismissSetAside(cmd.Context(), entries); err != nil {
					return err
				}
				printf(out, "%d set-aside changes dismissed\n", len(cs))
				return nil
			}
			if asJSON {
				return writeJSON(out, cs)
			}
			if len(cs) == 0 {
				printLine(out, "No change was set aside.")
				return nil
			}
			for _, c := range cs {
				if c.Outgoing {
					printf(out, "made here, not accepted (change %d)  %s/%s  %s\n", c.Seq, c.Kind, c.ID, c.Reason)
					continue
				}
				printf(out, "archive change %d  %s/%s  %s\n", c.Seq, c.Kind, c.ID, c.Reason)
			}
			return nil
		}),
	}
	cmd.Flags().BoolVar(&dismiss, "dismiss", false, "forget them (an administrator, once reported)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
