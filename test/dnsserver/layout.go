package dnsserver

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// layout is a validated Config: everything about a server that does not depend on the folder,
// port or key of one start.
type layout struct {
	algorithm         string // as --rfc2136-tsig-secret-alg spells it
	tsigAlgorithm     string // as miekg/dns spells it
	zones             []zoneLayout
	maxRecordsPerType int
	tls               bool
	tlsClientAuth     bool
	// primary is Config.Primary's address in BIND's "127.0.0.1 port N" form, and
	// primarySecret its key's secret; both empty unless the server is a secondary.
	primary, primarySecret string
}

type zoneLayout struct {
	name     string // lower case, fully qualified
	transfer bool
	contents string   // the initial zone file
	deny     []string // names whose updates the server refuses (Config.DenyUpdates), fully qualified
}

// fileName is the zone file's name in the server's folder; zoneNamePattern keeps it a plain
// file name.
func (z zoneLayout) fileName() string { return strings.TrimSuffix(z.name, ".") + ".zone" }

func (l *layout) zoneNames() []string {
	names := make([]string, len(l.zones))
	for i, z := range l.zones {
		names[i] = strings.TrimSuffix(z.name, ".")
	}
	return names
}

// tsigAlgorithms maps the spellings of --rfc2136-tsig-secret-alg to miekg/dns's. HMAC-MD5 is
// missing on purpose: miekg/dns no longer signs with it.
var tsigAlgorithms = map[string]string{
	"hmac-sha1":   dns.HmacSHA1,
	"hmac-sha224": dns.HmacSHA224,
	"hmac-sha256": dns.HmacSHA256,
	"hmac-sha384": dns.HmacSHA384,
	"hmac-sha512": dns.HmacSHA512,
}

// zoneNamePattern admits zone names that are safe to paste into the three servers' configuration
// languages and to use as file names unquoted.
var zoneNamePattern = regexp.MustCompile(`^([a-z0-9_]([a-z0-9_-]*[a-z0-9_])?\.)+$`)

func newLayout(k Kind, cfg Config) (*layout, error) {
	if _, err := requirementsOf(k); err != nil {
		return nil, err
	}
	if cfg.TLS && k != BIND9 {
		return nil, fmt.Errorf("dnsserver %s: Config.TLS is supported for %s only", k, BIND9)
	}
	if len(cfg.DenyUpdates) > 0 && k != BIND9 {
		return nil, fmt.Errorf("dnsserver %s: Config.DenyUpdates is supported for %s only", k, BIND9)
	}
	if cfg.TLSClientAuth && !cfg.TLS {
		return nil, fmt.Errorf("dnsserver %s: Config.TLSClientAuth requires Config.TLS", k)
	}
	l := &layout{maxRecordsPerType: cfg.MaxRecordsPerType, tls: cfg.TLS, tlsClientAuth: cfg.TLSClientAuth}
	alg := cfg.Algorithm
	if p := cfg.Primary; p != nil {
		switch {
		case k != BIND9 || p.Kind != BIND9:
			return nil, fmt.Errorf("dnsserver %s: Config.Primary is supported for a %s secondary of a %s primary only", k, BIND9, BIND9)
		case cfg.TLS || len(cfg.ExtraRecords) > 0 || len(cfg.NoTransfer) > 0:
			return nil, fmt.Errorf("dnsserver %s: a secondary (Config.Primary) takes its zones from the primary: no TLS, ExtraRecords or NoTransfer", k)
		}
		for _, zone := range cfg.Zones {
			if !slices.Contains(p.Zones, strings.TrimSuffix(canonicalZone(zone), ".")) {
				return nil, fmt.Errorf("dnsserver %s: secondary zone %q is not a zone of the primary (%s)", k, zone, strings.Join(p.Zones, ", "))
			}
		}
		l.primary, l.primarySecret, alg = fmt.Sprintf("%s port %d", p.Host, p.Port), p.Secret, p.Algorithm
	}
	if alg == "" {
		alg = DefaultAlgorithm
	}
	l.algorithm = strings.TrimSuffix(strings.ToLower(alg), ".")
	var ok bool
	if l.tsigAlgorithm, ok = tsigAlgorithms[l.algorithm]; !ok {
		return nil, fmt.Errorf("dnsserver: TSIG algorithm %q is not one of hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384, hmac-sha512", cfg.Algorithm)
	}
	if len(cfg.Zones) == 0 {
		return nil, fmt.Errorf("dnsserver: Config.Zones is empty: a server needs at least one zone")
	}
	index := map[string]int{}
	for _, zone := range cfg.Zones {
		name := canonicalZone(zone)
		if !zoneNamePattern.MatchString(name) {
			return nil, fmt.Errorf("dnsserver: zone %q is not a plain domain name (letters, digits, hyphens, underscores, dots)", zone)
		}
		if _, dup := index[name]; dup {
			return nil, fmt.Errorf("dnsserver: zone %q is listed twice in Config.Zones", zone)
		}
		index[name] = len(l.zones)
		l.zones = append(l.zones, zoneLayout{name: name, transfer: true})
	}
	for _, zone := range cfg.NoTransfer {
		i, ok := index[canonicalZone(zone)]
		if !ok {
			return nil, fmt.Errorf("dnsserver: NoTransfer zone %q is not in Config.Zones", zone)
		}
		l.zones[i].transfer = false
	}
	for _, name := range cfg.DenyUpdates {
		fqdn := canonicalZone(name)
		i := slices.IndexFunc(l.zones, func(z zoneLayout) bool { return dns.IsSubDomain(z.name, fqdn) })
		if i < 0 || !zoneNamePattern.MatchString(fqdn) {
			return nil, fmt.Errorf("dnsserver: DenyUpdates name %q is not a plain name inside a zone of Config.Zones", name)
		}
		l.zones[i].deny = append(l.zones[i].deny, fqdn)
	}
	for zone := range cfg.ExtraRecords {
		if _, ok := index[canonicalZone(zone)]; !ok {
			return nil, fmt.Errorf("dnsserver: ExtraRecords zone %q is not in Config.Zones", zone)
		}
	}
	for i := range l.zones {
		var extra []string
		for zone, records := range cfg.ExtraRecords {
			if canonicalZone(zone) == l.zones[i].name {
				extra = append(extra, records...)
			}
		}
		contents, err := zoneFile(l.zones[i].name, extra)
		if err != nil {
			return nil, err
		}
		l.zones[i].contents = contents
	}
	return l, nil
}

