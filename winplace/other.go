//go:build !(linux || freebsd || openbsd || netbsd || windows)

package winplace

import "image"

func of(any) (Window, bool) { return Window{}, false }

// native is nothing: no window can be placed here.
type native struct{}

func (native) unsupported() (image.Point, error) { return image.Point{}, ErrUnsupported }

func (w Window) position() (image.Point, error) { return w.n.unsupported() }

func (w Window) moveTo(image.Point) (image.Point, error) { return w.n.unsupported() }
