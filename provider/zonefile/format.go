package zonefile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/miekg/dns"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider/internal/rrdata"
)

// This file holds the pure half of the provider: zone file text to RRsets and back.

// rrset is one RRset as read from a zone file: the endpoint zonekeeper sees, and the
// resource records it came from, written back untouched when Apply leaves the RRset
// alone, so that hand-written records keep their exact form.
type rrset struct {
	endpoint *endpoint.Endpoint
	records  []dns.RR
}

// zoneData is the parsed content of one zone file.
type zoneData struct {
	name string // normalised zone name
	soa  *dns.SOA
	sets map[endpoint.RecordKey]rrset
}

// endpoints returns the zone's RRsets as endpoints, ordered by endpoint.Less.
func (z *zoneData) endpoints() []*endpoint.Endpoint {
	out := make([]*endpoint.Endpoint, 0, len(z.sets))
	for _, s := range z.sets {
		out = append(out, s.endpoint)
	}
	endpoint.SortEndpoints(out)
	return out
}

// parseZone reads a zone file of zone; file names the file in errors. Records without a
// TTL and before any $TTL line get defaultTTL. The zone must hold exactly one SOA record,
// at its apex, and nothing outside it; only class IN is supported.
func parseZone(r io.Reader, zone, file string, defaultTTL endpoint.TTL) (*zoneData, error) {
	zp := dns.NewZoneParser(r, dns.Fqdn(zone), file)
	zp.SetDefaultTTL(uint32(defaultTTL))
	var rrs []dns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		rrs = append(rrs, rr)
	}
	if err := zp.Err(); err != nil {
		return nil, err
	}
	z, err := groupZone(zone, rrs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return z, nil
}

// groupZone groups rrs into the RRsets of zone.
func groupZone(zone string, rrs []dns.RR) (*zoneData, error) {
	z := &zoneData{name: zone, sets: map[endpoint.RecordKey]rrset{}}
	for _, rr := range rrs {
		h := rr.Header()
		text := rr.String()
		name := ownerName(h.Name)
		if !endpoint.IsSubdomain(name, zone) {
			return nil, fmt.Errorf("record %q lies outside the zone %s", text, zone)
		}
		if h.Class != dns.ClassINET {
			return nil, fmt.Errorf("record %q: only class IN is supported", text)
		}
		// miekg/dns accepts a record without data, as UPDATE messages need; in a zone
		// file it is a mistake, and it could not be written back as it was read.
		if strings.TrimSpace(strings.TrimPrefix(text, h.String())) == "" {
			return nil, fmt.Errorf("record %q has no data", text)
		}
		// The parser accepts a few records its printer cannot write back in a form it
		// reads again (a CAA record with an empty tag); refuse them here rather than
		// write a zone file that no longer loads.
		if _, err := dns.NewRR(text); err != nil {
			return nil, fmt.Errorf("record %q cannot be written back: %v", text, err)
		}
		if soa, ok := rr.(*dns.SOA); ok {
			if name != zone {
				return nil, fmt.Errorf("SOA record %q is not at the zone apex %s", text, zone)
			}
			if z.soa != nil {
				return nil, fmt.Errorf("more than one SOA record for %s", zone)
			}
			if soa.Ns == "" || soa.Mbox == "" {
				return nil, fmt.Errorf("SOA record %q lacks its name server or mailbox", text)
			}
			z.soa = soa
		}
		key := endpoint.RecordKey{DNSName: name, RecordType: dns.Type(h.Rrtype).String()}
		s, ok := z.sets[key]
		if !ok {
			s.endpoint = endpoint.New(name, key.RecordType, endpoint.TTL(h.Ttl))
		}
		s.endpoint.Targets = append(s.endpoint.Targets, rrdata.Target(rr))
		s.records = append(s.records, rr)
		z.sets[key] = s
	}
	if z.soa == nil {
		return nil, fmt.Errorf("no SOA record for %s", zone)
	}
	return z, nil
}

// ownerName returns the name an endpoint gives the owner name of a parsed record: lower
// case, no trailing dot, and every byte of a label as endpoint.ValidateOwnerName would
// have it, unescaped where it may be and escaped where it must be (\. and the other
// characters zone files treat specially as \X, white space and bytes outside printable
// ASCII as \DDD). The parser keeps a name as it was spelled, so o'brien, o\'brien and
// o\039brien, one name, would otherwise be three; and the printer escapes ', so a name
// an endpoint gives unescaped would not read back as itself.
func ownerName(parsed string) string {
	labels := dns.SplitDomainName(parsed)
	for i, l := range labels {
		var b strings.Builder
		for _, c := range []byte(rrdata.UnescapeTXT(l)) {
			switch {
			case c >= 'A' && c <= 'Z':
				b.WriteByte(c + 'a' - 'A')
			case c <= ' ' || c >= 0x7f:
				fmt.Fprintf(&b, `\%03d`, c)
			case strings.IndexByte(`.\";()@$`, c) >= 0:
				b.WriteByte('\\')
				b.WriteByte(c)
			default:
				b.WriteByte(c)
			}
		}
		labels[i] = b.String()
	}
	return strings.Join(labels, ".")
}

