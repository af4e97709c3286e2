package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/zonekeeper/zonekeeper/controller"
)

// prepare finishes flag parsing and builds the controller. Negations come first so that
// --no-<flag> counts as given on the command line and wins over the environment.
func prepare(cmd *cobra.Command, o *options, lookupEnv func(string) (string, bool), logOut io.Writer) (*controller.Controller, error) {
	fs := cmd.Flags()
	if fs.Changed(rfc2136SecretFlag) {
		return nil, fmt.Errorf("--%s on the command line can be read by anyone on the machine with ps: set it in the environment variable EXTERNAL_DNS_%s, or put it in a file and pass --rfc2136-tsig-secret-file", rfc2136SecretFlag, envName(rfc2136SecretFlag))
	}
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
	return build(o, logger, nil)
}

func newRunCommand(lookupEnv func(string) (string, bool)) *cobra.Command {
	o := &options{}
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Reconcile DNS with the sources: once (--once), or every --interval until stopped",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := prepare(cmd, o, lookupEnv, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if o.once {
				return reconcileOnce(cmd.Context(), c)
			}
			return reconcileEvery(cmd.Context(), c, o.interval)
		},
	}
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
	create, update, del := rep.ChangeCount()
	c.Logger.Info("reconcile finished", "create", create, "update", update, "delete", del, "dryRun", rep.DryRun)
	for _, p := range rep.Problems {
		c.Logger.Warn("object problem", "object", p.Ref.String(), "source", p.Ref.Source, "name", p.DNSName, "err", p.Err, "warning", p.Warning)
	}
	return rep.Err()
}

// reconcileEvery reconciles every interval until ctx ends. A failed reconcile is logged
// and retried on the next tick, never fatal.
func reconcileEvery(ctx context.Context, c *controller.Controller, interval time.Duration) error {
	if interval <= 0 {
		return errors.New("--interval must be positive")
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := reconcileOnce(ctx, c); err != nil {
			c.Logger.Error("reconcile failed", "err", err)
		}
		select {
		case <-ctx.Done():
			c.Logger.Info("stopping")
			return nil
		case <-t.C:
		}
	}
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
with invalid input); with --detailed-exitcode, 2 when there are changes to make.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "text" && output != "json" {
				return fmt.Errorf("--output %q: want text or json", output)
			}
			c, err := prepare(cmd, o, lookupEnv, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
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
	cmd.Flags().BoolVar(&detailedExitCode, "detailed-exitcode", false, "exit 2 when there are changes, 0 when there are none")
	return cmd
}

func planExit(rep *controller.Report, detailed bool) error {
	if err := rep.Err(); err != nil {
		return &exitError{code: 1, err: err}
	}
	for _, p := range rep.Problems {
		if !p.Warning {
			return &exitError{code: 1, err: errors.New("some objects have invalid input (listed above); their records were left out of the plan")}
		}
	}
	create, update, del := rep.ChangeCount()
	if detailed && create+update+del > 0 {
		return &exitError{code: 2}
	}
	return nil
}
