// Package faultproxy is a DNS-over-TCP proxy that misbehaves on purpose, for soak tests
// of DNS clients such as zonekeeper's RFC2136 provider.
//
// Each client connection gets a connection of its own to the upstream server. Every
// length-prefixed DNS message a client sends is one request; the proxy draws a Fault for
// it from a seeded random source with the configured probabilities and acts on it.
// Answers from upstream are relayed message by message, so a multi-message answer (an
// AXFR) passes through whole. UDP is not proxied: the RFC2136 provider speaks TCP only.
package faultproxy

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// Fault is what the proxy does with one request.
type Fault string

// The faults, and Forward, the absence of one.
const (
	// Forward relays the request upstream and upstream's answers back.
	Forward Fault = "forward"
	// Drop closes the client's connection without forwarding the request.
	Drop Fault = "drop"
	// Stall holds the request, unforwarded and unanswered, for Config.StallFor (meant
	// to outlast the client's timeout), then closes the connection.
	Stall Fault = "stall"
	// ServFail answers the request itself with response code SERVFAIL, the request's
	// ID and question, unsigned, without forwarding it; the connection stays open.
	ServFail Fault = "servfail"
	// LoseAnswer forwards the request but closes the connection instead of relaying
	// upstream's first answer to it: the request took effect, the client cannot know.
	LoseAnswer Fault = "lose-answer"
)

// Probabilities are the chances, per request, of each fault. Each lies in [0, 1] and
// their sum is at most 1; the rest of the time the request is forwarded.
type Probabilities struct {
	Drop, Stall, ServFail, LoseAnswer float64
}

// Config configures Start.
type Config struct {
	// Upstream is the DNS server's "host:port".
	Upstream string
	// Seed seeds the random source the faults are drawn from. Requests of concurrent
	// connections draw in the order they arrive.
	Seed uint64
	// Faults are the fault probabilities while faults are on.
	Faults Probabilities
	// StallFor is how long a Stall holds its connection; required when Faults.Stall > 0.
	StallFor time.Duration
}

// dialTimeout bounds the connection to upstream, which runs on the same machine.
const dialTimeout = 5 * time.Second

// Proxy is a running proxy. Its methods are safe for concurrent use.
type Proxy struct {
	// Addr is the "127.0.0.1:port" clients connect to, over TCP.
	Addr string

	cfg      Config
	listener net.Listener
	faultsOn atomic.Bool
	done     chan struct{} // closed by Close

	mu     sync.Mutex
	rng    *rand.Rand
	counts map[Fault]int
	conns  map[net.Conn]struct{}
	closed bool

	wg sync.WaitGroup
}

// Start validates cfg and starts a proxy to cfg.Upstream on a free port of 127.0.0.1,
// with faults on.
func Start(cfg Config) (*Proxy, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultproxy: listen: %w", err)
	}
	p := &Proxy{
		Addr:     l.Addr().String(),
		cfg:      cfg,
		listener: l,
		done:     make(chan struct{}),
		rng:      rand.New(rand.NewPCG(cfg.Seed, cfg.Seed)),
		counts:   map[Fault]int{},
		conns:    map[net.Conn]struct{}{},
	}
	p.faultsOn.Store(true)
	p.wg.Go(p.accept)
	return p, nil
}

func (cfg Config) validate() error {
	if cfg.Upstream == "" {
		return errors.New("faultproxy: Config.Upstream is empty")
	}
	f := cfg.Faults
	sum := 0.0
	for _, pr := range []struct {
		name string
		p    float64
	}{{"Drop", f.Drop}, {"Stall", f.Stall}, {"ServFail", f.ServFail}, {"LoseAnswer", f.LoseAnswer}} {
		if !(pr.p >= 0 && pr.p <= 1) {
			return fmt.Errorf("faultproxy: probability Faults.%s = %v is outside [0, 1]", pr.name, pr.p)
		}
		sum += pr.p
	}
	if sum > 1 {
		return fmt.Errorf("faultproxy: fault probabilities add up to %v, more than 1", sum)
	}
	if f.Stall > 0 && cfg.StallFor <= 0 {
		return fmt.Errorf("faultproxy: Faults.Stall is %v but StallFor is %s; a stall needs a positive duration", f.Stall, cfg.StallFor)
	}
	return nil
}

// SetFaults switches faults on or off for every request from now on: while off, every
// request is forwarded. Requests already stalled stay stalled.
func (p *Proxy) SetFaults(on bool) { p.faultsOn.Store(on) }

