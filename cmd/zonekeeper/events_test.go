package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/zonekeeper/zonekeeper/controller"
	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/source"
)

func TestEventFlags(t *testing.T) {
	r := runCLI(t, nil, append([]string{"run", "--once", "--events-emit=RecordReady,Bogus"}, zoneArgs(t.TempDir())...)...)
	if r.code != 1 || !strings.Contains(r.stderr, `--events-emit "Bogus": want RecordReady, RecordDeleted, RecordError`) {
		t.Errorf("an unknown --events-emit value: exit %d, stderr %q; want 1 and the values allowed", r.code, r.stderr)
	}
	for _, tt := range []struct {
		o    options
		want controller.EventConfig
	}{
		{options{eventWarnings: true}, controller.EventConfig{Warnings: true}},
		{options{eventsEmit: []string{"RecordError", " RecordReady", "RecordError"}}, controller.EventConfig{Emit: []string{"RecordError", "RecordReady"}}},
	} {
		got, err := eventConfig(&tt.o)
		if err != nil || strings.Join(got.Emit, ",") != strings.Join(tt.want.Emit, ",") || got.Warnings != tt.want.Warnings {
			t.Errorf("eventConfig(%v, %t) = %+v, %v; want %+v", tt.o.eventsEmit, tt.o.eventWarnings, got, err, tt.want)
		}
	}
}

// TestNoEventsWithoutCluster: objects from manifests and dry runs get no Recorder.
func TestNoEventsWithoutCluster(t *testing.T) {
	for _, dryRun := range []bool{false, true} {
		a := &app{controller: &controller.Controller{Config: controller.Config{DryRun: dryRun, Events: controller.EventConfig{Warnings: true}}}}
		stop, err := a.startEvents(context.Background(), &options{}, nil)
		if err != nil || a.controller.Events != nil {
			t.Errorf("dry run %t without a live source: err %v, Events %v; want no Recorder", dryRun, err, a.controller.Events)
		}
		stop(0)
	}
}

// recordedEvent is one call of fakeEventRecorder.Eventf.
type recordedEvent struct {
	regarding                       *corev1.ObjectReference
	eventType, reason, action, note string
}

type fakeEventRecorder struct{ events []recordedEvent }

func (f *fakeEventRecorder) Eventf(regarding, _ runtime.Object, eventType, reason, action, note string, args ...any) {
	f.events = append(f.events, recordedEvent{regarding.(*corev1.ObjectReference), eventType, reason, action, fmt.Sprintf(note, args...)})
}

// TestKubeRecorder: each Event regards the object with its API version and kind (as the
// source spells them: a configured crd kind, the route kinds), and its
// UID when the caches have the object; objects of other kinds or from manifests get
// none. The action tells messages apart and is stable for one message.
func TestKubeRecorder(t *testing.T) {
	fake := &fakeEventRecorder{}
	opts, err := source.Config{CRDAPIVersion: "example.org/v2", CRDKind: "Record"}.Compile()
	if err != nil {
		t.Fatal(err)
	}
	r := &kubeRecorder{recorder: fake, uid: func(ref endpoint.ObjectRef) (types.UID, bool) {
		return "uid-" + types.UID(ref.Name), ref.Name != "gone"
	}, kind: opts.APIKind}
	r.Event(endpoint.ObjectRef{Kind: "ingress", Namespace: "ns", Name: "web"}, controller.EventNormal, controller.ReasonRecordReady, "A web → 192.0.2.1 published")
	r.Event(endpoint.ObjectRef{Kind: "service", Namespace: "ns", Name: "gone"}, controller.EventWarning, controller.ReasonDeletionWithheld, "withheld")
	r.Event(endpoint.ObjectRef{Kind: "ingress", Namespace: "ns", Name: "web", Source: "objects.yaml"}, controller.EventWarning, controller.ReasonNoZone, "none")
	r.Event(endpoint.ObjectRef{Kind: "crd", Namespace: "ns", Name: "rec"}, controller.EventWarning, controller.ReasonNoZone, "none")
	r.Event(endpoint.ObjectRef{Kind: "httproute", Namespace: "ns", Name: "shop"}, controller.EventNormal, controller.ReasonRecordReady, "ready")
	r.Event(endpoint.ObjectRef{Kind: "gateway-httproute", Namespace: "ns", Name: "x"}, controller.EventWarning, controller.ReasonNoZone, "none")
	r.Event(endpoint.ObjectRef{Kind: "pod", Namespace: "ns", Name: "x"}, controller.EventWarning, controller.ReasonNoZone, "none")
	if len(fake.events) != 4 || r.sent.Load() != 4 {
		t.Fatalf("%d Events recorded, %d counted, want 4: the manifest's object and the unknown kinds get none", len(fake.events), r.sent.Load())
	}
	web, gone := fake.events[0], fake.events[1]
	for i, want := range []corev1.ObjectReference{
		{APIVersion: "example.org/v2", Kind: "Record", Namespace: "ns", Name: "rec", UID: "uid-rec"},
		{APIVersion: "gateway.networking.k8s.io/v1", Kind: "HTTPRoute", Namespace: "ns", Name: "shop", UID: "uid-shop"},
	} {
		if got := *fake.events[2+i].regarding; got != want {
			t.Errorf("regarding %+v, want %+v", got, want)
		}
	}
	if want := (corev1.ObjectReference{APIVersion: "networking.k8s.io/v1", Kind: "Ingress", Namespace: "ns", Name: "web", UID: "uid-web"}); *web.regarding != want {
		t.Errorf("regarding %+v, want %+v", *web.regarding, want)
	}
	if want := (corev1.ObjectReference{APIVersion: "v1", Kind: "Service", Namespace: "ns", Name: "gone"}); *gone.regarding != want {
		t.Errorf("regarding of a deleted object %+v, want %+v", *gone.regarding, want)
	}
	if web.eventType != "Normal" || web.reason != "RecordReady" || web.note != "A web → 192.0.2.1 published" || !strings.HasPrefix(web.action, "Publish-") {
		t.Errorf("Event %+v", web)
	}
	if a, b := eventAction("RecordReady", "x"), eventAction("RecordReady", "y"); a == b || a != eventAction("RecordReady", "x") || len(a) > 128 {
		t.Errorf("actions %q and %q: want different for different messages, the same for one, at most 128 bytes", a, b)
	}
}
