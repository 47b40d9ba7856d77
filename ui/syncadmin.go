package ui

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/app"
	"folio/visible"
)

// This file is the Sync section of Administration (administrators, on a
// window wired to the syncer): where this workstation stands with the
// organisation's archive, and the window's way of doing what 'folio sync …'
// does on the command line: enroll, sync now, the bandwidth cap, sending
// the vault keys to a workstation that joins, and sync bundles carried on a
// USB stick. The archive is reached through SyncAdmin (syncer.Admin, which
// the command line calls too); every call runs off the Fyne goroutine. The
// key requests are in keyrequests.go, the bundles in syncbundles.go.

// SyncAdmin is what the window needs of this workstation's link with the
// organisation's archive. Its methods may be slow (files, the network) and
// are called off the Fyne goroutine. A failure to reach the archive wraps
// app.ErrNoLink; the archive refusing this workstation wraps app.ErrRefused.
type SyncAdmin interface {
	// ReadEnrollment reads an enrollment file (made by 'folio-archive
	// device add') and says what it is for; nothing is kept.
	ReadEnrollment(path string) (app.Enrollment, error)
	// Enroll keeps the enrollment file at path in the data folder: this
	// workstation syncs with that archive from the next start of sync.
	Enroll(path string) (app.Enrollment, error)
	// State reads where this workstation stands with its archive (no
	// network).
	State(ctx context.Context) (app.SyncState, error)
	// SyncNow asks the running sync for a round at once; false when no
	// sync runs (not enrolled, or not signed in).
	SyncNow() bool
	// SetBandwidth caps what sync sends and receives per second (0: no
	// cap), from the next start of sync.
	SetBandwidth(ctx context.Context, bytesPerSecond int64) error
	// KeyRequests lists the workstations that asked the archive for the
	// vault keys, granted or not.
	KeyRequests(ctx context.Context) ([]app.KeyRequest, error)
	// SendGrant wraps the vault keys to req's key in s (an
	// administrator's session) and hands them to the archive, signed by
	// the vault (syncer.SendGrant).
	SendGrant(ctx context.Context, s *app.Session, req app.KeyRequest) error
	// ExportBundle writes a sync bundle for the archive to path (a new
	// file), under s; all carries again everything the archive has not
	// confirmed. It returns what the bundle carries, in words.
	ExportBundle(ctx context.Context, s *app.Session, path string, all bool) (string, error)
	// ImportReply applies the archive's reply bundle at path, under s,
	// and returns what it did, in words.
	ImportReply(ctx context.Context, s *app.Session, path string) (string, error)
	// DismissSetAside forgets these set-aside changes (as State listed
	// them).
	DismissSetAside(ctx context.Context, cs []app.SetAsideChange) error
	// AskForKeys asks the archive for the vault keys of this joining
	// workstation (publicKey is its join key): the grant once an
	// administrator approved, checked to be signed by the organisation's
	// vault (app.ErrForeignVault otherwise), nil while the request waits.
	AskForKeys(ctx context.Context, publicKey []byte) (*app.VaultGrant, error)
	// FirstSync runs one round under the session of a workstation that has
	// just received the vault keys: the users and records arrive.
	FirstSync(ctx context.Context, s *app.Session) error
}

// syncAdminScreen is the Sync section of Administration.
type syncAdminScreen struct {
	adminPage
	sync  SyncAdmin
	box   fyne.CanvasObject
	msg   messageLabel
	state app.SyncState

	// Where this workstation stands.
	notEnrolled                                  *widget.Label
	facts                                        *fyne.Container
	org, station, address, ca                    *widget.Label
	live, last, pending, conflicts, setAsideText *widget.Label
	enrollBtn, syncNowBtn                        *widget.Button
	conflictsBtn, dismissBtn                     *widget.Button

	requests *keyRequests // the workstations waiting for the keys
	bw       *setting
	bundles  *syncBundles // sync by USB stick

	// confirm is the last question asked (enrolling, dismissing), and
	// confirmBtn its button that goes ahead.
	confirm    dialog.Dialog
	confirmBtn *widget.Button
}

