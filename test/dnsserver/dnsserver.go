// Package dnsserver runs real authoritative DNS servers (BIND9, Knot, PowerDNS) as throwaway
// processes on the loopback interface, so that tests can speak RFC 2136 UPDATE and AXFR to the
// software zonekeeper meets in production.
//
// Each server gets its own temporary folder, a free port on 127.0.0.1, a fresh random TSIG key and
// the zones of its Config. It never binds anything but 127.0.0.1 and never sends traffic anywhere
// else. The caller owns the process: Stop ends exactly the process Start began, and on Linux the
// process is also killed when the goroutine's thread that started it dies with the test binary.
package dnsserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// Kind names a DNS server implementation.
type Kind string

// The server implementations this package can run, by their Debian package name.
const (
	BIND9    Kind = "bind9"
	Knot     Kind = "knot"
	PowerDNS Kind = "powerdns"
)

// Kinds lists every Kind, in a stable order, for tests that run against all of them.
func Kinds() []Kind { return []Kind{BIND9, Knot, PowerDNS} }

// AptInstall is the command that installs every server this package runs on Debian 12.
const AptInstall = "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends " +
	"bind9 bind9-utils bind9-dnsutils knot knot-dnsutils pdns-server pdns-backend-sqlite3 sqlite3"

// DefaultAlgorithm is the TSIG algorithm used when Config.Algorithm is empty.
const DefaultAlgorithm = "hmac-sha256"

// Config describes the zones and keys of a server to start. The zero value is not usable: Zones
// must name at least one zone.
type Config struct {
	// Zones are the zone apexes the server is primary for, e.g. "example.com" (a trailing dot and
	// upper case are accepted). Each zone starts with SOA serial 1 and NS localhost., plus its
	// ExtraRecords: nothing but the apex SOA and NS, as the name server lies outside the zone.
	Zones []string
	// Algorithm is the TSIG algorithm in the spelling of --rfc2136-tsig-secret-alg: hmac-sha1,
	// hmac-sha224, hmac-sha256, hmac-sha384 or hmac-sha512. Empty means DefaultAlgorithm. All
	// three servers accept all five.
	Algorithm string
	// NoTransfer lists zones whose AXFR the server refuses to everyone, key or not, while signed
	// UPDATEs to them still succeed. Every entry must also be in Zones.
	NoTransfer []string
	// DenyUpdates lists names, each inside a zone of Zones, whose records the server refuses to
	// change: an UPDATE touching one is answered REFUSED (BIND's update-policy, a deny rule
	// before the grant), as a server whose policy keeps some names from the key does. BIND9
	// only: Start fails for other kinds.
	DenyUpdates []string
	// MaxRecordsPerType sets BIND's max-records-per-type: 0 keeps the server default (100 since
	// BIND 9.18.28), a negative value lifts the limit, a positive value is the limit. Other kinds
	// have no such limit and ignore it.
	MaxRecordsPerType int
	// ExtraRecords maps a zone of Zones to resource records in presentation format that its
	// initial zone file also holds. Relative owner names are relative to that zone; every owner
	// must be inside it; SOA records are refused because the harness writes the SOA itself.
	ExtraRecords map[string][]string
	// TLS adds a DNS over TLS (RFC 7858) listener on a second free port of 127.0.0.1, with a
	// server certificate for 127.0.0.1 and localhost signed by a CA generated for this start
	// (ECDSA P-256, valid from a day before Start to a day after). BIND9 only: Start fails for
	// other kinds.
	TLS bool
	// TLSClientAuth makes the TLS listener demand a client certificate signed by the same CA
	// (BIND's ca-file in the tls statement): a handshake without one fails. Requires TLS.
	TLSClientAuth bool
	// Primary, when set, makes the server a BIND9 secondary of Primary (a BIND9 server) for
	// every zone of Zones, each of which must be one of Primary's and transferable: it
	// transfers them with Primary's key at start (Start returns once it answers for them),
	// and again when Primary's SOA serial has grown, on a NOTIFY from 127.0.0.1 or at the
	// zone's SOA refresh. It shares Primary's key and algorithm, and refuses updates. Not
	// with TLS or ExtraRecords (the zone comes from Primary).
	Primary *Server
}

