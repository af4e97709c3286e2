package source

import (
	"encoding/json"
	"fmt"

	"github.com/zonekeeper/zonekeeper/endpoint"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// stripMetadata drops managedFields and the last-applied-configuration annotation in
// place: the informer hands the transform a freshly decoded object no one else holds.
func stripMetadata(obj any) (any, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return obj, nil
	}
	m.SetManagedFields(nil)
	if ann := m.GetAnnotations(); ann != nil {
		delete(ann, corev1.LastAppliedConfigAnnotation)
	}
	return obj, nil
}

// slimMeta keeps what identifies an object and says whether it changed.
func slimMeta(m *metav1.ObjectMeta) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: m.Name, Namespace: m.Namespace, UID: m.UID, ResourceVersion: m.ResourceVersion}
}

// filteredMeta is slimMeta with the labels and annotations that the filters and the
// conversion read, less kubectl's last-applied-configuration annotation.
func filteredMeta(m *metav1.ObjectMeta) metav1.ObjectMeta {
	out := slimMeta(m)
	out.Labels = m.Labels
	out.Annotations = m.Annotations
	delete(out.Annotations, corev1.LastAppliedConfigAnnotation)
	return out
}

// slimLoadBalancer keeps the addresses of a load balancer status, not their ports.
func slimLoadBalancer(in []corev1.LoadBalancerIngress) []corev1.LoadBalancerIngress {
	if len(in) == 0 {
		return nil
	}
	out := make([]corev1.LoadBalancerIngress, len(in))
	for i, lb := range in {
		out[i] = corev1.LoadBalancerIngress{IP: lb.IP, Hostname: lb.Hostname}
	}
	return out
}

// slimIngressLoadBalancer is slimLoadBalancer for an Ingress's status.
func slimIngressLoadBalancer(in []networkingv1.IngressLoadBalancerIngress) []networkingv1.IngressLoadBalancerIngress {
	if len(in) == 0 {
		return nil
	}
	out := make([]networkingv1.IngressLoadBalancerIngress, len(in))
	for i, lb := range in {
		out[i] = networkingv1.IngressLoadBalancerIngress{IP: lb.IP, Hostname: lb.Hostname}
	}
	return out
}

func slimService(obj any) (any, error) {
	s, ok := obj.(*corev1.Service)
	if !ok {
		return obj, nil
	}
	ports := make([]corev1.ServicePort, 0, len(s.Spec.Ports))
	for _, p := range s.Spec.Ports {
		if p.NodePort != 0 {
			ports = append(ports, corev1.ServicePort{Protocol: p.Protocol, NodePort: p.NodePort})
		}
	}
	if len(ports) == 0 {
		ports = nil
	}
	return &corev1.Service{
		ObjectMeta: filteredMeta(&s.ObjectMeta),
		Spec: corev1.ServiceSpec{
			Type:                     s.Spec.Type,
			ClusterIP:                s.Spec.ClusterIP,
			ClusterIPs:               s.Spec.ClusterIPs,
			ExternalIPs:              s.Spec.ExternalIPs,
			ExternalName:             s.Spec.ExternalName,
			ExternalTrafficPolicy:    s.Spec.ExternalTrafficPolicy,
			PublishNotReadyAddresses: s.Spec.PublishNotReadyAddresses,
			Ports:                    ports,
		},
		Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: slimLoadBalancer(s.Status.LoadBalancer.Ingress)}},
	}, nil
}

func slimIngress(obj any) (any, error) {
	ing, ok := obj.(*networkingv1.Ingress)
	if !ok {
		return obj, nil
	}
	out := &networkingv1.Ingress{
		ObjectMeta: filteredMeta(&ing.ObjectMeta),
		Spec:       networkingv1.IngressSpec{IngressClassName: ing.Spec.IngressClassName},
		Status:     networkingv1.IngressStatus{LoadBalancer: networkingv1.IngressLoadBalancerStatus{Ingress: slimIngressLoadBalancer(ing.Status.LoadBalancer.Ingress)}},
	}
	if len(ing.Spec.Rules) > 0 {
		out.Spec.Rules = make([]networkingv1.IngressRule, len(ing.Spec.Rules))
		for i, rule := range ing.Spec.Rules {
			out.Spec.Rules[i] = networkingv1.IngressRule{Host: rule.Host}
		}
	}
	if len(ing.Spec.TLS) > 0 {
		out.Spec.TLS = make([]networkingv1.IngressTLS, len(ing.Spec.TLS))
		for i, tls := range ing.Spec.TLS {
			out.Spec.TLS[i] = networkingv1.IngressTLS{Hosts: tls.Hosts}
		}
	}
	return out, nil
}

