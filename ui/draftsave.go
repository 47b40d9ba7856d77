package ui

import (
	"context"
	"errors"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/app"
	"folio/visible"
)

// A visit's draft is saved as it is typed: draftDelay after the last key,
// at once with Ctrl+S, and when the editor is left or the window locks.
// Each save is a version and an audit event (Encounters.Add for a new
// visit, then SaveDraft), so keys are not saved one by one. What the
// service refuses (a pulse of 900) is said under its field and nothing
// typed is lost; the next save tries again.

// draftSaver is the editor's saving state (Fyne goroutine only).
type draftSaver struct {
	edits  int // changes typed so far
	saved  int // edits when the last save started
	timer  *time.Timer
	saving bool // a save is under way
	again  bool // a save was asked for while one was under way
}

// changed notes a change typed and schedules the save.
func (v *encounterScreen) changed() {
	v.draft.edits++
	v.stopTimer()
	ctx, delay := v.sess.ctx, v.sess.a.draftDelay
	v.draft.timer = time.AfterFunc(delay, func() { doIfAlive(ctx, func() { v.saveNow(false) }) })
}

func (v *encounterScreen) stopTimer() {
	if v.draft.timer != nil {
		v.draft.timer.Stop()
		v.draft.timer = nil
	}
}

// saveNow saves the draft (asked: Ctrl+S, which also says so when there
// was nothing to save, and puts the keyboard in a field refused).
func (v *encounterScreen) saveNow(asked bool) {
	v.stopTimer()
	if v.form == nil {
		if asked && v.enc.Signed != nil {
			v.tellError(message(app.ErrNoteSigned))
		}
		return
	}
	if v.draft.saving {
		v.draft.again = true
		return
	}
	e, err := v.form.read(v.enc)
	if err != nil {
		v.refused(err, asked)
		return
	}
	if v.draft.edits == v.draft.saved && e.ID != "" {
		if asked {
			v.tell("The draft is saved.")
		}
		return
	}
	v.draft.saving, v.draft.saved = true, v.draft.edits
	sess, ref := v.sess, v.ref
	sess.run(func(ctx context.Context) func() {
		res, err := saveDraft(ctx, sess.s, ref, e)
		return func() {
			v.draft.saving = false
			if v.sess.a.cur != screen(v) || v.form == nil {
				return
			}
			if err != nil {
				v.draft.saved = -1 // still to save
				v.refused(err, asked)
				return
			}
			v.enc.ID, v.enc.Version, v.enc.MRN = res.ID, res.Version, res.MRN
			v.title.Segments = visitTitle(v.enc)
			v.title.Refresh()
			v.form.vitals.clear()
			reflow(v.scroll)
			v.tell("Draft saved at " + v.sess.a.now().Local().Format("15:04:05") + ". Ctrl+Shift+S signs it.")
			if v.draft.again {
				v.draft.again = false
				v.saveNow(false)
			}
		}
	})
}

// saveDraft writes e: a new visit the first time, then a new version.
func saveDraft(ctx context.Context, s *app.Session, ref string, e app.Encounter) (app.Encounter, error) {
	if e.ID == "" {
		return s.Encounters().Add(ctx, ref, e)
	}
	return s.Encounters().SaveDraft(ctx, e)
}

// refused says why the draft was not saved: a vital sign under its field
// (the keyboard goes there when the save was asked for), anything else
// above the form.
func (v *encounterScreen) refused(err error, asked bool) {
	var vital *app.VitalsError
	if errors.As(err, &vital) && v.form != nil {
		if f := v.form.vitals.refused(vital); f != nil {
			reflow(v.scroll)
			v.tellError("Not saved: " + message(err))
			if asked {
				v.sess.a.win.Canvas().Focus(f)
				v.sess.a.input.reveal(v.scroll, v.form.vitals.byName[vital.Field].msg) // the field and why
			}
			return
		}
	}
	if v.form != nil {
		v.form.vitals.clear()
		reflow(v.scroll)
	}
	v.tellError("Not saved: " + message(err))
}

// unsaved returns what saves the draft typed and not saved yet as the
// window locks (nil when there is none), and counts it as saved. There is
// no one to ask then: a vital sign that is not a number or that the
// service refuses is left out, the rest of the note saved, and what
// flushes returns a sentence naming what was left out (empty when
// nothing was), to say after the next sign-in.
func (v *encounterScreen) unsaved() func(context.Context) string {
	v.stopTimer()
	if v.form == nil || v.draft.edits == v.draft.saved {
		return nil
	}
	v.draft.saved = v.draft.edits
	e, left := v.form.readAll(v.enc)
	words := map[string]string{}
	for _, f := range v.form.vitals.fields {
		words[f.name] = f.words
	}
	s, ref := v.sess.s, v.ref
	return func(ctx context.Context) string {
		for range len(words) + 1 {
			_, err := saveDraft(ctx, s, ref, e)
			var vital *app.VitalsError
			if !errors.As(err, &vital) {
				return lockSaveNote(e, left, err)
			}
			e.Vitals = e.Vitals.Without(vital.Field)
			left = append(left, words[vital.Field])
		}
		return lockSaveNote(e, left, nil)
	}
}

// lockSaveNote says how a visit's draft was saved as the window locked.
func lockSaveNote(e app.Encounter, left []string, err error) string {
	what := "The draft of your " + strings.ToLower(e.Type.Label()) + " of " + e.Time.Local().Format("2 Jan 2006 15:04")
	switch {
	case err != nil:
		return what + " could not be saved as the window locked: " + message(err)
	case len(left) > 0:
		return what + " was saved as the window locked, without the " + strings.Join(left, ", the ") +
			", which could not be saved as typed: open the visit and type it again."
	}
	return ""
}

