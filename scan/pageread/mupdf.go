package pageread

// Folio's own small binding to MuPDF, for what go-fitz does not do: draw a
// page as a person sees it (its contents, annotations and form fields:
// fz_run_page, where go-fitz runs only fz_run_page_contents), read the text
// of all three, and list the annotations with their text.
//
// The library is the one go-fitz bundles and links (imported below for
// that). go-fitz ships only part of MuPDF's headers (none of the pdf_
// ones), so the preamble declares the few functions used here, as MuPDF
// 1.24 (fitz.FzVersion) defines them; the context is created with that
// version string, and MuPDF refuses it if the linked library differs.
// Every call that may throw runs inside fz_try, so a damaged file gives an
// error instead of ending the process.

/*
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

typedef struct fz_context fz_context;
typedef struct fz_document fz_document;
typedef struct fz_page fz_page;
typedef struct fz_stream fz_stream;
typedef struct fz_device fz_device;
typedef struct fz_pixmap fz_pixmap;
typedef struct fz_colorspace fz_colorspace;
typedef struct fz_separations fz_separations;
typedef struct folio_stext_page folio_stext_page;
typedef struct fz_buffer fz_buffer;
typedef struct fz_cookie fz_cookie;
typedef struct pdf_page pdf_page;
typedef struct pdf_annot pdf_annot;
typedef struct pdf_obj pdf_obj;
typedef struct { float a, b, c, d, e, f; } fz_matrix;
typedef struct { float x0, y0, x1, y1; } fz_rect;
typedef struct { int x0, y0, x1, y1; } fz_irect;
typedef struct { int flags; float scale; } fz_stext_options;

fz_context *fz_new_context_imp(const void *alloc, const void *locks, size_t max_store, const char *version);
void fz_drop_context(fz_context *ctx);
void fz_register_document_handlers(fz_context *ctx);
const char *fz_caught_message(fz_context *ctx);
sigjmp_buf *fz_push_try(fz_context *ctx);
int fz_do_try(fz_context *ctx);
int fz_do_catch(fz_context *ctx);

fz_stream *fz_open_memory(fz_context *ctx, const unsigned char *data, size_t len);
void fz_drop_stream(fz_context *ctx, fz_stream *stm);
fz_document *fz_open_document_with_stream(fz_context *ctx, const char *magic, fz_stream *stream);
void fz_drop_document(fz_context *ctx, fz_document *doc);
int fz_needs_password(fz_context *ctx, fz_document *doc);
int fz_count_pages(fz_context *ctx, fz_document *doc);
fz_page *fz_load_page(fz_context *ctx, fz_document *doc, int number);
void fz_drop_page(fz_context *ctx, fz_page *page);
fz_rect fz_bound_page(fz_context *ctx, fz_page *page);
void fz_run_page(fz_context *ctx, fz_page *page, fz_device *dev, fz_matrix transform, fz_cookie *cookie);
void fz_run_page_contents(fz_context *ctx, fz_page *page, fz_device *dev, fz_matrix transform, fz_cookie *cookie);

fz_matrix fz_scale(float sx, float sy);
fz_rect fz_transform_rect(fz_rect rect, fz_matrix m);
fz_irect fz_round_rect(fz_rect rect);
fz_colorspace *fz_device_rgb(fz_context *ctx);
fz_pixmap *fz_new_pixmap_with_bbox(fz_context *ctx, fz_colorspace *cs, fz_irect bbox, fz_separations *seps, int alpha);
void fz_drop_pixmap(fz_context *ctx, fz_pixmap *pix);
void fz_clear_pixmap_with_value(fz_context *ctx, fz_pixmap *pix, int value);
unsigned char *fz_pixmap_samples(fz_context *ctx, const fz_pixmap *pix);
int fz_pixmap_stride(fz_context *ctx, const fz_pixmap *pix);
fz_device *fz_new_draw_device(fz_context *ctx, fz_matrix transform, fz_pixmap *dest);
void fz_close_device(fz_context *ctx, fz_device *dev);
void fz_drop_device(fz_context *ctx, fz_device *dev);

folio_stext_page *fz_new_stext_page(fz_context *ctx, fz_rect mediabox);
void fz_drop_stext_page(fz_context *ctx, folio_stext_page *page);
fz_device *fz_new_stext_device(fz_context *ctx, folio_stext_page *page, const fz_stext_options *options);
fz_buffer *fz_new_buffer_from_stext_page(fz_context *ctx, folio_stext_page *text);
size_t fz_buffer_storage(fz_context *ctx, fz_buffer *buf, unsigned char **datap);
void fz_drop_buffer(fz_context *ctx, fz_buffer *buf);

pdf_page *pdf_page_from_fz_page(fz_context *ctx, fz_page *ptr);
pdf_annot *pdf_first_annot(fz_context *ctx, pdf_page *page);
pdf_annot *pdf_next_annot(fz_context *ctx, pdf_annot *annot);
pdf_annot *pdf_first_widget(fz_context *ctx, pdf_page *page);
pdf_annot *pdf_next_widget(fz_context *ctx, pdf_annot *previous);
int pdf_annot_type(fz_context *ctx, pdf_annot *annot);
const char *pdf_string_from_annot_type(fz_context *ctx, int type);
int pdf_annot_flags(fz_context *ctx, pdf_annot *annot);
fz_rect pdf_bound_annot(fz_context *ctx, pdf_annot *annot);
const char *pdf_annot_contents(fz_context *ctx, pdf_annot *annot);
pdf_obj *pdf_annot_obj(fz_context *ctx, pdf_annot *annot);
int pdf_widget_type(fz_context *ctx, pdf_annot *widget);
const char *pdf_field_value(fz_context *ctx, pdf_obj *field);

// folio_try runs MuPDF's fz_try / fz_catch around the statements that
// follow it, as MuPDF's own macros do: fz_push_try, sigsetjmp,
// fz_do_try, and fz_do_catch always called afterwards.
#define folio_try(ctx) if (!sigsetjmp(*fz_push_try(ctx), 0)) if (fz_do_try(ctx)) do
#define folio_catch(ctx) while (0); if (fz_do_catch(ctx))

enum { folio_errlen = 512 };

static void folio_error(fz_context *ctx, char *err) {
	const char *m = fz_caught_message(ctx);
	strncpy(err, m ? m : "unknown error", folio_errlen - 1);
	err[folio_errlen - 1] = 0;
}

static fz_context *folio_new_context(const char *version, size_t store) {
	fz_context *ctx = fz_new_context_imp(NULL, NULL, store, version);
	if (ctx == NULL) {
		return NULL;
	}
	int ok = 1;
	folio_try(ctx) {
		fz_register_document_handlers(ctx);
	}
	folio_catch(ctx) {
		ok = 0;
	}
	if (!ok) {
		fz_drop_context(ctx);
		return NULL;
	}
	return ctx;
}

static fz_document *folio_open(fz_context *ctx, const unsigned char *data, size_t n, const char *magic, int *locked, char *err) {
	fz_stream *volatile stm = NULL;
	fz_document *volatile doc = NULL;
	int ok = 1;
	folio_try(ctx) {
		stm = fz_open_memory(ctx, data, n);
		doc = fz_open_document_with_stream(ctx, magic, stm);
		*locked = fz_needs_password(ctx, doc);
	}
	folio_catch(ctx) {
		folio_error(ctx, err);
		ok = 0;
	}
	fz_drop_stream(ctx, stm);
	if (!ok) {
		fz_drop_document(ctx, doc);
		return NULL;
	}
	return doc;
}

static int folio_count_pages(fz_context *ctx, fz_document *doc, char *err) {
	volatile int n = -1;
	folio_try(ctx) {
		n = fz_count_pages(ctx, doc);
	}
	folio_catch(ctx) {
		folio_error(ctx, err);
		return -1;
	}
	return n;
}

// folio_load_page loads page i and its bounds. (An annotation or form
// field without an appearance stream gets one from MuPDF itself before it
// is drawn, as in a viewer: annot_test.go's page 6.)
static fz_page *folio_load_page(fz_context *ctx, fz_document *doc, int i, fz_rect *bounds, char *err) {
	fz_page *volatile page = NULL;
	folio_try(ctx) {
		page = fz_load_page(ctx, doc, i);
		*bounds = fz_bound_page(ctx, page);
	}
	folio_catch(ctx) {
		folio_error(ctx, err);
		fz_drop_page(ctx, page);
		return NULL;
	}
	return page;
}

// folio_render draws the whole page (contents, annotations, widgets) at
// zoom on opaque white, in RGB with alpha.
static fz_pixmap *folio_render(fz_context *ctx, fz_page *page, float zoom, fz_irect *bbox, char *err) {
	fz_pixmap *volatile pix = NULL;
	fz_device *volatile dev = NULL;
	int ok = 1;
	folio_try(ctx) {
		fz_matrix ctm = fz_scale(zoom, zoom);
		*bbox = fz_round_rect(fz_transform_rect(fz_bound_page(ctx, page), ctm));
		pix = fz_new_pixmap_with_bbox(ctx, fz_device_rgb(ctx), *bbox, NULL, 1);
		fz_clear_pixmap_with_value(ctx, pix, 0xff);
		dev = fz_new_draw_device(ctx, fz_scale(1, 1), pix);
		fz_run_page(ctx, page, dev, ctm, NULL);
		fz_close_device(ctx, dev);
	}
	folio_catch(ctx) {
		folio_error(ctx, err);
		ok = 0;
	}
	fz_drop_device(ctx, dev);
	if (!ok) {
		fz_drop_pixmap(ctx, pix);
		return NULL;
	}
	return pix;
}

// folio_text extracts the text of the page as plain text in a buffer: of
// the whole page, annotations' and form fields' appearances included, when
// all is set, else of its contents only.
static fz_buffer *folio_text(fz_context *ctx, fz_page *page, int all, char *err) {
	folio_stext_page *volatile text = NULL;
	fz_device *volatile dev = NULL;
	fz_buffer *volatile buf = NULL;
	int ok = 1;
	folio_try(ctx) {
		fz_stext_options opts = {0, 1};
		text = fz_new_stext_page(ctx, fz_bound_page(ctx, page));
		dev = fz_new_stext_device(ctx, text, &opts);
		if (all) {
			fz_run_page(ctx, page, dev, fz_scale(1, 1), NULL);
		} else {
			fz_run_page_contents(ctx, page, dev, fz_scale(1, 1), NULL);
		}
		fz_close_device(ctx, dev);
		buf = fz_new_buffer_from_stext_page(ctx, text);
	}
	folio_catch(ctx) {
		folio_error(ctx, err);
		ok = 0;
	}
	fz_drop_device(ctx, dev);
	fz_drop_stext_page(ctx, text);
	if (!ok) {
		fz_drop_buffer(ctx, buf);
		return NULL;
	}
	return buf;
}

// The leading fields of MuPDF 1.24's fz_stext_page, fz_stext_block and
// fz_image (structured-text.h, image.h), as far as folio_images reads them;
// the context's version check ties them to that library.
typedef struct folio_stext_block folio_stext_block;
typedef struct {
	void *pool;
	fz_rect mediabox;
	folio_stext_block *first_block, *last_block;
} folio_stext_head;
struct folio_stext_block {
	int type;
	fz_rect bbox;
	union {
		struct { void *first_line, *last_line; } t;
		struct { fz_matrix transform; void *image; } i;
	} u;
	folio_stext_block *prev, *next;
};
typedef struct {
	struct {
		struct { int refs; void *drop; void *droppable; } storable;
		short store_key_refs;
	} key_storable;
	int w, h;
} folio_image_head;

enum { folio_stext_preserve_images = 4, folio_stext_block_image = 1 };

// folio_images finds the images the page's contents draw, without decoding
// them: how many, and the largest on the page, its place in points (*box),
// its size in pixels (*w, *h) and whether it is drawn turned a quarter
// (*turned). It returns -1 on error.
static int folio_images(fz_context *ctx, fz_page *page, fz_rect *box, int *w, int *h, int *turned, char *err) {
	folio_stext_page *volatile text = NULL;
	fz_device *volatile dev = NULL;
	int n = 0;
	float largest = -1;
	folio_try(ctx) {
		fz_stext_options opts = {folio_stext_preserve_images, 1};
		text = fz_new_stext_page(ctx, fz_bound_page(ctx, page));
		dev = fz_new_stext_device(ctx, text, &opts);
		fz_run_page_contents(ctx, page, dev, fz_scale(1, 1), NULL);
		fz_close_device(ctx, dev);
		for (folio_stext_block *b = ((folio_stext_head *)text)->first_block; b; b = b->next) {
			if (b->type != folio_stext_block_image || b->u.i.image == NULL) {
				continue;
			}
			n++;
			float area = (b->bbox.x1 - b->bbox.x0) * (b->bbox.y1 - b->bbox.y0);
			if (area > largest) {
				folio_image_head *im = b->u.i.image;
				largest = area;
				*box = b->bbox;
				*w = im->w;
				*h = im->h;
				fz_matrix m = b->u.i.transform;
				*turned = (m.b < 0 ? -m.b : m.b) > (m.a < 0 ? -m.a : m.a);
			}
		}
	}
	folio_catch(ctx) {
		folio_error(ctx, err);
		n = -1;
	}
	fz_drop_device(ctx, dev);
	fz_drop_stext_page(ctx, text);
	return n;
}

// folio_annot is one annotation or form field of a page. text is borrowed
// from the page's objects: copy it before the page is dropped.
typedef struct {
	const char *kind;
	const char *text;
	int widget;
	int widget_type;
	int flags;
	fz_rect rect;
} folio_annot;

static void folio_fill(fz_context *ctx, pdf_annot *a, int widget, folio_annot *out) {
	out->widget = widget;
	out->kind = pdf_string_from_annot_type(ctx, pdf_annot_type(ctx, a));
	out->flags = pdf_annot_flags(ctx, a);
	out->rect = pdf_bound_annot(ctx, a);
	if (widget) {
		out->widget_type = pdf_widget_type(ctx, a);
		out->text = pdf_field_value(ctx, pdf_annot_obj(ctx, a));
	} else {
		out->widget_type = 0;
		out->text = pdf_annot_contents(ctx, a);
	}
}

// folio_annots fills out with up to max of the page's annotations, then
// its form fields, and returns how many the page has (-1 on error). A
// page that is not a PDF page has none.
static int folio_annots(fz_context *ctx, fz_page *page, folio_annot *out, int max, char *err) {
	volatile int n = 0;
	folio_try(ctx) {
		pdf_page *pp = pdf_page_from_fz_page(ctx, page);
		if (pp != NULL) {
			pdf_annot *a;
			for (a = pdf_first_annot(ctx, pp); a != NULL; a = pdf_next_annot(ctx, a)) {
				if (n < max) {
					folio_fill(ctx, a, 0, &out[n]);
				}
				n++;
			}
			for (a = pdf_first_widget(ctx, pp); a != NULL; a = pdf_next_widget(ctx, a)) {
				if (n < max) {
					folio_fill(ctx, a, 1, &out[n]);
				}
				n++;
			}
		}
	}
	folio_catch(ctx) {
		folio_error(ctx, err);
		return -1;
	}
	return n;
}
*/
import "C"

