package storetest

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"folio/archive/api"
)

func testBindings(t *testing.T, open Opener) {
	s, reopen := openClosed(t, open)
	ctx := context.Background()
	const a, b = api.DeviceID(0xa1), api.DeviceID(0xb1)
	ward := api.Cert{Serial: "1f", Name: "ward-pc"}
	if err := s.Bind(ctx, api.Binding{Cert: ward, Device: a, Bound: t0}); err != nil {
		t.Fatalf("first binding: %v", err)
	}
	if err := s.Bind(ctx, api.Binding{Cert: ward, Device: a, Bound: t0.Add(time.Hour)}); err != nil {
		t.Fatalf("the same binding again: %v", err)
	}
	if err := s.Bind(ctx, api.Binding{Cert: ward, Device: b, Bound: t0}); !errors.Is(err, api.ErrForbidden) {
		t.Fatalf("a bound certificate claiming another device: %v, want ErrForbidden", err)
	}
	if err := s.Bind(ctx, api.Binding{Cert: api.Cert{Serial: "2f", Name: "front-desk"}, Device: a, Bound: t0}); !errors.Is(err, api.ErrForbidden) {
		t.Fatalf("another workstation's certificate claiming a bound device: %v, want ErrForbidden", err)
	}
	if err := s.Bind(ctx, api.Binding{Cert: api.Cert{Serial: "3f", Name: "ward-pc"}, Device: a, Bound: t0}); err != nil {
		t.Fatalf("a renewed certificate of the same name: %v", err)
	}
	if err := s.Bind(ctx, api.Binding{Cert: api.Cert{Serial: "", Name: "x"}, Device: a}); !errors.Is(err, api.ErrInvalid) {
		t.Fatalf("binding without a serial: %v, want ErrInvalid", err)
	}
	d, err := s.Device(ctx, a)
	if err != nil || d.Name != "ward-pc" {
		t.Fatalf("device after binding: %+v, %v; want the name ward-pc", d, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = reopen(t)
	if err := s.Bind(ctx, api.Binding{Cert: ward, Device: b, Bound: t0}); !errors.Is(err, api.ErrForbidden) {
		t.Fatalf("after a restart, a bound certificate claiming another device: %v, want ErrForbidden", err)
	}
}

func testKeyRequests(t *testing.T, open Opener) {
	s, reopen := openClosed(t, open)
	ctx := context.Background()
	const joiner, admin = api.DeviceID(0x10), api.DeviceID(0x20)
	if _, err := s.KeyRequest(ctx, joiner); !errors.Is(err, api.ErrNotFound) {
		t.Fatalf("no request yet: %v, want ErrNotFound", err)
	}
	if _, err := s.GrantKey(ctx, joiner, []byte("wrapped"), admin, t0); !errors.Is(err, api.ErrNotFound) {
		t.Fatalf("grant without a request: %v, want ErrNotFound", err)
	}
	req := api.KeyRequest{Device: joiner, Name: "clinic-2", PublicKey: []byte("pub-1"), Requested: t0}
	got, err := s.PutKeyRequest(ctx, req)
	if err != nil || !got.Pending() || !bytes.Equal(got.PublicKey, req.PublicKey) {
		t.Fatalf("put request: %+v, %v", got, err)
	}
	req.PublicKey = []byte("pub-2") // the workstation started over with a new key pair
	if _, err := s.PutKeyRequest(ctx, req); err != nil {
		t.Fatalf("replace a pending request: %v", err)
	}
	list, err := s.KeyRequests(ctx)
	if err != nil || len(list) != 1 || string(list[0].PublicKey) != "pub-2" {
		t.Fatalf("requests: %+v, %v; want the one with pub-2", list, err)
	}
	granted, err := s.GrantKey(ctx, joiner, []byte("wrapped"), admin, t0.Add(time.Minute))
	if err != nil || granted.Pending() || granted.GrantedBy != admin || string(granted.Grant) != "wrapped" {
		t.Fatalf("grant: %+v, %v", granted, err)
	}
	if _, err := s.GrantKey(ctx, joiner, []byte("wrapped"), admin, t0); err != nil {
		t.Fatalf("the same grant again: %v", err)
	}
	if _, err := s.GrantKey(ctx, joiner, []byte("other"), admin, t0); !errors.Is(err, api.ErrConflict) {
		t.Fatalf("a second, different grant: %v, want ErrConflict", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = reopen(t)
	req.PublicKey = []byte("pub-3")
	if _, err := s.PutKeyRequest(ctx, req); !errors.Is(err, api.ErrConflict) {
		t.Fatalf("a new key after the grant: %v, want ErrConflict", err)
	}
	again, err := s.PutKeyRequest(ctx, api.KeyRequest{Device: joiner, Name: "clinic-2", PublicKey: []byte("pub-2"), Requested: t0})
	if err != nil || string(again.Grant) != "wrapped" {
		t.Fatalf("asking again with the granted key: %+v, %v; want the grant", again, err)
	}
	mine, err := s.KeyRequest(ctx, joiner)
	if err != nil || string(mine.Grant) != "wrapped" || !mine.Granted.Equal(t0.Add(time.Minute)) {
		t.Fatalf("request after restart: %+v, %v", mine, err)
	}
}
