package ui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"folio/app"
	"folio/assets"
	"folio/codeset"
	"folio/printer"
)

// Options tune the window. The zero value is what a clinic runs.
type Options struct {
	// Title is the window title; empty means "Folio".
	Title string
	// IdleLock, when positive, overrides how long the window may stay
	// unused before it locks itself (otherwise the vault's setting,
	// 10 minutes unless an administrator changed it).
	IdleLock time.Duration
	// Now is the clock of the idle lock and of ages; nil means time.Now.
	Now func() time.Time
	// StartSync, when set, starts the background sync for a signed-in
	// session; it runs until ctx ends (at lock) and reports its state with
	// status, from any goroutine. main.go wires it to the syncer.
	StartSync func(ctx context.Context, s *app.Session, status func(app.SyncStatus))
	// SyncStates, when set, tells where records stand with the archive,
	// one state per item, for the badges of the chart and its documents;
	// a nil answer (the workstation has no archive) shows none. It is
	// called off the Fyne goroutine. main.go wires it to the syncer.
	SyncStates func(ctx context.Context, items []app.SyncItem) ([]app.RecordSync, error)
	// JoinPoll is how often the first run of a joining workstation asks
	// the archive whether its keys were approved: 0 means every 15 s; a
	// negative value only when asked (Check now), as tests want.
	JoinPoll time.Duration
	// Sync, when set, sets up this workstation's link with the archive:
	// the Sync page of Administration and, at first run, joining an
	// organisation. main.go wires it to the syncer.
	Sync SyncAdmin
	// Backup, when set, copies the open profile into a folder, audited as
	// done by user (Administration → Settings → Back up now…; the window
	// holds the vault's file lock, so 'folio backup' cannot run beside
	// it). main.go wires it to profile.Profile.Backup.
	Backup func(ctx context.Context, user, dir string) (app.BackupReport, error)
	// Printer is where the Print buttons send their PDFs; the zero value
	// is this computer's default printer.
	Printer printer.Printer
	// CodeSet, when set, opens the code set the coding screen searches
	// and codes from; nil is the ICD-10-CM Folio ships (codeset.ICD10CM).
	CodeSet func() (*codeset.Set, error)
}

// defaultSearchDelay is how long the search waits after the last key before
// it asks the vault: long enough not to search for every letter of a name,
// short enough to feel immediate.
const defaultSearchDelay = 250 * time.Millisecond

// defaultDraftDelay is how long after the last key a visit note's draft
// is saved: each save is a version and an audit event, so not every key.
const defaultDraftDelay = 2 * time.Second

// App is Folio's window over one vault. It shows the first-run setup or the
// login, then the patient screens of the logged-in user until the session
// locks (Lock button, Ctrl+L, idle time, or closing the window).
type App struct {
	// resumeAt is where the user was when the window last locked.
	resumeAt resumePoint
	fyne     fyne.App
	vault    *app.Vault
	opts     Options
	now      func() time.Time
	win      fyne.Window
	tasks    tasks
	// input routes keys, taps and focus and keeps the idle lock's
	// activity (input.go); every widget of the window reports to it.
	input *input

	// searchDelay is the search's debounce; tests set it.
	searchDelay time.Duration
	// draftDelay is how long after the last key a visit note's draft is
	// saved; tests set it long and save with Ctrl+S.
	draftDelay time.Duration
	// codes is the code set of the coding screen, opened at its first
	// use; codeDelay the debounce of its search as you type.
	codes     codeset.Lazy
	codeDelay time.Duration
	// idleEvery, when positive, is how often the idle lock is checked
	// (tests set it long and call checkIdle themselves: their Fyne driver
	// runs fyne.Do on the calling goroutine).
	idleEvery time.Duration
	// countEvery, when positive, is how often a countdown on show (the
	// wait after failed logins) ticks; tests set it long and call tick.
	countEvery time.Duration

	// The fields below belong to the Fyne goroutine.
	head    *header
	side    *sidebar
	body    *fyne.Container
	cur     screen
	sess    *session
	dialogs *dialogs       // every dialog shows through it (dialogs.go)
	nav     *navigator     // the ways to the places and records (navigator.go)
	site    string         // MRN site prefix, for the header
	synced  app.SyncStatus // what the sync indicator shows now
	// lockedSync is what sync does while no one is signed in, for the
	// login screen (ShowLockedSync).
	lockedSync app.SyncStatus

	// joinPoll is how often the join's waiting screen asks the archive
	// for the keys; 0 asks only on Check now (Options.JoinPoll).
	joinPoll time.Duration
	// native is the window's native side, to read and set its position
	// (platformWindow; tests set a window of their own X server).
	native func() (nativeWindow, bool)
}

