package pageturn

import (
	"image"
	"image/color"
	"testing"
)

// A 3×2 image with a marked top-left pixel: after each turn the mark sits
// in the corner it must, and the size swaps for quarter turns.
func TestTurn(t *testing.T) {
	cases := []struct {
		deg        int
		w, h       int
		markX, mkY int
	}{{90, 2, 3, 1, 0}, {180, 3, 2, 2, 1}, {270, 2, 3, 0, 2}, {-90, 2, 3, 0, 2}, {450, 2, 3, 1, 0}, {0, 3, 2, 0, 0}}
	for _, c := range cases {
		gray := image.NewGray(image.Rect(0, 0, 3, 2))
		rgba := image.NewRGBA(image.Rect(0, 0, 3, 2))
		pal := image.NewPaletted(image.Rect(0, 0, 3, 2), color.Palette{color.Black, color.White})
		gray.SetGray(0, 0, color.Gray{Y: 255})
		rgba.Set(0, 0, color.White)
		pal.Set(0, 0, color.White)
		for _, src := range []image.Image{gray, rgba, pal} {
			out := Turn(src, c.deg)
			if b := out.Bounds(); b.Dx() != c.w || b.Dy() != c.h {
				t.Fatalf("%T turned %d: %v, want %d×%d", src, c.deg, b, c.w, c.h)
			}
			for y := range c.h {
				for x := range c.w {
					r, _, _, _ := out.At(x, y).RGBA()
					if want := x == c.markX && y == c.mkY; (r > 0x8000) != want {
						t.Fatalf("%T turned %d: pixel (%d,%d) lit %v", src, c.deg, x, y, !want)
					}
				}
			}
		}
	}
}

// A page larger than the tiles turnPix works in, of sizes no multiple of
// them, and a sub-image: every pixel lands where a turn puts it.
func TestTurnEveryPixel(t *testing.T) {
	gray := image.NewGray(image.Rect(0, 0, 150, 97))
	rgba := image.NewRGBA(image.Rect(0, 0, 150, 97))
	for i := range gray.Pix {
		gray.Pix[i] = byte(i * 7)
	}
	for i := range rgba.Pix {
		rgba.Pix[i] = byte(i * 13)
	}
	sub := gray.SubImage(image.Rect(3, 5, 133, 70))
	for _, src := range []image.Image{gray, rgba, sub} {
		b := src.Bounds()
		w, h := b.Dx(), b.Dy()
		for _, deg := range []int{90, 180, 270} {
			out := Turn(src, deg)
			for y := range h {
				for x := range w {
					var tx, ty int
					switch deg {
					case 90:
						tx, ty = h-1-y, x
					case 180:
						tx, ty = w-1-x, h-1-y
					default:
						tx, ty = y, w-1-x
					}
					if got, want := out.At(tx, ty), src.At(b.Min.X+x, b.Min.Y+y); got != want {
						t.Fatalf("%T %v turned %d: pixel (%d,%d) went to (%d,%d) as %v, found %v", src, b, deg, x, y, tx, ty, want, got)
					}
				}
			}
		}
	}
}
