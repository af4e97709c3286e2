package source

import (
	"context"
	"fmt"
	"slices"

	"github.com/zonekeeper/zonekeeper/endpoint"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	gatewayclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"
)

// kubeClients are the API clients the kinds are read through.
type kubeClients struct {
	core kubernetes.Interface
	// dynamic reads custom resources; nil when no kind read needs it.
	dynamic dynamic.Interface
	// gateway reads Gateway API objects; nil when no route kind is read.
	gateway gatewayclient.Interface
}

// kindCluster is what conversions read the objects their records are made from through:
// the informer caches (kubeCluster) or a manifest's objects. A kind whose records come
// from other objects adds its view here and implements it on both.
type kindCluster interface {
	Cluster
	GatewayCluster
}

// listWatch is how an informer lists and watches one resource in a namespace ("" for
// all, and for cluster-scoped resources).
type listWatch struct {
	list  func(context.Context, metav1.ListOptions) (runtime.Object, error)
	watch func(context.Context, metav1.ListOptions) (watch.Interface, error)
	// client is asked whether the list may be streamed (watch-list).
	client any
}

// typedListWatch adapts a typed client's List and Watch.
func typedListWatch[L runtime.Object](client any, list func(context.Context, metav1.ListOptions) (L, error),
	w func(context.Context, metav1.ListOptions) (watch.Interface, error)) listWatch {
	return listWatch{
		list: func(ctx context.Context, lo metav1.ListOptions) (runtime.Object, error) {
			return list(ctx, lo)
		},
		watch:  w,
		client: client,
	}
}

// kubeKind is one resource the Kube and manifest sources read: a row of kubeKinds.
// Adding a kind of object that asks for records is adding a row and its conversion.
type kubeKind struct {
	// resource is the plural the API serves the objects under; group its API group ("" for core).
	resource kubeResource
	group    string
	// kind is the --source value of a kind whose objects ask for records, and its
	// ObjectRef kind unless refKind says otherwise; "" for resources read only because
	// another kind's records are made from them (EndpointSlices, Pods, Nodes, Gateways,
	// Namespaces).
	kind string
	// refKind is the ObjectRef kind when it is not kind: upstream labels a route's
	// records httproute/… while its --source value is gateway-httproute.
	refKind string
	// apiVersion and apiKind spell the kind as a manifest and an Event's reference do.
	apiVersion, apiKind string
	// labelFiltered: the informer passes --label-filter to the server.
	labelFiltered bool
	// labelSelector is a fixed label selector the informer passes instead.
	labelSelector string
	// selector, when set, returns the label selector the informer passes instead of
	// those above (nil or empty: none).
	selector func(o *Options) labels.Selector
	// namespace, when set, returns the namespace the informer lists in instead of
	// --namespace ("" for all).
	namespace func(o *Options) string
	// clusterScoped resources are listed in every namespace, whatever --namespace says.
	clusterScoped bool
	// with are the resources whose informers start along with this kind's, because
	// every object of it is converted with theirs.
	with []kubeResource
	// listWatch returns how to list and watch the resource in namespace ns; the error
	// says a client the kind needs is missing.
	listWatch func(c kubeClients, ns string) (listWatch, error)
	// example is an empty object of the type the informer lists.
	example runtime.Object
	// indexers are the informer's indexes, by name.
	indexers cache.Indexers
	// slim keeps of an object only what convert and the selectors read. keepWhole
	// says when it must not (an FQDN template may read any field); stripMetadata is
	// then applied instead. Nil keepWhole: always slim.
	slim      cache.TransformFunc
	keepWhole func(o *Options) bool
	// convert returns the records a cached object (after slim) asks for, read from
	// the place named origin ("" for the API); nil for resources read only for
	// another kind. c serves the resources the object's records are made from.
	convert func(obj any, o *Options, c kindCluster, origin string) ([]*endpoint.Endpoint, []endpoint.Problem)
	// needs returns the resources obj's records are made from, whose informers start
	// when the first object needing them is seen; nil for none.
	needs func(obj any, o *Options) []kubeResource
	// decodeManifest decodes an object of this kind, as a manifest spells it
	// (apiVersion, apiKind), placed in namespace, into the decoder's objects; it tells
	// problem what does not fit.
	decodeManifest func(d *manifestDecoder, raw []byte, namespace string, problem func(format string, args ...any))
	// manifest returns the objects of this kind the manifest source decoded.
	manifest func(*ManifestObjects) []any
	// unacknowledged returns the generation of obj to acknowledge, and false when obj
	// says it was acknowledged already; nil for kinds that are not acknowledged.
	unacknowledged func(obj any) (generation int64, ok bool)
	// acknowledge records on the object that its records for generation were applied.
	acknowledge func(ctx context.Context, c kubeClients, namespace, name string, generation int64) error
}

