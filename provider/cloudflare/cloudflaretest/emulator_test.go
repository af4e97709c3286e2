package cloudflaretest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudflare/cloudflare-go/v7"
	"github.com/cloudflare/cloudflare-go/v7/dns"
	"github.com/cloudflare/cloudflare-go/v7/option"
	"github.com/cloudflare/cloudflare-go/v7/zones"

	"github.com/zonekeeper/zonekeeper/provider/cloudflare/cloudflaretest"
)

const testToken = "test-token"

// newClient returns the real SDK client pointed at an emulator, without the SDK's own retries
// so that every injected fault reaches the test.
func newClient(baseURL string, opts ...option.RequestOption) *cloudflare.Client {
	return cloudflare.NewClient(append([]option.RequestOption{
		option.WithBaseURL(baseURL),
		option.WithAPIToken(testToken),
		option.WithMaxRetries(0),
	}, opts...)...)
}

func start(t *testing.T, opts cloudflaretest.Options) (*cloudflaretest.Emulator, *cloudflare.Client, string) {
	t.Helper()
	opts.Token = testToken
	e, url := cloudflaretest.Start(t, opts)
	return e, newClient(url), e.CreateZone("example.com")
}

// apiFailure is what a failed call reported: the HTTP status, every error code (chains
// flattened, outermost first) and the source pointer of the first error.
type apiFailure struct {
	status  int
	codes   []int
	pointer string
	header  http.Header
}

func failureOf(t *testing.T, err error) apiFailure {
	t.Helper()
	var apiErr *cloudflare.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("error %v is not an API error", err)
	}
	var body struct {
		Errors []struct {
			Code       int `json:"code"`
			ErrorChain []struct {
				Code int `json:"code"`
			} `json:"error_chain"`
			Source struct {
				Pointer string `json:"pointer"`
			} `json:"source"`
		} `json:"errors"`
		Success bool `json:"success"`
	}
	if err := json.Unmarshal([]byte(apiErr.JSON.RawJSON()), &body); err != nil {
		t.Fatalf("error body %q: %v", apiErr.JSON.RawJSON(), err)
	}
	if body.Success || len(body.Errors) == 0 {
		t.Fatalf("error body %q has success=true or no errors", apiErr.JSON.RawJSON())
	}
	f := apiFailure{status: apiErr.StatusCode, pointer: body.Errors[0].Source.Pointer, header: apiErr.Response.Header}
	for _, e := range body.Errors {
		f.codes = append(f.codes, e.Code)
		for _, c := range e.ErrorChain {
			f.codes = append(f.codes, c.Code)
		}
	}
	return f
}

// resultInfo is the envelope's pagination block; the SDK decodes only page and per_page of it.
type resultInfo struct {
	Page       int `json:"page"`
	PerPage    int `json:"per_page"`
	Count      int `json:"count"`
	TotalCount int `json:"total_count"`
	TotalPages int `json:"total_pages"`
}

func resultInfoOf(t *testing.T, raw string) resultInfo {
	t.Helper()
	var body struct {
		ResultInfo *resultInfo `json:"result_info"`
	}
	if err := json.Unmarshal([]byte(raw), &body); err != nil || body.ResultInfo == nil {
		t.Fatalf("list answer %.200q has no result_info (%v)", raw, err)
	}
	return *body.ResultInfo
}

func aRecord(name, content string, ttl float64, proxied bool) dns.ARecordParam {
	return dns.ARecordParam{
		Name: cloudflare.F(name), Type: cloudflare.F(dns.ARecordTypeA), Content: cloudflare.F(content),
		TTL: cloudflare.F(dns.TTL(ttl)), Proxied: cloudflare.F(proxied),
	}
}

func cnameRecord(name, content string) dns.CNAMERecordParam {
	return dns.CNAMERecordParam{
		Name: cloudflare.F(name), Type: cloudflare.F(dns.CNAMERecordTypeCNAME), Content: cloudflare.F(content),
		TTL: cloudflare.F(dns.TTL(1)),
	}
}

func txtRecord(name, content string) dns.TXTRecordParam {
	return dns.TXTRecordParam{
		Name: cloudflare.F(name), Type: cloudflare.F(dns.TXTRecordTypeTXT), Content: cloudflare.F(content),
		TTL: cloudflare.F(dns.TTL(1)),
	}
}

func create(t *testing.T, c *cloudflare.Client, zoneID string, body dns.RecordNewParamsBodyUnion) *dns.RecordResponse {
	t.Helper()
	r, err := c.DNS.Records.New(context.Background(), dns.RecordNewParams{ZoneID: cloudflare.F(zoneID), Body: body})
	if err != nil {
		t.Fatalf("create %+v: %v", body, err)
	}
	return r
}

