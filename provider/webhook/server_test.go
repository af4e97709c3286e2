package webhook

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/inmemory"
)

// unreachable is a provider whose DNS service cannot be connected to for writes: it
// says so as the batch kit does, every change not attempted.
type unreachable struct{ *inmemory.Provider }

func (unreachable) Apply(_ context.Context, zone provider.Zone, changes []provider.Change) error {
	return &provider.ApplyError{Zone: zone.Name, Stopped: errors.New("connection refused"), NotAttempted: changes}
}

// TestServerApplyAllOrNothing: a POST /records of which one record is refused leaves the
// zone as it was, answers 500 with the refused outcome and names the record; a DNS
// service that cannot be reached answers 503, unavailable.
func TestServerApplyAllOrNothing(t *testing.T) {
	backend := inmemory.New("example.com")
	if err := backend.Seed("example.com", endpoint.New("taken.example.com", "A", 0, "198.51.100.1")); err != nil {
		t.Fatal(err)
	}
	body := `{"create":[{"dnsName":"new.example.com","targets":["192.0.2.1"],"recordType":"A"},` +
		`{"dnsName":"a-new.example.com","targets":["\"heritage=external-dns\""],"recordType":"TXT"},` +
		`{"dnsName":"taken.example.com","targets":["192.0.2.2"],"recordType":"A"}],` +
		`"delete":[{"dnsName":"taken.example.com","targets":["198.51.100.1"],"recordType":"A"}]}`
	tests := []struct {
		name        string
		p           provider.Provider
		body        string
		wantCode    int
		wantOutcome string
		wantMessage string
	}{
		{"one refused", backend, body, http.StatusInternalServerError, outcomeRefused, "create taken.example.com"},
		{"outside every zone", backend, `{"create":[{"dnsName":"www.example.org","targets":["192.0.2.1"],"recordType":"A"}]}`, http.StatusInternalServerError, outcomeRefused, "in none of the zones"},
		{"service unreachable", unreachable{backend}, body, http.StatusServiceUnavailable, outcomeUnavailable, "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := serve(t, tt.p, nil)
			resp, err := http.Post(url+pathRecords, MediaType, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantCode || resp.Header.Get(outcomeHeader) != tt.wantOutcome || !strings.Contains(string(msg), tt.wantMessage) {
				t.Errorf("answered %d %q %q, want %d %q with %q", resp.StatusCode, resp.Header.Get(outcomeHeader), msg, tt.wantCode, tt.wantOutcome, tt.wantMessage)
			}
			records, _ := backend.Records(context.Background(), zoneMain)
			if len(records) != 1 || records[0].DNSName != "taken.example.com" || records[0].Targets[0] != "198.51.100.1" {
				t.Errorf("the zone holds %v, want the seeded record alone", records)
			}
		})
	}
}

// TestClientStopsWhenServiceUnreachable: the server's unavailable answer stops Apply
// with every Change not attempted, after the retries.
func TestClientStopsWhenServiceUnreachable(t *testing.T) {
	obs := newCalls()
	c := client(t, serve(t, unreachable{inmemory.New("example.com")}, nil), func(c *Config) { c.Observer = obs })
	err := c.Apply(context.Background(), zoneMain, owned(4))
	var ae *provider.ApplyError
	if !errors.As(err, &ae) || ae.Stopped == nil || len(ae.NotAttempted) != 4 || len(ae.Failed) != 0 {
		t.Fatalf("Apply: %v, want a stop with 4 changes not attempted", err)
	}
	if got := obs.total("apply"); got != DefaultAttempts {
		t.Errorf("%d POST /records, want %d (retried, not bisected)", got, DefaultAttempts)
	}
}

// TestGroupOwnership checks which record changes of one request the server applies
// together: an ownership record with the record it owns, in the order provider.Change
// asks for, for every naming the registry has; anything else alone.
func TestGroupOwnership(t *testing.T) {
	own := func(name, setID string) *endpoint.Endpoint {
		e := endpoint.New(name, "TXT", 0, `"heritage=external-dns,external-dns/owner=a,external-dns/resource=service/ns/web"`)
		e.SetIdentifier = setID
		return e
	}
	rec := func(name, typ, setID string) *endpoint.Endpoint {
		e := endpoint.New(name, typ, 60, "192.0.2.1")
		e.SetIdentifier = setID
		return e
	}
	create := func(e *endpoint.Endpoint) provider.RecordChange {
		return provider.RecordChange{Op: provider.OpCreate, New: e}
	}
	del := func(e *endpoint.Endpoint) provider.RecordChange {
		return provider.RecordChange{Op: provider.OpDelete, Old: e}
	}
	// describe lists each Change as its records' names and types, the primary marked.
	describe := func(cs []provider.Change) []string {
		var out []string
		for _, c := range cs {
			var parts []string
			for i, rc := range c.Records {
				p := rc.Op.String() + " " + rc.Endpoint().DNSName + " " + rc.Endpoint().RecordType
				if i == c.Primary && len(c.Records) > 1 {
					p = "*" + p
				}
				parts = append(parts, p)
			}
			if len(c.Records) > 1 && c.Owned != c.Main().Endpoint() {
				parts = append(parts, "(Owned is not the primary)")
			}
			out = append(out, strings.Join(parts, ", "))
		}
		return out
	}
	for _, tt := range []struct {
		name string
		rcs  []provider.RecordChange
		want []string
	}{
		{
			name: "typed prefix, A and AAAA with one set identifier",
			rcs: []provider.RecordChange{create(rec("app.example.com", "A", "blue")), create(rec("app.example.com", "AAAA", "blue")),
				create(own("aaaa-app.example.com", "blue")), create(own("a-app.example.com", "blue"))},
			want: []string{"create a-app.example.com TXT, *create app.example.com A", "create aaaa-app.example.com TXT, *create app.example.com AAAA"},
		},
		{
			name: "deleted: the record first, then its ownership",
			rcs:  []provider.RecordChange{del(own("cname-web.example.com", "")), del(rec("web.example.com", "CNAME", ""))},
			want: []string{"*delete web.example.com CNAME, delete cname-web.example.com TXT"},
		},
		{
			name: "legacy ownership at the record's own name, and a prefix with a dot",
			rcs: []provider.RecordChange{create(own("web.example.com", "")), create(rec("web.example.com", "A", "")),
				create(own("_zk-a.api.example.com", "")), create(rec("api.example.com", "A", ""))},
			want: []string{"create web.example.com TXT, *create web.example.com A", "create _zk-a.api.example.com TXT, *create api.example.com A"},
		},
		{
			name: "not paired: another set identifier, another operation, a plain TXT, no owned record",
			rcs: []provider.RecordChange{create(rec("app.example.com", "A", "blue")), create(own("a-app.example.com", "green")),
				del(own("a-db.example.com", "")), create(rec("db.example.com", "A", "")),
				create(endpoint.New("app.example.com", "TXT", 0, `"v=spf1 -all"`)), create(own("a-lone.example.com", ""))},
			want: []string{"create app.example.com A", "create a-app.example.com TXT", "delete a-db.example.com TXT", "create db.example.com A",
				"create app.example.com TXT", "create a-lone.example.com TXT"},
		},
		{
			name: "a look-alike name is not the owned record",
			rcs:  []provider.RecordChange{create(own("a-app.example.com", "")), create(rec("app.example.org", "A", ""))},
			want: []string{"create a-app.example.com TXT", "create app.example.org A"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := describe(groupOwnership(tt.rcs)); !slices.Equal(got, tt.want) {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}
