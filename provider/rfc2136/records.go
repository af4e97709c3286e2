package rfc2136

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/miekg/dns"

	"github.com/zonekeeper/zonekeeper/endpoint"
)

// This file holds the pure conversions between endpoints and resource records.

// groupTransfer groups the records of a zone transfer of zone into endpoints by (name,
// type), the way the zonefile provider groups a zone file: SOA and apex NS included,
// every other type kept (RFC 3597 TYPEnnn records too), targets in presentation form
// without the trailing dot of host names, TXT strings joined. It also returns the SOA
// serial. rrs is the transfer as received: the SOA first and again last. A transfer
// without exactly one SOA at the apex, with a record outside the zone or of a class other
// than IN is an error.
func groupTransfer(zone string, rrs []dns.RR) ([]*endpoint.Endpoint, uint32, error) {
	if len(rrs) > 1 && rrs[0].Header().Rrtype == dns.TypeSOA && rrs[len(rrs)-1].Header().Rrtype == dns.TypeSOA {
		rrs = rrs[:len(rrs)-1]
	}
	sets := map[endpoint.RecordKey]*endpoint.Endpoint{}
	var out []*endpoint.Endpoint
	var soa *dns.SOA
	for _, rr := range rrs {
		h := rr.Header()
		name := endpoint.NormalizeNameLoose(h.Name)
		if !endpoint.IsSubdomain(name, zone) {
			return nil, 0, fmt.Errorf("record %q lies outside the zone %s", rr.String(), zone)
		}
		if h.Class != dns.ClassINET {
			return nil, 0, fmt.Errorf("record %q: only class IN is supported", rr.String())
		}
		if s, ok := rr.(*dns.SOA); ok {
			if name != zone {
				return nil, 0, fmt.Errorf("SOA record %q is not at the zone apex %s", rr.String(), zone)
			}
			if soa != nil {
				return nil, 0, fmt.Errorf("more than one SOA record for %s", zone)
			}
			soa = s
		}
		key := endpoint.RecordKey{DNSName: name, RecordType: dns.Type(h.Rrtype).String()}
		e, ok := sets[key]
		if !ok {
			e = endpoint.New(name, key.RecordType, endpoint.TTL(h.Ttl))
			sets[key] = e
			out = append(out, e)
		}
		e.Targets = append(e.Targets, recordTarget(rr))
	}
	if soa == nil {
		return nil, 0, fmt.Errorf("no SOA record for %s", zone)
	}
	endpoint.SortEndpoints(out)
	return out, soa.Serial, nil
}

// recordTarget renders the data of rr as an endpoint target: presentation form without
// the header, host names without the trailing dot, TXT strings unescaped and joined
// (endpoint.TXTTarget).
func recordTarget(rr dns.RR) string {
	if txt, ok := rr.(*dns.TXT); ok {
		strs := make([]string, len(txt.Txt))
		for i, s := range txt.Txt {
			strs[i] = unescapeTXT(s)
		}
		return endpoint.TXTTarget(strs)
	}
	// The header is four tab-separated fields; RFC 3597 records print their class in
	// the generic CLASSnn form, so cut by position rather than by the header's text.
	fields := strings.SplitN(rr.String(), "\t", 5)
	rdata := fields[len(fields)-1]
	hosts := hostFields(dns.Type(rr.Header().Rrtype).String())
	if len(hosts) == 0 {
		return rdata
	}
	words := strings.Fields(rdata)
	for _, i := range hosts {
		if i < len(words) && words[i] != "." {
			words[i] = strings.TrimSuffix(words[i], ".")
		}
	}
	return strings.Join(words, " ")
}

// hostFields lists which whitespace-separated fields of a record type's data are host
// names, which endpoints hold without the trailing dot.
func hostFields(recordType string) []int {
	switch recordType {
	case "CNAME", "NS", "PTR", "DNAME":
		return []int{0}
	case "MX":
		return []int{1}
	case "SRV":
		return []int{3}
	case "SOA":
		return []int{0, 1}
	}
	return nil
}

// unescapeTXT turns a character-string as miekg/dns holds it (with \X and \DDD escapes)
// into its bytes.
func unescapeTXT(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		if i+3 < len(s) && isDigits(s[i+1:i+4]) {
			if n, err := strconv.Atoi(s[i+1 : i+4]); err == nil && n <= 255 {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		i++
		b.WriteByte(s[i])
	}
	return b.String()
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// endpointRecords turns e into resource records of class IN, one per distinct target;
// a TTL of 0 becomes defaultTTL. TXT targets become several character-strings of at most
// 255 bytes (endpoint.TXTStrings). It fails when e cannot be sent as it is: a set
// identifier, a TTL out of range, an SOA record, or a target that does not parse as data
// of its type.
func endpointRecords(e *endpoint.Endpoint, defaultTTL endpoint.TTL) ([]dns.RR, error) {
	if e.SetIdentifier != "" {
		return nil, fmt.Errorf("set identifier %q cannot be expressed through RFC 2136", e.SetIdentifier)
	}
	if e.RecordType == "SOA" {
		return nil, errors.New("the SOA record is maintained by the server")
	}
	if len(e.Targets) == 0 {
		return nil, errors.New("no targets")
	}
	ttl := e.RecordTTL
	if ttl == 0 {
		ttl = defaultTTL
	}
	if ttl < 0 || ttl > math.MaxInt32 {
		return nil, fmt.Errorf("TTL %d is outside 0..%d", ttl, math.MaxInt32)
	}
	out := make([]dns.RR, 0, len(e.Targets))
	for _, t := range e.Targets {
		rr, err := targetRecord(dns.Fqdn(e.DNSName), e.RecordType, uint32(ttl), t)
		if err != nil {
			return nil, fmt.Errorf("target %q: %w", t, err)
		}
		if !containsDuplicate(out, rr) {
			out = append(out, rr)
		}
	}
	return out, nil
}

// targetRecord parses one target as the data of a record named name.
func targetRecord(name, recordType string, ttl uint32, target string) (dns.RR, error) {
	hdr := dns.RR_Header{Name: name, Rrtype: dns.StringToType[recordType], Class: dns.ClassINET, Ttl: ttl}
	if recordType == endpoint.RecordTypeTXT {
		strs := endpoint.TXTStrings(target)
		for i, s := range strs {
			// miekg/dns reads \X and \DDD escapes in the strings it packs.
			strs[i] = strings.ReplaceAll(s, `\`, `\\`)
		}
		return &dns.TXT{Hdr: hdr, Txt: strs}, nil
	}
	if hdr.Rrtype == 0 {
		return nil, fmt.Errorf("unknown record type %q", recordType)
	}
	if strings.ContainsAny(target, "\r\n") {
		return nil, errors.New("a line break cannot be part of record data")
	}
	// The root origin makes host names absolute whether or not they end in a dot.
	rr, err := dns.NewRR(fmt.Sprintf("%s %d IN %s %s", name, ttl, recordType, target))
	if err != nil {
		return nil, err
	}
	if rr == nil || rr.Header().Rrtype != hdr.Rrtype {
		return nil, fmt.Errorf("not the data of one %s record", recordType)
	}
	if strings.TrimSpace(strings.TrimPrefix(rr.String(), rr.Header().String())) == "" {
		return nil, errors.New("no record data")
	}
	return rr, nil
}

func containsDuplicate(rrs []dns.RR, rr dns.RR) bool {
	for _, r := range rrs {
		if dns.IsDuplicate(r, rr) {
			return true
		}
	}
	return false
}