func newSyncAdminScreen(sess *session) *syncAdminScreen {
	u := sess.a
	s := &syncAdminScreen{adminPage: newAdminPage(sess), sync: u.opts.Sync, msg: newMessageLabel()}

	// Where this workstation stands.
	s.notEnrolled = wrapped("This workstation is not enrolled with an archive: its records stay on this computer only. " +
		"To connect it, the archive's administrator makes an enrollment file for it ('folio-archive device add') " +
		"and brings it on a USB stick; choose Enroll this workstation… and pick the file.")
	s.notEnrolled.Hide()
	val := func() *widget.Label {
		l := widget.NewLabel("…")
		l.Wrapping = fyne.TextWrapWord
		return l
	}
	s.org, s.station, s.address, s.ca = val(), val(), val(), val()
	s.ca.TextStyle = fyne.TextStyle{Monospace: true}
	s.live, s.last, s.pending, s.conflicts, s.setAsideText = val(), val(), val(), val(), val()
	s.live.TextStyle = fyne.TextStyle{Bold: true}
	s.conflictsBtn = button(u.input, "Open the conflicts…", theme.WarningIcon(), widget.MediumImportance, u.nav.showConflicts)
	s.conflictsBtn.Hide()
	s.dismissBtn = button(u.input, "Dismiss…", theme.DeleteIcon(), widget.MediumImportance, s.askDismiss)
	s.dismissBtn.Hide()
	s.facts = formGrid(
		fieldLabelW("Organisation", settingLabelW), s.org,
		fieldLabelW("Workstation", settingLabelW), s.station,
		fieldLabelW("Archive", settingLabelW), s.address,
		fieldLabelW("CA fingerprint", settingLabelW), s.ca,
		fieldLabelW("Status", settingLabelW), s.live,
		fieldLabelW("Last sync", settingLabelW), s.last,
		fieldLabelW("Pending", settingLabelW), s.pending,
		fieldLabelW("Conflicts", settingLabelW), container.NewBorder(nil, nil, nil, s.conflictsBtn, s.conflicts),
		fieldLabelW("Set aside", settingLabelW), container.NewBorder(nil, nil, nil, s.dismissBtn, s.setAsideText),
	)
	s.facts.Hide()
	s.syncNowBtn = button(u.input, "Sync now", theme.ViewRefreshIcon(), widget.HighImportance, s.syncNow)
	s.syncNowBtn.Disable()
	s.enrollBtn = button(u.input, "Enroll this workstation…", theme.FolderOpenIcon(), widget.MediumImportance, s.askEnrollment)
	state := panel(container.NewVBox(
		heading("This workstation and the archive"),
		muted("Sync sends this workstation's changes and scans to the organisation's archive and brings everyone "+
			"else's, in the background while someone is signed in. The archive stores only ciphertext."),
		s.notEnrolled, s.facts,
		container.NewHBox(layout.NewSpacer(), s.enrollBtn, s.syncNowBtn),
	))

	s.requests = newKeyRequests(s)

	// The bandwidth cap.
	s.bw = newSetting(u, "kilobits per second, 0 for no cap", s.saveBandwidth)
	bandwidth := s.bw.section("Bandwidth cap",
		"How much of the link sync may use, sending and receiving together, in kilobits per second (kbit/s): "+
			"on a shared or paid link, for example 256. 0 means no cap. Sync starts again with the new cap at once.",
		nil)

	s.bundles = newSyncBundles(s)

	content := container.NewVBox(adminBar(u, adminSync), s.msg.Label, state, s.requests.box, bandwidth, s.bundles.box)
	s.box = scrollingColumn(u, 900, content)
	s.syncUpdate(u.synced)
	s.reload()
	return s
}

func (s *syncAdminScreen) view() fyne.CanvasObject    { return s.box }
func (s *syncAdminScreen) focusFirst() fyne.Focusable { return nil }

// forget has no patient data to drop: names of workstations, counts and
// fingerprints only.
func (s *syncAdminScreen) forget() {
	if s.confirm != nil {
		s.confirm.Hide()
	}
}

// syncUpdate shows the indicator's words (syncer.Describe's) as they
// change.
func (s *syncAdminScreen) syncUpdate(st app.SyncStatus) {
	switch {
	case st.Text == "" && s.sess.a.opts.StartSync == nil:
		s.live.SetText("Sync does not run in this window")
	case st.Text == "":
		s.live.SetText("Sync starting…")
	case st.Detail != "":
		s.live.SetText(st.Text + "\n" + st.Detail)
	default:
		s.live.SetText(st.Text)
	}
	if st.Problem {
		s.live.Importance = widget.DangerImportance
	} else {
		s.live.Importance = widget.MediumImportance
	}
	s.live.Refresh()
}

