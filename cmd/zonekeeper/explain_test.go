package main

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/zonekeeper/zonekeeper/controller"
	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/test/kubeapi"
)

var updateExplain = flag.Bool("update-explain", false, "rewrite testdata/explain/*.txt and *.json from explain's output")

// explainCases are the golden cases of explain: testdata/explain/<name>/ holds the
// manifests and the zone files the zone starts from.
var explainCases = []struct {
	name, object string
	flags        []string
	// reasons are the Event reasons the object must get, in the printed order.
	reasons []string
	// text must be in the text output.
	text []string
}{
	{name: "ingress", object: "ingress/shop/web", flags: []string{"--ignore-ingress-tls-spec", "--domain-filter=example.com"},
		text: []string{"secure.example.com  from spec.tls[0].hosts  dropped: --ignore-ingress-tls-spec",
			"api.example.com  from annotation external-dns.alpha.kubernetes.io/hostname  kept",
			"www.example.org  from annotation external-dns.alpha.kubernetes.io/hostname  dropped: outside the managed domains",
			"example.com: + www.example.com 120 A 192.0.2.10"}},
	{name: "conflict", object: "ING/shop/green", reasons: []string{controller.ReasonConflictLost},
		text: []string{"conflicts with ingress/shop/blue"}},
	{name: "foreign-owner", object: "ingress/shop/web", reasons: []string{controller.ReasonNotOwned},
		text: []string{`owned by another owner id, "other", for ingress/shop/web`, "--migrate-from-txt-owner=other"}},
	{name: "no-zone", object: "ing/shop/web", reasons: []string{controller.ReasonNoZone},
		text: []string{"www.example.org  from spec.rules[0].host  dropped: no managed zone holds the name", "the managed zones are example.com"}},
	{name: "invalid-annotation", object: "ingress/shop/web", reasons: []string{controller.ReasonDeletionWithheld, controller.ReasonInvalidInput},
		text: []string{`"annotation-onyl" is not defined-hosts-only or annotation-only`, "safety check object_error"}},
	{name: "withheld", object: "ingress/shop/web", reasons: []string{controller.ReasonDeletionWithheld, controller.ReasonNoAddress},
		text: []string{"safety check object_without_address", `owned by this zonekeeper (owner "default") for ingress/shop/web`}},
	{name: "cname", object: "ingress/shop/web", reasons: []string{controller.ReasonCNAMEAndOtherData},
		text: []string{"www.example.com 300 MX 10 mail.example.com  no ownership record", "the zone holds MX at www.example.com"}},
	{name: "update", object: "ingress/shop/web",
		text: []string{`www.example.com 300 A 192.0.2.1  owned by this zonekeeper (owner "default") for ingress/shop/web`,
			"example.com: ~ www.example.com 300 A 192.0.2.1 → A 192.0.2.10"}},
	{name: "filtered", object: "ingress/shop/web", flags: []string{"--ingress-class=nginx"},
		text: []string{`excluded by --ingress-class: the Ingress is of class "traefik" (spec.ingressClassName)`,
			"example.com: - www.example.com 300 A 192.0.2.10"}},
}