func slimPod(obj any) (any, error) {
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return obj, nil
	}
	return &corev1.Pod{
		ObjectMeta: slimMeta(&p.ObjectMeta),
		Spec:       corev1.PodSpec{Hostname: p.Spec.Hostname, NodeName: p.Spec.NodeName},
		// Phase: externalTrafficPolicy Local falls back to the Nodes of Running Pods.
		Status: corev1.PodStatus{Phase: p.Status.Phase, HostIP: p.Status.HostIP, HostIPs: p.Status.HostIPs},
	}, nil
}

func slimNode(obj any) (any, error) {
	n, ok := obj.(*corev1.Node)
	if !ok {
		return obj, nil
	}
	return &corev1.Node{
		ObjectMeta: slimMeta(&n.ObjectMeta),
		// Unschedulable: --exclude-unschedulable leaves cordoned Nodes out.
		Spec:   corev1.NodeSpec{Unschedulable: n.Spec.Unschedulable},
		Status: corev1.NodeStatus{Addresses: n.Status.Addresses},
	}, nil
}

func slimEndpointSlice(obj any) (any, error) {
	s, ok := obj.(*discoveryv1.EndpointSlice)
	if !ok {
		return obj, nil
	}
	out := &discoveryv1.EndpointSlice{
		ObjectMeta:  slimMeta(&s.ObjectMeta),
		AddressType: s.AddressType,
		Endpoints:   make([]discoveryv1.Endpoint, len(s.Endpoints)),
	}
	if svc := s.Labels[discoveryv1.LabelServiceName]; svc != "" {
		out.Labels = map[string]string{discoveryv1.LabelServiceName: svc}
	}
	for i, ep := range s.Endpoints {
		out.Endpoints[i] = discoveryv1.Endpoint{
			Addresses: ep.Addresses,
			// Serving ranks a terminating endpoint for externalTrafficPolicy Local.
			Conditions: discoveryv1.EndpointConditions{Ready: ep.Conditions.Ready, Serving: ep.Conditions.Serving},
			NodeName:   ep.NodeName,
		}
		if ref := ep.TargetRef; ref != nil {
			out.Endpoints[i].TargetRef = &corev1.ObjectReference{Kind: ref.Kind, Namespace: ref.Namespace, Name: ref.Name}
		}
	}
	return out, nil
}

// slimDNSEndpoint turns the unstructured object the dynamic client reads into a
// DNSEndpoint holding what the conversion, the filters and the status update read. An
// object that does not fit the type is kept with its decoding error, which the
// conversion reports on it.
func slimDNSEndpoint(obj any) (any, error) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return obj, nil
	}
	d := &DNSEndpoint{}
	// Through JSON rather than runtime.DefaultUnstructuredConverter: that one cannot
	// skip DNSEndpoint's unexported decodeErr.
	raw, err := json.Marshal(u.Object)
	if err == nil {
		err = json.Unmarshal(raw, d)
	}
	if err != nil {
		d = &DNSEndpoint{decodeErr: fmt.Errorf("does not fit external-dns's DNSEndpoint schema: %s", endpoint.Quote(err.Error()))}
		d.Name, d.Namespace, d.UID, d.ResourceVersion = u.GetName(), u.GetNamespace(), u.GetUID(), u.GetResourceVersion()
		d.Labels, d.Annotations, d.Generation = u.GetLabels(), u.GetAnnotations(), u.GetGeneration()
	}
	meta := filteredMeta(&d.ObjectMeta)
	meta.Generation = d.Generation
	return &DNSEndpoint{TypeMeta: d.TypeMeta, ObjectMeta: meta, Spec: d.Spec, Status: d.Status, decodeErr: d.decodeErr}, nil
}
