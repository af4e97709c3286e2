package main

import (
	"bytes"
	"flag"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// updateDocs makes TestFlagReferenceCurrent rewrite docs/flags.md: `make docs`.
var updateDocs = flag.Bool("update-docs", false, "rewrite docs/flags.md from the command tree")

const flagReferencePath = "../../docs/flags.md"

func TestFlagReferenceCurrent(t *testing.T) {
	noEnv := func(string) (string, bool) { return "", false }
	got := flagReference(newRootCommand(io.Discard, io.Discard, noEnv))
	if *updateDocs {
		if err := os.WriteFile(flagReferencePath, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(flagReferencePath)
	if err != nil {
		t.Fatalf("docs/flags.md is stale: run make docs (%v)", err)
	}
	if !bytes.Equal(want, []byte(got)) {
		line, inFile, generated := firstDifferentLine(string(want), got)
		t.Fatalf("docs/flags.md is stale: run make docs\nfirst difference at line %d:\n  file:      %q\n  generated: %q", line, inFile, generated)
	}
}

// firstDifferentLine returns the 1-based number of the first line where a and b differ,
// and those lines ("" past the end).
func firstDifferentLine(a, b string) (int, string, string) {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; ; i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y || i >= len(al) || i >= len(bl) {
			return i + 1, x, y
		}
	}
}

// docsTree is a small command tree with one of each case the reference handles.
func docsTree(childOrder ...string) *cobra.Command {
	root := &cobra.Command{Use: "tool", Short: "A tool", Long: "tool does things.\n\n  tool a   first"}
	makers := map[string]func() *cobra.Command{
		"alpha": func() *cobra.Command {
			c := &cobra.Command{Use: "alpha", Short: "First | one", Run: func(*cobra.Command, []string) {}}
			c.Flags().String("shared", "x", "a flag alpha and beta share")
			c.Flags().StringP("output", "o", "text", "format: <text> or json")
			c.Flags().StringSlice("zone", []string{"a.example", "b.example"}, "zones")
			c.Flags().Bool("events", true, "react to events")
			c.Flags().Bool(negationPrefix+"events", false, "")
			_ = c.Flags().MarkHidden(negationPrefix + "events")
			c.Flags().String("secret-internal", "", "never documented")
			_ = c.Flags().MarkHidden("secret-internal")
			c.Flags().Int("old-size", 50, "batch size")
			_ = c.Flags().MarkDeprecated("old-size", "use --size")
			addRefusedFlags(c.Flags(), []refusedFlag{{name: "aws-zone-type", instead: "use <this> | that"}})
			return c
		},
		"beta": func() *cobra.Command {
			c := &cobra.Command{Use: "beta", Short: "Second", Run: func(*cobra.Command, []string) {}}
			c.Flags().String("shared", "x", "a flag alpha and beta share")
			c.Flags().String("own", "", "only beta's")
			addRefusedFlags(c.Flags(), []refusedFlag{{name: "cloudflare-proxied", boolean: true, instead: "none"}, {name: "aws-zone-type", instead: "use <this> | that"}})
			return c
		},
		"ghost": func() *cobra.Command {
			return &cobra.Command{Use: "ghost", Short: "Hidden", Hidden: true, Run: func(*cobra.Command, []string) {}}
		},
	}
	for _, name := range childOrder {
		root.AddCommand(makers[name]())
	}
	return root
}

func TestFlagReference(t *testing.T) {
	doc := flagReference(docsTree("alpha", "beta", "ghost"))
	tests := []struct {
		name    string
		want    string
		present bool
	}{
		{"sections of available commands", "## tool alpha\n", true},
		{"second command", "## tool beta\n", true},
		{"hidden command left out", "ghost", false},
		{"long description kept verbatim", "```text\ntool does things.\n\n  tool a   first\n\nUsage:\n  tool [command]\n```", true},
		{"usage line of a runnable command", "Usage:\n  tool alpha [flags]\n", true},
		{"command index links to sections", "| [alpha](#tool-alpha) | First \\| one |", true},
		{"negation form beside its flag", "| `--events`, `--no-events` | bool | `true` | `EXTERNAL_DNS_EVENTS` | react to events |", true},
		{"negation not listed on its own", "| `--no-events`", false},
		{"shorthand, escaped angle brackets", "| `--output`, `-o` | string | `text` | `EXTERNAL_DNS_OUTPUT` | format: &lt;text&gt; or json |", true},
		{"list default without brackets", "| `--zone` | strings | `a.example,b.example` | `EXTERNAL_DNS_ZONE` | zones |", true},
		{"empty default left blank", "| `--own` | string |  | `EXTERNAL_DNS_OWN` | only beta's |", true},
		{"deprecated flag marked", "| `--old-size` | int | `50` | `EXTERNAL_DNS_OLD_SIZE` | **Deprecated:** use --size batch size |", true},
		{"hidden flag left out", "secret-internal", false},
		{"shared flag in one table", "## Flags of tool alpha and tool beta\n\n| flag | type | default | environment | description |\n|---|---|---|---|---|\n| `--shared` |", true},
		{"commands link the shared table", "It also takes the [flags of tool alpha and tool beta](#flags-of-tool-alpha-and-tool-beta).", true},
		{"refused flags listed once, sorted, with what to use instead", "| flag | instead |\n|---|---|\n| `--aws-zone-type` | use &lt;this&gt; \\| that |\n| `--cloudflare-proxied`, `--no-cloudflare-proxied` | none |\n", true},
		{"refused section names the program", "## external-dns flags tool refuses\n\ntool does not implement", true},
		{"refused flags not in the flag tables", "| `--aws-zone-type` | string", false},
		{"negation of a refused flag not listed on its own", "| `--no-cloudflare-proxied`", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Contains(doc, tt.want); got != tt.present {
				t.Errorf("contains %q = %v, want %v\n%s", tt.want, got, tt.present, doc)
			}
		})
	}
	if n := strings.Count(doc, "| `--shared`"); n != 1 {
		t.Errorf("the shared flag is listed %d times, want once", n)
	}
}

func TestFlagReferenceDeterministic(t *testing.T) {
	a := flagReference(docsTree("alpha", "beta", "ghost"))
	for range 20 {
		if b := flagReference(docsTree("ghost", "beta", "alpha")); b != a {
			t.Fatalf("the reference depends on the order commands were added or on map order:\n%s\n---\n%s", a, b)
		}
	}
}

func TestAnchor(t *testing.T) {
	tests := []struct{ heading, want string }{
		{"zonekeeper plan", "zonekeeper-plan"},
		{"Flags of zonekeeper plan and zonekeeper run", "flags-of-zonekeeper-plan-and-zonekeeper-run"},
		{"external-dns flags zonekeeper refuses", "external-dns-flags-zonekeeper-refuses"},
		{"a `b`, c_d!", "a-b-c_d"},
	}
	for _, tt := range tests {
		if got := anchor(tt.heading); got != tt.want {
			t.Errorf("anchor(%q) = %q, want %q", tt.heading, got, tt.want)
		}
	}
}

// TestFlagReferenceLinks checks that every link inside docs/flags.md points at a heading
// the file has.
func TestFlagReferenceLinks(t *testing.T) {
	doc := flagReference(newRootCommand(io.Discard, io.Discard, func(string) (string, bool) { return "", false }))
	headings := map[string]bool{}
	for _, line := range strings.Split(doc, "\n") {
		if h, ok := strings.CutPrefix(line, "## "); ok {
			headings[anchor(h)] = true
		}
	}
	rest := doc
	for {
		_, after, ok := strings.Cut(rest, "](#")
		if !ok {
			break
		}
		target, _, _ := strings.Cut(after, ")")
		if !headings[target] {
			t.Errorf("link to #%s, which no heading has", target)
		}
		rest = after
	}
}