// objectRefKind is the kind the ObjectRefs of this kind's records carry.
func (k *kubeKind) objectRefKind() string {
	if k.refKind != "" {
		return k.refKind
	}
	return k.kind
}

// qualified is the resource with its API group, as RBAC rules and kubectl spell it.
func (k *kubeKind) qualified() string {
	if k.group == "" {
		return string(k.resource)
	}
	return string(k.resource) + "." + k.group
}

// transformFor returns the transform r's informer applies before caching an object read
// with the options o. Without an FQDN template, Services and Ingresses keep only the
// fields the conversion reads, as EndpointSlices, Pods, Nodes and DNSEndpoints always
// do: at 10,000 objects the dropped fields (ports' names, IP families, session affinity,
// Ingress paths and backends, TLS secret names, timestamps) are a good part of the
// resident set. An FQDN template may read any field, so with one Services and Ingresses
// keep every field but managedFields and kubectl's last-applied-configuration
// annotation, which can double an object's size.
func transformFor(r kubeResource, o *Options) cache.TransformFunc {
	return findKind(kubeKinds(o), r).transform(o)
}

// findKind returns r's row of kinds; a resource not in the table is a programming
// error, as every kubeResource comes from the table.
func findKind(kinds []*kubeKind, r kubeResource) *kubeKind {
	for _, kk := range kinds {
		if kk.resource == r {
			return kk
		}
	}
	panic(fmt.Sprintf("source: resource %q is not in the kinds table", r))
}

// slimmed reports whether the transform keeps only the fields convert reads.
func (k *kubeKind) slimmed(o *Options) bool { return k.keepWhole == nil || !k.keepWhole(o) }

// transform returns what the informer applies before caching an object.
func (k *kubeKind) transform(o *Options) cache.TransformFunc {
	if !k.slimmed(o) {
		return stripMetadata
	}
	return k.slim
}

// hasTemplate: an FQDN template may read any field of Services and Ingresses.
func hasTemplate(o *Options) bool { return o.fqdnTemplate != nil }

