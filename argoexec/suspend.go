package argoexec

import (
	"context"
	"encoding/json"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// Pausing a run on Argo is Argo's own suspend: spec.suspend=true makes the workflow-controller start no new
// node while the nodes already running finish (operator.go: with ShouldSuspend it reconciles pods and
// returns before executing templates; the results of http nodes, which it reconciles after that point, show
// only after the resume). The operator patches spec only, as it does for spec.shutdown, never Argo's status.
//
// The Workflow is marked with AnnotationSuspendedByOperator in the same patch, so a resume lifts only a
// suspension the operator made: a Workflow someone suspended with `argo suspend` stays suspended.

// suspendAction says what a Sync does to a Workflow's spec.suspend for a run.
type suspendAction int

const (
	suspendKeep suspendAction = iota
	suspendSet
	suspendLift
)

// suspendFor decides, from the run's pause and the Workflow as read. A FailFast hold (failfast.go) also
// suspends the Workflow: a resume never lifts it.
func suspendFor(paused bool, wf *wfv1.Workflow) suspendAction {
	if wf.Status.Phase.Completed() || wf.Spec.Shutdown != "" {
		return suspendKeep
	}
	suspended := wf.Spec.Suspend != nil && *wf.Spec.Suspend
	ours := wf.Annotations[v1alpha1.AnnotationSuspendedByOperator] == "true"
	_, held := wf.Annotations[v1alpha1.AnnotationFailFastHold]
	switch {
	case paused && (!suspended || !ours):
		return suspendSet
	case !paused && ours && !held:
		return suspendLift
	}
	return suspendKeep
}

// applyPause suspends or resumes wf as the run's pause asks; wf is updated with the patched copy.
func (e *Engine) applyPause(ctx context.Context, paused bool, wf *wfv1.Workflow) error {
	var patch map[string]any
	switch suspendFor(paused, wf) {
	case suspendSet:
		patch = map[string]any{
			"metadata": map[string]any{"annotations": map[string]any{v1alpha1.AnnotationSuspendedByOperator: "true"}},
			"spec":     map[string]any{"suspend": true},
		}
	case suspendLift:
		patch = map[string]any{
			"metadata": map[string]any{"annotations": map[string]any{v1alpha1.AnnotationSuspendedByOperator: nil}},
			"spec":     map[string]any{"suspend": nil},
		}
	default:
		return nil
	}
	raw, _ := json.Marshal(patch)
	return client.IgnoreNotFound(e.Client.Patch(ctx, wf, client.RawPatch(types.MergePatchType, raw)))
}
