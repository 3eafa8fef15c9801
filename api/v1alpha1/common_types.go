package v1alpha1

// ParamValue is a named parameter value supplied by a plan, a stage entry or an execution.
type ParamValue struct {
	// name is the parameter's name, as declared in the DRWorkflow's spec.parameters.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// value is the parameter's value. Values reach templates as strings whatever the declared type.
	// +optional
	Value string `json:"value"`
}

// ObjectReference names an object of this API, optionally in another namespace.
type ObjectReference struct {
	// name of the referenced object.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// namespace of the referenced object; empty means the referring object's namespace.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace,omitempty"`
}

// Condition types shared by the kinds of this API.
const (
	// ConditionReady is True when a DRWorkflow or DRPlan is valid and can be executed.
	ConditionReady = "Ready"
	// ConditionProgressing is True while a DRPlanExecution is running.
	ConditionProgressing = "Progressing"
	// ConditionCompleted is True once a DRPlanExecution reached a terminal phase; its reason tells which.
	ConditionCompleted = "Completed"
	// ConditionRolledBack is set on a DRPlanExecution whose plan failed with failurePolicy Rollback.
	// True when the reverse run succeeded.
	ConditionRolledBack = "RolledBack"
)

// Condition reasons. Events carry the reason of the condition whose transition they report.
const (
	ReasonValid               = "Valid"
	ReasonInvalid             = "Invalid"
	ReasonWorkflowNotFound    = "WorkflowNotFound"
	ReasonWorkflowInvalid     = "WorkflowInvalid"
	ReasonPlanNotFound        = "PlanNotFound"
	ReasonParamsInvalid       = "ParamsInvalid"
	ReasonConcurrentExecution = "ConcurrentExecution"
	ReasonPending             = "Pending"
	ReasonRunning             = "Running"
	ReasonSucceeded           = "Succeeded"
	ReasonFailed              = "Failed"
	ReasonCanceled            = "Canceled"
	ReasonRolledBack          = "RolledBack"
	ReasonRollbackFailed      = "RollbackFailed"
	ReasonEngineError         = "EngineError"
	ReasonRevertTargetInvalid = "RevertTargetInvalid"
)

// Well-known annotation, label and finalizer keys.
const (
	// AnnotationCancel set to "true" on a DRPlanExecution cancels it.
	AnnotationCancel = "dr.bkbcs.tencent.com/cancel"
	// AnnotationAllowWorkflowChanges set to "true" on a DRPlanExecution lets its reverse runs (Revert, plan
	// Rollback) use a DRWorkflow that changed since the run they undo; without it such a reverse run is refused.
	AnnotationAllowWorkflowChanges = "dr.bkbcs.tencent.com/allow-workflow-changes"

	LabelPlan      = "dr.bkbcs.tencent.com/plan"
	LabelExecution = "dr.bkbcs.tencent.com/execution"
	LabelStage     = "dr.bkbcs.tencent.com/stage"
	LabelWorkflow  = "dr.bkbcs.tencent.com/workflow"
	LabelOperation = "dr.bkbcs.tencent.com/operation"
	// LabelAction is set on objects an action creates (Jobs), naming the action.
	LabelAction = "dr.bkbcs.tencent.com/action"

	// FinalizerExecution keeps a DRPlanExecution until its runs are stopped and the plan lock is released.
	FinalizerExecution = "dr.bkbcs.tencent.com/execution"
)