// syncSettled reads the counts again after a round.
func (s *syncAdminScreen) syncSettled() { s.reload() }

// here reports whether the screen is still the one on show.
func (s *syncAdminScreen) here() bool { return s.sess.a.cur == screen(s) }

// reload reads the state off the Fyne goroutine; once enrolled, it asks
// the archive for the workstations waiting for the keys.
func (s *syncAdminScreen) reload() {
	sess, sync := s.sess, s.sync
	sess.run(func(ctx context.Context) func() {
		st, err := sync.State(ctx)
		return func() {
			if !s.here() {
				return
			}
			if err != nil {
				s.msg.error("The sync state could not be read: " + message(err))
				return
			}
			wasEnrolled := s.state.Enrolled
			s.state = st
			s.draw()
			if st.Enrolled && (!wasEnrolled || s.requests.reqs == nil) {
				s.requests.load()
			}
		}
	})
}

// draw shows the state read last.
func (s *syncAdminScreen) draw() {
	st := s.state
	s.bw.save.Enable()
	s.bw.now.SetText(bandwidthText(st.Bandwidth))
	s.bw.field.SetText(strconv.FormatInt(st.Bandwidth*8/1000, 10))
	if !st.Enrolled {
		s.notEnrolled.Show()
		s.facts.Hide()
		s.enrollBtn.SetText("Enroll this workstation…")
		s.enrollBtn.Importance = widget.HighImportance
		s.enrollBtn.Refresh()
		s.syncNowBtn.Hide()
		s.requests.reqRows.RemoveAll()
		s.requests.reqRows.Add(muted("Enroll this workstation first: the requests are kept by the archive."))
		s.requests.refreshReqs.Disable()
		s.bundles.exportBtn.Disable()
		s.bundles.importBtn.Disable()
		s.bundles.all.Disable()
		return
	}
	s.notEnrolled.Hide()
	s.facts.Show()
	s.enrollBtn.SetText("Enroll again with a new file…")
	s.enrollBtn.Importance = widget.MediumImportance
	s.enrollBtn.Refresh()
	s.syncNowBtn.Show()
	s.syncNowBtn.Enable()
	s.requests.refreshReqs.Enable()
	s.bundles.exportBtn.Enable()
	s.bundles.importBtn.Enable()
	s.bundles.all.Enable()
	e := st.Enrollment
	s.org.SetText(visible.Line(e.Org))
	s.station.SetText(visible.Line(e.Workstation + "   (vault " + st.Device + ")"))
	s.address.SetText(visible.Line(e.Address))
	s.ca.SetText(e.CAFingerprint)
	if st.LastSuccess.IsZero() {
		s.last.SetText("Never")
	} else {
		s.last.SetText(whenText(st.LastSuccess))
	}
	pending := plural(st.PendingChanges, "change", "changes") + " to send"
	if st.ScansKnown {
		pending = plural(st.PendingChanges, "change", "changes") + " and " + plural(st.PendingScans, "scan", "scans") + " to send"
	}
	if st.PendingChanges == 0 && (!st.ScansKnown || st.PendingScans == 0) {
		pending = "Nothing to send"
	}
	s.pending.SetText(pending)
	if st.Conflicts == 0 {
		s.conflicts.SetText("None")
		s.conflictsBtn.Hide()
	} else {
		s.conflicts.SetText(plural(st.Conflicts, "record", "records") + " changed on two workstations at once")
		if s.sess.user.Roles.Can(app.PermPatientMerge) {
			s.conflictsBtn.Show()
		}
	}
	if len(st.SetAside) == 0 {
		s.setAsideText.SetText("None")
		s.setAsideText.Importance = widget.MediumImportance
		s.dismissBtn.Hide()
	} else {
		var b strings.Builder
		in := slices.DeleteFunc(slices.Clone(st.SetAside), func(c app.SetAsideChange) bool { return c.Outgoing })
		out := slices.DeleteFunc(slices.Clone(st.SetAside), func(c app.SetAsideChange) bool { return !c.Outgoing })
		if len(in) > 0 {
			fmt.Fprintf(&b, "Not imported, %s: damaged or altered on the way or at the archive, or a user or password "+
				"change no entitled user made. Report them to the archive's administrator:", plural(len(in), "incoming change", "incoming changes"))
		}
		for _, c := range in {
			what := c.What
			if what == "" {
				what = "a change"
			}
			fmt.Fprintf(&b, "\n· %s (archive change %d): %s", visible.Line(what), c.Seq, visible.Line(c.Reason))
		}
		if len(out) > 0 {
			if len(in) > 0 {
				b.WriteString("\n")
			}
			fmt.Fprintf(&b, "Not accepted by the archive, %s made on this workstation: kept here and not sent; the rest syncs. What to do:",
				plural(len(out), "user or password change", "user or password changes"))
		}
		for _, c := range out {
			fmt.Fprintf(&b, "\n· %s: %s", visible.Line(c.What), visible.Line(c.Reason))
		}
		s.setAsideText.SetText(b.String())
		s.setAsideText.Importance = widget.DangerImportance
		s.dismissBtn.Show()
	}
	s.setAsideText.Refresh()
}