func TestZonesListAndGet(t *testing.T) {
	e, c, exampleID := start(t, cloudflaretest.Options{})
	otherID := e.CreateZone("Other.Example.")
	if again := e.CreateZone("example.com"); again != exampleID {
		t.Errorf("CreateZone of an existing name gave %s, want %s", again, exampleID)
	}
	for _, id := range []string{exampleID, otherID} {
		if len(id) != 32 || strings.Trim(id, "0123456789abcdef") != "" {
			t.Errorf("zone id %q is not 32 hex digits", id)
		}
	}
	ctx := context.Background()
	tests := []struct {
		filter string
		want   []string
	}{
		{"", []string{"example.com", "other.example"}},
		{"example.com", []string{"example.com"}},
		{"other.example", []string{"other.example"}},
		{"contains:example", []string{"example.com", "other.example"}},
		{"missing.org", nil},
	}
	for _, tt := range tests {
		params := zones.ZoneListParams{}
		if tt.filter != "" {
			params.Name = cloudflare.F(tt.filter)
		}
		page, err := c.Zones.List(ctx, params)
		if err != nil {
			t.Fatalf("list %q: %v", tt.filter, err)
		}
		var got []string
		for _, z := range page.Result {
			got = append(got, z.Name)
		}
		if info := resultInfoOf(t, page.JSON.RawJSON()); !slices.Equal(got, tt.want) || info.TotalCount != len(tt.want) {
			t.Errorf("list %q = %v (total %v), want %v", tt.filter, got, info.TotalCount, tt.want)
		}
	}
	z, err := c.Zones.Get(ctx, zones.ZoneGetParams{ZoneID: cloudflare.F(otherID)})
	if err != nil || z.Name != "other.example" || z.ID != otherID || z.Status != zones.ZoneStatusActive {
		t.Errorf("get = %+v, %v", z, err)
	}
	_, err = c.Zones.Get(ctx, zones.ZoneGetParams{ZoneID: cloudflare.F("00000000000000000000000000000000")})
	if f := failureOf(t, err); f.status != http.StatusNotFound || f.codes[0] != cloudflaretest.CodeZoneNotFound {
		t.Errorf("get of a missing zone: %+v", f)
	}
	if got := e.Calls(); got[cloudflaretest.OpZonesList] != len(tests) || got[cloudflaretest.OpZonesGet] != 2 {
		t.Errorf("calls = %v", got)
	}
}

