package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/app"
	"folio/visible"
)

// keyRequests is the Sync section's list of the workstations waiting for
// the vault keys (syncadmin.go): each with a field for the fingerprint
// read out there and Approve, which sends the keys wrapped to that
// workstation's own key.
type keyRequests struct {
	s   *syncAdminScreen
	box fyne.CanvasObject

	reqs        []app.KeyRequest
	reqRows     *fyne.Container
	reqMsg      messageLabel
	refreshReqs *widget.Button
	fpEntry     map[string]*entry
	approveBtn  map[string]*widget.Button
}

// newKeyRequests makes the panel; the list is read once enrolled.
func newKeyRequests(s *syncAdminScreen) *keyRequests {
	u := s.sess.a
	kr := &keyRequests{s: s, reqMsg: newMessageLabel()}
	kr.reqRows = container.NewVBox()
	kr.refreshReqs = button(u.input, "Ask the archive again", theme.ViewRefreshIcon(), widget.LowImportance, func() {
		kr.reqMsg.clear()
		kr.load()
	})
	kr.box = panel(container.NewVBox(
		container.NewBorder(nil, nil, heading("Workstations waiting for the keys"), kr.refreshReqs),
		muted("A new workstation that joins the organisation ('Join an organisation' at its first start, or "+
			"'folio init --join') asks for the vault keys and shows a key fingerprint. Ask the person there to read "+
			"it to you, type it next to the workstation's name and Approve: the keys go to it wrapped to its own key. "+
			"Never approve a fingerprint that differs."),
		widget.NewSeparator(), kr.reqRows, kr.reqMsg.Label,
	))
	return kr
}

// loadRequests asks the archive for the key requests.
func (kr *keyRequests) load() {
	sess, sync := kr.s.sess, kr.s.sync
	kr.refreshReqs.Disable()
	if len(kr.reqRows.Objects) == 0 {
		kr.reqRows.Add(muted("Asking the archive…"))
	}
	sess.run(func(ctx context.Context) func() {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		reqs, err := sync.KeyRequests(ctx)
		return func() {
			if !kr.s.here() {
				return
			}
			kr.refreshReqs.Enable()
			if err != nil {
				kr.reqRows.RemoveAll()
				kr.reqMsg.error(linkText(err, "The requests could not be read"))
				return
			}
			kr.reqs = reqs
			kr.draw()
		}
	})
}

// linkText says why the archive did not answer, and what to do.
func linkText(err error, what string) string {
	switch {
	case errors.Is(err, app.ErrNoLink):
		return what + ": there is no link to the archive now. Check the network, then Ask the archive again; " +
			"without a link, a USB stick carries the changes (below)."
	case errors.Is(err, app.ErrRefused):
		return what + ": the archive refuses this workstation (" + message(err) + ") Ask the archive's " +
			"administrator whether its enrollment was revoked; enroll again with a new file."
	}
	return what + ": " + message(err)
}

// drawRequests lists the workstations waiting, each with a field for the
// fingerprint read out there and Approve.
func (kr *keyRequests) draw() {
	u := kr.s.sess.a
	kr.reqRows.RemoveAll()
	kr.fpEntry, kr.approveBtn = map[string]*entry{}, map[string]*widget.Button{}
	n := 0
	for _, r := range kr.reqs {
		if !r.Granted.IsZero() {
			continue
		}
		n++
		fp := newEntry(u.input, "the fingerprint shown there")
		approve := button(u.input, "Approve", theme.ConfirmIcon(), widget.HighImportance, func() { kr.approve(r.Name) })
		fp.OnSubmitted = func(string) { kr.approve(r.Name) }
		kr.fpEntry[r.Name], kr.approveBtn[r.Name] = fp, approve
		title := widget.NewRichText(
			&widget.TextSegment{Text: visible.Line(r.Name), Style: styleBold},
			&widget.TextSegment{Text: "   asked " + whenText(r.Requested), Style: styleMuted},
		)
		key := widget.NewLabelWithStyle("Key "+r.Fingerprint, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true, Bold: true})
		kr.reqRows.Add(container.NewVBox(
			container.NewBorder(nil, nil, title, key),
			container.NewBorder(nil, nil, fieldLabel("Fingerprint read out there"), approve, fp),
		))
	}
	if n == 0 {
		kr.reqRows.Add(muted("No workstation is waiting for the vault keys."))
	}
}

// approve sends the vault keys to the workstation name when the
// fingerprint typed is the one of its request.
func (kr *keyRequests) approve(name string) {
	var req *app.KeyRequest
	for i := range kr.reqs {
		if kr.reqs[i].Name == name && kr.reqs[i].Granted.IsZero() {
			req = &kr.reqs[i]
		}
	}
	fp := kr.fpEntry[name]
	if req == nil || fp == nil {
		return
	}
	typed := strings.TrimSpace(fp.Text)
	if typed == "" {
		kr.reqMsg.error("Type the fingerprint that " + name + " shows (ask the person there to read it out), then Approve.")
		kr.s.sess.a.win.Canvas().Focus(fp)
		return
	}
	if !app.SameFingerprint(typed, req.Fingerprint) {
		kr.reqMsg.error(fmt.Sprintf("Not approved: %s asks with the key %s, not %s. Check that you typed what "+
			"the new workstation shows. If it shows something else, do not approve: someone else may be asking in "+
			"its name. Have the archive's administrator revoke %s and enroll it again.", name, req.Fingerprint, typed, name))
		kr.s.sess.a.win.Canvas().Focus(fp)
		return
	}
	r := *req
	sess, sync := kr.s.sess, kr.s.sync
	kr.approveBtn[name].Disable()
	kr.reqMsg.clear()
	sess.run(func(ctx context.Context) func() {
		err := sync.SendGrant(ctx, sess.s, r)
		vault := ""
		if id, ierr := sess.s.Replica().VaultIdentity(); ierr == nil {
			vault = sess.a.vault.VaultFingerprint(id)
		}
		return func() {
			if !kr.s.here() {
				return
			}
			if b := kr.approveBtn[name]; b != nil {
				b.Enable()
			}
			if err != nil {
				kr.reqMsg.error(linkText(err, "The keys were not sent to "+name))
				return
			}
			kr.reqMsg.info("Sent the vault keys to " + name + " (key " + r.Fingerprint + "), signed by this vault " + vault +
				": " + name + " shows that fingerprint when they arrive. There, the keys open with " +
				"the password chosen when it joined, and the records follow.")
			kr.load()
		}
	})
}