import (
	"errors"
	"image"
	"runtime"
	"unsafe"

	fitz "github.com/gen2brain/go-fitz" // links the MuPDF library declared above; FzVersion
)

// muStore bounds MuPDF's resource cache (fonts, images), as go-fitz does.
const muStore = 256 << 20

// errMuLocked is returned by openMu for a password-protected document.
var errMuLocked = errors.New("the document is password-protected")

// muError is an error MuPDF reported, with its message.
type muError struct{ msg string }

func (e *muError) Error() string { return e.msg }

func muErr(buf []C.char) error { return &muError{msg: C.GoString(&buf[0])} }

func errBuf() []C.char { return make([]C.char, C.folio_errlen) }

// muDoc is an open document. Not safe for concurrent use.
type muDoc struct {
	ctx *C.fz_context
	doc *C.fz_document
	// pin keeps the file's bytes where they are while the document is
	// open: MuPDF reads them, uncopied, until it is closed.
	pin runtime.Pinner
}

// openMu opens data, whose format is "pdf", "tiff", "jpeg" or "png". data
// must not be modified until the document is closed.
func openMu(data []byte, format string) (*muDoc, error) {
	if len(data) == 0 {
		return nil, errors.New("no data")
	}
	version := C.CString(fitz.FzVersion)
	defer C.free(unsafe.Pointer(version))
	ctx := C.folio_new_context(version, muStore)
	if ctx == nil {
		return nil, errors.New("MuPDF could not start (out of memory, or a library of another version than " + fitz.FzVersion + ")")
	}
	magic := C.CString(map[string]string{"pdf": "application/pdf", "tiff": "image/tiff", "jpeg": "image/jpeg", "png": "image/png"}[format])
	defer C.free(unsafe.Pointer(magic))
	d := &muDoc{ctx: ctx}
	d.pin.Pin(&data[0])
	var locked C.int
	e := errBuf()
	d.doc = C.folio_open(ctx, (*C.uchar)(unsafe.Pointer(&data[0])), C.size_t(len(data)), magic, &locked, &e[0])
	if d.doc == nil {
		d.close()
		return nil, muErr(e)
	}
	if locked != 0 {
		d.close()
		return nil, errMuLocked
	}
	return d, nil
}

