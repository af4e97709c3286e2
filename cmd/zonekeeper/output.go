package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/zonekeeper/zonekeeper/controller"
	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
)

var opSymbols = map[provider.Op]string{provider.OpCreate: "+", provider.OpUpdate: "~", provider.OpDelete: "-"}

// writePlanText prints the plan grouped by zone: one line per planned change with the
// objects behind it, and its ownership records indented beneath.
func writePlanText(w io.Writer, rep *controller.Report) error {
	for _, z := range rep.Zones {
		if len(z.Changes) == 0 && len(z.Withheld) == 0 && z.Err == nil {
			continue
		}
		fmt.Fprintf(w, "zone %s\n", z.Zone.Name)
		if z.Err != nil {
			fmt.Fprintf(w, "  error: %v\n", z.Err)
		}
		for _, c := range z.Changes {
			main := c.Main()
			fmt.Fprintf(w, "  %s %s", opSymbols[main.Op], describe(main))
			if objects := objectsOf(main); len(objects) > 0 {
				fmt.Fprintf(w, "   (%s)", strings.Join(objects, ", "))
			}
			fmt.Fprintln(w)
			for i, rc := range c.Records {
				if i != c.Primary {
					fmt.Fprintf(w, "      ownership %s %s\n", opSymbols[rc.Op], describe(rc))
				}
			}
		}
		for _, wd := range z.Withheld {
			fmt.Fprintf(w, "  ! withheld delete %s: %s\n", wd.Record, wd.Reason)
		}
	}
	if probs := allProblems(rep); len(probs) > 0 {
		fmt.Fprintln(w, "\nproblems:")
		for _, p := range probs {
			level := "error"
			if p.Warning {
				level = "warning"
			}
			fmt.Fprintf(w, "  %s: %s\n", level, p.Error())
		}
	}
	create, update, del := rep.ChangeCount()
	_, err := fmt.Fprintf(w, "\n%d to create, %d to update, %d to delete.\n", create, update, del)
	return err
}

func describe(rc provider.RecordChange) string {
	if rc.Op == provider.OpUpdate {
		return fmt.Sprintf("%s → %s", rc.Old, strings.TrimPrefix(rc.New.String(), rc.New.DNSName+" "))
	}
	return rc.Endpoint().String()
}

// objectsOf names the objects behind a change: those that asked for the new record, or,
// for a deletion, the one its ownership record names.
func objectsOf(rc provider.RecordChange) []string {
	if rc.New != nil && len(rc.New.Refs) > 0 {
		names := make([]string, len(rc.New.Refs))
		for i, r := range rc.New.Refs {
			names[i] = r.String()
		}
		return names
	}
	if owner := rc.Endpoint().Labels[endpoint.ResourceLabelKey]; owner != "" {
		return []string{owner}
	}
	return nil
}

func allProblems(rep *controller.Report) []endpoint.Problem {
	out := append([]endpoint.Problem(nil), rep.Problems...)
	for _, z := range rep.Zones {
		out = append(out, z.Problems...)
	}
	return out
}

type jsonPlan struct {
	Zones    []jsonZone    `json:"zones"`
	Problems []jsonProblem `json:"problems"`
	Summary  jsonSummary   `json:"summary"`
}

type jsonZone struct {
	Zone     string         `json:"zone"`
	ID       string         `json:"id"`
	Changes  []jsonChange   `json:"changes"`
	Withheld []jsonWithheld `json:"withheld,omitempty"`
	Error    string         `json:"error,omitempty"`
}

type jsonChange struct {
	Op        string      `json:"op"`
	Record    *jsonRecord `json:"record"`
	Old       *jsonRecord `json:"old,omitempty"`
	Ownership bool        `json:"ownership"`
	Objects   []string    `json:"objects,omitempty"`
}

type jsonRecord struct {
	Name          string            `json:"name"`
	Type          string            `json:"type"`
	TTL           int64             `json:"ttl,omitempty"`
	Targets       []string          `json:"targets"`
	SetIdentifier string            `json:"setIdentifier,omitempty"`
	Properties    map[string]string `json:"properties,omitempty"`
}

type jsonWithheld struct {
	Record *jsonRecord `json:"record"`
	Reason string      `json:"reason"`
}

type jsonProblem struct {
	Object   string `json:"object"`
	File     string `json:"file,omitempty"`
	Name     string `json:"name,omitempty"`
	Message  string `json:"message"`
	Severity string `json:"severity"`
}

type jsonSummary struct {
	Create int `json:"create"`
	Update int `json:"update"`
	Delete int `json:"delete"`
}

// writePlanJSON prints every record change, ownership records included, for machines.
func writePlanJSON(w io.Writer, rep *controller.Report) error {
	out := jsonPlan{Zones: []jsonZone{}, Problems: []jsonProblem{}}
	for _, z := range rep.Zones {
		jz := jsonZone{Zone: z.Zone.Name, ID: z.Zone.ID, Changes: []jsonChange{}}
		if z.Err != nil {
			jz.Error = z.Err.Error()
		}
		for _, c := range z.Changes {
			for i, rc := range c.Records {
				jc := jsonChange{Op: rc.Op.String(), Record: toJSONRecord(rc.Endpoint()), Ownership: i != c.Primary}
				if rc.Op == provider.OpUpdate {
					jc.Old = toJSONRecord(rc.Old)
				}
				if !jc.Ownership {
					jc.Objects = objectsOf(rc)
				}
				jz.Changes = append(jz.Changes, jc)
			}
		}
		for _, wd := range z.Withheld {
			jz.Withheld = append(jz.Withheld, jsonWithheld{Record: toJSONRecord(wd.Record), Reason: wd.Reason})
		}
		out.Zones = append(out.Zones, jz)
	}
	for _, p := range allProblems(rep) {
		sev := "error"
		if p.Warning {
			sev = "warning"
		}
		out.Problems = append(out.Problems, jsonProblem{Object: p.Ref.String(), File: p.Ref.Source, Name: p.DNSName, Message: p.Err.Error(), Severity: sev})
	}
	out.Summary.Create, out.Summary.Update, out.Summary.Delete = rep.ChangeCount()
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func toJSONRecord(e *endpoint.Endpoint) *jsonRecord {
	r := &jsonRecord{Name: e.DNSName, Type: e.RecordType, TTL: int64(e.RecordTTL), Targets: e.Targets, SetIdentifier: e.SetIdentifier}
	if len(e.ProviderSpecific) > 0 {
		r.Properties = make(map[string]string, len(e.ProviderSpecific))
		for _, p := range e.ProviderSpecific {
			r.Properties[p.Name] = p.Value
		}
	}
	return r
}