// screen is one view of the window.
type screen interface {
	// view is the screen's content.
	view() fyne.CanvasObject
	// focusFirst is the widget that gets the keyboard when the screen
	// shows, or nil.
	focusFirst() fyne.Focusable
	// forget clears every widget and value that may hold patient data.
	forget()
}

// escaper is a screen that does something on Escape (go back, cancel).
type escaper interface{ escape() bool }

// shortcutter is a screen with shortcuts of its own (Ctrl+S to save …).
type shortcutter interface {
	shortcut(fyne.KeyName) bool
}

// shiftShortcutter is a screen with Ctrl+Shift shortcuts of its own
// (Ctrl+Shift+S signs a note).
type shiftShortcutter interface {
	shiftShortcut(fyne.KeyName) bool
}

// session is what exists only while a user is logged in. Its context ends
// at lock, which drops the results of work still in flight.
type session struct {
	a      *App
	s      *app.Session
	user   app.User
	ctx    context.Context
	cancel context.CancelFunc
	idle   time.Duration
	search *searchScreen
	glass  *reasonDialog // the last break-glass question asked
	// intake lists the files imported in this session, newest first, and
	// intakeNote says what the drop folder is doing (Fyne goroutine).
	intake     []*intakeItem
	intakeNote string
	// recent are the patients opened in this session, newest first, for
	// the empty search screen (Fyne goroutine).
	recent []app.Patient
	// filed counts the documents this session filed from the queue;
	// lastFiled is the last of them, which Ctrl+Z in the queue undoes.
	filed     int
	lastFiled string
	// stopSync ends the sync engine started for this session, so that it
	// can be started again (after enrolling, or a new bandwidth cap).
	stopSync context.CancelFunc
}

// startSync starts the background sync of the session (again: the engine
// running is stopped first). Its reports reach the indicator until it is
// stopped or the session ends.
func (s *session) startSync() {
	if s.a.opts.StartSync == nil || s.ctx.Err() != nil {
		return
	}
	if s.stopSync != nil {
		s.stopSync()
	}
	ctx, cancel := context.WithCancel(s.ctx)
	s.stopSync = cancel
	s.a.opts.StartSync(ctx, s.s, func(st app.SyncStatus) { doIfAlive(ctx, func() { s.a.syncStatus(st) }) })
}

// maxRecent is how many recently opened patients the search screen offers.
const maxRecent = 8

// opened records a patient as recently opened.
func (s *session) opened(p app.Patient) {
	out := []app.Patient{p}
	for _, r := range s.recent {
		if r.ID != p.ID && len(out) < maxRecent {
			out = append(out, r)
		}
	}
	s.recent = out
}

// run does work for this session off the Fyne goroutine; its result is
// applied only if the session is still open by then.
func (s *session) run(work func(ctx context.Context) (apply func())) {
	ctx := s.ctx
	s.a.tasks.run(func() func() {
		if ctx.Err() != nil {
			return nil
		}
		apply := work(ctx)
		if apply == nil {
			return nil
		}
		return func() {
			if ctx.Err() == nil {
				apply()
			}
		}
	})
}