func TestRecordLifecycle(t *testing.T) {
	e, c, zoneID := start(t, cloudflaretest.Options{})
	ctx := context.Background()

	proxied := aRecord("WWW", "203.0.113.7", 300, true)
	proxied.Comment = cloudflare.F("made by a test")
	proxied.Tags = cloudflare.F([]dns.RecordTagsParam{"owner:zonekeeper"})
	r := create(t, c, zoneID, proxied)
	if r.Name != "www.example.com" || r.TTL != 1 || !r.Proxied || !r.Proxiable || r.Comment != "made by a test" {
		t.Errorf("created proxied record = %+v, want name www.example.com, ttl 1, proxied, proxiable", r)
	}
	if len(r.ID) != 32 || r.CreatedOn.IsZero() || r.ModifiedOn.IsZero() {
		t.Errorf("created record lacks a 32-hex id or timestamps: %+v", r)
	}
	private := create(t, c, zoneID, aRecord("internal.example.com.", "10.1.2.3", 120, false))
	if private.Proxiable || private.TTL != 120 {
		t.Errorf("private record = proxiable %v ttl %v, want not proxiable, ttl 120", private.Proxiable, private.TTL)
	}
	v6 := create(t, c, zoneID, dns.AAAARecordParam{
		Name: cloudflare.F("@"), Type: cloudflare.F(dns.AAAARecordTypeAAAA),
		Content: cloudflare.F("2001:DB8:0:0::1"), TTL: cloudflare.F(dns.TTL(60)),
	})
	if v6.Name != "example.com" || v6.Content != "2001:db8::1" {
		t.Errorf("AAAA at @ = %s %s, want example.com 2001:db8::1", v6.Name, v6.Content)
	}

	got, err := c.DNS.Records.Get(ctx, r.ID, dns.RecordGetParams{ZoneID: cloudflare.F(zoneID)})
	if err != nil || got.Content != "203.0.113.7" {
		t.Fatalf("get = %+v, %v", got, err)
	}

	// PATCH changes what it carries and keeps the rest.
	patched, err := c.DNS.Records.Edit(ctx, r.ID, dns.RecordEditParams{
		ZoneID: cloudflare.F(zoneID),
		Body:   dns.ARecordParam{Content: cloudflare.F("203.0.113.8")},
	})
	if err != nil || patched.Content != "203.0.113.8" || !patched.Proxied || patched.Comment != "made by a test" {
		t.Errorf("patch = %+v, %v; want new content, still proxied and commented", patched, err)
	}
	// PUT replaces the record: what it does not carry falls back to its default.
	put, err := c.DNS.Records.Update(ctx, r.ID, dns.RecordUpdateParams{
		ZoneID: cloudflare.F(zoneID),
		Body:   aRecord("www.example.com", "203.0.113.9", 600, false),
	})
	if err != nil || put.Content != "203.0.113.9" || put.Proxied || put.TTL != 600 || put.Comment != "" {
		t.Errorf("put = %+v, %v; want new content, not proxied, ttl 600, no comment", put, err)
	}
	if put.ID != r.ID || !put.CreatedOn.Equal(r.CreatedOn) {
		t.Errorf("put changed the id or creation time: %+v", put)
	}

	if _, err := c.DNS.Records.Delete(ctx, r.ID, dns.RecordDeleteParams{ZoneID: cloudflare.F(zoneID)}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	_, err = c.DNS.Records.Get(ctx, r.ID, dns.RecordGetParams{ZoneID: cloudflare.F(zoneID)})
	if f := failureOf(t, err); f.status != http.StatusNotFound || f.codes[0] != cloudflaretest.CodeRecordNotFound {
		t.Errorf("get after delete: %+v", f)
	}
	_, err = c.DNS.Records.Delete(ctx, r.ID, dns.RecordDeleteParams{ZoneID: cloudflare.F(zoneID)})
	if f := failureOf(t, err); f.codes[0] != cloudflaretest.CodeRecordNotFound {
		t.Errorf("second delete: %+v", f)
	}

	left := e.Records(zoneID)
	if len(left) != 2 || left[0].Name != "example.com" || left[1].Name != "internal.example.com" {
		t.Errorf("records left = %+v", left)
	}
	want := map[string]int{
		cloudflaretest.OpRecordsCreate: 3, cloudflaretest.OpRecordsGet: 2, cloudflaretest.OpRecordsPatch: 1,
		cloudflaretest.OpRecordsUpdate: 1, cloudflaretest.OpRecordsDelete: 2,
	}
	if calls := e.Calls(); !maps.Equal(calls, want) {
		t.Errorf("calls = %v, want %v", calls, want)
	}
}

func TestRecordErrors(t *testing.T) {
	mx := func(priority *float64) dns.MXRecordParam {
		p := dns.MXRecordParam{
			Name: cloudflare.F("mail.example.com"), Type: cloudflare.F(dns.MXRecordTypeMX),
			Content: cloudflare.F("mx.example.net"), TTL: cloudflare.F(dns.TTL(1)),
		}
		if priority != nil {
			p.Priority = cloudflare.F(*priority)
		}
		return p
	}
	ten := 10.0
	withTags := func(tags ...string) dns.ARecordParam {
		r := aRecord("tagged.example.com", "192.0.2.1", 1, false)
		r.Tags = cloudflare.F(tags)
		return r
	}
	tests := []struct {
		name      string
		body      dns.RecordNewParamsBodyUnion
		wantCodes []int // nil: the create succeeds
	}{
		{"identical A", aRecord("a.example.com", "192.0.2.1", 300, false), []int{81058}},
		{"identical A, other TTL and proxy", aRecord("a.example.com", "192.0.2.1", 1, true), []int{81058}},
		{"second A value", aRecord("a.example.com", "192.0.2.2", 300, false), nil},
		{"identical TXT", txtRecord("t.example.com", `"heritage=external-dns"`), []int{81058}},
		{"CNAME beside A", cnameRecord("a.example.com", "target.example.net"), []int{81053}},
		{"CNAME beside CNAME", cnameRecord("c.example.com", "other.example.net"), []int{81053}},
		{"A beside CNAME", aRecord("c.example.com", "192.0.2.9", 1, false), []int{81054}},
		{"TXT beside CNAME", txtRecord("c.example.com", "x"), nil},
		{"A with IPv6", aRecord("v.example.com", "2001:db8::1", 1, false), []int{9005}},
		{"A with a name", aRecord("v.example.com", "host.example.net", 1, false), []int{9005}},
		{"AAAA with IPv4", dns.AAAARecordParam{Name: cloudflare.F("v.example.com"), Type: cloudflare.F(dns.AAAARecordTypeAAAA), Content: cloudflare.F("192.0.2.1"), TTL: cloudflare.F(dns.TTL(1))}, []int{9006}},
		{"CNAME to an IP", cnameRecord("n.example.com", "192.0.2.1"), []int{9007}},
		{"CNAME to a bad host", cnameRecord("n.example.com", "bad host"), []int{9007}},
		{"TTL below 60", aRecord("ttl.example.com", "192.0.2.1", 30, false), []int{1004, 9021}},
		{"TTL above 86400", aRecord("ttl.example.com", "192.0.2.1", 86401, false), []int{1004, 9021}},
		{"TTL 0", aRecord("ttl.example.com", "192.0.2.1", 0, false), []int{1004, 9021}},
		{"TTL 60", aRecord("ttl.example.com", "192.0.2.1", 60, false), nil},
		{"proxied TXT", dns.TXTRecordParam{Name: cloudflare.F("p.example.com"), Type: cloudflare.F(dns.TXTRecordTypeTXT), Content: cloudflare.F("x"), Proxied: cloudflare.F(true)}, []int{1004, 9004}},
		{"proxied MX", func() dns.MXRecordParam { p := mx(&ten); p.Proxied = cloudflare.F(true); return p }(), []int{1004, 9004}},
		{"proxied private A", aRecord("p.example.com", "10.0.0.1", 1, true), []int{9003}},
		{"proxied loopback A", aRecord("p.example.com", "127.0.0.1", 1, true), []int{9003}},
		{"MX without priority", mx(nil), []int{9101}},
		{"MX with priority", mx(&ten), nil},
		{"tag without colon", withTags("owner"), []int{9101}},
		{"tag name twice", withTags("a:1", "A:2"), []int{9101}},
		{"bad name", aRecord("bad name.example.com", "192.0.2.1", 1, false), []int{1004, 9000}},
		{"long label", aRecord(strings.Repeat("x", 64)+".example.com", "192.0.2.1", 1, false), []int{1004, 9000}},
		{"TXT too long", txtRecord("long.example.com", strings.Repeat("x", 4081)), []int{9101}},
	}
	_, c, zoneID := start(t, cloudflaretest.Options{})
	create(t, c, zoneID, aRecord("a.example.com", "192.0.2.1", 300, false))
	create(t, c, zoneID, txtRecord("t.example.com", `"heritage=external-dns"`))
	create(t, c, zoneID, cnameRecord("c.example.com", "target.example.net"))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.DNS.Records.New(context.Background(), dns.RecordNewParams{ZoneID: cloudflare.F(zoneID), Body: tt.body})
			if tt.wantCodes == nil {
				if err != nil {
					t.Fatalf("create failed: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("create succeeded, want codes %v", tt.wantCodes)
			}
			if f := failureOf(t, err); f.status != http.StatusBadRequest || !slices.Equal(f.codes, tt.wantCodes) {
				t.Errorf("failure = status %d codes %v, want 400 %v", f.status, f.codes, tt.wantCodes)
			}
		})
	}
}

