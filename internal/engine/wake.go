package engine

import (
	"context"
	"sync"
	"time"
)

// Wake-ups: the earliest time at which an execution must be looked at again although nothing it watches will
// change (an Approval action's timeout, an Argo Workflow's pickup deadline). The reconciler collects them in the
// context it passes to the engines' Sync (WithWakeups) and turns the earliest into its result's RequeueAfter;
// engines and the reconciler ask with WakeAt. Kept in no process memory beyond the reconcile, so a restart
// loses nothing: the next reconcile asks again.

type wakeKey struct{}

// Wakeups collects the wake-ups asked for during one reconcile.
type Wakeups struct {
	mu sync.Mutex
	at time.Time
}

// WithWakeups returns a context that collects wake-ups, and the collector.
func WithWakeups(ctx context.Context) (context.Context, *Wakeups) {
	w := &Wakeups{}
	return context.WithValue(ctx, wakeKey{}, w), w
}

// WakeAt asks for a reconcile at t (the earliest asked for wins); without a collector it does nothing.
func WakeAt(ctx context.Context, t time.Time) {
	w, _ := ctx.Value(wakeKey{}).(*Wakeups)
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.at.IsZero() || t.Before(w.at) {
		w.at = t
	}
}

// MinWakeDelay is the least time to wait for a wake-up: status and API times are whole seconds, so a deadline
// read from them may lie up to a second before the engine's own, and a deadline already passed is looked at
// again only this soon (the engine acts on that Sync).
const MinWakeDelay = time.Second

// After is how long from now to wait for the earliest wake-up, with half a second of slack; 0 when none was
// asked for.
func (w *Wakeups) After(now time.Time) time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.at.IsZero() {
		return 0
	}
	return max(w.at.Sub(now)+500*time.Millisecond, MinWakeDelay)
}
