package v1alpha1

// Runs outside the operator (docs/user-guide.md, "During an incident"): Argo's own controls can copy or
// restart an execution's Workflow behind the operator's back. `argo resubmit` makes a new Workflow that runs
// every action again (it keeps the labels, annotations and owner of the original); `argo retry` restarts the
// failed nodes of a Workflow whose execution already ended Failed. Neither is this execution's run: the
// operator never records their results as its own. It reports them in the ExternalRuns condition and a Warning
// event, so the execution's status does not look like the last word on what ran.

const (
	// ConditionExternalRuns is True while Workflows made from this execution's runs by someone else exist
	// (resubmitted copies) or run again after the execution ended (retried); its message names them.
	ConditionExternalRuns = "ExternalRuns"
	// ReasonExternalRuns is the reason of a True ExternalRuns condition and of its event.
	ReasonExternalRuns = "ExternalRuns"
	// ReasonNoExternalRuns is the reason once none is left (the copies deleted, the retried Workflow ended).
	ReasonNoExternalRuns = "NoExternalRuns"
)
