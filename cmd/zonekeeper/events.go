package main

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/events"

	"github.com/zonekeeper/zonekeeper/controller"
	"github.com/zonekeeper/zonekeeper/endpoint"
)

// addEventFlags registers the flags of `run` that choose the Events it reports.
func addEventFlags(fs *pflag.FlagSet, o *options) {
	fs.StringSliceVar(&o.eventsEmit, "events-emit", nil, "also report these external-dns Events on the objects behind records: "+strings.Join(controller.EmittableReasons(), ", ")+" (repeatable)")
	fs.BoolVar(&o.eventWarnings, "events-warnings", true, "report zonekeeper's warning Events (conflicts, names owned elsewhere or in no zone, invalid input, withheld deletions, CNAME beside other data) on the objects concerned")
}

// eventConfig checks --events-emit and --events-warnings.
func eventConfig(o *options) (controller.EventConfig, error) {
	var emit []string
	for _, r := range o.eventsEmit {
		r = strings.TrimSpace(r)
		if !slices.Contains(controller.EmittableReasons(), r) {
			return controller.EventConfig{}, fmt.Errorf("--events-emit %q: want %s", r, strings.Join(controller.EmittableReasons(), ", "))
		}
		if !slices.Contains(emit, r) {
			emit = append(emit, r)
		}
	}
	return controller.EventConfig{Emit: emit, Warnings: o.eventWarnings}, nil
}

// The identity of zonekeeper's Events and the client that writes them.
const (
	// eventsController is the reportingController of every Event, which kubectl
	// describe shows as "From".
	eventsController = "zonekeeper"
	// eventsQPS and eventsBurst pace the events client; controller.EventLimiter is what
	// bounds the Events, these only spread its bursts.
	eventsQPS   = 20
	eventsBurst = 50
	// eventsFlushTimeout bounds how long run --once waits for its Events to be written.
	// The daemon does not wait: it reports what it finds again after a restart.
	eventsFlushTimeout = 30 * time.Second
)

// startEvents gives the controller a Recorder posting Events to the cluster, when there
// is one to tell (the live source, not manifests), the run is not a dry run, and some
// Event is enabled; else it leaves the controller without. The returned stop waits up to
// flush for the Events handed over to be written, then stops the recorder, dropping
// what is still unwritten; it is never nil.
func (a *app) startEvents(ctx context.Context, o *options, metrics *controller.Metrics) (stop func(flush time.Duration), err error) {
	c := a.controller
	if a.live == nil || c.Config.DryRun || !c.Config.Events.Enabled() {
		return func(time.Duration) {}, nil
	}
	kube := o.kube
	kube.QPS, kube.Burst = eventsQPS, eventsBurst
	client, err := newKubeClient(kube, "events")
	if err != nil {
		return nil, err
	}
	sink := &countingSink{EventSink: &events.EventSinkImpl{Interface: client.EventsV1()}}
	broadcaster := events.NewBroadcaster(sink)
	if err := broadcaster.StartRecordingToSinkWithContext(ctx); err != nil {
		return nil, fmt.Errorf("starting the Event recorder: %w", err)
	}
	rec := &kubeRecorder{recorder: broadcaster.NewRecorder(scheme.Scheme, eventsController), uid: a.live.UID, kind: a.live.APIKind}
	c.Events = controller.NewEventLimiter(rec, controller.EventLimits{}, metrics)
	logger := c.Logger
	return func(flush time.Duration) {
		flushed := sink.waitFor(ctx, rec.sent.Load(), flush)
		broadcaster.Shutdown()
		logger.Info("events recorder stopped", "eventsSent", rec.sent.Load(), "creates", sink.creates.Load(),
			"patches", sink.patches.Load(), "failed", sink.failed.Load(), "flushed", flushed)
	}, nil
}

// kubeRecorder is the controller.Recorder that hands Events to client-go's broadcaster.
type kubeRecorder struct {
	recorder events.EventRecorder
	// uid finds the UID of an object in the informer caches.
	uid func(endpoint.ObjectRef) (types.UID, bool)
	// kind returns the API group/version and Kind of the objects of an ObjectRef kind,
	// as the source that read them spells them (source.Kube.APIKind).
	kind func(refKind string) (apiVersion, apiKind string, ok bool)
	// sent counts the Events handed to the broadcaster.
	sent atomic.Int64
}

// Event records the Event on the object ref names. The reference carries the object's
// UID when the caches hold the object, so that kubectl describe, which selects by UID,
// shows it; an object already deleted (a withheld or carried out deletion) gets one
// without, found by name. An object of a kind no source reads, or read from a manifest,
// gets none.
func (r *kubeRecorder) Event(ref endpoint.ObjectRef, eventType controller.EventType, reason, message string) {
	apiVersion, kind, ok := r.kind(ref.Kind)
	if !ok || ref.Source != "" {
		return
	}
	regarding := &corev1.ObjectReference{APIVersion: apiVersion, Kind: kind, Namespace: ref.Namespace, Name: ref.Name}
	if uid, ok := r.uid(ref); ok {
		regarding.UID = uid
	}
	r.sent.Add(1)
	r.recorder.Eventf(regarding, nil, string(eventType), reason, eventAction(reason, message), "%s", message)
}

// eventAction is an Event's action: a verb for its reason, then a digest of its message.
// client-go's broadcaster folds Events of one object, reason and action into one series,
// keeping the first message: without the digest, a record that moved would keep telling
// its old address. Repeats of one message are still folded.
func eventAction(reason, message string) string {
	verb := "Skip"
	switch reason {
	case controller.ReasonRecordReady:
		verb = "Publish"
	case controller.ReasonRecordDeleted:
		verb = "Delete"
	case controller.ReasonRecordError:
		verb = "FailedSync"
	case controller.ReasonDeletionWithheld:
		verb = "WithholdDeletion"
	case controller.ReasonNoAddress:
		verb = "Wait"
	}
	h := fnv.New32a()
	h.Write([]byte(message))
	return fmt.Sprintf("%s-%08x", verb, h.Sum32())
}

// countingSink counts the requests the broadcaster makes, for the log and for run
// --once to wait for.
type countingSink struct {
	events.EventSink
	creates, patches, failed atomic.Int64
}

func (s *countingSink) Create(ctx context.Context, e *eventsv1.Event) (*eventsv1.Event, error) {
	out, err := s.EventSink.Create(ctx, e)
	s.count(&s.creates, err)
	return out, err
}

func (s *countingSink) Patch(ctx context.Context, e *eventsv1.Event, data []byte) (*eventsv1.Event, error) {
	out, err := s.EventSink.Patch(ctx, e, data)
	s.count(&s.patches, err)
	return out, err
}

func (s *countingSink) count(c *atomic.Int64, err error) {
	if err != nil {
		s.failed.Add(1)
	}
	c.Add(1)
}

// waitFor waits until the sink has answered at least n requests, or timeout passes, or
// ctx ends (the broadcaster then gives up what it has not sent), and reports whether the
// requests were answered. Each Event a one-shot run hands over is a request of its own: it reports
// each object and reason once, and the action tells different messages apart, so the
// broadcaster folds none of them.
func (s *countingSink) waitFor(ctx context.Context, n int64, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for s.creates.Load()+s.patches.Load() < n {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}
