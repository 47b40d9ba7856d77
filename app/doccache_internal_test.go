package app

import (
	"reflect"
	"slices"
	"testing"
	"time"
)

// TestDocumentCloneCopiesEverySlice holds Document.clone to the fields
// of Document: every slice, map or pointer in a document (at any depth)
// must be one clone copies, or a cached document would share it with
// the copies handed out.
func TestDocumentCloneCopiesEverySlice(t *testing.T) {
	copied := []string{
		"Document.Pages", "Document.Pages[].Barcodes",
		"Document.ArchiveIDs", "Document.Problems",
		"Document.Removed", "Document.Removed[].Barcodes",
		"Document.Learned", "Document.Learned[].Texts",
	}
	var found []string
	var walk func(path string, typ reflect.Type)
	walk = func(path string, typ reflect.Type) {
		switch typ.Kind() {
		case reflect.Slice:
			found = append(found, path)
			walk(path+"[]", typ.Elem())
		case reflect.Map, reflect.Pointer, reflect.Interface, reflect.Chan, reflect.Func:
			found = append(found, path)
		case reflect.Struct:
			if typ == reflect.TypeFor[time.Time]() {
				return // a value (its location pointer is never written to)
			}
			for i := range typ.NumField() {
				walk(path+"."+typ.Field(i).Name, typ.Field(i).Type)
			}
		}
	}
	walk("Document", reflect.TypeFor[Document]())
	for _, f := range found {
		if !slices.Contains(copied, f) {
			t.Errorf("%s is shared by Document.clone's copies: copy it there and name it here", f)
		}
	}
	for _, c := range copied {
		if !slices.Contains(found, c) {
			t.Errorf("%s is no longer a field of Document: take it out of this list", c)
		}
	}

	d := Document{ID: "d1", Pages: []DocPage{{View: "v", Barcodes: []Barcode{{Value: "b"}}}},
		Removed: []DocPage{{View: "r", Barcodes: []Barcode{{Value: "rb"}}}}, ArchiveIDs: []string{"A1"},
		Problems: []string{"p"}, Learned: []Learning{{Type: "t", Texts: []string{"x"}}}}
	c := d.clone()
	c.Pages[0].View, c.Pages[0].Barcodes[0].Value = "changed", "changed"
	c.Removed[0].View, c.Removed[0].Barcodes[0].Value = "changed", "changed"
	c.ArchiveIDs[0], c.Problems[0], c.Learned[0].Type, c.Learned[0].Texts[0] = "changed", "changed", "changed", "changed"
	if d.Pages[0].View != "v" || d.Pages[0].Barcodes[0].Value != "b" || d.Removed[0].View != "r" || d.Removed[0].Barcodes[0].Value != "rb" ||
		d.ArchiveIDs[0] != "A1" || d.Problems[0] != "p" || d.Learned[0].Type != "t" || d.Learned[0].Texts[0] != "x" {
		t.Fatalf("a change to the copy reached the document: %+v", d)
	}
}

// TestDocCacheByVersion: a document is handed out from the cache only
// for the version it was decoded from, as a copy, and not after drop.
func TestDocCacheByVersion(t *testing.T) {
	var c docCache
	v1, v2 := Version{HLC: 1, Device: 7}, Version{HLC: 2, Device: 7}
	c.put("d1", Document{ID: "d1", Type: "lab-result", Pages: []DocPage{{View: "v"}}, Version: v1})
	if _, ok := c.get("d1", v2); ok {
		t.Fatal("a newer version was read from the cache")
	}
	d, ok := c.get("d1", v1)
	if !ok || d.Type != "lab-result" {
		t.Fatalf("the cached version: %+v, %v", d, ok)
	}
	d.Pages[0].View = "changed"
	if d, _ := c.get("d1", v1); d.Pages[0].View != "v" {
		t.Fatal("a change to a document handed out reached the cache")
	}
	c.drop()
	c.put("d2", Document{ID: "d2", Version: v1})
	if _, ok := c.get("d1", v1); ok {
		t.Fatal("the cache kept a document after drop")
	}
	if _, ok := c.get("d2", v1); ok {
		t.Fatal("the cache took a document after drop (the session is locked)")
	}
}