// explainArgs runs explain of object over the case's manifests and a copy of its zone
// files, so that a run can never change the test data.
func explainArgs(t *testing.T, name, object string, flags ...string) []string {
	t.Helper()
	dir := filepath.Join("testdata", "explain", name)
	zones := t.TempDir()
	files, err := filepath.Glob(filepath.Join(dir, "*.zone"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(zones, filepath.Base(f)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return append([]string{"explain", object, "--source=manifest", "--manifest=" + filepath.Join(dir, "manifest.yaml"),
		"--provider=zonefile", "--zonefile-dir=" + zones, "--zonefile-zone=example.com"}, flags...)
}

func TestExplainGolden(t *testing.T) {
	for _, tc := range explainCases {
		t.Run(tc.name, func(t *testing.T) {
			for _, format := range []string{"txt", "json"} {
				args := explainArgs(t, tc.name, tc.object, tc.flags...)
				if format == "json" {
					args = append(args, "--output=json")
				}
				r := runCLI(t, nil, args...)
				if r.code != 0 {
					t.Fatalf("explain exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
				}
				golden := filepath.Join("testdata", "explain", tc.name+"."+format)
				if *updateExplain {
					if err := os.WriteFile(golden, []byte(r.stdout), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run with -update-explain to write it)", err)
				}
				if r.stdout != string(want) {
					t.Errorf("%s differs from explain's output (run with -update-explain to rewrite it):\n%s", golden, r.stdout)
				}
				if format == "txt" {
					checkExplainText(t, r.stdout, tc.text)
				} else {
					checkExplainJSON(t, r.stdout, tc.reasons)
				}
			}
		})
	}
}

// checkExplainText checks that out has the sections in order and every line of want.
func checkExplainText(t *testing.T, out string, want []string) {
	t.Helper()
	last := -1
	for _, section := range []string{"Object\n", "\nHostnames\n", "\nRecords wanted\n", "\nZone holds\n", "\nPlan\n", "\nWarnings\n"} {
		i := strings.Index(out, section)
		if i <= last {
			t.Errorf("section %q missing or out of order:\n%s", strings.TrimSpace(section), out)
		}
		last = i
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("text output lacks %q:\n%s", w, out)
		}
	}
}

// checkExplainJSON checks that out is explain's JSON with exactly the warnings reasons,
// each with a message and a detail.
func checkExplainJSON(t *testing.T, out string, reasons []string) {
	t.Helper()
	var doc jsonExplanation
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("output is not explain's JSON: %v\n%s", err, out)
	}
	var got []string
	for _, w := range doc.Warnings {
		got = append(got, w.Reason)
		if w.Message == "" || w.Detail == "" || w.Type != string(controller.EventWarning) {
			t.Errorf("warning %+v: want type Warning, a message and a detail", w)
		}
	}
	if !slices.Equal(got, reasons) {
		t.Errorf("warning reasons %v, want %v", got, reasons)
	}
}

// TestExplainEveryWarningReason checks that the golden cases give every warning reason
// of the Events but RecordProblem, which needs a registry failure, and RecordError,
// which only applying a change can produce (explain applies nothing).
func TestExplainEveryWarningReason(t *testing.T) {
	covered := map[string]bool{}
	for _, tc := range explainCases {
		for _, r := range tc.reasons {
			covered[r] = true
		}
	}
	for _, r := range []string{controller.ReasonConflictLost, controller.ReasonNotOwned, controller.ReasonNoZone, controller.ReasonInvalidInput,
		controller.ReasonNoAddress, controller.ReasonDeletionWithheld, controller.ReasonCNAMEAndOtherData} {
		if !covered[r] {
			t.Errorf("no golden case gives %s", r)
		}
	}
}

func TestExplainErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"missing object", explainArgs(t, "ingress", "service/shop/web"), "service/shop/web: not found in the manifests testdata/explain/ingress/manifest.yaml"},
		{"unknown kind", explainArgs(t, "ingress", "pod/shop/web"), `kind "pod" cannot be explained; want service (svc) or ingress (ing)`},
		{"no namespace", explainArgs(t, "ingress", "ingress/web"), `"ingress/web": want KIND/NAMESPACE/NAME`},
		{"empty name", explainArgs(t, "ingress", "ingress/shop/"), `"ingress/shop/": want KIND/NAMESPACE/NAME`},
		{"bad output", append(explainArgs(t, "ingress", "ingress/shop/web"), "--output=yaml"), `--output "yaml": want text or json`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, nil, tc.args...)
			if r.code != 1 || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", r.code, r.stderr, tc.want)
			}
		})
	}
}