// close releases the document, its data and its context.
func (d *muDoc) close() {
	if d.ctx == nil {
		return
	}
	if d.doc != nil {
		C.fz_drop_document(d.ctx, d.doc)
	}
	C.fz_drop_context(d.ctx)
	d.pin.Unpin()
	d.ctx, d.doc = nil, nil
}

// pageCount reports the number of pages.
func (d *muDoc) pageCount() (int, error) {
	e := errBuf()
	n := C.folio_count_pages(d.ctx, d.doc, &e[0])
	if n < 0 {
		return 0, muErr(e)
	}
	return int(n), nil
}

// muPage is a loaded page; close it before its document.
type muPage struct {
	d    *muDoc
	page *C.fz_page
	// w, h are the page's size in points.
	w, h float64
}

// loadPage loads page i (0-based).
func (d *muDoc) loadPage(i int) (*muPage, error) {
	var r C.fz_rect
	e := errBuf()
	p := C.folio_load_page(d.ctx, d.doc, C.int(i), &r, &e[0])
	if p == nil {
		return nil, muErr(e)
	}
	return &muPage{d: d, page: p, w: float64(r.x1 - r.x0), h: float64(r.y1 - r.y0)}, nil
}

func (p *muPage) close() {
	if p.page != nil {
		C.fz_drop_page(p.d.ctx, p.page)
		p.page = nil
	}
}

