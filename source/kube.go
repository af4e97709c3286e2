package source

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zonekeeper/zonekeeper/endpoint"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	gatewayclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"
)

// KubeConfig tunes a Kube source; the zero KubeConfig is valid.
type KubeConfig struct {
	// OnChange is called after an object the source reads was added or deleted, or
	// changed its resourceVersion. It is called from informer goroutines, possibly
	// concurrently and in bursts, and must not block (a non-blocking channel send is the
	// usual body). Nil means no notification.
	OnChange func()
	// Logger receives watch failures and lazy informer starts; nil discards them.
	Logger *slog.Logger
	// ListAtOnce makes every informer read its initial objects with one LIST rather
	// than a streaming watch-list, even where the API server offers the latter. A LIST
	// is answered from the API server's watch cache as it stands, while a watch-list
	// first waits until that cache has caught up with etcd and then sends each object
	// as an event of its own: at 10,000 Ingresses a one-shot run was 0.1 s of wall time
	// and as much CPU faster with the LIST. It costs memory instead: the whole list is
	// decoded before the transform slims its objects. For one-shot runs, whose objects
	// are read once; a daemon keeps the watch-list.
	ListAtOnce bool
	// Dynamic reads custom resources (--source=crd); it may be nil when none is read.
	Dynamic dynamic.Interface
	// Gateway reads the Gateway API routes and Gateways (--source=gateway-httproute, …);
	// it may be nil when no route kind is read.
	Gateway gatewayclient.Interface
}

// kubeResource names a resource the Kube source reads, as the API spells it.
type kubeResource string

const (
	resourceServices       kubeResource = "services"
	resourceIngresses      kubeResource = "ingresses"
	resourceEndpointSlices kubeResource = "endpointslices"
	resourcePods           kubeResource = "pods"
	resourceNodes          kubeResource = "nodes"
)

// endpointSliceServiceIndex indexes EndpointSlices by namespace/service.
const endpointSliceServiceIndex = "service"

// healthCheckTimeout bounds the cheap List that proves the API server answers again.
const healthCheckTimeout = 10 * time.Second

// Kube is a Source over a live cluster, reading the kinds of kubeKinds (Services,
// Ingresses, DNSEndpoints, Gateway API routes) through informers and converting them
// with their rows' conversions (ServiceEndpoints, IngressEndpoints,
// DNSEndpointEndpoints, HTTPRouteEndpoints, …).
//
// Start starts the informers of the kinds Options read, and with a route kind that of
// Gateways. EndpointSlices, Pods and Nodes are read only once a Service needs them, and
// Namespaces once a Gateway has a listener admitting routes by namespace labels: an
// informer for each starts when the first object whose records depend on it is seen,
// and runs until the Start context ends. Every informer is filtered by Options'
// namespace, Gateways' by the Gateway namespace instead; those of the kinds that ask for
// records also by its label filter, Gateways' by the Gateway label filter, on the server.
//
// Endpoints answers from the informer caches. It returns an error, and so makes the
// caller withhold deletions, while any informer is not synced and after a list or watch
// failed until a live List of every resource read succeeds again; the informers that
// failed are then started afresh (client-go would otherwise wait out its backoff, up to a
// minute, before watching again) and Endpoints errs until they are synced. OnChange is
// also called whenever an informer's cache becomes complete.
//
// A Kube is safe for concurrent use.
type Kube struct {
	client  kubernetes.Interface
	clients kubeClients
	// kinds is the table of resource kinds (kubeKinds), by resource.
	kinds      map[kubeResource]*kubeKind
	kindOrder  []*kubeKind
	opts       *Options
	onChange   func()
	logger     *slog.Logger
	listAtOnce bool

	// changes counts the events that may change the records (see handler) and the
	// informers started or restarted; Endpoints reuses its last result while it stays.
	changes atomic.Uint64

	mu        sync.Mutex
	ctx       context.Context // of Start; nil before it
	informers map[kubeResource]*kubeInformer
	failures  map[kubeResource]watchFailure
	failSeq   uint64
	// last is the last successful result of Endpoints and the count of changes it
	// was computed at.
	last        Result
	lastChanges uint64
	lastValid   bool
	// lastUnacked are the objects of last whose kind is acknowledged and which do not
	// say their generation was yet: the generation each was read at.
	lastUnacked map[ackKey]int64
	// converted are the conversions that read nothing but their object, by the cached
	// object: an informer replaces an object's pointer whenever the object changes, so
	// the same pointer converts to the same records, and one event costs the conversion
	// of one object, not of every object. Endpoints rebuilds it; between two calls the
	// update handler drops the objects the informers replaced (a daemon reads every
	// object only every few minutes, and would otherwise keep every object that changed
	// meanwhile twice) and Changed adds its conversions. Deleted objects stay until the
	// next call: a delete event carries the object as the watch sent it, not the one
	// cached. It is nil while an Endpoints call reads the one it took.
	converted map[any]conversion
	// acked are the acknowledgements written, so that one is not written again while
	// the object's status update is on its way to the cache.
	acked map[ackKey]int64

	// What Changed needs (see there). since is set by a successful Endpoints call and
	// cleared by a failed one or a failed Changed call; informerGen counts the informers
	// started or restarted, sinceGen is its value at that call.
	since, sinceGen uint64
	informerGen     uint64
	sinceValid      bool
	// touched are the keys (namespace/name) of the objects of each kind that asks for
	// records which had an event since the last Endpoints or Changed call.
	touched map[kubeResource]map[string]bool
	// othersChanged is set by an event on a resource read only for other objects'
	// records (EndpointSlices, Pods, Nodes, Gateways, Namespaces): every object whose
	// conversion read others is then converted again.
	othersChanged bool
	// readOthers are the keys of the objects whose last conversion read other objects.
	readOthers map[kubeResource]map[string]bool
}

