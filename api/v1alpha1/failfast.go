package v1alpha1

// FailFast on Argo (docs/user-guide.md, "Failure policies"). Argo v3.7 reads a DAG's failFast only when it
// assesses the DAG's phase, so the operator holds a FailFast Workflow itself once an action failed for good:
// spec.suspend while the running actions finish, then spec.shutdown. Both steps are recorded on the Workflow,
// so the decision is derived again from the Workflow after an operator restart.
const (
	// AnnotationFailFastHold on an Argo Workflow names the action whose failure made the operator suspend it
	// (FailFast): nothing new starts; a resume of a pause does not lift it.
	AnnotationFailFastHold = "dr.bkbcs.tencent.com/failfast-hold"
	// AnnotationFailFastEnded on an Argo Workflow says the operator ended it after a FailFast hold (with
	// spec.shutdown, once nothing ran any more): a JSON object of task -> the result the http agent had recorded
	// for the tasks the suspension kept from showing theirs. Its shutdown is not a cancel.
	AnnotationFailFastEnded = "dr.bkbcs.tencent.com/failfast-ended"
)
