package bench

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Machine describes the computer the figures come from.
type Machine struct {
	CPU      string
	Cores    int
	MemBytes int64
}

// Report is everything docs/benchmarks.md shows.
type Report struct {
	Machine   Machine
	Commit    string
	Date      time.Time
	GoVersion string
	// Command is the exact command line that produced the figures.
	Command string
	Options Options
	// Providers holds one section per provider, in order.
	Providers []ProviderReport
}

// ProviderReport is the figures of one provider at every N measured, ascending.
type ProviderReport struct {
	Name    string
	Results []Result
	// Upstream maps N to upstream external-dns v0.22's figures, by row key.
	Upstream map[int]map[string]string
	// Targets maps a row key to the target the issue sets.
	Targets map[string]string
	// Note is shown under the table; empty for none.
	Note string
	// Table says which rows the table has.
	Table Table
}

// Table is a kind of provider table: which figures its rows show.
type Table int

const (
	// TableDNS shows what a DNS server served: UPDATE messages (SOA serial increases)
	// and AXFRs.
	TableDNS Table = iota
	// TableAPI shows the calls an API emulator received, per operation.
	TableAPI
	// TableRoute53 is TableAPI with one more row: the cold run's ChangeResourceRecordSets
	// calls beside the fewest Route 53's limits allow.
	TableRoute53
)

// row is one line of a provider's table: a scenario and how to show a Result in it.
type row struct {
	key, title string
	cell       func(Result) string
}

// The row keys upstream figures and targets are given by.
const (
	RowCold     = "cold"
	RowRaw      = "raw"
	RowNoChange = "nochange"
	RowChurn    = "churn"
	RowEvent    = "event"
	RowDelete   = "delete"
	RowIdle     = "idle"
	RowDaemon   = "daemon"
	RowLoad     = "load"
	// RowResync is the CPU of one periodic full resync of an idle daemon, and
	// RowBackgroundChurn the churn the event and delete rows ran under (only when
	// Options.ChurnRate > 0).
	RowResync          = "resync"
	RowBackgroundChurn = "backgroundchurn"
	// RowTouch and RowChangeCalls are rows of API tables only: the event-driven
	// reconcile after a label change, and Route53's change calls against their bound.
	RowTouch       = "touch"
	RowChangeCalls = "changecalls"
)

// rowsOf returns the rows of a table of kind t for the figures measured with opts.
func rowsOf(t Table, opts Options) []row {
	if t == TableDNS {
		return dnsRows(opts.IdleFor, opts.ChurnRate)
	}
	return apiRows(opts.IdleFor, t == TableRoute53)
}

