package v1alpha1

// Changes made outside the operator (docs/user-guide.md, "Argo's own controls"): Argo's controls can copy,
// restart or hold an execution's Workflow behind the operator's back. `argo resubmit` makes a new Workflow
// that runs every action again (it keeps the labels, annotations and owner of the original); `argo retry`
// restarts the failed nodes of a Workflow whose execution already ended Failed; `argo suspend` holds a running
// Workflow. None of it is recorded as the execution's run; the operator reports it in the ExternalChanges
// condition and a Warning event, so the execution's status does not look like the last word on what runs.

const (
	// ConditionExternalChanges is True while a change made outside the operator affects this execution's
	// Workflows: resubmitted copies exist, a run runs again after the execution ended (retried), or a run is
	// suspended from Argo; its message names each.
	ConditionExternalChanges = "ExternalChanges"
	// ReasonExternalChanges is the reason of a True ExternalChanges condition and of its event.
	ReasonExternalChanges = "ExternalChanges"
	// ReasonNoExternalChanges is the reason once none is left (copies deleted, the retried Workflow ended,
	// the Workflow resumed).
	ReasonNoExternalChanges = "NoExternalChanges"
)
