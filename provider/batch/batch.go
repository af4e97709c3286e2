// Package batch carries out a provider's Apply for services that take record changes in
// batches: it turns each provider.Change into the provider's wire form, packs those into
// requests, paces and sends the requests, bisects a request the service refuses down to
// the Changes it refuses, and says what became of every Change.
//
// A provider keeps only what is its own: its wire form (Config.Convert), the size rules
// of one request (Config.Pack), and how to send a request and read the answer
// (Config.Send). Apply does the rest the same way for every provider, so that the
// *provider.ApplyError of an Apply means the same whichever service it came from.
//
// The service must apply each request atomically: all of its Changes take effect or none
// do. A Change is never split across requests, so each Change is atomic too. Requests are
// independent: one that is refused does not undo another.
//
// A refusal is the service answering that it will not apply a request for what the
// request holds (a record that exists already, one that does not hold what the Change
// expects, a value it does not accept). Only the request's content can cause it, so
// sending its halves apart finds the Changes that cause it, and the others are applied.
// Any other failure (no connection, no answer, a timeout, credentials refused, the zone
// gone) is not a refusal: it stops Apply, since sending more would only fail the same
// way.
package batch

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/zonekeeper/zonekeeper/provider"
)

// Unit is one Change in a provider's wire form W: what must travel in one request for the
// Change to stay atomic.
type Unit[W any] struct {
	// Index is the position of Change in the changes passed to Apply.
	Index  int
	Change provider.Change
	Wire   W
}

// Config is how one Apply call sends its changes. Convert, Pack and Send are required.
type Config[W any] struct {
	// Zone names the zone in the *provider.ApplyError.
	Zone string
	// Prefix, when set, is put before the error that stopped Apply, with ": ", so that it
	// names the provider and the zone (e.g. "rfc2136: zone example.com").
	Prefix string
	// Order lists indexes of the changes passed to Apply, each once, in the order they
	// are converted and sent; nil means as given. Whatever the order, the lists of the
	// *provider.ApplyError follow the changes as given.
	Order []int

	// Convert turns a Change into its wire form, or says why the service cannot hold
	// it: that Change then fails alone, and is never sent. It returns
	// ErrNothingToSend for a Change the service holds already, which counts as applied
	// without a request. Apply calls it once per Change that passes
	// provider.CheckChange, in Order, and only as far ahead as Pack draws.
	Convert func(c provider.Change) (W, error)
	// Pack cuts the converted units into requests (see Packer).
	Pack Packer[W]
	// TooBig says why a unit that Pack found too big for a request on its own fails;
	// nil gives a generic message.
	TooBig func(u Unit[W]) error
	// Send makes one request of units, in their order, and returns nil when the service
	// applied it. It wraps a refusal with Refused, and a failure that left the request
	// unsent with NotSent; any other error means the service may or may not have applied
	// the request, and stops Apply. Send is called from one goroutine at a time, never
	// concurrently, and with the ctx of Apply.
	Send func(ctx context.Context, units []Unit[W]) error

	// Interval is the pause before each request but the first, halves of a refused
	// request included: a service that limits how often it is written to counts them
	// all. Sleep waits it out (provider.Sleep when nil; tests replace it); its error,
	// the end of ctx, stops Apply.
	Interval time.Duration
	Sleep    func(ctx context.Context, d time.Duration) error

	// Pipelined converts and packs on a goroutine of its own while the calling one
	// sends, so that the service works on one request while the next is cut. Convert,
	// Pack and TooBig then run concurrently with Send, so a provider whose conversion
	// depends on what earlier requests changed must leave it off. Without it, Convert
	// runs between requests: every request Pack emitted before it drew a unit has been
	// answered when that unit is converted.
	Pipelined bool
}

// Packer cuts units, drawn in their order, into batches of one request each: it calls
// emit with each batch, in order, as soon as the batch is complete, and returns early
// when emit returns false (Apply stopped). It draws units only as far ahead as the batch
// being cut needs, since drawing a unit converts it. Until emit returns false, every unit
// it draws goes into exactly one emitted batch, or into tooBig when it cannot travel even
// alone. A unit left out would be counted as applied, so Apply stops with an error when
// a Packer returns without having placed every unit.
type Packer[W any] func(units iter.Seq[Unit[W]], emit func(batch []Unit[W]) bool) (tooBig []Unit[W])

// ErrNothingToSend is returned by Config.Convert for a Change the service holds already.
var ErrNothingToSend = errors.New("batch: nothing to send")

// Refused marks err, returned by Config.Send, as the service refusing the request for
// what it holds. Apply bisects the request; a Change refused alone fails with err.
func Refused(err error) error { return &refusal{err} }

// NotSent marks err, returned by Config.Send, as a failure before the request left (no
// server to connect to, a request that cannot be encoded): Apply stops, and the
// request's Changes are not attempted rather than unknown.
func NotSent(err error) error { return &notSent{err} }

type refusal struct{ err error }

func (r *refusal) Error() string { return r.err.Error() }
func (r *refusal) Unwrap() error { return r.err }

type notSent struct{ err error }

func (n *notSent) Error() string { return n.err.Error() }
func (n *notSent) Unwrap() error { return n.err }

