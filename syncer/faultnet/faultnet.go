// Package faultnet is a TCP proxy that breaks the link on purpose, for
// fault-injection tests, benchmarks and soak runs of the sync protocol.
//
// A Proxy listens on 127.0.0.1 and forwards every connection to a target
// address, byte for byte: it does not terminate TLS, so a mutual-TLS
// handshake goes through it unchanged (the client still names the real
// server, see Proxy.Dial). On demand it
//   - cuts every connection after a number of further bytes in one
//     direction, drawn per connection from a range with a seeded random
//     source (CutAfter), so a run is repeatable for a seed;
//   - refuses new connections and drops the live ones, like a link that is
//     down, until told otherwise (SetDown);
//   - drops every live connection at once (CloseAll);
//   - forwards to another target from the next connection on (SetTarget),
//     as when a server restarts on a new port;
//   - counts the bytes it forwarded in each direction and the cuts it made.
//
// Invariants: a byte is counted only once it was written to the other
// side; a cut connection forwards exactly its budget of bytes in the cut
// direction and is then closed on both sides. A Proxy has no global state
// and is safe for concurrent use.
package faultnet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
)

// Direction is one way of a connection.
type Direction int

// The two directions.
const (
	Upstream   Direction = iota // client → server
	Downstream                  // server → client
)

func (d Direction) String() string {
	if d == Upstream {
		return "client→server"
	}
	return "server→client"
}

// cutRule draws the budget of a connection in one direction: Lo..Hi bytes
// (inclusive); off when Hi is 0.
type cutRule struct{ lo, hi int64 }

// Proxy is a fault-injecting TCP proxy. Create one with Listen; Close it
// when done.
type Proxy struct {
	ln net.Listener

	mu     sync.Mutex // protects the following
	target string
	down   bool
	rules  [2]cutRule
	rng    *rand.Rand
	links  map[*link]struct{}
	closed bool

	forwarded [2]atomic.Int64
	cuts      atomic.Int64
	conns     atomic.Int64
	wg        sync.WaitGroup // the accept loop and the copy goroutines
}

// link is one proxied connection.
type link struct {
	client, server net.Conn

	mu     sync.Mutex // protects budget
	budget [2]int64   // bytes still to forward per direction; <0: unlimited

	once sync.Once
}

// Listen starts a proxy on 127.0.0.1 (a free port) forwarding to target
// (host:port). seed fixes the random cut points.
func Listen(target string, seed uint64) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fault proxy: listen: %w", err)
	}
	p := &Proxy{
		ln:     ln,
		target: target,
		rng:    rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		links:  map[*link]struct{}{},
	}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr returns the address the proxy listens on.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Dial connects to the proxy whatever addr it is given; it fits
// syncer.ClientOptions.Dial (and http.Transport.DialContext). The caller's
// TLS layer still names the real server, so certificates check out.
func (p *Proxy) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "tcp", p.Addr())
}

// SetTarget makes the proxy forward new connections to addr; live ones
// keep their server.
func (p *Proxy) SetTarget(addr string) {
	p.mu.Lock()
	p.target = addr
	p.mu.Unlock()
}