// dnsRows returns the rows of a DNS server's table; idle names the idle duration, and
// churnRate, when above 0, the background churn the event and delete samples ran under.
func dnsRows(idle time.Duration, churnRate float64) []row {
	eventTitle, deleteTitle := "event → record resolvable (daemon, defaults): p50 / max", "Ingress deleted → record gone: p50 / max"
	if churnRate > 0 {
		under := fmt.Sprintf("under %s status updates/s of background churn", count(churnRate))
		eventTitle = "event → record resolvable (daemon, defaults, " + under + "): p50 / max"
		deleteTitle = "Ingress deleted → record gone (" + under + "): p50 / max"
	}
	rs := []row{
		{RowCold, "cold converge, one-shot (`--once`): wall / CPU / peak RSS / UPDATE messages", func(r Result) string {
			return shots(r.Cold, func(s []OneShot) []string {
				return []string{seconds(medianOf(s, wall)), seconds(medianOf(s, cpu)), megabytes(medianOf(s, peakRSS)), count(medianOf(s, updates))}
			})
		}},
		{RowRaw, fmt.Sprintf("raw limit: the cold run's records put by a plain miekg/dns client, up to %s per UPDATE, no prerequisites: wall / UPDATEs", thousands(RawBatch)), func(r Result) string {
			if len(r.Raw) == 0 {
				return none
			}
			return seconds(medianOf(r.Raw, func(x Raw) float64 { return x.Wall.Seconds() })) + " / " +
				count(medianOf(r.Raw, func(x Raw) float64 { return float64(x.Messages) }))
		}},
		{RowNoChange, "no-change one-shot: wall / UPDATEs / AXFRs", func(r Result) string {
			return shots(r.NoChange, func(s []OneShot) []string {
				return []string{seconds(medianOf(s, wall)), count(medianOf(s, updates)), count(medianOf(s, axfrs))}
			})
		}},
		{RowChurn, "10% target churn, one-shot: wall / CPU / UPDATEs / AXFRs", func(r Result) string {
			return shots(r.Churn, func(s []OneShot) []string {
				return []string{seconds(medianOf(s, wall)), seconds(medianOf(s, cpu)), count(medianOf(s, updates)), count(medianOf(s, axfrs))}
			})
		}},
		{RowEvent, eventTitle, func(r Result) string {
			return latencies(r.EventLatency)
		}},
		{RowDelete, deleteTitle, func(r Result) string {
			return latencies(r.DeleteLatency)
		}},
		{RowIdle, fmt.Sprintf("idle daemon, %s: CPU / AXFRs / UPDATEs", humanDuration(idle)), func(r Result) string {
			if len(r.Idle) == 0 {
				return none
			}
			return strings.Join([]string{
				seconds(medianOf(r.Idle, func(i IdleResult) float64 { return i.CPU.Seconds() })),
				count(medianOf(r.Idle, func(i IdleResult) float64 { return float64(i.Served.AXFRs) })),
				count(medianOf(r.Idle, func(i IdleResult) float64 { return float64(i.Served.Updates) })),
			}, " / ")
		}},
		{RowResync, fmt.Sprintf("idle daemon, periodic full resync (every %s): CPU per resync = CPU over the %s ÷ resyncs ended in them / resyncs",
			humanDuration(DaemonInterval), humanDuration(idle)), perResync},
		daemonRow(),
		loadRow(),
	}
	if churnRate > 0 {
		rs = append(rs, row{RowBackgroundChurn, fmt.Sprintf("background churn during the event and delete samples, asked %s/s: status updates / achieved rate", count(churnRate)), backgroundChurn})
	}
	return rs
}

// perResync shows the median CPU per periodic resync over the daemon runs in which at
// least one resync ended within the idle window, and the median count of resyncs.
func perResync(r Result) string {
	var per []float64
	for _, i := range r.Idle {
		if d, ok := i.PerResync(); ok {
			per = append(per, d.Seconds())
		}
	}
	if len(per) == 0 {
		return none
	}
	return seconds(Median(per)) + " / " + count(medianOf(r.Idle, func(i IdleResult) float64 { return float64(i.Reconciles) }))
}

// backgroundChurn shows the median updates and achieved rate of the background churns.
func backgroundChurn(r Result) string {
	if len(r.BackgroundChurn) == 0 {
		return none
	}
	return count(medianOf(r.BackgroundChurn, func(s ChurnStats) float64 { return float64(s.Updates) })) + " / " +
		strconv.FormatFloat(medianOf(r.BackgroundChurn, ChurnStats.Rate), 'f', 1, 64) + "/s"
}

// daemonRow shows how long a daemon took to write every name, and its RSS after
// idling.
func daemonRow() row {
	return row{RowDaemon, "daemon: start → all names in the zone / RSS after idling", func(r Result) string {
		if len(r.DaemonConverge) == 0 {
			return none
		}
		rss := none
		if len(r.Idle) > 0 {
			rss = megabytes(medianOf(r.Idle, func(i IdleResult) float64 { return float64(i.RSS) }))
		}
		return seconds(Median(r.DaemonConverge).Seconds()) + " / " + rss
	}}
}

// loadRow shows how long loading the Ingresses took.
func loadRow() row {
	return row{RowLoad, "load N Ingresses + status IPs through client-go (32 workers): wall", func(r Result) string {
		if r.Load == 0 {
			return none
		}
		return seconds(r.Load.Seconds())
	}}
}