// render draws the page as a person sees it, with its annotations and form
// fields, at dpi, on white.
func (p *muPage) render(dpi float64) (*image.RGBA, error) {
	var bb C.fz_irect
	e := errBuf()
	pix := C.folio_render(p.d.ctx, p.page, C.float(dpi/72), &bb, &e[0])
	if pix == nil {
		return nil, muErr(e)
	}
	defer C.fz_drop_pixmap(p.d.ctx, pix)
	w, h := int(bb.x1-bb.x0), int(bb.y1-bb.y0)
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	if w <= 0 || h <= 0 {
		return m, nil
	}
	stride := int(C.fz_pixmap_stride(p.d.ctx, pix))
	src := unsafe.Slice((*byte)(unsafe.Pointer(C.fz_pixmap_samples(p.d.ctx, pix))), stride*h)
	for y := range h {
		copy(m.Pix[y*m.Stride:y*m.Stride+4*w], src[y*stride:])
	}
	return m, nil
}

// muImage is an image a page's contents draw.
type muImage struct {
	w, h   int     // its size in pixels
	turned bool    // drawn turned a quarter: its width runs down the page
	wp, hp float64 // the size it is drawn at on the page, in points
	x0, y0 float64 // its top left corner on the page, in points
}

// images reports how many images the page's contents draw and the largest
// of them on the page (zero when there is none).
func (p *muPage) images() (int, muImage, error) {
	var box C.fz_rect
	var w, h, turned C.int
	e := errBuf()
	n := C.folio_images(p.d.ctx, p.page, &box, &w, &h, &turned, &e[0])
	if n < 0 {
		return 0, muImage{}, muErr(e)
	}
	if n == 0 {
		return 0, muImage{}, nil
	}
	return int(n), muImage{
		w: int(w), h: int(h), turned: turned != 0,
		wp: float64(box.x1 - box.x0), hp: float64(box.y1 - box.y0),
		x0: float64(box.x0), y0: float64(box.y0),
	}, nil
}

