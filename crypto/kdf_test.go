package crypto_test

import (
	"testing"
	"time"

	"folio/crypto"
)

func inBounds(p crypto.KDFParams) bool {
	return p.Time >= 1 && p.Time <= 16 &&
		p.MemoryKiB >= 8*1024 && p.MemoryKiB <= 1024*1024 &&
		p.Threads >= 1 && p.Threads <= 16
}

func TestCalibrate(t *testing.T) {
	tests := []struct {
		name   string
		target time.Duration
	}{
		{"short target", 50 * time.Millisecond},
		{"zero target", 0},
		{"tiny target", time.Microsecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := crypto.Calibrate(tt.target)
			if !inBounds(p) {
				t.Fatalf("Calibrate(%v) = %+v, out of bounds", tt.target, p)
			}
			// The result must be usable for a slot.
			k, err := crypto.NewKeyring()
			if err != nil {
				t.Fatal(err)
			}
			defer k.Close()
			slot, err := k.PasswordSlot("alice", []byte("pw"), nil, p)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := crypto.SlotParams(slot); err != nil || got != p {
				t.Fatalf("SlotParams = %+v, %v; want %+v", got, err, p)
			}
		})
	}
}

func TestFastKDF(t *testing.T) {
	want := crypto.KDFParams{Time: 1, MemoryKiB: 8 * 1024, Threads: 1}
	if got := crypto.FastKDF(); got != want {
		t.Fatalf("FastKDF() = %+v, want %+v", got, want)
	}
}