// apiRows returns the rows of an API emulator's table; idle names the idle duration,
// and changeBound adds Route53's change calls against their lower bound.
func apiRows(idle time.Duration, changeBound bool) []row {
	rs := []row{
		{RowCold, "cold converge, one-shot (`--once`): wall / CPU / peak RSS / API calls", func(r Result) string {
			return shots(r.Cold, func(s []OneShot) []string {
				return []string{seconds(medianOf(s, wall)), seconds(medianOf(s, cpu)), megabytes(medianOf(s, peakRSS)), shotCalls(s)}
			})
		}},
		{RowNoChange, "no-change one-shot: wall / API calls", func(r Result) string {
			return shots(r.NoChange, func(s []OneShot) []string { return []string{seconds(medianOf(s, wall)), shotCalls(s)} })
		}},
		{RowIdle, fmt.Sprintf("idle daemon, %s: CPU / API calls", humanDuration(idle)), func(r Result) string {
			if len(r.Idle) == 0 {
				return none
			}
			return seconds(medianOf(r.Idle, func(i IdleResult) float64 { return i.CPU.Seconds() })) + " / " +
				formatCalls(medianCalls(callsOf(r.Idle, func(i IdleResult) map[string]int { return i.Calls })))
		}},
		{RowTouch, fmt.Sprintf("event-driven reconcile, one Ingress relabelled (no record changes): API calls within %s", humanDuration(eventWindow)), func(r Result) string {
			if len(r.Touch) == 0 {
				return none
			}
			return formatCalls(medianCalls(callsOf(r.Touch, eventCalls)))
		}},
		{RowEvent, fmt.Sprintf("event-driven reconcile, one new Ingress: create → records in the emulator / API calls until %s later", humanDuration(eventWindow)), func(r Result) string {
			if len(r.NewIngress) == 0 {
				return none
			}
			return seconds(medianOf(r.NewIngress, func(e EventResult) float64 { return e.Latency.Seconds() })) + " / " +
				formatCalls(medianCalls(callsOf(r.NewIngress, eventCalls)))
		}},
		daemonRow(),
		loadRow(),
	}
	if changeBound {
		rs = append(rs, row{RowChangeCalls, "cold one-shot: ChangeResourceRecordSets calls / lower bound (≤ 1,000 changes and ≤ 32,000 value characters per call)", changeCalls})
	}
	return rs
}

// changeCalls shows the median ChangeResourceRecordSets calls of the cold runs beside
// the lower bound for their changes, and both terms of that bound. Every cold run
// writes the same records, so the first run's load stands for all.
func changeCalls(r Result) string {
	if len(r.Cold) == 0 || len(r.ColdLoad) == 0 {
		return none
	}
	calls := medianOf(r.Cold, func(s OneShot) float64 { return float64(s.Calls[opRoute53Change]) })
	l := r.ColdLoad[0]
	return fmt.Sprintf("%s / %d (⌈%s changes / 1,000⌉ = %d; ⌈%s value characters / 32,000⌉ = %d)",
		count(calls), l.LeastCalls(), thousands(l.Changes), l.ByChanges(), thousands(l.Chars), l.ByChars())
}

// shotCalls shows the median calls per operation of one-shot runs.
func shotCalls(s []OneShot) string {
	return formatCalls(medianCalls(callsOf(s, func(o OneShot) map[string]int { return o.Calls })))
}

func eventCalls(e EventResult) map[string]int { return e.Calls }

// callsOf returns the calls per operation of each of xs.
func callsOf[T any](xs []T, calls func(T) map[string]int) []map[string]int {
	out := make([]map[string]int, len(xs))
	for i, x := range xs {
		out[i] = calls(x)
	}
	return out
}

// none marks a figure not measured.
const none = "—"

func wall(s OneShot) float64    { return s.Wall.Seconds() }
func cpu(s OneShot) float64     { return s.CPU.Seconds() }
func peakRSS(s OneShot) float64 { return float64(s.PeakRSS) }
func updates(s OneShot) float64 { return float64(s.Served.Updates) }
func axfrs(s OneShot) float64   { return float64(s.Served.AXFRs) }

// medianOf returns the median of f over xs.
func medianOf[T any](xs []T, f func(T) float64) float64 {
	vs := make([]float64, len(xs))
	for i, x := range xs {
		vs[i] = f(x)
	}
	return Median(vs)
}