// conversion is what one cached object converted to.
type conversion struct {
	endpoints []*endpoint.Endpoint
	problems  []endpoint.Problem
}

// ackKey is an object whose records are acknowledged (kubeKind.acknowledge).
type ackKey struct {
	resource        kubeResource
	ref             string // ObjectRef.String
	namespace, name string
}

// kubeInformer is a started informer and the registration of our event handler on it,
// whose HasSynced also says that every object of the initial list has been handled.
type kubeInformer struct {
	informer cache.SharedIndexInformer
	handler  cache.ResourceEventHandlerRegistration
	stop     context.CancelFunc
}

// watchFailure is the last list or watch error of a resource; seq orders failures so
// that a health check clears only those that happened before it began.
type watchFailure struct {
	err error
	seq uint64
}

// NewKube returns a Kube source reading through client with the options o. Nothing is
// read before Start.
func NewKube(client kubernetes.Interface, o *Options, cfg KubeConfig) *Kube {
	k := &Kube{
		client:     client,
		clients:    kubeClients{core: client, dynamic: cfg.Dynamic, gateway: cfg.Gateway},
		kinds:      map[kubeResource]*kubeKind{},
		opts:       o,
		onChange:   cfg.OnChange,
		logger:     cfg.Logger,
		listAtOnce: cfg.ListAtOnce,
		informers:  map[kubeResource]*kubeInformer{},
		failures:   map[kubeResource]watchFailure{},
	}
	k.kindOrder = kubeKinds(o)
	for _, kk := range k.kindOrder {
		k.kinds[kk.resource] = kk
	}
	if k.onChange == nil {
		k.onChange = func() {}
	}
	if k.logger == nil {
		k.logger = slog.New(slog.DiscardHandler)
	}
	return k
}

// Start starts the informers for the kinds Options read and returns; they, and any
// started later, run until ctx ends. A Kube starts once: a second call is an error.
func (k *Kube) Start(ctx context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.ctx != nil {
		return errors.New("kube source: already started")
	}
	k.ctx = ctx
	for _, kk := range k.kindOrder {
		if kk.kind == "" || !k.opts.reads(kk.kind) {
			continue
		}
		for _, r := range append([]kubeResource{kk.resource}, kk.with...) {
			if err := k.startLocked(r); err != nil {
				return err
			}
		}
	}
	return nil
}

// Synced reports whether Start was called and every started informer has listed its
// objects and handed each to the event handler.
func (k *Kube) Synced() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.ctx != nil && len(unsynced(k.informers)) == 0
}

