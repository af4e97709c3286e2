package source

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/zonekeeper/zonekeeper/endpoint"
	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// The Gateway API route kinds, spelled as --source names them.
const (
	KindGatewayHTTPRoute = "gateway-httproute"
	KindGatewayGRPCRoute = "gateway-grpcroute"
	KindGatewayTLSRoute  = "gateway-tlsroute"
	KindGatewayTCPRoute  = "gateway-tcproute"
	KindGatewayUDPRoute  = "gateway-udproute"
)

// GatewayRouteKinds returns the Gateway API route kinds a source can read, in a new slice.
func GatewayRouteKinds() []string {
	return []string{KindGatewayHTTPRoute, KindGatewayGRPCRoute, KindGatewayTLSRoute, KindGatewayTCPRoute, KindGatewayUDPRoute}
}

// gatewayGroup is the API group of Gateways and their routes; a parentRef without a
// group or kind means a Gateway of this group.
const (
	gatewayGroup = gatewayv1.GroupName
	gatewayKind  = "Gateway"
)

// keyGatewayHostnameSource is the route annotation that narrows where hostnames come
// from, with the values of the Ingress annotation ingress-hostname-source.
const keyGatewayHostnameSource = "gateway-hostname-source"

// GatewayCluster is a read-only view of the objects besides a route that the route's
// records are made from. The objects it returns may be shared with a cache: callers must
// not modify them. Implementations are safe for concurrent use.
type GatewayCluster interface {
	// Gateway returns the Gateway namespace/name, or nil when there is none.
	Gateway(namespace, name string) *gatewayv1.Gateway
	// Namespace returns the Namespace name, or nil when there is none. Only listeners
	// that admit routes by a namespace selector ask for it.
	Namespace(name string) *corev1.Namespace
}

// NewObjectGatewayCluster returns a GatewayCluster over the given objects, which it
// indexes once and never modifies.
func NewObjectGatewayCluster(gateways []*gatewayv1.Gateway, namespaces []*corev1.Namespace) GatewayCluster {
	c := &objectGatewayCluster{gateways: map[string]*gatewayv1.Gateway{}, namespaces: map[string]*corev1.Namespace{}}
	for _, gw := range gateways {
		c.gateways[gw.Namespace+"/"+gw.Name] = gw
	}
	for _, ns := range namespaces {
		c.namespaces[ns.Name] = ns
	}
	return c
}

type objectGatewayCluster struct {
	gateways   map[string]*gatewayv1.Gateway // by namespace/name
	namespaces map[string]*corev1.Namespace  // by name
}

func (c *objectGatewayCluster) Gateway(namespace, name string) *gatewayv1.Gateway {
	return c.gateways[namespace+"/"+name]
}

func (c *objectGatewayCluster) Namespace(name string) *corev1.Namespace { return c.namespaces[name] }

// gatewayRoute is what the conversion reads of a route, whatever its kind.
type gatewayRoute struct {
	kind      gatewayv1.Kind // HTTPRoute, …, as allowedRoutes.kinds name it
	refKind   string         // httproute, …: ObjectRef.Kind, upstream's resource label
	obj       any            // the typed route, for the FQDN template
	meta      *metav1.ObjectMeta
	hostnames []gatewayv1.Hostname
	parents   []gatewayv1.ParentReference
	status    []gatewayv1.RouteParentStatus
	// protocols are the listener protocols the route attaches to.
	protocols []gatewayv1.ProtocolType
}

// Listener protocols by route kind, as upstream matches them: a TCPRoute also attaches to
// a TLS listener (TLS passthrough to a TCP backend).
var (
	httpProtocols = []gatewayv1.ProtocolType{gatewayv1.HTTPProtocolType, gatewayv1.HTTPSProtocolType}
	tlsProtocols  = []gatewayv1.ProtocolType{gatewayv1.TLSProtocolType}
	tcpProtocols  = []gatewayv1.ProtocolType{gatewayv1.TCPProtocolType, gatewayv1.TLSProtocolType}
	udpProtocols  = []gatewayv1.ProtocolType{gatewayv1.UDPProtocolType}
)

