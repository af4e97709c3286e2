package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/zonekeeper/zonekeeper/controller"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/webhook"
)

// webhookOptions holds the --webhook-provider-* flags of --provider=webhook.
type webhookOptions struct {
	url          string
	readTimeout  time.Duration
	writeTimeout time.Duration
	maxBodySize  int64
	insecure     bool
}

// addWebhookFlags registers external-dns's webhook provider flags with its defaults, and
// zonekeeper's --webhook-provider-insecure.
func addWebhookFlags(fs *pflag.FlagSet, o *webhookOptions) {
	fs.StringVar(&o.url, "webhook-provider-url", webhook.DefaultURL, "address of the webhook provider: http on a loopback address, https, or unix:///path/to/socket")
	fs.DurationVar(&o.readTimeout, "webhook-provider-read-timeout", webhook.DefaultReadTimeout, "timeout of one webhook provider request that reads (GET, and POST /adjustendpoints)")
	fs.DurationVar(&o.writeTimeout, "webhook-provider-write-timeout", webhook.DefaultWriteTimeout, "timeout of one POST /records to the webhook provider")
	fs.Int64Var(&o.maxBodySize, "webhook-provider-max-body-size", webhook.DefaultMaxBodySize, "largest webhook request or answer body, in bytes; larger requests are split, larger answers refused")
	fs.BoolVar(&o.insecure, "webhook-provider-insecure", false, "allow a plain-http --webhook-provider-url that is not on a loopback address (every DNS change then crosses the network readable and changeable)")
}

// buildWebhook makes the client of --provider=webhook. Zones come from the provider's
// domain filter, kept by --domain-filter, or from --domain-filter alone (webhook.Client.Zones).
func buildWebhook(o *options, cfg controller.Config, observer provider.CallObserver) (provider.Provider, error) {
	w := o.webhook
	if w.maxBodySize < 1 {
		return nil, fmt.Errorf("--webhook-provider-max-body-size %d: want a positive number of bytes (zonekeeper always bounds bodies; external-dns's 0 for no limit is not taken)", w.maxBodySize)
	}
	if w.readTimeout <= 0 || w.writeTimeout <= 0 {
		return nil, errors.New("--webhook-provider-read-timeout and --webhook-provider-write-timeout must be positive")
	}
	_, warning, err := webhook.CheckURL(w.url, w.insecure)
	if err != nil {
		return nil, err
	}
	if warning != "" {
		slog.Warn(warning)
	}
	return webhook.New(webhook.Config{
		URL:           w.url,
		Insecure:      w.insecure,
		ReadTimeout:   w.readTimeout,
		WriteTimeout:  w.writeTimeout,
		MaxBodySize:   w.maxBodySize,
		DomainFilter:  cfg.DomainFilter,
		FallbackZones: o.domainFilter,
		Observer:      observer,
		Logger:        slog.Default(),
	})
}

// Defaults of the webhook server's addresses: where external-dns expects a webhook
// provider, and where webhook providers serve their health and metrics.
const (
	defaultWebhookServerAddress = "127.0.0.1:8888"
	defaultWebhookHealthAddress = ":8080"
)

// webhookShutdownTimeout bounds how long the server waits for requests in flight after
// SIGTERM.
const webhookShutdownTimeout = 10 * time.Second

