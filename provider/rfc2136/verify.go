package rfc2136

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
)

// OperationVerify is a query VerifyServed sends, as passed to Config.Observer.
const OperationVerify = "verify"

// The backoff between two rounds of VerifyServed: a primary serves an accepted UPDATE
// at once, so the first round nearly always settles it; a secondary takes a NOTIFY and
// an IXFR, a second or so.
const (
	firstVerifyWait = 50 * time.Millisecond
	maxVerifyWait   = 2 * time.Second
)

var _ provider.PropagationVerifier = (*Provider)(nil)

// VerifyServed asks the primary the provider updates (the host that last accepted a
// connection) and, with Config.VerifyAllNS, every name server of the zone's NS RRset,
// for the name and type of each applied change's main record, and reports a change
// served once every server answers authoritatively with exactly the records and TTL
// written (a delete: NXDOMAIN, or no records of that type). Each round sends one query
// per change not yet served everywhere to each server that did not serve it yet,
// pipelined on one TCP connection per server, the servers asked at once; rounds repeat
// with a backoff of 50 ms doubling to 2 s until every change is served or ctx ends (see
// provider.PropagationVerifier). Queries to the primary are signed with the TSIG key and
// go over TLS when updates do; queries to other name servers are plain TCP.
//
// It fails when zone is not configured, when a change cannot be expressed as records
// (which Apply would have refused), or, with VerifyAllNS, when the primary does not
// answer the NS query.
func (p *Provider) VerifyServed(ctx context.Context, z provider.Zone, applied []provider.Change) ([]provider.Serving, error) {
	zone, err := p.zone(z)
	if err != nil {
		return nil, err
	}
	wants := make([]wantedRRset, len(applied))
	for i, c := range applied {
		if wants[i], err = wantedOf(c.Main(), p.s.defaultTTL); err != nil {
			return nil, fmt.Errorf("rfc2136: zone %s: verifying %s: %w", zone, c, err)
		}
	}
	servers, err := p.verifyServers(ctx, zone)
	if err != nil {
		return nil, fmt.Errorf("rfc2136: zone %s: verifying changes: %w", zone, err)
	}
	// seen[i][j] is what server j answered for change i: "" once it served it.
	seen := make([][]string, len(wants))
	for i := range seen {
		seen[i] = slices.Repeat([]string{"not asked yet"}, len(servers))
	}
	out := make([]provider.Serving, len(wants))
	for wait := firstVerifyWait; ; wait = min(2*wait, maxVerifyWait) {
		var wg sync.WaitGroup
		for j, srv := range servers {
			var todo []int
			for i := range wants {
				if seen[i][j] != "" {
					todo = append(todo, i)
				}
			}
			if len(todo) == 0 {
				continue
			}
			wg.Go(func() {
				answers := p.askServer(ctx, srv, wants, todo)
				for k, i := range todo {
					seen[i][j] = answers[k]
				}
			})
		}
		wg.Wait()
		now, done := time.Now(), true
		for i := range out {
			if out[i].Served {
				continue
			}
			if slices.IndexFunc(seen[i], func(s string) bool { return s != "" }) < 0 {
				out[i] = provider.Serving{Served: true, At: now, By: serverNames(servers)}
				continue
			}
			done = false
		}
		if done {
			return out, nil
		}
		select {
		case <-ctx.Done():
			for i := range out {
				if !out[i].Served {
					out[i].Pending = pendingText(servers, seen[i])
				}
			}
			return out, nil
		case <-time.After(wait):
		}
	}
}

// wantedRRset is what a server serving a change answers for its name and type.
type wantedRRset struct {
	name    string // fully qualified
	rrtype  uint16
	records []dns.RR // nil for a delete
}

// wantedOf is what serving rc looks like: its New records as Apply writes them, or, for
// a delete, none.
func wantedOf(rc provider.RecordChange, defaultTTL endpoint.TTL) (wantedRRset, error) {
	e := rc.Endpoint()
	rrtype, ok := dns.StringToType[e.RecordType]
	if !ok {
		return wantedRRset{}, fmt.Errorf("unknown record type %q", e.RecordType)
	}
	w := wantedRRset{name: dns.Fqdn(e.DNSName), rrtype: rrtype}
	if rc.Op == provider.OpDelete {
		return w, nil
	}
	records, err := endpointRecords(e, defaultTTL)
	if err != nil {
		return wantedRRset{}, err
	}
	w.records = records
	return w, nil
}

