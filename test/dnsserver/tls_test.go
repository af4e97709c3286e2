package dnsserver

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// verifyingConfig trusts only the CA certificates in caFile, expects serverName and offers
// ALPN "dot", as RFC 9103 requires of zone transfers over TLS.
func verifyingConfig(t *testing.T, caFile, serverName string) *tls.Config {
	t.Helper()
	data, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		t.Fatalf("%s holds no PEM certificate", caFile)
	}
	return &tls.Config{RootCAs: pool, ServerName: serverName, NextProtos: []string{"dot"}}
}

func TestBIND9TLS(t *testing.T) {
	s := StartT(t, BIND9, Config{Zones: []string{"example.com"}, TLS: true})
	ctx := t.Context()
	if s.TLSAddr == "" || s.TLSAddr == s.Addr || !strings.HasPrefix(s.TLSAddr, "127.0.0.1:") {
		t.Fatalf("TLSAddr = %q (Addr %q), want another port of 127.0.0.1", s.TLSAddr, s.Addr)
	}
	if filepath.Dir(s.CAFile) != s.Dir {
		t.Errorf("CAFile %q is not inside Dir %q", s.CAFile, s.Dir)
	}

	for _, serverName := range []string{"127.0.0.1", "localhost"} {
		t.Run("SOA query verified as "+serverName, func(t *testing.T) {
			m := new(dns.Msg)
			m.SetQuestion("example.com.", dns.TypeSOA)
			r, err := s.exchangeOver(ctx, m, true, verifyingConfig(t, s.CAFile, serverName))
			if err != nil {
				t.Fatal(err)
			}
			if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 || r.IsTsig() == nil {
				t.Fatalf("answer over TLS:\n%v", r)
			}
		})
	}

	t.Run("UPDATE and AXFR over TLS", func(t *testing.T) {
		tlsConfig := verifyingConfig(t, s.CAFile, "127.0.0.1")
		before, err := s.Serial(ctx, "example.com")
		if err != nil {
			t.Fatal(err)
		}
		m := new(dns.Msg)
		m.SetUpdate("example.com.")
		m.Insert([]dns.RR{mustRR(t, "tls.example.com. 300 IN A 192.0.2.53")})
		r, err := s.exchangeOver(ctx, m, true, tlsConfig)
		if err != nil {
			t.Fatal(err)
		}
		if r.Rcode != dns.RcodeSuccess {
			t.Fatalf("UPDATE over TLS answered %s; server log:\n%s", rcodeName(r.Rcode), s.LogTail(logTailLines))
		}
		if after, err := s.Serial(ctx, "example.com"); err != nil || after != before+1 {
			t.Errorf("serial %d, %v after an UPDATE over TLS; want %d", after, err, before+1)
		}
		records, err := s.transferOver(ctx, "example.com", tlsConfig)
		if err != nil {
			t.Fatalf("AXFR over TLS: %v; server log:\n%s", err, s.LogTail(logTailLines))
		}
		var got []string
		for _, rr := range records {
			got = append(got, rr.String())
		}
		if want := "tls.example.com.\t300\tIN\tA\t192.0.2.53"; !contains(got, want) {
			t.Errorf("AXFR over TLS lacks %q; got:\n%s", want, strings.Join(got, "\n"))
		}
	})

	// BIND 9.18 answers an AXFR over TLS without ALPN "dot" with SERVFAIL, logging
	// "query failed (no ALPN)" only at debug level 3; queries and UPDATEs do not need it.
	t.Run("AXFR without ALPN dot", func(t *testing.T) {
		noALPN := verifyingConfig(t, s.CAFile, "127.0.0.1")
		noALPN.NextProtos = nil
		_, err := s.transferOver(ctx, "example.com", noALPN)
		var rcodeErr *RcodeError
		if !errors.As(err, &rcodeErr) || rcodeErr.Rcode != dns.RcodeServerFailure {
			t.Fatalf("AXFR over TLS without ALPN: %v, want SERVFAIL", err)
		}
		m := new(dns.Msg)
		m.SetUpdate("example.com.")
		m.Insert([]dns.RR{mustRR(t, "no-alpn.example.com. 300 IN A 192.0.2.54")})
		if r, err := s.exchangeOver(ctx, m, true, noALPN); err != nil || r.Rcode != dns.RcodeSuccess {
			t.Fatalf("UPDATE over TLS without ALPN: %v, %v; want NOERROR", r, err)
		}
	})

	t.Run("unrelated CA is refused", func(t *testing.T) {
		other := filepath.Join(t.TempDir(), "other-ca.pem")
		if err := WriteUnrelatedCA(other); err != nil {
			t.Fatal(err)
		}
		m := new(dns.Msg)
		m.SetQuestion("example.com.", dns.TypeSOA)
		_, err := s.exchangeOver(ctx, m, true, verifyingConfig(t, other, "127.0.0.1"))
		var unknownAuthority x509.UnknownAuthorityError
		if !errors.As(err, &unknownAuthority) {
			t.Fatalf("handshake verified with an unrelated CA: %v, want x509.UnknownAuthorityError", err)
		}
		t.Logf("refused as expected: %v", err)
	})

	t.Run("other name is refused", func(t *testing.T) {
		m := new(dns.Msg)
		m.SetQuestion("example.com.", dns.TypeSOA)
		_, err := s.exchangeOver(ctx, m, true, verifyingConfig(t, s.CAFile, "ns1.example.com"))
		var hostErr x509.HostnameError
		if !errors.As(err, &hostErr) {
			t.Fatalf("handshake for a name the certificate lacks: %v, want x509.HostnameError", err)
		}
	})
}

