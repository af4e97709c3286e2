package source

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
)

// dnsEndpoint is a DNSEndpoint named records in namespace shop with the given entries.
func dnsEndpoint(records ...*DNSEndpointRecord) *DNSEndpoint {
	return &DNSEndpoint{
		TypeMeta:   metav1.TypeMeta{APIVersion: DefaultCRDAPIVersion, Kind: DefaultCRDKind},
		ObjectMeta: metav1.ObjectMeta{Name: "records", Namespace: "shop", Generation: 1},
		Spec:       DNSEndpointSpec{Endpoints: records},
	}
}

func rec(name, typ string, targets ...string) *DNSEndpointRecord {
	return &DNSEndpointRecord{DNSName: name, RecordType: typ, Targets: targets}
}

// checkDNSEndpointResult is checkResult for DNSEndpoints, whose bad entries do not
// withhold the good ones.
func checkDNSEndpointResult(t *testing.T, eps []*endpoint.Endpoint, problems []endpoint.Problem, want []string, wantProblems []problemCheck) {
	t.Helper()
	if got := render(eps); !slices.Equal(got, want) {
		t.Errorf("endpoints:\n got %q\nwant %q", got, want)
	}
	if len(problems) != len(wantProblems) {
		t.Fatalf("got %d problems %v, want %d", len(problems), problems, len(wantProblems))
	}
	for i, p := range problems {
		if p.Warning != wantProblems[i].warning {
			t.Errorf("problem %d %q: Warning = %v, want %v", i, p.Error(), p.Warning, wantProblems[i].warning)
		}
		for _, c := range wantProblems[i].contains {
			if !strings.Contains(p.Error(), c) {
				t.Errorf("problem %d %q does not mention %q", i, p.Error(), c)
			}
		}
	}
	checkDNSEndpointValid(t, eps)
}

// checkDNSEndpointValid asserts what every DNSEndpoint record must be: valid for its
// type, referring to one crd object, with empty labels.
func checkDNSEndpointValid(t testing.TB, eps []*endpoint.Endpoint) {
	t.Helper()
	for _, ep := range eps {
		if err := endpoint.ValidateName(ep.DNSName); err != nil {
			t.Errorf("invalid endpoint name: %v", err)
		}
		if err := validateRecordTargets(ep.RecordType, ep.Targets); err != nil {
			t.Errorf("endpoint %s: invalid targets: %v", ep, err)
		}
		if !slices.Contains(dnsEndpointTypes, ep.RecordType) {
			t.Errorf("endpoint %s: type %s not allowed", ep, ep.RecordType)
		}
		if len(ep.Refs) != 1 || ep.Refs[0].Kind != KindCRD || ep.Labels == nil || len(ep.Labels) != 0 {
			t.Errorf("endpoint %s: Refs %v, Labels %v; want one crd ref and empty labels", ep, ep.Refs, ep.Labels)
		}
	}
	if !slices.IsSortedFunc(eps, endpoint.Compare) {
		t.Errorf("endpoints not sorted: %v", eps)
	}
}