// servedBy compares a server's answer to a query for w's name and type with w. It
// returns "" when the answer is w, and otherwise what the answer holds instead.
func servedBy(answer *dns.Msg, w wantedRRset) string {
	switch {
	case answer.Rcode == dns.RcodeNameError && w.records == nil:
		return ""
	case answer.Rcode == dns.RcodeNameError:
		return "NXDOMAIN"
	case answer.Rcode != dns.RcodeSuccess:
		return answerError(answer).Error()
	case !answer.Authoritative:
		return "a non-authoritative answer: the server does not serve the zone"
	}
	var got []dns.RR
	for _, rr := range answer.Answer {
		if rr.Header().Rrtype == w.rrtype && strings.EqualFold(rr.Header().Name, w.name) {
			got = append(got, rr)
		}
	}
	if sameRecords(got, w.records) {
		return ""
	}
	if len(got) == 0 {
		return "no " + dns.TypeToString[w.rrtype] + " records"
	}
	parts := make([]string, len(got))
	for i, rr := range got {
		parts[i] = fmt.Sprintf("%s (TTL %d)", strings.TrimPrefix(rr.String(), rr.Header().String()), rr.Header().Ttl)
	}
	slices.Sort(parts)
	return "holds " + strings.Join(parts, ", ")
}

// sameRecords reports whether got and want hold the same data with the same TTLs, in any
// order.
func sameRecords(got, want []dns.RR) bool {
	if len(got) != len(want) {
		return false
	}
	for _, w := range want {
		if !slices.ContainsFunc(got, func(g dns.RR) bool { return g.Header().Ttl == w.Header().Ttl && sameData(g, w) }) {
			return false
		}
	}
	return true
}

// sameData reports whether a and b, of one name and type, hold the same data. miekg/dns
// compares names in data without case but TXT strings as their presentation text, which
// escapes a quote only once unpacked from the wire; the bytes on the wire decide then.
func sameData(a, b dns.RR) bool {
	return dns.IsDuplicate(a, b) || slices.Equal(rdataWire(a), rdataWire(b))
}

// rdataWire is rr packed with an empty name and no TTL: its data in wire form, or nil
// when it does not pack.
func rdataWire(rr dns.RR) []byte {
	rr = dns.Copy(rr)
	rr.Header().Name, rr.Header().Ttl = ".", 0
	buf := make([]byte, dns.Len(rr)+1)
	n, err := dns.PackRR(rr, buf, 0, nil, false)
	if err != nil {
		return nil
	}
	return buf[:n]
}

// verifyServer is one server VerifyServed asks.
type verifyServer struct {
	name    string // as reported: the address, or "NS name (address)"
	addr    string // host:port; empty when err is set
	primary bool   // signed, over the provider's transport
	err     error  // why it cannot be asked (a name server without an address)
}

// verifyServers lists the servers to ask: the primary, and with VerifyAllNS every other
// address of the zone's name servers.
func (p *Provider) verifyServers(ctx context.Context, zone string) ([]verifyServer, error) {
	primary := p.s.hosts[p.preferred.Load()]
	servers := []verifyServer{{name: primary, addr: primary, primary: true}}
	if !p.s.verifyAllNS {
		return servers, nil
	}
	nameServers, glue, err := p.nameServers(ctx, primary, zone)
	if err != nil {
		return nil, err
	}
	asked := map[string]bool{primary: true}
	for _, ns := range nameServers {
		addrs := glue[ns]
		if len(addrs) == 0 {
			addrs, err = p.resolveNameServer(ctx, ns)
			if err != nil {
				servers = append(servers, verifyServer{name: ns, err: err})
				continue
			}
		}
		for _, a := range addrs {
			if !asked[a] {
				asked[a] = true
				servers = append(servers, verifyServer{name: ns + " (" + a + ")", addr: a})
			}
		}
	}
	return servers, nil
}

// nameServers asks the primary for the zone's NS RRset; it returns the name servers'
// names, without the trailing dot, and the addresses (port 53) of those the answer
// carries glue for.
func (p *Provider) nameServers(ctx context.Context, primary, zone string) ([]string, map[string][]string, error) {
	m := new(dns.Msg).SetQuestion(dns.Fqdn(zone), dns.TypeNS)
	m.RecursionDesired = false
	answer, err := p.query(ctx, verifyServer{addr: primary, primary: true}, []*dns.Msg{m})
	provider.ObserveCall(p.s.observer, OperationVerify, err)
	if err != nil {
		return nil, nil, fmt.Errorf("NS query to %s: %w", primary, err)
	}
	if answer[0].Rcode != dns.RcodeSuccess {
		return nil, nil, fmt.Errorf("NS query to %s: %w", primary, answerError(answer[0]))
	}
	var names []string
	for _, rr := range answer[0].Answer {
		if ns, ok := rr.(*dns.NS); ok {
			names = append(names, strings.TrimSuffix(strings.ToLower(ns.Ns), "."))
		}
	}
	glue := map[string][]string{}
	for _, rr := range answer[0].Extra {
		name := strings.TrimSuffix(strings.ToLower(rr.Header().Name), ".")
		switch a := rr.(type) {
		case *dns.A:
			glue[name] = append(glue[name], net.JoinHostPort(a.A.String(), "53"))
		case *dns.AAAA:
			glue[name] = append(glue[name], net.JoinHostPort(a.AAAA.String(), "53"))
		}
	}
	slices.Sort(names)
	return slices.Compact(names), glue, nil
}