func TestParseObjectArg(t *testing.T) {
	for _, tc := range []struct {
		arg  string
		want endpoint.ObjectRef
	}{
		{"service/default/web", endpoint.ObjectRef{Kind: "service", Namespace: "default", Name: "web"}},
		{"SVC/default/web", endpoint.ObjectRef{Kind: "service", Namespace: "default", Name: "web"}},
		{"Ingress/shop/www", endpoint.ObjectRef{Kind: "ingress", Namespace: "shop", Name: "www"}},
		{"ing/shop/www", endpoint.ObjectRef{Kind: "ingress", Namespace: "shop", Name: "www"}},
	} {
		got, err := parseObjectArg(tc.arg)
		if err != nil || got != tc.want {
			t.Errorf("parseObjectArg(%q) = %+v, %v; want %+v", tc.arg, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "web", "service/web", "service//web", "a/b/c/d", "crd/ns/x"} {
		if _, err := parseObjectArg(bad); err == nil {
			t.Errorf("parseObjectArg(%q) succeeded", bad)
		}
	}
}

// TestExplainLiveIngress explains an Ingress read from a real kube-apiserver: found by
// GET whatever the filters say, its hostnames and records from its live status, and
// the filter named when one keeps it out.
func TestExplainLiveIngress(t *testing.T) {
	c := kubeapi.StartT(t)
	ns := c.Namespace(t)
	class := "nginx"
	ing := &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web",
			Annotations: map[string]string{"external-dns.alpha.kubernetes.io/hostname": "api.example.com"}},
		Spec: networkingv1.IngressSpec{IngressClassName: &class, Rules: []networkingv1.IngressRule{{Host: "www.example.com"}}},
	}
	created, err := c.Client.NetworkingV1().Ingresses(ns).Create(t.Context(), ing, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	created.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{IP: "192.0.2.30"}}
	if _, err := c.Client.NetworkingV1().Ingresses(ns).UpdateStatus(t.Context(), created, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	args := func(object string, extra ...string) []string {
		return append([]string{"explain", object, "--kubeconfig=" + c.Kubeconfig, "--source=ingress",
			"--provider=zonefile", "--zonefile-dir=" + t.TempDir(), "--zonefile-zone=example.com"}, extra...)
	}
	ref := "ingress/" + ns + "/web"

	r := runCLI(t, nil, args("Ing/"+ns+"/web")...)
	if r.code != 0 {
		t.Fatalf("explain exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	checkExplainText(t, r.stdout, []string{ref + "\n  read from the cluster\n",
		"www.example.com  from spec.rules[0].host  kept",
		"api.example.com  from annotation external-dns.alpha.kubernetes.io/hostname  kept",
		"www.example.com A 192.0.2.30  (zone example.com)",
		"example.com: + api.example.com A 192.0.2.30",
		"ownership + a-www.example.com TXT \"heritage=external-dns,external-dns/owner=default,external-dns/resource=" + ref + "\""})

	r = runCLI(t, nil, args(ref, "--output=json", "--ingress-class=traefik")...)
	var doc jsonExplanation
	if err := json.Unmarshal([]byte(r.stdout), &doc); r.code != 0 || err != nil {
		t.Fatalf("explain exit %d, JSON %v\n%s\n%s", r.code, err, r.stdout, r.stderr)
	}
	if want := `--ingress-class: the Ingress is of class "nginx" (spec.ingressClassName)`; doc.Object.Excluded != want || len(doc.Records) != 0 || len(doc.Plan) != 0 {
		t.Errorf("excluded %q, records %v, plan %v; want %q and nothing wanted or planned", doc.Object.Excluded, doc.Records, doc.Plan, want)
	}

	r = runCLI(t, nil, args("service/"+ns+"/web")...)
	if want := "service/" + ns + "/web: not found in the cluster"; r.code != 1 || !strings.Contains(r.stderr, want) {
		t.Errorf("missing Service: exit %d, stderr %q; want 1 and %q", r.code, r.stderr, want)
	}
}
