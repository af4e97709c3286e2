package source

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/zonekeeper/zonekeeper/endpoint"
)

// APIKind returns the apiVersion and kind of the objects of an ObjectRef kind that the
// source reads, as Options.APIKind does for its options.
func (k *Kube) APIKind(kind string) (apiVersion, apiKind string, ok bool) {
	return k.opts.APIKind(kind)
}

// UID returns the UID of the object ref names, as the informer caches hold
// it; false when they hold no such object (deleted, filtered out, not read from the API,
// or not started). An Event needs it to be shown by kubectl describe, which selects
// Events by the object's UID.
func (k *Kube) UID(ref endpoint.ObjectRef) (types.UID, bool) {
	if ref.Source != "" || ref.Kind == "" {
		return "", false
	}
	var r kubeResource
	for _, kk := range k.kindOrder {
		if kk.kind != "" && kk.objectRefKind() == ref.Kind {
			r = kk.resource
		}
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