// WaitForSync blocks until Synced or until ctx ends; the error then names the informers
// not synced and the last error each met. It polls every 10ms: a one-shot run waits here
// before anything else, and Synced costs next to nothing.
func (k *Kube) WaitForSync(ctx context.Context) error {
	err := wait.PollUntilContextCancel(ctx, 10*time.Millisecond, true, func(context.Context) (bool, error) {
		return k.Synced(), nil
	})
	if err == nil {
		return nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.ctx == nil {
		return fmt.Errorf("kube source: waiting for informers to sync: %w: not started", err)
	}
	return fmt.Errorf("kube source: waiting for informers to sync: %w: %s", err, k.describeLocked(unsynced(k.informers)))
}

// Endpoints returns the records of every object of a kind read in the caches, sorted,
// with the problems of single objects. The error names the informers that are not
// synced yet, or the resource the API server fails to list: the caller must then make no
// deletions. After a watch failure Endpoints lists each resource read (Limit 1) once to
// see whether the API server answers again, and restarts the failed informers if so.
//
// While no object changed since the last call (no event that may change the records,
// no informer started), it returns the last result again, the same slices and
// endpoints: an idle daemon's resync then converts nothing. Callers must not modify
// what it returns.
func (k *Kube) Endpoints(ctx context.Context) (Result, error) {
	k.mu.Lock()
	if k.ctx == nil {
		k.mu.Unlock()
		return Result{}, errors.New("kube source: not started")
	}
	started := maps.Clone(k.informers)
	if names := unsynced(started); len(names) > 0 {
		err := fmt.Errorf("kube source: informers not synced yet: %s", k.describeLocked(names))
		k.mu.Unlock()
		return Result{}, err
	}
	failing, seq := len(k.failures) > 0, k.failSeq
	// Read before converting: an event during the conversion makes the next call
	// convert again.
	changes := k.changes.Load()
	if !failing && k.lastValid && k.sinceValid && k.lastChanges == changes {
		res := k.last
		k.mu.Unlock()
		return res, nil
	}
	// The call owns previous until it stores its own: the handlers and Changed leave
	// the conversions alone meanwhile.
	previous := k.converted
	k.converted = nil
	// What this call returns is Changed's new starting point: the events from now on
	// are its.
	k.touched, k.othersChanged, k.sinceValid = nil, false, false
	gen := k.informerGen
	k.mu.Unlock()
	if failing {
		if err := k.checkAPI(ctx, slices.Sorted(maps.Keys(started)), seq); err != nil {
			return Result{}, err
		}
	}
	c := &kubeCluster{informers: started, missing: map[kubeResource]bool{}}
	var res Result
	unacked := map[ackKey]int64{}
	converted := make(map[any]conversion, len(previous))
	readOthers := map[kubeResource]map[string]bool{}
	for _, kk := range k.kindOrder {
		if kk.convert == nil {
			continue
		}
		var needy string // the first object that asked for an informer not started
		for _, obj := range cachedObjects[metav1.Object](started[kk.resource]) {
			before := len(c.missing)
			conv, reusable := k.convertOne(kk, obj, c, previous)
			if len(c.missing) > before && needy == "" {
				needy = obj.GetNamespace() + "/" + obj.GetName()
			}
			if reusable {
				converted[obj] = conv
			} else {
				addKey(readOthers, kk.resource, objectKey(obj))
			}
			res.Endpoints = append(res.Endpoints, conv.endpoints...)
			res.Problems = append(res.Problems, conv.problems...)
			if key, gen, ok := k.unackedOf(kk, obj); ok {
				unacked[key] = gen
			}
		}
		if len(c.missing) > 0 {
			missing := slices.Sorted(maps.Keys(c.missing))
			k.ensure(missing)
			return Result{}, fmt.Errorf("kube source: %s %s needs %s, whose informers are only starting now", kk.apiKind, needy, joinResources(missing))
		}
	}
	endpoint.SortEndpoints(res.Endpoints)
	k.mu.Lock()
	k.last, k.lastChanges, k.lastValid, k.lastUnacked = res, changes, true, unacked
	k.converted = converted
	k.readOthers, k.sinceGen, k.sinceValid = readOthers, gen, true
	k.mu.Unlock()
	return res, nil
}

// Changed implements Incremental from the events the informers delivered since the
// last Endpoints or Changed call: it converts again each object of a kind asking for
// records that had an event (its current state in the cache, or nothing once it is gone)
// and, after an event on a resource read only for others' records, every object whose
// last conversion read others. Its cost is that of those objects, not of every object.
func (k *Kube) Changed(ctx context.Context) ([]ObjectResult, bool) {
	k.mu.Lock()
	if k.ctx == nil || !k.sinceValid || k.informerGen != k.sinceGen || len(k.failures) > 0 || len(unsynced(k.informers)) > 0 {
		k.mu.Unlock()
		return nil, false
	}
	todo := k.touched
	if todo == nil {
		todo = map[kubeResource]map[string]bool{}
	}
	if k.othersChanged {
		for r, keys := range k.readOthers {
			for key := range keys {
				addKey(todo, r, key)
			}
		}
	}
	k.touched, k.othersChanged = nil, false
	started := maps.Clone(k.informers)
	k.mu.Unlock()

	c := &kubeCluster{informers: started, missing: map[kubeResource]bool{}}
	var out []ObjectResult
	type ackChange struct {
		key     ackKey
		gen     int64
		pending bool
	}
	type othersChange struct {
		r     kubeResource
		key   string
		reads bool
		// obj and conv are the object converted and its conversion, unless it is gone.
		obj  any
		conv conversion
	}
	var acks []ackChange
	var others []othersChange
	for _, kk := range k.kindOrder {
		if kk.convert == nil || len(todo[kk.resource]) == 0 {
			continue
		}
		inf := started[kk.resource]
		if inf == nil {
			return k.changedFailed()
		}
		for _, key := range slices.Sorted(maps.Keys(todo[kk.resource])) {
			namespace, name, err := cache.SplitMetaNamespaceKey(key)
			if err != nil {
				return k.changedFailed()
			}
			ref := endpoint.ObjectRef{Kind: kk.objectRefKind(), Namespace: namespace, Name: name}
			ack := ackKey{kk.resource, ref.String(), namespace, name}
			item, exists, err := inf.informer.GetStore().GetByKey(key)
			obj, isObject := item.(metav1.Object)
			if err != nil || exists && !isObject {
				return k.changedFailed()
			}
			if !exists {
				out = append(out, ObjectResult{Ref: ref})
				acks = append(acks, ackChange{key: ack})
				others = append(others, othersChange{r: kk.resource, key: key})
				continue
			}
			conv, reusable := k.convertOne(kk, obj, c, nil)
			if len(c.missing) > 0 {
				k.ensure(slices.Sorted(maps.Keys(c.missing)))
				return k.changedFailed()
			}
			out = append(out, ObjectResult{Ref: ref, Result: Result{Endpoints: conv.endpoints, Problems: conv.problems}})
			_, gen, pending := k.unackedOf(kk, obj)
			acks = append(acks, ackChange{key: ack, gen: gen, pending: pending})
			others = append(others, othersChange{r: kk.resource, key: key, reads: !reusable, obj: obj, conv: conv})
		}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.lastUnacked == nil {
		k.lastUnacked = map[ackKey]int64{}
	}
	for _, a := range acks {
		if a.pending {
			k.lastUnacked[a.key] = a.gen
		} else {
			delete(k.lastUnacked, a.key)
		}
	}
	if k.readOthers == nil {
		k.readOthers = map[kubeResource]map[string]bool{}
	}
	for _, o := range others {
		if o.reads {
			addKey(k.readOthers, o.r, o.key)
		} else {
			delete(k.readOthers[o.r], o.key)
		}
		// The next Endpoints call reuses the conversion while the informer still holds
		// the very object.
		if k.converted != nil && o.obj != nil && !o.reads {
			k.converted[o.obj] = o.conv
		}
	}
	return out, true
}

// changedFailed ends a Changed call that cannot tell what changed: the next call must
// be to Endpoints.
func (k *Kube) changedFailed() ([]ObjectResult, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.sinceValid = false
	return nil, false
}

// convertOne converts obj, a cached object of kind kk: previous's conversion of this
// very object when it holds one, a fresh one otherwise. reusable is false when the
// conversion read other objects (a Service's EndpointSlices, a route's Gateways): it
// changes with them, which move no pointer of obj, so it is made again on every call.
func (k *Kube) convertOne(kk *kubeKind, obj metav1.Object, c *kubeCluster, previous map[any]conversion) (conv conversion, reusable bool) {
	if conv, ok := previous[obj]; ok {
		return conv, true
	}
	reads := c.reads
	conv.endpoints, conv.problems = kk.convert(obj, k.opts, c, "")
	return conv, c.reads == reads
}

// unackedOf returns the acknowledgement obj of kind kk waits for, if any: an object of
// an acknowledged kind, selected, that does not say yet that its generation was applied.
func (k *Kube) unackedOf(kk *kubeKind, obj metav1.Object) (ackKey, int64, bool) {
	if kk.unacknowledged == nil || !k.opts.selects(metaOf(obj)) {
		return ackKey{}, 0, false
	}
	gen, ok := kk.unacknowledged(obj)
	if !ok {
		return ackKey{}, 0, false
	}
	ref := endpoint.ObjectRef{Kind: kk.objectRefKind(), Namespace: obj.GetNamespace(), Name: obj.GetName()}
	return ackKey{kk.resource, ref.String(), ref.Namespace, ref.Name}, gen, true
}

// objectKey is obj's informer key, namespace/name.
func objectKey(obj metav1.Object) string {
	if obj.GetNamespace() == "" {
		return obj.GetName()
	}
	return obj.GetNamespace() + "/" + obj.GetName()
}

// addKey adds key to m[r], making both maps as needed.
func addKey(m map[kubeResource]map[string]bool, r kubeResource, key string) {
	if m[r] == nil {
		m[r] = map[string]bool{}
	}
	m[r][key] = true
}

// metaOf returns the ObjectMeta of a cached object, for the selectors.
func metaOf(obj metav1.Object) *metav1.ObjectMeta {
	if m, ok := obj.(interface{ GetObjectMeta() metav1.Object }); ok {
		if om, ok := m.GetObjectMeta().(*metav1.ObjectMeta); ok {
			return om
		}
	}
	return &metav1.ObjectMeta{Namespace: obj.GetNamespace(), Name: obj.GetName(), Labels: obj.GetLabels(), Annotations: obj.GetAnnotations()}
}

// Acknowledge writes, for each object of an acknowledged kind (DNSEndpoints: their
// status.observedGeneration) read by the last Endpoints call and not in troubled, the
// generation it was read at. See Acknowledger. Failures are joined in the error; each
// is retried after the next reconcile.
func (k *Kube) Acknowledge(ctx context.Context, troubled map[string]bool) error {
	k.mu.Lock()
	for key := range k.acked {
		if _, ok := k.lastUnacked[key]; !ok {
			delete(k.acked, key) // the object says so itself now, or is gone
		}
	}
	todo := map[ackKey]int64{}
	for key, gen := range k.lastUnacked {
		if !troubled[key.ref] && k.acked[key] != gen {
			todo[key] = gen
		}
	}
	k.mu.Unlock()
	var errs []error
	for _, key := range slices.SortedFunc(maps.Keys(todo), func(a, b ackKey) int { return strings.Compare(a.ref, b.ref) }) {
		gen := todo[key]
		err := k.kinds[key.resource].acknowledge(ctx, k.clients, key.namespace, key.name, gen)
		if apierrors.IsNotFound(err) {
			continue // deleted since: nothing to acknowledge
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: generation %d: %w", key.ref, gen, explainAckForbidden(k.kinds[key.resource], err)))
			continue
		}
		k.mu.Lock()
		if k.acked == nil {
			k.acked = map[ackKey]int64{}
		}
		k.acked[key] = gen
		k.mu.Unlock()
	}
	if len(errs) > 0 {
		return fmt.Errorf("kube source: acknowledging applied records: %w", errors.Join(errs...))
	}
	return nil
}

// explainAckForbidden names the permission an acknowledgement needs when the API server
// refused it.
func explainAckForbidden(kk *kubeKind, err error) error {
	if !apierrors.IsForbidden(err) {
		return err
	}
	return fmt.Errorf("%w: zonekeeper needs patch on %s/status; grant it in its ClusterRole (or Role, with --namespace)", err, kk.qualified())
}

// checkAPI lists every resource in rs once. Success clears the failures recorded up to
// seq (a failure during the check keeps the source unhealthy), restarts the informers
// that failed, and returns errRestarted: this cycle must not trust their old caches.
func (k *Kube) checkAPI(ctx context.Context, rs []kubeResource, seq uint64) error {
	for _, r := range rs {
		lctx, cancel := context.WithTimeout(ctx, healthCheckTimeout)
		err := k.list(lctx, r)
		cancel()
		if err != nil {
			k.mu.Lock()
			cause := k.describeLocked(slices.Sorted(maps.Keys(k.failures)))
			k.mu.Unlock()
			return fmt.Errorf("kube source: the API server failed (%s) and still does: listing %s: %w", cause, r, err)
		}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	var recovered []kubeResource
	for r, f := range k.failures {
		if f.seq <= seq {
			delete(k.failures, r)
			recovered = append(recovered, r)
		}
	}
	slices.Sort(recovered)
	// The reflectors of the failed informers may sleep in client-go's backoff for up to
	// a minute before they watch again, leaving the caches stale that long; fresh
	// informers list at once. Until they are synced, Endpoints errs, so nothing is
	// deleted on a half-filled cache.
	for _, r := range recovered {
		if err := k.restartLocked(r); err != nil {
			return err
		}
	}
	k.logger.Info("kube source: the API server answers again; listing anew", "resources", joinResources(recovered))
	return errRestarted
}

// errRestarted is what Endpoints returns in the cycle that restarted informers.
var errRestarted = errors.New("kube source: the API server answers again after failing; re-listing, the next cycle reads the fresh caches")

// restartLocked replaces r's informer with a new one, if it runs; k.mu is held.
func (k *Kube) restartLocked(r kubeResource) error {
	old, ok := k.informers[r]
	if !ok {
		return nil
	}
	k.changes.Add(1)
	old.stop()
	delete(k.informers, r)
	return k.startLocked(r)
}

// list lists at most one object of r, with the filters its informer uses.
func (k *Kube) list(ctx context.Context, r kubeResource) error {
	lo := metav1.ListOptions{Limit: 1}
	k.tweak(r)(&lo)
	lw, err := k.listWatch(r)
	if err != nil {
		return err
	}
	_, err = lw.list(ctx, lo)
	return err
}

// listWatch returns how r is listed and watched: in Options' namespace, or the one its
// row says, unless r is cluster-scoped.
func (k *Kube) listWatch(r kubeResource) (listWatch, error) {
	kk := k.kinds[r]
	ns := k.opts.namespace
	switch {
	case kk.clusterScoped:
		ns = ""
	case kk.namespace != nil:
		ns = kk.namespace(k.opts)
	}
	return kk.listWatch(k.clients, ns)
}

// tweak returns what r's informer and health check set in their list options.
func (k *Kube) tweak(r kubeResource) func(*metav1.ListOptions) {
	kk := k.kinds[r]
	selector := kk.labelSelector
	if kk.labelFiltered && k.opts.labelFilter != nil {
		selector = k.opts.labelFilter.String()
	}
	if kk.selector != nil {
		if sel := kk.selector(k.opts); sel != nil {
			selector = sel.String()
		}
	}
	if selector == "" {
		return func(*metav1.ListOptions) {}
	}
	return func(lo *metav1.ListOptions) { lo.LabelSelector = selector }
}

// newInformer returns an informer for r that is not started yet. Its list and watch
// calls report their errors to watchFailed: client-go's watch error handler is not called
// when a watch cannot be re-established (a stopped API server refuses connections, which
// the reflector retries quietly), and a source that keeps answering from a stale cache
// without saying so would break the no-deletions-while-blind rule.
func (k *Kube) newInformer(r kubeResource) (cache.SharedIndexInformer, error) {
	lw, err := k.listWatch(r)
	if err != nil {
		return nil, err
	}
	kk := k.kinds[r]
	indexers := cache.Indexers{}
	maps.Copy(indexers, kk.indexers)
	return informerFor(k, r, kk.example, indexers, lw), nil
}

// informerFor builds r's informer from its List and Watch.
func informerFor(k *Kube, r kubeResource, example runtime.Object, indexers cache.Indexers, rw listWatch) cache.SharedIndexInformer {
	tweak := k.tweak(r)
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, lo metav1.ListOptions) (runtime.Object, error) {
			tweak(&lo)
			obj, err := rw.list(ctx, lo)
			k.callFailed(ctx, r, err)
			return obj, err
		},
		WatchFuncWithContext: func(ctx context.Context, lo metav1.ListOptions) (watch.Interface, error) {
			tweak(&lo)
			w, err := rw.watch(ctx, lo)
			k.callFailed(ctx, r, err)
			return w, err
		},
	}
	if k.listAtOnce {
		return cache.NewSharedIndexInformer(listAtOnce{lw}, example, 0, indexers)
	}
	// The client decides whether the list may be streamed (watch-list); fake clients
	// used in tests cannot.
	return cache.NewSharedIndexInformer(cache.ToListWatcherWithWatchListSemantics(lw, rw.client), example, 0, indexers)
}

// listAtOnce is a ListWatch whose reflector lists rather than streams its initial
// objects (KubeConfig.ListAtOnce): client-go asks a ListerWatcher through this method
// whether it may use a watch-list.
type listAtOnce struct{ *cache.ListWatch }

func (listAtOnce) IsWatchListSemanticsUnSupported() bool { return true }

// callFailed records err from a list or watch of r, unless it is none or routine: the
// source is stopping, a watch must start over from a fresh list, or a watch stream ended
// normally.
func (k *Kube) callFailed(ctx context.Context, r kubeResource, err error) {
	if err == nil || ctx.Err() != nil || apierrors.IsResourceExpired(err) || apierrors.IsGone(err) || errors.Is(err, io.EOF) {
		return
	}
	k.watchFailed(r, err)
}

// startLocked starts r's informer unless it runs already; k.mu is held.
func (k *Kube) startLocked(r kubeResource) error {
	if _, ok := k.informers[r]; ok {
		return nil
	}
	k.changes.Add(1)
	k.informerGen++
	ctx, stop := context.WithCancel(k.ctx)
	inf, reg, err := k.configuredInformer(ctx, r)
	if err != nil {
		stop()
		return fmt.Errorf("kube source: %s informer: %w", r, err)
	}
	k.informers[r] = &kubeInformer{informer: inf, handler: reg, stop: stop}
	go inf.Run(ctx.Done())
	// A reconcile that ran while the cache was filling failed; this one will not.
	go func() {
		if cache.WaitForCacheSync(ctx.Done(), reg.HasSynced) {
			k.onChange()
		}
	}()
	return nil
}

// configuredInformer returns r's informer, to run with ctx, with its transform, its
// error reporting and our event handler in place. Errors the reflector meets in a watch
// stream go through callFailed like those of the list and watch calls, so that routine
// ones (an expired resourceVersion after etcd compaction) neither mark the source
// unhealthy nor restart the informer.
func (k *Kube) configuredInformer(ctx context.Context, r kubeResource) (cache.SharedIndexInformer, cache.ResourceEventHandlerRegistration, error) {
	inf, err := k.newInformer(r)
	if err != nil {
		return nil, nil, err
	}
	if err := inf.SetTransform(k.kinds[r].transform(k.opts)); err != nil {
		return nil, nil, err
	}
	if err := inf.SetWatchErrorHandler(func(_ *cache.Reflector, err error) { k.callFailed(ctx, r, err) }); err != nil {
		return nil, nil, err
	}
	reg, err := inf.AddEventHandler(k.handler(r))
	return inf, reg, err
}

// ensure starts the informers of rs that do not run yet.
func (k *Kube) ensure(rs []kubeResource) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, r := range rs {
		if _, ok := k.informers[r]; ok {
			continue
		}
		if err := k.startLocked(r); err != nil {
			k.logger.Error("kube source: cannot start informer", "resource", string(r), "error", err)
			continue
		}
		k.logger.Info("kube source: started informer, an object read needs it", "resource", string(r))
	}
}

