// Package rfc2136 is a DNS provider for authoritative servers that accept dynamic
// updates (RFC 2136) and zone transfers (RFC 5936), signed with TSIG (RFC 8945): BIND9,
// Knot, PowerDNS and others.
//
// Records lists a zone by AXFR. Apply sends UPDATE messages over one TCP (or DNS over
// TLS) connection per call: each Change travels whole in one message, guarded by
// prerequisites that make the server refuse a create of an existing RRset, a create that
// would put a CNAME and other records at one name, and an update or delete of an RRset
// that does not hold exactly the expected records. Changes are
// packed into as few messages as fit; a refused message is bisected until the Changes it
// refused are isolated, and the rest are applied.
package rfc2136

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"iter"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/batch"
)

// Operation names passed to Config.Observer.
const (
	OperationAXFR   = "axfr"
	OperationSOA    = "soa"
	OperationUpdate = "update"
	// OperationQuery is a query for what stands in the way of a refused create.
	OperationQuery = "query"
)

// Provider manages zones on RFC 2136 servers. It is safe for concurrent use; it keeps
// no records, only which host answered last and, per zone, the SOA serial it expects.
type Provider struct {
	s settings
	// preferred is the index in s.hosts of the host that last accepted a connection.
	preferred atomic.Int32

	mu      sync.Mutex
	serials map[string]serialState // by zone name
}

// serialState is what the provider knows of a zone's SOA serial: the serial its last
// AXFR saw, and how many UPDATE messages it has had accepted since.
type serialState struct {
	transferred uint32
	updates     uint32
}

// AdjustEndpoints raises the TTL of every endpoint that asks for less than
// Config.MinTTL, or for none, to MinTTL, on a copy. Without MinTTL it returns desired as
// it is: an unset TTL is written as DefaultTTL, which the planner does not compare.
func (p *Provider) AdjustEndpoints(desired []*endpoint.Endpoint) ([]*endpoint.Endpoint, []endpoint.Problem) {
	if p.s.minTTL <= 0 {
		return desired, nil
	}
	out := make([]*endpoint.Endpoint, len(desired))
	for i, e := range desired {
		out[i] = e
		if e.RecordTTL < p.s.minTTL {
			out[i] = e.Clone()
			out[i].RecordTTL = p.s.minTTL
		}
	}
	return out, nil
}

var (
	_ provider.Provider       = (*Provider)(nil)
	_ provider.ChangeDetector = (*Provider)(nil)
)

// New checks cfg and returns a provider for it. It reads the TLS files, if any, but does
// not contact a server.
func New(cfg Config) (*Provider, error) {
	s, err := validate(cfg)
	if err != nil {
		return nil, err
	}
	return &Provider{s: s, serials: map[string]serialState{}}, nil
}

// Zones returns the configured zones, sorted, each once; a zone's ID is its name.
func (p *Provider) Zones(ctx context.Context) ([]provider.Zone, error) {
	out := make([]provider.Zone, len(p.s.zones))
	for i, z := range p.s.zones {
		out[i] = provider.Zone{ID: z, Name: z}
	}
	return out, nil
}

// zone returns the configured zone z names, by Name.
func (p *Provider) zone(z provider.Zone) (string, error) {
	if _, ok := slices.BinarySearch(p.s.zones, z.Name); !ok {
		return "", fmt.Errorf("rfc2136: zone %q is not configured (--rfc2136-zone)", z.Name)
	}
	return z.Name, nil
}

