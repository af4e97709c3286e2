package source

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/zonekeeper/zonekeeper/endpoint"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// Cluster is a read-only view of the objects besides a Service that the records of
// headless and NodePort Services are made from. The objects it returns may be shared
// with a cache: callers must not modify them. Implementations are safe for concurrent
// use.
type Cluster interface {
	// EndpointSlices returns the EndpointSlices in namespace labelled
	// kubernetes.io/service-name=service, in any order; nil when there are none.
	EndpointSlices(namespace, service string) []*discoveryv1.EndpointSlice
	// Pod returns the Pod namespace/name, or nil when there is none.
	Pod(namespace, name string) *corev1.Pod
	// Nodes returns every Node, in any order.
	Nodes() []*corev1.Node
}

// Annotation keys read by headless and NodePort Services, and their values. Values are
// compared exactly, as upstream compares them.
const (
	keyAccess                   = "access"
	keyEndpointsType            = "endpoints-type"
	accessPublic                = "public"
	accessPrivate               = "private"
	endpointsTypeNodeExternalIP = "NodeExternalIP"
	endpointsTypeHostIP         = "HostIP"
)

// NewObjectCluster returns a Cluster over the given objects, which it indexes once and
// never modifies; EndpointSlices without the kubernetes.io/service-name label belong to
// no Service.
func NewObjectCluster(endpointSlices []*discoveryv1.EndpointSlice, pods []*corev1.Pod, nodes []*corev1.Node) Cluster {
	c := &objectCluster{
		slices: map[string][]*discoveryv1.EndpointSlice{},
		pods:   map[string]*corev1.Pod{},
		nodes:  slices.Clone(nodes),
	}
	for _, s := range endpointSlices {
		if svc := s.Labels[discoveryv1.LabelServiceName]; svc != "" {
			key := s.Namespace + "/" + svc
			c.slices[key] = append(c.slices[key], s)
		}
	}
	for _, p := range pods {
		c.pods[p.Namespace+"/"+p.Name] = p
	}
	return c
}

type objectCluster struct {
	slices map[string][]*discoveryv1.EndpointSlice // by namespace/service
	pods   map[string]*corev1.Pod                  // by namespace/name
	nodes  []*corev1.Node
}

func (c *objectCluster) EndpointSlices(namespace, service string) []*discoveryv1.EndpointSlice {
	return c.slices[namespace+"/"+service]
}

func (c *objectCluster) Pod(namespace, name string) *corev1.Pod { return c.pods[namespace+"/"+name] }

func (c *objectCluster) Nodes() []*corev1.Node { return c.nodes }

// addHeadless publishes a headless Service: each hostname with the address of every
// ready endpoint of its EndpointSlices (every endpoint with publishNotReadyAddresses),
// and <pod hostname>.<hostname> with the addresses of the endpoints of each Pod that
// sets spec.hostname. The endpoints-type annotation swaps an endpoint's address for the
// ExternalIPs of its Node or for the host IPs of its Pod.
func (r *objectResult) addHeadless(svc *corev1.Service, hostnames []string, c Cluster) {
	kind := r.endpointsType()
	origin := "EndpointSlices of the Service"
	var nodes map[string]*corev1.Node
	switch kind {
	case endpointsTypeNodeExternalIP:
		origin = "ExternalIPs of the Nodes of the Service's endpoints"
		nodes = map[string]*corev1.Node{}
		for _, n := range c.Nodes() {
			nodes[n.Name] = n
		}
	case endpointsTypeHostIP:
		origin = "host IPs of the Pods of the Service's endpoints"
	}
	var all []string
	byPodHostname := map[string][]string{}
	for _, slice := range c.EndpointSlices(svc.Namespace, svc.Name) {
		if slice.AddressType != discoveryv1.AddressTypeIPv4 && slice.AddressType != discoveryv1.AddressTypeIPv6 {
			continue
		}
		for _, ep := range slice.Endpoints {
			if !svc.Spec.PublishNotReadyAddresses && !endpointReady(ep) {
				continue
			}
			var pod *corev1.Pod
			if ref := ep.TargetRef; ref != nil && ref.Kind == "Pod" {
				ns := ref.Namespace
				if ns == "" {
					ns = svc.Namespace
				}
				pod = c.Pod(ns, ref.Name)
			}
			var targets []string
			switch kind {
			case endpointsTypeNodeExternalIP:
				if ep.NodeName != nil {
					targets = nodeAddresses(nodes[*ep.NodeName], corev1.NodeExternalIP)
				}
			case endpointsTypeHostIP:
				targets = podHostIPs(pod)
			default:
				targets = ep.Addresses
			}
			all = append(all, targets...)
			if pod != nil && pod.Spec.Hostname != "" {
				byPodHostname[pod.Spec.Hostname] = append(byPodHostname[pod.Spec.Hostname], targets...)
			}
		}
	}
	r.add(hostnames, r.targets(origin, all))
	for _, podHostname := range slices.Sorted(maps.Keys(byPodHostname)) {
		names := r.hostnames("spec.hostname of its Pods", childNames(podHostname, hostnames))
		r.add(names, r.targets(origin, byPodHostname[podHostname]))
	}
}

