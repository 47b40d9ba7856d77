package ui

import (
	"context"
	"errors"
	"strings"

	"fyne.io/fyne/v2"

	"folio/app"
)

// navigator takes the signed-in user to the window's places and records:
// the search, registration, the scanning station, the queue and QA,
// Administration's sections, the coding and completion worklists, a
// patient's chart, a document, a visit. The sidebar, the menu, the keys,
// the screens' links and the return after a lock all go through it, and
// nothing opens while the window is locked.
type navigator struct{ a *App }

// showSearch goes back to the patient search as it was left (the recent
// patients when its field is empty).
func (n *navigator) showSearch() {
	u := n.a
	if u.sess == nil {
		return
	}
	u.show(u.sess.search)
	if strings.TrimSpace(u.sess.search.query.Text) == "" {
		u.sess.search.apply("", nil, nil) // the recent patients
	}
	u.sess.search.refocus()
}

// showRegister opens the registration of a new patient; a user who may
// not write patients is told so.
func (n *navigator) showRegister() {
	u := n.a
	if u.sess == nil {
		return
	}
	if !u.sess.user.Roles.Can(app.PermPatientWrite) {
		u.dialogs.showError("Register a patient", app.ErrForbidden)
		return
	}
	u.show(newPatientForm(u.sess, app.Patient{}, false))
}

// showScanning opens the scanning station.
func (n *navigator) showScanning() {
	u := n.a
	if u.sess == nil {
		return
	}
	u.show(newScanScreen(u.sess))
}

// showUsers opens Administration at its Users section, showSettings at
// its Settings section (administrators only).
func (n *navigator) showUsers()    { showFor(n.a, canAdmin, newUsersScreen) }
func (n *navigator) showSettings() { showFor(n.a, canAdmin, newSettingsScreen) }

// showTypeRules opens the document type rules (administrators and
// records managers).
func (n *navigator) showTypeRules() { showFor(n.a, canKeepTypeRules, newTypeRulesScreen) }

// showSyncAdmin opens Administration at its Sync section (administrators,
// on a window wired to the syncer).
func (n *navigator) showSyncAdmin() {
	if n.a.opts.Sync != nil {
		showFor(n.a, canAdmin, newSyncAdminScreen)
	}
}

// showAudit opens Administration at its Audit section, showIntegrity at
// its Integrity check (administrators).
func (n *navigator) showAudit() {
	showFor(n.a, func(r app.RoleSet) bool { return canAdmin(r) && r.Can(app.PermAuditRead) }, newAuditScreen)
}

func (n *navigator) showIntegrity() {
	showFor(n.a, func(r app.RoleSet) bool { return canAdmin(r) && r.Can(app.PermVerify) }, newIntegrityScreen)
}

// showConflicts opens the records in conflict (those who may merge
// patient records resolve them).
func (n *navigator) showConflicts() {
	showFor(n.a, func(r app.RoleSet) bool { return r.Can(app.PermPatientMerge) }, newConflictsScreen)
}

// showQA opens QA, showQueue the indexing queue (for the roles that
// work there).
func (n *navigator) showQA()    { showPlace(n.a, placeQA, newQAScreen) }
func (n *navigator) showQueue() { showPlace(n.a, placeQueue, newQueueScreen) }

// showCoding opens the coding worklist (coders).
func (n *navigator) showCoding() { showPlace(n.a, placeCoding, newCodingWorklistScreen) }

// showMyNotes opens the clinician's own unsigned notes, showMyQueries the
// coders' queries waiting for their answer.
func (n *navigator) showMyNotes()   { showPlace(n.a, placeMyNotes, newMyNotesScreen) }
func (n *navigator) showMyQueries() { showPlace(n.a, placeMyQueries, newMyQueriesScreen) }

// showDeficiencies opens the record-completion worklist.
func (n *navigator) showDeficiencies() { showPlace(n.a, placeDeficiencies, newDeficiencyScreen) }

// showCodingEncounter opens an encounter in the coding screen; Esc goes
// back to the worklist.
func (n *navigator) showCodingEncounter(id string) {
	u := n.a
	if u.sess == nil || !canCode(u.sess.user.Roles) {
		return
	}
	u.show(newCodingScreen(u.sess, id))
}

// openPatient opens a patient by MRN or id: it reads the chart (audited),
// asks for a break-glass reason when the chart is restricted, and shows it.
func (n *navigator) openPatient(ref string) {
	u := n.a
	sess := u.sess
	if sess == nil {
		return
	}
	sess.run(func(ctx context.Context) func() {
		p, err := sess.s.Patients().Open(ctx, ref)
		return func() {
			switch {
			case errors.Is(err, app.ErrNeedsBreakGlass):
				askBreakGlass(sess, ref)
			case err != nil:
				u.dialogs.showError("Open patient", err)
			default:
				n.showPatient(p, nil)
			}
		}
	})
}

// showPatient shows the chart of p, read already, with note on top (nil
// for none).
func (n *navigator) showPatient(p app.Patient, note fyne.CanvasObject) {
	u := n.a
	if u.sess == nil {
		return
	}
	u.sess.opened(p)
	u.show(newPatientScreen(u.sess, p, note))
}

// showDocument opens the document viewer on document id. Back (Escape)
// returns to the chart on show now, or to the document's patient.
func (n *navigator) showDocument(id string) {
	u := n.a
	if u.sess == nil {
		return
	}
	back := ""
	switch s := u.cur.(type) {
	case *patientScreen:
		back = s.p.MRN
		if back == "" {
			back = s.p.ID
		}
	case *docViewer:
		back = s.back
	case *encounterScreen:
		back = s.ref
	}
	v := newDocViewer(u.sess, id, back)
	u.show(v)
	v.load()
}

// showEncounter opens a visit (an audited read) from the timeline.
func (n *navigator) showEncounter(id string) {
	u := n.a
	sess := u.sess
	if sess == nil {
		return
	}
	v := newEncounterScreen(sess, "")
	u.show(v)
	sess.run(func(ctx context.Context) func() {
		e, err := sess.s.Encounters().Open(ctx, id)
		return func() {
			if u.cur != screen(v) {
				return
			}
			if err != nil {
				v.tellError("The visit could not be opened: " + message(err))
				return
			}
			v.ref = e.MRN
			v.showVisit(e)
		}
	})
}
