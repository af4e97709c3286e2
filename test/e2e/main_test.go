package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/zonekeeper/zonekeeper/test/kubeapi"
)

// suite is what every test shares. TestMain sets it once before any test runs and
// nothing writes it afterwards.
var suite struct {
	// binary is the zonekeeper executable under test.
	binary string
	// cluster serves every test that does not stop its API server.
	cluster *kubeapi.Cluster
}

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runSuite(m))
}

// runSuite builds the binary and starts the shared cluster, runs the tests, and tears
// the cluster down again; it returns the process exit code.
func runSuite(m *testing.M) int {
	dir, err := os.MkdirTemp("", "zonekeeper-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)

	suite.binary = filepath.Join(dir, "zonekeeper")
	if err := buildBinary(suite.binary, benchmarking()); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	cluster, err := kubeapi.Start(context.Background(), kubeapi.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	suite.cluster = cluster
	code := m.Run()
	if err := cluster.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// benchmarking reports whether -test.bench selects benchmarks: they measure the plain
// binary, because the race detector multiplies both memory and latency.
func benchmarking() bool {
	f := flag.Lookup("test.bench")
	return f != nil && f.Value.String() != ""
}

// buildBinary compiles ./cmd/zonekeeper to out, with the race detector unless plain.
func buildBinary(out string, plain bool) error {
	args := []string{"build", "-o", out}
	if !plain {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, "github.com/zonekeeper/zonekeeper/cmd/zonekeeper")...)
	if output, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %v: %w\n%s", args, err, output)
	}
	return nil
}
