package rfc2136

import (
	"context"
	"crypto/x509"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/providertest"
	"github.com/zonekeeper/zonekeeper/test/dnsserver"
)

// TestTLSAgainstBIND9 speaks DNS over TLS (RFC 7858) to BIND9's tls listener: UPDATE
// messages and AXFR (XoT, RFC 9103), the server verified with the CA that signed its
// certificate, with verification skipped, and refused with another CA.
func TestTLSAgainstBIND9(t *testing.T) {
	srv := dnsserver.StartT(t, dnsserver.BIND9, dnsserver.Config{Zones: []string{"example.com"}, TLS: true})
	ctx := context.Background()
	zone := zoneOf("example.com")
	overTLS := func(modify func(*Config)) func(*Config) {
		return func(c *Config) {
			c.Hosts = []string{srv.TLSAddr}
			c.UseTLS = true
			modify(c)
		}
	}
	serial := func(t *testing.T) uint32 {
		t.Helper()
		s, err := srv.Serial(ctx, "example.com")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	t.Run("verified with CAFile", func(t *testing.T) {
		p := serverProvider(t, srv, overTLS(func(c *Config) { c.CAFile = srv.CAFile }))
		if got := recordsText(t, p, "example.com"); len(got) != 0 {
			t.Fatalf("fresh zone holds %q", got)
		}
		steps := []struct {
			name   string
			change provider.Change
			want   []string
		}{
			{"create", providertest.CreateOf(ep("app.example.com", "A", 0, "192.0.2.1"), ep("a-app.example.com", "TXT", 0, ownerTXT)),
				[]string{"a-app.example.com 300 TXT " + ownerTXT, "app.example.com 300 A 192.0.2.1"}},
			{"update", providertest.UpdateOf(ep("app.example.com", "A", 0, "192.0.2.1"), ep("app.example.com", "A", 60, "192.0.2.2", "192.0.2.3")),
				[]string{"a-app.example.com 300 TXT " + ownerTXT, "app.example.com 60 A 192.0.2.2,192.0.2.3"}},
			{"delete", providertest.DeleteOf(ep("app.example.com", "A", 60, "192.0.2.2", "192.0.2.3"), ep("a-app.example.com", "TXT", 0, ownerTXT)),
				nil},
		}
		for _, step := range steps {
			before := serial(t)
			if err := p.Apply(ctx, zone, []provider.Change{step.change}); err != nil {
				t.Fatalf("%s over TLS: %v", step.name, err)
			}
			if after := serial(t); after != before+1 {
				t.Errorf("%s: serial %d, want %d", step.name, after, before+1)
			}
			if ok, err := p.Unchanged(ctx, zone); err != nil || !ok {
				t.Errorf("%s: Unchanged over TLS = %v, %v; want true", step.name, ok, err)
			}
			if s, err := p.VerifyServed(ctx, zone, []provider.Change{step.change}); err != nil || !s[0].Served || s[0].By[0] != srv.TLSAddr {
				t.Errorf("%s: VerifyServed over TLS = %+v, %v; want served by %s", step.name, s, err, srv.TLSAddr)
			}
			if got := recordsText(t, p, "example.com"); !slices.Equal(got, step.want) {
				t.Errorf("%s: records read by AXFR over TLS:\n got %q\nwant %q", step.name, got, step.want)
			}
		}
	})

	t.Run("SkipTLSVerify without CA", func(t *testing.T) {
		p := serverProvider(t, srv, overTLS(func(c *Config) { c.SkipTLSVerify = true }))
		if err := p.Apply(ctx, zone, []provider.Change{providertest.CreateOf(ep("skip.example.com", "A", 0, "192.0.2.9"))}); err != nil {
			t.Fatal(err)
		}
		if got := recordsText(t, p, "example.com"); !slices.Equal(got, []string{"skip.example.com 300 A 192.0.2.9"}) {
			t.Errorf("records = %q", got)
		}
	})

	// The certificate is refused before anything is sent: zone-level errors naming the
	// problem, and the server's serial does not move.
	t.Run("unrelated CA is refused", func(t *testing.T) {
		otherCA := filepath.Join(t.TempDir(), "other-ca.pem")
		if err := dnsserver.WriteUnrelatedCA(otherCA); err != nil {
			t.Fatal(err)
		}
		p := serverProvider(t, srv, overTLS(func(c *Config) { c.CAFile = otherCA }))
		before := serial(t)
		err := p.Apply(ctx, zone, []provider.Change{providertest.CreateOf(ep("intruder.example.com", "A", 0, "192.0.2.66"))})
		assertCertificateRefused(t, "Apply", err)
		_, err = p.Records(ctx, zone)
		assertCertificateRefused(t, "Records", err)
		if after := serial(t); after != before {
			t.Errorf("serial moved from %d to %d although the certificate was refused", before, after)
		}
	})

	t.Run("plain TCP to the TLS port", func(t *testing.T) {
		p := serverProvider(t, srv, func(c *Config) { c.Hosts = []string{srv.TLSAddr} })
		before := serial(t)
		err := p.Apply(ctx, zone, []provider.Change{providertest.CreateOf(ep("plain.example.com", "A", 0, "192.0.2.67"))})
		if err == nil || provider.FailedChanges(err) != nil || !strings.Contains(err.Error(), "example.com") {
			t.Fatalf("Apply in plain TCP to a TLS listener = %v, want a zone error naming the zone", err)
		}
		t.Logf("Apply: %v", err)
		if _, err := p.Records(ctx, zone); err == nil {
			t.Error("Records in plain TCP to a TLS listener succeeded")
		}
		if after := serial(t); after != before {
			t.Errorf("serial moved from %d to %d", before, after)
		}
	})
}

// TestTLSClientCertificate: a BIND9 tls listener with ca-file demands a client certificate
// signed by that CA; CertFile and KeyFile present one.
func TestTLSClientCertificate(t *testing.T) {
	srv := dnsserver.StartT(t, dnsserver.BIND9, dnsserver.Config{Zones: []string{"example.com"}, TLS: true, TLSClientAuth: true})
	ctx := context.Background()
	zone := zoneOf("example.com")
	withCert := serverProvider(t, srv, func(c *Config) {
		c.Hosts = []string{srv.TLSAddr}
		c.UseTLS = true
		c.CAFile = srv.CAFile
		c.CertFile, c.KeyFile = srv.ClientCertFile, srv.ClientKeyFile
	})
	if err := withCert.Apply(ctx, zone, []provider.Change{providertest.CreateOf(ep("mtls.example.com", "A", 0, "192.0.2.10"))}); err != nil {
		t.Fatal(err)
	}
	if got := recordsText(t, withCert, "example.com"); !slices.Equal(got, []string{"mtls.example.com 300 A 192.0.2.10"}) {
		t.Errorf("records = %q", got)
	}

	without := serverProvider(t, srv, func(c *Config) {
		c.Hosts = []string{srv.TLSAddr}
		c.UseTLS = true
		c.CAFile = srv.CAFile
	})
	before, err := srv.Serial(ctx, "example.com")
	if err != nil {
		t.Fatal(err)
	}
	err = without.Apply(ctx, zone, []provider.Change{providertest.CreateOf(ep("anonymous.example.com", "A", 0, "192.0.2.11"))})
	if err == nil || provider.FailedChanges(err) != nil || !strings.Contains(err.Error(), "example.com") {
		t.Fatalf("Apply without a client certificate = %v, want a zone error", err)
	}
	t.Logf("Apply without a client certificate: %v", err)
	if _, err := without.Records(ctx, zone); err == nil {
		t.Error("Records without a client certificate succeeded")
	}
	if after, err := srv.Serial(ctx, "example.com"); err != nil || after != before {
		t.Errorf("serial %d, %v; want %d unchanged", after, err, before)
	}
}

// assertCertificateRefused checks that err fails the whole zone (no per-change failures)
// because the server's certificate is signed by an unknown authority, and says so.
func assertCertificateRefused(t *testing.T, op string, err error) {
	t.Helper()
	var unknownAuthority x509.UnknownAuthorityError
	switch {
	case err == nil:
		t.Errorf("%s succeeded with a CA that did not sign the server's certificate", op)
	case provider.FailedChanges(err) != nil:
		t.Errorf("%s: per-change failures %v, want a zone error", op, err)
	case !errors.As(err, &unknownAuthority):
		t.Errorf("%s: %v, want an x509.UnknownAuthorityError", op, err)
	case !strings.Contains(err.Error(), "example.com") || !strings.Contains(err.Error(), "certificate signed by unknown authority"):
		t.Errorf("%s: %q does not name the zone and the problem", op, err)
	default:
		t.Logf("%s refused as expected: %v", op, err)
	}
}
