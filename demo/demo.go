// Package demo generates synthetic patients for demonstrations, tests and
// benchmarks: plausible names from several regions, dates of birth (some
// known only to the year), phones and villages. Output is deterministic for
// a seed. No generated person is real.
package demo

import (
	"fmt"
	"math/rand/v2"

	"folio/app"
)

// A name pool per region, so a generated clinic has the mix of a real one.
var regions = []struct {
	given, family []string
}{
	{ // East Africa
		given:  []string{"Akello", "Apio", "Nakato", "Babirye", "Wanjiru", "Achieng", "Njeri", "Amani", "Baraka", "Okello", "Kato", "Mugisha", "Otieno", "Kiprop", "Juma", "Zawadi", "Neema", "Imani", "Tumaini", "Wekesa", "Kamau", "Mwangi", "Auma", "Namubiru"},
		family: []string{"Okello", "Ochieng", "Mutua", "Kamau", "Wanjiku", "Nakimuli", "Mugisha", "Tumusiime", "Byaruhanga", "Otieno", "Odhiambo", "Kiprotich", "Chebet", "Njoroge", "Mwangi", "Nabukenya", "Ssemakula", "Kyomuhendo", "Wafula", "Onyango", "Akinyi", "Atieno", "Muthoni", "Ndirangu"},
	},
	{ // West Africa
		given:  []string{"Kwame", "Ama", "Kofi", "Abena", "Chinedu", "Ngozi", "Adaeze", "Emeka", "Fatou", "Moussa", "Aminata", "Ibrahima", "Yaw", "Efua", "Oluwaseun", "Folake"},
		family: []string{"Mensah", "Owusu", "Boateng", "Okafor", "Eze", "Adeyemi", "Diallo", "Traore", "Keita", "Ndiaye", "Asante", "Okonkwo", "Balogun", "Sow", "Camara", "Nwosu"},
	},
	{ // South Asia
		given:  []string{"Aarav", "Priya", "Rahul", "Anjali", "Sunita", "Ravi", "Lakshmi", "Arjun", "Fatima", "Imran", "Ayesha", "Sanjay", "Deepa", "Rohan", "Kavita", "Mohammed"},
		family: []string{"Sharma", "Patel", "Singh", "Kumar", "Khan", "Das", "Reddy", "Iyer", "Chowdhury", "Hossain", "Rahman", "Gupta", "Nair", "Begum", "Ali", "Joshi"},
	},
	{ // Latin America
		given:  []string{"José", "María", "Juan", "Guadalupe", "Luis", "Rosa", "Carlos", "Ana", "Miguel", "Lucía", "Jorge", "Carmen", "Pedro", "Sofía", "Jesús", "Elena"},
		family: []string{"García", "Hernández", "López", "Martínez", "González", "Pérez", "Rodríguez", "Sánchez", "Ramírez", "Flores", "Cruz", "Morales", "Quispe", "Mamani", "Torres", "Vargas"},
	},
	{ // elsewhere
		given:  []string{"John", "Mary", "James", "Sarah", "Mohamed", "Nguyen", "Linh", "Minh", "Olga", "Ivan", "Zoë", "Sean", "Siobhan", "Ahmed", "Leila", "Hana"},
		family: []string{"Smith", "Johnson", "Nguyen", "Tran", "Ivanova", "Petrov", "O'Neill", "Murphy", "Hassan", "Haddad", "Kowalski", "Schmidt", "Müller", "Rossi", "Cohen", "Kim"},
	},
}

var villages = []string{"Kisoro", "Bwindi", "Kabale", "Rubanda", "Kanungu", "Ntungamo", "Mbarara", "Bushenyi",
	"Ibanda", "Kiruhura", "Isingiro", "Rukungiri", "Kasese", "Fort Portal", "Hoima", "Masindi", "Gulu", "Lira",
	"Soroti", "Mbale", "Tororo", "Jinja", "Iganga", "Kamuli", "Mityana", "Mubende", "Masaka", "Rakai"}

var relationships = []string{"mother", "father", "spouse", "sister", "brother", "son", "daughter", "aunt", "uncle"}

// Generator makes synthetic patients.
type Generator struct {
	rng  *rand.Rand
	year int // the current year, for ages
}

// NewGenerator returns a generator for a seed; year is the current year.
func NewGenerator(seed uint64, year int) *Generator {
	return &Generator{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), year: year}
}

func (g *Generator) pick(s []string) string { return s[g.rng.IntN(len(s))] }

func (g *Generator) phone() string {
	return fmt.Sprintf("07%d%d %03d %03d", g.rng.IntN(10), g.rng.IntN(10), g.rng.IntN(1000), g.rng.IntN(1000))
}

// Patient returns the next synthetic patient (no id or MRN: the vault
// assigns them).
func (g *Generator) Patient() app.Patient {
	r := regions[g.rng.IntN(len(regions))]
	sex := app.SexFemale
	if g.rng.IntN(2) == 0 {
		sex = app.SexMale
	}
	p := app.Patient{
		Family:  g.pick(r.family),
		Given:   g.pick(r.given),
		Sex:     sex,
		Village: g.pick(villages),
	}
	if g.rng.IntN(4) == 0 {
		p.Given += " " + g.pick(r.given)
	}
	age := g.rng.IntN(90)
	p.BirthDate = app.BirthDate{Year: g.year - age}
	switch n := g.rng.IntN(10); {
	case n < 7: // full date known
		p.BirthDate.Month = 1 + g.rng.IntN(12)
		p.BirthDate.Day = 1 + g.rng.IntN(28)
		if age == 0 {
			p.BirthDate.Month, p.BirthDate.Day = 1, 1
		}
	case n < 9: // year only, estimated
		p.BirthDate.Estimated = true
	}
	if g.rng.IntN(3) > 0 {
		p.Phone = g.phone()
	}
	if g.rng.IntN(2) == 0 {
		p.NationalID = fmt.Sprintf("CM%08d%c%c", g.rng.IntN(100000000), 'A'+rune(g.rng.IntN(26)), 'A'+rune(g.rng.IntN(26)))
	}
	if g.rng.IntN(2) == 0 {
		p.NextOfKin = app.NextOfKin{Name: g.pick(r.given) + " " + p.Family, Relationship: g.pick(relationships), Phone: g.phone()}
	}
	return p
}
