// Package ui is Folio's desktop window (Fyne): the first-run setup with
// its recovery key, the login, patient search as you type, registration
// with a duplicate check, the patient chart and the document viewer, the
// scanning station, the indexing queue and QA, and Administration (users
// and settings).
//
// Invariants kept here:
//   - ui calls only app (app.Vault and app.Session methods), never storage
//     or crypto; every authorisation and audit decision is app's.
//   - The Fyne goroutine never waits on the vault: logins (Argon2id),
//     searches and saves run on goroutines (tasks) and their results are
//     applied with fyne.Do. A result that arrives after the session locked
//     is dropped (the session's context has ended).
//   - Patient data lives only in the screens of one session. Locking (the
//     Lock button, Ctrl+L, the idle limit, closing the window) cancels the
//     session's work, closes its dialogs, clears every widget that showed
//     patient data, and drops the keys (Session.Lock, audited).
//   - Every key, tap, mouse move over the window and scroll counts as
//     activity for the idle lock; the check takes the injected clock, so
//     tests move time instead of sleeping.
//
// One file per screen: setup.go (first run and recovery key), login.go
// (login and recovery with the printed key), search.go, patientform.go
// (registration and amendment, duplicates dialog), patient.go, chart.go and
// demographics.go (the chart and its tabs, break-glass), summary.go,
// summaryadd.go and summaryend.go (the allergies, problems and medications
// on top of the chart, and their dialogs), timeline.go (visits and
// documents, newest first), encounter.go (a visit: visitform.go and
// vitals.go the editor of a draft, draftsave.go its saving and signing,
// visitreading.go a signed note with its addenda, visitdocs.go its linked
// documents), history.go, docviewer.go (the viewer: docfind.go its
// search, docedits.go its rotate and re-file, docoutput.go its export and
// print), scanning.go (the station), queue.go, qa.go, users.go,
// settings.go, syncadmin.go (with keyrequests.go and syncbundles.go),
// audit.go and integrity.go (Administration).
//
// The window itself is App (app.go): it wires the parts below together,
// shows one screen at a time, starts the session at login and ends it at
// lock (resume.go: back to where the user was, and the window where it
// was last closed). Its parts, each a type of its own: input (input.go,
// inview.go) is where keys, taps and focus arrive and the idle lock's
// activity is kept, the inputHooks of every widget; keys.go is the one
// table of shortcuts; navigator (navigator.go) is every way to a place or
// a record; dialogs (dialogs.go) shows every dialog, through
// dialogs.showDialog, which keeps the Space that pressed its button out
// of the field under it. menu.go builds the menu bar from the table;
// print.go sends PDFs to the printer. frame.go is the sidebar; scaffold.go
// what the screens share (margins, a scrolling column, Esc back to the
// search, Administration's keys); pagepane.go the page pane of the queue
// and QA; picker.go the find-a-patient field of the queue and the
// station; widgets.go the small widgets that report activity;
// formdialog.go the small dialogs of a few fields that save through a
// service; theme.go the look.
package ui
