// Command externaldns-webhook is external-dns's own webhook server mode
// (`external-dns --webhook-server`), built from external-dns's published module with only
// the providers zonekeeper's tests can run locally (rfc2136 and inmemory). external-dns's
// main links every provider it has, and some of their modules are not served by the Go
// module proxy these machines reach; everything this command runs is external-dns's code:
// its flag parser, its domain filter, its providers and its webhook HTTP API, wired as
// external-dns's controller wires them when --webhook-server is set.
//
// external-dns listens on 127.0.0.1:8888, always; EXTERNALDNS_WEBHOOK_LISTEN, when set,
// gives another address, so that tests can run several side by side.
//
// It is a module of its own because external-dns needs a newer Go than zonekeeper.
package main

import (
	"context"
	"fmt"
	"os"

	"sigs.k8s.io/external-dns/endpoint"
	"sigs.k8s.io/external-dns/pkg/apis/externaldns"
	"sigs.k8s.io/external-dns/provider"
	"sigs.k8s.io/external-dns/provider/inmemory"
	"sigs.k8s.io/external-dns/provider/rfc2136"
	webhookapi "sigs.k8s.io/external-dns/provider/webhook/api"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "externaldns-webhook:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	cfg := externaldns.NewConfig()
	if err := cfg.ParseFlags(args); err != nil {
		return err
	}
	if !cfg.WebhookServer {
		return fmt.Errorf("only --webhook-server mode is built in")
	}
	domainFilter := endpoint.NewDomainFilterWithOptions(
		endpoint.WithDomainFilter(cfg.DomainFilter),
		endpoint.WithDomainExclude(cfg.DomainExclude),
		endpoint.WithRegexDomainFilter(cfg.RegexDomainFilter),
		endpoint.WithRegexDomainExclude(cfg.RegexDomainExclude),
	)
	ctx := context.Background()
	var (
		p   provider.Provider
		err error
	)
	switch cfg.Provider {
	case "rfc2136":
		p, err = rfc2136.New(ctx, cfg, domainFilter)
	case "inmemory":
		p, err = inmemory.New(ctx, cfg, domainFilter)
	default:
		return fmt.Errorf("--provider %q: only rfc2136 and inmemory are built in", cfg.Provider)
	}
	if err != nil {
		return err
	}
	listen := "127.0.0.1:8888"
	if a := os.Getenv("EXTERNALDNS_WEBHOOK_LISTEN"); a != "" {
		listen = a
	}
	webhookapi.StartHTTPApi(webhookapi.ServerOptions{
		Provider:          p,
		ProviderPort:      listen,
		ReadTimeout:       cfg.WebhookProviderReadTimeout,
		WriteTimeout:      cfg.WebhookProviderWriteTimeout,
		ReadHeaderTimeout: cfg.WebhookProviderReadHeaderTimeout,
		IdleTimeout:       cfg.WebhookProviderIdleTimeout,
		MaxBodySize:       cfg.WebhookProviderMaxBodySize,
	})
	return nil
}
