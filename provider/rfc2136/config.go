package rfc2136

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
)

const (
	// DefaultPort is the port of a host given without one.
	DefaultPort = 53
	// DefaultTTL is written for records without a TTL when Config.MinTTL is 0: upstream
	// writes TTL 0 then, which makes resolvers query the server for every lookup.
	DefaultTTL endpoint.TTL = 300
	// DefaultTimeout bounds one request (connect, send, answer) when Config.Timeout is 0.
	// PowerDNS takes seconds for an UPDATE deleting thousands of records.
	DefaultTimeout = 30 * time.Second
	// maxTCPMessage is the largest DNS message a TCP length prefix can frame (RFC 1035 4.2.2).
	maxTCPMessage = math.MaxUint16
	// tsigFudge is the clock skew, in seconds, the server may tolerate (RFC 8945 5.2.3).
	tsigFudge = 300
)

// TSIG is a transaction signature key (RFC 8945).
type TSIG struct {
	// KeyName is the key's name as the server knows it, e.g. "zonekeeper" (--rfc2136-tsig-keyname).
	KeyName string
	// Secret is the key in standard base64, as tsig-keygen and keymgr print it
	// (--rfc2136-tsig-secret, --rfc2136-tsig-secret-file, EXTERNAL_DNS_RFC2136_TSIG_SECRET).
	Secret string
	// Algorithm is one of hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384, hmac-sha512
	// (--rfc2136-tsig-secret-alg), case-insensitive, with or without a trailing dot;
	// empty means hmac-sha256.
	Algorithm string
}

// Config configures an RFC 2136 provider. The zero value of every field but Hosts,
// Zones and TSIG is a usable default.
type Config struct {
	// Hosts are the primary servers to send to, "host" or "host:port" (IPv6 literals as
	// "[::1]:53" or "::1"). With several, a request whose connection cannot be set up goes
	// to the next; the last one that answered is tried first the next time.
	Hosts []string
	// Port is used for hosts given without one; 0 means 53.
	Port int
	// Zones are the zones to manage (--rfc2136-zone), at least one.
	Zones []string
	// TSIG signs every request; required unless Insecure.
	TSIG TSIG
	// Insecure sends unsigned requests (--rfc2136-insecure); TSIG must then be empty.
	Insecure bool
	// AXFR allows listing zones by zone transfer (--rfc2136-axfr); without it Records
	// fails, since RFC 2136 offers no other way to list a zone.
	AXFR bool
	// MinTTL is the least TTL written (--rfc2136-min-ttl), as upstream's: records
	// without a TTL, or with a smaller one, get MinTTL (AdjustEndpoints raises them, so
	// that the planner compares what the server will hold). 0 leaves TTLs as asked and
	// writes 300 seconds for records without one.
	MinTTL endpoint.TTL
	// BatchChangeSize caps the number of Changes in one UPDATE message
	// (--rfc2136-batch-change-size); 0 means no cap besides MaxMessageBytes.
	BatchChangeSize int
	// MaxMessageBytes caps the size of one UPDATE message before its TSIG record; 0 means
	// the most that still fits a TCP message once signed.
	MaxMessageBytes int
	// UseTLS sends every request over DNS over TLS (RFC 7858) (--rfc2136-use-tls).
	UseTLS bool
	// SkipTLSVerify accepts any server certificate (--rfc2136-skip-tls-verify).
	SkipTLSVerify bool
	// CAFile holds PEM certificates to verify the server with instead of the system's.
	CAFile string
	// CertFile and KeyFile hold a PEM client certificate and its key, both or neither.
	CertFile, KeyFile string
	// Timeout bounds each request; 0 means 30 seconds.
	Timeout time.Duration
	// Observer, if not nil, is told about every AXFR, SOA query and UPDATE sent.
	Observer provider.CallObserver
	// VerifyAllNS makes VerifyServed ask every name server in the zone's NS RRset, not
	// only the primary (--rfc2136-verify-all-ns): a secondary that missed a NOTIFY, or
	// an NS record naming a server that does not serve the zone, shows.
	VerifyAllNS bool
	// ResolveNameServer returns the addresses ("host:port") to query a name server of
	// the zone's NS RRset at, for VerifyAllNS, when the primary's answer carries no glue
	// for it. Nil means the system resolver and port 53.
	ResolveNameServer func(ctx context.Context, host string) ([]string, error)
}