// kubeKinds returns the table of resource kinds for the options o, the kinds that ask
// for records first, in the order their records are read.
func kubeKinds(o *Options) []*kubeKind {
	crd := o.crd
	if crd.gvk.Empty() {
		crd, _ = parseCRDTarget(DefaultCRDAPIVersion, DefaultCRDKind)
	}
	return slices.Concat([]*kubeKind{
		{
			resource: resourceServices, kind: KindService, apiVersion: "v1", apiKind: "Service",
			labelFiltered: true,
			listWatch: func(c kubeClients, ns string) (listWatch, error) {
				s := c.core.CoreV1().Services(ns)
				return typedListWatch(c.core, s.List, s.Watch), nil
			},
			example: &corev1.Service{}, slim: slimService, keepWhole: hasTemplate,
			convert: func(obj any, o *Options, c kindCluster, origin string) ([]*endpoint.Endpoint, []endpoint.Problem) {
				svc, _ := obj.(*corev1.Service)
				return serviceEndpoints(svc, o, c, origin)
			},
			needs: func(obj any, o *Options) []kubeResource {
				if svc, ok := obj.(*corev1.Service); ok {
					return clusterNeeds(svc, o)
				}
				return nil
			},
			decodeManifest: func(d *manifestDecoder, raw []byte, ns string, problem func(string, ...any)) {
				appendDecoded(d, &d.Services, raw, ns, problem)
			},
			manifest: func(m *ManifestObjects) []any { return anySlice(m.Services) },
		},
		{
			resource: resourceIngresses, group: "networking.k8s.io", kind: KindIngress,
			apiVersion: "networking.k8s.io/v1", apiKind: "Ingress",
			labelFiltered: true,
			listWatch: func(c kubeClients, ns string) (listWatch, error) {
				s := c.core.NetworkingV1().Ingresses(ns)
				return typedListWatch(c.core, s.List, s.Watch), nil
			},
			example: &networkingv1.Ingress{}, slim: slimIngress, keepWhole: hasTemplate,
			convert: func(obj any, o *Options, _ kindCluster, origin string) ([]*endpoint.Endpoint, []endpoint.Problem) {
				ing, _ := obj.(*networkingv1.Ingress)
				return ingressEndpoints(ing, o, origin)
			},
			decodeManifest: func(d *manifestDecoder, raw []byte, ns string, problem func(string, ...any)) {
				appendDecoded(d, &d.Ingresses, raw, ns, problem)
			},
			manifest: func(m *ManifestObjects) []any { return anySlice(m.Ingresses) },
		},
		{
			// The resource is spelled with its group, which a custom resource's plural
			// alone may clash without.
			resource: kubeResource(crd.gvr.GroupResource().String()), kind: KindCRD,
			apiVersion: crd.gvk.GroupVersion().String(), apiKind: crd.gvk.Kind,
			labelFiltered: true,
			listWatch: func(c kubeClients, ns string) (listWatch, error) {
				if c.dynamic == nil {
					return listWatch{}, fmt.Errorf("reading %s needs a dynamic client (KubeConfig.Dynamic)", crd.gvk.Kind)
				}
				r := c.dynamic.Resource(crd.gvr).Namespace(ns)
				return typedListWatch(c.dynamic, r.List, r.Watch), nil
			},
			example: crdExample(crd), slim: slimDNSEndpoint,
			convert: func(obj any, o *Options, _ kindCluster, origin string) ([]*endpoint.Endpoint, []endpoint.Problem) {
				d, _ := obj.(*DNSEndpoint)
				return dnsEndpointEndpoints(d, o, origin)
			},
			decodeManifest: func(d *manifestDecoder, raw []byte, ns string, problem func(string, ...any)) {
				appendDecoded(d, &d.DNSEndpoints, raw, ns, problem)
			},
			manifest: func(m *ManifestObjects) []any { return anySlice(m.DNSEndpoints) },
			unacknowledged: func(obj any) (int64, bool) {
				d, ok := obj.(*DNSEndpoint)
				if !ok || d.decodeErr != nil || d.Status.ObservedGeneration == d.Generation {
					return 0, false
				}
				return d.Generation, true
			},
			acknowledge: func(ctx context.Context, c kubeClients, namespace, name string, generation int64) error {
				// A merge patch of the status subresource touches nothing else: the
				// spec may have moved on since it was read, and an update would need
				// the whole object at its current resourceVersion.
				patch := fmt.Appendf(nil, `{"status":{"observedGeneration":%d}}`, generation)
				_, err := c.dynamic.Resource(crd.gvr).Namespace(namespace).Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{}, "status")
				return err
			},
		},
	}, gatewayRouteRows(), []*kubeKind{
		{
			resource: resourceEndpointSlices, group: "discovery.k8s.io",
			apiVersion: "discovery.k8s.io/v1", apiKind: "EndpointSlice",
			labelSelector: discoveryv1.LabelServiceName,
			listWatch: func(c kubeClients, ns string) (listWatch, error) {
				s := c.core.DiscoveryV1().EndpointSlices(ns)
				return typedListWatch(c.core, s.List, s.Watch), nil
			},
			example:  &discoveryv1.EndpointSlice{},
			indexers: cache.Indexers{endpointSliceServiceIndex: indexEndpointSliceByService},
			slim:     slimEndpointSlice,
			decodeManifest: func(d *manifestDecoder, raw []byte, ns string, problem func(string, ...any)) {
				appendDecoded(d, &d.EndpointSlices, raw, ns, problem)
			},
		},
		{
			resource: resourcePods, apiVersion: "v1", apiKind: "Pod",
			listWatch: func(c kubeClients, ns string) (listWatch, error) {
				s := c.core.CoreV1().Pods(ns)
				return typedListWatch(c.core, s.List, s.Watch), nil
			},
			example: &corev1.Pod{}, slim: slimPod,
			decodeManifest: func(d *manifestDecoder, raw []byte, ns string, problem func(string, ...any)) {
				appendDecoded(d, &d.Pods, raw, ns, problem)
			},
		},
		{
			resource: resourceNodes, apiVersion: "v1", apiKind: "Node", clusterScoped: true,
			listWatch: func(c kubeClients, _ string) (listWatch, error) {
				s := c.core.CoreV1().Nodes()
				return typedListWatch(c.core, s.List, s.Watch), nil
			},
			example: &corev1.Node{}, slim: slimNode,
			decodeManifest: func(d *manifestDecoder, raw []byte, ns string, problem func(string, ...any)) {
				appendDecoded(d, &d.Nodes, raw, ns, problem)
			},
		},
	}, gatewayParentRows())
}

// crdExample is the object type the crd informer lists: unstructured, as the dynamic
// client returns it, of the configured kind.
func crdExample(crd crdTarget) runtime.Object {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(crd.gvk)
	return u
}

func anySlice[T any](in []T) []any {
	out := make([]any, len(in))
	for i, v := range in {
		out[i] = v
	}
	return out
}

// SourceKinds returns the kinds --source may name to read objects of, in the order
// their records are read.
func SourceKinds() []string {
	var out []string
	for _, k := range kubeKinds(&Options{}) {
		if k.kind != "" {
			out = append(out, k.kind)
		}
	}
	return out
}

// APIKind returns the apiVersion and kind of the objects of an ObjectRef kind
// (endpoint.ObjectRef.Kind: service, ingress, crd, httproute, …), as an Event's reference
// needs them; false for a kind no source reads.
func (o *Options) APIKind(kind string) (apiVersion, apiKind string, ok bool) {
	for _, k := range kubeKinds(o) {
		if k.kind != "" && k.objectRefKind() == kind {
			return k.apiVersion, k.apiKind, true
		}
	}
	return "", "", false
}