// HTTPRouteEndpoints returns the records rt asks for and what is wrong with it; see
// gatewayRouteEndpoints for the rules, which every route kind shares.
func HTTPRouteEndpoints(rt *gatewayv1.HTTPRoute, o *Options, c GatewayCluster) ([]*endpoint.Endpoint, []endpoint.Problem) {
	return routeEndpoints(rt, viewHTTPRoute, o, c, "")
}

// GRPCRouteEndpoints is HTTPRouteEndpoints for a GRPCRoute.
func GRPCRouteEndpoints(rt *gatewayv1.GRPCRoute, o *Options, c GatewayCluster) ([]*endpoint.Endpoint, []endpoint.Problem) {
	return routeEndpoints(rt, viewGRPCRoute, o, c, "")
}

// TLSRouteEndpoints is HTTPRouteEndpoints for a TLSRoute.
func TLSRouteEndpoints(rt *gatewayv1.TLSRoute, o *Options, c GatewayCluster) ([]*endpoint.Endpoint, []endpoint.Problem) {
	return routeEndpoints(rt, viewTLSRoute, o, c, "")
}

// TCPRouteEndpoints is HTTPRouteEndpoints for a TCPRoute, which has no spec.hostnames:
// its names come from annotations, the FQDN template and listener hostnames.
func TCPRouteEndpoints(rt *gatewayv1.TCPRoute, o *Options, c GatewayCluster) ([]*endpoint.Endpoint, []endpoint.Problem) {
	return routeEndpoints(rt, viewTCPRoute, o, c, "")
}

// UDPRouteEndpoints is TCPRouteEndpoints for a UDPRoute.
func UDPRouteEndpoints(rt *gatewayv1.UDPRoute, o *Options, c GatewayCluster) ([]*endpoint.Endpoint, []endpoint.Problem) {
	return routeEndpoints(rt, viewUDPRoute, o, c, "")
}

// routeEndpoints converts rt, read from origin, through its view view; a nil rt asks for
// nothing.
func routeEndpoints[T any](rt *T, view func(*T) gatewayRoute, o *Options, c GatewayCluster, origin string) ([]*endpoint.Endpoint, []endpoint.Problem) {
	if rt == nil {
		return nil, nil
	}
	return gatewayRouteEndpoints(view(rt), o, c, origin)
}

// The views of each route kind that gatewayRouteEndpoints reads.

func viewHTTPRoute(rt *gatewayv1.HTTPRoute) gatewayRoute {
	return gatewayRoute{
		kind: "HTTPRoute", refKind: "httproute", obj: rt, meta: &rt.ObjectMeta, hostnames: rt.Spec.Hostnames,
		parents: rt.Spec.ParentRefs, status: rt.Status.Parents, protocols: httpProtocols,
	}
}

func viewGRPCRoute(rt *gatewayv1.GRPCRoute) gatewayRoute {
	return gatewayRoute{
		kind: "GRPCRoute", refKind: "grpcroute", obj: rt, meta: &rt.ObjectMeta, hostnames: rt.Spec.Hostnames,
		parents: rt.Spec.ParentRefs, status: rt.Status.Parents, protocols: httpProtocols,
	}
}

func viewTLSRoute(rt *gatewayv1.TLSRoute) gatewayRoute {
	return gatewayRoute{
		kind: "TLSRoute", refKind: "tlsroute", obj: rt, meta: &rt.ObjectMeta, hostnames: rt.Spec.Hostnames,
		parents: rt.Spec.ParentRefs, status: rt.Status.Parents, protocols: tlsProtocols,
	}
}

