package source

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const (
	webService = `apiVersion: v1
kind: Service
metadata:
  name: web
  annotations:
    external-dns.alpha.kubernetes.io/hostname: web.example.com
spec:
  type: LoadBalancer
status:
  loadBalancer:
    ingress:
    - ip: 192.0.2.1
`
	siteIngress = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: site
  namespace: shop
spec:
  rules:
  - host: shop.example.com
status:
  loadBalancer:
    ingress:
    - hostname: lb.example.net
`
	headlessManifest = `apiVersion: v1
kind: Service
metadata:
  name: db
  annotations: {external-dns.kubernetes.io/hostname: db.example.com}
spec: {clusterIP: None}
---
apiVersion: v1
kind: Service
metadata:
  name: np
  annotations: {external-dns.kubernetes.io/hostname: np.example.com}
spec: {type: NodePort}
`
	deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
`
)

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestManifest(t *testing.T) {
	long := strings.Repeat("x", 64)
	webService2 := strings.Replace(webService, "web.example.com", "web2.example.com", 1) // the same object, asking for another name
	tests := []struct {
		name         string
		files        map[string]string
		paths        []string // relative to the folder; nil means the folder itself
		config       Config
		want         []string
		wantProblems []problemCheck
	}{
		{
			name:   "only the kinds --source names are read",
			files:  map[string]string{"app.yaml": webService + "---\n" + siteIngress},
			config: Config{Kinds: []string{KindIngress}},
			want:   []string{"shop.example.com CNAME lb.example.net"},
		},
		{
			name: "headless and NodePort Services from EndpointSlices, Pods and Nodes in other files",
			files: map[string]string{
				"svc.yaml": headlessManifest,
				"cluster/objects.yaml": `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: db-abc
  labels: {kubernetes.io/service-name: db}
addressType: IPv4
endpoints:
- addresses: [10.0.0.5]
  conditions: {ready: true}
  targetRef: {kind: Pod, name: db-0}
---
apiVersion: v1
kind: Pod
metadata: {name: db-0}
spec: {hostname: db-0, containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Node
metadata: {name: n1}
status:
  addresses: [{type: ExternalIP, address: 203.0.113.9}]
`,
			},
			want: []string{"db-0.db.example.com A 10.0.0.5", "db.example.com A 10.0.0.5", "np.example.com A 203.0.113.9"},
		},
		{
			name:   "services only",
			files:  map[string]string{"app.yaml": webService + "---\n" + siteIngress},
			config: Config{Kinds: []string{KindService}},
			want:   []string{"web.example.com A 192.0.2.1"},
		},
		{
			name:  "multi-document YAML with empty documents and other kinds",
			files: map[string]string{"app.yaml": "---\n" + webService + "---\n# only a comment\n---\n" + deployment + "---\n" + siteIngress},
			want:  []string{"shop.example.com CNAME lb.example.net", "web.example.com A 192.0.2.1"},
		},
		{
			name: "v1 List and a typed list without item kinds",
			files: map[string]string{
				"list.yaml": "apiVersion: v1\nkind: List\nitems:\n" + indentItem(webService) + indentItem(deployment),
				"typed.yaml": `apiVersion: networking.k8s.io/v1
kind: IngressList
items:
- metadata: {name: a}
  spec: {rules: [{host: a.example.com}]}
  status: {loadBalancer: {ingress: [{ip: 192.0.2.5}]}}
`,
			},
			want: []string{"a.example.com A 192.0.2.5", "web.example.com A 192.0.2.1"},
		},
		{
			name: "JSON stream",
			files: map[string]string{"svc.json": `{"apiVersion":"v1","kind":"Service","metadata":{"name":"j","annotations":{"external-dns.kubernetes.io/hostname":"j.example.com"}},
	"spec":{"type":"ExternalName","externalName":"db.example.net"}}
{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}}`},
			want: []string{"j.example.com CNAME db.example.net"},
		},
		{
			name: "folders walked recursively for yaml, yml and json only",
			files: map[string]string{
				"a/web.yml":        webService,
				"a/b/c/site.YAML":  siteIngress,
				"a/notes.txt":      "not: [valid",
				"a/b/ignored.conf": "not: [valid",
			},
			want: []string{"shop.example.com CNAME lb.example.net", "web.example.com A 192.0.2.1"},
		},
		{
			name:  "a file named explicitly is read whatever its name",
			files: map[string]string{"web.txt": webService},
			paths: []string{"web.txt", "web.txt"},
			want:  []string{"web.example.com A 192.0.2.1"},
		},
		{
			name:         "unknown kind names file, document and kind; other objects proceed",
			files:        map[string]string{"app.yaml": webService + "---\n" + strings.Replace(siteIngress, "kind: Ingress", "kind: Ingres", 1)},
			want:         []string{"web.example.com A 192.0.2.1"},
			wantProblems: []problemCheck{failure("app.yaml): document 2: unknown kind \"Ingres\" in \"networking.k8s.io/v1\"", "ingres/shop/site")},
		},
		{
			name:         "CRD kind is unknown",
			files:        map[string]string{"crd.yaml": "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n"},
			wantProblems: []problemCheck{failure("crd.yaml): document 1:", `unknown kind "Widget" in "example.com/v1"`)},
		},
		{
			name:         "old Ingress version is reported",
			files:        map[string]string{"old.yaml": strings.Replace(siteIngress, "networking.k8s.io/v1", "extensions/v1beta1", 1)},
			wantProblems: []problemCheck{failure("extensions/v1beta1 Ingress is not read", "networking.k8s.io/v1 Ingress")},
		},
		{
			name:         "missing kind",
			files:        map[string]string{"x.yaml": "apiVersion: v1\nmetadata: {name: x}\n"},
			wantProblems: []problemCheck{failure("x.yaml): document 1:", "apiVersion and kind are required")},
		},
		{
			name:         "object that does not fit its schema",
			files:        map[string]string{"x.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {ports: 5}\n"},
			wantProblems: []problemCheck{failure("service/default/x", "x.yaml): document 1:", "Service")},
		},
		{
			name: "an invalid hostname on one object leaves the others alone",
			files: map[string]string{
				"bad.yaml":  strings.Replace(webService, "web.example.com", long+".example.com", 1),
				"good.yaml": siteIngress,
			},
			want:         []string{"shop.example.com CNAME lb.example.net"},
			wantProblems: []problemCheck{failure("service/default/web", "bad.yaml", "external-dns.alpha.kubernetes.io/hostname", long)},
		},
		{
			name:         "an object twice in one file: the first is kept",
			files:        map[string]string{"app.yaml": webService + "---\n" + webService2},
			want:         []string{"web.example.com A 192.0.2.1"},
			wantProblems: []problemCheck{warning("service/default/web (", "app.yaml): document 2: the same object as in ", "app.yaml (document 1); this copy is ignored")},
		},
		{
			name:         "an object in a file and a folder: the file named first is kept",
			files:        map[string]string{"a.yaml": webService2, "dir/b.yaml": webService},
			paths:        []string{"a.yaml", "dir"},
			want:         []string{"web2.example.com A 192.0.2.1"},
			wantProblems: []problemCheck{warning("b.yaml): document 1: the same object as in ", "a.yaml (document 1)")},
		},
		{
			name:         "the folder named first is kept",
			files:        map[string]string{"a.yaml": webService2, "dir/b.yaml": webService},
			paths:        []string{"dir", "a.yaml"},
			want:         []string{"web.example.com A 192.0.2.1"},
			wantProblems: []problemCheck{warning("a.yaml): document 1: the same object as in ", "b.yaml (document 1)")},
		},
		{
			name:         "in a folder the lexically first file is kept; an explicit default namespace is the same",
			files:        map[string]string{"b.yaml": webService, "a/z.yaml": strings.Replace(webService2, "name: web\n", "name: web\n  namespace: default\n", 1)},
			want:         []string{"web2.example.com A 192.0.2.1"},
			wantProblems: []problemCheck{warning("b.yaml): document 1: the same object as in ", "z.yaml (document 1)")},
		},
		{
			name:         "a list item names its place",
			files:        map[string]string{"list.yaml": webService + "---\napiVersion: v1\nkind: List\nitems:\n" + indentItem(siteIngress) + indentItem(webService2)},
			want:         []string{"shop.example.com CNAME lb.example.net", "web.example.com A 192.0.2.1"},
			wantProblems: []problemCheck{warning("document 2, item 2: the same object as in ", "list.yaml (document 1)")},
		},
		{
			name: "other kinds and namespaces are other objects",
			files: map[string]string{"app.yaml": webService + "---\n" + strings.Replace(webService2, "name: web\n", "name: web\n  namespace: shop\n", 1) +
				"---\n" + strings.Replace(strings.Replace(siteIngress, "name: site", "name: web", 1), "namespace: shop", "namespace: default", 1)},
			want: []string{"shop.example.com CNAME lb.example.net", "web.example.com A 192.0.2.1", "web2.example.com A 192.0.2.1"},
		},
		{
			name:  "a first copy that cannot be read is still the one kept",
			files: map[string]string{"app.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: 5}\n---\n" + webService},
			wantProblems: []problemCheck{
				failure("service/default/web (", "app.yaml): document 1: Service: "),
				warning("app.yaml): document 2: the same object as in ", "app.yaml (document 1)"),
			},
		},
		{
			name: "Nodes too: the first one's addresses are published",
			files: map[string]string{"svc.yaml": headlessManifest, "nodes.yaml": `apiVersion: v1
kind: Node
metadata: {name: n1}
status: {addresses: [{type: ExternalIP, address: 203.0.113.9}]}
---
apiVersion: v1
kind: Node
metadata: {name: n1}
status: {addresses: [{type: ExternalIP, address: 203.0.113.10}]}
`},
			config:       Config{Kinds: []string{KindService}},
			want:         []string{"np.example.com A 203.0.113.9"},
			wantProblems: []problemCheck{warning("node//n1 (", "nodes.yaml): document 2: the same object as in ", "nodes.yaml (document 1)"), warning("service/default/db", "no address")},
		},
		{
			name:   "namespace defaults to default and filters apply",
			files:  map[string]string{"app.yaml": webService + "---\n" + siteIngress},
			config: Config{Namespace: "default"},
			want:   []string{"web.example.com A 192.0.2.1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, tt.files)
			paths := []string{dir}
			if tt.paths != nil {
				paths = nil
				for _, p := range tt.paths {
					paths = append(paths, filepath.Join(dir, p))
				}
			}
			res, err := NewManifest(paths, mustCompile(t, tt.config)).Endpoints(context.Background())
			if err != nil {
				t.Fatalf("Endpoints: %v", err)
			}
			checkResult(t, nil, res.Problems, nil, tt.wantProblems)
			if got := render(res.Endpoints); !slices.Equal(got, tt.want) {
				t.Errorf("endpoints:\n got %q\nwant %q", got, tt.want)
			}
			checkValid(t, res.Endpoints, nil)
			for _, ep := range res.Endpoints {
				if !strings.HasPrefix(ep.Refs[0].Source, dir) {
					t.Errorf("endpoint %s: Source %q is not the manifest file", ep, ep.Refs[0].Source)
				}
			}
		})
	}
}

