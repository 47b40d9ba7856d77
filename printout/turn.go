package printout

import (
	"bytes"
	"image/jpeg"

	"folio/app"
	"folio/pageturn"
)

// turnPage applies p.Turn to its image and word boxes (and clears it). The
// image is decoded, turned and encoded again at high quality.
func turnPage(p *Page) error {
	turn := ((p.Turn % 360) + 360) % 360
	p.Turn = 0
	if turn == 0 {
		return nil
	}
	if turn%90 != 0 {
		return app.Invalidf("a page turns by quarter turns, not %d°", turn)
	}
	src, err := jpeg.Decode(bytes.NewReader(p.JPEG))
	if err != nil {
		return app.Invalidf("the page image is not a JPEG: %v", err)
	}
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	dst := pageturn.Turn(src, turn)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 90}); err != nil {
		return err
	}
	// Word boxes scale with the stated size, which may differ from the
	// JPEG's own (WidthPx/HeightPx 0 means the JPEG's).
	sw, sh := p.WidthPx, p.HeightPx
	if sw == 0 || sh == 0 {
		sw, sh = w, h
	}
	words := make([]app.Word, len(p.Words))
	for i, wd := range p.Words {
		switch turn {
		case 90:
			wd.X, wd.Y, wd.W, wd.H = sh-wd.Y-wd.H, wd.X, wd.H, wd.W
		case 180:
			wd.X, wd.Y = sw-wd.X-wd.W, sh-wd.Y-wd.H
		case 270:
			wd.X, wd.Y, wd.W, wd.H = wd.Y, sw-wd.X-wd.W, wd.H, wd.W
		}
		words[i] = wd
	}
	p.JPEG, p.Words = buf.Bytes(), words
	if turn != 180 {
		p.WidthPx, p.HeightPx = sh, sw
	} else {
		p.WidthPx, p.HeightPx = sw, sh
	}
	return nil
}
