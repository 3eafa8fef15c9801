package argoexec

import (
	"context"
	"fmt"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

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

// checkPickup sets st.Waiting once wf has gone unpicked for the pickup timeout. Before that it asks the
// reconciler to look again at the deadline (engine.WakeAt): nothing else would, as an untouched Workflow sends
// no events. The run is never failed for it: Argo may be installed later, and then the run goes on.
func (e *Engine) checkPickup(ctx context.Context, wf *wfv1.Workflow, st engine.RunStatus) engine.RunStatus {
	if !notPickedUp(wf) || wf.CreationTimestamp.IsZero() {
		return st
	}
	timeout := e.PickupTimeout
	if timeout <= 0 {
		timeout = DefaultPickupTimeout
	}
	deadline := wf.CreationTimestamp.Add(timeout)
	if deadline.After(e.now()) {
		engine.WakeAt(ctx, deadline)
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