func TestDNSEndpointEndpoints(t *testing.T) {
	withTTL := rec("ttl.example.com", "A", "192.0.2.1")
	withTTL.RecordTTL = 180
	weighted := rec("w.example.com", "CNAME", "lb.example.net.")
	weighted.SetIdentifier = "eu"
	weighted.ProviderSpecific = []DNSEndpointProperty{{Name: "aws/weight", Value: "10"}, {Name: "", Value: "x"}}
	labelled := rec("l.example.com", "A", "192.0.2.2")
	labelled.Labels = map[string]string{"owner": "someone-else", "team": "a"}
	negTTL := rec("neg.example.com", "A", "192.0.2.1")
	negTTL.RecordTTL = -1
	otherTTL := rec("m.example.com", "A", "192.0.2.9")
	otherTTL.RecordTTL = 60
	tests := []struct {
		name         string
		records      []*DNSEndpointRecord
		want         []string
		wantProblems []problemCheck
	}{
		{
			name: "every record type",
			records: []*DNSEndpointRecord{
				rec("Example.COM.", "A", "192.0.2.1", "::ffff:192.0.2.2"),
				rec("example.com", "aaaa", "2001:DB8::1"),
				rec("www.example.com", "CNAME", "Example.NET."),
				rec("example.com", "TXT", "v=spf1 -all", `"google-site-verification=abc"`),
				rec("_sip._tcp.example.com", "SRV", "10 60 5060 SIP.example.com."),
				rec("example.com", "MX", "10 mail.example.com.", "20 backup.example.com"),
				rec("sub.example.com", "NS", "ns1.example.net.", "ns2.example.net"),
				rec("example.com", "CAA", `0 issue "letsencrypt.org"`),
				rec("example.com", "NAPTR", `100 10 "u" "E2U+sip" "!^.*$!sip:info@example.com!" .`),
				rec("1.2.0.192.in-addr.arpa", "PTR", "host.example.com."),
			},
			want: []string{
				"1.2.0.192.in-addr.arpa PTR host.example.com",
				"_sip._tcp.example.com SRV 10 60 5060 sip.example.com",
				"example.com A 192.0.2.1,192.0.2.2",
				"example.com AAAA 2001:db8::1",
				`example.com CAA 0 issue "letsencrypt.org"`,
				"example.com MX 10 mail.example.com,20 backup.example.com",
				`example.com NAPTR 100 10 "u" "E2U+sip" "!^.*$!sip:info@example.com!" .`,
				`example.com TXT "google-site-verification=abc","v=spf1 -all"`,
				"sub.example.com NS ns1.example.net,ns2.example.net",
				"www.example.com CNAME example.net",
			},
		},
		{
			name:    "TTL, set identifier, properties; a property without a name is a warning",
			records: []*DNSEndpointRecord{withTTL, weighted},
			want: []string{
				"ttl.example.com 180 A 192.0.2.1",
				"w.example.com CNAME lb.example.net [eu] {aws/weight=10}",
			},
			wantProblems: []problemCheck{warning("crd/shop/records: spec.endpoints[1]", "providerSpecific entry without a name")},
		},
		{
			name:    "labels are not read, not even zonekeeper's own keys",
			records: []*DNSEndpointRecord{labelled},
			want:    []string{"l.example.com A 192.0.2.2"},
		},
		{
			name: "bad entries are refused, naming the object and the entry; the others are published",
			records: []*DNSEndpointRecord{
				rec("ok.example.com", "A", "192.0.2.1"),
				rec("bad..example.com", "A", "192.0.2.1"),
				rec("x.example.com", "DNAME", "y.example.com"),
				rec("x.example.com", "", "192.0.2.1"),
				rec("a.example.com", "A", "2001:db8::1"),
				rec("c.example.com", "CNAME", "a.example.net", "b.example.net"),
				rec("mx.example.com", "MX", "mail.example.com"),
				rec("caa.example.com", "CAA", "issue letsencrypt.org"),
				rec("e.example.com", "A"),
				negTTL,
				nil,
				rec("ok2.example.com", "TXT", "hello"),
			},
			want: []string{"ok.example.com A 192.0.2.1", `ok2.example.com TXT "hello"`},
			wantProblems: []problemCheck{
				failure("crd/shop/records: spec.endpoints[1]", `"bad..example.com"`, "dnsName"),
				failure("spec.endpoints[2]", `recordType "DNAME" is not one of`),
				failure("spec.endpoints[3]", "recordType is required"),
				failure("spec.endpoints[4]", `A target "2001:db8::1"`),
				failure("spec.endpoints[5]", "exactly one target"),
				failure("spec.endpoints[6]", "preference host"),
				failure("spec.endpoints[7]", "flags tag value"),
				failure("spec.endpoints[8]", "no targets"),
				failure("spec.endpoints[9]", "recordTTL -1"),
			},
		},
		{
			name: "entries of one name and type merge; differing TTLs refuse the later one",
			records: []*DNSEndpointRecord{
				rec("m.example.com", "A", "192.0.2.1"),
				rec("m.example.com", "A", "192.0.2.2", "192.0.2.1"),
				otherTTL,
				rec("c.example.com", "CNAME", "a.example.net"),
				rec("c.example.com", "CNAME", "b.example.net"),
			},
			want: []string{"c.example.com CNAME a.example.net", "m.example.com A 192.0.2.1,192.0.2.2"},
			wantProblems: []problemCheck{
				failure("spec.endpoints[2]", "another recordTTL"),
				failure("spec.endpoints[4]", "merged with an earlier entry", "exactly one target"),
			},
		},
	}
	o := mustCompile(t, Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eps, problems := DNSEndpointEndpoints(dnsEndpoint(tt.records...), o)
			checkDNSEndpointResult(t, eps, problems, tt.want, tt.wantProblems)
		})
	}
}

