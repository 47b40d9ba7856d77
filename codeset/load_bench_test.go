package codeset

import "testing"

func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ICD10CM(); err != nil {
			b.Fatal(err)
		}
	}
}
