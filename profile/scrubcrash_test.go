package profile_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"folio/app"
	"folio/demo"
	"folio/profile"
	"folio/profile/thief"
)

// scrubPassword is the n-th password of the scrub crash test: the child
// changes the admin's password from one to the next, so each is replaced
// once and never set again.
func scrubPassword(n int) string { return fmt.Sprintf("crash passphrase number %d", n) }

// scrubChild signs in as admin with scrubPassword(n), n given as pw, and
// then, until it is killed, registers a patient (printing its MRN once
// committed) and changes the admin's password to the next one (a slot
// removal, so the store rewrites its file), printing "pw N" once that
// returned.
func scrubChild(dir, pw string) {
	ctx := context.Background()
	n, _ := strconv.Atoi(pw)
	s := childSession(dir, scrubPassword(n))
	seed, _ := strconv.ParseUint(os.Getenv("FOLIO_CRASH_SEED"), 10, 64)
	g := demo.NewGenerator(seed, time.Now().Year())
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(out, "ready")
	out.Flush()
	for {
		done, err := s.Patients().Register(ctx, g.Patient())
		if err != nil {
			fmt.Fprintln(os.Stderr, "child register:", err)
			os.Exit(2)
		}
		fmt.Fprintln(out, done[0].MRN)
		out.Flush()
		n++
		if err := s.Users().ChangePassword(ctx, "admin", []byte(scrubPassword(n))); err != nil {
			fmt.Fprintln(os.Stderr, "child change password:", err)
			os.Exit(2)
		}
		fmt.Fprintln(out, "pw", n)
		out.Flush()
	}
}

// TestCrashKillDuringScrub kills a child with SIGKILL while it changes a
// password over and over, each change rewriting the vault file (a scrub:
// copy, sync, rename). After each kill the vault must open, sign in with
// the last password the child reported or the next, hold every patient
// the child reported committed, leave no temporary file, and hold no slot
// of the password replaced before that which opens a copy of it.
func TestCrashKillDuringScrub(t *testing.T) {
	skipKillTest(t)
	kills := 10
	if n, err := strconv.Atoi(os.Getenv("FOLIO_CRASH_KILLS")); err == nil && n/20 > kills {
		kills = n / 20
	}
	ctx := context.Background()
	dir := t.TempDir()
	prof := createdProfile(t, dir, app.CreateParams{Admin: "admin", Password: []byte(scrubPassword(0))})
	// A vault big enough that a rewrite takes a while, so kills land in it.
	s, err := prof.Vault.Login(ctx, "admin", []byte(scrubPassword(0)))
	if err != nil {
		t.Fatal(err)
	}
	g := demo.NewGenerator(1, time.Now().Year())
	var committed []string
	for range 4 {
		ps := make([]app.Patient, 500)
		for i := range ps {
			ps[i] = g.Patient()
		}
		done, err := s.Patients().Register(ctx, ps...)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range done {
			committed = append(committed, p.MRN)
		}
	}
	s.Lock(ctx)
	prof.Close()

	seeded := len(committed)
	current, inScrub := 0, 0
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
	for i := range kills {
		lines := runAndKill(t, dir, uint64(i+100), time.Duration(rng.IntN(300))*time.Millisecond,
			"FOLIO_CRASH_SCRUB_PW="+strconv.Itoa(current))
		for _, l := range lines {
			if n, ok := strings.CutPrefix(l, "pw "); ok {
				current, _ = strconv.Atoi(n)
			} else {
				committed = append(committed, l)
			}
		}
		if scrubTemps(t, dir) > 0 {
			inScrub++
		}
		// Every kill: the child's patients; at the end, all of them.
		check := committed[seeded:]
		if i == kills-1 {
			check = committed
		}
		current = checkScrubbedVault(t, dir, current, check)
	}
	t.Logf("%d kills, %d of them during a rewrite of the file; %d committed patients all present", kills, inScrub, len(committed))
}

// scrubTemps counts the temporary files of a rewrite beside the vault.
func scrubTemps(t *testing.T, dir string) int {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), profile.VaultFile+".scrubbing-") {
			n++
		}
	}
	return n
}

// checkScrubbedVault opens the vault after a kill and checks it; it
// returns which password signs in: the last one the child reported, or
// the next (a change it committed but did not live to report). The one
// before it was replaced by a committed change and must open no copy of
// the file. (The password of a change the kill cut before its commit may
// lie in pages the change wrote: it was never in force, never removed.) committed are patients that must
// be there.
func checkScrubbedVault(t *testing.T, dir string, current int, committed []string) int {
	t.Helper()
	ctx := context.Background()
	prof := openAfterKill(t, dir)
	defer prof.Close()
	if n := scrubTemps(t, dir); n > 0 {
		t.Fatalf("%d temporary files of a killed rewrite left after open", n)
	}
	s, err := prof.Vault.Login(ctx, "admin", []byte(scrubPassword(current)))
	if errors.Is(err, app.ErrWrongPassword) {
		current++
		s, err = prof.Vault.Login(ctx, "admin", []byte(scrubPassword(current)))
	}
	if err != nil {
		t.Fatalf("login after kill: %v", err)
	}
	defer s.Lock(ctx)
	if current > 0 && thief.CopyVault(t, dir).OpensWithPassword("admin", scrubPassword(current-1)) {
		t.Fatal("after a kill, the replaced password still opens a copy of the vault")
	}
	checkCommitted(t, s, committed)
	return current
}