// Records transfers zone (by AXFR over TCP, signed) and returns its RRsets grouped into
// endpoints as the zonefile provider does: SOA and NS included, TXT strings joined,
// ordered by endpoint.Less. It remembers the SOA serial for Unchanged. Without
// Config.AXFR it fails.
func (p *Provider) Records(ctx context.Context, z provider.Zone) ([]*endpoint.Endpoint, error) {
	zone, err := p.zone(z)
	if err != nil {
		return nil, err
	}
	if !p.s.axfr {
		return nil, fmt.Errorf("rfc2136: zone %s: listing records needs zone transfers: allow AXFR for the TSIG key on the server and set --rfc2136-axfr", zone)
	}
	rrs, err := p.transfer(ctx, zone)
	provider.ObserveCall(p.s.observer, OperationAXFR, err)
	if err != nil {
		return nil, fmt.Errorf("rfc2136: zone %s: AXFR: %w", zone, err)
	}
	eps, serial, err := groupTransfer(zone, rrs)
	if err != nil {
		return nil, fmt.Errorf("rfc2136: zone %s: AXFR: %w", zone, err)
	}
	p.mu.Lock()
	p.serials[zone] = serialState{transferred: serial}
	p.mu.Unlock()
	return eps, nil
}

// transfer reads zone by AXFR on a connection of its own.
func (p *Provider) transfer(ctx context.Context, zone string) ([]dns.RR, error) {
	conn, addr, err := p.dial(ctx)
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	head := &headRecorder{Conn: conn}
	t := &dns.Transfer{
		Conn:         &dns.Conn{Conn: head},
		ReadTimeout:  p.s.timeout,
		WriteTimeout: p.s.timeout,
		TsigSecret:   p.tsigSecrets(),
	}
	m := new(dns.Msg).SetAxfr(dns.Fqdn(zone))
	p.sign(m)
	conn.SetWriteDeadline(time.Now().Add(p.s.timeout))
	envelopes, err := t.In(m, addr)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("server %s: %w", addr, err)
	}
	var rrs []dns.RR
	var transferErr error
	for env := range envelopes {
		if env.Error != nil && transferErr == nil {
			transferErr = env.Error
		}
		rrs = append(rrs, env.RR...)
	}
	if transferErr != nil {
		if rcode, ok := head.rcode(); ok && rcode != dns.RcodeSuccess {
			// Knot and PowerDNS sign a refused transfer badly or not at all, which
			// miekg/dns reports as a signature error, hiding the refusal.
			return nil, fmt.Errorf("server %s refused: %w", addr, &RcodeError{Rcode: rcode})
		}
		return nil, fmt.Errorf("server %s: %w", addr, errors.Join(transferErr, ctx.Err()))
	}
	return rrs, nil
}

// headRecorder keeps the first bytes read from a TCP connection: the length prefix and
// header of the first answer.
type headRecorder struct {
	net.Conn
	head []byte
}

// tcpHeadLen is a TCP length prefix and a DNS message header.
const tcpHeadLen = 2 + 12

func (c *headRecorder) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if missing := tcpHeadLen - len(c.head); missing > 0 {
		c.head = append(c.head, b[:min(n, missing)]...)
	}
	return n, err
}

// rcode returns the response code of the first answer, once its header was read.
func (c *headRecorder) rcode() (int, bool) {
	if len(c.head) < tcpHeadLen {
		return 0, false
	}
	return int(c.head[2+3] & 0x0f), true
}

// Apply sends changes to zone as UPDATE messages, one after another over one
// connection: each Change whole in one message, as many Changes per message as
// Config.BatchChangeSize and Config.MaxMessageBytes allow. Changes are converted and
// packed on one goroutine while another sends the messages already packed, so that the
// server applies one message while the next is cut. Apply reports what became of each
// Change as package batch says.
//
// A Change fails, and is reported in the *provider.ApplyError, when it cannot be
// expressed (a set identifier, the SOA, bad data, a name outside the zone, too big for
// one message) or when the server refuses it: creating an RRset that exists (YXRRSET),
// creating a CNAME at a name that holds other records (YXDOMAIN) or other records at a
// name that holds a CNAME (YXRRSET), updating or deleting one that does not hold exactly
// Old's records (NXRRSET), or any other refusal, with the server's answer. A create
// refused for what stands in its way fails with provider.ErrRRsetExists or
// ErrCNAMEConflict and names the records found there. A refused message is bisected until each
// refused Change is alone; the others are applied.
//
// When no host can be reached, or the connection fails mid-way, or the server refuses
// the key for the whole zone (NOTAUTH, NOTZONE), Apply stops: the changes sent before are
// applied, the message in flight is unknown, and the rest are not attempted.
func (p *Provider) Apply(ctx context.Context, z provider.Zone, changes []provider.Change) error {
	zone, err := p.zone(z)
	if err != nil {
		return err
	}
	s := &session{p: p}
	defer s.close()
	accepted, err := p.apply(ctx, zone, changes, s.exchange)
	p.mu.Lock()
	if st, ok := p.serials[zone]; ok {
		if provider.OutcomeOf(changes, err).Stopped != nil {
			// The message in flight may or may not have been applied.
			delete(p.serials, zone)
		} else {
			st.updates += uint32(accepted)
			p.serials[zone] = st
		}
	}
	p.mu.Unlock()
	return err
}