func (k *Kube) watchFailed(r kubeResource, err error) {
	err = explainForbidden(r, err)
	k.mu.Lock()
	defer k.mu.Unlock()
	k.failSeq++
	k.failures[r] = watchFailure{err: err, seq: k.failSeq}
	k.logger.Warn("kube source: list or watch failed", "resource", string(r), "error", err)
}

// explainForbidden says which permission is missing when err is the API server refusing
// to list or watch r, since the server's message names the verb it refused but not the
// rest of what the source needs.
func explainForbidden(r kubeResource, err error) error {
	if !apierrors.IsForbidden(err) {
		return err
	}
	return fmt.Errorf("%w: zonekeeper needs get, list and watch on %s; grant them in its ClusterRole (or Role, with --namespace)",
		err, r.qualified())
}

// qualified is r with its API group, as RBAC rules and kubectl spell it.
func (r kubeResource) qualified() string {
	for _, kk := range kubeKinds(&Options{}) {
		if kk.resource == r {
			return kk.qualified()
		}
	}
	return string(r)
}

// describeLocked names rs with the last failure of each; k.mu is held.
func (k *Kube) describeLocked(rs []kubeResource) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = string(r)
		if f, ok := k.failures[r]; ok {
			parts[i] += " (last error: " + f.err.Error() + ")"
		}
	}
	return strings.Join(parts, ", ")
}