func TestDNSEndpointFilters(t *testing.T) {
	d := dnsEndpoint(rec("a.example.com", "A", "192.0.2.1"))
	d.Labels = map[string]string{"team": "web"}
	d.Annotations = map[string]string{"external-dns": "public", AnnotationPrefix + "hostname": "ignored.example.com"}
	tests := []struct {
		name string
		cfg  Config
		want int
	}{
		{"no filter", Config{}, 1},
		{"namespace matches", Config{Namespace: "shop"}, 1},
		{"namespace does not", Config{Namespace: "other"}, 0},
		{"label filter matches", Config{LabelFilter: "team=web"}, 1},
		{"label filter does not", Config{LabelFilter: "team=db"}, 0},
		{"annotation filter matches", Config{AnnotationFilter: "external-dns=public"}, 1},
		{"annotation filter does not", Config{AnnotationFilter: "external-dns=private"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eps, problems := DNSEndpointEndpoints(d, mustCompile(t, tt.cfg))
			if len(eps) != tt.want || len(problems) != 0 {
				t.Errorf("got %v %v, want %d records and no problems (annotations other than the filter's mean nothing)", render(eps), problems, tt.want)
			}
		})
	}
}

func TestParseCRDTarget(t *testing.T) {
	tests := []struct {
		apiVersion, kind string
		wantGVR, wantErr string
	}{
		{"", "", "externaldns.k8s.io/v1alpha1, Resource=dnsendpoints", ""},
		{"example.com/v1", "Record", "example.com/v1, Resource=records", ""},
		{"v1", "DNSEndpoint", "", "--crd-source-apiversion"},
		{"a/b/c", "DNSEndpoint", "", "--crd-source-apiversion"},
		{"example.com/v1", "Bad-Kind", "", "--crd-source-kind"},
	}
	for _, tt := range tests {
		got, err := parseCRDTarget(tt.apiVersion, tt.kind)
		switch {
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("parseCRDTarget(%q, %q) error %v, want one naming %s", tt.apiVersion, tt.kind, err, tt.wantErr)
		case tt.wantErr == "" && (err != nil || got.gvr.String() != tt.wantGVR):
			t.Errorf("parseCRDTarget(%q, %q) = %s, %v; want %s", tt.apiVersion, tt.kind, got.gvr, err, tt.wantGVR)
		}
	}
}

// unstructuredOf renders d the way the dynamic client reads it.
func unstructuredOf(t *testing.T, d *DNSEndpoint) *unstructured.Unstructured {
	t.Helper()
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(d)
	if err != nil {
		t.Fatal(err)
	}
	return &unstructured.Unstructured{Object: m}
}

func TestSlimDNSEndpoint(t *testing.T) {
	d := dnsEndpoint(rec("a.example.com", "A", "192.0.2.1"))
	d.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}
	d.Annotations = map[string]string{"kubectl.kubernetes.io/last-applied-configuration": "{}", "keep": "me"}
	d.Generation, d.Status.ObservedGeneration = 3, 2
	got, err := slimDNSEndpoint(unstructuredOf(t, d))
	if err != nil {
		t.Fatal(err)
	}
	s, ok := got.(*DNSEndpoint)
	if !ok || s.decodeErr != nil || s.ManagedFields != nil || len(s.Annotations) != 1 || s.Generation != 3 ||
		s.Status.ObservedGeneration != 2 || len(s.Spec.Endpoints) != 1 {
		t.Fatalf("slimmed = %#v", got)
	}
	bad := unstructuredOf(t, d)
	bad.Object["spec"] = map[string]any{"endpoints": "not a list"}
	got, _ = slimDNSEndpoint(bad)
	eps, problems := DNSEndpointEndpoints(got.(*DNSEndpoint), mustCompile(t, Config{}))
	if len(eps) != 0 || len(problems) != 1 || !strings.Contains(problems[0].Error(), "crd/shop/records: does not fit") {
		t.Errorf("an object that does not fit the type: %v %v, want one problem naming it", eps, problems)
	}
}

