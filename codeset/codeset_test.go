package codeset

import (
	"sync"
	"testing"
)

// shipped opens the embedded ICD-10-CM once for the package's tests.
var shippedSet Lazy

func shipped(t testing.TB) *Set {
	t.Helper()
	s, err := shippedSet.Set()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var _ = sync.Once{}