// handler notifies OnChange of every add and delete and of updates that matter (see
// changed); on an object whose row has needs (Services, Gateways) it first starts the
// informers the object needs.
func (k *Kube) handler(r kubeResource) cache.ResourceEventHandler {
	observe := func(obj any) {
		if needs := k.kinds[r].needs; needs != nil {
			k.ensure(needs(obj, k.opts))
		}
		k.touch(r, obj)
		k.changes.Add(1)
		k.onChange()
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc: observe,
		UpdateFunc: func(oldObj, newObj any) {
			changed := k.changed(r, oldObj, newObj)
			k.replaced(oldObj, newObj, !changed)
			if changed {
				observe(newObj)
			}
		},
		DeleteFunc: func(obj any) {
			k.touch(r, obj)
			k.changes.Add(1)
			k.onChange()
		},
	}
}

// replaced drops the conversion of oldObj, which the informer replaced by newObj, and
// gives it to newObj when same says both convert to the same records.
func (k *Kube) replaced(oldObj, newObj any, same bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	conv, ok := k.converted[oldObj]
	if !ok {
		return
	}
	delete(k.converted, oldObj)
	if same {
		k.converted[newObj] = conv
	}
}

// touch notes, for Changed, that obj of r had an event: the object itself when its kind
// asks for records, every object whose records read others otherwise.
func (k *Kube) touch(r kubeResource, obj any) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if kk := k.kinds[r]; kk == nil || kk.convert == nil {
		k.othersChanged = true
		return
	}
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		// No key, no object to convert again: Changed must not be trusted.
		k.sinceValid = false
		return
	}
	if k.touched == nil {
		k.touched = map[kubeResource]map[string]bool{}
	}
	addKey(k.touched, r, key)
}