// text returns the text of the page: of its contents and, when all is set,
// also of what its annotations and form fields show.
func (p *muPage) text(all bool) (string, error) {
	e := errBuf()
	a := C.int(0)
	if all {
		a = 1
	}
	buf := C.folio_text(p.d.ctx, p.page, a, &e[0])
	if buf == nil {
		return "", muErr(e)
	}
	defer C.fz_drop_buffer(p.d.ctx, buf)
	var data *C.uchar
	n := C.fz_buffer_storage(p.d.ctx, buf, &data)
	if n == 0 {
		return "", nil
	}
	return C.GoStringN((*C.char)(unsafe.Pointer(data)), C.int(n)), nil
}

// muAnnot is one annotation or form field of a page.
type muAnnot struct {
	// Kind is the annotation's PDF subtype: "FreeText", "Stamp", "Ink",
	// "Text" (a sticky note), "Widget" (a form field), "Link" …
	Kind string
	// Text is an annotation's Contents, or a text or choice field's value.
	Text string
	// Widget is a form field; FieldType is then its MuPDF widget type.
	Widget    bool
	FieldType int
	// Hidden is set when the annotation is not shown (flags Invisible,
	// Hidden or NoView).
	Hidden bool
	// Rect is where it is on the page, in points.
	Rect [4]float64
}