// endpointsType reads the endpoints-type annotation; a value it does not know is a
// warning and means the endpoint addresses, as absence does.
func (r *objectResult) endpointsType() string {
	a, ok := r.ann[keyEndpointsType]
	if !ok {
		return ""
	}
	switch a.value {
	case endpointsTypeNodeExternalIP, endpointsTypeHostIP:
		return a.value
	}
	r.warn(fmt.Errorf("annotation %s: %s is not %s or %s; publishing the endpoint addresses",
		a.key, endpoint.Quote(a.value), endpointsTypeNodeExternalIP, endpointsTypeHostIP))
	return ""
}

// addNodePort publishes a NodePort Service: each hostname with the addresses of the
// Nodes and, when SRV is managed, _<service>._<protocol>.<hostname> with an SRV record
// per node port.
//
// With externalTrafficPolicy Local only the Nodes of the Service's endpoints count, and
// of those only the ones at the best readiness any endpoint has, as external-dns ranks
// its Pods: ready and not terminating, else ready (serving) and terminating, else running
// and not ready. A Service whose Pods are all not ready thus keeps its Nodes' records.
//
// Which Node addresses is the access annotation's choice: public means ExternalIPs,
// private InternalIPs; without it, ExternalIPs, or InternalIPs when no chosen Node has
// an ExternalIP (upstream's fallback, which clusters without external addresses rely on).
// Unschedulable (cordoned) Nodes are left out with ExcludeUnschedulable, external-dns's
// default; a Node's readiness does not count, as in external-dns: a Node that flaps
// NotReady would otherwise churn the records.
func (r *objectResult) addNodePort(svc *corev1.Service, hostnames []string, c Cluster) {
	nodes := c.Nodes()
	if svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal {
		rank := localEndpointNodes(svc, c)
		nodes = slices.DeleteFunc(slices.Clone(nodes), func(n *corev1.Node) bool { return !rank[n.Name] })
	}
	if r.opts.excludeUnschedulable {
		nodes = slices.DeleteFunc(slices.Clone(nodes), func(n *corev1.Node) bool { return n.Spec.Unschedulable })
	}
	var external, internal []string
	for _, n := range nodes {
		external = append(external, nodeAddresses(n, corev1.NodeExternalIP)...)
		internal = append(internal, nodeAddresses(n, corev1.NodeInternalIP)...)
	}
	access := ""
	if a, ok := r.ann[keyAccess]; ok {
		if a.value == accessPublic || a.value == accessPrivate {
			access = a.value
		} else {
			r.warn(fmt.Errorf("annotation %s: %s is not %s or %s; publishing ExternalIPs, else InternalIPs",
				a.key, endpoint.Quote(a.value), accessPublic, accessPrivate))
		}
	}
	switch {
	case access == accessPrivate || access == "" && len(external) == 0:
		r.add(hostnames, r.targets("InternalIPs of the Nodes", internal))
	default:
		r.add(hostnames, r.targets("ExternalIPs of the Nodes", external))
	}
	if !r.opts.nodePortSRV {
		return
	}
	for _, h := range hostnames {
		if strings.HasPrefix(h, "*.") {
			continue
		}
		byProtocol := map[string][]string{}
		for _, p := range svc.Spec.Ports {
			if p.NodePort == 0 {
				continue
			}
			proto := strings.ToLower(string(p.Protocol))
			if proto == "" {
				proto = "tcp"
			}
			byProtocol[proto] = append(byProtocol[proto], fmt.Sprintf("0 50 %d %s", p.NodePort, h))
		}
		for _, proto := range slices.Sorted(maps.Keys(byProtocol)) {
			names := r.hostnames("SRV name", []string{"_" + svc.Name + "._" + proto + "." + h})
			r.add(names, map[string][]string{endpoint.RecordTypeSRV: byProtocol[proto]})
		}
	}
}

