package source

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/zonekeeper/zonekeeper/endpoint"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"
)

// The versions of Service and Ingress read, named when a manifest holds another one; the
// kinds read are the rows of kubeKinds.
var (
	serviceGVK = corev1.SchemeGroupVersion.WithKind("Service")
	ingressGVK = networkingv1.SchemeGroupVersion.WithKind("Ingress")
)

// ManifestObjects are the objects of one manifest file that the manifest source reads.
type ManifestObjects struct {
	Services  []*corev1.Service
	Ingresses []*networkingv1.Ingress
	// DNSEndpoints are external-dns's DNSEndpoint objects (--crd-source-apiversion and
	// --crd-source-kind with NewManifest; the defaults with DecodeManifest).
	DNSEndpoints []*DNSEndpoint
	// HTTPRoutes, GRPCRoutes, TLSRoutes, TCPRoutes and UDPRoutes are the Gateway API
	// routes, read in gateway.networking.k8s.io/v1.
	HTTPRoutes []*gatewayv1.HTTPRoute
	GRPCRoutes []*gatewayv1.GRPCRoute
	TLSRoutes  []*gatewayv1.TLSRoute
	TCPRoutes  []*gatewayv1.TCPRoute
	UDPRoutes  []*gatewayv1.UDPRoute
	// Gateways and Namespaces make up the GatewayCluster the routes are published
	// through.
	Gateways   []*gatewayv1.Gateway
	Namespaces []*corev1.Namespace
	// EndpointSlices, Pods and Nodes make up the Cluster that headless and NodePort
	// Services are published from.
	EndpointSlices []*discoveryv1.EndpointSlice
	Pods           []*corev1.Pod
	Nodes          []*corev1.Node
	// Problems are objects that could not be read: an unknown apiVersion or kind, a
	// version of Service or Ingress other than v1 and networking.k8s.io/v1, an object
	// that does not fit its kind's schema. Each is an error: the object yields no records.
	// A warning names an object read again (same kind, namespace and name) and where it
	// was read first; only the first one is kept, whether or not it could be read.
	Problems []endpoint.Problem
}

// manifestKey identifies an object across manifest files, as the API server would.
type manifestKey struct {
	gvk             schema.GroupVersionKind
	namespace, name string
}

// manifestDecoder collects the objects of one or more manifest files.
type manifestDecoder struct {
	ManifestObjects
	// seen holds where each object read so far was read first: "file (document 2)".
	seen map[manifestKey]string
	// kinds are the rows of the kinds table (kubeKinds), by the kind a manifest names.
	kinds map[schema.GroupVersionKind]*kubeKind
	// file is the manifest file each object decoded was read from.
	file map[any]string
	// current is the file being decoded.
	current string
}

// newManifestDecoder returns a decoder reading the kinds of the table kinds.
func newManifestDecoder(kinds []*kubeKind) *manifestDecoder {
	d := &manifestDecoder{seen: map[manifestKey]string{}, kinds: map[schema.GroupVersionKind]*kubeKind{}, file: map[any]string{}}
	for _, kk := range kinds {
		d.kinds[schema.FromAPIVersionAndKind(kk.apiVersion, kk.apiKind)] = kk
	}
	return d
}

// DecodeManifest reads the Kubernetes objects in data, the content of the manifest
// file name (used in messages and in each Problem's Ref.Source).
//
// data is a stream of YAML documents separated by "---" lines, or of JSON objects when
// it starts with "{". Empty documents are skipped. A kind ending in "List" that has
// items (v1 List, ServiceList, …) stands for its items; items without apiVersion and
// kind take them from a typed list. Services, Pods, Nodes, Namespaces (v1), Ingresses
// (networking.k8s.io/v1), EndpointSlices (discovery.k8s.io/v1), DNSEndpoints
// (externaldns.k8s.io/v1alpha1), Gateways and HTTP, GRPC, TLS, TCP and UDP routes
// (gateway.networking.k8s.io/v1) are returned, the namespaced ones with their namespace
// defaulted to "default"; other kinds that the client-go scheme knows are skipped.
// Documents are numbered from 1 in messages. An object of one of these kinds read twice
// (same kind, namespace and name) is returned once, as first read, with a warning
// Problem on the other copy naming both documents.
//
// The error is for data that cannot be read as objects at all (invalid YAML or JSON, a
// document that is not a mapping with a string apiVersion and kind); it names the file
// and the document, and no objects are returned with it.
func DecodeManifest(name string, data []byte) (ManifestObjects, error) {
	d := newManifestDecoder(kubeKinds(&Options{}))
	if err := d.decodeFile(name, data); err != nil {
		return ManifestObjects{}, err
	}
	return d.ManifestObjects, nil
}