// saveOnLeave saves, as the editor is left, a draft typed and not saved
// yet. When it cannot be saved (a value refused, a failed write), nothing
// typed is dropped silently: the window says why and offers to go back to
// the visit with everything as it was typed, or to discard the changes.
func (v *encounterScreen) saveOnLeave() {
	if v.form == nil || v.draft.edits == v.draft.saved {
		return
	}
	v.stopTimer()
	v.draft.saved = v.draft.edits
	left := leftVisit{sess: v.sess, ref: v.ref, enc: v.enc, typed: v.form.text()}
	e, err := v.form.read(v.enc)
	if err != nil { // asked once the screen left for is shown (it takes the keyboard)
		v.sess.a.tasks.run(func() func() { return func() { left.ask(err) } })
		return
	}
	sess, ref := v.sess, v.ref
	sess.a.tasks.run(func() func() {
		if _, err := saveDraft(context.Background(), sess.s, ref, e); err != nil {
			return func() { left.ask(err) }
		}
		return nil
	})
}

// leftVisit is a visit's draft the editor was left with and could not
// save: the visit as last saved and what was typed on it.
type leftVisit struct {
	sess  *session
	ref   string
	enc   app.Encounter
	typed visitText
}

// ask says why the visit was not saved and offers to go back to it.
func (l leftVisit) ask(err error) {
	u := l.sess.a
	if u.sess != l.sess {
		return // locked since: the session's screens are gone
	}
	what := "this visit"
	if l.enc.ID == "" {
		what = "the new visit"
	}
	var d *dialog.CustomDialog
	discard := button(u.input, "Discard the changes", theme.CancelIcon(), widget.MediumImportance, func() { d.Hide() })
	back := button(u.input, "Go back to the visit", theme.ConfirmIcon(), widget.HighImportance, func() {
		d.Hide()
		if u.sess == l.sess {
			l.reopen(err)
		}
	})
	d = dialog.NewCustomWithoutButtons("The visit was not saved",
		wrapped("Your changes to "+what+" ("+visible.Line(l.enc.Type.Label())+", "+l.enc.Time.Local().Format("2 Jan 2006 15:04")+
			") were not saved: "+message(err)+"\n\nGo back to the visit to correct it: what you typed is still there. "+
			"Discard the changes to leave the visit as it was last saved."), u.win)
	d.SetButtons([]fyne.CanvasObject{discard, back})
	d.Resize(fyne.NewSize(480, 0))
	u.dialogs.showDialog(d)
	u.win.Canvas().Focus(back) // Space goes back; Tab reaches Discard
}

// reopen opens the editor again on the visit with what was typed, and
// shows why it was refused under its field.
func (l leftVisit) reopen(err error) {
	v := newEncounterScreen(l.sess, l.ref)
	l.sess.a.show(v)
	v.showVisit(l.enc)
	if v.form == nil {
		return // signed meanwhile: shown read-only
	}
	v.form.setText(l.typed)
	v.refused(err, true)
}

// askSign asks for the confirmation that signing is final, then signs
// the note as typed (saving it in the same version).
func (v *encounterScreen) askSign() {
	if v.enc.Signed != nil {
		v.tellError("This note is already signed. Ctrl+M adds an addendum.")
		return
	}
	e := v.enc
	if v.form != nil {
		var err error
		if e, err = v.form.read(v.enc); err != nil {
			v.refused(err, true)
			return
		}
	}
	v.stopTimer()
	sess, ref, edits := v.sess, v.ref, v.draft.edits
	var created, signed app.Encounter
	sess.askForm("Sign this note", "Sign the note", "Signing is final: the note can no longer be changed or deleted. "+
		"A correction is added afterwards as an addendum, signed too, and the note stays readable as it was signed. "+
		"Sign it as "+sess.user.Name+" now?", nil, nil,
		func(ctx context.Context) error {
			cur := e
			if cur.ID == "" {
				var err error
				if created, err = sess.s.Encounters().Add(ctx, ref, cur); err != nil {
					return err
				}
				cur = created
			}
			var err error
			signed, err = sess.s.Encounters().Sign(ctx, cur)
			return err
		},
		func(err error) {
			if sess.a.cur != screen(v) {
				return
			}
			if created.ID != "" && v.enc.ID == "" {
				v.enc.ID, v.enc.Version, v.enc.MRN = created.ID, created.Version, created.MRN
			}
			if err != nil {
				v.refused(err, false)
				return
			}
			v.draft.saved = edits
			v.ref = signed.MRN
			v.sess.a.nav.showEncounter(signed.ID)
		})
}

// askAddendum asks for an addendum to the signed note and signs it.
func (v *encounterScreen) askAddendum() {
	if !canNote(v.sess.user.Roles) {
		return
	}
	if v.enc.Signed == nil {
		v.tellError(message(app.ErrNoteDraft))
		return
	}
	text := newMultiLineEntry(v.sess.a.input, "the correction or what is added", 5)
	text.tabMoves = true
	sess, id := v.sess, v.enc.ID
	var res app.Encounter
	sess.askForm("Add an addendum", "Sign the addendum",
		"The note stays as it was signed; the addendum is added below it, signed by you, and is never changed either.",
		[]fyne.CanvasObject{fieldLabel("Addendum"), text}, text,
		func(ctx context.Context) (err error) {
			res, err = sess.s.Encounters().Addendum(ctx, id, text.Text)
			return err
		},
		func(err error) {
			if err == nil && sess.a.cur == screen(v) {
				v.showVisit(res)
				v.tell("Addendum signed.")
			}
		})
}