// Server is one running DNS server process. Its exported fields describe how to reach it and must
// not be changed. Its methods are safe for concurrent use; each request uses its own TCP
// connection.
type Server struct {
	Kind Kind
	// Addr is "127.0.0.1:port", listening on TCP and UDP.
	Addr string
	// Host and Port are Addr split, as --rfc2136-host and --rfc2136-port take them.
	Host string
	Port int
	// KeyName is the TSIG key name, a fully qualified name with its trailing dot.
	KeyName string
	// Secret is the TSIG secret in base64, freshly random for every Start.
	Secret string
	// Algorithm is the TSIG algorithm in the spelling of --rfc2136-tsig-secret-alg.
	Algorithm string
	// Zones are the zones of Config, lower case, without their trailing dot.
	Zones []string
	// TLSAddr is "127.0.0.1:port" of the DNS over TLS listener (TCP only); empty without
	// Config.TLS.
	TLSAddr string
	// CAFile is the PEM file, inside Dir, of the CA that signed the TLS listener's certificate;
	// empty without Config.TLS.
	CAFile string
	// ClientCertFile and ClientKeyFile are the PEM files, inside Dir, of a client certificate
	// signed by the CA of CAFile, and its private key (PKCS #8); empty without Config.TLS.
	// The server demands it only with Config.TLSClientAuth.
	ClientCertFile, ClientKeyFile string
	// Dir is the server's private folder (configuration, zone files, journals, its log); Stop
	// removes it.
	Dir string

	tsigAlgorithm string      // Algorithm as miekg/dns names it
	tlsClient     *tls.Config // trusts CAFile only; nil without Config.TLS
	proc          *process
	stopOnce      sync.Once
	stopErr       error
}

// KeyName is the TSIG key name every server is given.
const KeyName = "zonekeeper-test."

// readyTimeout bounds how long Start waits for a server to answer when ctx sets no earlier
// deadline: loading takes well under a second, but the machine may be busy.
const readyTimeout = 30 * time.Second

// logTailLines is how much of a server's log an error carries.
const logTailLines = 40

// Available reports whether the programs (and, for PowerDNS, the database schema) that Start needs
// for k are installed. The error names what is missing and the apt-get line that installs it.
func Available(k Kind) error {
	req, err := requirementsOf(k)
	if err != nil {
		return err
	}
	var missing []string
	for _, name := range req.binaries {
		if _, err := findBinary(name); err != nil {
			missing = append(missing, name)
		}
	}
	for _, path := range req.files {
		if _, err := os.Stat(path); err != nil {
			missing = append(missing, path)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("dnsserver %s: not installed (missing %s); install with: %s",
			k, strings.Join(missing, ", "), AptInstall)
	}
	return nil
}

// Start prepares a private folder for a server of kind k, starts the server on a free loopback
// port and returns once it answers a TSIG-signed SOA query for every zone of cfg (with
// Config.TLS, on both listeners, the TLS one verified against CAFile). ctx bounds only
// the start-up: the server keeps running after ctx ends, until Stop. On error nothing is left
// behind, and the error carries the tail of the server's log when the server itself failed.
func Start(ctx context.Context, k Kind, cfg Config) (*Server, error) {
	if err := Available(k); err != nil {
		return nil, err
	}
	layout, err := newLayout(k, cfg)
	if err != nil {
		return nil, err
	}
	// A port found free may be taken by someone else before the server binds it; only that
	// failure is worth another try.
	const attempts = 3
	for attempt := 1; ; attempt++ {
		s, err := startOnce(ctx, k, layout)
		if err == nil {
			return s, nil
		}
		if attempt == attempts || !errors.Is(err, errPortInUse) {
			return nil, err
		}
	}
}

func startOnce(ctx context.Context, k Kind, layout *layout) (*Server, error) {
	secret, err := randomSecret()
	if err != nil {
		return nil, err
	}
	if layout.primarySecret != "" {
		secret = layout.primarySecret
	}
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("dnsserver %s: %w", k, err)
	}
	dir, err := os.MkdirTemp("", "zonekeeper-"+string(k)+"-")
	if err != nil {
		return nil, fmt.Errorf("dnsserver %s: %w", k, err)
	}
	inst := instance{layout: layout, dir: dir, port: port, secret: secret}
	if layout.tls {
		if inst.tlsPort, err = freePortExcept(port); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("dnsserver %s: %w", k, err)
		}
	}
	s := &Server{
		Kind:          k,
		Addr:          fmt.Sprintf("127.0.0.1:%d", port),
		Host:          "127.0.0.1",
		Port:          port,
		KeyName:       KeyName,
		Secret:        secret,
		Algorithm:     layout.algorithm,
		Zones:         layout.zoneNames(),
		Dir:           dir,
		tsigAlgorithm: layout.tsigAlgorithm,
	}
	fail := func(err error) (*Server, error) {
		if s.proc != nil {
			exitedByItself := s.proc.hasExited()
			s.proc.stop()
			tail := s.LogTail(logTailLines)
			err = fmt.Errorf("%w\n--- %s log (last %d lines) ---\n%s", err, k, logTailLines, tail)
			if exitedByItself && strings.Contains(strings.ToLower(tail), "in use") {
				err = fmt.Errorf("%w: %w", errPortInUse, err)
			}
		}
		os.RemoveAll(dir)
		return nil, err
	}
	if layout.tls {
		if inst.certs, err = writeTLSFiles(inst); err != nil {
			return fail(fmt.Errorf("dnsserver %s: preparing TLS in %s: %w", k, dir, err))
		}
		s.TLSAddr = fmt.Sprintf("127.0.0.1:%d", inst.tlsPort)
		s.CAFile = inst.certs.ca
		s.ClientCertFile, s.ClientKeyFile = inst.certs.clientCert, inst.certs.clientKey
		s.tlsClient = inst.certs.client
	}
	argv, err := prepare(ctx, k, inst)
	if err != nil {
		return fail(fmt.Errorf("dnsserver %s: preparing %s: %w", k, dir, err))
	}
	s.proc, err = startProcess(argv, inst.logPath())
	if err != nil {
		return fail(fmt.Errorf("dnsserver %s: %w", k, err))
	}
	if err := s.waitReady(ctx); err != nil {
		return fail(fmt.Errorf("dnsserver %s on %s: %w", k, s.Addr, err))
	}
	return s, nil
}

