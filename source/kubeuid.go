package source

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/zonekeeper/zonekeeper/endpoint"
)

// UID returns the UID of the Service or Ingress ref names, as the informer caches hold
// it; false when they hold no such object (deleted, filtered out, not read from the API,
// or not started). An Event needs it to be shown by kubectl describe, which selects
// Events by the object's UID.
func (k *Kube) UID(ref endpoint.ObjectRef) (types.UID, bool) {
	var r kubeResource
	switch ref.Kind {
	case KindService:
		r = resourceServices
	case KindIngress:
		r = resourceIngresses
	default:
		return "", false
	}
	if ref.Source != "" {
		return "", false
	}
	k.mu.Lock()
	inf := k.informers[r]
	k.mu.Unlock()
	if inf == nil {
		return "", false
	}
	obj, ok, err := inf.informer.GetIndexer().GetByKey(ref.Namespace + "/" + ref.Name)
	if err != nil || !ok {
		return "", false
	}
	m, ok := obj.(metav1.Object)
	if !ok {
		return "", false
	}
	return m.GetUID(), true
}