// Readiness ranks of an endpoint for externalTrafficPolicy Local, best last.
const (
	rankNotReady = iota + 1
	rankTerminating
	rankReady
)

// localEndpointNodes returns the names of the Nodes running an endpoint of svc at the
// best rank any of its endpoints has (see addNodePort). An endpoint not ready counts only
// when its Pod, if c knows it, is Running: external-dns looks at running Pods only.
func localEndpointNodes(svc *corev1.Service, c Cluster) map[string]bool {
	best := map[string]int{}
	top := 0
	for _, slice := range c.EndpointSlices(svc.Namespace, svc.Name) {
		for _, ep := range slice.Endpoints {
			if ep.NodeName == nil {
				continue
			}
			rank := rankNotReady
			switch {
			case endpointReady(ep):
				rank = rankReady
			case ep.Conditions.Serving != nil && *ep.Conditions.Serving:
				rank = rankTerminating
			case !podRunning(svc.Namespace, ep.TargetRef, c):
				continue
			}
			best[*ep.NodeName] = max(best[*ep.NodeName], rank)
			top = max(top, rank)
		}
	}
	out := map[string]bool{}
	for node, rank := range best {
		if rank == top {
			out[node] = true
		}
	}
	return out
}

// podRunning reports whether the Pod ref names is Running; a Pod c does not know counts
// as running, since the EndpointSlice lists it.
func podRunning(namespace string, ref *corev1.ObjectReference, c Cluster) bool {
	if ref == nil || ref.Kind != "Pod" {
		return true
	}
	if ref.Namespace != "" {
		namespace = ref.Namespace
	}
	pod := c.Pod(namespace, ref.Name)
	return pod == nil || pod.Status.Phase == corev1.PodRunning
}

// childNames returns label.<name> for each name that is not a wildcard: below a
// wildcard there is no name to publish.
func childNames(label string, names []string) []string {
	var out []string
	for _, n := range names {
		if !strings.HasPrefix(n, "*.") {
			out = append(out, label+"."+n)
		}
	}
	return out
}

// endpointReady reports whether ep is ready; an unknown condition counts as ready, as
// the EndpointSlice API asks consumers to read it.
func endpointReady(ep discoveryv1.Endpoint) bool {
	return ep.Conditions.Ready == nil || *ep.Conditions.Ready
}

// nodeAddresses returns the addresses of type t of node, which may be nil.
func nodeAddresses(node *corev1.Node, t corev1.NodeAddressType) []string {
	if node == nil {
		return nil
	}
	var out []string
	for _, a := range node.Status.Addresses {
		if a.Type == t {
			out = append(out, a.Address)
		}
	}
	return out
}

// podHostIPs returns the host IPs of pod (both families when the node has both), which
// may be nil.
func podHostIPs(pod *corev1.Pod) []string {
	if pod == nil {
		return nil
	}
	var out []string
	for _, ip := range pod.Status.HostIPs {
		out = append(out, ip.IP)
	}
	if len(out) == 0 && pod.Status.HostIP != "" {
		out = append(out, pod.Status.HostIP)
	}
	return out
}
