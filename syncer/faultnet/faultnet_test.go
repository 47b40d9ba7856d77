package faultnet_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"testing"

	"folio/syncer/faultnet"
)

// sink accepts connections and hands back everything each one sent once
// it ends.
func sink(t *testing.T) (addr string, got <-chan []byte) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	ch := make(chan []byte, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				b, _ := io.ReadAll(c)
				c.Close()
				ch <- b
			}()
		}
	}()
	return ln.Addr().String(), ch
}

func TestCutAfterExactBytes(t *testing.T) {
	addr, got := sink(t)
	p, err := faultnet.Listen(addr, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.CutAfter(faultnet.Upstream, 1000, 1000)
	c, err := p.Dial(context.Background(), "tcp", "ignored:1")
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("0123456789"), 1000)
	c.Write(data) // may fail once the proxy cut
	b := <-got
	c.Close()
	if !bytes.Equal(b, data[:1000]) {
		t.Fatalf("the server received %d bytes, want the first 1000", len(b))
	}
	if p.Forwarded(faultnet.Upstream) != 1000 || p.Cuts() != 1 || p.Conns() != 1 {
		t.Fatalf("forwarded %d, cuts %d, conns %d; want 1000, 1, 1", p.Forwarded(faultnet.Upstream), p.Cuts(), p.Conns())
	}
}

func TestRandomCutsRepeatForASeed(t *testing.T) {
	addr, got := sink(t)
	cuts := func(seed uint64) []int {
		p, err := faultnet.Listen(addr, seed)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		p.CutAfter(faultnet.Upstream, 10, 5000)
		var out []int
		for range 5 {
			c, err := p.Dial(context.Background(), "tcp", "")
			if err != nil {
				t.Fatal(err)
			}
			c.Write(make([]byte, 6000))
			n := len(<-got)
			c.Close()
			if n < 10 || n > 5000 {
				t.Fatalf("cut after %d bytes, want 10..5000", n)
			}
			out = append(out, n)
		}
		return out
	}
	a, b := cuts(7), cuts(7)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("seed 7 cut at %v, then at %v", a, b)
		}
	}
}

func TestDownRefusesAndResumes(t *testing.T) {
	addr, got := sink(t)
	p, err := faultnet.Listen(addr, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.SetDown(true)
	c, err := p.Dial(context.Background(), "tcp", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("read through a link that is down succeeded")
	}
	c.Close()
	p.SetDown(false)
	c, err = p.Dial(context.Background(), "tcp", "")
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("hello"))
	c.(*net.TCPConn).CloseWrite()
	if b := <-got; string(b) != "hello" {
		t.Fatalf("after the link came back the server received %q", b)
	}
	c.Close()
	if p.Conns() != 1 {
		t.Fatalf("%d connections forwarded, want 1 (the refused one not counted)", p.Conns())
	}
}
