package source

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

// transformFor returns the transform r's informer applies before caching an object.
// Services and Ingresses keep every field (an FQDN template may read any of them) but
// managedFields and kubectl's last-applied-configuration annotation, which can double an
// object's size; EndpointSlices, Pods and Nodes keep only what the conversion reads, since
// a cluster holds many more of them than it holds Services.
func transformFor(r kubeResource) cache.TransformFunc {
	switch r {
	case resourceEndpointSlices:
		return slimEndpointSlice
	case resourcePods:
		return slimPod
	case resourceNodes:
		return slimNode
	}
	return stripMetadata
}

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

func slimPod(obj any) (any, error) {
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return obj, nil
	}
	return &corev1.Pod{
		ObjectMeta: slimMeta(&p.ObjectMeta),
		Spec:       corev1.PodSpec{Hostname: p.Spec.Hostname, NodeName: p.Spec.NodeName},
		Status:     corev1.PodStatus{HostIP: p.Status.HostIP, HostIPs: p.Status.HostIPs},
	}, nil
}

func slimNode(obj any) (any, error) {
	n, ok := obj.(*corev1.Node)
	if !ok {
		return obj, nil
	}
	return &corev1.Node{
		ObjectMeta: slimMeta(&n.ObjectMeta),
		Status:     corev1.NodeStatus{Addresses: n.Status.Addresses},
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
			Addresses:  ep.Addresses,
			Conditions: discoveryv1.EndpointConditions{Ready: ep.Conditions.Ready},
			NodeName:   ep.NodeName,
		}
		if ref := ep.TargetRef; ref != nil {
			out.Endpoints[i].TargetRef = &corev1.ObjectReference{Kind: ref.Kind, Namespace: ref.Namespace, Name: ref.Name}
		}
	}
	return out, nil
}