// settings is a validated Config in the form the provider uses.
type settings struct {
	hosts           []string // host:port
	zones           []string // normalised, sorted, unique
	keyName         string   // fully qualified, lower case; empty when insecure
	secret          string
	algorithm       string // miekg/dns constant
	axfr            bool
	defaultTTL      endpoint.TTL
	minTTL          endpoint.TTL // 0: none
	batchChangeSize int
	maxMessageBytes int
	network         string // "tcp" or "tcp-tls"
	tls             *tls.Config
	timeout         time.Duration
	observer        provider.CallObserver
	verifyAllNS     bool
	resolveNS       func(ctx context.Context, host string) ([]string, error)
}

// validate checks cfg and turns it into settings. It reads the TLS files.
func validate(cfg Config) (settings, error) {
	s := settings{
		axfr:            cfg.AXFR,
		defaultTTL:      cmpOr(cfg.MinTTL, DefaultTTL),
		minTTL:          cfg.MinTTL,
		batchChangeSize: cfg.BatchChangeSize,
		timeout:         cmpOr(cfg.Timeout, DefaultTimeout),
		observer:        cfg.Observer,
		verifyAllNS:     cfg.VerifyAllNS,
		resolveNS:       cfg.ResolveNameServer,
		network:         "tcp",
	}
	port := cmpOr(cfg.Port, DefaultPort)
	if port < 1 || port > math.MaxUint16 {
		return settings{}, fmt.Errorf("rfc2136: port %d is outside 1..65535", cfg.Port)
	}
	if len(cfg.Hosts) == 0 {
		return settings{}, errors.New("rfc2136: no host given (--rfc2136-host)")
	}
	for _, h := range cfg.Hosts {
		addr, err := hostAddress(h, port)
		if err != nil {
			return settings{}, fmt.Errorf("rfc2136: host %q: %w", h, err)
		}
		s.hosts = append(s.hosts, addr)
	}
	if len(cfg.Zones) == 0 {
		return settings{}, errors.New("rfc2136: no zone given (--rfc2136-zone)")
	}
	for _, z := range cfg.Zones {
		name, err := endpoint.NormalizeName(z)
		if err == nil {
			err = endpoint.ValidateName(name)
		}
		if err != nil {
			return settings{}, fmt.Errorf("rfc2136: zone %q: %w", z, err)
		}
		s.zones = append(s.zones, name)
	}
	slices.Sort(s.zones)
	s.zones = slices.Compact(s.zones)
	if s.defaultTTL < 0 || s.defaultTTL > math.MaxInt32 {
		return settings{}, fmt.Errorf("rfc2136: min TTL %d is outside 1..%d", cfg.MinTTL, math.MaxInt32)
	}
	if s.batchChangeSize < 0 {
		return settings{}, fmt.Errorf("rfc2136: batch change size %d is negative", cfg.BatchChangeSize)
	}
	if s.timeout < 0 {
		return settings{}, fmt.Errorf("rfc2136: timeout %s is negative", cfg.Timeout)
	}
	var err error
	if s.keyName, s.secret, s.algorithm, err = parseTSIG(cfg.TSIG, cfg.Insecure); err != nil {
		return settings{}, fmt.Errorf("rfc2136: %w", err)
	}
	limit := maxTCPMessage - tsigReserve(s.keyName, s.algorithm)
	s.maxMessageBytes = cmpOr(cfg.MaxMessageBytes, limit)
	if s.maxMessageBytes < minMessageBytes || s.maxMessageBytes > limit {
		return settings{}, fmt.Errorf("rfc2136: max message bytes %d is outside %d..%d (a TCP message holds 65535 bytes, the TSIG record of this key takes %d)", cfg.MaxMessageBytes, minMessageBytes, limit, maxTCPMessage-limit)
	}
	if cfg.UseTLS {
		s.network = "tcp-tls"
		if s.tls, err = tlsConfig(cfg); err != nil {
			return settings{}, fmt.Errorf("rfc2136: %w", err)
		}
	} else if cfg.SkipTLSVerify || cfg.CAFile != "" || cfg.CertFile != "" || cfg.KeyFile != "" {
		return settings{}, errors.New("rfc2136: TLS options are given but TLS is off (--rfc2136-use-tls)")
	}
	return s, nil
}

// minMessageBytes is the smallest MaxMessageBytes accepted: a 512-byte message, the
// classic DNS limit, holds any single ordinary change.
const minMessageBytes = 512

func cmpOr[T comparable](v, fallback T) T {
	var zero T
	if v == zero {
		return fallback
	}
	return v
}

