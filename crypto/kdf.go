package crypto

import (
	"fmt"
	"math"
	"runtime"
	"time"

	"golang.org/x/crypto/argon2"
)

// KDFParams are the Argon2id parameters stored in every key slot header.
type KDFParams struct {
	Time      uint32 // passes over memory
	MemoryKiB uint32 // memory in KiB
	Threads   uint8  // lanes
}

// Bounds on KDFParams. They are checked when a slot is read (before Argon2id
// runs), so a forged slot cannot make the app hang or run out of memory, and
// when a slot is written.
const (
	minTime      = 1
	maxTime      = 16
	minMemoryKiB = 8 * 1024
	maxMemoryKiB = 1024 * 1024 // 1 GiB
	minThreads   = 1
	maxThreads   = 16
)

// calibrationStartKiB is the memory Calibrate measures with (64 MiB).
const calibrationStartKiB = 64 * 1024

// slotKeySize is the size of a slot's wrapping key and of the master key.
const slotKeySize = 32

// check reports, wrapping ErrSlotParams, whether p is outside the bounds.
func (p KDFParams) check() error {
	switch {
	case p.Time < minTime || p.Time > maxTime:
		return fmt.Errorf("%w: time %d (allowed %d to %d)", ErrSlotParams, p.Time, minTime, maxTime)
	case p.MemoryKiB < minMemoryKiB || p.MemoryKiB > maxMemoryKiB:
		return fmt.Errorf("%w: memory %d KiB (allowed %d to %d)", ErrSlotParams, p.MemoryKiB, minMemoryKiB, maxMemoryKiB)
	case p.Threads < minThreads || p.Threads > maxThreads:
		return fmt.Errorf("%w: threads %d (allowed %d to %d)", ErrSlotParams, p.Threads, minThreads, maxThreads)
	}
	return nil
}

// clamp moves every field of p into bounds.
func (p KDFParams) clamp() KDFParams {
	p.Time = min(max(p.Time, minTime), maxTime)
	p.MemoryKiB = min(max(p.MemoryKiB, minMemoryKiB), maxMemoryKiB)
	p.Threads = min(max(p.Threads, minThreads), maxThreads)
	return p
}

// derive runs Argon2id. Callers check p first.
func (p KDFParams) derive(secret, salt []byte) []byte {
	return argon2.IDKey(secret, salt, p.Time, p.MemoryKiB, p.Threads, slotKeySize)
}

// FastKDF returns the cheapest legal parameters (1 pass, 8 MiB, 1 thread).
// For tests and benchmarks only; the recovery slot also uses them, because
// the recovery key itself carries 160 random bits.
func FastKDF() KDFParams {
	return KDFParams{Time: minTime, MemoryKiB: minMemoryKiB, Threads: minThreads}
}

// Calibrate chooses Argon2id parameters so that one derivation takes about
// target on this machine. It starts from 64 MiB, 1 pass and up to 2 threads
// and measures twice: once as an unlock would run (fresh memory, page faults
// included) and once on memory the process already holds, which gives the
// cost of a pass. It then adds passes while they fit in target (up to 16,
// then more memory), or lowers the memory when even one pass is too slow.
// The result is always within bounds. Calibrate takes about 0.5 s on
// current hardware.
func Calibrate(target time.Duration) KDFParams {
	p := KDFParams{Time: 1, MemoryKiB: calibrationStartKiB, Threads: uint8(min(2, runtime.NumCPU()))}
	if target <= 0 {
		return p.clamp()
	}
	secret, salt := []byte("folio calibration"), make([]byte, saltSize)
	measure := func() time.Duration {
		start := time.Now()
		p.derive(secret, salt)
		return max(time.Since(start), time.Microsecond)
	}
	first := measure()
	runtime.GC() // let the second derivation reuse the first one's memory
	pass := min(measure(), first)
	overhead := first - pass // allocation and page faults, paid once per unlock

	// cost(t, m) ≈ m/64MiB · (overhead + t·pass)
	if one := overhead + pass; one >= target {
		p.MemoryKiB = scaleKiB(p.MemoryKiB, float64(target)/float64(one))
		return p.clamp()
	}
	passes := math.Floor(float64(target-overhead) / float64(pass))
	if passes > maxTime {
		passes = maxTime
		p.MemoryKiB = scaleKiB(p.MemoryKiB, float64(target)/float64(overhead+maxTime*pass))
	}
	p.Time = uint32(passes)
	return p.clamp()
}

// scaleKiB multiplies a memory size by f, saturating instead of overflowing.
func scaleKiB(kib uint32, f float64) uint32 {
	v := float64(kib) * f
	if v >= maxMemoryKiB {
		return maxMemoryKiB
	}
	return uint32(v)
}
