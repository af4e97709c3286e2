package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/zonekeeper/zonekeeper/controller"
	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/source"
)

func newExplainCommand(lookupEnv func(string) (string, bool)) *cobra.Command {
	o := &options{}
	var output string
	cmd := &cobra.Command{
		Use:   "explain KIND/NAMESPACE/NAME",
		Short: "Explain one Service's or Ingress's DNS records: hostnames, records, zone, plan and warnings",
		Long: `explain tells, for one object (service/NAMESPACE/NAME or ingress/NAMESPACE/NAME; svc and
ing for short), every hostname it names and where from (which annotation, field or
template), which it drops and why (a flag, an annotation, an invalid name, the filter
that keeps the whole object out), the records it asks for and their zone, what the zone
holds at those names and who owns it, the changes a reconcile would make for it, and
every warning an Event would carry, with more detail. It reads the cluster, or the
manifests given with --manifest, with the same flags as plan and run, and, like plan,
changes nothing.

Exit codes: 0 the explanation was printed (whatever it says); 1 the object does not
exist, or the sources or the provider could not be read.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, err := parseObjectArg(args[0])
			if err != nil {
				return err
			}
			if output != "text" && output != "json" {
				return fmt.Errorf("--output %q: want text or json", output)
			}
			a, err := prepare(cmd, o, lookupEnv, cmd.ErrOrStderr(), modeOneShot, nil, nil)
			if err != nil {
				return err
			}
			opts, err := explainSourceOptions(o, a.controller.Config.ManagedTypes)
			if err != nil {
				return err
			}
			ex, err := explain(cmd.Context(), a, o, opts, ref)
			if err != nil {
				return err
			}
			if output == "json" {
				return writeExplainJSON(cmd.OutOrStdout(), ex)
			}
			return writeExplainText(cmd.OutOrStdout(), ex)
		},
	}
	addFlags(cmd.Flags(), o)
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text, json")
	return cmd
}

// explainKind maps the KIND of explain's argument, lower-cased, to a source kind.
func explainKind(kind string) (string, bool) {
	switch kind {
	case "service", "svc", "services":
		return source.KindService, true
	case "ingress", "ing", "ingresses":
		return source.KindIngress, true
	}
	return "", false
}

// parseObjectArg reads KIND/NAMESPACE/NAME.
func parseObjectArg(arg string) (endpoint.ObjectRef, error) {
	parts := strings.Split(arg, "/")
	if len(parts) != 3 || parts[1] == "" || parts[2] == "" {
		return endpoint.ObjectRef{}, fmt.Errorf("%s: want KIND/NAMESPACE/NAME, such as ingress/default/web", endpoint.Quote(arg))
	}
	kind, ok := explainKind(strings.ToLower(parts[0]))
	if !ok {
		return endpoint.ObjectRef{}, fmt.Errorf("%s: kind %s cannot be explained; want service (svc) or ingress (ing)", endpoint.Quote(arg), endpoint.Quote(parts[0]))
	}
	return endpoint.ObjectRef{Kind: kind, Namespace: parts[1], Name: parts[2]}, nil
}

// explainSourceOptions compiles the source flags as buildSource does, for the
// provenance of hostnames.
func explainSourceOptions(o *options, managedTypes []string) (*source.Options, error) {
	cfg := o.src
	for _, s := range o.sources {
		cfg.Kinds = append(cfg.Kinds, sourceKinds()[s]...)
	}
	cfg.ManagedTypes = managedTypes
	return cfg.Compile()
}

// explanation is everything explain prints.
type explanation struct {
	ref endpoint.ObjectRef
	// file is the manifest the object was read from; "" for the cluster.
	file       string
	provenance source.Provenance
	object     controller.ObjectReport
	holdings   []controller.Holding
	ownerID    string
}

// explain finds the object, runs a dry-run reconcile and gathers what concerns it.
func explain(ctx context.Context, a *app, o *options, opts *source.Options, ref endpoint.ObjectRef) (*explanation, error) {
	obj, file, err := findObject(ctx, o, opts, ref)
	if err != nil {
		return nil, err
	}
	ex := &explanation{ref: ref, file: file, ownerID: a.controller.Registry.OwnerID()}
	if ex.provenance, err = source.ExplainObject(obj, opts); err != nil {
		return nil, err
	}
	if err := a.startSources(ctx, oneShotSyncTimeout); err != nil {
		return nil, err
	}
	c := a.controller
	c.Config.DryRun = true
	c.Logger = nil
	rep, err := c.RunOnce(ctx)
	if err != nil {
		return nil, err
	}
	if len(rep.SourceErrors) > 0 {
		return nil, errors.Join(rep.SourceErrors...)
	}
	ex.object = controller.ExplainObject(rep, ref)
	dropUnmanaged(ex.provenance.Hostnames, c.Config.DomainFilter, ex.object.Zones)
	names := ex.object.Names()
	for _, h := range ex.provenance.Hostnames {
		if h.Kept() {
			names = append(names, h.Name)
		}
	}
	if ex.holdings, err = c.Holdings(ctx, names); err != nil {
		return nil, err
	}
	return ex, nil
}

// findObject reads the object from the manifests or the cluster; a missing object is an
// error naming it and where it was looked for.
func findObject(ctx context.Context, o *options, opts *source.Options, ref endpoint.ObjectRef) (any, string, error) {
	if len(o.manifests) > 0 {
		return source.FindManifestObject(o.manifests, opts, ref)
	}
	client, err := newKubeClient(o.kube, "explain")
	if err != nil {
		return nil, "", err
	}
	var obj any
	switch ref.Kind {
	case source.KindService:
		obj, err = client.CoreV1().Services(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	default:
		obj, err = client.NetworkingV1().Ingresses(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	}
	if apierrors.IsNotFound(err) {
		return nil, "", fmt.Errorf("%s: %w in the cluster", ref, source.ErrObjectNotFound)
	}
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", ref, err)
	}
	return obj, "", nil
}

// sortedNotes are the object's notes ordered for printing: Warnings first, then by
// reason and message, duplicates (one per zone the same message came from) left out.
func (ex *explanation) sortedNotes() []controller.Note {
	notes := slices.Clone(ex.object.Notes)
	slices.SortStableFunc(notes, func(a, b controller.Note) int {
		return cmp.Or(strings.Compare(string(b.Type()), string(a.Type())), strings.Compare(a.Reason, b.Reason), strings.Compare(a.Message, b.Message))
	})
	return slices.CompactFunc(notes, func(a, b controller.Note) bool { return a.Reason == b.Reason && a.Message == b.Message })
}

// holderText says who owns a record a zone holds, for people.
func holderText(h controller.Holding, ownerID string) string {
	switch {
	case h.Owner == "":
		return "no ownership record: not zonekeeper's, left alone"
	case h.Owner == ownerID && h.Resource != "":
		return "owned by this zonekeeper (owner " + endpoint.Quote(h.Owner) + ") for " + h.Resource
	case h.Owner == ownerID:
		return "owned by this zonekeeper (owner " + endpoint.Quote(h.Owner) + ")"
	case h.Resource != "":
		return "owned by another owner id, " + endpoint.Quote(h.Owner) + ", for " + h.Resource
	}
	return "owned by another owner id, " + endpoint.Quote(h.Owner)
}

// writeExplainText prints ex for people, in the sections docs/cli.md describes.
func writeExplainText(w io.Writer, ex *explanation) error {
	p := &errWriter{w: w}
	p.printf("Object\n  %s\n", ex.ref)
	if ex.file != "" {
		p.printf("  read from %s\n", ex.file)
	} else {
		p.printf("  read from the cluster\n")
	}
	if ex.provenance.Excluded != "" {
		p.printf("  not read by the sources, excluded by %s\n", ex.provenance.Excluded)
	}

	p.printf("\nHostnames\n")
	if len(ex.provenance.Hostnames) == 0 {
		p.printf("  none named\n")
	}
	for _, h := range ex.provenance.Hostnames {
		what := "kept"
		if !h.Kept() {
			what = "dropped: " + h.Dropped
		}
		internal := ""
		if h.Internal {
			internal = " (internal: published with the cluster IPs)"
		}
		p.printf("  %s  from %s%s  %s\n", cmp.Or(h.Name, "(none)"), h.From, internal, what)
	}

	p.printf("\nRecords wanted\n")
	if len(ex.object.Wanted) == 0 {
		p.printf("  none\n")
	}
	for _, r := range ex.object.Wanted {
		zone := "no managed zone"
		if r.Zone != "" {
			zone = "zone " + r.Zone
		}
		p.printf("  %s  (%s)\n", r.Record, zone)
	}

	p.printf("\nZone holds\n")
	if len(ex.holdings) == 0 {
		p.printf("  nothing at these names\n")
	}
	for _, h := range ex.holdings {
		p.printf("  %s: %s  %s\n", h.Zone, h.Record, holderText(h, ex.ownerID))
	}

	p.printf("\nPlan\n")
	for _, zc := range ex.object.Changes {
		main := zc.Change.Main()
		p.printf("  %s: %s %s\n", zc.Zone, opSymbols[main.Op], describe(main))
		for i, rc := range zc.Change.Records {
			if i != zc.Change.Primary {
				p.printf("      ownership %s %s\n", opSymbols[rc.Op], describe(rc))
			}
		}
	}
	if len(ex.object.Changes) == 0 {
		p.printf("  %s\n", ex.noChangeText())
	}

	p.printf("\nWarnings\n")
	notes := ex.sortedNotes()
	if len(notes) == 0 {
		p.printf("  none\n")
	}
	for _, n := range notes {
		p.printf("  %s %s: %s\n      %s\n", n.Type(), n.Reason, n.Message, n.Detail(ex.ownerID, ex.object.Zones))
	}
	return p.err
}

// noChangeText says why the plan has no change for the object.
func (ex *explanation) noChangeText() string {
	switch {
	case ex.provenance.Excluded != "":
		return "no change: the object is not read, and the zones hold no record of it"
	case len(ex.object.Wanted) == 0 && len(ex.object.Notes) == 0:
		return "no change: the object asks for no record, and the zones hold none of it"
	case len(ex.object.Notes) > 0:
		return "no change made for the object's records; the warnings below say why"
	}
	return "no change: the zones already hold every record the object asks for"
}

// errWriter keeps the first write error, so that a printer can write on and check once.
type errWriter struct {
	w   io.Writer
	err error
}

func (p *errWriter) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

// The JSON explain prints; docs/cli.md documents the schema, whose field names are
// stable.
type jsonExplanation struct {
	Object       jsonExplainObject   `json:"object"`
	Hostnames    []jsonHostname      `json:"hostnames"`
	Records      []jsonWantedRecord  `json:"records"`
	ZoneHolds    []jsonHolding       `json:"zoneHolds"`
	Plan         []jsonExplainChange `json:"plan"`
	Warnings     []jsonExplainNote   `json:"warnings"`
	ManagedZones []string            `json:"managedZones"`
}

type jsonExplainObject struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	File      string `json:"file,omitempty"`
	Excluded  string `json:"excluded,omitempty"`
}

type jsonHostname struct {
	Name     string `json:"name"`
	From     string `json:"from"`
	Internal bool   `json:"internal,omitempty"`
	Kept     bool   `json:"kept"`
	Dropped  string `json:"dropped,omitempty"`
}

type jsonWantedRecord struct {
	Record *jsonRecord `json:"record"`
	Zone   string      `json:"zone,omitempty"`
}

type jsonHolding struct {
	Zone   string      `json:"zone"`
	Record *jsonRecord `json:"record"`
	Owner  string      `json:"owner,omitempty"`
	Object string      `json:"object,omitempty"`
	Ours   bool        `json:"ours"`
}

type jsonExplainChange struct {
	Zone string `json:"zone"`
	jsonChange
}

type jsonExplainNote struct {
	Type    string `json:"type"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
	Detail  string `json:"detail"`
}

// writeExplainJSON prints ex for tools.
func writeExplainJSON(w io.Writer, ex *explanation) error {
	out := jsonExplanation{
		Object:    jsonExplainObject{Kind: ex.ref.Kind, Namespace: ex.ref.Namespace, Name: ex.ref.Name, File: ex.file, Excluded: ex.provenance.Excluded},
		Hostnames: []jsonHostname{}, Records: []jsonWantedRecord{}, ZoneHolds: []jsonHolding{}, Plan: []jsonExplainChange{},
		Warnings: []jsonExplainNote{}, ManagedZones: append([]string{}, ex.object.Zones...),
	}
	for _, h := range ex.provenance.Hostnames {
		out.Hostnames = append(out.Hostnames, jsonHostname{Name: h.Name, From: h.From, Internal: h.Internal, Kept: h.Kept(), Dropped: h.Dropped})
	}
	for _, r := range ex.object.Wanted {
		out.Records = append(out.Records, jsonWantedRecord{Record: toJSONRecord(r.Record), Zone: r.Zone})
	}
	for _, h := range ex.holdings {
		out.ZoneHolds = append(out.ZoneHolds, jsonHolding{Zone: h.Zone, Record: toJSONRecord(h.Record), Owner: h.Owner, Object: h.Resource,
			Ours: h.Owner != "" && h.Owner == ex.ownerID})
	}
	for _, zc := range ex.object.Changes {
		for i, rc := range zc.Change.Records {
			jc := jsonChange{Op: rc.Op.String(), Record: toJSONRecord(rc.Endpoint()), Ownership: i != zc.Change.Primary}
			if rc.Op == provider.OpUpdate {
				jc.Old = toJSONRecord(rc.Old)
			}
			if !jc.Ownership {
				jc.Objects = objectsOf(rc)
			}
			out.Plan = append(out.Plan, jsonExplainChange{Zone: zc.Zone, jsonChange: jc})
		}
	}
	for _, n := range ex.sortedNotes() {
		out.Warnings = append(out.Warnings, jsonExplainNote{Type: string(n.Type()), Reason: n.Reason, Message: n.Message,
			Detail: n.Detail(ex.ownerID, ex.object.Zones)})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// dropUnmanaged drops the kept hostnames that no record is managed for: those outside
// the domain filter, which the reconcile leaves alone without a word, and those in no
// managed zone (which also get a NoManagedZone warning).
func dropUnmanaged(hs []source.HostnameOrigin, filter endpoint.DomainFilter, zoneNames []string) {
	zones := make([]provider.Zone, len(zoneNames))
	for i, n := range zoneNames {
		zones[i] = provider.Zone{Name: n}
	}
	for i, h := range hs {
		if !h.Kept() {
			continue
		}
		if !filter.Match(h.Name) {
			hs[i].Dropped = "outside the managed domains (--domain-filter, --exclude-domains, --regex-domain-filter, --regex-domain-exclusion)"
		} else if _, ok := provider.ZoneFor(h.Name, zones); !ok {
			hs[i].Dropped = "no managed zone holds the name"
		}
	}
}
