package helm

import (
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		name     string
		manifest string
		want     []string // kind/name of each object
		err      string
	}{
		{"empty", "", nil, ""},
		{"comments and separators only", "---\n# Source: x\n---\n", nil, ""},
		{
			"two objects",
			"---\n# Source: a.yaml\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: b\n",
			[]string{"ServiceAccount/a", "Service/b"}, "",
		},
		{"no kind", "apiVersion: v1\nmetadata:\n  name: a\n", nil, `document 1: not a Kubernetes object (apiVersion "v1", kind "", name "a")`},
		{"not YAML", "apiVersion: v1\n---\n: : [\n", nil, "document 1: not a Kubernetes object"},
		{"bad second document", "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n---\nkind: [\n", nil, "document 2:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := Decode(tt.manifest)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Decode error = %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range objs {
				got = append(got, o.GetKind()+"/"+o.GetName())
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("Decode = %v, want %v", got, tt.want)
			}
		})
	}
}
