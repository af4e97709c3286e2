package dnsserver

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"time"

	"github.com/miekg/dns"
)

// requestTimeout bounds one request when ctx sets no earlier deadline. A 1,000-record UPDATE
// takes a fraction of a second on every server; a minute means the server is stuck.
const requestTimeout = time.Minute

// tsigFudge is the clock skew a signature tolerates, the RFC 8945 recommendation.
const tsigFudge = 300

// Serial returns the SOA serial of zone, asked over TCP. Every server here raises it by exactly
// one per successful UPDATE message, so tests can count messages with it.
func (s *Server) Serial(ctx context.Context, zone string) (uint32, error) {
	m := new(dns.Msg)
	m.SetQuestion(canonicalZone(zone), dns.TypeSOA)
	r, err := s.exchange(ctx, m, true)
	if err != nil {
		return 0, fmt.Errorf("dnsserver %s: SOA query for zone %s: %w", s.Kind, zone, err)
	}
	if r.Rcode != dns.RcodeSuccess {
		return 0, &RcodeError{Op: "SOA query", Zone: zone, Rcode: r.Rcode}
	}
	for _, rr := range r.Answer {
		if soa, ok := rr.(*dns.SOA); ok {
			return soa.Serial, nil
		}
	}
	return 0, fmt.Errorf("dnsserver %s: SOA query for zone %s: no SOA in the answer", s.Kind, zone)
}

// Update sends one TSIG-signed UPDATE that adds insert to zone (RFC 2136 section 2.5.1: adding a
// record that exists changes nothing). The server applies the message whole or not at all; an
// answer other than NOERROR is an *RcodeError.
func (s *Server) Update(ctx context.Context, zone string, insert []dns.RR) error {
	m := new(dns.Msg)
	m.SetUpdate(canonicalZone(zone))
	m.Insert(insert)
	return s.update(ctx, zone, m, true)
}

func (s *Server) update(ctx context.Context, zone string, m *dns.Msg, signed bool) error {
	m.Compress = true
	r, err := s.exchange(ctx, m, signed)
	if err != nil {
		return fmt.Errorf("dnsserver %s: UPDATE of zone %s: %w", s.Kind, zone, err)
	}
	if r.Rcode != dns.RcodeSuccess {
		return &RcodeError{Op: "UPDATE", Zone: zone, Rcode: r.Rcode}
	}
	return nil
}

// Exchange signs m with the server's key (adding a TSIG record to m), sends it over a new TCP
// connection and returns the answer, whose signature has been verified unless the answer is an
// error response. Any response code is returned as is, not as an error.
func (s *Server) Exchange(ctx context.Context, m *dns.Msg) (*dns.Msg, error) {
	return s.exchange(ctx, m, true)
}

func (s *Server) exchange(ctx context.Context, m *dns.Msg, signed bool) (*dns.Msg, error) {
	return s.exchangeOver(ctx, m, signed, nil)
}

// exchangeOver sends m over TLS to TLSAddr with tlsConfig, or over plain TCP to Addr when
// tlsConfig is nil. It uses a fresh connection per request: a miekg/dns Conn that has carried
// one signed request signs the next as a continuation, which servers reject as BADSIG.
func (s *Server) exchangeOver(ctx context.Context, m *dns.Msg, signed bool, tlsConfig *tls.Config) (*dns.Msg, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	conn, err := s.dial(ctx, tlsConfig)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	client := &dns.Client{Net: "tcp", Timeout: requestTimeout}
	if signed {
		m.SetTsig(KeyName, s.tsigAlgorithm, tsigFudge, time.Now().Unix())
		client.TsigSecret = s.tsigSecrets()
	}
	r, _, err := client.ExchangeWithConnContext(ctx, m, conn)
	if err != nil && r != nil && r.Rcode != dns.RcodeSuccess {
		// Knot and PowerDNS sign refusals badly or not at all. A refusal grants nothing, so
		// its response code is worth more to the caller than the signature error.
		return r, nil
	}
	return r, err
}

func (s *Server) tsigSecrets() map[string]string { return map[string]string{KeyName: s.Secret} }

// dial opens a TCP connection to Addr, or a TLS connection with tlsConfig to TLSAddr when
// tlsConfig is not nil, that ctx's end closes, so a request in flight returns at once.
func (s *Server) dial(ctx context.Context, tlsConfig *tls.Config) (*dns.Conn, error) {
	var nc net.Conn
	var err error
	if tlsConfig != nil {
		d := tls.Dialer{Config: tlsConfig}
		nc, err = d.DialContext(ctx, "tcp", s.TLSAddr)
	} else {
		var d net.Dialer
		nc, err = d.DialContext(ctx, "tcp", s.Addr)
	}
	if err != nil {
		return nil, err
	}
	context.AfterFunc(ctx, func() { nc.Close() })
	return &dns.Conn{Conn: nc}, nil
}

// Transfer returns the zone's records by a TSIG-signed AXFR, in the server's order, with the SOA
// once (first) rather than at both ends. A refusal is an *RcodeError.
func (s *Server) Transfer(ctx context.Context, zone string) ([]dns.RR, error) {
	return s.transferOver(ctx, zone, nil)
}

// transferOver is Transfer over TLS to TLSAddr with tlsConfig, or over plain TCP to Addr when
// tlsConfig is nil.
func (s *Server) transferOver(ctx context.Context, zone string, tlsConfig *tls.Config) ([]dns.RR, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	conn, err := s.dial(ctx, tlsConfig)
	if err != nil {
		return nil, fmt.Errorf("dnsserver %s: AXFR of zone %s: %w", s.Kind, zone, err)
	}
	m := new(dns.Msg)
	m.SetAxfr(canonicalZone(zone))
	m.SetTsig(KeyName, s.tsigAlgorithm, tsigFudge, time.Now().Unix())
	header := &headerRecorder{Conn: conn.Conn}
	conn.Conn = header
	t := &dns.Transfer{Conn: conn, TsigSecret: s.tsigSecrets(), ReadTimeout: requestTimeout}
	envelopes, err := t.In(m, s.Addr)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("dnsserver %s: AXFR of zone %s: %w", s.Kind, zone, err)
	}
	var records []dns.RR
	for env := range envelopes {
		if env.Error != nil {
			if rcode, ok := header.rcode(); ok && rcode != dns.RcodeSuccess {
				return nil, &RcodeError{Op: "AXFR", Zone: zone, Rcode: rcode}
			}
			return nil, fmt.Errorf("dnsserver %s: AXFR of zone %s: %w", s.Kind, zone, env.Error)
		}
		records = append(records, env.RR...)
	}
	if len(records) > 1 && records[len(records)-1].Header().Rrtype == dns.TypeSOA {
		records = records[:len(records)-1]
	}
	return records, nil
}

// headerRecorder keeps the first bytes a server sends over TCP: a refused AXFR's response code is
// in them. miekg/dns's Transfer hides that code when the refusal is unsigned or badly signed (as
// PowerDNS's and Knot's are), and shows it only as text otherwise.
type headerRecorder struct {
	net.Conn
	head []byte
}

// tcpHeaderLen is the TCP length prefix plus the DNS message header.
const tcpHeaderLen = 2 + 12

func (c *headerRecorder) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if missing := tcpHeaderLen - len(c.head); missing > 0 {
		c.head = append(c.head, p[:min(n, missing)]...)
	}
	return n, err
}

// rcode returns the first response's (non-extended) response code, once its header has arrived.
func (c *headerRecorder) rcode() (int, bool) {
	if len(c.head) < tcpHeaderLen {
		return 0, false
	}
	return int(c.head[2+3] & 0x0f), true
}