func viewTCPRoute(rt *gatewayv1.TCPRoute) gatewayRoute {
	return gatewayRoute{
		kind: "TCPRoute", refKind: "tcproute", obj: rt, meta: &rt.ObjectMeta,
		parents: rt.Spec.ParentRefs, status: rt.Status.Parents, protocols: tcpProtocols,
	}
}

func viewUDPRoute(rt *gatewayv1.UDPRoute) gatewayRoute {
	return gatewayRoute{
		kind: "UDPRoute", refKind: "udproute", obj: rt, meta: &rt.ObjectMeta,
		parents: rt.Spec.ParentRefs, status: rt.Status.Parents, protocols: udpProtocols,
	}
}

// gatewayRouteEndpoints returns the records rt, read from the place named origin, asks
// for and what is wrong with it.
//
// A route outside the namespace, label or annotation filters, or handed to another
// controller by the controller annotation, yields nothing. Its hostnames are
// spec.hostnames, the hostname annotation (unless IgnoreHostnameAnnotation) and, with
// neither or with CombineFQDNAnnotation, the FQDN template; the gateway-hostname-source
// annotation narrows them to annotation-only or defined-hosts-only. A route without
// spec.hostnames also takes the hostnames of the listeners it attaches to.
//
// Each spec.parentRefs entry naming a Gateway that the Gateway filters (name, namespace,
// labels, controller annotation) let through contributes the listeners it attaches to:
// the one of its sectionName and port, if set, whose protocol suits the route's kind and
// whose allowedRoutes admits the route's namespace and kind. Each route hostname is
// intersected with each such listener's hostname (a listener *.example.com matches
// a.example.com and a.b.example.com but not example.com; the more specific name is
// published), and published with the route's target annotation, else the Gateway's, else
// the Gateway's status.addresses of type IPAddress (A, AAAA) and Hostname (CNAME).
//
// Whether the Gateway accepted the route is read from status.parents: a parent whose
// entries all say Accepted=False contributes nothing, so its names go as if the route
// were deleted. A parent whose status says neither (no entry, no Accepted condition, or
// Unknown), or whose Gateway has no address, leaves its names unpublished with an
// ErrNoTargets warning: the controller then keeps what is published under them, and
// publishes them once every parent serving the name is accepted and has an address.
//
// Every returned record is valid, refers to rt and carries the TTL, set identifier and
// provider-specific properties of rt's annotations. Any error Problem means no records
// at all. The result is sorted.
func gatewayRouteEndpoints(rt gatewayRoute, o *Options, c GatewayCluster, origin string) ([]*endpoint.Endpoint, []endpoint.Problem) {
	if !o.selects(rt.meta) {
		return nil, nil
	}
	ref := endpoint.ObjectRef{Kind: rt.refKind, Namespace: rt.meta.Namespace, Name: rt.meta.Name, Source: origin}
	r, ok := newObjectResult(ref, rt.meta, o)
	if !ok {
		return nil, nil
	}
	names, takeListener := r.routeHostnames(rt)
	if len(names) == 0 && !takeListener {
		return r.result()
	}
	var routeTargets map[string][]string
	if targetOrigin, targets := r.targetAnnotation(); len(targets) > 0 {
		routeTargets = r.targets(targetOrigin, targets)
	}
	wanted := map[string]*wantedName{}
	for i, p := range rt.parents {
		r.addParent(rt, fmt.Sprintf("spec.parentRefs[%d]", i), p, c, names, takeListener, routeTargets, wanted)
	}
	for _, name := range slices.Sorted(maps.Keys(wanted)) {
		w := wanted[name]
		if w.waiting != "" {
			r.problems = append(r.problems, endpoint.Problem{Ref: ref, DNSName: name, Warning: true, Err: &gatewayWaitError{w.waiting}})
			continue
		}
		r.add([]string{name}, w.targets)
	}
	return r.result()
}

// wantedName is one name a route asks for through its parents.
type wantedName struct {
	targets map[string][]string // by record type
	// waiting says why the name waits (a parent not known to accept the route, or
	// without an address); "" when every parent serving it is ready.
	waiting string
}

