package webhook

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/inmemory"
)

// fullEndpointJSON is how external-dns (v0.19, endpoint.Endpoint with encoding/json)
// encodes an endpoint with every field set: field order and names of its struct tags,
// label keys sorted.
const fullEndpointJSON = `{"dnsName":"www.example.com","targets":["192.0.2.1","192.0.2.2"],"recordType":"A","setIdentifier":"blue","recordTTL":300,` +
	`"labels":{"owner":"default","resource":"service/default/web"},"providerSpecific":[{"name":"alias","value":"false"},{"name":"weight","value":"10"}]}`

func fullEndpoint() *endpoint.Endpoint {
	e := endpoint.New("www.example.com", "A", 300, "192.0.2.1", "192.0.2.2")
	e.SetIdentifier = "blue"
	e.Labels = endpoint.Labels{"owner": "default", "resource": "service/default/web"}
	e.ProviderSpecific = endpoint.ProviderSpecific{{Name: "alias", Value: "false"}, {Name: "weight", Value: "10"}}
	return e
}

func TestEndpointWire(t *testing.T) {
	tests := []struct {
		name string
		in   *endpoint.Endpoint
		want string
	}{
		{"every field", fullEndpoint(), fullEndpointJSON},
		// Empty fields are left out, as external-dns's omitempty tags do.
		{"bare", endpoint.New("a.example.com", "TXT", 0, `"v=1"`), `{"dnsName":"a.example.com","targets":["\"v=1\""],"recordType":"TXT"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(toWire(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("encoded\n%s\nwant\n%s", got, tt.want)
			}
			var w wireEndpoint
			if err := json.Unmarshal([]byte(tt.want), &w); err != nil {
				t.Fatal(err)
			}
			back, err := fromWire(w)
			if err != nil {
				t.Fatal(err)
			}
			if back.String() != tt.in.String() || !slices.Equal(back.ProviderSpecific, tt.in.ProviderSpecific) || len(back.Labels) != len(tt.in.Labels) {
				t.Errorf("decoded %s %v %v, want %s", back, back.ProviderSpecific, back.Labels, tt.in)
			}
		})
	}
}

// TestChangesWire: POST /records carries external-dns's plan.Changes keys, each list
// left out when empty, an update's two sides at the same index.
func TestChangesWire(t *testing.T) {
	old := endpoint.New("u.example.com", "A", 60, "192.0.2.9")
	u, err := convert(provider.Change{Records: []provider.RecordChange{
		{Op: provider.OpCreate, New: endpoint.New("c.example.com", "A", 0, "192.0.2.1")},
		{Op: provider.OpUpdate, Old: old, New: endpoint.New("u.example.com", "A", 60, "192.0.2.10")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(u.changes)
	want := `{"create":[{"dnsName":"c.example.com","targets":["192.0.2.1"],"recordType":"A"}],` +
		`"updateOld":[{"dnsName":"u.example.com","targets":["192.0.2.9"],"recordType":"A","recordTTL":60}],` +
		`"updateNew":[{"dnsName":"u.example.com","targets":["192.0.2.10"],"recordType":"A","recordTTL":60}]}`
	if string(got) != want {
		t.Errorf("encoded\n%s\nwant\n%s", got, want)
	}
	if u.size != len(want) {
		t.Errorf("size %d, want %d", u.size, len(want))
	}
}

// negotiator answers GET / with body in contentType, and an empty list of records.
func negotiator(contentType, body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		if r.URL.Path == pathRecords {
			_, _ = w.Write([]byte("[]"))
			return
		}
		_, _ = w.Write([]byte(body))
	})
}

func TestNegotiation(t *testing.T) {
	keepSub, err := endpoint.NewDomainFilter([]string{"app.sub.example.com"}, nil, "", "")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		contentType string
		body        string
		filter      endpoint.DomainFilter
		fallback    []string
		want        []string
		wantErr     string
	}{
		{name: "current shape", body: `{"include":["sub.example.com","example.com"],"exclude":["internal.example.com"]}`, want: []string{"example.com", "sub.example.com"}},
		{name: "shape before v0.14", body: `{"Filters":["Example.COM."]}`, want: []string{"example.com"}},
		{name: "subdomain-only entry names its zone", body: `{"include":[".example.org"]}`, want: []string{"example.org"}},
		{name: "intersected with --domain-filter", body: `{"include":["example.org","example.com","sub.example.com"]}`, filter: keepSub, want: []string{"example.com", "sub.example.com"}},
		{name: "none kept", body: `{"include":["example.org"]}`, filter: keepSub, wantErr: "keeps none"},
		{name: "no filter: --domain-filter gives the zones", body: `{}`, fallback: []string{"example.net", ".example.com"}, want: []string{"example.com", "example.net"}},
		{name: "regex only: --domain-filter gives the zones", body: `{"regexInclude":".*\\.example\\.com$"}`, fallback: []string{"example.com"}, want: []string{"example.com"}},
		{name: "no filter anywhere", body: `{}`, wantErr: "set --domain-filter"},
		{name: "media type with spaces", contentType: "application/external.dns.webhook+json; version=1", body: `{"include":["example.com"]}`, want: []string{"example.com"}},
		{name: "wrong media type", contentType: "application/json", body: `{"include":["example.com"]}`, wantErr: `Content-Type is "application/json"`},
		{name: "other version", contentType: "application/external.dns.webhook+json;version=2", body: `{"include":["example.com"]}`, wantErr: "Content-Type"},
		{name: "not JSON", body: `<html>`, wantErr: "domain filter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct := tt.contentType
			if ct == "" {
				ct = MediaType
			}
			srv := httptest.NewServer(negotiator(ct, tt.body))
			defer srv.Close()
			c := client(t, srv.URL, func(c *Config) { c.DomainFilter, c.FallbackZones = tt.filter, tt.fallback })
			zones, err := c.Zones(context.Background())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Zones: %v, %v; want an error with %q", zones, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, z := range zones {
				got = append(got, z.Name)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("zones %v, want %v", got, tt.want)
			}
		})
	}
}

// TestServerNegotiation: zonekeeper's server answers its zones in the current shape.
func TestServerNegotiation(t *testing.T) {
	srv := httptest.NewServer(NewHandler(ServerConfig{Provider: inmemory.New("example.com", "example.org")}))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != MediaType || string(body) != `{"include":["example.com","example.org"]}` {
		t.Errorf("answered %q %s", ct, body)
	}
}

// TestServerMediaType: the server takes requests in the protocol's media type (or
// without one), and refuses others.
func TestServerMediaType(t *testing.T) {
	srv := httptest.NewServer(NewHandler(ServerConfig{Provider: inmemory.New("example.com")}))
	defer srv.Close()
	tests := []struct {
		name, method, path, accept, contentType, body string
		want                                          int
	}{
		{"negotiation", http.MethodGet, "/", MediaType, "", "", http.StatusOK},
		{"any type accepted", http.MethodGet, "/records", "*/*", "", "", http.StatusOK},
		{"no Accept", http.MethodGet, "/records", "", "", "", http.StatusOK},
		{"Accept of another type", http.MethodGet, "/records", "text/html", "", "", http.StatusNotAcceptable},
		{"apply", http.MethodPost, "/records", MediaType, MediaType, `{"create":[{"dnsName":"a.example.com","recordType":"A","targets":["192.0.2.1"]}]}`, http.StatusNoContent},
		{"apply in another type", http.MethodPost, "/records", MediaType, "application/xml", `{}`, http.StatusUnsupportedMediaType},
		{"malformed body", http.MethodPost, "/records", MediaType, MediaType, `{"create":`, http.StatusBadRequest},
		{"update without its new side", http.MethodPost, "/records", MediaType, MediaType, `{"updateOld":[{"dnsName":"a.example.com","recordType":"A","targets":["192.0.2.1"]}]}`, http.StatusBadRequest},
		{"unknown path", http.MethodGet, "/applychanges", MediaType, "", "", http.StatusNotFound},
		{"wrong method", http.MethodDelete, "/records", MediaType, "", "", http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			if tt.accept != "" {
				req.Header.Set("Accept", tt.accept)
			}
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}

func TestCheckURL(t *testing.T) {
	tests := []struct {
		url       string
		insecure  bool
		wantErr   string
		wantWarns bool
	}{
		{url: "http://localhost:8888"},
		{url: "http://127.0.0.1:8888"},
		{url: "http://[::1]:8888"},
		{url: "https://dns-webhook.example.com"},
		{url: "unix:///run/webhook/provider.sock"},
		{url: "http://10.0.0.5:8888", wantErr: "--webhook-provider-insecure"},
		{url: "http://10.0.0.5:8888", insecure: true, wantWarns: true},
		{url: "unix://relative.sock", wantErr: "unix:///absolute/path"},
		{url: "ftp://localhost", wantErr: "want an http, https or unix URL"},
		{url: "http://", wantErr: "no host"},
	}
	for _, tt := range tests {
		_, warning, err := CheckURL(tt.url, tt.insecure)
		switch {
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%s: %v, want an error with %q", tt.url, err, tt.wantErr)
		case tt.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tt.url, err)
		case tt.wantWarns != (warning != ""):
			t.Errorf("%s: warning %q", tt.url, warning)
		}
	}
}

// TestUnixSocket: unix:///path sends the protocol over a unix socket.
func TestUnixSocket(t *testing.T) {
	dir, err := os.MkdirTemp("", "wh") // short: a socket path has at most 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	socket := filepath.Join(dir, "provider.sock")
	ln, err := net.Listen("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: NewHandler(ServerConfig{Provider: inmemory.New("example.com")})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	c := client(t, "unix://"+socket, nil)
	zones, err := c.Zones(context.Background())
	if err != nil || len(zones) != 1 || zones[0].Name != "example.com" {
		t.Fatalf("Zones over %s: %v, %v", socket, zones, err)
	}
	rec := endpoint.New("www.example.com", "A", 0, "192.0.2.1")
	if err := c.Apply(context.Background(), zones[0], []provider.Change{{Records: []provider.RecordChange{{Op: provider.OpCreate, New: rec}}}}); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Records(context.Background(), zones[0]); err != nil || len(got) != 1 {
		t.Errorf("Records over %s: %v, %v", socket, got, err)
	}
}

// TestTXTFromWire checks that a TXT target read from a webhook provider is in
// zonekeeper's quoted form whether the provider sent the quotes or not: external-dns's
// RFC2136 provider returns ownership values bare, and without quoting each of them would
// differ from what was written and be updated at every reconcile.
func TestTXTFromWire(t *testing.T) {
	for _, tt := range []struct {
		recordType string
		targets    []string
		want       []string
	}{
		{"TXT", []string{"heritage=external-dns,external-dns/owner=a"}, []string{`"heritage=external-dns,external-dns/owner=a"`}},
		{"TXT", []string{`"v=spf1 -all"`, "bare"}, []string{`"v=spf1 -all"`, `"bare"`}},
		{"TXT", []string{""}, []string{`""`}},
		{"txt", []string{`"`}, []string{`"""`}},
		{"CNAME", []string{"web.example.com"}, []string{"web.example.com"}},
	} {
		e, err := fromWire(wireEndpoint{DNSName: "x.example.com", RecordType: tt.recordType, Targets: tt.targets})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal([]string(e.Targets), tt.want) {
			t.Errorf("%s %q: targets %q, want %q", tt.recordType, tt.targets, e.Targets, tt.want)
		}
	}
}