func TestUpdateConflicts(t *testing.T) {
	_, c, zoneID := start(t, cloudflaretest.Options{})
	ctx := context.Background()
	first := create(t, c, zoneID, aRecord("a.example.com", "192.0.2.1", 1, false))
	second := create(t, c, zoneID, aRecord("a.example.com", "192.0.2.2", 1, false))
	create(t, c, zoneID, cnameRecord("c.example.com", "target.example.net"))
	tests := []struct {
		name      string
		id        string
		body      dns.ARecordParam
		wantCodes []int
	}{
		{"to its own content", first.ID, dns.ARecordParam{Content: cloudflare.F("192.0.2.1"), TTL: cloudflare.F(dns.TTL(300))}, nil},
		{"to another record's content", second.ID, dns.ARecordParam{Content: cloudflare.F("192.0.2.1")}, []int{81058}},
		{"onto a CNAME's name", second.ID, dns.ARecordParam{Name: cloudflare.F("c.example.com")}, []int{81054}},
		{"bad TTL", second.ID, dns.ARecordParam{TTL: cloudflare.F(dns.TTL(59))}, []int{1004, 9021}},
		{"missing record", "ffffffffffffffffffffffffffffffff", dns.ARecordParam{TTL: cloudflare.F(dns.TTL(60))}, []int{81044}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.DNS.Records.Edit(ctx, tt.id, dns.RecordEditParams{ZoneID: cloudflare.F(zoneID), Body: tt.body})
			if tt.wantCodes == nil {
				if err != nil {
					t.Fatalf("patch failed: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("patch succeeded, want codes %v", tt.wantCodes)
			}
			if f := failureOf(t, err); !slices.Equal(f.codes, tt.wantCodes) {
				t.Errorf("codes = %v, want %v", f.codes, tt.wantCodes)
			}
		})
	}
}

func TestPagination(t *testing.T) {
	e, c, zoneID := start(t, cloudflaretest.Options{})
	ctx := context.Background()
	const total = 1234
	var posts []dns.RecordBatchParamsPostUnion
	for i := range total {
		posts = append(posts, aRecord(fmt.Sprintf("host-%04d.example.com", i), "192.0.2.1", 1, false))
		if len(posts) == 200 || i == total-1 {
			if _, err := c.DNS.Records.Batch(ctx, dns.RecordBatchParams{ZoneID: cloudflare.F(zoneID), Posts: cloudflare.F(posts)}); err != nil {
				t.Fatalf("batch: %v", err)
			}
			posts = nil
		}
	}
	create(t, c, zoneID, txtRecord("host-0007.example.com", "owned"))

	tests := []struct {
		perPage, page                 float64
		wantPerPage, wantCount, first int
	}{
		{100, 1, 100, 100, 0},
		{100, 13, 100, 35, 1199}, // the TXT at host-0007 takes a slot before
		{100, 14, 100, 0, -1},
		{1000, 2, 1000, 235, 999},
		{10000, 1, 5000, total + 1, 0},
		{1, 1, 5, 5, 0},
	}
	for _, tt := range tests {
		page, err := c.DNS.Records.List(ctx, dns.RecordListParams{
			ZoneID: cloudflare.F(zoneID), PerPage: cloudflare.F(tt.perPage), Page: cloudflare.F(tt.page),
		})
		if err != nil {
			t.Fatalf("list per_page %v page %v: %v", tt.perPage, tt.page, err)
		}
		info := resultInfoOf(t, page.JSON.RawJSON())
		wantPages := (total + 1 + tt.wantPerPage - 1) / tt.wantPerPage
		if len(page.Result) != tt.wantCount || info.Count != tt.wantCount || info.PerPage != tt.wantPerPage ||
			info.Page != int(tt.page) || info.TotalCount != total+1 || info.TotalPages != wantPages ||
			page.ResultInfo.PerPage != int64(tt.wantPerPage) {
			t.Errorf("per_page %v page %v: %d results, result_info %+v", tt.perPage, tt.page, len(page.Result), info)
		}
		if tt.first >= 0 && len(page.Result) > 0 && page.Result[0].Name != fmt.Sprintf("host-%04d.example.com", tt.first) {
			t.Errorf("per_page %v page %v starts at %s", tt.perPage, tt.page, page.Result[0].Name)
		}
	}

	e.ResetCounters()
	iter := c.DNS.Records.ListAutoPaging(ctx, dns.RecordListParams{ZoneID: cloudflare.F(zoneID), PerPage: cloudflare.F(500.0)})
	seen := map[string]bool{}
	for iter.Next() {
		seen[iter.Current().ID] = true
	}
	if err := iter.Err(); err != nil || len(seen) != total+1 {
		t.Errorf("auto-paging saw %d distinct records (err %v), want %d", len(seen), err, total+1)
	}
	// Three full pages and the empty one that tells the SDK to stop.
	if got := e.Calls()[cloudflaretest.OpRecordsList]; got != 4 {
		t.Errorf("auto-paging made %d list calls, want 4", got)
	}

	filtered, err := c.DNS.Records.List(ctx, dns.RecordListParams{
		ZoneID: cloudflare.F(zoneID),
		Name:   cloudflare.F(dns.RecordListParamsName{Exact: cloudflare.F("HOST-0007.example.com")}),
	})
	if err != nil || len(filtered.Result) != 2 {
		t.Fatalf("name filter: %d results, %v", len(filtered.Result), err)
	}
	typed, err := c.DNS.Records.List(ctx, dns.RecordListParams{
		ZoneID: cloudflare.F(zoneID),
		Name:   cloudflare.F(dns.RecordListParamsName{Exact: cloudflare.F("host-0007.example.com")}),
		Type:   cloudflare.F(dns.RecordListParamsTypeTXT),
	})
	if err != nil || len(typed.Result) != 1 || typed.Result[0].Content != "owned" {
		t.Errorf("name and type filter: %+v, %v", typed, err)
	}
}

func TestBatch(t *testing.T) {
	ctx := context.Background()
	batch := func(c *cloudflare.Client, zoneID string, p dns.RecordBatchParams) (*dns.RecordBatchResponse, error) {
		p.ZoneID = cloudflare.F(zoneID)
		return c.DNS.Records.Batch(ctx, p)
	}
	names := func(e *cloudflaretest.Emulator, zoneID string) []string {
		var out []string
		for _, r := range e.Records(zoneID) {
			out = append(out, r.Name+" "+r.Type+" "+r.Content)
		}
		return out
	}

	t.Run("order: deletes, patches, puts, posts", func(t *testing.T) {
		e, c, zoneID := start(t, cloudflaretest.Options{})
		cname := create(t, c, zoneID, cnameRecord("app.example.com", "lb.example.net"))
		txt := create(t, c, zoneID, txtRecord("cname-app.example.com", "owner=a"))
		other := create(t, c, zoneID, aRecord("other.example.com", "192.0.2.1", 1, false))
		// The A at app.example.com can only be posted once the CNAME there is deleted, and the
		// put of other.example.com to 192.0.2.3 only after the patch moved it away from .2.
		res, err := batch(c, zoneID, dns.RecordBatchParams{
			Posts: cloudflare.F([]dns.RecordBatchParamsPostUnion{
				aRecord("app.example.com", "192.0.2.10", 1, false),
				txtRecord("a-app.example.com", "owner=a"),
			}),
			Puts: cloudflare.F([]dns.BatchPutUnionParam{dns.BatchPutARecordParam{
				ID: cloudflare.F(other.ID), ARecordParam: aRecord("other.example.com", "192.0.2.3", 300, false),
			}}),
			Patches: cloudflare.F([]dns.BatchPatchUnionParam{dns.BatchPatchARecordParam{
				ID: cloudflare.F(other.ID), ARecordParam: dns.ARecordParam{Content: cloudflare.F("192.0.2.2")},
			}}),
			Deletes: cloudflare.F([]dns.RecordBatchParamsDelete{{ID: cloudflare.F(cname.ID)}, {ID: cloudflare.F(txt.ID)}}),
		})
		if err != nil {
			t.Fatalf("batch: %v", err)
		}
		if len(res.Deletes) != 2 || len(res.Patches) != 1 || len(res.Puts) != 1 || len(res.Posts) != 2 ||
			res.Patches[0].Content != "192.0.2.2" || res.Puts[0].Content != "192.0.2.3" || res.Posts[0].Name != "app.example.com" {
			t.Errorf("batch result = %+v", res)
		}
		want := []string{"a-app.example.com TXT owner=a", "app.example.com A 192.0.2.10", "other.example.com A 192.0.2.3"}
		if got := names(e, zoneID); !slices.Equal(got, want) {
			t.Errorf("records = %v, want %v", got, want)
		}
		if got := e.Calls()[cloudflaretest.OpRecordsBatch]; got != 1 {
			t.Errorf("batch calls = %d, want 1", got)
		}
	})

	t.Run("one bad operation applies nothing", func(t *testing.T) {
		tests := []struct {
			name        string
			params      func(keep, gone string) dns.RecordBatchParams
			wantPointer string
			wantCodes   []int
		}{
			{"bad post", func(keep, gone string) dns.RecordBatchParams {
				return dns.RecordBatchParams{
					Deletes: cloudflare.F([]dns.RecordBatchParamsDelete{{ID: cloudflare.F(gone)}}),
					Posts: cloudflare.F([]dns.RecordBatchParamsPostUnion{
						aRecord("new1.example.com", "192.0.2.5", 1, false),
						aRecord("new2.example.com", "192.0.2.6", 1, false),
						aRecord("new3.example.com", "not-an-ip", 1, false),
					}),
				}
			}, "/posts/2", []int{9005}},
			{"duplicate within the batch", func(keep, gone string) dns.RecordBatchParams {
				return dns.RecordBatchParams{
					Posts: cloudflare.F([]dns.RecordBatchParamsPostUnion{
						aRecord("dup.example.com", "192.0.2.5", 1, false),
						aRecord("dup.example.com", "192.0.2.5", 1, false),
					}),
				}
			}, "/posts/1", []int{81058}},
			{"delete of a missing record", func(keep, gone string) dns.RecordBatchParams {
				return dns.RecordBatchParams{
					Deletes: cloudflare.F([]dns.RecordBatchParamsDelete{{ID: cloudflare.F(gone)}, {ID: cloudflare.F("ffffffffffffffffffffffffffffffff")}}),
				}
			}, "/deletes/1", []int{81044}},
			{"bad patch after a good put", func(keep, gone string) dns.RecordBatchParams {
				return dns.RecordBatchParams{
					Patches: cloudflare.F([]dns.BatchPatchUnionParam{dns.BatchPatchARecordParam{
						ID: cloudflare.F(keep), ARecordParam: dns.ARecordParam{TTL: cloudflare.F(dns.TTL(5))},
					}}),
					Puts: cloudflare.F([]dns.BatchPutUnionParam{dns.BatchPutARecordParam{
						ID: cloudflare.F(gone), ARecordParam: aRecord("gone.example.com", "192.0.2.99", 60, false),
					}}),
				}
			}, "/patches/0", []int{1004, 9021}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e, c, zoneID := start(t, cloudflaretest.Options{})
				keep := create(t, c, zoneID, aRecord("keep.example.com", "192.0.2.1", 1, false))
				gone := create(t, c, zoneID, aRecord("gone.example.com", "192.0.2.2", 1, false))
				before := e.Records(zoneID)
				_, err := batch(c, zoneID, tt.params(keep.ID, gone.ID))
				if err == nil {
					t.Fatal("batch succeeded")
				}
				f := failureOf(t, err)
				if f.status != http.StatusBadRequest || f.pointer != tt.wantPointer || !slices.Equal(f.codes, tt.wantCodes) {
					t.Errorf("failure = status %d pointer %q codes %v, want 400 %q %v", f.status, f.pointer, f.codes, tt.wantPointer, tt.wantCodes)
				}
				after := e.Records(zoneID)
				if len(after) != len(before) {
					t.Fatalf("records after a failed batch = %+v, want %+v", after, before)
				}
				for i := range before {
					if after[i].ID != before[i].ID || after[i].Content != before[i].Content || after[i].TTL != before[i].TTL {
						t.Errorf("record %d changed: %+v, was %+v", i, after[i], before[i])
					}
				}
			})
		}
	})

	t.Run("size limit", func(t *testing.T) {
		e, c, zoneID := start(t, cloudflaretest.Options{MaxBatchOperations: 3})
		posts := func(n int) dns.RecordBatchParams {
			var p []dns.RecordBatchParamsPostUnion
			for i := range n {
				p = append(p, aRecord(fmt.Sprintf("n%d.example.com", i), "192.0.2.1", 1, false))
			}
			return dns.RecordBatchParams{Posts: cloudflare.F(p)}
		}
		_, err := batch(c, zoneID, posts(4))
		if f := failureOf(t, err); f.codes[0] != cloudflaretest.CodeBatchTooLarge {
			t.Errorf("4 operations: codes %v", f.codes)
		}
		if len(e.Records(zoneID)) != 0 {
			t.Errorf("a refused batch left records")
		}
		if _, err := batch(c, zoneID, posts(3)); err != nil {
			t.Errorf("3 operations: %v", err)
		}
	})
}

