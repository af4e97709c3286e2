package rfc2136

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/miekg/dns"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider/internal/rrdata"
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
		e.Targets = append(e.Targets, rrdata.Target(rr))
	}
	if soa == nil {
		return nil, 0, fmt.Errorf("no SOA record for %s", zone)
	}
	endpoint.SortEndpoints(out)
	return out, soa.Serial, nil
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
	ttl, err := rrdata.TTL(e.RecordTTL, defaultTTL)
	if err != nil {
		return nil, err
	}
	out := make([]dns.RR, 0, len(e.Targets))
	for _, t := range e.Targets {
		rr, err := targetRecord(dns.Fqdn(e.DNSName), e.RecordType, ttl, t)
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
	if rr := addressRecord(hdr, target); rr != nil {
		return rr, nil
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

// addressRecord returns the A or AAAA record for target when hdr is of that type and
// target is a plain address of its family; otherwise nil, and the caller parses target
// as presentation data. It accepts exactly what that parser accepts for these types,
// only without a zone parser per record, which dominated the cost of large Applies.
func addressRecord(hdr dns.RR_Header, target string) dns.RR {
	addr, err := netip.ParseAddr(target)
	if err != nil || addr.Zone() != "" {
		return nil
	}
	switch {
	case hdr.Rrtype == dns.TypeA && addr.Is4():
		return &dns.A{Hdr: hdr, A: addr.AsSlice()}
	case hdr.Rrtype == dns.TypeAAAA && strings.Contains(target, ":"):
		return &dns.AAAA{Hdr: hdr, AAAA: addr.AsSlice()}
	}
	return nil
}

func containsDuplicate(rrs []dns.RR, rr dns.RR) bool {
	for _, r := range rrs {
		if dns.IsDuplicate(r, rr) {
			return true
		}
	}
	return false
}
