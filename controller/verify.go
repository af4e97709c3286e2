package controller

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/zonekeeper/zonekeeper/provider"
)

// DefaultVerifyTimeout bounds the verification of one zone's changes when
// VerifyConfig.Timeout is 0: enough for a secondary to take a NOTIFY and an IXFR, and for
// most Route 53 changes to reach INSYNC, short enough that a zone nobody serves stalls
// the reconcile only that long.
const DefaultVerifyTimeout = 30 * time.Second

// MaxVerifiedChanges is the most applied changes of one zone a reconcile verifies: the
// first ones, in the order they were applied. Verification proves that the records an
// event asked for are served; a reconcile writing more at once (the first reconcile of a
// large zone, a mass change) is a bulk load, whose every record verified would hold
// the next reconcile back by the time of a query per record (at 100,000 records, about
// the whole --verify-timeout), while the first thousand show as well that the zone is
// served. The others are reported unverified.
const MaxVerifiedChanges = 1000

// VerifyConfig says whether a reconcile checks that the changes it applied are served
// (provider.PropagationVerifier), and how long it waits for that.
type VerifyConfig struct {
	// Enabled turns verification on (--verify-propagation).
	Enabled bool
	// Timeout bounds the verification of one zone's changes (--verify-timeout); 0 means
	// DefaultVerifyTimeout. The reconcile waits for it: zones are verified one after
	// another, each right after its Apply.
	Timeout time.Duration
	// Provider names the provider in the provider label of
	// zonekeeper_record_propagation_seconds.
	Provider string
}

// Propagation is what the verification of one zone's applied changes found.
type Propagation struct {
	// Provider is VerifyConfig.Provider.
	Provider string
	// Since is when verification started, right after the zone's Apply returned; a
	// change's propagation time is its Serving.At minus Since.
	Since time.Time
	// Served holds one Serving per change of ZoneReport.Applied, in its order, up to
	// MaxVerifiedChanges; nil when Err is set. The changes after those were not verified.
	Served []provider.Serving
	// Err is why the changes could not be verified.
	Err error
}

// verifyServed verifies zr's applied changes when Config.Verify asks for it, and sets
// zr.Propagation. ctx is the reconcile's own: verification writes nothing, so a stopping
// daemon may cut it short (the changes are then reported not yet served).
func (c *Controller) verifyServed(ctx context.Context, zr *ZoneReport) {
	cfg := c.Config.Verify
	if !cfg.Enabled || c.Config.DryRun || len(zr.Applied) == 0 {
		return
	}
	prop := &Propagation{Provider: cfg.Provider, Since: c.now()}
	zr.Propagation = prop
	verifier, ok := c.Provider.(provider.PropagationVerifier)
	if !ok {
		prop.Err = fmt.Errorf("provider %s cannot verify that changes are served", cfg.Provider)
		return
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultVerifyTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	checked := zr.Applied[:min(len(zr.Applied), MaxVerifiedChanges)]
	served, err := verifier.VerifyServed(ctx, zr.Zone, checked)
	switch {
	case err != nil:
		prop.Err = err
	case len(served) != len(checked):
		prop.Err = fmt.Errorf("the provider verified %d changes of %d", len(served), len(checked))
	default:
		prop.Served = served
	}
	c.logPropagation(zr)
}

// logPropagation logs the changes of zr that were not seen served.
func (c *Controller) logPropagation(zr *ZoneReport) {
	if c.Logger == nil {
		return
	}
	log := c.Logger.With("zone", zr.Zone.Name)
	if zr.Propagation.Err != nil {
		log.Warn("applied changes not verified", "err", zr.Propagation.Err)
		return
	}
	for i, s := range zr.Propagation.Served {
		if !s.Served {
			main := zr.Applied[i].Main()
			log.Warn("change applied but not yet served", "op", main.Op.String(), recordAttrs(main.Endpoint()), "pending", s.Pending)
		}
	}
	if unchecked := len(zr.Applied) - len(zr.Propagation.Served); unchecked > 0 {
		log.Info("applied changes verified in part", "verified", len(zr.Propagation.Served), "notVerified", unchecked)
	}
}

// servedText is what an Event on the i-th applied change of z adds to "published" or
// "deleted": by whom and how soon it was seen served, or what was seen instead. It is
// "" when z was not verified.
func servedText(z *ZoneReport, i int, deleted bool) string {
	prop := z.Propagation
	switch {
	case prop == nil:
		return ""
	case prop.Err != nil:
		return "; not verified: " + prop.Err.Error()
	case i >= len(prop.Served):
		return fmt.Sprintf("; not verified: the reconcile applied %d changes to the zone at once, and only the first %d are verified",
			len(z.Applied), len(prop.Served))
	}
	s := prop.Served[i]
	if !s.Served {
		if deleted {
			return "; still served: " + s.Pending
		}
		return "; not yet served: " + s.Pending
	}
	took := fmt.Sprintf(" in %.2fs", s.At.Sub(prop.Since).Seconds())
	if deleted {
		return " and no longer served by " + strings.Join(s.By, ", ") + took
	}
	return " and served by " + strings.Join(s.By, ", ") + took
}

// newPropagationHistogram is zonekeeper_record_propagation_seconds.
func newPropagationHistogram() *prometheus.HistogramVec {
	return prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "zonekeeper_record_propagation_seconds",
		Help:    "Time from the end of the Apply that wrote a record change until the provider saw it served (--verify-propagation), by provider and zone; changes not served within --verify-timeout are not observed.",
		Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300},
	}, []string{"provider", "zone"})
}

// observePropagation observes the propagation time of each change of z seen served.
func (m *Metrics) observePropagation(z ZoneReport) {
	prop := z.Propagation
	if prop == nil {
		return
	}
	for _, s := range prop.Served {
		if s.Served {
			m.propagation.WithLabelValues(prop.Provider, z.Zone.Name).Observe(max(0, s.At.Sub(prop.Since).Seconds()))
		}
	}
}