// CutAfter cuts every connection, the live ones and the new ones, once it
// has forwarded n more bytes in direction d, n drawn anew for each
// connection from lo..hi (inclusive). CutAfter(d, 0, 0) stops cutting in
// that direction.
func (p *Proxy) CutAfter(d Direction, lo, hi int64) {
	if lo < 0 || hi < lo {
		panic(fmt.Sprintf("faultnet: CutAfter(%v, %d, %d): want 0 <= lo <= hi", d, lo, hi))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules[d] = cutRule{lo, hi}
	for l := range p.links {
		b := p.drawLocked(d)
		l.mu.Lock()
		l.budget[d] = b
		l.mu.Unlock()
	}
}

// drawLocked returns a fresh budget for direction d (-1: unlimited).
func (p *Proxy) drawLocked(d Direction) int64 {
	r := p.rules[d]
	if r.hi == 0 {
		return -1
	}
	return r.lo + p.rng.Int64N(r.hi-r.lo+1)
}

// SetDown takes the link down (true): live connections are dropped and new
// ones closed as soon as they arrive, until SetDown(false).
func (p *Proxy) SetDown(down bool) {
	p.mu.Lock()
	p.down = down
	p.mu.Unlock()
	if down {
		p.CloseAll()
	}
}

// CloseAll drops every live connection now and returns how many there
// were.
func (p *Proxy) CloseAll() int {
	p.mu.Lock()
	ls := make([]*link, 0, len(p.links))
	for l := range p.links {
		ls = append(ls, l)
	}
	p.mu.Unlock()
	for _, l := range ls {
		p.drop(l)
	}
	return len(ls)
}

// Forwarded returns the bytes forwarded so far in direction d.
func (p *Proxy) Forwarded(d Direction) int64 { return p.forwarded[d].Load() }

// Cuts returns how many connections were cut at their byte budget.
func (p *Proxy) Cuts() int { return int(p.cuts.Load()) }

// Conns returns how many connections were forwarded (refused ones not
// counted).
func (p *Proxy) Conns() int { return int(p.conns.Load()) }

// Close stops the proxy, drops every connection and waits for its
// goroutines.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	err := p.ln.Close()
	p.CloseAll()
	p.wg.Wait()
	return err
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		p.mu.Lock()
		down, closed, target := p.down, p.closed, p.target
		p.mu.Unlock()
		if down || closed {
			c.Close()
			continue
		}
		p.wg.Add(1)
		go p.serve(c, target)
	}
}

// serve connects c to target and forwards both ways until either side
// ends or a fault cuts the link.
func (p *Proxy) serve(c net.Conn, target string) {
	defer p.wg.Done()
	s, err := net.Dial("tcp", target)
	if err != nil {
		c.Close() // the server is gone: the client sees the link drop
		return
	}
	l := &link{client: c, server: s}
	p.mu.Lock()
	if p.down || p.closed {
		p.mu.Unlock()
		c.Close()
		s.Close()
		return
	}
	l.budget = [2]int64{p.drawLocked(Upstream), p.drawLocked(Downstream)}
	p.links[l] = struct{}{}
	p.mu.Unlock()
	p.conns.Add(1)

	var both sync.WaitGroup
	both.Add(2)
	go func() { defer both.Done(); p.pipe(l, Upstream, s, c) }()
	go func() { defer both.Done(); p.pipe(l, Downstream, c, s) }()
	both.Wait()
	p.drop(l)
}

// pipe copies src to dst in direction d, within the link's budget.
func (p *Proxy) pipe(l *link, d Direction, dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, rerr := src.Read(buf)
		if n > 0 {
			l.mu.Lock()
			allow, cut := int64(n), false
			if b := l.budget[d]; b >= 0 && b < allow {
				allow, cut = b, true
			}
			if l.budget[d] >= 0 {
				l.budget[d] -= allow
			}
			l.mu.Unlock()
			if allow > 0 {
				w, werr := dst.Write(buf[:allow])
				p.forwarded[d].Add(int64(w))
				if werr != nil {
					p.drop(l)
					return
				}
			}
			if cut {
				p.cuts.Add(1)
				p.drop(l)
				return
			}
		}
		if rerr != nil {
			if errors.Is(rerr, io.EOF) {
				// Half-close: pass the end on, keep the other way open.
				if cw, ok := dst.(interface{ CloseWrite() error }); ok {
					cw.CloseWrite()
					return
				}
			}
			p.drop(l)
			return
		}
	}
}

// drop closes both sides of l and forgets it.
func (p *Proxy) drop(l *link) {
	l.once.Do(func() {
		l.client.Close()
		l.server.Close()
		p.mu.Lock()
		delete(p.links, l)
		p.mu.Unlock()
	})
}