// changed reports whether an update of one of r's objects may change the records. The
// informers cache slimmed objects holding only what the conversion reads (see
// transformFor), so for those any difference but the resourceVersion matters and nothing
// else does: Node status heartbeats and Pod condition updates, frequent in a large
// cluster, then wake no reconcile. Whole objects (kept when an FQDN template may read any
// field) count as changed whenever their resourceVersion moved.
func (k *Kube) changed(r kubeResource, oldObj, newObj any) bool {
	if resourceVersion(oldObj) == resourceVersion(newObj) {
		return false
	}
	if !k.kindOf(r).slimmed(k.opts) {
		return true
	}
	return !apiequality.Semantic.DeepEqual(withoutVersion(oldObj), withoutVersion(newObj))
}

// kindOf returns r's row of the kinds table.
func (k *Kube) kindOf(r kubeResource) *kubeKind {
	if kk := k.kinds[r]; kk != nil {
		return kk
	}
	return findKind(kubeKinds(k.opts), r)
}

// withoutVersion returns a copy of a cached object with its resourceVersion cleared, or
// obj itself when it is not a Kubernetes object.
func withoutVersion(obj any) any {
	ro, ok := obj.(runtime.Object)
	if !ok {
		return obj
	}
	c := ro.DeepCopyObject()
	if m, err := meta.Accessor(c); err == nil {
		m.SetResourceVersion("")
	}
	return c
}

