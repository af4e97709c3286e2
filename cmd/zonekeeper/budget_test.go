package main

import (
	"strings"
	"testing"

	"github.com/zonekeeper/zonekeeper/controller"
)

func TestDeletionBudgetFlags(t *testing.T) {
	tests := []struct {
		name    string
		o       options
		want    controller.DeletionBudget
		wantErr string
	}{
		{"defaults", options{maxDeletions: 50, maxDeletionRatio: 0.3}, controller.DeletionBudget{MaxDeletions: 50, MaxRatio: 0.3}, ""},
		{"no limits", options{}, controller.DeletionBudget{}, ""},
		{"forced one-shot run", options{maxDeletions: 50, maxDeletionRatio: 0.3, force: true, once: true}, controller.DeletionBudget{}, ""},
		{"forced daemon", options{maxDeletions: 50, force: true}, controller.DeletionBudget{}, "use it with run --once"},
		{"negative count", options{maxDeletions: -1}, controller.DeletionBudget{}, "--max-deletions=-1"},
		{"ratio above 1", options{maxDeletionRatio: 1.5}, controller.DeletionBudget{}, "--max-deletion-ratio=1.5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := deletionBudget(&tt.o)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("deletionBudget = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}
