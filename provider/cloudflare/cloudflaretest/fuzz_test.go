package cloudflaretest

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
	"time"
)

// checkRefusal fails unless err is a well-formed client error.
func checkRefusal(t *testing.T, err *apiError) {
	t.Helper()
	if err.status != http.StatusBadRequest && err.status != http.StatusNotFound || err.code == 0 || err.message == "" {
		t.Fatalf("refusal %+v is not a 400/404 with a code and message", err)
	}
}

// FuzzRecordBody decodes a record create body and checks it like POST does: no input panics,
// every refusal is a 4xx with a code, and a record the emulator accepts is already in its stored
// form (checking it again changes nothing).
func FuzzRecordBody(f *testing.F) {
	for _, seed := range []string{
		`{"type":"A","name":"www","content":"192.0.2.1","ttl":300,"proxied":false}`,
		`{"type":"A","name":"WWW.example.com.","content":"203.0.113.1","ttl":1,"proxied":true,"comment":"c","tags":["a:b"]}`,
		`{"type":"AAAA","name":"@","content":"2001:DB8::0:1","ttl":60}`,
		`{"type":"CNAME","name":"app","content":"LB.Example.NET.","ttl":1,"proxied":true}`,
		`{"type":"TXT","name":"a-app","content":"\"heritage=external-dns,external-dns/owner=default\""}`,
		`{"type":"MX","name":"mail","content":"mx.example.net","priority":10,"ttl":3600}`,
		`{"type":"SRV","name":"_sip._tcp","data":{"priority":1,"weight":2,"port":5060,"target":"sip.example.com"}}`,
		`{"type":"A","name":"x","content":"10.0.0.1","proxied":true}`,
		`{"type":"A","name":"x","content":"192.0.2.1","ttl":"300"}`,
		`{"type":"A","name":"x","content":"192.0.2.1","ttl":30.5}`,
		`{"type":"a","name":"bücher","content":"192.0.2.1"}`,
		`{"type":"TXT","name":"*.apps","content":"x"} trailing`,
		`{"tags":"not a list"}`,
		`[]`,
		``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := decodeRecordInput(body)
		if err != nil {
			checkRefusal(t, err)
			return
		}
		merged, err := mergeInput(Record{ID: "0123456789abcdef0123456789abcdef"}, in, true)
		if err != nil {
			checkRefusal(t, err)
			return
		}
		stored, err := normalizeRecord(merged, "example.com")
		if err != nil {
			checkRefusal(t, err)
			return
		}
		again, err := normalizeRecord(stored.clone(), "example.com")
		if err != nil {
			t.Fatalf("stored record %+v is refused when checked again: %v", stored, err)
		}
		if !reflect.DeepEqual(again, stored) {
			t.Fatalf("checking a stored record again changed it:\n%+v\n%+v", stored, again)
		}
		if stored.Proxied && stored.TTL != automaticTTL {
			t.Fatalf("proxied record stored with TTL %d", stored.TTL)
		}
		if _, err := json.Marshal(stored); err != nil {
			t.Fatalf("stored record does not encode: %v", err)
		}
	})
}

// FuzzBatchBody applies a decoded batch body to a zone holding two records: a refused batch
// leaves the zone exactly as it was, an accepted one leaves every record in stored form and the
// name index in step with the records.
func FuzzBatchBody(f *testing.F) {
	for _, seed := range []string{
		`{"posts":[{"type":"A","name":"n","content":"192.0.2.9"}]}`,
		`{"deletes":[{"id":"00000000000000000000000000000001"}],"posts":[{"type":"CNAME","name":"a","content":"lb.example.net"}]}`,
		`{"patches":[{"id":"00000000000000000000000000000002","content":"192.0.2.1"}]}`,
		`{"puts":[{"id":"00000000000000000000000000000002","type":"TXT","name":"b","content":"x"}],"posts":[{"type":"A","name":"b","content":"nope"}]}`,
		`{"deletes":[{"id":"00000000000000000000000000000001"},{"id":"00000000000000000000000000000001"}]}`,
		`{"deletes":[{}]}`,
		`{"posts":[{"type":"A","name":"a","content":"192.0.2.1"}]}`,
		`{"posts":null}`,
		`{`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		e := New(Options{})
		id := e.CreateZone("example.com")
		z := e.zones[id]
		now := time.Unix(0, 0).UTC()
		z.set(Record{ID: "00000000000000000000000000000001", Type: "A", Name: "a.example.com", Content: "192.0.2.1", TTL: 1, Tags: []string{}})
		z.set(Record{ID: "00000000000000000000000000000002", Type: "A", Name: "b.example.com", Content: "192.0.2.2", TTL: 1, Tags: []string{}})
		before := cloneRecords(z.records)

		in, err := decodeBatchInput(body)
		if err != nil {
			checkRefusal(t, err)
			return
		}
		if _, err := e.batch(z, in, now); err != nil {
			if err.status != http.StatusBadRequest || err.code == 0 {
				t.Fatalf("batch refusal %+v is not a 400 with a code", err)
			}
			if !reflect.DeepEqual(cloneRecords(z.records), before) {
				t.Fatalf("a refused batch changed the zone:\n%+v\n%+v", before, z.records)
			}
		}
		indexed := 0
		for name, ids := range z.byName {
			for rid := range ids {
				if r, ok := z.records[rid]; !ok || r.Name != name {
					t.Fatalf("index has %s at %s, records have %+v", rid, name, r)
				}
				indexed++
			}
		}
		if indexed != len(z.records) {
			t.Fatalf("index holds %d records, the zone %d", indexed, len(z.records))
		}
	})
}

func cloneRecords(m map[string]Record) map[string]Record {
	out := make(map[string]Record, len(m))
	for k, v := range m {
		out[k] = v.clone()
	}
	return out
}
