package scan

// EngineOptions bound and shape what a worker's page reader (the engine of
// package scan/pageread) produces; the pool sends them with every file.
// Zero fields take their defaults.
type EngineOptions struct {
	ViewDPI    int // viewing image resolution, default 150
	OCRDPI     int // render resolution for OCR (a scan is read at its own, if lower) and the barcode retry, default 300
	ThumbWidth int // thumbnail width in pixels, default 200
	MaxPages   int // pages per file, default 2000; a file with more is refused
	// MaxPixels bounds the largest render, in pixels, default 60e6. A page
	// whose render at OCRDPI would be larger is rendered (and OCR'd) at the
	// highest resolution that fits instead; a page that would exceed it even
	// at ViewDPI is refused with "page N is too large (W × H pt)".
	MaxPixels int64
	Languages []string // Tesseract languages, default ["eng"]
}

// WithDefaults returns o with its zero fields set to their defaults.
func (o EngineOptions) WithDefaults() EngineOptions {
	if o.ViewDPI <= 0 {
		o.ViewDPI = 150
	}
	if o.OCRDPI <= 0 {
		o.OCRDPI = 300
	}
	if o.OCRDPI < o.ViewDPI {
		o.OCRDPI = o.ViewDPI
	}
	if o.ThumbWidth <= 0 {
		o.ThumbWidth = 200
	}
	if o.MaxPages <= 0 {
		o.MaxPages = 2000
	}
	if o.MaxPixels <= 0 {
		o.MaxPixels = 60e6
	}
	if len(o.Languages) == 0 {
		o.Languages = []string{"eng"}
	}
	return o
}