// gatewayWaitError is the Err of the warning for a name whose parent Gateway has not yet
// said it accepts the route or has no address: errors.Is(err, ErrNoTargets) holds, so that
// the controller keeps the name's records.
type gatewayWaitError struct{ reason string }

func (e *gatewayWaitError) Error() string {
	return e.reason + "; the name's existing records are kept until it does"
}

func (e *gatewayWaitError) Is(target error) bool { return target == ErrNoTargets }

// routeHostnames returns the names rt asks for itself, normalised, and whether it also
// takes the hostnames of its listeners (it has no spec.hostnames).
func (r *objectResult) routeHostnames(rt gatewayRoute) (names []string, takeListener bool) {
	var spec []string
	for i, h := range rt.hostnames {
		spec = append(spec, r.hostnames(fmt.Sprintf("spec.hostnames[%d]", i), []string{string(h)})...)
	}
	if len(rt.hostnames) == 0 || r.opts.combineFQDN {
		spec = append(spec, r.templateHostnames(rt.obj)...)
	}
	var annotated []string
	if !r.opts.ignoreHostnameAnnotation {
		annotated = r.annotationHostnames(keyHostname)
	}
	if a, ok := r.ann[keyGatewayHostnameSource]; ok {
		switch strings.ToLower(strings.TrimSpace(a.value)) {
		case hostnameSourceAnnotationOnly:
			return annotated, false
		case hostnameSourceDefinedHostsOnly:
			return spec, false
		}
		// Upstream falls back to the default here rather than dropping the route's
		// records over a typo.
		r.warn(fmt.Errorf("annotation %s: %s is not %s or %s; reading every hostname source",
			a.key, endpoint.Quote(a.value), hostnameSourceDefinedHostsOnly, hostnameSourceAnnotationOnly))
	}
	return append(spec, annotated...), len(rt.hostnames) == 0
}

// addParent adds to wanted the names that parent p of rt (at field path) serves.
func (r *objectResult) addParent(rt gatewayRoute, path string, p gatewayv1.ParentReference, c GatewayCluster,
	names []string, takeListener bool, routeTargets map[string][]string, wanted map[string]*wantedName) {
	if strOr((*string)(p.Group), gatewayGroup) != gatewayGroup || strOr((*string)(p.Kind), gatewayKind) != gatewayKind {
		return
	}
	ns := strOr((*string)(p.Namespace), rt.meta.Namespace)
	o := r.opts
	if o.gatewayName != "" && string(p.Name) != o.gatewayName || o.gatewayNamespace != "" && ns != o.gatewayNamespace {
		return
	}
	gwName := ns + "/" + string(p.Name)
	gw := c.Gateway(ns, string(p.Name))
	if gw == nil {
		r.warn(fmt.Errorf("%s: Gateway %s not found; no records through it", path, gwName))
		return
	}
	gwAnn, ours := r.gatewayAnnotations(gw)
	if !ours || o.gatewayLabelFilter != nil && !o.gatewayLabelFilter.Matches(labels.Set(gw.Labels)) {
		return
	}
	accepted := parentAcceptance(rt, p)
	if accepted == metav1.ConditionFalse {
		return
	}
	var hosts []string
	for _, l := range gw.Spec.Listeners {
		if !r.listenerAdmits(rt, p, gwName, gw.Namespace, l, c) {
			continue
		}
		hosts = append(hosts, r.intersect(gwName, l, names, takeListener)...)
	}
	if len(hosts) == 0 {
		return
	}
	targets, waiting := routeTargets, ""
	if targets == nil {
		targets, waiting = r.gatewayTargets(gwName, gw, gwAnn)
	}
	if accepted != metav1.ConditionTrue {
		waiting = fmt.Sprintf("Gateway %s has not said whether it accepts the route (status.parents has no Accepted condition for %s, or it is Unknown)", gwName, path)
	}
	for _, h := range hosts {
		w, ok := wanted[h]
		if !ok {
			w = &wantedName{targets: map[string][]string{}}
			wanted[h] = w
		}
		if w.waiting == "" {
			w.waiting = waiting
		}
		for typ, ts := range targets {
			for _, t := range ts {
				if !slices.Contains(w.targets[typ], t) {
					w.targets[typ] = append(w.targets[typ], t)
				}
			}
		}
	}
}