// New returns the window over v, showing the first-run setup when the vault
// is not created yet and the login otherwise. It sets Folio's theme on a.
func New(a fyne.App, v *app.Vault, opts Options) *App {
	if opts.Title == "" {
		opts.Title = "Folio"
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	u := &App{fyne: a, vault: v, opts: opts, now: now, searchDelay: defaultSearchDelay, draftDelay: defaultDraftDelay, codeDelay: defaultCodeDelay,
		joinPoll: max(opts.JoinPoll, 0)}
	u.dialogs = &dialogs{a: u, open: map[dialog.Dialog]bool{}}
	u.nav = &navigator{a: u}
	u.codes.Load = opts.CodeSet
	u.native = u.platformWindow
	if opts.JoinPoll == 0 {
		u.joinPoll = defaultJoinPoll
	}
	u.input = &input{a: u, act: activity{now: now}}
	u.input.touch()
	a.Settings().SetTheme(newTheme())
	u.win = a.NewWindow(opts.Title)
	icon := fyne.NewStaticResource("folio.png", assets.IconPNG)
	a.SetIcon(icon)
	u.win.SetIcon(icon)
	u.head = newHeader(u)
	u.side = newSidebar(u)
	u.body = container.NewStack()
	u.win.SetContent(container.NewStack(newCatcher(u.input.touch),
		container.NewBorder(u.head.view, nil, u.side.view, nil, u.body)))
	u.win.SetMainMenu(signedOutMenu(u))
	u.win.Resize(u.startPlace().size)
	u.win.CenterOnScreen()
	u.input.hookCanvas()

	ctx := context.Background()
	u.site, _ = v.SitePrefix(ctx)
	u.head.setSite(u.site)
	switch ok, err := v.Initialized(ctx); {
	case err != nil:
		u.show(newFailureScreen(u, err))
	case !ok:
		u.show(u.firstRunScreen(ctx))
	default:
		u.show(newLoginScreen(u, "", ""))
	}
	return u
}

// Window returns the window.
func (u *App) Window() fyne.Window { return u.win }

// ShowAndRun shows the window where it was last closed and runs the app
// until the window closes, then locks the session so the logout is
// recorded and the keys dropped.
func (u *App) ShowAndRun() {
	u.win.SetCloseIntercept(func() { u.keepPlace(); u.win.Close() })
	u.showWindow()
	u.fyne.Run()
	if s := u.sess; s != nil {
		u.sess = nil
		s.cancel()
		s.s.Lock(context.Background())
	}
}

// showWindow shows the window, then moves it to where it was when it last
// closed (a window has no native side to move before it is shown).
func (u *App) showWindow() {
	u.win.Show()
	u.restorePosition()
}

// show replaces the screen. The screen left behind forgets its patient
// data unless it is the session's search, which is kept so "Back to
// search" finds the same results.
func (u *App) show(s screen) {
	if u.cur != nil && u.cur != s && (u.sess == nil || u.cur != screen(u.sess.search)) {
		u.cur.forget()
	}
	u.cur = s
	u.side.setCurrent(s)
	u.refreshCounts()
	u.body.Objects = []fyne.CanvasObject{s.view()}
	u.body.Refresh()
	if f := s.focusFirst(); f != nil {
		u.win.Canvas().Focus(f)
	} else {
		u.win.Canvas().Unfocus()
	}
}

// refreshCounts updates the sidebar's counts of documents waiting in the
// queue and QA (from the index; see Indexing.WorkCounts).
func (u *App) refreshCounts() {
	sess := u.sess
	if sess == nil {
		return
	}
	sess.run(func(ctx context.Context) func() {
		c, err := sess.s.Indexing().WorkCounts(ctx)
		if err != nil {
			return nil // the counts stay as they were; the screens say what failed
		}
		return func() { u.side.setCounts(c) }
	})
	u.refreshCodingCounts(sess)
}

// idleLimit is how long the window may stay unused.
func (u *App) idleLimit(ctx context.Context) time.Duration {
	if u.opts.IdleLock > 0 {
		return u.opts.IdleLock
	}
	return u.vault.IdleLock(ctx)
}

// startSession opens the patient screens for a user who just logged in.
func (u *App) startSession(s *app.Session, idle time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	sess := &session{a: u, s: s, user: s.User(), ctx: ctx, cancel: cancel, idle: idle}
	u.sess = sess
	u.lockedSync = app.SyncStatus{} // the next lock shows the send-only engine's own reports
	sess.search = newSearchScreen(sess)
	u.showUser(sess.user)
	u.win.Content().Refresh() // lay the frame out again with the sidebar
	u.input.touch()
	every := idleTick(idle)
	if u.idleEvery > 0 {
		every = u.idleEvery
	}
	go watchIdle(ctx, every, u.checkIdle)
	sess.startDropFolder()
	sess.startSync()
	u.show(sess.search)
	sess.search.firstSteps()
	u.resume()
}

// syncWatcher is a screen that shows sync states: it reads them again
// when a sync round ends.
type syncWatcher interface{ syncSettled() }

// syncListener is a screen that shows the sync indicator's words too.
type syncListener interface{ syncUpdate(app.SyncStatus) }

// syncStatus shows the engine's status in the sidebar and, when a round
// has ended, lets the screen on show read its records' states again.
func (u *App) syncStatus(st app.SyncStatus) {
	u.synced = st
	u.side.setSync(st)
	if l, ok := u.cur.(syncListener); ok && u.sess != nil {
		l.syncUpdate(st)
	}
	if w, ok := u.cur.(syncWatcher); ok && st.Settled && u.sess != nil {
		w.syncSettled()
	}
	if st.Settled {
		u.refreshCounts() // a round may have brought documents to file or check
	}
}

// ShowLockedSync shows on the login screen what the workstation's sync
// does while no one is signed in (main.go's send-only engine: it sends
// this workstation's changes; the others' wait for a sign-in). Safe from
// any goroutine; a status that arrives during a session is dropped.
func (u *App) ShowLockedSync(st app.SyncStatus) {
	fyne.Do(func() {
		if u.sess != nil {
			return
		}
		u.lockedSync = st
		if l, ok := u.cur.(*loginScreen); ok {
			l.setSync(st)
		}
	})
}

// checkIdle locks the window when it has gone unused for the idle limit.
// A ticker calls it; tests call it with an injected clock.
func (u *App) checkIdle() {
	if u.sess == nil {
		return
	}
	if idle := u.input.act.idleFor(); idle >= u.sess.idle {
		u.lock("Locked after " + durationText(u.sess.idle) + " without use. Log in to continue.")
	}
}

// lock ends the session: the screens forget every patient value, open
// dialogs close, the login shows, and the session drops its keys (the
// logout is audited) off the Fyne goroutine.
func (u *App) lock(reason string) {
	sess := u.sess
	if sess == nil {
		return
	}
	if reason == "" {
		reason = "Locked. Log in to continue."
	}
	u.resumeAt = resumePoint{user: sess.user.Name, open: resumeOf(u.cur)}
	// Work typed and not saved yet (a visit note's draft) is saved before
	// the keys are dropped, on the same goroutine as the logout.
	var flush func(context.Context) string
	if f, ok := u.cur.(flusher); ok {
		flush = f.unsaved()
	}
	u.sess = nil
	sess.cancel()
	u.synced = app.SyncStatus{}
	u.dialogs.hideAll()
	if u.cur != nil && u.cur != screen(sess.search) {
		u.cur.forget()
	}
	sess.search.forget()
	u.cur = nil
	u.head.setUser(app.User{})
	u.side.setUser(app.User{})
	u.win.SetMainMenu(signedOutMenu(u))
	u.win.Content().Refresh()
	u.show(newLoginScreen(u, sess.user.Name, reason))
	u.tasks.run(func() func() {
		var note string
		if flush != nil {
			note = flush(context.Background())
		}
		sess.s.Lock(context.Background())
		if note == "" {
			return nil
		}
		return func() { u.tellAfterLock(sess.user.Name, note) }
	})
}

// flusher is a screen that may hold typed work not saved yet: unsaved
// returns what saves it (nil when all is saved) and says what it could
// not save (empty when all was), and the screen counts it as saved from
// then on.
type flusher interface {
	unsaved() func(context.Context) string
}

func durationText(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return plural(int(d/time.Hour), "hour", "hours")
	case d >= time.Minute:
		return plural(int(d.Round(time.Minute)/time.Minute), "minute", "minutes")
	}
	return plural(int(d.Round(time.Second)/time.Second), "second", "seconds")
}

