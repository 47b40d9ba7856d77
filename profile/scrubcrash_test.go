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

// scrubPasswords are the two passwords the scrub crash child alternates.
var scrubPasswords = [2]string{"first crash passphrase", "second crash passphrase"}

// scrubChild signs in as admin with pw and then, until it is killed,
// registers a patient (printing its MRN once committed) and changes the
// admin's password to the other one of scrubPasswords (a slot removal, so
// the store rewrites its file), printing "pw N" once that returned.
func scrubChild(dir, pw string) {
	ctx := context.Background()
	s := childSession(dir, pw)
	next := 0
	if pw == scrubPasswords[0] {
		next = 1
	}
	seed, _ := strconv.ParseUint(os.Getenv("FOLIO_CRASH_SEED"), 10, 64)
	g := demo.NewGenerator(seed, time.Now().Year())
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(out, "ready")
	out.Flush()
	for {
		done, err := s.RegisterPatient(ctx, g.Patient())
		if err != nil {
			fmt.Fprintln(os.Stderr, "child register:", err)
			os.Exit(2)
		}
		fmt.Fprintln(out, done[0].MRN)
		out.Flush()
		if err := s.ChangePassword(ctx, "admin", []byte(scrubPasswords[next])); err != nil {
			fmt.Fprintln(os.Stderr, "child change password:", err)
			os.Exit(2)
		}
		fmt.Fprintln(out, "pw", next)
		out.Flush()
		next = 1 - next
	}
}

// TestCrashKillDuringScrub kills a child with SIGKILL while it changes a
// password over and over, each change rewriting the vault file (a scrub:
// copy, sync, rename). After each kill the vault must open, sign in with
// exactly one of the two passwords, hold every patient the child reported
// committed, leave no temporary file, and hold no slot of the other
// password that opens a copy of it.
func TestCrashKillDuringScrub(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	kills := 10
	if n, err := strconv.Atoi(os.Getenv("FOLIO_CRASH_KILLS")); err == nil && n/20 > kills {
		kills = n / 20
	}
	ctx := context.Background()
	dir := t.TempDir()
	prof, err := profile.Open(dir, profile.Options{FastKDF: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := prof.Vault.Create(ctx, app.CreateParams{Admin: "admin", Password: []byte(scrubPasswords[0])}); err != nil {
		t.Fatal(err)
	}
	// A vault big enough that a rewrite takes a while, so kills land in it.
	s, err := prof.Vault.Login(ctx, "admin", []byte(scrubPasswords[0]))
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
		done, err := s.RegisterPatient(ctx, ps...)
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
			"FOLIO_CRASH_SCRUB_PW="+scrubPasswords[current])
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
// returns which of scrubPasswords signs in (the child may have committed
// a change it did not live to report). committed are patients that must
// be there.
func checkScrubbedVault(t *testing.T, dir string, current int, committed []string) int {
	t.Helper()
	ctx := context.Background()
	prof, err := profile.Open(dir, profile.Options{FastKDF: true})
	if err != nil {
		t.Fatalf("open after kill: %v", err)
	}
	defer prof.Close()
	if n := scrubTemps(t, dir); n > 0 {
		t.Fatalf("%d temporary files of a killed rewrite left after open", n)
	}
	s, err := prof.Vault.Login(ctx, "admin", []byte(scrubPasswords[current]))
	if errors.Is(err, app.ErrWrongPassword) {
		current = 1 - current
		s, err = prof.Vault.Login(ctx, "admin", []byte(scrubPasswords[current]))
	}
	if err != nil {
		t.Fatalf("login after kill: %v", err)
	}
	defer s.Lock(ctx)
	if thief.CopyVault(t, dir).OpensWithPassword("admin", scrubPasswords[1-current]) {
		t.Fatal("after a kill, the replaced password still opens a copy of the vault")
	}
	checkCommitted(t, s, committed)
	return current
}
