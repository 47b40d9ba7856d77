package ui

import (
	"context"
	"slices"
	"strings"
	"testing"

	"folio/app"
	"folio/archive/archivetest"
	"folio/profile"
)

// joiner is an empty workstation of the organisation, with a window
// wired to the syncer over it.
func joiner(t *testing.T) (*profile.Profile, *App) {
	t.Helper()
	prof, err := profile.Open(t.TempDir(), profile.Options{FastKDF: true, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { prof.Close() })
	return prof, newWindow(t, prof.Vault, Options{Sync: newTestSync(t, prof).Admin, JoinPoll: -1})
}

// The first run of a new workstation joins the organisation: the
// enrollment file, the user and password, then the wait with the
// fingerprint; an administrator approves; the keys open, the first sync
// brings the users, and the user logs in. Closed before the approval,
// Folio comes back to the wait and asks for the password when the keys
// arrive (a wrong one is refused).
func TestJoinFirstRun(t *testing.T) {
	ctx := context.Background()
	arc := archivetest.Start(t, archivetest.Options{})
	// ward-a: the organisation's vault, with the user who joins.
	a := newWorkstation(t, arc, "ward-a", nil)
	admin := a.createOrgVault(t)
	if err := admin.Users().Add(ctx, app.User{Name: "nurse", FullName: "Esther Nabirye", Roles: app.RoleSet{app.RoleRecords}}, []byte(clinPW)); err != nil {
		t.Fatal(err)
	}
	a.round(t)

	prof, u := joiner(t)
	set := current[*setupScreen](t, u)
	if set.join == nil {
		t.Fatal("the setup offers no way to join an organisation")
	}
	readJoinFile(u, enrollmentFile(t, arc, "ward-b", nil), set.msg)
	u.tasks.wait()
	j := current[*joinScreen](t, u)
	if !strings.Contains(allText(j.box), "Test Health District") || !strings.Contains(allText(j.box), "ward-b") {
		t.Fatalf("the join form does not say what the file is for:\n%s", allText(j.box))
	}
	j.user.SetText("nurse")
	j.pass.SetText(clinPW)
	j.again.SetText("not the same")
	j.submit()
	if !strings.Contains(j.msg.Text, "not the same") {
		t.Fatalf("different passwords: %q", j.msg.Text)
	}
	j.again.SetText(clinPW)
	j.submit()
	u.tasks.wait()
	w := current[*joinWaitScreen](t, u)
	req, ok, err := prof.Vault.JoinPending(ctx)
	if err != nil || !ok {
		t.Fatalf("the vault does not wait for the keys: %v", err)
	}
	if w.finger.String() != req.Fingerprint || !strings.Contains(w.intro.Text, "approve ward-b") {
		t.Fatalf("the wait shows %q, %q; want the fingerprint %s", w.finger.String(), w.intro.Text, req.Fingerprint)
	}
	if !strings.Contains(w.status.Text, "waits for an administrator") {
		t.Fatalf("the wait says %q", w.status.Text)
	}
	w.check()
	u.tasks.wait()
	if _, ok := u.cur.(*joinWaitScreen); !ok || !strings.Contains(w.status.Text, "waits") {
		t.Fatalf("checking before the approval: %T, %q", u.cur, w.status.Text)
	}

	// Folio is closed and started again before the approval.
	u2 := newWindow(t, prof.Vault, Options{Sync: newTestSync(t, prof).Admin, JoinPoll: -1})
	u2.tasks.wait()
	w2 := current[*joinWaitScreen](t, u2)
	if !strings.Contains(w2.intro.Text, "approve ward-b") {
		t.Fatalf("after a restart the wait says %q", w2.intro.Text)
	}

	// The administrator approves at ward-a (the Sync page's test covers
	// the page; here the session does it).
	atA := newTestSync(t, a.prof)
	reqs, err := atA.KeyRequests(ctx)
	if err != nil || len(reqs) != 1 {
		t.Fatalf("requests %v, %v", reqs, err)
	}
	if err := atA.SendGrant(ctx, admin, reqs[0]); err != nil {
		t.Fatal(err)
	}

	// The keys arrive: no password is held after the restart; a wrong one
	// is refused, the right one opens them and the first sync runs.
	w2.check()
	u2.tasks.wait()
	if !w2.passBox.Visible() {
		t.Fatalf("the keys arrived but no password is asked: %q", w2.status.Text)
	}
	w2.pass.SetText("wrong password here")
	w2.openWithTyped()
	u2.tasks.wait()
	if !strings.Contains(w2.status.Text, "not the password") {
		t.Fatalf("a wrong password says %q", w2.status.Text)
	}
	w2.pass.SetText(clinPW)
	w2.openWithTyped()
	u2.tasks.wait()
	l := current[*loginScreen](t, u2)
	if l.user.Text != "nurse" || !strings.Contains(l.msg.Text, "joined") {
		t.Fatalf("the login after joining: user %q, %q", l.user.Text, l.msg.Text)
	}
	// It names the vault the keys came from, for the administrator to
	// compare with theirs.
	id, err := admin.Replica().VaultIdentity()
	if err != nil {
		t.Fatal(err)
	}
	if fp := prof.Vault.VaultFingerprint(id); !strings.Contains(l.msg.Text, "organisation's vault "+fp) {
		t.Fatalf("the login after joining says %q; want the vault fingerprint %s", l.msg.Text, fp)
	}
	logIn(t, u2, "nurse", clinPW)
	if !slices.Equal(u2.sess.user.Roles, app.RoleSet{app.RoleRecords}) || u2.sess.user.FullName != "Esther Nabirye" {
		t.Fatalf("signed in as %+v", u2.sess.user)
	}
}

// Without a link the join still starts: the wait says there is no link
// and keeps the request here.
func TestJoinOffline(t *testing.T) {
	arc := archivetest.Offline(t, archivetest.Options{})
	prof, u := joiner(t)
	readJoinFile(u, enrollmentFile(t, arc, "ward-c", nil), current[*setupScreen](t, u).msg)
	u.tasks.wait()
	j := current[*joinScreen](t, u)
	j.user.SetText("nurse")
	j.pass.SetText(clinPW)
	j.again.SetText(clinPW)
	j.submit()
	u.tasks.wait()
	w := current[*joinWaitScreen](t, u)
	if !strings.Contains(w.status.Text, "no link") {
		t.Fatalf("offline, the wait says %q", w.status.Text)
	}
	if _, ok, _ := prof.Vault.JoinPending(context.Background()); !ok {
		t.Fatal("the vault does not wait for the keys")
	}
}
