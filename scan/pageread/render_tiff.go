package pageread

import (
	"encoding/binary"
	"image"
)

// tiffSizes reads the width and height of the first n images in a TIFF's
// chain of IFDs, the pages MuPDF shows. It stops at anything malformed
// (leaving the rest zero: "unknown"); MuPDF judges the file itself.
func tiffSizes(data []byte, n int) []image.Point {
	if n <= 0 {
		return nil
	}
	sizes := make([]image.Point, n)
	if len(data) < 8 {
		return sizes
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if data[0] == 'M' {
		bo = binary.BigEndian
	}
	off := int64(bo.Uint32(data[4:]))
	seen := map[int64]bool{}
	for page := 0; page < n && off > 0 && !seen[off]; page++ {
		seen[off] = true
		if off+2 > int64(len(data)) {
			break
		}
		count := int64(bo.Uint16(data[off:]))
		end := off + 2 + 12*count
		if end+4 > int64(len(data)) {
			break
		}
		for e := off + 2; e < end; e += 12 {
			tag, typ := bo.Uint16(data[e:]), bo.Uint16(data[e+2:])
			var v int
			switch typ {
			case 3: // SHORT
				v = int(bo.Uint16(data[e+8:]))
			case 4: // LONG
				v = int(bo.Uint32(data[e+8:]))
			default:
				continue
			}
			switch tag {
			case 256:
				sizes[page].X = v
			case 257:
				sizes[page].Y = v
			}
		}
		off = int64(bo.Uint32(data[end:]))
	}
	return sizes
}
