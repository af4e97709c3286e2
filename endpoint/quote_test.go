package endpoint

import (
	"strconv"
	"strings"
	"testing"
)

func TestQuote(t *testing.T) {
	a127 := strings.Repeat("a", MaxQuoted-1)
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", `""`},
		{"short values as %q", "web.example.com\n", `"web.example.com\n"`},
		{"exactly the bound", a127 + "b", strconv.Quote(a127 + "b")},
		{"one byte more", a127 + "bc", `"` + a127 + `b…" (129 bytes, 1 not shown)`},
		{"a megabyte", strings.Repeat("a", 1<<20), `"` + a127 + `a…" (1048576 bytes, 1048448 not shown)`},
		{"a rune split by the cut is left out whole", a127 + "ü" + "x", `"` + a127 + `…" (130 bytes, 3 not shown)`},
		{"invalid UTF-8 is escaped", strings.Repeat("\xff", 200), strconv.Quote(strings.Repeat("\xff", MaxQuoted)+"…") + " (200 bytes, 72 not shown)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Quote(tt.in); got != tt.want {
				t.Errorf("Quote(%d bytes) = %s, want %s", len(tt.in), got, tt.want)
			}
		})
	}
}

// TestLongValuesAreCut checks every message that echoes a name, a label or a target: a
// megabyte of input must leave a message of a few hundred bytes that says how much is cut.
func TestLongValuesAreCut(t *testing.T) {
	huge := strings.Repeat("a", 1<<20)
	tests := []struct {
		name string
		err  func() error
	}{
		{"long name", func() error { return ValidateName(huge) }},
		{"long label", func() error { return ValidateName(huge[:200] + ".example.com") }},
		{"bad character", func() error { return ValidateName(huge[:200] + "!") }},
		{"hyphen", func() error { return ValidateName(huge[:200] + "-.com") }},
		{"owner name", func() error { return ValidateOwnerName(huge) }},
		{"owner label", func() error { return ValidateOwnerName(huge[:200] + ".com") }},
		{"owner character", func() error { return ValidateOwnerName(huge[:200] + "@.com") }},
		{"empty label", func() error { _, err := NormalizeName(huge + ".."); return err }},
		{"space before the dot", func() error { _, err := NormalizeName(huge + " ."); return err }},
		{"no punycode", func() error { _, err := NormalizeName("\u200d" + huge); return err }},
		{"A target", func() error { return ValidateTargets(RecordTypeA, Targets{huge}) }},
		{"CNAME target", func() error { return ValidateTargets(RecordTypeCNAME, Targets{huge}) }},
		{"CNAMEs", func() error { return ValidateTargets(RecordTypeCNAME, Targets{huge, huge}) }},
		{"MX preference", func() error { return ValidateTargets(RecordTypeMX, Targets{huge + " mx.example.com"}) }},
		{"SRV number", func() error { return ValidateTargets(RecordTypeSRV, Targets{"1 " + huge + " 3 srv.example.com"}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err()
			if err == nil {
				t.Fatal("no error")
			}
			if msg := err.Error(); len(msg) > 1024 || !strings.Contains(msg, "not shown)") {
				t.Errorf("error of %d bytes, want at most 1024 saying how much is cut: %.1100s", len(msg), msg)
			}
		})
	}
}