// nameServer is the name server (SOA MNAME and apex NS) of every zone.
const nameServer = "localhost."

func canonicalZone(zone string) string { return dns.Fqdn(strings.ToLower(zone)) }

// zoneFile renders a zone's initial file: SOA serial 1 and one NS, then extra, all with absolute
// names so that each server's loader reads the same thing. The name server is localhost., outside
// the zone, so the zone needs no address record for it: BIND refuses to delete the address of an
// in-zone name server, and tests want zones that hold nothing but the apex SOA and NS.
func zoneFile(zone string, extra []string) (string, error) {
	base := []string{
		fmt.Sprintf("@ 300 IN SOA %s hostmaster.%s 1 3600 600 86400 300", nameServer, zone),
		"@ 300 IN NS " + nameServer,
	}
	var b strings.Builder
	for i, text := range append(base, extra...) {
		rr, err := parseRecord(zone, text)
		if err != nil {
			return "", err
		}
		if i >= len(base) && rr.Header().Rrtype == dns.TypeSOA {
			return "", fmt.Errorf("dnsserver: zone %s: extra record %q: the SOA is written by the harness", zone, text)
		}
		b.WriteString(rr.String())
		b.WriteByte('\n')
	}
	return b.String(), nil
}

// parseRecord reads one record in presentation format, owner names relative to zone, TTL 300 when
// the record has none.
func parseRecord(zone, text string) (dns.RR, error) {
	zp := dns.NewZoneParser(strings.NewReader(text), zone, "")
	zp.SetDefaultTTL(300)
	rr, ok := zp.Next()
	if err := zp.Err(); err != nil {
		return nil, fmt.Errorf("dnsserver: zone %s: record %q: %w", zone, text, err)
	}
	if !ok {
		return nil, fmt.Errorf("dnsserver: zone %s: record %q: no record in it", zone, text)
	}
	if _, more := zp.Next(); more {
		return nil, fmt.Errorf("dnsserver: zone %s: record %q: more than one record in it", zone, text)
	}
	if !dns.IsSubDomain(zone, strings.ToLower(rr.Header().Name)) {
		return nil, fmt.Errorf("dnsserver: zone %s: record %q: owner %s is outside the zone", zone, text, rr.Header().Name)
	}
	return rr, nil
}

// instance is a layout placed in one folder, on one port (and one more for TLS), with one
// secret.
type instance struct {
	*layout
	dir     string
	port    int
	secret  string
	tlsPort int      // 0 unless layout.tls
	certs   tlsFiles // empty unless layout.tls
}

func (i instance) path(name string) string { return filepath.Join(i.dir, name) }

func (i instance) logPath() string { return i.path("server.log") }

func (i instance) writeZoneFiles() error {
	if i.primary != "" {
		return nil // a secondary writes the zones it transfers itself
	}
	for _, z := range i.zones {
		if err := os.WriteFile(i.path(z.fileName()), []byte(z.contents), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// requirements are what a kind needs installed.
type requirements struct {
	binaries []string
	files    []string
}

func requirementsOf(k Kind) (requirements, error) {
	switch k {
	case BIND9:
		return requirements{binaries: []string{"named"}}, nil
	case Knot:
		return requirements{binaries: []string{"knotd"}}, nil
	case PowerDNS:
		return requirements{binaries: []string{"pdns_server", "pdnsutil", "sqlite3"}, files: []string{powerDNSSchema}}, nil
	default:
		return requirements{}, fmt.Errorf("dnsserver: unknown server kind %q (want %s, %s or %s)", k, BIND9, Knot, PowerDNS)
	}
}

// prepare writes the server's configuration and zones into inst.dir, runs whatever must happen
// before the server starts, and returns the command line that runs it in the foreground.
func prepare(ctx context.Context, k Kind, inst instance) ([]string, error) {
	if err := inst.writeZoneFiles(); err != nil {
		return nil, err
	}
	switch k {
	case BIND9:
		return prepareBIND9(inst)
	case Knot:
		return prepareKnot(inst)
	default:
		return preparePowerDNS(ctx, inst)
	}
}