// resolveNameServer finds the addresses of name server host: Config.ResolveNameServer,
// or the system resolver and port 53.
func (p *Provider) resolveNameServer(ctx context.Context, host string) ([]string, error) {
	if p.s.resolveNS != nil {
		return p.s.resolveNS(ctx, host)
	}
	addrs, err := net.DefaultResolver.LookupHost(ctx, host)
	if err != nil {
		return nil, err
	}
	for i, a := range addrs {
		addrs[i] = net.JoinHostPort(a, "53")
	}
	return addrs, nil
}

// askServer asks srv about the changes todo indexes in wants, and returns what it
// answered for each, in order ("" for served).
func (p *Provider) askServer(ctx context.Context, srv verifyServer, wants []wantedRRset, todo []int) []string {
	out := make([]string, len(todo))
	if srv.err != nil {
		for k := range out {
			out[k] = "cannot be asked: " + srv.err.Error()
		}
		return out
	}
	queries := make([]*dns.Msg, len(todo))
	for k, i := range todo {
		queries[k] = new(dns.Msg).SetQuestion(wants[i].name, wants[i].rrtype)
		queries[k].RecursionDesired = false
	}
	answers, err := p.query(ctx, srv, queries)
	for k, i := range todo {
		switch {
		case k < len(answers) && answers[k] != nil:
			provider.ObserveCall(p.s.observer, OperationVerify, nil)
			out[k] = servedBy(answers[k], wants[i])
		default:
			provider.ObserveCall(p.s.observer, OperationVerify, err)
			out[k] = "no answer: " + err.Error()
		}
	}
	return out
}

// query sends queries to srv pipelined over one connection (RFC 7766 6.2.1.1): all of
// them in one write, then the answers, matched by id in whatever order they come. Queries
// to the primary are signed, and an answer of NOERROR from it must carry a valid
// signature. It returns the answers, nil where none came, with the error that stopped
// reading. The whole exchange is bounded by Config.Timeout and by ctx.
func (p *Provider) query(ctx context.Context, srv verifyServer, queries []*dns.Msg) ([]*dns.Msg, error) {
	var (
		conn net.Conn
		err  error
	)
	if srv.primary {
		conn, err = p.dialHost(ctx, srv.addr)
	} else {
		dialCtx, cancel := context.WithTimeout(ctx, p.s.timeout)
		conn, err = (&net.Dialer{}).DialContext(dialCtx, "tcp", srv.addr)
		cancel()
	}
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	conn.SetDeadline(time.Now().Add(p.s.timeout))
	signed := srv.primary && p.s.keyName != ""
	base := dns.Id()
	macs := make([]string, len(queries))
	var out []byte
	for i, m := range queries {
		m.Id = base + uint16(i)
		var wire []byte
		if signed {
			p.sign(m)
			wire, macs[i], err = dns.TsigGenerate(m, p.s.secret, "", false)
		} else {
			wire, err = m.Pack()
		}
		if err != nil {
			return nil, err
		}
		out = append(binary.BigEndian.AppendUint16(out, uint16(len(wire))), wire...)
	}
	if _, err := conn.Write(out); err != nil {
		return nil, errors.Join(err, ctx.Err())
	}
	answers := make([]*dns.Msg, len(queries))
	for range queries {
		answer, wire, err := readMessage(conn)
		if err != nil {
			return answers, errors.Join(err, ctx.Err())
		}
		k := int(answer.Id - base)
		if k >= len(queries) || answers[k] != nil {
			return answers, fmt.Errorf("an answer with id %d, which no query pending has", answer.Id)
		}
		if signed && answer.Rcode == dns.RcodeSuccess {
			if answer.IsTsig() == nil {
				return answers, errors.New("the server's answer is not signed with the TSIG key")
			}
			if err := dns.TsigVerify(wire, p.s.secret, macs[k], false); err != nil {
				return answers, fmt.Errorf("the server's answer: %w", err)
			}
		}
		answers[k] = answer
	}
	return answers, nil
}

// readMessage reads one length-prefixed DNS message from a TCP connection, and returns it
// with its wire form.
func readMessage(conn net.Conn) (*dns.Msg, []byte, error) {
	var length [2]byte
	if _, err := io.ReadFull(conn, length[:]); err != nil {
		return nil, nil, err
	}
	wire := make([]byte, binary.BigEndian.Uint16(length[:]))
	if _, err := io.ReadFull(conn, wire); err != nil {
		return nil, nil, err
	}
	m := new(dns.Msg)
	if err := m.Unpack(wire); err != nil {
		return nil, nil, err
	}
	return m, wire, nil
}

func serverNames(servers []verifyServer) []string {
	names := make([]string, len(servers))
	for i, s := range servers {
		names[i] = s.name
	}
	return names
}

// pendingText says which servers did not serve a change, and what they answered.
func pendingText(servers []verifyServer, seen []string) string {
	var parts []string
	for j, s := range seen {
		if s != "" {
			parts = append(parts, servers[j].name+": "+s)
		}
	}
	return strings.Join(parts, "; ")
}