// bandwidthText says a cap in words.
func bandwidthText(bytesPerSecond int64) string {
	if bytesPerSecond <= 0 {
		return "No cap"
	}
	return fmt.Sprintf("%d kbit/s (%d bytes per second)", bytesPerSecond*8/1000, bytesPerSecond)
}

// syncNow asks the running sync for a round.
func (s *syncAdminScreen) syncNow() {
	if s.sync.SyncNow() {
		s.msg.info("A sync round starts now; the status above follows it.")
		return
	}
	s.msg.error("Sync is not running in this window. Sign out and in again; if it still does not start, " +
		"check the archive's address in Settings (Ctrl+2).")
}

// askEnrollment lets the administrator pick the enrollment file.
func (s *syncAdminScreen) askEnrollment() { s.askOpen(s.readEnrollment) }

// askOpen shows the file-open dialog and hands the chosen path to then.
func (s *syncAdminScreen) askOpen(then func(path string)) {
	u := s.sess.a
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		path := r.URI().Path()
		r.Close()
		then(path)
	}, u.win)
	u.dialogs.showDialog(d)
}

// readEnrollment reads the file off the Fyne goroutine and asks to
// confirm what it says.
func (s *syncAdminScreen) readEnrollment(path string) {
	sess, sync := s.sess, s.sync
	s.msg.clear()
	sess.run(func(context.Context) func() {
		e, err := sync.ReadEnrollment(path)
		return func() {
			if !s.here() {
				return
			}
			if err != nil {
				s.msg.error("This file cannot be used to enroll: " + message(err) +
					" Ask the archive's administrator for the workstation's .enroll file ('folio-archive device add').")
				return
			}
			s.askEnroll(path, e)
		}
	})
}

// askEnroll shows what the enrollment file says and enrolls once the
// administrator confirms.
func (s *syncAdminScreen) askEnroll(path string, e app.Enrollment) {
	u := s.sess.a
	var d *dialog.CustomDialog
	facts := formGrid(
		fieldLabel("Organisation"), widget.NewLabel(visible.Line(e.Org)),
		fieldLabel("This workstation"), widget.NewLabel(visible.Line(e.Workstation)),
		fieldLabel("Archive"), widget.NewLabel(visible.Line(e.Address)),
		fieldLabel("CA fingerprint"), wrapped(e.CAFingerprint),
	)
	body := container.NewVBox(
		wrapped("This file makes this computer the workstation "+visible.Line(e.Workstation)+" of "+visible.Line(e.Org)+"'s archive. "+
			"Compare the CA fingerprint with the one the archive's administrator reads from 'folio-archive status'."),
		facts,
	)
	if s.state.Enrolled {
		body.Add(wrapped("This workstation is enrolled as " + visible.Line(s.state.Enrollment.Workstation) + " now; the new file replaces that."))
	}
	if !e.Bundles {
		body.Add(muted("This file has no key for USB bundles (it was made before bundles existed); online sync works."))
	}
	body.Add(muted("Once enrolled, delete the file from the USB stick: it holds this workstation's private key."))
	cancel := button(u.input, "Cancel", theme.CancelIcon(), widget.MediumImportance, func() { d.Hide() })
	s.confirmBtn = button(u.input, "Enroll", theme.ConfirmIcon(), widget.HighImportance, func() {
		d.Hide()
		s.enroll(path)
	})
	d = dialog.NewCustomWithoutButtons("Enroll this workstation?", body, u.win)
	d.SetButtons([]fyne.CanvasObject{cancel, s.confirmBtn})
	d.Resize(fyne.NewSize(620, 0))
	s.confirm = d
	u.dialogs.showDialog(d)
	u.win.Canvas().Focus(s.confirmBtn)
}

