package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
)

// ParamValue is a named parameter value supplied by a plan, a stage entry or an execution. It takes the
// shape of upstream bcs-drplan-controller's Parameter, so plans written for it apply unchanged.
type ParamValue struct {
	// name is the parameter's name, as declared in the DRWorkflow's spec.parameters.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// value is the parameter's value. Values reach templates as strings whatever the declared type. An
	// empty value sets nothing: a lower level's value (or this entry's default) applies.
	// +optional
	Value string `json:"value"`

	// default is the value this entry gives when value is empty.
	// +optional
	Default *string `json:"default,omitempty"`

	// type, when set, is checked against the parameter's final value: string, number or boolean.
	// +optional
	Type ParameterType `json:"type,omitempty"`

	// required on a plan's globalParams entry means a stage entry or the execution must supply the value; on
	// a stage entry, the execution must. Execution params ignore it.
	// +optional
	Required bool `json:"required,omitempty"`

	// description tells plan authors what the parameter is for.
	// +optional
	Description string `json:"description,omitempty"`

	// valueFrom reads the value from a field of an object in the cluster when the execution starts (in
	// place of value; upstream's shape). The value read is recorded in the execution's status, so a Revert
	// uses it too.
	// +optional
	ValueFrom *ParamValueSource `json:"valueFrom,omitempty"`
}

// ParamValueSource is upstream's valueFrom of a parameter: manifestRef is read; secretKeyRef is refused.
type ParamValueSource struct {
	// manifestRef reads the value from a field of an object in the cluster, as the workflow's executor
	// ServiceAccount, when the execution starts.
	// +optional
	ManifestRef *ManifestRef `json:"manifestRef,omitempty"`

	// secretKeyRef would read the value from a Secret. Parameter values are stored in the execution's status
	// and in the compiled Argo Workflow, so a secret never becomes a parameter: use http.headersFrom.
	// +optional
	SecretKeyRef *corev1.SecretKeySelector `json:"secretKeyRef,omitempty"`
}

// ManifestSelect says which object a manifestRef with a labelSelector reads when several match.
// +kubebuilder:validation:Enum=Last;First;Single;Any
type ManifestSelect string

const (
	// SelectLast reads the newest match (latest creationTimestamp; default).
	SelectLast ManifestSelect = "Last"
	// SelectFirst reads the oldest match.
	SelectFirst ManifestSelect = "First"
	// SelectSingle requires exactly one match.
	SelectSingle ManifestSelect = "Single"
	// SelectAny reads one match, whichever the API server lists first.
	SelectAny ManifestSelect = "Any"
)

// ManifestRef names an object of the cluster and the field a parameter's value is read from (upstream
// bcs-drplan-controller's valueFrom.manifestRef). Secrets are refused: parameter values are stored in the
// execution's status and in the compiled Argo Workflow.
// +kubebuilder:validation:XValidation:rule="has(self.name) != has(self.labelSelector)",message="set exactly one of name and labelSelector"
type ManifestRef struct {
	// apiVersion of the object, e.g. v1 or apps/v1.
	// +required
	// +kubebuilder:validation:MinLength=1
	APIVersion string `json:"apiVersion"`

	// kind of the object, e.g. ConfigMap.
	// +required
	// +kubebuilder:validation:MinLength=1
	Kind string `json:"kind"`

	// namespace of the object; empty means the execution's namespace (ignored for cluster-scoped kinds).
	// +optional
	Namespace string `json:"namespace,omitempty"`

	// name of the object; or labelSelector.
	// +optional
	Name string `json:"name,omitempty"`

	// labelSelector selects the object by labels ("app=api,tier=db"); select says which match is read.
	// +optional
	LabelSelector string `json:"labelSelector,omitempty"`

	// jsonPath is the field to read, in kubectl's JSONPath syntax, e.g. {.data.endpoint}.
	// +required
	// +kubebuilder:validation:MinLength=1
	JSONPath string `json:"jsonPath"`

	// select picks among several labelSelector matches: Last (default), First, Single or Any.
	// +optional
	Select ManifestSelect `json:"select,omitempty"`
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
	// ConditionPickedUp is False while a started run waits for its engine to pick it up (on Argo: no
	// workflow-controller has looked at its Workflow within the deadline); the run keeps waiting. True once
	// every such run was picked up. Absent when no run ever waited.
	ConditionPickedUp = "PickedUp"
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
	ReasonWorkflowNotPickedUp = "WorkflowNotPickedUp"
	ReasonPickedUp            = "PickedUp"
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
