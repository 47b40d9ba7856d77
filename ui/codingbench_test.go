package ui

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"folio/app"
)

// BenchmarkCodeSearchKeystroke times a key typed in the coding screen's
// search field until the codes answering the new text are in the list's
// rows, over the whole ICD-10-CM: every key of the 200 queries of
// codeset/testdata/queries.tsv (codes, clinical terms, words cut short,
// slips), as BenchmarkKeystroke in codeset times the search alone. The
// debounce is set to 0 so that every key searches and is timed: the key,
// the search on a goroutine, the answer applied to the list. The window
// waits defaultCodeDelay (60 ms) after the last key on purpose, so what a
// coder sees after a pause is that plus this figure. One op is one key.
func BenchmarkCodeSearchKeystroke(b *testing.B) {
	u, s := codingBenchScreen(b)
	u.codeDelay = 0
	keys := keystrokes(benchCodeQueries(b))
	field := s.search.pick.field
	press := func(k keystroke) time.Duration {
		if k.first {
			b.StopTimer()
			field.SetText("")
			u.tasks.wait()
			b.StartTimer()
		}
		t0 := time.Now()
		typeKey(b, u, k.r)
		u.tasks.wait()
		d := time.Since(t0)
		if strings.TrimSpace(field.Text) != "" && len(s.search.pick.rows) == 0 && len(s.search.hits) > 0 {
			b.Fatalf("%q: the list shows no row", field.Text)
		}
		return d
	}
	var lat latencies
	for i := 0; b.Loop(); i++ {
		lat = append(lat, press(keys[i%len(keys)]))
	}
	lat.report(b, "", true)
}

// codingBenchScreen is a coder's window on the coding screen of a signed
// visit, the code set open and the keyboard in the search.
func codingBenchScreen(b *testing.B) (*App, *codingScreen) {
	b.Helper()
	ctx := context.Background()
	v := benchProfile(b, true).Vault
	admin, err := v.Login(ctx, "admin", []byte(adminPW))
	if err != nil {
		b.Fatal(err)
	}
	addUser(b, admin, clerkPW, "grace", app.RoleRecords)
	addUser(b, admin, clinPW, "dr.amani", app.RoleClinician)
	reg, err := admin.Patients().Register(ctx, mary())
	if err != nil {
		b.Fatal(err)
	}
	u := newWindow(b, v, Options{})
	logIn(b, u, "grace", clerkPW)
	e := codingWork(b, u, "dr.amani", clinPW, reg[0].MRN)[0]
	u.nav.showCodingEncounter(e.ID)
	u.tasks.wait()
	s := current[*codingScreen](b, u)
	if s.search.set == nil {
		b.Fatal("the code set is not open")
	}
	u.win.Canvas().Focus(s.search.pick.field)
	return u, s
}

// benchCodeQueries are the queries of codeset/testdata/queries.tsv.
func benchCodeQueries(b *testing.B) []string {
	f, err := os.Open(filepath.Join("..", "codeset", "testdata", "queries.tsv"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var qs []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := sc.Text(); !strings.HasPrefix(l, "#") {
			if f := strings.Split(l, "\t"); len(f) >= 2 {
				qs = append(qs, f[1])
			}
		}
	}
	return qs
}