// gatewayAnnotations reads gw's annotations; false means the controller annotation hands
// gw to another controller, which takes its routes' records along, as upstream does.
// Conflicting annotations on gw are warnings on the route, which is what publishes.
func (r *objectResult) gatewayAnnotations(gw *gatewayv1.Gateway) (map[string]annotation, bool) {
	ann, conflicts := readAnnotations(gw.Annotations, r.opts.prefixRank)
	if a, ok := ann[keyController]; ok && strings.TrimSpace(a.value) != controllerName {
		return nil, false
	}
	for _, err := range conflicts {
		r.warn(fmt.Errorf("Gateway %s/%s: %v", gw.Namespace, gw.Name, err))
	}
	return ann, true
}

// parentAcceptance is what rt's status.parents say of parent p: True when an entry for it
// says Accepted=True, False when entries say only False, else Unknown. Entries count
// when they name the same parent with the same sectionName and port; there may be one
// per controller, and upstream does not look at which.
func parentAcceptance(rt gatewayRoute, p gatewayv1.ParentReference) metav1.ConditionStatus {
	status := metav1.ConditionUnknown
	for _, s := range rt.status {
		if !sameParent(s.ParentRef, p, rt.meta.Namespace) {
			continue
		}
		switch c := apimeta.FindStatusCondition(s.Conditions, string(gatewayv1.RouteConditionAccepted)); {
		case c == nil:
		case c.Status == metav1.ConditionTrue:
			return metav1.ConditionTrue
		case c.Status == metav1.ConditionFalse:
			status = metav1.ConditionFalse
		}
	}
	return status
}

// sameParent reports whether a and b name the same parent of a route in namespace ns.
func sameParent(a, b gatewayv1.ParentReference, ns string) bool {
	return strOr((*string)(a.Group), gatewayGroup) == strOr((*string)(b.Group), gatewayGroup) &&
		strOr((*string)(a.Kind), gatewayKind) == strOr((*string)(b.Kind), gatewayKind) &&
		strOr((*string)(a.Namespace), ns) == strOr((*string)(b.Namespace), ns) &&
		a.Name == b.Name &&
		strOr((*string)(a.SectionName), "") == strOr((*string)(b.SectionName), "") &&
		(a.Port == nil) == (b.Port == nil) && (a.Port == nil || *a.Port == *b.Port)
}

// listenerAdmits reports whether listener l of Gateway gwName (in namespace gwNamespace)
// takes rt through parentRef p: its name and port are p's, if p sets them, its protocol
// suits the route's kind, and its allowedRoutes admit the route's namespace and kind.
func (r *objectResult) listenerAdmits(rt gatewayRoute, p gatewayv1.ParentReference, gwName, gwNamespace string, l gatewayv1.Listener, c GatewayCluster) bool {
	if p.SectionName != nil && *p.SectionName != "" && l.Name != *p.SectionName ||
		p.Port != nil && l.Port != *p.Port ||
		!slices.Contains(rt.protocols, l.Protocol) {
		return false
	}
	allowed := l.AllowedRoutes
	from := gatewayv1.NamespacesFromSame
	if allowed != nil && allowed.Namespaces != nil && allowed.Namespaces.From != nil {
		from = *allowed.Namespaces.From
	}
	switch from {
	case gatewayv1.NamespacesFromAll:
	case gatewayv1.NamespacesFromSame:
		if rt.meta.Namespace != gwNamespace {
			return false
		}
	case gatewayv1.NamespacesFromSelector:
		sel, err := metav1.LabelSelectorAsSelector(allowed.Namespaces.Selector)
		if err != nil {
			r.warn(fmt.Errorf("Gateway %s listener %s: allowedRoutes.namespaces.selector: %v; the listener admits no route by it", gwName, l.Name, err))
			return false
		}
		ns := c.Namespace(rt.meta.Namespace)
		if ns == nil {
			r.warn(fmt.Errorf("Gateway %s listener %s admits routes by namespace labels, and namespace %s is unknown", gwName, l.Name, rt.meta.Namespace))
			return false
		}
		if !sel.Matches(labels.Set(ns.Labels)) {
			return false
		}
	default:
		return false
	}
	if allowed == nil || len(allowed.Kinds) == 0 {
		return true
	}
	return slices.ContainsFunc(allowed.Kinds, func(k gatewayv1.RouteGroupKind) bool {
		return strOr((*string)(k.Group), gatewayGroup) == gatewayGroup && k.Kind == rt.kind
	})
}

