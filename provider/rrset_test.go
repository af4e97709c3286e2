package provider

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
)

func storeEP(name, recordType string, targets ...string) *endpoint.Endpoint {
	return endpoint.New(name, recordType, 0, targets...)
}

func storeCreate(e *endpoint.Endpoint) RecordChange { return RecordChange{Op: OpCreate, New: e} }
func storeDelete(e *endpoint.Endpoint) RecordChange { return RecordChange{Op: OpDelete, Old: e} }
func storeUpdate(old, new *endpoint.Endpoint) RecordChange {
	return RecordChange{Op: OpUpdate, Old: old, New: new}
}
func storeChange(rcs ...RecordChange) Change { return Change{Records: rcs} }

// storeLines lists a store's contents as "name TYPE targets" lines.
func storeLines(eps []*endpoint.Endpoint) []string {
	var out []string
	for _, e := range eps {
		out = append(out, e.String())
	}
	return out
}

func TestRRsetStoreApply(t *testing.T) {
	seed := []*endpoint.Endpoint{
		storeEP("app.example.com", "A", "192.0.2.1"),
		storeEP("a-app.example.com", "TXT", `"heritage=external-dns"`),
		storeEP("v6.example.com", "AAAA", "2001:db8::1"),
	}
	tests := []struct {
		name    string
		change  Change
		check   RecordCheck
		wantErr error  // errors.Is target; nil with wantMsg empty means success
		wantMsg string // substring of the error
		want    []string
	}{
		{
			name:   "create new",
			change: storeChange(storeCreate(storeEP("new.example.com", "A", "192.0.2.9"))),
			want:   []string{"a-app.example.com TXT \"heritage=external-dns\"", "app.example.com A 192.0.2.1", "new.example.com A 192.0.2.9", "v6.example.com AAAA 2001:db8::1"},
		},
		{
			name:    "create existing fails",
			change:  storeChange(storeCreate(storeEP("app.example.com", "A", "192.0.2.2"))),
			wantErr: ErrRRsetExists,
			wantMsg: "app.example.com A",
		},
		{
			name:    "delete missing fails",
			change:  storeChange(storeDelete(storeEP("gone.example.com", "A", "192.0.2.1"))),
			wantErr: ErrRRsetMissing,
			wantMsg: "gone.example.com A",
		},
		{
			name:    "delete with wrong targets fails",
			change:  storeChange(storeDelete(storeEP("app.example.com", "A", "192.0.2.7"))),
			wantErr: ErrTargetsMismatch,
			wantMsg: "app.example.com A",
		},
		{
			name:    "update with wrong old targets fails",
			change:  storeChange(storeUpdate(storeEP("app.example.com", "A", "192.0.2.7"), storeEP("app.example.com", "A", "192.0.2.8"))),
			wantErr: ErrTargetsMismatch,
		},
		{
			name:    "update of missing fails",
			change:  storeChange(storeUpdate(storeEP("nope.example.com", "A", "192.0.2.1"), storeEP("nope.example.com", "A", "192.0.2.8"))),
			wantErr: ErrRRsetMissing,
		},
		{
			name:    "update changing the type fails",
			change:  storeChange(storeUpdate(storeEP("app.example.com", "A", "192.0.2.1"), storeEP("app.example.com", "CNAME", "lb.example.net"))),
			wantMsg: "another name, type or set identifier",
		},
		{
			name:   "delete matches targets ignoring order and IPv6 spelling",
			change: storeChange(storeDelete(storeEP("v6.example.com", "AAAA", "2001:0db8:0:0::1"))),
			want:   []string{"a-app.example.com TXT \"heritage=external-dns\"", "app.example.com A 192.0.2.1"},
		},
		{
			name:   "update replaces",
			change: storeChange(storeUpdate(storeEP("app.example.com", "A", "192.0.2.1"), storeEP("app.example.com", "A", "192.0.2.2", "192.0.2.3"))),
			want:   []string{"a-app.example.com TXT \"heritage=external-dns\"", "app.example.com A 192.0.2.2,192.0.2.3", "v6.example.com AAAA 2001:db8::1"},
		},
		{
			name: "record and its ownership deleted together",
			change: storeChange(
				storeDelete(storeEP("app.example.com", "A", "192.0.2.1")),
				storeDelete(storeEP("a-app.example.com", "TXT", `"heritage=external-dns"`)),
			),
			want: []string{"v6.example.com AAAA 2001:db8::1"},
		},
		{
			name: "failing half-way leaves nothing applied",
			change: storeChange(
				storeCreate(storeEP("a-new.example.com", "TXT", `"heritage=external-dns"`)),
				storeDelete(storeEP("v6.example.com", "AAAA", "2001:db8::1")),
				storeCreate(storeEP("app.example.com", "A", "192.0.2.5")),
			),
			wantErr: ErrRRsetExists,
		},
		{
			name:   "later record changes see earlier ones",
			change: storeChange(storeCreate(storeEP("x.example.com", "A", "192.0.2.1")), storeDelete(storeEP("x.example.com", "A", "192.0.2.1"))),
			want:   []string{"a-app.example.com TXT \"heritage=external-dns\"", "app.example.com A 192.0.2.1", "v6.example.com AAAA 2001:db8::1"},
		},
		{
			name:    "outside the zone fails",
			change:  storeChange(storeCreate(storeEP("app.badexample.com", "A", "192.0.2.1"))),
			wantErr: ErrOutsideZone,
		},
		{
			name:    "invalid target fails",
			change:  storeChange(storeCreate(storeEP("new.example.com", "A", "not-an-address"))),
			wantMsg: "not an IPv4 address",
		},
		{
			name:    "no targets fails",
			change:  storeChange(storeCreate(storeEP("new.example.com", "A"))),
			wantMsg: "no targets",
		},
		{
			name:    "create without new record fails",
			change:  storeChange(RecordChange{Op: OpCreate, Old: storeEP("new.example.com", "A", "192.0.2.1")}),
			wantMsg: "without a new record",
		},
		{
			name:    "record check rejects",
			change:  storeChange(storeCreate(storeEP("new.example.com", "A", "192.0.2.1"))),
			check:   func(RecordChange) error { return errors.New("not here") },
			wantMsg: "create new.example.com A: not here",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewRRsetStore("example.com", tt.check, seed...)
			before := storeLines(s.List())
			err := s.Apply(tt.change)
			if tt.wantErr == nil && tt.wantMsg == "" {
				if err != nil {
					t.Fatalf("Apply: %v", err)
				}
				if got := storeLines(s.List()); !slices.Equal(got, tt.want) {
					t.Errorf("after Apply:\n got %q\nwant %q", got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatal("Apply succeeded, want an error")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v, want %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not mention %q", err, tt.wantMsg)
			}
			if got := storeLines(s.List()); !slices.Equal(got, before) {
				t.Errorf("failed Apply changed the store:\n got %q\nwant %q", got, before)
			}
		})
	}
}

func TestRRsetStoreApplyAll(t *testing.T) {
	good1 := storeChange(storeCreate(storeEP("one.example.com", "A", "192.0.2.1")))
	bad := storeChange(storeDelete(storeEP("missing.example.com", "A", "192.0.2.1")))
	good2 := storeChange(storeCreate(storeEP("two.example.com", "A", "192.0.2.2")))
	halfBad := storeChange(storeCreate(storeEP("three.example.com", "A", "192.0.2.3")), storeCreate(storeEP("one.example.com", "A", "192.0.2.9")))

	tests := []struct {
		name       string
		changes    []Change
		wantFailed []Change
		want       []string
	}{
		{name: "nothing", want: nil},
		{
			name:    "all good",
			changes: []Change{good1, good2},
			want:    []string{"one.example.com A 192.0.2.1", "two.example.com A 192.0.2.2"},
		},
		{
			name:       "one bad among good ones",
			changes:    []Change{good1, bad, good2, halfBad},
			wantFailed: []Change{bad, halfBad},
			want:       []string{"one.example.com A 192.0.2.1", "two.example.com A 192.0.2.2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewRRsetStore("example.com", nil)
			err := s.ApplyAll(tt.changes)
			failed := FailedChanges(err)
			if len(tt.wantFailed) == 0 && err != nil {
				t.Fatalf("ApplyAll: %v", err)
			}
			if len(tt.wantFailed) > 0 {
				var ae *ApplyError
				if !errors.As(err, &ae) || ae.Zone != "example.com" {
					t.Fatalf("error %v, want an *ApplyError for example.com", err)
				}
			}
			if len(failed) != len(tt.wantFailed) {
				t.Fatalf("%d failed changes (%v), want %d", len(failed), err, len(tt.wantFailed))
			}
			for i, f := range failed {
				if f.Change.String() != tt.wantFailed[i].String() {
					t.Errorf("failed[%d] = %s, want %s", i, f.Change, tt.wantFailed[i])
				}
			}
			if got := storeLines(s.List()); !slices.Equal(got, tt.want) {
				t.Errorf("store:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestRRsetStoreListReturnsCopies(t *testing.T) {
	s := NewRRsetStore("example.com", nil, storeEP("app.example.com", "A", "192.0.2.1"))
	s.List()[0].Targets[0] = "192.0.2.99"
	if got := s.List()[0].Targets[0]; got != "192.0.2.1" {
		t.Errorf("changing a listed endpoint changed the store: target %s", got)
	}
}