// waitReady polls until every zone answers a signed SOA query with a signed answer, on each
// listener, which also proves that the server on the port is ours and not a stranger that took
// the port.
func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var lastErr error
	for {
		lastErr = s.answersAllZones(ctx, nil)
		if lastErr == nil && s.tlsClient != nil {
			if err := s.answersAllZones(ctx, s.tlsClient); err != nil {
				lastErr = fmt.Errorf("over TLS on %s: %w", s.TLSAddr, err)
			}
		}
		if lastErr == nil {
			return nil
		}
		select {
		case <-s.proc.exited:
			return fmt.Errorf("server exited during start-up: %s", s.proc.exitState())
		case <-ctx.Done():
			return fmt.Errorf("server did not answer before start-up ended (%w): last error: %w", ctx.Err(), lastErr)
		case <-tick.C:
		}
	}
}

// answersAllZones asks over TLS with tlsConfig, over plain TCP when it is nil.
func (s *Server) answersAllZones(ctx context.Context, tlsConfig *tls.Config) error {
	for _, zone := range s.Zones {
		m := new(dns.Msg)
		m.SetQuestion(dns.Fqdn(zone), dns.TypeSOA)
		r, err := s.exchangeOver(ctx, m, true, tlsConfig)
		if err != nil {
			return err
		}
		if r.Rcode != dns.RcodeSuccess || len(r.Answer) == 0 {
			return &RcodeError{Op: "SOA query", Zone: zone, Rcode: r.Rcode}
		}
		if r.IsTsig() == nil {
			return fmt.Errorf("SOA answer for zone %s is not TSIG-signed: another server may hold the port", zone)
		}
	}
	return nil
}

// StartT starts a server for a test and stops it in t.Cleanup. It fails the test, with the
// server's log tail, if the server does not start. If the server's programs are missing it
// fails the test, naming what installs them (make dns-servers): a test that skipped would
// let a run without servers pass.
func StartT(t testing.TB, k Kind, cfg Config) *Server {
	t.Helper()
	if err := Available(k); err != nil {
		t.Fatalf("%v (make dns-servers installs it)", err)
	}
	s, err := Start(t.Context(), k, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// Stop ends the server process Start began — that PID only: SIGTERM, then SIGKILL if it has not
// exited within a grace period — waits for it, and removes Dir. Later calls return the first
// call's result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		s.proc.stop()
		if err := os.RemoveAll(s.Dir); err != nil {
			s.stopErr = fmt.Errorf("dnsserver %s: removing %s: %w", s.Kind, s.Dir, err)
		}
	})
	return s.stopErr
}

// PID is the process id of the server. After Stop it names a process that has exited and been
// reaped.
func (s *Server) PID() int { return s.proc.cmd.Process.Pid }

// LogTail returns at most the last n lines the server wrote to its standard output and error, for
// failure messages. It returns "" once Stop has removed Dir.
func (s *Server) LogTail(n int) string {
	data, err := os.ReadFile(s.proc.logPath)
	if err != nil {
		return ""
	}
	return lastLines(string(data), n)
}

func lastLines(text string, n int) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// RcodeError is a server's answer with a response code other than NOERROR.
type RcodeError struct {
	Op    string // what was asked: "UPDATE", "AXFR", "SOA query"
	Zone  string
	Rcode int
}

func (e *RcodeError) Error() string {
	return fmt.Sprintf("%s of zone %s: server answered %s", e.Op, e.Zone, rcodeName(e.Rcode))
}

func rcodeName(rcode int) string {
	if name, ok := dns.RcodeToString[rcode]; ok {
		return name
	}
	return fmt.Sprintf("RCODE%d", rcode)
}

var errPortInUse = errors.New("port taken by another process")