// intersect returns the names of the route that listener l of Gateway gwName serves: each
// of names that the listener's hostname matches, in its more specific form, and with
// takeListener the listener's hostname itself.
func (r *objectResult) intersect(gwName string, l gatewayv1.Listener, names []string, takeListener bool) []string {
	if l.Hostname == nil || *l.Hostname == "" {
		// A route that names no host on a listener that names none asks for nothing,
		// as upstream.
		return names
	}
	lh, err := endpoint.NormalizeName(string(*l.Hostname))
	if err == nil {
		err = endpoint.ValidateName(lh)
	}
	if err != nil {
		r.warn(fmt.Errorf("Gateway %s listener %s: hostname: %v; the listener is skipped", gwName, l.Name, err))
		return nil
	}
	var out []string
	if takeListener {
		out = append(out, lh)
	}
	for _, n := range names {
		if h, ok := matchHostnames(lh, n); ok {
			out = append(out, h)
		}
	}
	return out
}

// matchHostnames returns the more specific of two normalised names that match each other,
// as Gateway API matches a listener hostname and a route hostname: equal names, or a
// wildcard *.s and a name ending in .s (any number of labels in place of the *; s itself
// does not match).
func matchHostnames(a, b string) (string, bool) {
	switch {
	case a == b:
		return a, true
	case wildcardMatches(a, b):
		return b, true
	case wildcardMatches(b, a):
		return a, true
	}
	return "", false
}

func wildcardMatches(wildcard, name string) bool {
	return strings.HasPrefix(wildcard, "*.") && strings.HasSuffix(name, wildcard[1:])
}

// gatewayTargets returns the targets gw offers its routes by record type: its target
// annotation, else its status.addresses of type IPAddress and Hostname; with none, why.
func (r *objectResult) gatewayTargets(gwName string, gw *gatewayv1.Gateway, ann map[string]annotation) (map[string][]string, string) {
	if a, ok := ann[keyTarget]; ok {
		targets := r.targets(fmt.Sprintf("Gateway %s annotation %s", gwName, a.key), splitList(a.value))
		if len(targets) == 0 {
			return nil, fmt.Sprintf("Gateway %s annotation %s names no target", gwName, a.key)
		}
		return targets, ""
	}
	var raw []string
	for _, a := range gw.Status.Addresses {
		if a.Type == nil || *a.Type == gatewayv1.IPAddressType || *a.Type == gatewayv1.HostnameAddressType {
			raw = append(raw, a.Value)
		}
	}
	targets := r.targets(fmt.Sprintf("Gateway %s status.addresses", gwName), raw)
	if len(targets) == 0 {
		return nil, fmt.Sprintf("Gateway %s has no IPAddress or Hostname in status.addresses", gwName)
	}
	return targets, ""
}

// strOr returns *p, or def when p is nil or empty.
func strOr(p *string, def string) string {
	if p == nil || *p == "" {
		return def
	}
	return *p
}