// decodeFile adds the objects of the manifest file name, whose content is data, to d.
// On an error d may hold some of them.
func (d *manifestDecoder) decodeFile(name string, data []byte) error {
	d.current = name
	docs, err := splitDocuments(data)
	if err != nil {
		return fmt.Errorf("manifest %s: %w", name, err)
	}
	for i, doc := range docs {
		if err := d.decode(name, fmt.Sprintf("document %d", i+1), doc, schema.GroupVersionKind{}); err != nil {
			return err
		}
	}
	return nil
}

// splitDocuments returns each document of data as JSON; empty documents are "null".
func splitDocuments(data []byte) ([][]byte, error) {
	var docs [][]byte
	if utilyaml.IsJSONBuffer(data) {
		dec := json.NewDecoder(bytes.NewReader(data))
		for {
			var raw json.RawMessage
			err := dec.Decode(&raw)
			if errors.Is(err, io.EOF) {
				return docs, nil
			}
			if err != nil {
				return nil, fmt.Errorf("document %d: invalid JSON: %w", len(docs)+1, err)
			}
			docs = append(docs, raw)
		}
	}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: invalid YAML: %w", len(docs)+1, err)
		}
		js, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return nil, fmt.Errorf("document %d: invalid YAML: %w", len(docs)+1, err)
		}
		docs = append(docs, js)
	}
}

// objectHead is the part of an object that says what it is.
type objectHead struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	Items []json.RawMessage `json:"items"`
}

// decode adds the object in raw, found at loc in file, to d. A typed list passes its
// own group, version and kind (without "List") as itemDefault.
func (d *manifestDecoder) decode(file, loc string, raw []byte, itemDefault schema.GroupVersionKind) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if raw[0] != '{' {
		return fmt.Errorf("manifest %s (%s): not a Kubernetes object (a mapping with apiVersion and kind)", file, loc)
	}
	var head objectHead
	if err := json.Unmarshal(raw, &head); err != nil {
		return fmt.Errorf("manifest %s (%s): not a Kubernetes object: %w", file, loc, err)
	}
	if head.APIVersion == "" && head.Kind == "" && !itemDefault.Empty() {
		head.APIVersion, head.Kind = itemDefault.GroupVersion().String(), itemDefault.Kind
	}
	namespace := head.Metadata.Namespace
	if namespace == "" {
		namespace = corev1.NamespaceDefault
	}
	report := func(warning bool, format string, args ...any) {
		d.Problems = append(d.Problems, endpoint.Problem{
			Ref:     endpoint.ObjectRef{Kind: strings.ToLower(head.Kind), Namespace: namespace, Name: head.Metadata.Name, Source: file},
			Err:     fmt.Errorf("%s: "+format, append([]any{loc}, args...)...),
			Warning: warning,
		})
	}
	problem := func(format string, args ...any) { report(false, format, args...) }
	if head.APIVersion == "" || head.Kind == "" {
		problem("apiVersion and kind are required")
		return nil
	}
	gv, err := schema.ParseGroupVersion(head.APIVersion)
	if err != nil {
		// ParseGroupVersion's error repeats the apiVersion in full.
		problem("unknown kind %s in %s: an apiVersion has at most one /", endpoint.Quote(head.Kind), endpoint.Quote(head.APIVersion))
		return nil
	}
	gvk := gv.WithKind(head.Kind)
	if listKind, isList := strings.CutSuffix(head.Kind, "List"); isList && head.Items != nil {
		var def schema.GroupVersionKind
		if listKind != "" {
			def = gv.WithKind(listKind)
		}
		for i, item := range head.Items {
			if err := d.decode(file, fmt.Sprintf("%s, item %d", loc, i+1), item, def); err != nil {
				return err
			}
		}
		return nil
	}
	kk := d.kinds[gvk]
	if kk == nil {
		switch {
		case !scheme.Scheme.Recognizes(gvk):
			problem("unknown kind %s in %s", endpoint.Quote(head.Kind), endpoint.Quote(head.APIVersion))
		case gvk.Kind == serviceGVK.Kind || gvk.Kind == ingressGVK.Kind:
			problem("%s %s is not read; only %s and %s are", head.APIVersion, head.Kind,
				gvkString(serviceGVK), gvkString(ingressGVK))
		}
		return nil
	}
	if kk.clusterScoped {
		namespace = "" // Nodes belong to no namespace
	}
	key := manifestKey{gvk: gvk, namespace: namespace, name: head.Metadata.Name}
	if first, ok := d.seen[key]; ok {
		// Merging the copies would publish what neither says; `kubectl apply`
		// would apply both in turn, so that the last wins. The first is kept so
		// that adding a file later in the order never changes what an earlier
		// one publishes.
		report(true, "the same object as in %s; this copy is ignored", first)
		return nil
	}
	d.seen[key] = fmt.Sprintf("%s (%s)", file, loc)
	kk.decodeManifest(d, raw, namespace, problem)
	return nil
}

