package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PlanFailurePolicy says what a plan does after a workflow fails.
// +kubebuilder:validation:Enum=Stop;Continue;Rollback
type PlanFailurePolicy string

const (
	// PlanStop starts no further stage after a failure (default).
	PlanStop PlanFailurePolicy = "Stop"
	// PlanContinue keeps running the stages that do not depend on the failed one.
	PlanContinue PlanFailurePolicy = "Continue"
	// PlanRollback stops, then runs the reverse of everything that succeeded in the execution.
	PlanRollback PlanFailurePolicy = "Rollback"
)

// StageFailurePolicy overrides, for one stage, what the plan does after a workflow of that stage fails.
// +kubebuilder:validation:Enum=Stop;Continue;FailFast
type StageFailurePolicy string

const (
	// StageStop starts no further stage after this stage failed, whatever the plan's policy.
	StageStop StageFailurePolicy = "Stop"
	// StageContinue lets the stages that do not depend on this one start after it failed.
	StageContinue StageFailurePolicy = "Continue"
	// StageFailFast is Stop, and in a parallel stage also cancels the stage's other running workflows as
	// soon as one of them failed.
	StageFailFast StageFailurePolicy = "FailFast"
)

// WorkflowEntry is one DRWorkflow run by a stage, with its parameters.
type WorkflowEntry struct {
	// workflowRef names the DRWorkflow; an empty namespace means the plan's.
	// +required
	WorkflowRef ObjectReference `json:"workflowRef"`

	// params override the plan's globalParams for this entry.
	// +optional
	// +listType=map
	// +listMapKey=name
	Params []ParamValue `json:"params,omitempty"`
}

// Stage is a group of workflows of a plan.
type Stage struct {
	// name identifies the stage in its plan: a DNS label, unique.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`

	// description tells operators what the stage does.
	// +optional
	Description string `json:"description,omitempty"`

	// dependsOn lists stages that must finish first. When no stage has dependsOn, stages run in list order.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=50
	// +kubebuilder:validation:items:MaxLength=63
	DependsOn []string `json:"dependsOn,omitempty"`

	// parallel runs the stage's workflows at once instead of one after another.
	// +optional
	Parallel bool `json:"parallel,omitempty"`

	// failurePolicy overrides the plan's failurePolicy for a failure of this stage: Stop (no new stage
	// starts), Continue (stages that do not depend on this one still start) or FailFast (Stop, and the
	// stage's other running workflows are canceled at once). Empty: the plan's policy. Under a plan
	// failurePolicy Rollback, the rollback still runs once the stages settled with a failure.
	// +optional
	FailurePolicy StageFailurePolicy `json:"failurePolicy,omitempty"`

	// workflows run by this stage, at least one.
	// +required
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=50
	Workflows []WorkflowEntry `json:"workflows"`
}

// DRPlanSpec is a DR plan: stages of workflows and the parameters they share.
type DRPlanSpec struct {
	// description tells operators what the plan is for.
	// +optional
	Description string `json:"description,omitempty"`

	// globalParams are passed to every workflow of the plan; stage entry and execution params override them.
	// +optional
	// +listType=map
	// +listMapKey=name
	GlobalParams []ParamValue `json:"globalParams,omitempty"`

	// failurePolicy is Stop (default), Continue or Rollback.
	// +optional
	// +kubebuilder:default=Stop
	FailurePolicy PlanFailurePolicy `json:"failurePolicy,omitempty"`

	// stages of the plan, at least one. Names are unique.
	// +required
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=50
	Stages []Stage `json:"stages"`

	// executionHistoryLimit bounds status.executionHistory (default 10).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	ExecutionHistoryLimit *int32 `json:"executionHistoryLimit,omitempty"`

	// requirePrecheck refuses an Execute unless the plan's latest Precheck (status.lastPrecheck) ended
	// Succeeded for the plan's current generation and the current generations of its DRWorkflows.
	// +optional
	RequirePrecheck bool `json:"requirePrecheck,omitempty"`
}

// DRPlanPhase is a display summary of a plan's state.
// +kubebuilder:validation:Enum=Ready;Executed;Invalid
type DRPlanPhase string

const (
	DRPlanReady    DRPlanPhase = "Ready"
	DRPlanExecuted DRPlanPhase = "Executed"
	DRPlanInvalid  DRPlanPhase = "Invalid"
)

// ExecutionRecord summarises one past execution of a plan.
type ExecutionRecord struct {
	// name of the DRPlanExecution.
	// +required
	Name string `json:"name"`

	// operationType of the execution.
	// +optional
	OperationType OperationType `json:"operationType,omitempty"`

	// phase the execution ended in.
	// +optional
	Phase ExecutionPhase `json:"phase,omitempty"`

	// startTime of the execution.
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`

	// completionTime of the execution.
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`
}

// DRPlanStatus is the observed state of a DRPlan.
type DRPlanStatus struct {
	// conditions: Ready is True when every referenced workflow exists and is valid.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation the conditions describe.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// phase summarises the plan's state for display.
	// +optional
	Phase DRPlanPhase `json:"phase,omitempty"`

	// currentExecution is the execution that holds the plan's lock, if any. At most one runs at a time.
	// +optional
	CurrentExecution *ObjectReference `json:"currentExecution,omitempty"`

	// lastExecutionRef names the most recently finished execution.
	// +optional
	LastExecutionRef *ObjectReference `json:"lastExecutionRef,omitempty"`

	// lastExecutionTime is when the most recent execution finished.
	// +optional
	LastExecutionTime *metav1.Time `json:"lastExecutionTime,omitempty"`

	// executionHistory lists finished executions, newest first, bounded by spec.executionHistoryLimit.
	// +optional
	ExecutionHistory []ExecutionRecord `json:"executionHistory,omitempty"`

	// lastPrecheck is the most recently finished Precheck of the plan and what it checked.
	// +optional
	LastPrecheck *PrecheckRecord `json:"lastPrecheck,omitempty"`
}

// DRPlan is a DR plan: stages of DRWorkflows run in order, with shared parameters and a failure policy.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=drp,categories=dr
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Stages",type=string,JSONPath=`.spec.stages[*].name`
// +kubebuilder:printcolumn:name="Last Execution",type=string,JSONPath=`.status.lastExecutionRef.name`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type DRPlan struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the plan.
	// +required
	Spec DRPlanSpec `json:"spec"`

	// status is written by the operator.
	// +optional
	Status DRPlanStatus `json:"status,omitempty"`
}

// DRPlanList is a list of DRPlans.
// +kubebuilder:object:root=true
type DRPlanList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []DRPlan `json:"items"`
}

func init() {
	SchemeBuilder.Register(&DRPlan{}, &DRPlanList{})
}
