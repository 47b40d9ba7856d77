package pageread

import (
	"bytes"
	"image"
	"image/draw"
	"image/jpeg"
	"math"

	"folio/pageturn"
)

// grayImage is an 8-bit gray image with no padding between rows: the form
// the barcode readers, blank detection and OCR all take.
type grayImage struct {
	w, h int
	pix  []byte // len w*h, row-major, 0 black .. 255 white
}

func newGray(w, h int) *grayImage {
	return &grayImage{w: w, h: h, pix: make([]byte, w*h)}
}

// image wraps g as an image.Gray sharing its pixels.
func (g *grayImage) image() *image.Gray {
	return &image.Gray{Pix: g.pix, Stride: g.w, Rect: image.Rect(0, 0, g.w, g.h)}
}

// grayOf converts an RGBA render (opaque, as MuPDF draws it on white) to
// gray, and reports whether any pixel has visible colour.
func grayOf(m *image.RGBA) (*grayImage, bool) {
	b := m.Bounds()
	g := newGray(b.Dx(), b.Dy())
	colour := false
	for y := 0; y < g.h; y++ {
		src := m.Pix[y*m.Stride : y*m.Stride+4*g.w]
		dst := g.pix[y*g.w : (y+1)*g.w]
		for x := range dst {
			r, gg, bb := int(src[4*x]), int(src[4*x+1]), int(src[4*x+2])
			// ITU-R BT.601 luma, in 1/1024ths.
			dst[x] = byte((306*r + 601*gg + 117*bb + 512) >> 10)
			if !colour && (absDiff(r, gg) > 24 || absDiff(gg, bb) > 24) {
				colour = true
			}
		}
	}
	return g, colour
}

func absDiff(a, b int) int {
	if a > b {
		return a - b
	}
	return b - a
}

// scaledSize is w × h scaled by f, at least 1 × 1.
func scaledSize(w, h int, f float64) (int, int) {
	return max(1, int(math.Round(float64(w)*f))), max(1, int(math.Round(float64(h)*f)))
}

// spans splits n source pixels among m destination pixels: destination
// pixel i covers source pixels [lo[i], hi[i]), at least one of them (so
// upscaling repeats pixels).
func spans(n, m int) (lo, hi []int) {
	lo, hi = make([]int, m), make([]int, m)
	for i := range m {
		lo[i] = min(n-1, i*n/m)
		hi[i] = max(lo[i]+1, min(n, (i+1)*n/m))
	}
	return lo, hi
}

// downscaleGray resizes g to w × h by averaging the source pixels each
// destination pixel covers (a box filter: sharp and cheap for the 2× to 4×
// reductions used here). Upscaling repeats pixels.
func downscaleGray(g *grayImage, w, h int) *grayImage {
	if w == g.w && h == g.h {
		return g
	}
	if w == g.w/2 && h == g.h/2 {
		return halveGray(g)
	}
	out := newGray(w, h)
	xlo, xhi := spans(g.w, w)
	ylo, yhi := spans(g.h, h)
	sum := make([]uint32, w)
	for y := 0; y < h; y++ {
		clear(sum)
		y0, y1 := ylo[y], yhi[y]
		for sy := y0; sy < y1; sy++ {
			row := g.pix[sy*g.w : (sy+1)*g.w]
			for x := 0; x < w; x++ {
				var s uint32
				for _, p := range row[xlo[x]:xhi[x]] {
					s += uint32(p)
				}
				sum[x] += s
			}
		}
		dst := out.pix[y*w : (y+1)*w]
		for x := range dst {
			n := uint32((xhi[x] - xlo[x]) * (y1 - y0))
			dst[x] = byte((sum[x] + n/2) / n)
		}
	}
	return out
}

