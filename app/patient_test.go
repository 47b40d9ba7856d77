package app

import (
	"errors"
	"testing"
	"time"
)

func TestParseBirthDate(t *testing.T) {
	now := time.Now()
	tests := []struct {
		in   string
		want BirthDate
		err  bool
	}{
		{in: "1980-04-02", want: BirthDate{Year: 1980, Month: 4, Day: 2}},
		{in: "1980-04", want: BirthDate{Year: 1980, Month: 4}},
		{in: "1980", want: BirthDate{Year: 1980}},
		{in: "1980~", want: BirthDate{Year: 1980, Estimated: true}},
		{in: "about 1975", want: BirthDate{Year: 1975, Estimated: true}},
		{in: "2023-02-29", err: true},
		{in: "1980-13-01", err: true},
		{in: "80", err: true},
		{in: "1800", err: true},
		{in: now.AddDate(0, 0, 2).Format("2006-01-02"), err: true},
		{in: "", err: true},
		{in: "yesterday", err: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseBirthDate(tc.in)
			if tc.err {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("err = %v, want ErrInvalid", err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
			if back, _ := ParseBirthDate(got.String()); back != got {
				t.Fatalf("String round trip: %q gives %+v", got.String(), back)
			}
		})
	}
}

func TestBirthDateAge(t *testing.T) {
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		b    BirthDate
		want int
	}{
		{BirthDate{Year: 1980, Month: 11, Day: 23}, 46},
		{BirthDate{Year: 1980, Month: 11, Day: 24}, 45},
		{BirthDate{Year: 1980, Month: 12}, 45},
		{BirthDate{Year: 1980}, 46},
	} {
		if got := tc.b.Age(now); got != tc.want {
			t.Errorf("%s: age %d, want %d", tc.b, got, tc.want)
		}
	}
}

func TestPatientValidate(t *testing.T) {
	now := time.Now()
	ok := Patient{Family: "  Okello ", Given: "Grace  Akello", BirthDate: BirthDate{Year: 1990}}
	if err := ok.Validate(now); err != nil {
		t.Fatal(err)
	}
	if ok.Family != "Okello" || ok.Given != "Grace Akello" || ok.Sex != SexUnknown {
		t.Fatalf("not normalised: %+v", ok)
	}
	for name, p := range map[string]Patient{
		"no name":     {BirthDate: BirthDate{Year: 1990}},
		"no dob":      {Family: "Okello"},
		"short phone": {Family: "Okello", BirthDate: BirthDate{Year: 1990}, Phone: "12"},
		"bad sex":     {Family: "Okello", BirthDate: BirthDate{Year: 1990}, Sex: "x"},
	} {
		t.Run(name, func(t *testing.T) {
			if err := p.Validate(now); !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestCheckPassword(t *testing.T) {
	for name, tc := range map[string]struct {
		pw, user string
		ok       bool
	}{
		"passphrase":        {"correct horse battery staple", "amina", true},
		"short":             {"abc123", "amina", false},
		"common":            {"Password1", "amina", false},
		"contains user":     {"amina-rocks-2026", "amina", false},
		"unicode counted":   {"ñandú-ñandú", "x", true},
		"no rules on mixes": {"alllowercaseletters", "x", true},
	} {
		t.Run(name, func(t *testing.T) {
			if err := CheckPassword([]byte(tc.pw), tc.user); (err == nil) != tc.ok {
				t.Fatalf("CheckPassword(%q) = %v, want ok=%v", tc.pw, err, tc.ok)
			}
		})
	}
}

func TestLoginDelayGrows(t *testing.T) {
	if LoginDelay(2) != 0 || LoginDelay(3) != 2*time.Second || LoginDelay(4) != 4*time.Second {
		t.Fatalf("delays: %v %v %v", LoginDelay(2), LoginDelay(3), LoginDelay(4))
	}
	if LoginDelay(1000) != 15*time.Minute {
		t.Fatalf("cap: %v", LoginDelay(1000))
	}
}
