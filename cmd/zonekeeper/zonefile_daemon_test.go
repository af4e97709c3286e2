package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDaemonRepairsHandEditedZoneFile: the daemon the command builds plans a zone file
// from its own cache while the file's hash proves it unchanged, and an edit by hand
// changes the hash: the record the edit removed is written again at the next resync,
// and the file the daemon leaves still parses (provider/zonefile/README.md, "Change
// detection").
func TestDaemonRepairsHandEditedZoneFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "example.com.zone")
	d := startDaemon(t, nil, externalDNSArgs(dir, "--interval=50ms", "--metrics-address=")...)
	aRecords := func() []string {
		content, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		var out []string
		for _, line := range strings.Split(string(content), "\n") {
			if fields := strings.Fields(line); len(fields) == 5 && fields[3] == "A" {
				out = append(out, line)
			}
		}
		return out
	}
	d.waitFor(t, "A records in the zone file", func() bool { return len(aRecords()) > 0 })
	d.waitFor(t, "a resync after the first reconcile", func() bool {
		return strings.Count(d.stderr.String(), `msg="reconcile finished"`) >= 2
	})
	removed := aRecords()[0]
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(content), removed+"\n", "", 1)
	if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	d.waitFor(t, "the removed record written again", func() bool { return slices.Contains(aRecords(), removed) })
	checkZoneFilesLoad(t, dir, []string{"example.com"})
}
