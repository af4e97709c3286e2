// Package rrdata converts DNS resource record data to the targets zonekeeper's endpoints
// hold, for the providers that read records in DNS form (zone files, zone transfers).
//
// A target is the record data in presentation form without the owner, TTL, class and
// type, with two differences that make it compare equal to what sources produce: host
// names carry no trailing dot (the root "." stays), and TXT data is the character-strings'
// bytes, unescaped and joined (endpoint.TXTTarget). All functions are pure and safe for
// concurrent use.
package rrdata

import (
	"fmt"
	"math"
	"strings"

	"github.com/miekg/dns"

	"github.com/zonekeeper/zonekeeper/endpoint"
)

// Target renders the data of rr as an endpoint target. Types miekg/dns does not know
// (RFC 3597 TYPEnnn records) keep their generic \# form.
func Target(rr dns.RR) string {
	if txt, ok := rr.(*dns.TXT); ok {
		strs := make([]string, len(txt.Txt))
		for i, s := range txt.Txt {
			strs[i] = UnescapeTXT(s)
		}
		return endpoint.TXTTarget(strs)
	}
	// The header is four tab-separated fields; RFC 3597 records print their class in
	// the generic CLASSnn form, so cut by position rather than by the header's text.
	fields := strings.SplitN(rr.String(), "\t", 5)
	rdata := fields[len(fields)-1]
	hosts := HostFields(dns.Type(rr.Header().Rrtype).String())
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

// HostFields lists which whitespace-separated fields of a record type's data (as
// miekg/dns spells the type) are host names: the fields an endpoint target holds
// without the trailing dot, and that zone files and UPDATE messages need absolute.
// Types without host names, and unknown ones, give nil.
func HostFields(recordType string) []int {
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

// UnescapeTXT turns one character-string as miekg/dns holds it, with \X and \DDD
// escapes, into its bytes. A \DDD above 255 is read as an escaped digit followed by two
// digits; a lone backslash at the end is kept.
func UnescapeTXT(s string) string {
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
			if n := int(s[i+1]-'0')*100 + int(s[i+2]-'0')*10 + int(s[i+3]-'0'); n <= 255 {
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

// TTL returns the TTL to write for a record whose endpoint asks for ttl: defaultTTL when
// ttl is unset (0), and an error when the result does not fit a DNS TTL (RFC 2181 8).
func TTL(ttl, defaultTTL endpoint.TTL) (uint32, error) {
	if ttl == 0 {
		ttl = defaultTTL
	}
	if ttl < 0 || ttl > math.MaxInt32 {
		return 0, fmt.Errorf("TTL %d is outside 0..%d", ttl, math.MaxInt32)
	}
	return uint32(ttl), nil
}