func resourceVersion(obj any) string {
	m, err := meta.Accessor(obj)
	if err != nil {
		return ""
	}
	return m.GetResourceVersion()
}

// unsynced returns the resources of informers that are not synced, sorted.
func unsynced(informers map[kubeResource]*kubeInformer) []kubeResource {
	var out []kubeResource
	for r, inf := range informers {
		if !inf.handler.HasSynced() {
			out = append(out, r)
		}
	}
	slices.Sort(out)
	return out
}

func joinResources(rs []kubeResource) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = string(r)
	}
	return strings.Join(parts, " and ")
}

// cachedObjects returns the objects of type T in inf's cache (none for a nil inf),
// sorted by namespace and name so that problems come out in a stable order.
func cachedObjects[T metav1.Object](inf *kubeInformer) []T {
	if inf == nil {
		return nil
	}
	// The names are read once each: a comparison calling the objects' getters through
	// the interface made this sort most of a 100,000-object resync's source read.
	type named struct {
		namespace, name string
		obj             T
	}
	items := inf.informer.GetStore().List()
	objs := make([]named, 0, len(items))
	for _, obj := range items {
		if t, ok := obj.(T); ok {
			objs = append(objs, named{t.GetNamespace(), t.GetName(), t})
		}
	}
	slices.SortFunc(objs, func(a, b named) int {
		return cmp.Or(strings.Compare(a.namespace, b.namespace), strings.Compare(a.name, b.name))
	})
	out := make([]T, len(objs))
	for i, o := range objs {
		out[i] = o.obj
	}
	return out
}