// downscaleRGBA is downscaleGray for an RGBA image.
func downscaleRGBA(m *image.RGBA, w, h int) *image.RGBA {
	b := m.Bounds()
	sw, sh := b.Dx(), b.Dy()
	if w == sw && h == sh {
		return m
	}
	if w == sw/2 && h == sh/2 {
		return halveRGBA(m)
	}
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	xlo, xhi := spans(sw, w)
	ylo, yhi := spans(sh, h)
	sum := make([]uint32, 4*w)
	for y := 0; y < h; y++ {
		clear(sum)
		y0, y1 := ylo[y], yhi[y]
		for sy := y0; sy < y1; sy++ {
			row := m.Pix[sy*m.Stride : sy*m.Stride+4*sw]
			for x := 0; x < w; x++ {
				var r, g, bb, a uint32
				for i := 4 * xlo[x]; i < 4*xhi[x]; i += 4 {
					r += uint32(row[i])
					g += uint32(row[i+1])
					bb += uint32(row[i+2])
					a += uint32(row[i+3])
				}
				sum[4*x] += r
				sum[4*x+1] += g
				sum[4*x+2] += bb
				sum[4*x+3] += a
			}
		}
		dst := out.Pix[y*out.Stride : y*out.Stride+4*w]
		for x := 0; x < w; x++ {
			n := uint32((xhi[x] - xlo[x]) * (y1 - y0))
			for c := 0; c < 4; c++ {
				dst[4*x+c] = byte((sum[4*x+c] + n/2) / n)
			}
		}
	}
	return out
}

// halveGray is downscaleGray to half the size (the usual 300 to 150 dpi),
// averaging 2 × 2 blocks; an odd last row or column is dropped.
func halveGray(g *grayImage) *grayImage {
	w, h := g.w/2, g.h/2
	out := newGray(w, h)
	for y := 0; y < h; y++ {
		r0 := g.pix[2*y*g.w : 2*y*g.w+2*w]
		r1 := g.pix[(2*y+1)*g.w : (2*y+1)*g.w+2*w]
		dst := out.pix[y*w : (y+1)*w]
		for x := range dst {
			dst[x] = byte((uint(r0[2*x]) + uint(r0[2*x+1]) + uint(r1[2*x]) + uint(r1[2*x+1]) + 2) >> 2)
		}
	}
	return out
}

// halveRGBA is halveGray for an RGBA image.
func halveRGBA(m *image.RGBA) *image.RGBA {
	b := m.Bounds()
	w, h := b.Dx()/2, b.Dy()/2
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		r0 := m.Pix[2*y*m.Stride : 2*y*m.Stride+8*w]
		r1 := m.Pix[(2*y+1)*m.Stride : (2*y+1)*m.Stride+8*w]
		dst := out.Pix[y*out.Stride : y*out.Stride+4*w]
		for i := 0; i < 4*w; i++ {
			// Byte i of the output is channel i%4 of pixel i/4, made of
			// bytes j and j+4 of both source rows.
			j := 8*(i/4) + i%4
			dst[i] = byte((uint(r0[j]) + uint(r0[j+4]) + uint(r1[j]) + uint(r1[j+4]) + 2) >> 2)
		}
	}
	return out
}

// rotate returns g turned clockwise by deg (0, 90, 180 or 270).
func (g *grayImage) rotate(deg int) *grayImage {
	t := pageturn.Turn(g.image(), deg).(*image.Gray)
	return &grayImage{w: t.Rect.Dx(), h: t.Rect.Dy(), pix: t.Pix}
}

// rotateRGBA returns m turned clockwise by deg (0, 90, 180 or 270).
func rotateRGBA(m *image.RGBA, deg int) *image.RGBA { return pageturn.RGBA(m, deg) }

// rotateImage turns a view image clockwise by deg.
func rotateImage(m image.Image, deg int) image.Image { return pageturn.Turn(m, deg) }

// toRGBA returns m as an *image.RGBA, converting only if it is not one.
func toRGBA(m image.Image) *image.RGBA {
	if r, ok := m.(*image.RGBA); ok {
		return r
	}
	b := m.Bounds()
	r := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(r, r.Rect, m, b.Min, draw.Src)
	return r
}

// encodeJPEG encodes m at the given quality. A gray image gives a
// one-channel JPEG: smaller, and about twice as fast to encode.
func encodeJPEG(m image.Image, quality int) ([]byte, error) {
	var buf bytes.Buffer
	b := m.Bounds()
	buf.Grow(b.Dx() * b.Dy() / 8)
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: quality}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