// indentItem turns a YAML document into an item of a YAML sequence.
func indentItem(doc string) string {
	lines := strings.Split(strings.TrimSuffix(doc, "\n"), "\n")
	for i, l := range lines {
		if i == 0 {
			lines[i] = "- " + l
		} else {
			lines[i] = "  " + l
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

func TestManifestErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		path  string
		want  []string
	}{
		{"invalid YAML", map[string]string{"bad.yaml": webService + "---\nkind: [unclosed\n"}, "", []string{"bad.yaml", "document 2", "invalid YAML"}},
		{"invalid JSON", map[string]string{"bad.json": `{"apiVersion": "v1",`}, "", []string{"bad.json", "invalid JSON"}},
		{"a document that is not an object", map[string]string{"list.yaml": "- a\n- b\n"}, "", []string{"list.yaml", "document 1", "not a Kubernetes object"}},
		{"kind of the wrong type", map[string]string{"k.yaml": "apiVersion: v1\nkind: [Service]\n"}, "", []string{"k.yaml", "not a Kubernetes object"}},
		{"bad document separator", map[string]string{"s.yaml": webService + "--- !tag\n" + webService}, "", []string{"s.yaml", "invalid YAML"}},
		{"missing path", nil, "nope", []string{"nope", "no such file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, tt.files)
			_, err := NewManifest([]string{filepath.Join(dir, tt.path)}, mustCompile(t, Config{})).Endpoints(context.Background())
			if err == nil {
				t.Fatal("Endpoints succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestManifestRereadsFiles(t *testing.T) {
	dir := writeFiles(t, map[string]string{"app.yaml": webService})
	m := NewManifest([]string{dir}, mustCompile(t, Config{}))
	first, err := m.Endpoints(context.Background())
	if err != nil || len(first.Endpoints) != 1 {
		t.Fatalf("first read: %v, %v", first, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "app.yaml"), []byte(siteIngress), 0o644); err != nil {
		t.Fatal(err)
	}
	second, err := m.Endpoints(context.Background())
	if err != nil || len(second.Endpoints) != 1 || second.Endpoints[0].DNSName != "shop.example.com" {
		t.Fatalf("second read: %v, %v", second.Endpoints, err)
	}
}

func TestManifestCancelled(t *testing.T) {
	dir := writeFiles(t, map[string]string{"app.yaml": webService})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := NewManifest([]string{dir}, mustCompile(t, Config{})).Endpoints(ctx); err == nil {
		t.Error("Endpoints with a cancelled context succeeded")
	}
}
