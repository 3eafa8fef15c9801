package v1alpha1

// Pausing a running DRPlanExecution (docs/user-guide.md, "During an incident").
//
// Contract: the annotation dr.bkbcs.tencent.com/pause: "true" pauses an execution; removing it or setting
// "false" resumes it. Any other value is rejected at admission. While paused no new action, workflow entry or
// stage starts; actions already running finish. On Argo the operator sets spec.suspend on the run's Workflows
// (and marks them with AnnotationSuspendedByOperator, so it lifts only a suspension it made); the native
// engine starts nothing new. A cancel wins over a pause.
//
// Paused is a condition, not a phase (as in cluster-api): the phase stays Running, because actions may still
// be running and because a paused execution still holds its plan's lock. The condition Paused is True with
// reason Paused (nothing of the execution runs any more) or Pausing (running actions are still finishing),
// and False with reason NotPaused after a resume.
//
// Who: the execution's mutating webhook writes AnnotationPauseRequestedBy with the user the API server
// authenticated for the request that set or removed the pause annotation, and restores the previous value on
// every other request, so the name can be neither claimed nor edited by hand. Without the webhook the
// reconciler shows the user as unknown.
const (
	// AnnotationPause set to "true" on a DRPlanExecution pauses it; "false" or no annotation resumes it.
	AnnotationPause = "dr.bkbcs.tencent.com/pause"
	// AnnotationPauseRequestedBy is written by the webhook only: the user who last set or removed AnnotationPause.
	AnnotationPauseRequestedBy = "dr.bkbcs.tencent.com/pause-requested-by"
	// AnnotationSuspendedByOperator marks an Argo Workflow whose spec.suspend the operator set for a pause.
	AnnotationSuspendedByOperator = "dr.bkbcs.tencent.com/suspended-by-operator"

	// ConditionPaused is True while a DRPlanExecution is paused.
	ConditionPaused = "Paused"

	// ReasonPaused: paused, and nothing of the execution runs any more.
	ReasonPaused = "Paused"
	// ReasonPausing: paused, and actions started before the pause are still running.
	ReasonPausing = "Pausing"
	// ReasonNotPaused: running again after a pause (the condition is False).
	ReasonNotPaused = "NotPaused"
)

// IsPauseRequested reports whether the pause annotation is set to "true".
func (e *DRPlanExecution) IsPauseRequested() bool {
	return e.Annotations[AnnotationPause] == "true"
}

// PauseRequestedBy is the user who last set or removed the pause, as the webhook recorded it ("" if unknown).
func (e *DRPlanExecution) PauseRequestedBy() string {
	return e.Annotations[AnnotationPauseRequestedBy]
}