// shots joins the figures of a one-shot scenario, or marks it not measured.
func shots(s []OneShot, figures func([]OneShot) []string) string {
	if len(s) == 0 {
		return none
	}
	return strings.Join(figures(s), " / ")
}

// latencies shows the nearest-rank p50 and the maximum of ds.
func latencies(ds []time.Duration) string {
	if len(ds) == 0 {
		return none
	}
	return seconds(Percentile(ds, 50).Seconds()) + " / " + seconds(Percentile(ds, 100).Seconds())
}

func seconds(s float64) string { return strconv.FormatFloat(s, 'f', 2, 64) + " s" }

// megabytes shows a size in bytes in MB of 2²⁰ bytes, as upstream's figures (ru_maxrss
// in kB, divided by 1024) are.
func megabytes(b float64) string { return strconv.FormatFloat(b/(1<<20), 'f', 0, 64) + " MB" }

// count shows a median count; the median of an even number of runs may end in .5.
func count(c float64) string { return strconv.FormatFloat(c, 'f', -1, 64) }

// Plural shows n things, as "1 run" or "3 runs".
func Plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// humanDuration shows whole minutes as "3 minutes", anything else as time.Duration does.
func humanDuration(d time.Duration) string {
	switch {
	case d == time.Minute:
		return "1 minute"
	case d > 0 && d%time.Minute == 0:
		return fmt.Sprintf("%d minutes", d/time.Minute)
	}
	return d.String()
}

