package controller

import (
	"context"
	"sync"
	"time"
)

// A reconcile's wake-up: the earliest time at which the execution must be looked at again although nothing
// it watches will change (an Approval action's timeout). Collected in the reconcile's context while the
// entries are synced, turned into the result's RequeueAfter at the end.

type wakeKey struct{}

type wake struct {
	mu sync.Mutex
	at time.Time
}

// withWake returns a context that collects wake-ups, and the collector.
func withWake(ctx context.Context) (context.Context, *wake) {
	w := &wake{}
	return context.WithValue(ctx, wakeKey{}, w), w
}

// noteWake asks for a reconcile at t (the earliest asked for wins); without a collector it does nothing.
func noteWake(ctx context.Context, t time.Time) {
	w, _ := ctx.Value(wakeKey{}).(*wake)
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.at.IsZero() || t.Before(w.at) {
		w.at = t
	}
}

// minWakeDelay is the least time to wait for a wake-up: status times are whole seconds, so a deadline read
// from them may lie up to a second before the engine's own, and a deadline already passed is looked at again
// only this soon (the engine ends the wait on that Sync).
const minWakeDelay = time.Second

// after is how long from now to wait for the wake-up; 0 when none was asked for.
func (w *wake) after(now time.Time) time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.at.IsZero() {
		return 0
	}
	return max(w.at.Sub(now)+500*time.Millisecond, minWakeDelay)
}
