package faultproxy

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

const zone = "example.com."

// transferRecords is how many A records the upstream's AXFR carries, one per message, so
// that relaying a multi-message answer is exercised.
const transferRecords = 5

// upstream is a tiny DNS server on TCP: it answers A queries with 192.0.2.1 and AXFR of
// zone with SOA, transferRecords A records and SOA, each in a message of its own.
type upstream struct {
	addr     string
	requests atomic.Int64 // requests that reached it
}

func startUpstream(t *testing.T) *upstream {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := &upstream{addr: l.Addr().String()}
	srv := &dns.Server{Listener: l, Handler: dns.HandlerFunc(u.serve)}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() { srv.Shutdown() })
	return u
}

func (u *upstream) serve(w dns.ResponseWriter, req *dns.Msg) {
	u.requests.Add(1)
	q := req.Question[0]
	if q.Qtype == dns.TypeAXFR {
		soa := &dns.SOA{
			Hdr: dns.RR_Header{Name: zone, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 300},
			Ns:  "ns." + zone, Mbox: "admin." + zone, Serial: 1, Refresh: 60, Retry: 60, Expire: 60, Minttl: 60,
		}
		envelopes := make(chan *dns.Envelope)
		go func() {
			envelopes <- &dns.Envelope{RR: []dns.RR{soa}}
			for i := range transferRecords {
				envelopes <- &dns.Envelope{RR: []dns.RR{aRecord(fmt.Sprintf("h%d.%s", i, zone), byte(i))}}
			}
			envelopes <- &dns.Envelope{RR: []dns.RR{soa}}
			close(envelopes)
		}()
		new(dns.Transfer).Out(w, req, envelopes)
		return
	}
	answer := new(dns.Msg).SetReply(req)
	answer.Answer = []dns.RR{aRecord(q.Name, 1)}
	w.WriteMsg(answer)
}

// aRecord returns name's A record 192.0.2.last.
func aRecord(name string, last byte) dns.RR {
	return &dns.A{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 300}, A: net.IPv4(192, 0, 2, last)}
}

func startProxy(t *testing.T, cfg Config) *Proxy {
	t.Helper()
	p, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
	return p
}

// query asks addr for name's A records over a new TCP connection.
func query(addr, name string, timeout time.Duration) (*dns.Msg, error) {
	c := &dns.Client{Net: "tcp", Timeout: timeout}
	m, _, err := c.Exchange(new(dns.Msg).SetQuestion(name, dns.TypeA), addr)
	return m, err
}