// header is the bar at the top: Folio and the workstation's site on the
// left; the user, their role and the Lock button on the right.
type header struct {
	view *fyne.Container
	site *widget.Label
	who  *widget.RichText
	pass *widget.Button
	lock *widget.Button
}

func newHeader(u *App) *header {
	h := &header{}
	title := canvas.NewText("Folio", theme.Color(theme.ColorNamePrimary))
	title.TextStyle = fyne.TextStyle{Bold: true}
	title.TextSize = 20
	h.site = widget.NewLabel("")
	h.who = widget.NewRichText()
	h.pass = button(u.input, "Password…", theme.SettingsIcon(), widget.LowImportance, u.dialogs.askOwnPassword)
	h.pass.Hide()
	h.lock = button(u.input, "Lock", lockIcon, widget.MediumImportance, func() { u.lock("") })
	h.lock.Hide()
	bg := canvas.NewRectangle(theme.Color(colorNameSurface))
	line := canvas.NewRectangle(theme.Color(theme.ColorNameSeparator))
	line.SetMinSize(fyne.NewSize(0, 1))
	bar := container.New(layout.NewCustomPaddedLayout(4, 4, 16, 12),
		container.NewBorder(nil, nil,
			container.NewHBox(container.NewCenter(title), h.site),
			container.NewHBox(h.who, h.pass, h.lock)))
	h.view = container.NewBorder(nil, line, nil, nil, container.NewStack(bg, bar))
	return h
}

