package argoexec

import (
	"fmt"
	"sync"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/internal/engine"
)

// DefaultPickupTimeout is how long a created Workflow may stay untouched by every workflow-controller before
// the run says so (Engine.PickupTimeout). A controller that runs picks a new Workflow up within a second or two.
const DefaultPickupTimeout = 60 * time.Second

// pickupWaiting is the RunStatus.Waiting text for a Workflow no workflow-controller has picked up.
func pickupWaiting(wf *wfv1.Workflow, timeout time.Duration) string {
	return fmt.Sprintf("no Argo workflow-controller has picked up Workflow %s in namespace %s for %s: "+
		"is Argo installed and watching this namespace?", wf.Name, wf.Namespace, timeout)
}

// notPickedUp reports whether no workflow-controller has looked at wf yet: the controller's first pass sets
// status.phase (and startedAt). A Workflow stopped before that is not waiting for anything.
func notPickedUp(wf *wfv1.Workflow) bool {
	return (wf.Status.Phase == "" || wf.Status.Phase == wfv1.WorkflowUnknown) && wf.Status.StartedAt.IsZero() &&
		wf.Spec.Shutdown == ""
}

// checkPickup sets st.Waiting once wf has gone unpicked for the pickup timeout. Before that it arranges to
// wake the run's execution at the deadline: nothing else would, as an untouched Workflow sends no events.
// The run is never failed for it: Argo may be installed later, and then the run goes on.
func (e *Engine) checkPickup(run *engine.Run, wf *wfv1.Workflow, st engine.RunStatus) engine.RunStatus {
	if !notPickedUp(wf) || wf.CreationTimestamp.IsZero() {
		return st
	}
	timeout := e.PickupTimeout
	if timeout <= 0 {
		timeout = DefaultPickupTimeout
	}
	deadline := wf.CreationTimestamp.Add(timeout)
	if wait := deadline.Sub(e.now()); wait > 0 {
		e.wakes.at(wait, types.NamespacedName{Namespace: run.Execution.Namespace, Name: run.Execution.Name},
			types.NamespacedName{Namespace: wf.Namespace, Name: wf.Name})
		return st
	}
	st.Waiting = pickupWaiting(wf, timeout)
	return st
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// Source is a controller-runtime source of the executions to look at again because a Workflow of theirs
// reached its pickup deadline; watch it with builder.WatchesRawSource. Without it no wake-ups are sent
// (the deadline is then noticed on the execution's next reconcile).
func (e *Engine) Source() source.Source {
	return source.Channel(e.wakes.channel(), &handler.EnqueueRequestForObject{})
}

// wakeups sends one event per Workflow at its deadline (a second Sync before then arranges nothing new).
type wakeups struct {
	mu      sync.Mutex
	events  chan event.GenericEvent
	pending map[types.NamespacedName]bool // by Workflow
}

func (w *wakeups) channel() chan event.GenericEvent {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.events == nil {
		w.events = make(chan event.GenericEvent, 64)
	}
	return w.events
}

// at wakes execution after d, once per Workflow.
func (w *wakeups) at(d time.Duration, execution, workflow types.NamespacedName) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.events == nil || w.pending[workflow] {
		return
	}
	if w.pending == nil {
		w.pending = map[types.NamespacedName]bool{}
	}
	w.pending[workflow] = true
	events := w.events
	// A second of slack, so the reconcile it causes sees the deadline passed even on a coarse clock.
	time.AfterFunc(d+time.Second, func() {
		w.mu.Lock()
		delete(w.pending, workflow)
		w.mu.Unlock()
		ev := event.GenericEvent{Object: &v1alpha1.DRPlanExecution{ObjectMeta: metav1.ObjectMeta{
			Namespace: execution.Namespace, Name: execution.Name}}}
		select {
		case events <- ev:
		default:
			go func() { events <- ev }()
		}
	})
}
