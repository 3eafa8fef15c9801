package controller

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/internal/engine"
)

// recordTransitions emits events and metrics for phase changes; the event reason is the reason of the
// condition that changed. Called after a status write, so events follow what was saved.
func (r *DRPlanExecutionReconciler) recordTransitions(ctx context.Context, before, after *drv1.DRPlanExecution) {
	if c := meta.FindStatusCondition(after.Status.Conditions, drv1.ConditionPickedUp); c != nil && c.Status == metav1.ConditionFalse &&
		!meta.IsStatusConditionFalse(before.Status.Conditions, drv1.ConditionPickedUp) {
		r.event(after, corev1.EventTypeWarning, c.Reason, "Wait", c.Message)
	}
	r.recordPause(before, after)
	approved := newApprovals(before.Status, after.Status)
	for _, a := range approved {
		if a.via == drv1.ApprovalViaTimeout {
			r.event(after, corev1.EventTypeWarning, drv1.ReasonApprovalTimedOut, "Approve", a.message)
			continue
		}
		r.event(after, corev1.EventTypeNormal, drv1.ReasonApproved, "Approve", a.message)
	}
	observeApprovals(after, approved)
	if msg := newExternalChanges(before.Status.Conditions, after.Status.Conditions); msg != "" {
		r.event(after, corev1.EventTypeWarning, drv1.ReasonExternalChanges, "Observe", msg)
	}
	if before.Status.Phase == after.Status.Phase {
		return
	}
	if after.Status.Phase == drv1.ExecutionRunning {
		r.event(after, corev1.EventTypeNormal, drv1.ReasonRunning, "Start", after.Status.Message)
		return
	}
	if !after.Status.Phase.IsTerminal() {
		return
	}
	c := meta.FindStatusCondition(after.Status.Conditions, drv1.ConditionCompleted)
	typ := corev1.EventTypeWarning
	if after.Status.Phase == drv1.ExecutionSucceeded {
		typ = corev1.EventTypeNormal
	}
	if c != nil {
		r.event(after, typ, c.Reason, "Complete", c.Message)
	}
	observeFinished(after, r.actionTypes(ctx, after))
}

func (r *DRPlanExecutionReconciler) event(ex *drv1.DRPlanExecution, typ, reason, action, msg string) {
	if r.Recorder == nil {
		return
	}
	r.Recorder.Eventf(ex, nil, typ, reason, action, "%s", engine.Truncate(msg, 1024))
}

// actionTypes maps the action names (and rollback action names) of the execution's workflows to their types.
func (r *DRPlanExecutionReconciler) actionTypes(ctx context.Context, ex *drv1.DRPlanExecution) map[string]drv1.ActionType {
	out := map[string]drv1.ActionType{}
	seen := map[drv1.ObjectReference]bool{}
	for _, stages := range [][]drv1.StageStatus{ex.Status.StageStatuses, ex.Status.RollbackStageStatuses} {
		for i := range stages {
			for j := range stages[i].WorkflowExecutions {
				ref := stages[i].WorkflowExecutions[j].WorkflowRef
				if seen[ref] {
					continue
				}
				seen[ref] = true
				wf := &drv1.DRWorkflow{}
				if r.Get(ctx, types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}, wf) != nil {
					continue
				}
				for i := range wf.Spec.Actions {
					a := &wf.Spec.Actions[i]
					out[a.Name] = a.Type
					// With upstream's defaults: a rollback without name or type is "<action>-rollback" of the action's type.
					if rb := a.GetRollback(); rb != nil {
						out[rb.Name] = rb.Type
					}
				}
			}
		}
	}
	return out
}