func TestFaults(t *testing.T) {
	ctx := context.Background()
	outcomes := func(opts cloudflaretest.Options, n int) []int {
		_, c, zoneID := start(t, opts)
		var out []int
		for range n {
			_, err := c.DNS.Records.List(ctx, dns.RecordListParams{ZoneID: cloudflare.F(zoneID)})
			status := http.StatusOK
			if err != nil {
				status = failureOf(t, err).status
			}
			out = append(out, status)
		}
		return out
	}
	faulty := cloudflaretest.Options{RateLimitRate: 0.2, ServerErrorRate: 0.2, Seed: 7}
	first, second := outcomes(faulty, 60), outcomes(faulty, 60)
	if !slices.Equal(first, second) {
		t.Errorf("same seed, different faults:\n%v\n%v", first, second)
	}
	for _, status := range []int{http.StatusOK, http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway} {
		if !slices.Contains(first, status) {
			t.Errorf("60 calls at 20%%+20%% faults never answered %d: %v", status, first)
		}
	}
	faulty.Seed = 8
	if slices.Equal(first, outcomes(faulty, 60)) {
		t.Errorf("seeds 7 and 8 gave the same faults")
	}

	tests := []struct {
		name           string
		opts           cloudflaretest.Options
		wantStatus     int
		wantCode       int
		wantRetryAfter string
		wantFault      string
	}{
		{"429 with Retry-After rounded up", cloudflaretest.Options{RateLimitRate: 1, RetryAfter: 1500 * time.Millisecond}, 429, cloudflaretest.CodeRateLimited, "2", "429"},
		{"429 with Retry-After at least 1", cloudflaretest.Options{RateLimitRate: 1}, 429, cloudflaretest.CodeRateLimited, "1", "429"},
		{"server error", cloudflaretest.Options{ServerErrorRate: 1, Seed: 3}, 0, cloudflaretest.CodeServiceUnavailable, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, c, zoneID := start(t, tt.opts)
			_, err := c.DNS.Records.New(ctx, dns.RecordNewParams{ZoneID: cloudflare.F(zoneID), Body: aRecord("x.example.com", "192.0.2.1", 1, false)})
			f := failureOf(t, err)
			if tt.wantStatus != 0 && f.status != tt.wantStatus || tt.wantStatus == 0 && f.status != 500 && f.status != 502 {
				t.Errorf("status %d", f.status)
			}
			if f.codes[0] != tt.wantCode || f.header.Get("Retry-After") != tt.wantRetryAfter {
				t.Errorf("codes %v Retry-After %q, want %d %q", f.codes, f.header.Get("Retry-After"), tt.wantCode, tt.wantRetryAfter)
			}
			wantFault := tt.wantFault
			if wantFault == "" {
				wantFault = fmt.Sprint(f.status)
			}
			if got := e.Faults(); got[wantFault] != 1 || len(got) != 1 {
				t.Errorf("faults = %v, want one %s", got, wantFault)
			}
			if got := e.Calls()[cloudflaretest.OpRecordsCreate]; got != 1 {
				t.Errorf("faulted create counted %d times, want 1", got)
			}
			if len(e.Records(zoneID)) != 0 {
				t.Errorf("a faulted create stored a record")
			}
			e.SetFaults(cloudflaretest.Options{})
			create(t, c, zoneID, aRecord("x.example.com", "192.0.2.1", 1, false))
			e.ResetCounters()
			if len(e.Calls()) != 0 || len(e.Faults()) != 0 {
				t.Errorf("counters after reset: %v %v", e.Calls(), e.Faults())
			}
		})
	}

	t.Run("the SDK retries a 429 after Retry-After", func(t *testing.T) {
		// With seed 1 the first draw is under 0.5 and the second over: a 429, then an answer.
		e, url := cloudflaretest.Start(t, cloudflaretest.Options{RateLimitRate: 0.5, Seed: 1, Token: testToken})
		zoneID := e.CreateZone("example.com")
		c := newClient(url, option.WithMaxRetries(1))
		if _, err := c.DNS.Records.List(ctx, dns.RecordListParams{ZoneID: cloudflare.F(zoneID)}); err != nil {
			t.Errorf("list with one retry: %v", err)
		}
		if calls, faults := e.Calls()[cloudflaretest.OpRecordsList], e.Faults()["429"]; calls != 2 || faults != 1 {
			t.Errorf("list calls = %d, 429s = %d, want 2 and 1", calls, faults)
		}
	})
}

