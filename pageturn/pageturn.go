// Package pageturn turns page images by quarter turns, as scanned pages
// need it: upright after orientation detection, or as a person asked.
// Grey and RGBA images are turned by copying pixels directly; any other
// image is converted to RGBA first.
package pageturn

import (
	"image"
	"image/draw"
)

// Normalize maps any angle to 0, 90, 180 or 270 (clockwise), rounding a
// stray angle down to a quarter turn.
func Normalize(degrees int) int {
	d := ((degrees % 360) + 360) % 360
	return d - d%90
}

// Turn returns src turned clockwise by degrees (see Normalize). A zero
// turn returns src itself. The result's bounds start at (0, 0).
func Turn(src image.Image, degrees int) image.Image {
	deg := Normalize(degrees)
	if deg == 0 {
		return src
	}
	switch m := src.(type) {
	case *image.Gray:
		out := image.NewGray(turnedRect(m.Rect, deg))
		turnPix(m.Pix, m.Stride, m.Rect.Dx(), m.Rect.Dy(), out.Pix, out.Stride, 1, deg)
		return out
	case *image.RGBA:
		return RGBA(m, deg)
	}
	return RGBA(toRGBA(src), deg)
}

// RGBA turns an RGBA image clockwise by degrees (see Normalize); a zero
// turn returns m itself.
func RGBA(m *image.RGBA, degrees int) *image.RGBA {
	deg := Normalize(degrees)
	if deg == 0 {
		return m
	}
	out := image.NewRGBA(turnedRect(m.Rect, deg))
	turnPix(m.Pix, m.Stride, m.Rect.Dx(), m.Rect.Dy(), out.Pix, out.Stride, 4, deg)
	return out
}

// turnedRect is the bounds of a w×h image after the turn.
func turnedRect(r image.Rectangle, deg int) image.Rectangle {
	if deg == 180 {
		return image.Rect(0, 0, r.Dx(), r.Dy())
	}
	return image.Rect(0, 0, r.Dy(), r.Dx())
}

// turnPix copies a w×h image of bpp bytes per pixel into dst, turned.
// Pixel (x, y) goes to byte base(y) + x·step of dst. A quarter turn reads
// rows and writes columns: it goes tile by tile, so that the columns it
// writes stay in the cache (a page at 300 dpi turned pixel by pixel down
// whole columns took most of the time of a barcode pass).
func turnPix(src []byte, sStride, w, h int, dst []byte, dStride, bpp, deg int) {
	var base0, baseStep, step int
	switch deg {
	case 90: // (x, y) → (h-1-y, x)
		base0, baseStep, step = (h-1)*bpp, -bpp, dStride
	case 180: // (x, y) → (w-1-x, h-1-y)
		base0, baseStep, step = (h-1)*dStride+(w-1)*bpp, -dStride, -bpp
	default: // 270: (x, y) → (y, w-1-x)
		base0, baseStep, step = (w-1)*dStride, bpp, -dStride
	}
	const tile = 64
	for ty := 0; ty < h; ty += tile {
		for tx := 0; tx < w; tx += tile {
			xe := min(tx+tile, w)
			for y := ty; y < min(ty+tile, h); y++ {
				row := src[y*sStride : y*sStride+w*bpp]
				o := base0 + y*baseStep + tx*step
				if bpp == 1 {
					for _, p := range row[tx:xe] {
						dst[o] = p
						o += step
					}
					continue
				}
				for x := tx; x < xe; x++ {
					copy(dst[o:o+bpp], row[x*bpp:x*bpp+bpp])
					o += step
				}
			}
		}
	}
}

func toRGBA(m image.Image) *image.RGBA {
	b := m.Bounds()
	r := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(r, r.Rect, m, b.Min, draw.Src)
	return r
}