func TestDeepCopyDNSEndpoint(t *testing.T) {
	d := dnsEndpoint(rec("a.example.com", "A", "192.0.2.1"))
	d.Spec.Endpoints[0].Labels = map[string]string{"a": "b"}
	c := d.DeepCopyObject().(*DNSEndpoint)
	c.Spec.Endpoints[0].Targets[0] = "192.0.2.9"
	c.Spec.Endpoints[0].Labels["a"] = "c"
	if d.Spec.Endpoints[0].Targets[0] != "192.0.2.1" || d.Spec.Endpoints[0].Labels["a"] != "b" {
		t.Errorf("the copy shares memory with the original: %+v", d.Spec.Endpoints[0])
	}
}

// TestKubeDNSEndpoints runs the crd kind through the informer over a fake dynamic
// client: records appear, follow an edit, and Acknowledge writes the generation of
// those not troubled to the status subresource, once.
func TestKubeDNSEndpoints(t *testing.T) {
	good := dnsEndpoint(rec("a.example.com", "A", "192.0.2.1"))
	good.Name, good.Generation = "good", 2
	troubled := dnsEndpoint(rec("b.example.com", "MX", "10 mail.example.com"))
	troubled.Name = "troubled"
	done := dnsEndpoint(rec("c.example.com", "TXT", "x"))
	done.Name, done.Generation, done.Status.ObservedGeneration = "done", 4, 4
	filtered := dnsEndpoint(rec("d.example.com", "A", "192.0.2.4"))
	filtered.Name, filtered.Labels = "filtered", map[string]string{"skip": "yes"}

	o := mustCompile(t, Config{Kinds: []string{KindCRD}, LabelFilter: "skip!=yes"})
	gvr := o.crd.gvr
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{gvr: "DNSEndpointList"},
		unstructuredOf(t, good), unstructuredOf(t, troubled), unstructuredOf(t, done), unstructuredOf(t, filtered))
	k := NewKube(fake.NewClientset(), o, KubeConfig{Dynamic: dyn})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := k.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitSynced(t, k)
	res, err := k.Endpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a.example.com A 192.0.2.1", "b.example.com MX 10 mail.example.com", `c.example.com TXT "x"`}
	if got := render(res.Endpoints); !slices.Equal(got, want) {
		t.Fatalf("endpoints %q, want %q (the label filter applies)", got, want)
	}
	if err := k.Acknowledge(ctx, map[string]bool{"crd/shop/troubled": true}); err != nil {
		t.Fatal(err)
	}
	if err := k.Acknowledge(ctx, map[string]bool{"crd/shop/troubled": true}); err != nil {
		t.Fatal(err)
	}
	var patches []string
	for _, a := range dyn.Actions() {
		if a.GetVerb() == "patch" {
			p := a.(interface {
				GetName() string
				GetPatch() []byte
			})
			patches = append(patches, a.GetSubresource()+" "+p.GetName()+" "+string(p.GetPatch()))
		}
	}
	if want := []string{`status good {"status":{"observedGeneration":2}}`}; !slices.Equal(patches, want) {
		t.Errorf("patches %q, want %q: only the untroubled, unacknowledged object, once", patches, want)
	}
	u, err := dyn.Resource(gvr).Namespace("shop").Get(ctx, "good", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if g, _, _ := unstructured.NestedInt64(u.Object, "status", "observedGeneration"); g != 2 {
		t.Errorf("status.observedGeneration = %d, want 2", g)
	}

	good.Spec.Endpoints[0].Targets = []string{"192.0.2.7"}
	// The fake client keeps resourceVersions as given; the informer skips updates
	// that keep theirs.
	good.Generation, good.ResourceVersion = 3, "2"
	if _, err := dyn.Resource(gvr).Namespace("shop").Update(ctx, unstructuredOf(t, good), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the edit reaches the records", func() bool {
		res, err := k.Endpoints(ctx)
		return err == nil && slices.Contains(render(res.Endpoints), "a.example.com A 192.0.2.7")
	})
}