// Apply carries out changes as cfg says, one request at a time, and reports the outcome
// as provider.Provider's Apply does: nil when every Change was applied, else a
// *provider.ApplyError with the zone of cfg. It keeps nothing between calls; what one
// call shares with another is whatever cfg's functions share.
//
// A Change fails, alone and without a request, when provider.CheckChange or Convert
// refuses it, or when it is too big for a request on its own; it fails with the service's
// answer when the service refuses it (see the package doc). Failed lists them all.
//
// Apply stops at the first error of Send other than a refusal, of Sleep, or of ctx
// between requests, and sets Stopped to that error (after cfg.Prefix). The Changes of the
// request that failed are then Unknown, or NotAttempted when Send said NotSent. Every
// other Change without an answer is NotAttempted: those not converted or not sent yet,
// and those of a refused request whose half holding them was not sent again yet (a
// refused request was not applied). Every Change the *provider.ApplyError does not list
// was applied: those of requests the service accepted, and those for which Convert
// returned ErrNothingToSend.
func Apply[W any](ctx context.Context, changes []provider.Change, cfg Config[W]) error {
	r := &run[W]{cfg: cfg, outcomes: make([]outcome, len(changes))}
	if r.cfg.Sleep == nil {
		r.cfg.Sleep = provider.Sleep
	}
	units := func(yield func(Unit[W]) bool) {
		for k := range len(changes) {
			i := k
			if cfg.Order != nil {
				i = cfg.Order[k]
			}
			c := changes[i]
			if err := provider.CheckChange(c); err != nil {
				r.outcomes[i] = outcome{failed, err}
				continue
			}
			w, err := cfg.Convert(c)
			switch {
			case errors.Is(err, ErrNothingToSend):
				r.outcomes[i].state = applied
				continue
			case err != nil:
				r.outcomes[i] = outcome{failed, err}
				continue
			}
			if !yield(Unit[W]{Index: i, Change: c, Wire: w}) {
				return
			}
		}
	}
	var tooBig []Unit[W]
	if cfg.Pipelined {
		tooBig = r.pipelined(ctx, units)
	} else {
		tooBig = cfg.Pack(units, func(b []Unit[W]) bool { return r.send(ctx, b) })
	}
	for _, u := range tooBig {
		err := errors.New("the change does not fit in one request")
		if cfg.TooBig != nil {
			err = cfg.TooBig(u)
		}
		r.outcomes[u.Index] = outcome{failed, err}
	}
	return r.result(changes)
}

// pipelined packs units on a goroutine of its own and sends what it emits.
func (r *run[W]) pipelined(ctx context.Context, units iter.Seq[Unit[W]]) (tooBig []Unit[W]) {
	// One batch may wait while another is sent: the next is cut during the exchange.
	batches, stop, packed := make(chan []Unit[W], 1), make(chan struct{}), make(chan []Unit[W], 1)
	go func() {
		defer close(batches)
		packed <- r.cfg.Pack(units, func(b []Unit[W]) bool {
			select {
			case batches <- b:
				return true
			case <-stop:
				return false
			}
		})
	}()
	for b := range batches {
		if !r.send(ctx, b) {
			break
		}
	}
	close(stop)
	return <-packed
}

// state is what became of one Change; the zero state is the one of a Change not sent.
type state uint8

const (
	notAttempted state = iota
	applied
	failed
	unknown
)

type outcome struct {
	state state
	err   error // of a failed Change
}

// run is the state of one Apply call. Each outcome is written by the goroutine that
// holds its Change at the time (the converting one, then the sending one), never by two.
type run[W any] struct {
	cfg      Config[W]
	outcomes []outcome // by index in the changes passed to Apply
	requests int
	stopped  error
}

// send makes the request b, bisecting it when refused; false means Apply stopped.
func (r *run[W]) send(ctx context.Context, b []Unit[W]) bool {
	if r.requests > 0 && r.cfg.Interval > 0 {
		if err := r.cfg.Sleep(ctx, r.cfg.Interval); err != nil {
			r.stopped = err
			return false
		}
	}
	if err := ctx.Err(); err != nil {
		r.stopped = err
		return false
	}
	r.requests++
	err := r.cfg.Send(ctx, b)
	var ref *refusal
	var ns *notSent
	switch {
	case err == nil:
		for _, u := range b {
			r.outcomes[u.Index].state = applied
		}
		return true
	case errors.As(err, &ref):
		if len(b) == 1 {
			r.outcomes[b[0].Index] = outcome{failed, ref.err}
			return true
		}
		half := len(b) / 2
		return r.send(ctx, b[:half]) && r.send(ctx, b[half:])
	case errors.As(err, &ns):
		r.stopped = ns.err
		return false
	}
	r.stopped = err
	for _, u := range b {
		r.outcomes[u.Index].state = unknown
	}
	return false
}

// result is the error Apply returns.
func (r *run[W]) result(changes []provider.Change) error {
	ae := &provider.ApplyError{Zone: r.cfg.Zone}
	for i, o := range r.outcomes {
		switch o.state {
		case failed:
			ae.Failed = append(ae.Failed, provider.ChangeError{Change: changes[i], Err: o.err})
		case unknown:
			ae.Unknown = append(ae.Unknown, changes[i])
		case notAttempted:
			ae.NotAttempted = append(ae.NotAttempted, changes[i])
		}
	}
	stopped := r.stopped
	if stopped == nil && len(ae.NotAttempted) > 0 {
		stopped = fmt.Errorf("batch: the packer neither sent nor refused %d changes", len(ae.NotAttempted))
	}
	switch {
	case stopped != nil && r.cfg.Prefix != "":
		ae.Stopped = fmt.Errorf("%s: %w", r.cfg.Prefix, stopped)
	case stopped != nil:
		ae.Stopped = stopped
	case len(ae.Failed) == 0:
		return nil
	}
	return ae
}