// newZone is the content of a zone that has no file yet: an SOA with serial 0, so that
// the first Apply writes serial 1, and an NS record pointing at localhost so that
// BIND, Knot and CoreDNS load the file as it is.
func newZone(zone string, ttl endpoint.TTL) (*zoneData, error) {
	apex := dns.Fqdn(zone)
	header := func(t uint16) dns.RR_Header {
		return dns.RR_Header{Name: apex, Rrtype: t, Class: dns.ClassINET, Ttl: uint32(ttl)}
	}
	return groupZone(zone, []dns.RR{
		&dns.SOA{Hdr: header(dns.TypeSOA), Ns: "ns1." + apex, Mbox: "hostmaster." + apex, Refresh: 3600, Retry: 600, Expire: 604800, Minttl: 300},
		&dns.NS{Hdr: header(dns.TypeNS), Ns: "localhost."},
	})
}

// quoteTXT renders one character-string in zone file syntax: in double quotes, with
// quotes and backslashes escaped and bytes outside printable ASCII as \DDD.
func quoteTXT(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < ' ' || c > '~':
			fmt.Fprintf(&b, `\%03d`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// endpointRecords turns e into resource records, one per target; a TTL of 0 becomes
// defaultTTL. It fails when e cannot be written to a zone file as it is: a set
// identifier, a TTL out of range, or a target that does not parse as data of its type.
func endpointRecords(e *endpoint.Endpoint, defaultTTL endpoint.TTL) ([]dns.RR, error) {
	if e.SetIdentifier != "" {
		return nil, fmt.Errorf("set identifier %q cannot be expressed in a zone file", e.SetIdentifier)
	}
	ttl, err := rrdata.TTL(e.RecordTTL, defaultTTL)
	if err != nil {
		return nil, err
	}
	out := make([]dns.RR, 0, len(e.Targets))
	for _, t := range e.Targets {
		rdata, err := targetData(e.RecordType, t)
		if err != nil {
			return nil, fmt.Errorf("target %q: %w", t, err)
		}
		rr, err := parseRecord(fmt.Sprintf("%s %d IN %s %s", dns.Fqdn(e.DNSName), ttl, e.RecordType, rdata))
		if err != nil {
			return nil, fmt.Errorf("target %q: %w", t, err)
		}
		if got := dns.Type(rr.Header().Rrtype).String(); got != e.RecordType {
			return nil, fmt.Errorf("record type %q is spelled %q in a zone file", e.RecordType, got)
		}
		out = append(out, rr)
	}
	return out, nil
}

// targetData renders an endpoint target as record data in zone file syntax.
func targetData(recordType, target string) (string, error) {
	if strings.ContainsAny(target, "\r\n") {
		return "", errors.New("a line break cannot be part of record data")
	}
	if recordType == endpoint.RecordTypeTXT {
		strs := endpoint.TXTStrings(target)
		quoted := make([]string, len(strs))
		for i, s := range strs {
			quoted[i] = quoteTXT(s)
		}
		return strings.Join(quoted, " "), nil
	}
	hosts := rrdata.HostFields(recordType)
	if len(hosts) == 0 {
		return target, nil
	}
	words := strings.Fields(target)
	for _, i := range hosts {
		if i >= len(words) || words[i] == "." {
			continue
		}
		host, err := endpoint.NormalizeName(words[i])
		if err != nil {
			return "", err
		}
		words[i] = host + "."
	}
	return strings.Join(words, " "), nil
}

// parseRecord parses exactly one resource record from text, with no $INCLUDE and no
// relative names.
func parseRecord(text string) (dns.RR, error) {
	zp := dns.NewZoneParser(strings.NewReader(text+"\n"), ".", "")
	rr, ok := zp.Next()
	if err := zp.Err(); err != nil {
		return nil, err
	}
	if !ok {
		return nil, errors.New("no record data")
	}
	if _, more := zp.Next(); more {
		return nil, errors.New("more than one record")
	}
	return rr, nil
}

// renderZone writes z in zone file syntax: $ORIGIN and $TTL, the SOA, the apex NS
// records, then every other RRset of sets ordered by name and type. An RRset equal to the
// one z was read with (same TTL, same targets in the same order) is written as it was
// read; the SOA is z.soa.
func renderZone(z *zoneData, sets []*endpoint.Endpoint, defaultTTL endpoint.TTL) ([]byte, error) {
	sets = slices.Clone(sets)
	rank := func(e *endpoint.Endpoint) int {
		switch {
		case e.RecordType == recordTypeSOA:
			return 0
		case e.RecordType == endpoint.RecordTypeNS && e.DNSName == z.name:
			return 1
		}
		return 2
	}
	slices.SortStableFunc(sets, func(a, b *endpoint.Endpoint) int { return rank(a) - rank(b) })

	var buf bytes.Buffer
	fmt.Fprintf(&buf, "$ORIGIN %s\n$TTL %d\n", dns.Fqdn(z.name), defaultTTL)
	for _, e := range sets {
		records, err := z.records(e, defaultTTL)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", e.DNSName, e.RecordType, err)
		}
		for _, rr := range records {
			buf.WriteString(rr.String())
			buf.WriteByte('\n')
		}
	}
	return buf.Bytes(), nil
}

// records returns the resource records to write for e.
func (z *zoneData) records(e *endpoint.Endpoint, defaultTTL endpoint.TTL) ([]dns.RR, error) {
	if e.RecordType == recordTypeSOA {
		return []dns.RR{z.soa}, nil
	}
	if o, ok := z.sets[e.RecordKey()]; ok && o.endpoint.RecordTTL == e.RecordTTL && slices.Equal(o.endpoint.Targets, e.Targets) {
		return o.records, nil
	}
	return endpointRecords(e, defaultTTL)
}
