package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"folio/app"
	"folio/demo"
	"folio/internal/testkit"
	"folio/profile"
)

// The vault at the scale of issue 16's goal: 100,000 patients with
// 1,000,000 signed encounters, patient search still p95 <= 20 ms. The
// sizes can be made smaller for a quick run (FOLIO_BENCH_VAULT_PATIENTS,
// FOLIO_BENCH_VAULT_ENCOUNTERS); the built vault is kept in a cache folder
// (FOLIO_BENCH_CACHE, else the user cache folder's folio-bench) and
// reused by the next run of the same sizes, since building it takes
// minutes.
const (
	scaleSeed    = 42
	scaleVersion = "v3" // bump when the store format or the generator changes
	encBatch     = 10_000
	clinicianPW  = "bench clinician passphrase"
)

// scaleMarker is written beside a finished vault: what it holds.
type scaleMarker struct {
	Year       int     `json:"year"` // the generator's year
	Patients   int     `json:"patients"`
	Encounters int     `json:"encounters"`
	BuildSecs  float64 `json:"build_seconds"`
	Bytes      int64   `json:"bytes"`
}

// scaleVault opens (or builds, then keeps) a vault of np patients and ne
// signed encounters, and returns a signed-in session and the
// patients with their MRNs. The session is a clinician's, who searches
// for a patient before writing a visit.
func scaleVault(b *testing.B, np, ne int) (*app.Session, []app.Patient) {
	b.Helper()
	ctx := context.Background()
	cache := os.Getenv("FOLIO_BENCH_CACHE")
	if cache == "" {
		c, err := os.UserCacheDir()
		if err != nil {
			b.Fatal(err)
		}
		cache = filepath.Join(c, "folio-bench")
	}
	dir := filepath.Join(cache, fmt.Sprintf("vault-%dp-%de-%s", np, ne, scaleVersion))
	markerFile := filepath.Join(dir, "built.json")
	var m scaleMarker
	if raw, err := os.ReadFile(markerFile); err == nil && json.Unmarshal(raw, &m) == nil {
		prof, err := profile.Open(dir, profile.Options{FastKDF: true})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { prof.Close() })
		s, err := prof.Vault.Login(ctx, "doc", []byte(clinicianPW))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Lock(ctx) })
		ps := scalePatients(np, m.Year)
		for i := range ps {
			ps[i].MRN = app.FormatMRN("BEN", uint64(i+1))
		}
		for _, p := range []app.Patient{ps[0], ps[len(ps)-1]} {
			got, err := s.Patients().Open(ctx, p.MRN)
			if err != nil || got.Family != p.Family || got.Given != p.Given {
				b.Fatalf("the cached vault in %s does not hold the generated patients (%s: %v %v): delete the folder", dir, p.MRN, got.Family, err)
			}
		}
		b.Logf("reused the vault built in %.0f s: %d patients, %d encounters, %.0f MiB (%s)",
			m.BuildSecs, m.Patients, m.Encounters, float64(m.Bytes)/(1<<20), dir)
		return s, ps
	}

	if err := os.RemoveAll(dir); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	prof, err := profile.Open(dir, profile.Options{FastKDF: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { prof.Close() })
	if _, err := prof.Vault.Create(ctx, app.CreateParams{Admin: "admin", Password: []byte(adminPW), SitePrefix: "BEN"}); err != nil {
		b.Fatal(err)
	}
	s, err := prof.Vault.Login(ctx, "admin", []byte(adminPW))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Lock(ctx)
	year := time.Now().Year()
	ps := scalePatients(np, year)
	for i := 0; i < len(ps); i += 1000 {
		done, err := s.Patients().Register(ctx, ps[i:min(i+1000, len(ps))]...)
		if err != nil {
			b.Fatal(err)
		}
		copy(ps[i:], done)
	}
	patientsDone := time.Since(start)
	testkit.AddUser(b, s, app.User{Name: "doc", Roles: app.RoleSet{app.RoleClinician}}, clinicianPW)
	doc, err := prof.Vault.Login(ctx, "doc", []byte(clinicianPW))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { doc.Lock(ctx) })
	g := newVisitGen(scaleSeed)
	now := time.Now()
	for i := 0; i < ne; i += encBatch {
		batch := make([]app.Encounter, min(encBatch, ne-i))
		for j := range batch {
			batch[j] = g.visit(ps[(i+j)%len(ps)], now)
		}
		if err := app.AddSignedEncounters(ctx, doc, batch); err != nil {
			b.Fatal(err)
		}
		if (i+len(batch))%200_000 == 0 {
			b.Logf("  %d encounters written, %s", i+len(batch), time.Since(start).Round(time.Second))
		}
	}
	el := time.Since(start)
	st, err := os.Stat(filepath.Join(dir, profile.VaultFile))
	if err != nil {
		b.Fatal(err)
	}
	m = scaleMarker{Year: year, Patients: np, Encounters: ne, BuildSecs: el.Seconds(), Bytes: st.Size()}
	raw, _ := json.Marshal(m)
	if err := os.WriteFile(markerFile, raw, 0o600); err != nil {
		b.Fatal(err)
	}
	b.Logf("built %d patients in %s and %d signed encounters in %s (%.0f/s); vault %.0f MiB, kept in %s",
		np, patientsDone.Round(time.Second), ne, (el - patientsDone).Round(time.Second),
		float64(ne)/(el-patientsDone).Seconds(), float64(st.Size())/(1<<20), dir)
	return doc, ps
}

