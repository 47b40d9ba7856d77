package pageread

import (
	"math/rand/v2"
	"testing"
)

// despeckle blackens exactly the pixels with at least 5 black pixels in
// their 3×3 neighbourhood (itself included, outside the image white), on
// images of every small shape.
func TestDespeckle(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, size := range [][2]int{{1, 1}, {1, 7}, {7, 1}, {2, 2}, {5, 3}, {64, 65}, {131, 70}} {
		w, h := size[0], size[1]
		for _, density := range []int{2, 5, 8} {
			bin := newGray(w, h)
			for i := range bin.pix {
				if r.IntN(10) >= density {
					bin.pix[i] = 255
				}
			}
			got := despeckle(bin)
			for y := range h {
				for x := range w {
					n := 0
					for dy := -1; dy <= 1; dy++ {
						for dx := -1; dx <= 1; dx++ {
							if xx, yy := x+dx, y+dy; xx >= 0 && xx < w && yy >= 0 && yy < h && bin.pix[yy*w+xx] == 0 {
								n++
							}
						}
					}
					want := byte(255)
					if n >= 5 {
						want = 0
					}
					if got.pix[y*w+x] != want {
						t.Fatalf("%d×%d, density %d: pixel (%d,%d) with %d black around is %d", w, h, density, x, y, n, got.pix[y*w+x])
					}
				}
			}
		}
	}
}

// The sideways pass reads the page turned a quarter anticlockwise row by
// row: each row is what the whole page turned has there.
func TestTurnedLumSource(t *testing.T) {
	g := newGray(7, 5)
	for i := range g.pix {
		g.pix[i] = byte(i * 7)
	}
	src, err := newLumSource(g).RotateCounterClockwise()
	if err != nil {
		t.Fatal(err)
	}
	whole := g.rotate(270)
	if src.GetWidth() != whole.w || src.GetHeight() != whole.h {
		t.Fatalf("turned %d×%d, want %d×%d", src.GetWidth(), src.GetHeight(), whole.w, whole.h)
	}
	for y := range whole.h {
		row, _ := src.GetRow(y, nil)
		if want := whole.pix[y*whole.w : (y+1)*whole.w]; string(row[:whole.w]) != string(want) {
			t.Errorf("row %d = %v, want %v", y, row[:whole.w], want)
		}
	}
	if string(src.GetMatrix()) != string(whole.pix) {
		t.Error("the turned matrix is not the page turned")
	}
}
