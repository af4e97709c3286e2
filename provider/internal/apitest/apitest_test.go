package apitest

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func TestPickFault(t *testing.T) {
	tests := []struct {
		name  string
		roll  float64
		rates []float64
		want  int
	}{
		{"no rates", 0, nil, -1},
		{"zero rates", 0, []float64{0, 0}, -1},
		{"first slice", 0.05, []float64{0.1, 0.2}, 0},
		{"second slice starts where the first ends", 0.1, []float64{0.1, 0.2}, 1},
		{"second slice", 0.29, []float64{0.1, 0.2}, 1},
		{"past all slices", 0.31, []float64{0.1, 0.2}, -1},
		{"an empty kind is skipped", 0.15, []float64{0.1, 0, 0.1}, 2},
		{"rate 1 takes every roll", 0.999, []float64{1}, 0},
	}
	for _, tc := range tests {
		if got := PickFault(tc.roll, tc.rates...); got != tc.want {
			t.Errorf("%s: PickFault(%v, %v) = %d, want %d", tc.name, tc.roll, tc.rates, got, tc.want)
		}
	}
}

func TestCounters(t *testing.T) {
	var c Counters
	if got := c.Calls(); got == nil || len(got) != 0 {
		t.Fatalf("zero Counters: Calls = %#v, want an empty map", got)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Call("list")
			c.Call("get")
			c.Fault("429")
		}()
	}
	wg.Wait()
	c.Call("list")
	if got, want := c.Calls(), map[string]int{"list": 9, "get": 8}; !maps.Equal(got, want) {
		t.Errorf("Calls = %v, want %v", got, want)
	}
	faults := c.Faults()
	faults["429"] = 100
	if got, want := c.Faults(), map[string]int{"429": 8}; !maps.Equal(got, want) {
		t.Errorf("Faults after changing a returned copy = %v, want %v", got, want)
	}
	c.Reset()
	if len(c.Calls()) != 0 || len(c.Faults()) != 0 {
		t.Errorf("after Reset: Calls = %v, Faults = %v, want both empty", c.Calls(), c.Faults())
	}
	c.Fault("500")
	if got, want := c.Faults(), map[string]int{"500": 1}; !maps.Equal(got, want) {
		t.Errorf("Faults after Reset and one fault = %v, want %v", got, want)
	}
}

func TestStart(t *testing.T) {
	url := Start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, r.URL.Path)
	}))
	if !strings.HasPrefix(url, "http://127.0.0.1:") || strings.HasSuffix(url, "/") {
		t.Fatalf("Start = %q, want a root URL without trailing slash", url)
	}
	resp, err := http.Get(url + "/probe")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "/probe" {
		t.Errorf("GET /probe answered %q", body)
	}
}

// echoCommand is a RunFunc serving its request paths, named by its one argument.
func echoCommand(ctx context.Context, args []string, out io.Writer) error {
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, r.URL.Path) })
	return Serve(ctx, handler, args[0], func(rootURL string) {
		fmt.Fprintf(out, "listening on %s\nready\n", rootURL)
	})
}

func TestServeAndStartCommand(t *testing.T) {
	lines, stop := StartCommand(t, echoCommand, []string{"127.0.0.1:0"}, 2)
	rootURL, ok := strings.CutPrefix(lines[0], "listening on ")
	if !ok || !strings.HasPrefix(rootURL, "http://127.0.0.1:") || lines[1] != "ready" {
		t.Fatalf("printed %q", lines)
	}
	resp, err := http.Get(rootURL + "/served")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "/served" {
		t.Errorf("GET /served answered %q", body)
	}
	if err := stop(); err != nil {
		t.Errorf("stop = %v, want a clean shutdown", err)
	}
	if err := stop(); err != nil {
		t.Errorf("second stop = %v, want the same nil", err)
	}
	if _, err := http.Get(rootURL + "/served"); err == nil {
		t.Error("the server still answers after stop")
	}
}

func TestServeRefusesBadAddress(t *testing.T) {
	readyCalled := false
	err := Serve(context.Background(), http.NotFoundHandler(), "not an address", func(string) { readyCalled = true })
	if err == nil || !strings.Contains(err.Error(), "listen on not an address") {
		t.Errorf("Serve = %v, want an error naming the address", err)
	}
	if readyCalled {
		t.Error("ready was called though listening failed")
	}
}

func TestStartCommandFailsWhenTheCommandEndsEarly(t *testing.T) {
	failing := func(context.Context, []string, io.Writer) error { return errors.New("bad flag") }
	var rec recorder
	done := make(chan struct{})
	go func() {
		defer close(done)
		StartCommand(&rec, failing, nil, 1)
	}()
	<-done
	if !strings.Contains(rec.fatal, "bad flag") {
		t.Errorf("StartCommand's failure = %q, want it to carry the command's error", rec.fatal)
	}
}

// recorder is a testing.TB that records Fatalf instead of failing the real test.
type recorder struct {
	testing.TB
	fatal    string
	cleanups []func()
}

func (r *recorder) Helper()          {}
func (r *recorder) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }
func (r *recorder) Fatalf(f string, a ...any) {
	r.fatal = fmt.Sprintf(f, a...)
	for _, c := range r.cleanups {
		c()
	}
	runtime.Goexit()
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--n", "3"}, ""},
		{nil, ""},
		{[]string{"--n", "x"}, "invalid value"},
		{[]string{"--bogus"}, "not defined"},
		{[]string{"--n", "3", "extra"}, `unexpected arguments ["extra"]`},
	}
	for _, tc := range tests {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		fs.Int("n", 0, "")
		err := ParseFlags(fs, tc.args)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("ParseFlags(%q) = %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
}