// apply is Apply with exchange sending each message, and returns how many messages the
// server accepted.
func (p *Provider) apply(ctx context.Context, zone string, changes []provider.Change, exchange exchangeFunc) (accepted int, err error) {
	err = batch.Apply(ctx, changes, batch.Config[update]{
		Zone:    zone,
		Prefix:  "rfc2136: zone " + zone,
		Convert: func(c provider.Change) (update, error) { return updateOf(zone, c, p.s.defaultTTL) },
		Pack: func(units iter.Seq[unit], emit func([]unit) bool) []unit {
			return packBatches(zone, units, p.s.maxMessageBytes, p.s.batchChangeSize, emit)
		},
		TooBig: func(unit) error {
			return fmt.Errorf("the change needs an UPDATE message of more than %d bytes", p.s.maxMessageBytes)
		},
		Send: func(ctx context.Context, units []unit) error {
			return sendUpdate(ctx, zone, units, exchange, &accepted)
		},
		Pipelined: true,
	})
	return accepted, err
}

// session is the connection of one Apply, opened with its first message so that an Apply
// with nothing to send opens none.
type session struct {
	p    *Provider
	conn net.Conn
	addr string
	stop func() bool // ends the deadline's tie to the Apply's ctx
}

// exchange sends m over the session's connection, dialling it first if need be, and
// tells the observer: an UPDATE as OperationUpdate, a query as OperationQuery (for which
// NXDOMAIN is an answer, not a failure).
func (s *session) exchange(ctx context.Context, m *dns.Msg) (*dns.Msg, error) {
	op := OperationUpdate
	if m.Opcode == dns.OpcodeQuery {
		op = OperationQuery
	}
	if s.conn == nil {
		conn, addr, err := s.p.dial(ctx)
		if err != nil {
			provider.ObserveCall(s.p.s.observer, op, err)
			return nil, batch.NotSent(err)
		}
		s.conn, s.addr = conn, addr
		s.stop = context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	}
	answer, err := s.p.exchange(ctx, s.conn, m)
	switch {
	case err != nil:
		err = fmt.Errorf("server %s: %w", s.addr, err)
		provider.ObserveCall(s.p.s.observer, op, err)
	case answer.Rcode != dns.RcodeSuccess && (op == OperationUpdate || answer.Rcode != dns.RcodeNameError):
		provider.ObserveCall(s.p.s.observer, op, answerError(answer))
	default:
		provider.ObserveCall(s.p.s.observer, op, nil)
	}
	return answer, err
}

func (s *session) close() {
	if s.conn != nil {
		s.stop()
		s.conn.Close()
	}
}

// Unchanged asks the server for the SOA serial of zone (a signed query over TCP) and
// reports true only when it equals the serial of the provider's last Records of zone
// plus the number of UPDATE messages its Apply calls have had accepted since. It
// assumes the server raises the serial by one per accepted UPDATE, as BIND9, Knot (with
// the default serial policy) and PowerDNS (SOA-EDIT-DNSUPDATE INCREASE) do; with other
// serial policies, or after an accepted UPDATE that changed nothing (the server then
// keeps the serial), it answers false, never a wrong true. Without an earlier Records,
// or after an Apply that ended in an unknown state, it answers false without asking.
func (p *Provider) Unchanged(ctx context.Context, z provider.Zone) (bool, error) {
	zone, err := p.zone(z)
	if err != nil {
		return false, err
	}
	p.mu.Lock()
	st, known := p.serials[zone]
	p.mu.Unlock()
	if !known {
		return false, nil
	}
	serial, err := p.serial(ctx, zone)
	provider.ObserveCall(p.s.observer, OperationSOA, err)
	if err != nil {
		return false, fmt.Errorf("rfc2136: zone %s: SOA query: %w", zone, err)
	}
	// Serial arithmetic wraps at 2^32 (RFC 1982), as uint32 addition does.
	return serial == st.transferred+st.updates, nil
}

