package codeset

import (
	"bytes"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"folio/assets"
)

// BenchmarkLoad: opening the embedded ICD-10-CM (decompress, parse, check,
// index): the time, the CPU time of the process (GC included; on a busy
// machine the better figure), and the heap the open Set holds (heap-MB,
// after a GC).
func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		if _, err := ICD10CM(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	keep, err := Open(bytes.NewReader(assets.ICD10CMFY2022), ICD10CMSystem, ICD10CMVersion)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MB")
	runtime.KeepAlive(keep)
}

// BenchmarkKeystroke: every keystroke of the 200 queries of
// testdata/queries.tsv (each prefix of each, as typed: J, J1, J18, …), a
// search over the whole shipped code set for the first page of 50
// results, timed one by one; p50, p95 and max per keystroke in ms.
// Issue 16's goal: p95 ≤ 10 ms.
func BenchmarkKeystroke(b *testing.B) {
	s := shipped(b)
	var typed []string
	for _, q := range readQueries(b) {
		for i := 1; i <= len(q[1]); i++ {
			if utf8.RuneStart(q[1][i%len(q[1])]) || i == len(q[1]) {
				typed = append(typed, q[1][:i])
			}
		}
	}
	var took []time.Duration
	for b.Loop() {
		for _, q := range typed {
			start := time.Now()
			s.Search(q, 50)
			took = append(took, time.Since(start))
		}
	}
	slices.Sort(took)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(took[len(took)/2]), "p50-ms")
	b.ReportMetric(ms(took[len(took)*95/100]), "p95-ms")
	b.ReportMetric(ms(took[len(took)-1]), "max-ms")
	b.ReportMetric(float64(len(typed)), "keystrokes")
	b.ReportMetric(0, "ns/op")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