// scalePatients is the same n synthetic patients for the same year.
func scalePatients(n, year int) []app.Patient {
	g := demo.NewGenerator(scaleSeed, year)
	ps := make([]app.Patient, n)
	for i := range ps {
		ps[i] = g.Patient()
	}
	return ps
}

// visitGen makes plausible signed outpatient visits: a reason, vital
// signs and a four-part note of a few hundred characters, as a clinic's
// are.
type visitGen struct{ rng *rand.Rand }

func newVisitGen(seed uint64) *visitGen {
	return &visitGen{rng: rand.New(rand.NewPCG(seed, seed+1))}
}

var (
	visitReasons = []string{"cough for two weeks", "fever and headache", "abdominal pain", "antenatal check",
		"follow-up of hypertension", "diabetes review", "rash on both arms", "painful urination", "child immunisation",
		"back pain after lifting", "diarrhoea for three days", "ear pain", "wound dressing", "shortness of breath"}
	visitHistory = []string{"Symptoms began gradually; no recent travel. Eating and drinking normally.",
		"Intermittent fever for four days, worse at night, with chills and body aches.",
		"Known hypertensive on amlodipine 5 mg daily, adherent, no chest pain or headache.",
		"Productive cough, night sweats and weight loss over the last month; a neighbour has TB."}
	visitExam = []string{"Alert, not pale, well hydrated. Chest clear, heart sounds normal, abdomen soft and non-tender.",
		"Febrile, mild dehydration. Crackles at the right base. No neck stiffness.",
		"Tender right iliac fossa without guarding; bowel sounds present.",
		"Maculopapular rash on both forearms, no mucosal involvement."}
	visitAssessment = []string{"Upper respiratory tract infection.", "Uncomplicated malaria, RDT positive.",
		"Hypertension, controlled.", "Suspected pulmonary tuberculosis.", "Acute gastroenteritis.", "Contact dermatitis."}
	visitPlan = []string{"Paracetamol, fluids, review in three days if not better.",
		"Artemether-lumefantrine for three days; return if vomiting or worse.",
		"Continue current treatment; check blood pressure in three months.",
		"Sputum for GeneXpert; chest X-ray; review with results."}
)

func (g *visitGen) pick(s []string) string { return s[g.rng.IntN(len(s))] }

// visit is one signed visit of p, at a time after p's birth within the
// last ten years.
func (g *visitGen) visit(p app.Patient, now time.Time) app.Encounter {
	from := now.AddDate(-10, 0, 0)
	if born := time.Date(p.BirthDate.Year+1, 1, 1, 0, 0, 0, 0, time.UTC); born.After(from) {
		from = born
	}
	if !from.Before(now.Add(-48 * time.Hour)) {
		from = now.Add(-48 * time.Hour)
	}
	at := from.Add(time.Duration(g.rng.Int64N(int64(now.Add(-time.Hour).Sub(from))))).Truncate(time.Minute)
	return app.Encounter{
		PatientID: p.ID, Time: at, Type: app.EncounterTypes[g.rng.IntN(len(app.EncounterTypes))],
		Site: "Kisoro HC", Reason: g.pick(visitReasons),
		Vitals: app.Vitals{TemperatureC: 36 + float64(g.rng.IntN(30))/10, Pulse: 60 + g.rng.IntN(50),
			Systolic: 100 + g.rng.IntN(50), Diastolic: 60 + g.rng.IntN(30), RespRate: 12 + g.rng.IntN(12), SpO2: 93 + g.rng.IntN(7)},
		Note: app.Note{History: g.pick(visitHistory), Examination: g.pick(visitExam),
			Assessment: g.pick(visitAssessment), Plan: g.pick(visitPlan)},
	}
}

// BenchmarkSearchVault is patient search in a vault of 100,000 patients
// and 1,000,000 signed encounters (each encounter's one index token is
// its patient's id under its own term, never a name, so it adds entries
// to the index but none to a name's, MRN's or phone's hits). The same
// clerk's mix as BenchmarkSearch100k; the first pass after opening the
// vault (nothing cached yet) is reported too.
func BenchmarkSearchVault(b *testing.B) {
	np := testkit.EnvInt(b, "FOLIO_BENCH_VAULT_PATIENTS", 100_000)
	ne := testkit.EnvInt(b, "FOLIO_BENCH_VAULT_ENCOUNTERS", 1_000_000)
	s, ps := scaleVault(b, np, ne)
	ctx := context.Background()
	// The encounters are there and readable: a patient's chart lists them.
	list, err := s.Encounters().List(ctx, ps[0].MRN)
	if want := ne/np + min(1, ne%np); err != nil || len(list) != want {
		b.Fatalf("%s's encounters: %d (want %d), %v", ps[0].MRN, len(list), want, err)
	}
	measureSearch(b, s, queries(ps), true)
	b.ReportMetric(float64(ne), "encounters")
}