// thousands writes n with commas between groups of three digits, as the issue does.
func thousands(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Render returns r as the Markdown page docs/benchmarks.md: how and where it was
// measured, then one table per provider with zonekeeper's medians beside upstream's
// figures where upstream has them, and the targets.
func Render(r Report) string {
	var b strings.Builder
	b.WriteString("# Benchmarks\n\n")
	b.WriteString("Generated by `make bench` (test/bench/cmd/zkbench); do not edit by hand.\n\n")
	fmt.Fprintf(&b, "- machine: %s, %d cores, %.1f GiB memory (shared with other work: figures are noisy)\n",
		r.Machine.CPU, r.Machine.Cores, float64(r.Machine.MemBytes)/(1<<30))
	fmt.Fprintf(&b, "- commit: `%s`\n- date: %s\n- Go: %s\n", r.Commit, r.Date.UTC().Format("2006-01-02 15:04 MST"), r.GoVersion)
	fmt.Fprintf(&b, "- command: `%s`\n", r.Command)
	fmt.Fprintf(&b, "- one-shot figures: medians of %s, each on a fresh DNS server or emulator; daemon figures: medians of %s, "+
		"latencies pooled over %s per daemon run (nearest-rank p50 and maximum)\n",
		Plural(r.Options.Runs, "run"), Plural(r.Options.DaemonRuns, "daemon run"), Plural(r.Options.Samples, "sample"))
	b.WriteString("- wall, CPU (user+system) and peak RSS of one-shot runs: the child's rusage; daemon CPU: /proc/<pid>/stat; " +
		"RSS: /proc/<pid>/status VmRSS; MB = 2²⁰ bytes; UPDATE messages: the zone's SOA serial increase; AXFRs: the server's log; " +
		"API calls: the requests the emulator received per operation (its `Calls()`, zeroed before each measured window; retries count, operations with no call are left out), medians per operation\n")
	for _, p := range r.Providers {
		renderProvider(&b, p, r.Options)
	}
	return b.String()
}

func renderProvider(b *strings.Builder, p ProviderReport, opts Options) {
	fmt.Fprintf(b, "\n## %s\n\n", p.Name)
	ns := make([]int, 0, len(p.Results))
	for _, res := range p.Results {
		ns = append(ns, res.N)
	}
	header := []string{"scenario"}
	for _, n := range ns {
		header = append(header, "zonekeeper N="+thousands(n))
		if _, ok := p.Upstream[n]; ok {
			header = append(header, "upstream N="+thousands(n))
		}
	}
	header = append(header, "target")
	writeRow(b, header)
	writeRow(b, slices.Repeat([]string{"---"}, len(header)))
	for _, rw := range rowsOf(p.Table, opts) {
		cells := []string{rw.title}
		for _, res := range p.Results {
			cells = append(cells, rw.cell(res))
			if up, ok := p.Upstream[res.N]; ok {
				cells = append(cells, upstreamCell(up[rw.key], rw.key, opts))
			}
		}
		cells = append(cells, cmp.Or(p.Targets[rw.key], none))
		writeRow(b, cells)
	}
	if p.Note != "" {
		fmt.Fprintf(b, "\n%s\n", p.Note)
	}
	renderUnmeasuredUpstream(b, p, ns, opts)
}

// upstreamCell shows upstream's figure of row key, or marks it missing. Upstream was
// measured without churn: beside zonekeeper's latencies under churn, its own say so.
func upstreamCell(figure, key string, opts Options) string {
	if figure != "" && opts.ChurnRate > 0 && (key == RowEvent || key == RowDelete) {
		return figure + " (without churn)"
	}
	return cmp.Or(figure, none)
}

// renderUnmeasuredUpstream quotes upstream's figures at the N that have no column because
// zonekeeper was not measured there, so that no figure of upstream's goes unshown.
func renderUnmeasuredUpstream(b *strings.Builder, p ProviderReport, measured []int, opts Options) {
	for _, n := range slices.Sorted(maps.Keys(p.Upstream)) {
		if slices.Contains(measured, n) {
			continue
		}
		var figures []string
		// Titled as measured: upstream's figures are without churn.
		for _, rw := range rowsOf(p.Table, Options{IdleFor: opts.IdleFor}) {
			if f, ok := p.Upstream[n][rw.key]; ok {
				figures = append(figures, rw.title+" = "+f)
			}
		}
		fmt.Fprintf(b, "\nUpstream's figures at N=%s, where zonekeeper was not measured: %s.\n", thousands(n), strings.Join(figures, "; "))
	}
}

func writeRow(b *strings.Builder, cells []string) {
	b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
}

// UpstreamRFC2136 returns upstream external-dns v0.22's figures from issue 9 (RFC2136
// against BIND9 with AXFR, one zone, N Ingresses each with one host and a status IP,
// on the same 2-core machine), by N and row key.
func UpstreamRFC2136() map[int]map[string]string {
	return map[int]map[string]string{
		1000: {
			RowCold:     "0.10 s / 0.08 s / 86 MB / 40",
			RowNoChange: "0.07 s / 0 / 1",
			RowEvent:    "5.2 s / 6.0 s",
			RowDelete:   "6.1 s",
			RowIdle:     "0.12 s / 3 / —",
		},
		5000: {
			RowCold:     "0.36 s / 0.24 s / 109 MB / 200",
			RowNoChange: "0.25 s / 0 / 1",
			RowEvent:    "5.7 s / 6.1 s",
			RowIdle:     "0.50 s / 3 / —",
		},
		10000: {
			RowCold: "0.64 s / 0.45 s / 135 MB / 400",
			// The raw limit: 20,000 RRs, the records of 10,000 Ingresses.
			RowRaw: "0.19 s / 20",
		},
	}
}

// TargetsRFC2136 returns the targets issue 9 sets, by row key.
func TargetsRFC2136() map[string]string {
	return map[string]string{
		RowCold:   "N=10,000: ≤ 0.35 s wall, ≤ 70 MB peak RSS, ≤ 40 UPDATEs",
		RowEvent:  "N=10,000: p50 ≤ 0.5 s, max ≤ 1 s",
		RowIdle:   "N=10,000, 3 minutes: no AXFR while the SOA serial is unchanged; CPU ≤ 1/10 of upstream's",
		RowDaemon: "N=50,000 converges; steady RSS < 250 MB",
	}
}

// TargetsRoute53 returns the targets issue 9 sets for Route53, by row key.
func TargetsRoute53() map[string]string {
	noList := "no list call on an event-driven reconcile when nothing changed out of band"
	return map[string]string{
		RowTouch:       noList,
		RowEvent:       noList,
		RowChangeCalls: "exactly ⌈changes / 1,000⌉ change calls (bytes permitting)",
	}
}