func TestForwarding(t *testing.T) {
	up := startUpstream(t)
	p := startProxy(t, Config{Upstream: up.addr})

	// Several requests over one connection.
	conn, err := dns.Dial("tcp", p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for i := range 3 {
		name := fmt.Sprintf("q%d.%s", i, zone)
		m := new(dns.Msg).SetQuestion(name, dns.TypeA)
		if err := conn.WriteMsg(m); err != nil {
			t.Fatal(err)
		}
		answer, err := conn.ReadMsg()
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if answer.Id != m.Id || len(answer.Answer) != 1 || answer.Answer[0].Header().Name != name {
			t.Fatalf("request %d: answer %v", i, answer)
		}
	}

	// A multi-message AXFR answer arrives whole.
	tr := new(dns.Transfer)
	envelopes, err := tr.In(new(dns.Msg).SetAxfr(zone), p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	var records, messages int
	for env := range envelopes {
		if env.Error != nil {
			t.Fatal(env.Error)
		}
		messages++
		records += len(env.RR)
	}
	if want := transferRecords + 2; records != want || messages != want {
		t.Errorf("AXFR through the proxy: %d records in %d messages, want %d in %d", records, messages, want, want)
	}
	if got := p.Counts(); got[Forward] != 4 || len(got) != 1 {
		t.Errorf("Counts() = %v, want 4 forwarded and nothing else", got)
	}
}

// TestEachFault sets one fault's probability to 1 and checks what the client sees,
// whether upstream saw the request, and the count.
func TestEachFault(t *testing.T) {
	tests := []struct {
		fault        Fault
		faults       Probabilities
		wantRcode    int  // when the client gets an answer
		wantErr      bool // the client gets no answer
		wantUpstream int64
	}{
		{fault: Drop, faults: Probabilities{Drop: 1}, wantErr: true},
		{fault: Stall, faults: Probabilities{Stall: 1}, wantErr: true},
		{fault: ServFail, faults: Probabilities{ServFail: 1}, wantRcode: dns.RcodeServerFailure},
		{fault: LoseAnswer, faults: Probabilities{LoseAnswer: 1}, wantErr: true, wantUpstream: 1},
	}
	for _, tt := range tests {
		t.Run(string(tt.fault), func(t *testing.T) {
			up := startUpstream(t)
			// The stall outlasts the client's timeout by far; Close ends it. Only a
			// stall is meant to meet that timeout, so only a stall gets a short one.
			p := startProxy(t, Config{Upstream: up.addr, Faults: tt.faults, StallFor: time.Hour, Seed: 1})
			timeout := 30 * time.Second
			if tt.fault == Stall {
				timeout = 200 * time.Millisecond
			}
			answer, err := query(p.Addr, "x."+zone, timeout)
			switch {
			case tt.wantErr && err == nil:
				t.Errorf("client got answer %v, want none", answer)
			case !tt.wantErr && err != nil:
				t.Errorf("client: %v", err)
			case !tt.wantErr && answer.Rcode != tt.wantRcode:
				t.Errorf("rcode %s, want %s", dns.RcodeToString[answer.Rcode], dns.RcodeToString[tt.wantRcode])
			}
			if err := p.Close(); err != nil {
				t.Error(err)
			}
			if got := up.requests.Load(); got != tt.wantUpstream {
				t.Errorf("upstream saw %d requests, want %d", got, tt.wantUpstream)
			}
			if got := p.Counts(); got[tt.fault] != 1 || len(got) != 1 {
				t.Errorf("Counts() = %v, want one %s", got, tt.fault)
			}
		})
	}
}

// TestServFailKeepsConnection: after a SERVFAIL the client's next request on the same
// connection is drawn anew, and with faults off it is forwarded.
func TestServFailKeepsConnection(t *testing.T) {
	up := startUpstream(t)
	p := startProxy(t, Config{Upstream: up.addr, Faults: Probabilities{ServFail: 1}})
	conn, err := dns.Dial("tcp", p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ask := func() *dns.Msg {
		t.Helper()
		m := new(dns.Msg).SetQuestion("x."+zone, dns.TypeA)
		if err := conn.WriteMsg(m); err != nil {
			t.Fatal(err)
		}
		answer, err := conn.ReadMsg()
		if err != nil {
			t.Fatal(err)
		}
		if answer.Id != m.Id {
			t.Fatalf("answer id %d, want %d", answer.Id, m.Id)
		}
		return answer
	}
	if got := ask(); got.Rcode != dns.RcodeServerFailure || len(got.Question) != 1 {
		t.Errorf("first answer %v, want SERVFAIL with the question", got)
	}
	p.SetFaults(false)
	if got := ask(); got.Rcode != dns.RcodeSuccess || len(got.Answer) != 1 {
		t.Errorf("second answer %v, want upstream's", got)
	}
	if got := p.Counts(); got[ServFail] != 1 || got[Forward] != 1 {
		t.Errorf("Counts() = %v, want one servfail and one forward", got)
	}
}

// TestMixedFaults draws many requests with every fault possible: each kind happens,
// the counts add up, and the clients' outcomes agree with them.
func TestMixedFaults(t *testing.T) {
	const requests = 200
	up := startUpstream(t)
	p := startProxy(t, Config{
		Upstream: up.addr, Seed: 42, StallFor: time.Millisecond,
		Faults: Probabilities{Drop: 0.15, Stall: 0.15, ServFail: 0.15, LoseAnswer: 0.15},
	})
	var answered, servfails, failed int
	for i := range requests {
		answer, err := query(p.Addr, fmt.Sprintf("q%d.%s", i, zone), 5*time.Second)
		switch {
		case err != nil:
			failed++
		case answer.Rcode == dns.RcodeServerFailure:
			servfails++
		default:
			answered++
		}
	}
	got := p.Counts()
	total := 0
	for _, f := range []Fault{Forward, Drop, Stall, ServFail, LoseAnswer} {
		if got[f] == 0 {
			t.Errorf("no %s among %d requests: %v", f, requests, got)
		}
		total += got[f]
	}
	if total != requests {
		t.Errorf("counts add up to %d, want %d: %v", total, requests, got)
	}
	if answered != got[Forward] || servfails != got[ServFail] || failed != got[Drop]+got[Stall]+got[LoseAnswer] {
		t.Errorf("clients saw %d answers, %d SERVFAILs, %d failures; counts %v", answered, servfails, failed, got)
	}
	if want := int64(got[Forward] + got[LoseAnswer]); up.requests.Load() != want {
		t.Errorf("upstream saw %d requests, want %d (forwarded and lost answers)", up.requests.Load(), want)
	}
}

func TestUpstreamDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	p := startProxy(t, Config{Upstream: addr})
	var netErr net.Error
	if _, err := query(p.Addr, "x."+zone, 5*time.Second); err == nil || errors.As(err, &netErr) && netErr.Timeout() {
		t.Errorf("query with upstream down: %v, want the connection closed", err)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no upstream", Config{}, "Upstream is empty"},
		{"negative", Config{Upstream: "x:53", Faults: Probabilities{Drop: -0.1}}, "Faults.Drop = -0.1 is outside"},
		{"above one", Config{Upstream: "x:53", Faults: Probabilities{ServFail: 1.5}}, "Faults.ServFail = 1.5 is outside"},
		{"sum", Config{Upstream: "x:53", Faults: Probabilities{Drop: 0.6, LoseAnswer: 0.6}}, "add up to 1.2"},
		{"stall without duration", Config{Upstream: "x:53", Faults: Probabilities{Stall: 0.1}}, "StallFor is 0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Start(tt.cfg)
			if err == nil {
				p.Close()
				t.Fatalf("Start(%+v) succeeded, want an error containing %q", tt.cfg, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Start(%+v) = %q, want it to contain %q", tt.cfg, err, tt.want)
			}
		})
	}
}