// serial queries the SOA serial of zone.
func (p *Provider) serial(ctx context.Context, zone string) (uint32, error) {
	conn, addr, err := p.dial(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	m := new(dns.Msg).SetQuestion(dns.Fqdn(zone), dns.TypeSOA)
	answer, err := p.exchange(ctx, conn, m)
	if err != nil {
		return 0, fmt.Errorf("server %s: %w", addr, err)
	}
	if answer.Rcode != dns.RcodeSuccess {
		return 0, fmt.Errorf("server %s: %w", addr, answerError(answer))
	}
	for _, rr := range answer.Answer {
		if soa, ok := rr.(*dns.SOA); ok && endpoint.NormalizeNameLoose(soa.Hdr.Name) == zone {
			return soa.Serial, nil
		}
	}
	return 0, errors.New("the answer holds no SOA record for the zone")
}

// dial connects to the first host that accepts, starting with the one that accepted
// last, and returns the connection and its address.
func (p *Provider) dial(ctx context.Context) (net.Conn, string, error) {
	start := int(p.preferred.Load())
	var errs []error
	for i := range p.s.hosts {
		idx := (start + i) % len(p.s.hosts)
		addr := p.s.hosts[idx]
		conn, err := p.dialHost(ctx, addr)
		if err == nil {
			p.preferred.Store(int32(idx))
			return conn, addr, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, "", fmt.Errorf("no server reachable: %w", errors.Join(errs...))
}

func (p *Provider) dialHost(ctx context.Context, addr string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, p.s.timeout)
	defer cancel()
	if p.s.tls != nil {
		cfg := p.s.tls.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName, _, _ = net.SplitHostPort(addr)
		}
		d := tls.Dialer{Config: cfg}
		return d.DialContext(ctx, "tcp", addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", addr)
}

// exchange signs m and sends it over conn, reading the answer; a success must carry a
// valid signature, a refusal is returned whatever its signature. Each request gets a
// dns.Conn of its own: miekg/dns keeps the MAC of the last request in a dns.Conn and
// would sign a second request as a continuation of the first, which servers reject.
func (p *Provider) exchange(ctx context.Context, conn net.Conn, m *dns.Msg) (*dns.Msg, error) {
	p.sign(m)
	c := dns.Client{Net: p.s.network, Timeout: p.s.timeout, TsigSecret: p.tsigSecrets()}
	answer, _, err := c.ExchangeWithConnContext(ctx, m, &dns.Conn{Conn: conn})
	switch {
	case err != nil && answer != nil && answer.Rcode != dns.RcodeSuccess && answer.Id == m.Id:
		// Knot and PowerDNS sign some refusals badly or not at all. A refusal grants
		// nothing, so its response code is worth more than the signature error.
		return answer, nil
	case err != nil:
		return nil, errors.Join(err, ctx.Err())
	case p.s.keyName != "" && answer.Rcode == dns.RcodeSuccess && answer.IsTsig() == nil:
		return nil, errors.New("the server's answer is not signed with the TSIG key")
	}
	return answer, nil
}

// sign adds a TSIG record to m, unless the provider is insecure.
func (p *Provider) sign(m *dns.Msg) {
	if p.s.keyName != "" {
		m.SetTsig(p.s.keyName, p.s.algorithm, tsigFudge, time.Now().Unix())
	}
}

// tsigSecrets is the key table miekg/dns signs and verifies with; nil when insecure.
func (p *Provider) tsigSecrets() map[string]string {
	if p.s.keyName == "" {
		return nil
	}
	return map[string]string{p.s.keyName: p.s.secret}
}
