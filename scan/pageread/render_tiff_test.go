package pageread

import "testing"

// FuzzTiffSizes: the TIFF header reader sees files before MuPDF does, so it
// must take any bytes without panicking and always answer n sizes.
func FuzzTiffSizes(f *testing.F) {
	f.Add([]byte("II*\x00\x08\x00\x00\x00\x02\x00\x00\x01\x03\x00\x01\x00\x00\x00\x64\x00\x00\x00\x01\x01\x04\x00\x01\x00\x00\x00\xc8\x00\x00\x00\x00\x00\x00\x00"), 2)
	f.Add([]byte("MM\x00*\x00\x00\x00\x08\xff\xff"), 1)
	f.Add([]byte("II*\x00"), -7)                                        // a negative count once panicked
	f.Add([]byte("II*\x00\x08\x00\x00\x00\x00\x00\x08\x00\x00\x00"), 3) // an IFD that points at itself
	f.Fuzz(func(t *testing.T, data []byte, n int) {
		n = n % 64
		sizes := tiffSizes(data, n)
		if n > 0 && len(sizes) != n {
			t.Fatalf("%d sizes for %d pages", len(sizes), n)
		}
	})
}

func TestTiffSizes(t *testing.T) {
	data := corpus(t, "scans/paperless__multi-page-images.tiff")
	for i, s := range tiffSizes(data, 3) {
		if s.X != 2476 || s.Y != 3204 {
			t.Fatalf("page %d: %v, want 2476×3204", i+1, s)
		}
	}
}