func newWebhookCommand(lookupEnv func(string) (string, bool)) *cobra.Command {
	o := &options{}
	var serverAddress, healthAddress string
	cmd := &cobra.Command{
		Use:   "webhook",
		Short: "Serve a zonekeeper provider to external-dns over its webhook provider protocol",
		Long: `webhook serves the --provider (rfc2136, aws, cloudflare, zonefile or inmemory, with its
flags) over external-dns's webhook provider protocol on --webhook-server-address, so
that external-dns (--provider=webhook) or zonekeeper (--provider=webhook) can use it.
/healthz (ok once the provider has listed its zones) and /metrics are served on
--webhook-health-address. Source and registry flags are accepted and unused.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runWebhookServer(cmd, o, lookupEnv, serverAddress, healthAddress)
		},
	}
	// Before addFlags, which adds the --no-<flag> forms of the boolean flags.
	cmd.Flags().StringVar(&serverAddress, "webhook-server-address", defaultWebhookServerAddress, "address serving the webhook protocol (keep it on loopback: the protocol has no authentication)")
	cmd.Flags().StringVar(&healthAddress, "webhook-health-address", defaultWebhookHealthAddress, "address serving /healthz and /metrics (empty: none)")
	addFlags(cmd.Flags(), o)
	return cmd
}

// webhookHandler builds the --provider as the daemon runs it (remote providers behind
// provider.Cached) and the protocol handler serving it, counting the provider's requests
// in metrics (may be nil) and each answer in observe (may be nil).
func webhookHandler(o *options, cfg controller.Config, metrics *controller.Metrics, logger *slog.Logger, observe func(route string, code int)) (*webhook.Server, provider.Provider, error) {
	prov, err := buildProvider(o, cfg, modeDaemon, metrics)
	if err != nil {
		return nil, nil, err
	}
	return webhook.NewHandler(webhook.ServerConfig{
		Provider:     prov,
		DomainFilter: cfg.DomainFilter,
		MaxBodySize:  o.webhook.maxBodySize,
		Logger:       logger,
		Observe:      observe,
	}), prov, nil
}

// runWebhookServer serves until the command's context ends (SIGTERM), then lets the
// requests in flight finish.
func runWebhookServer(cmd *cobra.Command, o *options, lookupEnv func(string) (string, bool), serverAddress, healthAddress string) error {
	fs := cmd.Flags()
	if err := applyNegations(fs); err != nil {
		return err
	}
	if err := applyEnv(fs, lookupEnv); err != nil {
		return err
	}
	logger, err := newLogger(cmd.ErrOrStderr(), o.logFormat, o.logLevel)
	if err != nil {
		return err
	}
	if o.provider == "webhook" {
		return errors.New("zonekeeper webhook --provider=webhook would serve a webhook provider to itself: choose rfc2136, aws, cloudflare, zonefile or inmemory")
	}
	cfg, err := controllerConfig(o)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := controller.NewMetrics(reg)
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "zonekeeper_webhook_requests_total",
		Help: "Webhook protocol requests answered, by route (negotiate, records, apply, adjustendpoints, other) and status code.",
	}, []string{"route", "code"})
	reg.MustRegister(requests)
	handler, prov, err := webhookHandler(o, cfg, metrics, logger, func(route string, code int) {
		requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
	})
	if err != nil {
		return err
	}
	servers := []*http.Server{{Handler: handler, ReadHeaderTimeout: 5 * time.Second}}
	addresses := []string{serverAddress}
	if healthAddress != "" {
		mux := http.NewServeMux()
		mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
			if !handler.Ready() {
				// The first request answered from here lists the zones.
				if _, err := prov.Zones(r.Context()); err != nil {
					http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
					return
				}
			}
			_, _ = w.Write([]byte("ok\n"))
		})
		mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		servers = append(servers, &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second})
		addresses = append(addresses, healthAddress)
	}
	ctx := cmd.Context()
	served := make(chan error, len(servers))
	for i, srv := range servers {
		ln, err := net.Listen("tcp", addresses[i])
		if err != nil {
			return fmt.Errorf("listening on %s: %w", addresses[i], err)
		}
		logger.Info("serving", "address", ln.Addr().String(), "what", []string{"webhook protocol", "health and metrics"}[i], "provider", o.provider)
		go func() { served <- srv.Serve(ln) }()
	}
	select {
	case <-ctx.Done():
	case err := <-served:
		return fmt.Errorf("webhook server: %w", err)
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), webhookShutdownTimeout)
	defer cancel()
	for _, srv := range servers {
		if err := srv.Shutdown(shutdownCtx); err != nil {
			logger.Warn("stopping the webhook server", "err", err)
		}
	}
	logger.Info("stopped")
	return nil
}
