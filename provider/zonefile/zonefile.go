// Package zonefile is a DNS provider that keeps each zone as an RFC 1035 zone file in a
// folder, for an authoritative server (BIND, Knot, CoreDNS's file plugin) to serve.
//
// Every Apply re-reads the file under an exclusive lock, applies the changes with the
// strict rules of provider.RRsetStore, bumps the SOA serial once, and replaces the file
// atomically, so that several zonekeeper processes may share a folder and a server
// never reads a half-written file.
package zonefile

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
)

const (
	// fileSuffix ends the name of every zone file: example.com.zone.
	fileSuffix = ".zone"
	// lockSuffix ends the name of the lock file beside each zone file.
	lockSuffix = ".lock"
	// defaultTTL applies when Config.DefaultTTL is 0.
	defaultTTL endpoint.TTL = 300
	// recordTypeSOA is the one record type the provider maintains itself.
	recordTypeSOA = "SOA"
)

// Config configures a zone file provider.
type Config struct {
	// Dir is the folder holding the zone files; it must exist.
	Dir string
	// Zones are zones to manage even before their file exists (--zonefile-zone).
	Zones []string
	// DefaultTTL is written for records without a TTL, and is the $TTL of every file;
	// 0 means 300 seconds.
	DefaultTTL endpoint.TTL
}

// Provider manages the zone files of one folder. It is safe for concurrent use, also by
// several processes sharing the folder: Apply serialises on a per-zone lock file.
type Provider struct {
	provider.NoAdjustment

	dir        string
	zones      []string // configured, normalised, sorted, unique
	defaultTTL endpoint.TTL

	mu sync.Mutex
	// seen is, per zone, the file as this provider last read it (Records) or wrote it
	// over what it had read (Apply); a zone is absent when that is not known.
	seen map[string]fileState
}

// fileState identifies the content of a zone file: its SHA-256, or that there is none.
type fileState struct {
	exists bool
	sum    [sha256.Size]byte
}

var (
	_ provider.Provider       = (*Provider)(nil)
	_ provider.ChangeDetector = (*Provider)(nil)
)

// New checks cfg and returns a provider for it. It reads nothing but the folder's
// status: zone files are read on every call, so edits by hand are picked up. A missing
// folder is created by the first Apply that writes a zone.
func New(cfg Config) (*Provider, error) {
	if cfg.Dir == "" {
		return nil, errors.New("zonefile: no folder given (--zonefile-dir)")
	}
	info, err := os.Stat(cfg.Dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("zonefile: folder %s: %w", cfg.Dir, err)
	case !info.IsDir():
		return nil, fmt.Errorf("zonefile: %s is not a folder", cfg.Dir)
	}
	ttl := cfg.DefaultTTL
	if ttl == 0 {
		ttl = defaultTTL
	}
	if ttl < 0 || ttl > math.MaxInt32 {
		return nil, fmt.Errorf("zonefile: default TTL %d is outside 1..%d", cfg.DefaultTTL, math.MaxInt32)
	}
	zones := make([]string, 0, len(cfg.Zones))
	for _, z := range cfg.Zones {
		name, err := zoneName(z)
		if err != nil {
			return nil, fmt.Errorf("zonefile: zone %q: %w", z, err)
		}
		zones = append(zones, name)
	}
	slices.Sort(zones)
	return &Provider{dir: cfg.Dir, zones: slices.Compact(zones), defaultTTL: ttl, seen: map[string]fileState{}}, nil
}

// zoneName normalises and validates a zone name; the root zone is not supported.
func zoneName(z string) (string, error) {
	name, err := endpoint.NormalizeName(z)
	if err != nil {
		return "", err
	}
	if err := endpoint.ValidateName(name); err != nil {
		return "", err
	}
	return name, nil
}

