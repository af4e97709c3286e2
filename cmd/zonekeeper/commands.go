package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"github.com/zonekeeper/zonekeeper/controller"
)

// prepare finishes flag parsing and builds the app. Negations come first so that
// --no-<flag> counts as given on the command line and wins over the environment.
func prepare(cmd *cobra.Command, o *options, lookupEnv func(string) (string, bool), logOut io.Writer, mode runMode, metrics *controller.Metrics, onChange func()) (*app, error) {
	fs := cmd.Flags()
	secretOnCommandLine := fs.Changed(rfc2136SecretFlag)
	if err := applyNegations(fs); err != nil {
		return nil, err
	}
	if err := applyEnv(fs, lookupEnv); err != nil {
		return nil, err
	}
	logger, err := newLogger(logOut, o.logFormat, o.logLevel)
	if err != nil {
		return nil, err
	}
	if secretOnCommandLine {
		logger.Warn(tsigSecretWarning)
	}
	return build(o, logger, mode, metrics, onChange)
}

// tsigSecretWarning is logged when the TSIG secret is given on the command line.
// external-dns's tutorials put it there, so it is accepted, but it should move.
const tsigSecretWarning = "--rfc2136-tsig-secret was given on the command line, where every user of the machine can read it with ps " +
	"and everyone who may read the Pod sees it in its spec; put it in a file (a mounted Secret) and pass --rfc2136-tsig-secret-file, " +
	"or set the environment variable EXTERNAL_DNS_RFC2136_TSIG_SECRET from a Secret"

