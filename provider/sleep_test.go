package provider_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/zonekeeper/zonekeeper/provider"
)

func TestSleep(t *testing.T) {
	done, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		d    time.Duration
		want error
	}{
		{"waits out a short pause", context.Background(), time.Millisecond, nil},
		{"no pause", context.Background(), 0, nil},
		{"an ended context cuts a long pause", done, time.Hour, context.Canceled},
		{"an ended context with no pause", done, 0, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := provider.Sleep(tt.ctx, tt.d); !errors.Is(err, tt.want) {
				t.Errorf("Sleep = %v, want %v", err, tt.want)
			}
		})
	}
}
