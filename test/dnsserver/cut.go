package dnsserver

import (
	"encoding/binary"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// Cutter is a DNS-over-TCP proxy in front of a server that lets a fixed number of
// UPDATE messages through, then acts as a server that went away: the next UPDATE is not
// forwarded, and that connection and every later one are closed at once. Queries and
// zone transfers before the cut pass through. It stands in for a server killed in the
// middle of a run, at a point a test chooses exactly.
type Cutter struct {
	// Addr is "127.0.0.1:port", to give a client instead of the server's.
	Addr string

	ln       net.Listener
	upstream string

	mu      sync.Mutex
	left    int // UPDATE messages still let through
	cut     bool
	updates int // UPDATE messages forwarded
}

// Cut starts a Cutter in front of upstream ("host:port") that forwards updates UPDATE
// messages. It stops with the test.
func Cut(t testing.TB, upstream string, updates int) *Cutter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &Cutter{Addr: ln.Addr().String(), ln: ln, upstream: upstream, left: updates}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { c.serve(conn) })
		}
	})
	return c
}

// Forwarded is how many UPDATE messages reached the server.
func (c *Cutter) Forwarded() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.updates
}

// admit decides on one client message: forward it, or cut.
func (c *Cutter) admit(msg []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cut {
		return false
	}
	var m dns.Msg
	if m.Unpack(msg) != nil || m.Opcode != dns.OpcodeUpdate {
		return true
	}
	if c.left == 0 {
		c.cut = true
		return false
	}
	c.left--
	c.updates++
	return true
}

func (c *Cutter) serve(client net.Conn) {
	defer client.Close()
	server, err := net.Dial("tcp", c.upstream)
	if err != nil {
		return
	}
	defer server.Close()
	go func() {
		io.Copy(client, server)
		client.Close()
	}()
	for {
		var size [2]byte
		if _, err := io.ReadFull(client, size[:]); err != nil {
			return
		}
		msg := make([]byte, binary.BigEndian.Uint16(size[:]))
		if _, err := io.ReadFull(client, msg); err != nil {
			return
		}
		if !c.admit(msg) {
			return
		}
		if _, err := server.Write(append(size[:], msg...)); err != nil {
			return
		}
	}
}