func TestAuthentication(t *testing.T) {
	e, url := cloudflaretest.Start(t, cloudflaretest.Options{Token: "right"})
	zoneID := e.CreateZone("example.com")
	tests := []struct {
		name   string
		option option.RequestOption
		ok     bool
	}{
		{"right token", option.WithAPIToken("right"), true},
		{"wrong token", option.WithAPIToken("wrong"), false},
		{"API key instead", option.WithAPIKey("right"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cloudflare.NewClient(option.WithBaseURL(url), option.WithMaxRetries(0), option.WithHeaderDel("Authorization"), tt.option)
			_, err := c.DNS.Records.List(context.Background(), dns.RecordListParams{ZoneID: cloudflare.F(zoneID)})
			if tt.ok {
				if err != nil {
					t.Errorf("list: %v", err)
				}
				return
			}
			if f := failureOf(t, err); f.status != http.StatusForbidden || f.codes[0] != cloudflaretest.CodeAuthentication {
				t.Errorf("failure = %+v, want 403 / 10000", f)
			}
		})
	}
}

func TestConcurrentWrites(t *testing.T) {
	e, c, zoneID := start(t, cloudflaretest.Options{})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 10 {
				body := aRecord(fmt.Sprintf("w%d-%d.example.com", i, j), "192.0.2.1", 1, false)
				if _, err := c.DNS.Records.New(context.Background(), dns.RecordNewParams{ZoneID: cloudflare.F(zoneID), Body: body}); err != nil {
					t.Errorf("create: %v", err)
				}
				e.Records(zoneID)
			}
		})
	}
	wg.Wait()
	if got := len(e.Records(zoneID)); got != 80 {
		t.Errorf("%d records, want 80", got)
	}
}