// appendDecoded unmarshals raw into a new object placed in namespace and appends it to
// list; a failure is reported through problem, prefixed with the kind, its message
// rendered by endpoint.Quote since some (a bad timestamp's) echo the value in full.
func appendDecoded[T any, PT interface {
	*T
	SetNamespace(string)
}](d *manifestDecoder, list *[]PT, raw []byte, namespace string, problem func(format string, args ...any)) {
	obj := PT(new(T))
	if err := json.Unmarshal(raw, obj); err != nil {
		problem("%s: %s", reflect.TypeFor[T]().Name(), endpoint.Quote(err.Error()))
		return
	}
	obj.SetNamespace(namespace)
	*list = append(*list, obj)
	d.file[obj] = d.current
}

// gvkString renders a kind the way a manifest spells it: "networking.k8s.io/v1 Ingress".
func gvkString(gvk schema.GroupVersionKind) string {
	return gvk.GroupVersion().String() + " " + gvk.Kind
}

// Manifest is a Source reading Services, Ingresses, DNSEndpoints and Gateway API routes
// from manifest files, the way `kubectl apply -f` takes them, with the EndpointSlices,
// Pods and Nodes among them as the Cluster of headless and NodePort Services, and the
// Gateways and Namespaces as the GatewayCluster of the routes. It reads the files anew on every
// Endpoints call, so edits show without a restart. It holds no state and is safe for
// concurrent use.
type Manifest struct {
	paths []string
	opts  *Options
}

// NewManifest returns a Source over paths: files (read whatever their name), and
// folders, walked recursively for files ending in .yaml, .yml or .json, in lexical order.
// Files are read in the order of paths, each once, where it first occurs.
func NewManifest(paths []string, o *Options) *Manifest {
	return &Manifest{paths: slices.Clone(paths), opts: o}
}

// Endpoints reads every file and returns the records its objects ask for, sorted, with
// the problems of single objects. A path that cannot be read and a file that is not
// valid YAML or JSON are errors naming the file: the source as a whole is then unknown.
// A headless or NodePort Service sees the EndpointSlices, Pods and Nodes of all files, a
// route the Gateways and Namespaces of all files.
// An object found twice, in one file or in two, is read from the first place in the
// order NewManifest reads files, and the other copy gets a warning naming both places.
func (m *Manifest) Endpoints(ctx context.Context) (Result, error) {
	files, err := manifestFiles(m.paths)
	if err != nil {
		return Result{}, err
	}
	d := newManifestDecoder(kubeKinds(m.opts))
	for _, file := range files {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		data, err := os.ReadFile(file)
		if err != nil {
			return Result{}, fmt.Errorf("manifest: %w", err)
		}
		if err := d.decodeFile(file, data); err != nil {
			return Result{}, err
		}
	}
	all := d.ManifestObjects
	res := Result{Problems: all.Problems}
	cluster := manifestCluster{NewObjectCluster(all.EndpointSlices, all.Pods, all.Nodes), NewObjectGatewayCluster(all.Gateways, all.Namespaces)}
	for _, kk := range kubeKinds(m.opts) {
		if kk.convert == nil || !m.opts.reads(kk.kind) {
			continue
		}
		for _, obj := range kk.manifest(&all) {
			eps, problems := kk.convert(obj, m.opts, cluster, d.file[obj])
			res.Endpoints = append(res.Endpoints, eps...)
			res.Problems = append(res.Problems, problems...)
		}
	}
	endpoint.SortEndpoints(res.Endpoints)
	return res, nil
}

// manifestCluster is the kindCluster over a manifest's objects.
type manifestCluster struct {
	Cluster
	GatewayCluster
}

// manifestFiles expands paths into the files to read, each once.
func manifestFiles(paths []string) ([]string, error) {
	var files []string
	seen := map[string]bool{}
	add := func(f string) {
		if !seen[f] {
			seen[f] = true
			files = append(files, f)
		}
	}
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("manifest: %w", err)
		}
		if !info.IsDir() {
			add(p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			switch strings.ToLower(filepath.Ext(path)) {
			case ".yaml", ".yml", ".json":
				if !d.IsDir() {
					add(path)
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("manifest: %w", err)
		}
	}
	return files, nil
}
