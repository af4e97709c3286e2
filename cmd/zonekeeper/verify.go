package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/pflag"

	"github.com/zonekeeper/zonekeeper/controller"
	"github.com/zonekeeper/zonekeeper/provider"
)

// verifyOptions holds the flags that turn on the verification that applied changes are
// served.
type verifyOptions struct {
	propagation optionalBool
	timeout     time.Duration
	allNS       bool
}

// verifiedByDefault are the providers whose verification is on unless
// --verify-propagation=false: those where it costs one query per change, not API
// requests that count against a quota.
var verifiedByDefault = map[string]bool{"rfc2136": true}

// addVerifyFlags registers the flags of `run` about verifying that changes are served.
func addVerifyFlags(fs *pflag.FlagSet, o *verifyOptions) {
	fs.Var(&o.propagation, "verify-propagation", "after applying, check that each change is served and report it in zonekeeper_record_propagation_seconds and the RecordReady Event: RFC2136 queries the primary, Route53 polls GetChange until INSYNC, Cloudflare reads the records back (default: on for rfc2136, off for route53 and cloudflare, which it costs API requests)")
	fs.Lookup("verify-propagation").NoOptDefVal = "true"
	fs.DurationVar(&o.timeout, "verify-timeout", controller.DefaultVerifyTimeout, "longest wait, per zone and reconcile, for --verify-propagation to see the changes served; the reconcile waits for it")
	fs.BoolVar(&o.allNS, "rfc2136-verify-all-ns", false, "with --verify-propagation, ask every name server of the zone's NS records, not only --rfc2136-host")
}

// verifyConfig maps the verification flags for the provider named providerName, built
// as p: on when asked for or by the provider's default, refused for a provider that
// cannot verify. A zero timeout (a command without these flags) is the controller's
// default.
func verifyConfig(o *verifyOptions, providerName string, p provider.Provider) (controller.VerifyConfig, error) {
	on := verifiedByDefault[providerName]
	if o.propagation.set {
		on = o.propagation.value
	}
	if o.timeout < 0 {
		return controller.VerifyConfig{}, fmt.Errorf("--verify-timeout %s: want a positive duration", o.timeout)
	}
	if !on {
		return controller.VerifyConfig{}, nil
	}
	if w, ok := p.(interface{ Unwrap() provider.Provider }); ok {
		p = w.Unwrap()
	}
	if _, ok := p.(provider.PropagationVerifier); !ok {
		return controller.VerifyConfig{}, fmt.Errorf("--verify-propagation: provider %s cannot verify that changes are served", providerName)
	}
	return controller.VerifyConfig{Enabled: true, Timeout: o.timeout, Provider: providerName}, nil
}

// optionalBool is a boolean flag that knows whether it was given, so that its default
// can depend on other flags.
type optionalBool struct{ set, value bool }

func (b *optionalBool) String() string {
	if !b.set {
		return "provider default"
	}
	return strconv.FormatBool(b.value)
}

func (b *optionalBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	b.set, b.value = true, v
	return nil
}

// Type is "bool", which gives the flag a --no- form (addNegations) and lets it stand
// without a value.
func (b *optionalBool) Type() string { return "bool" }
