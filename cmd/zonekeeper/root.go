package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// version is stamped at build time with -ldflags "-X main.version=…".
var version = ""

// exitError carries a process exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

// execute runs the command line and returns the process exit code: 0 success, 1 error,
// 2 for `plan --detailed-exitcode` when there are changes, 3 when deletions were withheld
// (docs/cli.md, exit codes).
func execute(ctx context.Context, args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) int {
	root := newRootCommand(stdout, stderr, lookupEnv)
	root.SetArgs(withDefaultCommand(args))
	err := root.ExecuteContext(ctx)
	var ee *exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		if ee.err != nil {
			fmt.Fprintln(stderr, "Error:", ee.err)
		}
		return ee.code
	default:
		fmt.Fprintln(stderr, "Error:", err)
		return 1
	}
}

// withDefaultCommand puts `run` in front of args that start with a flag the root does
// not answer: external-dns's container args (--source=service --provider=aws …) name
// no command. No args at all stay as they are, so that they print the help (see
// docs/migration.md), and so does anything starting with a word, an unknown command
// among them, which stays an error.
func withDefaultCommand(args []string) []string {
	if len(args) == 0 || !strings.HasPrefix(args[0], "-") {
		return args
	}
	switch args[0] {
	case "-h", "--help", "--version": // the root's own flags
		return args
	}
	return append([]string{"run"}, args...)
}

func newRootCommand(stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) *cobra.Command {
	root := &cobra.Command{
		Use:   "zonekeeper",
		Short: "Keep DNS zones in step with Kubernetes Services and Ingresses",
		Long: `zonekeeper publishes DNS records for Kubernetes Services and Ingresses, the way
external-dns does, with the same annotations, ownership records and flags.

  zonekeeper plan   shows what would change, and changes nothing
  zonekeeper run    makes the changes (--once for a single pass)`,
		Version:       buildVersion(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("zonekeeper {{.Version}}\n")
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(
		newRunCommand(lookupEnv),
		newPlanCommand(lookupEnv),
		newWebhookCommand(lookupEnv),
		newExplainCommand(lookupEnv),
		newVersionCommand(),
		newCompletionCommand(),
	)
	return root
}

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "zonekeeper", buildVersion())
		},
	}
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

func newCompletionCommand() *cobra.Command {
	return &cobra.Command{
		Use:       "completion bash|zsh|fish|powershell",
		Short:     "Print a shell completion script",
		Args:      cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs),
		ValidArgs: []string{"bash", "zsh", "fish", "powershell"},
		RunE: func(cmd *cobra.Command, args []string) error {
			root, out := cmd.Root(), cmd.OutOrStdout()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(out, true)
			case "zsh":
				return root.GenZshCompletion(out)
			case "fish":
				return root.GenFishCompletion(out, true)
			default:
				return root.GenPowerShellCompletionWithDesc(out)
			}
		},
	}
}