// Zones lists the configured zones and every zone that has a file (<zone>.zone) in the
// folder, sorted by name, each once; a zone's ID is its name. A file whose name is not a
// normalised zone name followed by ".zone" is an error.
func (p *Provider) Zones(ctx context.Context) ([]provider.Zone, error) {
	entries, err := os.ReadDir(p.dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("zonefile: %w", err)
	}
	names := slices.Clone(p.zones)
	for _, e := range entries {
		stem, ok := strings.CutSuffix(e.Name(), fileSuffix)
		if !ok || e.IsDir() {
			continue
		}
		name, err := zoneName(stem)
		if err != nil || name != stem {
			return nil, fmt.Errorf("zonefile: %s: a zone file is named <zone>%s, with the zone in lower case, punycode, without a trailing dot", filepath.Join(p.dir, e.Name()), fileSuffix)
		}
		names = append(names, name)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	out := make([]provider.Zone, len(names))
	for i, n := range names {
		out[i] = provider.Zone{ID: n, Name: n}
	}
	return out, nil
}

// Records reads the file of zone (looked up by Name) and returns every RRset in it,
// SOA and NS included, ordered by endpoint.Less. A configured zone without a file reads
// as its initial SOA (serial 0) and NS records. A malformed file is an error naming the
// file and the line.
func (p *Provider) Records(ctx context.Context, zone provider.Zone) ([]*endpoint.Endpoint, error) {
	z, state, err := p.read(zone.Name)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.seen[z.name] = state
	p.mu.Unlock()
	return z.endpoints(), nil
}

// Unchanged implements provider.ChangeDetector: it reads the file of zone and reports
// true only when its content is, byte for byte (SHA-256), the file the last Records read
// or an Apply since wrote over what that Records read. An edit by hand, or by another
// process sharing the folder, answers false until the next Records, also when an Apply
// wrote over it since. Reading the file costs what a transfer of the zone would save a
// DNS server: no parsing, one hash.
func (p *Provider) Unchanged(ctx context.Context, zone provider.Zone) (bool, error) {
	path, err := p.path(zone.Name)
	if err != nil {
		return false, err
	}
	p.mu.Lock()
	seen, known := p.seen[zone.Name]
	p.mu.Unlock()
	if !known {
		return false, nil
	}
	_, state, err := readFile(path)
	if err != nil {
		return false, fmt.Errorf("zonefile: %w", err)
	}
	return state == seen, nil
}

// Apply changes the file of zone (looked up by Name). Under an exclusive lock on
// <zone>.zone.lock it re-reads the file and applies changes one by one, in order, each
// whole or not at all and judged against the zone as the Changes before it left it;
// when at least one Change was applied and the resulting zone passes checkZone, it
// increments the SOA serial once and replaces the file atomically (temporary file,
// fsync, rename, fsync of the folder).
//
// Besides the failures of provider.RRsetStore, a Change fails when one of its records
// has a set identifier, targets the SOA record, or has data that is not valid zone file
// syntax for its type, and when the names it touches would break a rule of checkZone
// they did not break before (a CNAME beside other data, …); the error names the record
// and what stands at its name. When the file already breaks a rule that no Change
// removes, nothing is written and every Change not refused otherwise fails with an error
// saying so. Provider-specific properties are ignored. The lock wait does not observe
// ctx; ctx is checked once the lock is held.
func (p *Provider) Apply(ctx context.Context, zone provider.Zone, changes []provider.Change) error {
	path, err := p.path(zone.Name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(p.dir, 0o755); err != nil {
		return fmt.Errorf("zonefile: %w", err)
	}
	unlock, err := lockFile(path + lockSuffix)
	if err != nil {
		return fmt.Errorf("zonefile: zone %s: %w", zone.Name, err)
	}
	defer unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	z, before, err := p.read(zone.Name)
	if err != nil {
		return err
	}
	// What is written over a file this provider has not seen as it is keeps it
	// unseen: the edit made by someone else stays to be read.
	p.mu.Lock()
	seen, known := p.seen[z.name]
	known = known && seen == before
	delete(p.seen, z.name)
	p.mu.Unlock()
	sets := newZoneSets(z.name, p.checkRecord, z.endpoints())
	errs := make([]error, len(changes))
	applied := false
	for i, c := range changes {
		errs[i] = sets.apply(c)
		applied = applied || errs[i] == nil
	}
	if !applied {
		p.saw(z.name, before, known)
		return failedError(z.name, changes, errs)
	}
	result := sets.list()
	// Each Change was refused the problems it would add, so what is left was in the file
	// already: it does not load as it is, and writing would not make it load either.
	if problems := checkZone(z.name, result); len(problems) > 0 {
		broken := brokenZoneError(path, problems)
		for i := range errs {
			if errs[i] == nil {
				errs[i] = broken
			}
		}
		p.saw(z.name, before, known)
		return failedError(z.name, changes, errs)
	}
	z.soa.Serial++
	content, err := renderZone(z, result, p.defaultTTL)
	if err != nil {
		return fmt.Errorf("zonefile: zone %s: %w", z.name, err)
	}
	if err := writeFileAtomic(path, content); err != nil {
		return fmt.Errorf("zonefile: zone %s: %w", z.name, err)
	}
	p.saw(z.name, fileState{exists: true, sum: sha256.Sum256(content)}, known)
	return failedError(z.name, changes, errs)
}

// saw records state as the file of zone this provider knows, when known says it knew
// the file it read before.
func (p *Provider) saw(zone string, state fileState, known bool) {
	if !known {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen[zone] = state
}

// failedError returns nil when no error of errs, one per Change of changes, is set, and
// otherwise an *provider.ApplyError for zone listing the failed Changes in order.
func failedError(zone string, changes []provider.Change, errs []error) error {
	var failed []provider.ChangeError
	for i, err := range errs {
		if err != nil {
			failed = append(failed, provider.ChangeError{Change: changes[i], Err: err})
		}
	}
	if len(failed) == 0 {
		return nil
	}
	return &provider.ApplyError{Zone: zone, Failed: failed}
}

// checkRecord holds the rules a zone file adds to those of provider.RRsetStore.
func (p *Provider) checkRecord(rc provider.RecordChange) error {
	if old := rc.Old; old != nil && old.SetIdentifier != "" {
		return fmt.Errorf("set identifier %q cannot be expressed in a zone file", old.SetIdentifier)
	}
	if rc.Endpoint().RecordType == recordTypeSOA {
		return errors.New("the SOA record is maintained by the zonefile provider, which increments its serial on every change")
	}
	if rc.New != nil {
		_, err := endpointRecords(rc.New, p.defaultTTL)
		return err
	}
	return nil
}

// read parses the file of zone, or returns the initial content of a configured zone
// that has no file yet, and the state of the file it read.
func (p *Provider) read(zone string) (*zoneData, fileState, error) {
	path, err := p.path(zone)
	if err != nil {
		return nil, fileState{}, err
	}
	content, state, err := readFile(path)
	if err != nil {
		return nil, fileState{}, fmt.Errorf("zonefile: %w", err)
	}
	if !state.exists {
		if slices.Contains(p.zones, zone) {
			z, err := newZone(zone, p.defaultTTL)
			return z, state, err
		}
		return nil, fileState{}, fmt.Errorf("zonefile: zone %s is not configured and has no file %s", zone, path)
	}
	z, err := parseZone(bytes.NewReader(content), zone, path, p.defaultTTL)
	if err != nil {
		return nil, fileState{}, fmt.Errorf("zonefile: %w", err)
	}
	return z, state, nil
}

// readFile returns the content of the file at path and its state; a missing file is
// no error.
func readFile(path string) ([]byte, fileState, error) {
	content, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fileState{}, nil
	}
	if err != nil {
		return nil, fileState{}, err
	}
	return content, fileState{exists: true, sum: sha256.Sum256(content)}, nil
}

// path returns the zone file of zone, refusing names that are not normalised zone
// names so that no name can point outside the folder.
func (p *Provider) path(zone string) (string, error) {
	if name, err := zoneName(zone); err != nil || name != zone {
		return "", fmt.Errorf("zonefile: %q is not a normalised zone name", zone)
	}
	return filepath.Join(p.dir, zone+fileSuffix), nil
}
