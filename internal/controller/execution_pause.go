package controller

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// Pause and resume (drv1.AnnotationPause) as plain functions: what the Paused condition says, and which
// transition an event reports. The reconciler only consults paused() before starting anything.

// unknownUser names the requester when the webhook did not record one (webhook not installed).
const unknownUser = "an unknown user (no admission webhook recorded one)"

// requester is who asked, as the webhook recorded it.
func requester(ex *drv1.DRPlanExecution) string {
	if u := ex.PauseRequestedBy(); u != "" {
		return u
	}
	return unknownUser
}

// pausedCondition is the Paused condition of a running execution, or nil when it was never paused (no
// condition is written then). running counts the actions still running.
func pausedCondition(ex *drv1.DRPlanExecution, running int32, gen int64, now metav1.Time) *metav1.Condition {
	prev := meta.FindStatusCondition(ex.Status.Conditions, drv1.ConditionPaused)
	c := metav1.Condition{Type: drv1.ConditionPaused, ObservedGeneration: gen, LastTransitionTime: now}
	switch {
	case ex.IsPauseRequested() && running > 0:
		c.Status, c.Reason = metav1.ConditionTrue, drv1.ReasonPausing
		c.Message = fmt.Sprintf("paused by %s: no new action starts; %d running action(s) finishing", requester(ex), running)
	case ex.IsPauseRequested():
		c.Status, c.Reason = metav1.ConditionTrue, drv1.ReasonPaused
		c.Message = fmt.Sprintf("paused by %s: no action is running and none starts until the pause annotation is removed", requester(ex))
	case prev == nil:
		return nil
	default:
		c.Status, c.Reason = metav1.ConditionFalse, drv1.ReasonNotPaused
		c.Message = "resumed by " + requester(ex)
	}
	return &c
}

// setPaused writes the Paused condition (meta.SetStatusCondition keeps the transition time while the
// status does not change).
func setPaused(st *drv1.DRPlanExecutionStatus, c *metav1.Condition) {
	if c != nil {
		meta.SetStatusCondition(&st.Conditions, *c)
	}
}

// pauseTransition names the pause transition between two statuses, for an event: "Paused", "Resumed" or "".
// Pausing -> Paused is no transition for a person (they asked once); it shows in the condition only.
func pauseTransition(before, after []metav1.Condition) string {
	was := meta.IsStatusConditionTrue(before, drv1.ConditionPaused)
	is := meta.IsStatusConditionTrue(after, drv1.ConditionPaused)
	switch {
	case !was && is:
		return "Paused"
	case was && !is && meta.FindStatusCondition(after, drv1.ConditionPaused) != nil:
		return "Resumed"
	}
	return ""
}

// notePause brings the Paused condition up to date after a step. An ended execution is paused no more: a
// True condition turns False, naming the end.
func notePause(ex *drv1.DRPlanExecution, now metav1.Time) {
	st := &ex.Status
	if st.Phase.IsTerminal() {
		if meta.IsStatusConditionTrue(st.Conditions, drv1.ConditionPaused) {
			meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: drv1.ConditionPaused, Status: metav1.ConditionFalse,
				Reason: drv1.ReasonNotPaused, Message: "the execution ended while paused: " + string(st.Phase),
				ObservedGeneration: ex.Generation, LastTransitionTime: now})
		}
		return
	}
	var running int32
	if st.Summary != nil {
		running = st.Summary.Running
	}
	setPaused(st, pausedCondition(ex, running, ex.Generation, now))
}

// mayStartEntry reports whether an entry may be synced in this pass: a started one always (its engine is
// told to start nothing new while paused), one not started yet only when the execution is not paused.
func mayStartEntry(ex *drv1.DRPlanExecution, e *drv1.WorkflowExecutionStatus) bool {
	return e.Phase == drv1.ExecutionRunning || !ex.IsPauseRequested()
}

// recordPause emits an event when a pause or a resume took effect, naming who asked.
func (r *DRPlanExecutionReconciler) recordPause(before, after *drv1.DRPlanExecution) {
	if after.Status.Phase.IsTerminal() {
		return
	}
	switch pauseTransition(before.Status.Conditions, after.Status.Conditions) {
	case "Paused":
		r.event(after, corev1.EventTypeNormal, drv1.ReasonPaused, "Pause", "paused by "+requester(after)+": no new action starts")
	case "Resumed":
		r.event(after, corev1.EventTypeNormal, drv1.ReasonNotPaused, "Resume", "resumed by "+requester(after))
	}
}