func TestBIND9TLSClientAuth(t *testing.T) {
	s := StartT(t, BIND9, Config{Zones: []string{"example.com"}, TLS: true, TLSClientAuth: true})
	for _, tt := range []struct {
		name     string
		withCert bool
	}{{"with the client certificate", true}, {"without a client certificate", false}} {
		t.Run(tt.name, func(t *testing.T) {
			tlsConfig := verifyingConfig(t, s.CAFile, "127.0.0.1")
			if tt.withCert {
				cert, err := tls.LoadX509KeyPair(s.ClientCertFile, s.ClientKeyFile)
				if err != nil {
					t.Fatal(err)
				}
				tlsConfig.Certificates = []tls.Certificate{cert}
			}
			m := new(dns.Msg)
			m.SetQuestion("example.com.", dns.TypeSOA)
			r, err := s.exchangeOver(t.Context(), m, true, tlsConfig)
			switch {
			case tt.withCert && (err != nil || r.Rcode != dns.RcodeSuccess):
				t.Fatalf("SOA query = %v, %v; want NOERROR", r, err)
			case !tt.withCert && err == nil:
				t.Fatalf("SOA query without a client certificate answered:\n%v", r)
			case !tt.withCert:
				t.Logf("refused as expected: %v", err)
			}
		})
	}
}

func TestTLSConfigErrors(t *testing.T) {
	tests := []struct {
		name    string
		kind    Kind
		cfg     Config
		wantErr string
	}{
		{"knot", Knot, Config{Zones: []string{"example.com"}, TLS: true}, "dnsserver knot: Config.TLS is supported for bind9 only"},
		{"powerdns", PowerDNS, Config{Zones: []string{"example.com"}, TLS: true}, "dnsserver powerdns: Config.TLS is supported for bind9 only"},
		{"client auth without TLS", BIND9, Config{Zones: []string{"example.com"}, TLSClientAuth: true}, "Config.TLSClientAuth requires Config.TLS"},
		{"bind9", BIND9, Config{Zones: []string{"example.com"}, TLS: true, TLSClientAuth: true}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newLayout(tt.kind, tt.cfg)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