// Counts returns how many requests met each Fault (Forward included) so far.
func (p *Proxy) Counts() map[Fault]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[Fault]int, len(p.counts))
	for f, n := range p.counts {
		out[f] = n
	}
	return out
}

// Close stops listening, closes every connection (ending stalls early) and waits until
// the proxy's goroutines have returned. Later calls do nothing.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	close(p.done)
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	err := p.listener.Close()
	p.wg.Wait()
	return err
}

func (p *Proxy) accept() {
	for {
		client, err := p.listener.Accept()
		if err != nil {
			return // closed by Close
		}
		if !p.track(client) {
			return
		}
		p.wg.Go(func() { p.serve(client) })
	}
}

// track registers c for Close to close; false when the proxy is closed already (c is
// then closed).
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, c)
	c.Close()
}

// draw picks the fate of one request and counts it.
func (p *Proxy) draw() Fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	fault := Forward
	if p.faultsOn.Load() {
		x := p.rng.Float64()
		f := p.cfg.Faults
		for _, c := range []struct {
			fault Fault
			p     float64
		}{{Drop, f.Drop}, {Stall, f.Stall}, {ServFail, f.ServFail}, {LoseAnswer, f.LoseAnswer}} {
			if x < c.p {
				fault = c.fault
				break
			}
			x -= c.p
		}
	}
	p.counts[fault]++
	return fault
}

// session is one client connection and its upstream connection.
type session struct {
	client, upstream net.Conn
	writeMu          sync.Mutex // serialises whole messages to client
	loseNext         atomic.Bool
}

func (p *Proxy) serve(client net.Conn) {
	defer p.untrack(client)
	upstream, err := net.DialTimeout("tcp", p.cfg.Upstream, dialTimeout)
	if err != nil {
		return // the client sees its connection close, as if upstream were down
	}
	if !p.track(upstream) {
		return
	}
	defer p.untrack(upstream)
	s := &session{client: client, upstream: upstream}
	relayed := make(chan struct{})
	go func() {
		defer close(relayed)
		s.relayAnswers()
	}()
	defer func() { <-relayed }()
	// Whatever ends the loop ends the answers' relay too, through the closed conns.
	defer client.Close()
	defer upstream.Close()
	for {
		req, err := readMessage(client)
		if err != nil {
			return
		}
		switch p.draw() {
		case Drop:
			return
		case Stall:
			select {
			case <-time.After(p.cfg.StallFor):
			case <-p.done:
			}
			return
		case ServFail:
			answer, err := servFail(req)
			if err != nil || s.writeClient(answer) != nil {
				return
			}
		case LoseAnswer:
			s.loseNext.Store(true)
			if writeMessage(upstream, req) != nil {
				return
			}
		case Forward:
			if writeMessage(upstream, req) != nil {
				return
			}
		}
	}
}

// relayAnswers copies upstream's messages to the client until either side closes, or
// until a LoseAnswer request's answer arrives: then it closes both.
func (s *session) relayAnswers() {
	defer s.client.Close()
	defer s.upstream.Close()
	for {
		msg, err := readMessage(s.upstream)
		if err != nil || s.loseNext.Load() || s.writeClient(msg) != nil {
			return
		}
	}
}

func (s *session) writeClient(msg []byte) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return writeMessage(s.client, msg)
}

// servFail returns the SERVFAIL answer to the packed request req.
func servFail(req []byte) ([]byte, error) {
	var m dns.Msg
	if err := m.Unpack(req); err != nil {
		return nil, err
	}
	m.Extra = nil // the request's TSIG and EDNS0 do not belong in the answer
	answer := new(dns.Msg).SetRcode(&m, dns.RcodeServerFailure)
	return answer.Pack()
}

// readMessage reads one DNS message with its two-byte length prefix (RFC 1035 4.2.2).
func readMessage(r io.Reader) ([]byte, error) {
	var prefix [2]byte
	if _, err := io.ReadFull(r, prefix[:]); err != nil {
		return nil, err
	}
	msg := make([]byte, binary.BigEndian.Uint16(prefix[:]))
	if _, err := io.ReadFull(r, msg); err != nil {
		return nil, err
	}
	return msg, nil
}

// writeMessage writes msg with its length prefix in one write.
func writeMessage(w io.Writer, msg []byte) error {
	buf := make([]byte, 2+len(msg))
	binary.BigEndian.PutUint16(buf, uint16(len(msg)))
	copy(buf[2:], msg)
	_, err := w.Write(buf)
	return err
}