func newRunCommand(lookupEnv func(string) (string, bool)) *cobra.Command {
	o := &options{}
	lo := &leaderOptions{}
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Reconcile DNS with the sources: once (--once), or on every change until stopped",
		Long: `run reconciles DNS with the sources: once with --once, else on every change of the
sources and every --interval until SIGTERM.

Exit codes of run --once: 0 every change applied; 1 a source, zone or change failed
(the rest was applied); 3 deletions were withheld by a safety check (everything else
was applied). An error wins over 3. The daemon exits 0 on SIGTERM.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.once {
				if lo.enabled {
					return errors.New("--leader-elect applies to the daemon, not to --once")
				}
				a, err := prepare(cmd, o, lookupEnv, cmd.ErrOrStderr(), modeOneShot, nil, nil)
				if err != nil {
					return err
				}
				if err := a.startSources(cmd.Context(), oneShotSyncTimeout); err != nil {
					return err
				}
				stopEvents, err := a.startEvents(cmd.Context(), o, nil)
				if err != nil {
					return err
				}
				defer stopEvents(eventsFlushTimeout)
				return reconcileOnce(cmd.Context(), a.controller)
			}
			return runDaemon(cmd, o, lo, lookupEnv)
		},
	}
	// Before addFlags, which adds the --no-<flag> forms of the boolean flags.
	addLeaderElectionFlags(cmd.Flags(), lo)
	addEventFlags(cmd.Flags(), o)
	addVerifyFlags(cmd.Flags(), &o.verify)
	addFlags(cmd.Flags(), o)
	return cmd
}

// reconcileOnce runs one reconcile to its end even if a signal arrives meanwhile: a
// change half sent is worse than a second's delay.
func reconcileOnce(ctx context.Context, c *controller.Controller) error {
	rep, err := c.RunOnce(context.WithoutCancel(ctx))
	if err != nil {
		return err
	}
	c.Logger.Info("reconcile finished", rep.SummaryAttrs()...)
	if err := rep.Err(); err != nil {
		return err
	}
	return withheldExit(rep)
}

// Exit codes of plan --detailed-exitcode and run --once besides 0 and 1 (docs/cli.md).
// When several apply, the highest in this order wins: 1 (an error), exitWithheld,
// exitChanges.
const (
	// exitChanges: plan --detailed-exitcode found changes to make.
	exitChanges = 2
	// exitWithheld: the safety checks withheld deletions, so the zones keep records
	// that no source wants; a drift check must not take that for "in sync".
	exitWithheld = 3
)

// withheldExit returns the exitWithheld error when rep withheld deletions, saying how
// many, why, and what to do; nil when it withheld none.
func withheldExit(rep *controller.Report) error {
	byCause := rep.WithheldByCause()
	if len(byCause) == 0 {
		return nil
	}
	total := 0
	var parts []string
	for _, cause := range slices.Sorted(maps.Keys(byCause)) {
		total += byCause[cause]
		parts = append(parts, fmt.Sprintf("%d for %s", byCause[cause], cause))
	}
	msg := fmt.Sprintf("%d deletions withheld (%s); the records stay", total, strings.Join(parts, ", "))
	if byCause[controller.CauseBudget] > 0 {
		msg += ". Deletions over the budget: a one-shot run has no memory to confirm them with; once sure the records are unwanted, " +
			"run `zonekeeper run --once --force`, raise --max-deletions or --max-deletion-ratio, or let the daemon delete them once confirmed (--deletion-confirm-after)"
	}
	return &exitError{code: exitWithheld, err: errors.New(msg)}
}

// runDaemon reconciles on every change of the sources and every --interval, serving
// health and metrics on --metrics-address, until the command's context ends (SIGTERM).
// With --leader-elect it reconciles only while it holds the Lease.
func runDaemon(cmd *cobra.Command, o *options, lo *leaderOptions, lookupEnv func(string) (string, bool)) error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := controller.NewMetrics(reg)
	var daemon *controller.Daemon
	// The live source calls this only once started, after daemon is set below.
	trigger := func() { daemon.Trigger() }
	a, err := prepare(cmd, o, lookupEnv, cmd.ErrOrStderr(), modeDaemon, metrics, trigger)
	if err != nil {
		return err
	}
	if o.interval <= 0 || o.minEventSyncInterval <= 0 || o.sourceReadInterval <= 0 {
		return errors.New("--interval, --min-event-sync-interval and --source-full-read-interval must be positive")
	}
	logger := a.controller.Logger
	elector, err := leaderElector(lo, o.kube, lookupEnv, logger)
	if err != nil {
		return err
	}
	daemon = controller.NewDaemon(a.controller, controller.DaemonConfig{Interval: o.interval, MinEventInterval: o.minEventSyncInterval, SourceReadInterval: o.sourceReadInterval}, metrics, logger)
	reg.MustRegister(controller.LeaderGauge(daemon))
	a.setPolicyMetrics(controller.NewPolicyMetrics(reg))

	ctx := cmd.Context()
	served := make(chan error, 1)
	var srv *http.Server
	if o.metricsAddress != "" {
		ln, err := net.Listen("tcp", o.metricsAddress)
		if err != nil {
			return fmt.Errorf("--metrics-address: %w", err)
		}
		srv = &http.Server{Handler: controller.NewHandler(daemon, reg), ReadHeaderTimeout: 5 * time.Second}
		logger.Info("serving health and metrics", "address", ln.Addr().String())
		go func() { served <- srv.Serve(ln) }()
	}
	if err := a.startSources(ctx, 0); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	stopEvents, err := a.startEvents(ctx, o, metrics)
	if err != nil {
		return err
	}
	defer stopEvents(0)
	if elector != nil {
		err = daemon.RunElected(ctx, elector)
	} else {
		err = daemon.Run(ctx)
	}
	if srv != nil {
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if serr := srv.Shutdown(shutdownCtx); serr != nil {
			logger.Warn("stopping the metrics server", "err", serr)
		}
		if serr := <-served; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
			logger.Warn("metrics server", "err", serr)
		}
	}
	logger.Info("stopped")
	return err
}

func newPlanCommand(lookupEnv func(string) (string, bool)) *cobra.Command {
	o := &options{}
	var output string
	var detailedExitCode bool
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show the DNS changes a reconcile would make, without making any",
		Long: `plan reads the sources and the provider's zones, and prints the changes a reconcile
would make, ownership TXT records included. It never writes anywhere.

Exit codes: 0 success; 1 error (unreadable input, unreachable provider, or an object
with invalid input); with --detailed-exitcode, 3 when deletions are withheld by a
safety check (the deletion budget, or objects with invalid input or without an
address: the zone keeps records no source wants), else 2 when there are changes to
make, else 0 (in sync). An error wins over 3, and 3 over 2.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "text" && output != "json" {
				return fmt.Errorf("--output %q: want text or json", output)
			}
			a, err := prepare(cmd, o, lookupEnv, cmd.ErrOrStderr(), modeOneShot, nil, nil)
			if err != nil {
				return err
			}
			if err := a.startSources(cmd.Context(), oneShotSyncTimeout); err != nil {
				return err
			}
			c := a.controller
			c.Config.DryRun = true
			c.Logger = nil
			rep, err := c.RunOnce(cmd.Context())
			if err != nil {
				return err
			}
			if len(rep.SourceErrors) > 0 {
				return errors.Join(rep.SourceErrors...)
			}
			if output == "json" {
				err = writePlanJSON(cmd.OutOrStdout(), rep)
			} else {
				err = writePlanText(cmd.OutOrStdout(), rep)
			}
			if err != nil {
				return err
			}
			return planExit(rep, detailedExitCode)
		},
	}
	addFlags(cmd.Flags(), o)
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text, json")
	cmd.Flags().BoolVar(&detailedExitCode, "detailed-exitcode", false, "exit 3 when deletions are withheld, else 2 when there are changes, 0 when in sync")
	return cmd
}

func planExit(rep *controller.Report, detailed bool) error {
	if err := rep.Err(); err != nil {
		return &exitError{code: 1, err: err}
	}
	problems := slices.Clone(rep.Problems)
	for _, z := range rep.Zones {
		problems = append(problems, z.Problems...)
	}
	for _, p := range problems {
		if !p.Warning {
			return &exitError{code: 1, err: errors.New("some objects have invalid input or records that cannot be written (listed above); their records were left out of the plan")}
		}
	}
	if !detailed {
		return nil
	}
	if err := withheldExit(rep); err != nil {
		return err
	}
	create, update, del := rep.ChangeCount()
	if create+update+del > 0 {
		return &exitError{code: exitChanges}
	}
	return nil
}