// MuPDF's widget types (pdf_widget_type) whose value is text.
const (
	muWidgetCheckbox = 2
	muWidgetCombo    = 3
	muWidgetList     = 4
	muWidgetRadio    = 5
	muWidgetText     = 7
)

// annotations lists the page's annotations, then its form fields.
func (p *muPage) annotations() ([]muAnnot, error) {
	limit := 64
	for {
		arr := (*C.folio_annot)(C.calloc(C.size_t(limit), C.sizeof_folio_annot))
		e := errBuf()
		n := int(C.folio_annots(p.d.ctx, p.page, arr, C.int(limit), &e[0]))
		if n < 0 {
			C.free(unsafe.Pointer(arr))
			return nil, muErr(e)
		}
		if n > limit {
			C.free(unsafe.Pointer(arr))
			limit = n
			continue
		}
		out := make([]muAnnot, n)
		for i, a := range unsafe.Slice(arr, n) {
			out[i] = muAnnot{
				Kind:      C.GoString(a.kind),
				Text:      C.GoString(a.text),
				Widget:    a.widget != 0,
				FieldType: int(a.widget_type),
				Hidden:    a.flags&(1|2|32) != 0,
				Rect:      [4]float64{float64(a.rect.x0), float64(a.rect.y0), float64(a.rect.x1), float64(a.rect.y1)},
			}
		}
		C.free(unsafe.Pointer(arr))
		return out, nil
	}
}