func TestKubeDNSEndpointsNeedsDynamicClient(t *testing.T) {
	k := NewKube(fake.NewClientset(), mustCompile(t, Config{Kinds: []string{KindCRD}}), KubeConfig{})
	err := k.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "dynamic client") {
		t.Errorf("Start without a dynamic client: %v, want an error saying it is needed", err)
	}
}

func TestManifestDNSEndpoints(t *testing.T) {
	const data = `apiVersion: externaldns.k8s.io/v1alpha1
kind: DNSEndpoint
metadata: {name: mail}
spec:
  endpoints:
  - {dnsName: example.com, recordType: MX, targets: ["10 mail.example.com"]}
  - {dnsName: example.com, recordType: TXT, targets: ["v=spf1 mx -all"], recordTTL: 300}
  - {dnsName: "bad name.example.com", recordType: A, targets: [192.0.2.1]}
`
	dir := writeFiles(t, map[string]string{"mail.yaml": data})
	for _, tt := range []struct {
		kinds []string
		want  []string
	}{
		{[]string{KindService, KindIngress, KindCRD}, []string{"example.com MX 10 mail.example.com", `example.com 300 TXT "v=spf1 mx -all"`}},
		{[]string{KindService}, nil},
	} {
		res, err := NewManifest([]string{dir}, mustCompile(t, Config{Kinds: tt.kinds})).Endpoints(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got := render(res.Endpoints); !slices.Equal(got, tt.want) {
			t.Errorf("kinds %v: endpoints %q, want %q", tt.kinds, got, tt.want)
		}
		if tt.want != nil && (len(res.Problems) != 1 || !strings.Contains(res.Problems[0].Error(), "crd/default/mail ("+dir+"/mail.yaml): spec.endpoints[2]")) {
			t.Errorf("problems %v, want one naming the object, its file and the entry", res.Problems)
		}
	}
}

// FuzzDNSEndpoint feeds arbitrary JSON through the DNSEndpoint decoding and conversion,
// as a manifest or the API server hands it over: nothing may panic, and every record
// returned must be valid and of an allowed type.
func FuzzDNSEndpoint(f *testing.F) {
	f.Add(`{"endpoints":[{"dnsName":"a.example.com","recordType":"A","targets":["192.0.2.1"]}]}`)
	f.Add(`{"endpoints":[{"dnsName":"example.com","recordType":"mx","targets":["10 mail.example.com."],"recordTTL":60}]}`)
	f.Add(`{"endpoints":[{"dnsName":"x..y","recordType":"TXT","targets":["\""]},null,{}]}`)
	f.Add(`{"endpoints":[{"dnsName":"e.com","recordType":"CAA","targets":["0 issue \"ca\""]},{"dnsName":"e.com","recordType":"NAPTR","targets":["1 2 a b c d"]}]}`)
	f.Add(`{"endpoints":[{"dnsName":"p.arpa","recordType":"PTR","targets":["h.","i."]},{"dnsName":"s","recordType":"SRV","targets":["1 2 3"]}]}`)
	f.Add(`{"endpoints":[{"dnsName":"w.e.com","recordType":"CNAME","targets":["a.","a"],"setIdentifier":"x","providerSpecific":[{"name":"n"}]}]}`)
	o := mustCompile(f, Config{})
	f.Fuzz(func(t *testing.T, spec string) {
		var s DNSEndpointSpec
		if err := json.Unmarshal([]byte(spec), &s); err != nil {
			return
		}
		d := dnsEndpoint(s.Endpoints...)
		eps, problems := DNSEndpointEndpoints(d, o)
		checkDNSEndpointValid(t, eps)
		for _, p := range problems {
			if p.Ref.String() != "crd/shop/records" || !strings.Contains(p.Error(), "spec.endpoints[") {
				t.Errorf("problem %q does not name the object and the entry", p.Error())
			}
		}
	})
}