func indexEndpointSliceByService(obj any) ([]string, error) {
	s, ok := obj.(*discoveryv1.EndpointSlice)
	if !ok || s.Labels[discoveryv1.LabelServiceName] == "" {
		return nil, nil
	}
	return []string{s.Namespace + "/" + s.Labels[discoveryv1.LabelServiceName]}, nil
}

// kubeCluster is the Cluster over the informer caches for one Endpoints call. It
// records the resources asked for whose informers have not been started.
type kubeCluster struct {
	informers map[kubeResource]*kubeInformer
	missing   map[kubeResource]bool
	// reads counts the lookups of other objects, which every method makes through
	// indexer.
	reads int
}

func (c *kubeCluster) indexer(r kubeResource) cache.Indexer {
	c.reads++
	inf := c.informers[r]
	if inf == nil {
		c.missing[r] = true
		return nil
	}
	return inf.informer.GetIndexer()
}

func (c *kubeCluster) EndpointSlices(namespace, service string) []*discoveryv1.EndpointSlice {
	idx := c.indexer(resourceEndpointSlices)
	if idx == nil {
		return nil
	}
	objs, _ := idx.ByIndex(endpointSliceServiceIndex, namespace+"/"+service)
	out := make([]*discoveryv1.EndpointSlice, 0, len(objs))
	for _, obj := range objs {
		if s, ok := obj.(*discoveryv1.EndpointSlice); ok {
			out = append(out, s)
		}
	}
	return out
}

func (c *kubeCluster) Pod(namespace, name string) *corev1.Pod {
	idx := c.indexer(resourcePods)
	if idx == nil {
		return nil
	}
	obj, _, _ := idx.GetByKey(namespace + "/" + name)
	pod, _ := obj.(*corev1.Pod)
	return pod
}

func (c *kubeCluster) Nodes() []*corev1.Node {
	idx := c.indexer(resourceNodes)
	if idx == nil {
		return nil
	}
	var out []*corev1.Node
	for _, obj := range idx.List() {
		if n, ok := obj.(*corev1.Node); ok {
			out = append(out, n)
		}
	}
	return out
}

// clusterNeeds returns the resources whose objects svc's records are made from, found
// by converting svc over a Cluster that holds one ready endpoint of a Pod on a Node and
// notes what is asked for. Sharing the conversion keeps the two from disagreeing.
func clusterNeeds(svc *corev1.Service, o *Options) []kubeResource {
	p := &needsProbe{asked: map[kubeResource]bool{}}
	serviceEndpoints(svc, o, p, "")
	return slices.Sorted(maps.Keys(p.asked))
}

type needsProbe struct{ asked map[kubeResource]bool }

func (p *needsProbe) EndpointSlices(namespace, service string) []*discoveryv1.EndpointSlice {
	p.asked[resourceEndpointSlices] = true
	node := "probe"
	return []*discoveryv1.EndpointSlice{{
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{{
			Addresses: []string{"192.0.2.1"},
			NodeName:  &node,
			TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: namespace, Name: "probe"},
		}},
	}}
}

func (p *needsProbe) Pod(string, string) *corev1.Pod {
	p.asked[resourcePods] = true
	return nil
}

func (p *needsProbe) Nodes() []*corev1.Node {
	p.asked[resourceNodes] = true
	return nil
}