// hostAddress turns "host" or "host:port" into "host:port", port defaulting to port.
func hostAddress(h string, port int) (string, error) {
	h = strings.TrimSpace(h)
	host, p, err := net.SplitHostPort(h)
	if err != nil {
		// No port: a name, an IPv4 address, or an IPv6 literal with or without brackets.
		host, p = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"), strconv.Itoa(port)
	}
	if host == "" {
		return "", errors.New("empty host name")
	}
	if n, err := strconv.Atoi(p); err != nil || n < 1 || n > math.MaxUint16 {
		return "", fmt.Errorf("port %q is not a number from 1 to 65535", p)
	}
	if strings.ContainsAny(host, " /[]") {
		return "", errors.New("not a host name or address")
	}
	return net.JoinHostPort(host, p), nil
}

// tsigAlgorithms maps the names --rfc2136-tsig-secret-alg accepts to miekg/dns's.
var tsigAlgorithms = map[string]string{
	"hmac-sha1":   dns.HmacSHA1,
	"hmac-sha224": dns.HmacSHA224,
	"hmac-sha256": dns.HmacSHA256,
	"hmac-sha384": dns.HmacSHA384,
	"hmac-sha512": dns.HmacSHA512,
}

// parseTSIG checks a TSIG key and returns its fully qualified name, its secret and its
// algorithm in miekg/dns's spelling; all empty when insecure.
func parseTSIG(k TSIG, insecure bool) (keyName, secret, algorithm string, err error) {
	if insecure {
		if k.KeyName != "" || k.Secret != "" {
			return "", "", "", errors.New("a TSIG key is given together with --rfc2136-insecure; drop one")
		}
		return "", "", "", nil
	}
	if k.KeyName == "" || k.Secret == "" {
		return "", "", "", errors.New("TSIG key name and secret are required (--rfc2136-tsig-keyname, --rfc2136-tsig-secret-file), or --rfc2136-insecure for unsigned updates")
	}
	name := strings.ToLower(strings.TrimSpace(k.KeyName))
	if _, ok := dns.IsDomainName(name); !ok || name == "." || strings.ContainsAny(name, " \t") {
		return "", "", "", fmt.Errorf("TSIG key name %q is not a domain name", k.KeyName)
	}
	secret = strings.TrimSpace(k.Secret)
	raw, err := base64.StdEncoding.DecodeString(secret)
	if err != nil || len(raw) == 0 {
		return "", "", "", fmt.Errorf("TSIG secret of key %q is not standard base64 (as tsig-keygen prints it)", k.KeyName)
	}
	alg := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(k.Algorithm)), ".")
	if alg == "" {
		alg = "hmac-sha256"
	}
	algorithm, ok := tsigAlgorithms[alg]
	if !ok {
		return "", "", "", fmt.Errorf("TSIG algorithm %q of key %q is not one of hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384, hmac-sha512", k.Algorithm, k.KeyName)
	}
	return dns.Fqdn(name), secret, algorithm, nil
}

// tsigReserve is the size of the TSIG record a message signed with the key gains,
// including room for the six bytes of other data a BADTIME answer carries.
func tsigReserve(keyName, algorithm string) int {
	if keyName == "" {
		return 0
	}
	const macLen = 64 // hmac-sha512, the longest
	t := &dns.TSIG{
		Hdr:        dns.RR_Header{Name: keyName, Rrtype: dns.TypeTSIG, Class: dns.ClassANY},
		Algorithm:  algorithm,
		MACSize:    macLen,
		MAC:        strings.Repeat("00", macLen),
		OtherLen:   6,
		OtherData:  strings.Repeat("00", 6),
		TimeSigned: 1,
	}
	return dns.Len(t)
}

// tlsConfig builds the TLS client configuration of cfg, reading its files. It offers ALPN
// "dot": RFC 9103 (section 7.1) requires it for zone transfers over TLS, and BIND9 answers
// an AXFR over a TLS connection without it with SERVFAIL.
func tlsConfig(cfg Config) (*tls.Config, error) {
	c := &tls.Config{InsecureSkipVerify: cfg.SkipTLSVerify, MinVersion: tls.VersionTLS12, NextProtos: []string{"dot"}}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("TLS CA file: %w", err)
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("TLS CA file %s holds no PEM certificate", cfg.CAFile)
		}
	}
	if (cfg.CertFile == "") != (cfg.KeyFile == "") {
		return nil, errors.New("TLS client certificate and key go together: give both files or neither")
	}
	if cfg.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("TLS client certificate: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}
