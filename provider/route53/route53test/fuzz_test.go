package route53test

import (
	"strings"
	"testing"
)

// FuzzChangeRequest feeds arbitrary ChangeResourceRecordSets bodies through the parser
// and the batch rules. Whatever the body, the emulator must answer without panicking,
// a rejected batch must leave the zone untouched, and an accepted one must leave only
// canonical names inside the zone, listed in order.
func FuzzChangeRequest(f *testing.F) {
	const head = `<?xml version="1.0" encoding="UTF-8"?><ChangeResourceRecordSetsRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><ChangeBatch><Changes>`
	const tail = `</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>`
	for _, changes := range []string{
		`<Change><Action>CREATE</Action><ResourceRecordSet><Name>x.example.com</Name><Type>A</Type><TTL>300</TTL><ResourceRecords><ResourceRecord><Value>192.0.2.1</Value></ResourceRecord></ResourceRecords></ResourceRecordSet></Change>`,
		`<Change><Action>UPSERT</Action><ResourceRecordSet><Name>*.Example.COM.</Name><Type>TXT</Type><TTL>0</TTL><ResourceRecords><ResourceRecord><Value>"heritage=external-dns,external-dns/owner=default"</Value></ResourceRecord></ResourceRecords></ResourceRecordSet></Change>`,
		`<Change><Action>CREATE</Action><ResourceRecordSet><Name>lb.example.com</Name><Type>A</Type><AliasTarget><HostedZoneId>Z35SXDOTRQ7X7K</HostedZoneId><DNSName>x.elb.amazonaws.com</DNSName><EvaluateTargetHealth>true</EvaluateTargetHealth></AliasTarget></ResourceRecordSet></Change>`,
		`<Change><Action>CREATE</Action><ResourceRecordSet><Name>w.example.com</Name><Type>A</Type><SetIdentifier>blue</SetIdentifier><Weight>10</Weight><TTL>60</TTL><ResourceRecords><ResourceRecord><Value>192.0.2.1</Value></ResourceRecord></ResourceRecords></ResourceRecordSet></Change>`,
		`<Change><Action>DELETE</Action><ResourceRecordSet><Name>example.com</Name><Type>CNAME</Type><TTL>60</TTL><ResourceRecords><ResourceRecord><Value>a</Value></ResourceRecord></ResourceRecords></ResourceRecordSet></Change>`,
		`<Change><Action>CREATE</Action><ResourceRecordSet><Name>g.example.com</Name><Type>AAAA</Type><SetIdentifier>eu</SetIdentifier><GeoLocation><ContinentCode>EU</ContinentCode></GeoLocation><TTL>60</TTL><ResourceRecords><ResourceRecord><Value>2001:db8::1</Value></ResourceRecord></ResourceRecords></ResourceRecordSet></Change>`,
	} {
		f.Add(head + changes + tail)
	}
	f.Add(head + tail)
	f.Add(`<ChangeResourceRecordSetsRequest><ChangeBatch><Changes><Change>`)
	f.Add(`not xml at all`)
	f.Fuzz(func(t *testing.T, body string) {
		req, err := parseChangeRequest([]byte(body))
		if err != nil {
			return
		}
		z := newZone("ZFUZZ", "example.com.", 1, ZoneOptions{})
		before := len(z.sets)
		if apiErr := applyBatch(z, req.Changes); apiErr != nil {
			if len(z.sets) != before {
				t.Fatalf("rejected batch (%v) changed the zone", apiErr)
			}
			return
		}
		order := z.order()
		for i, k := range order {
			if !inZone(k.name, z.name) || !strings.HasSuffix(k.name, ".") {
				t.Fatalf("accepted %q outside the zone or not absolute", k.name)
			}
			if again, err := canonicalName(k.name); err != nil || again != k.name {
				t.Fatalf("stored name %q is not canonical (%q, %v)", k.name, again, err)
			}
			if i > 0 && compareKeys(order[i-1], k) >= 0 {
				t.Fatalf("listing out of order: %v before %v", order[i-1], k)
			}
		}
	})
}