func (h *header) setSite(site string) {
	if site == "" {
		h.site.SetText("")
		h.view.Refresh()
		return
	}
	h.site.SetText("·  workstation " + site)
	h.view.Refresh()
}

// showUser shows the signed-in user in the header, and the places and
// menus their roles allow.
func (u *App) showUser(user app.User) {
	u.head.setUser(user)
	u.side.setUser(user)
	u.win.SetMainMenu(mainMenu(u, user))
}

// userChanged applies a change of the signed-in user's own record (their
// roles) to the window (Fyne goroutine).
func (u *App) userChanged(user app.User) {
	if u.sess == nil || u.sess.user.Name != user.Name {
		return
	}
	u.sess.user = user
	u.showUser(user)
}

func (h *header) setUser(user app.User) {
	if user.Name == "" {
		h.who.Segments = nil
		h.who.Refresh()
		h.pass.Hide()
		h.lock.Hide()
		h.view.Refresh()
		return
	}
	h.pass.Show()
	h.who.Segments = []widget.RichTextSegment{
		&widget.TextSegment{Text: userText(user), Style: styleBold},
		&widget.TextSegment{Text: "  " + user.Roles.Label(), Style: styleMuted},
	}
	h.who.Refresh()
	h.lock.Show()
	h.view.Refresh() // lay the bar out again for the new widths
}

// failureScreen says the vault could not be read at all.
type failureScreen struct{ box fyne.CanvasObject }

func newFailureScreen(u *App, err error) *failureScreen {
	return &failureScreen{box: centerCard(u.input, 560, panel(container.NewVBox(
		heading("Folio cannot open the records on this computer"),
		wrapped(message(err)),
	)))}
}

func (f *failureScreen) view() fyne.CanvasObject    { return f.box }
func (f *failureScreen) focusFirst() fyne.Focusable { return nil }
func (f *failureScreen) forget()                    {}