// enroll keeps the file, then starts sync again with it.
func (s *syncAdminScreen) enroll(path string) {
	sess, sync := s.sess, s.sync
	s.enrollBtn.Disable()
	sess.run(func(context.Context) func() {
		e, err := sync.Enroll(path)
		return func() {
			s.enrollBtn.Enable()
			if err != nil {
				if s.here() {
					s.msg.error("The workstation was not enrolled: " + message(err))
				}
				return
			}
			sess.startSync()
			if !s.here() {
				return
			}
			s.msg.info("Enrolled as " + visible.Line(e.Workstation) + " with the archive of " + visible.Line(e.Org) + " at " + visible.Line(e.Address) +
				". Sync starts now. Delete the enrollment file from the USB stick.")
			s.requests.reqs = nil
			s.reload()
		}
	})
}

// saveBandwidth stores the cap and starts sync again with it.
func (s *syncAdminScreen) saveBandwidth() {
	if s.bw.save.Disabled() {
		return
	}
	kbit, err := strconv.ParseInt(strings.TrimSpace(s.bw.field.Text), 10, 64)
	if err != nil || kbit < 0 || kbit > 10_000_000 {
		s.bw.msg.error("Type a whole number of kilobits per second, like 256, or 0 for no cap. Nothing was changed.")
		s.sess.a.win.Canvas().Focus(s.bw.field)
		return
	}
	if kbit > 0 && kbit < 8 {
		s.bw.msg.error("Sync needs at least 8 kbit/s to move anything. Nothing was changed.")
		s.sess.a.win.Canvas().Focus(s.bw.field)
		return
	}
	bytes := kbit * 1000 / 8
	sess, sync := s.sess, s.sync
	s.bw.save.Disable()
	s.bw.msg.clear()
	sess.run(func(ctx context.Context) func() {
		err := sync.SetBandwidth(ctx, bytes)
		return func() {
			s.bw.save.Enable()
			if err != nil {
				s.bw.msg.error("The cap was not saved: " + message(err))
				return
			}
			sess.startSync()
			s.state.Bandwidth = bytes
			s.bw.now.SetText(bandwidthText(bytes))
			if bytes == 0 {
				s.bw.msg.info("Saved. Sync uses the link without a cap from now on.")
			} else {
				s.bw.msg.info("Saved. Sync uses at most " + bandwidthText(bytes) + " from now on.")
			}
		}
	})
}

// askDismiss confirms, then forgets the set-aside changes.
func (s *syncAdminScreen) askDismiss() {
	u := s.sess.a
	n := len(s.state.SetAside)
	if n == 0 {
		return
	}
	var d *dialog.CustomDialog
	cancel := button(u.input, "Cancel", theme.CancelIcon(), widget.MediumImportance, func() { d.Hide() })
	s.confirmBtn = button(u.input, "Dismiss", theme.DeleteIcon(), widget.WarningImportance, func() {
		d.Hide()
		s.dismiss()
	})
	d = dialog.NewCustomWithoutButtons("Dismiss "+plural(n, "set-aside change", "set-aside changes")+"?",
		wrapped("Dismiss them once they are reported to the archive's administrator or dealt with: the sync indicator "+
			"stops flagging them. Dismissing them imports nothing, sends nothing and deletes nothing."), u.win)
	d.SetButtons([]fyne.CanvasObject{cancel, s.confirmBtn})
	d.Resize(fyne.NewSize(520, 0))
	s.confirm = d
	u.dialogs.showDialog(d)
}

func (s *syncAdminScreen) dismiss() {
	cs := slices.Clone(s.state.SetAside)
	sess, sync := s.sess, s.sync
	sess.run(func(ctx context.Context) func() {
		err := sync.DismissSetAside(ctx, cs)
		return func() {
			if !s.here() {
				return
			}
			if err != nil {
				s.msg.error("The set-aside changes were not dismissed: " + message(err))
				return
			}
			s.msg.info(plural(len(cs), "set-aside change", "set-aside changes") + " dismissed.")
			s.reload()
		}
	})
}
