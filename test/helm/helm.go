// Package helm renders charts/zonekeeper with a real helm binary, for the chart's
// own tests here and for the end-to-end tests that apply what it renders to a real
// API server.
//
// The binary is $ZONEKEEPER_HELM, else the one test/helm/build.sh builds into the
// cache. A test that needs it and finds none is skipped, naming build.sh, unless the
// environment variable CI is set: then it fails, so that CI cannot pass by skipping.
package helm

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Version is the helm release build.sh builds; the cache folder is named after it.
const Version = "v3.22.0"

// EnvHelm names an environment variable holding the path of a helm binary to use
// instead of the cached one.
const EnvHelm = "ZONEKEEPER_HELM"

// envCache overrides the cache folder, as it does for build.sh and the Kubernetes
// binaries.
const envCache = "ZONEKEEPER_E2E_CACHE"

// Binary returns the path of the helm executable. When there is none it fails the test:
// make test builds it (make helm-bin).
func Binary(t testing.TB) string {
	t.Helper()
	path, err := binaryPath()
	if err == nil {
		_, err = os.Stat(path)
	}
	if err != nil {
		msg := fmt.Sprintf("helm: no binary (build it with test/helm/build.sh, or set $%s): %v", EnvHelm, err)
		t.Fatal(msg)
	}
	return path
}

func binaryPath() (string, error) {
	if p := os.Getenv(EnvHelm); p != "" {
		return p, nil
	}
	cache := os.Getenv(envCache)
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		cache = filepath.Join(home, ".cache", "zonekeeper-e2e")
	}
	return filepath.Join(cache, "helm-"+Version, "helm"), nil
}

// ChartDir returns the path of charts/zonekeeper in this checkout.
func ChartDir() string {
	// The chart sits at a fixed place relative to this source file.
	_, self, _, _ := goruntime.Caller(0)
	return filepath.Join(filepath.Dir(self), "..", "..", "charts", "zonekeeper")
}

// Run runs helm with args and returns its standard output. The error of a failing
// run carries helm's standard error, where helm puts its messages.
func Run(t testing.TB, args ...string) (string, error) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), Binary(t), args...)
	// HELM_* variables of the developer's shell (a plugin folder, a registry
	// config) must not change what the tests render.
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+t.TempDir(), "HELM_CONFIG_HOME="+t.TempDir(), "HELM_DATA_HOME="+t.TempDir())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("helm %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), nil
}

// Template renders the chart as release in namespace, with extra helm arguments
// such as -f and --set, and returns the objects. It fails the test if helm does or
// the output does not parse.
func Template(t testing.TB, release, namespace string, extra ...string) []*unstructured.Unstructured {
	t.Helper()
	out, err := Run(t, append([]string{"template", release, ChartDir(), "--namespace", namespace}, extra...)...)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := Decode(out)
	if err != nil {
		t.Fatalf("helm template output: %v", err)
	}
	return objs
}

// Decode parses a multi-document YAML stream into objects, skipping empty
// documents. A document that is not an object with apiVersion, kind and
// metadata.name is an error naming its position.
func Decode(manifest string) ([]*unstructured.Unstructured, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(manifest)))
	var objs []*unstructured.Unstructured
	for i := 1; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(doc, &m); err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if len(m) == 0 {
			continue
		}
		obj := &unstructured.Unstructured{Object: m}
		if obj.GetAPIVersion() == "" || obj.GetKind() == "" || obj.GetName() == "" {
			return nil, fmt.Errorf("document %d: not a Kubernetes object (apiVersion %q, kind %q, name %q)", i, obj.GetAPIVersion(), obj.GetKind(), obj.GetName())
		}
		objs = append(objs, obj)
	}
}

// Find returns the object of kind whose name ends in nameSuffix, or nil.
func Find(objs []*unstructured.Unstructured, kind, nameSuffix string) *unstructured.Unstructured {
	for _, o := range objs {
		if o.GetKind() == kind && strings.HasSuffix(o.GetName(), nameSuffix) {
			return o
		}
	}
	return nil
}

// Typed converts obj into the typed API object T, such as appsv1.Deployment; it
// fails the test if the fields do not fit T.
func Typed[T any](t testing.TB, obj *unstructured.Unstructured) *T {
	t.Helper()
	out := new(T)
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, out); err != nil {
		t.Fatalf("%s %s: %v", obj.GetKind(), obj.GetName(), err)
	}
	return out
}
