package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// OperationType says which way an execution runs a plan.
// +kubebuilder:validation:Enum=Execute;Revert;Precheck
type OperationType string

const (
	// OperationExecute runs the plan forward.
	OperationExecute OperationType = "Execute"
	// OperationRevert runs the reverse of an earlier Execute (spec.revertExecutionRef).
	OperationRevert OperationType = "Revert"
	// OperationPrecheck checks the plan's Execute without side effects (precheck.go); it takes no lock.
	OperationPrecheck OperationType = "Precheck"
)

// ExecutionMode is upstream bcs-drplan-controller's mode of an execution: what the run is for. Templates see it
// lower-case as .mode and .params.mode, and `when: mode == "install"` selects actions by it.
// +kubebuilder:validation:Enum=Install;Upgrade;Delete;Rollback
type ExecutionMode string

const (
	ModeInstall  ExecutionMode = "Install"
	ModeUpgrade  ExecutionMode = "Upgrade"
	ModeDelete   ExecutionMode = "Delete"
	ModeRollback ExecutionMode = "Rollback"
)

// ExecutionPhase is the phase of an execution, a stage, a workflow run.
// +kubebuilder:validation:Enum=Pending;Running;Succeeded;Failed;Canceled
type ExecutionPhase string

const (
	ExecutionPending   ExecutionPhase = "Pending"
	ExecutionRunning   ExecutionPhase = "Running"
	ExecutionSucceeded ExecutionPhase = "Succeeded"
	ExecutionFailed    ExecutionPhase = "Failed"
	ExecutionCanceled  ExecutionPhase = "Canceled"
)

// IsTerminal reports whether the phase is final.
func (p ExecutionPhase) IsTerminal() bool {
	return p == ExecutionSucceeded || p == ExecutionFailed || p == ExecutionCanceled
}

// ActionPhase is the phase of one action.
// +kubebuilder:validation:Enum=Pending;Running;Succeeded;Failed;Skipped;Canceled
type ActionPhase string

const (
	ActionPending   ActionPhase = "Pending"
	ActionRunning   ActionPhase = "Running"
	ActionSucceeded ActionPhase = "Succeeded"
	ActionFailed    ActionPhase = "Failed"
	ActionSkipped   ActionPhase = "Skipped"
	ActionCanceled  ActionPhase = "Canceled"
)

// IsTerminal reports whether the phase is final.
func (p ActionPhase) IsTerminal() bool {
	return p == ActionSucceeded || p == ActionFailed || p == ActionSkipped || p == ActionCanceled
}

// DRPlanExecutionSpec asks for one run of a plan. It is immutable.
// +kubebuilder:validation:XValidation:rule="self.operationType != 'Revert' || (has(self.revertExecutionRef) && size(self.revertExecutionRef) > 0)",message="revertExecutionRef is required when operationType is Revert"
// +kubebuilder:validation:XValidation:rule="self.operationType == 'Revert' || !has(self.revertExecutionRef) || size(self.revertExecutionRef) == 0",message="revertExecutionRef is only allowed when operationType is Revert"
// +kubebuilder:validation:XValidation:rule="self.operationType != 'Revert' || !has(self.mode) || self.mode == 'Rollback'",message="a Revert runs in mode Rollback: leave mode empty or set it to Rollback"
type DRPlanExecutionSpec struct {
	// planRef is the name of the DRPlan, in the execution's namespace.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	PlanRef string `json:"planRef"`

	// operationType is Execute (default), Revert or Precheck (checks the plan's Execute without side effects).
	// +optional
	// +kubebuilder:default=Execute
	OperationType OperationType `json:"operationType,omitempty"`

	// revertExecutionRef names the Execute run to revert (required for Revert). It must belong to the same plan and
	// have ended Succeeded or Failed; the revert uses that run's recorded params and outputs.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	RevertExecutionRef string `json:"revertExecutionRef,omitempty"`

	// params have the highest precedence over workflow defaults, plan globalParams and stage entry params.
	// +optional
	// +listType=map
	// +listMapKey=name
	Params []ParamValue `json:"params,omitempty"`

	// mode is what the run is for: Install, Upgrade, Delete or Rollback (upstream bcs-drplan-controller's
	// spec.mode). Templates see it lower-case as .mode and .params.mode (when it is set, no params list may
	// set mode), and actions select it with `when: mode == "install"`. Optional; a workflow that selects by
	// mode needs it. A Revert always runs in mode rollback.
	// +optional
	Mode ExecutionMode `json:"mode,omitempty"`
}

// ResourceRef names an object an action created or touched.
type ResourceRef struct {
	// apiVersion of the object.
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`
	// kind of the object.
	// +optional
	Kind string `json:"kind,omitempty"`
	// namespace of the object.
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// name of the object.
	// +optional
	Name string `json:"name,omitempty"`
	// uid of the object.
	// +optional
	UID types.UID `json:"uid,omitempty"`
	// created is true when the action created the object (so reverting deletes it).
	// +optional
	Created bool `json:"created,omitempty"`
}

// HTTPResponse is what an HTTP action received.
type HTTPResponse struct {
	// statusCode of the response.
	// +optional
	StatusCode int32 `json:"statusCode,omitempty"`
	// body of the response, truncated.
	// +optional
	Body string `json:"body,omitempty"`
}

// ActionOutputs are the results of an action, used by reverts.
type ActionOutputs struct {
	// jobRef names the Job of a Job action.
	// +optional
	JobRef *ResourceRef `json:"jobRef,omitempty"`
	// localizationRef names the Localization of a Localization action.
	// +optional
	LocalizationRef *ResourceRef `json:"localizationRef,omitempty"`
	// subscriptionRef names the Subscription of a Subscription action.
	// +optional
	SubscriptionRef *ResourceRef `json:"subscriptionRef,omitempty"`
	// globalizationRef names the Globalization of a Globalization action (cluster scoped: no namespace).
	// +optional
	GlobalizationRef *ResourceRef `json:"globalizationRef,omitempty"`
	// resourceRef names the object of a KubernetesResource action.
	// +optional
	ResourceRef *ResourceRef `json:"resourceRef,omitempty"`
	// httpResponse is the response of an HTTP action.
	// +optional
	HTTPResponse *HTTPResponse `json:"httpResponse,omitempty"`
}

// ActionStatus is the state of one action of a workflow run.
type ActionStatus struct {
	// name of the action (of the rollback action, in a reverse run).
	// +required
	Name string `json:"name"`
	// phase of the action.
	// +optional
	Phase ActionPhase `json:"phase,omitempty"`
	// startTime of the first attempt.
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`
	// completionTime of the last attempt.
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`
	// retryCount is the number of retries made (attempts - 1).
	// +optional
	RetryCount int32 `json:"retryCount,omitempty"`
	// message explains the phase, for failures the engine's error.
	// +optional
	Message string `json:"message,omitempty"`
	// outputs of the action.
	// +optional
	Outputs *ActionOutputs `json:"outputs,omitempty"`
	// approval records who let an Approval action go on, and when.
	// +optional
	Approval *ApprovalRecord `json:"approval,omitempty"`
}

// ArgoWorkflowRef names the Argo Workflow that runs a workflow.
type ArgoWorkflowRef struct {
	// name of the Argo Workflow.
	// +optional
	Name string `json:"name,omitempty"`
	// namespace of the Argo Workflow.
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// uid of the Argo Workflow.
	// +optional
	UID types.UID `json:"uid,omitempty"`
	// url is the Workflow's page in the Argo UI (<base>/workflows/<namespace>/<name>), set when the operator
	// runs with --argo-ui-url.
	// +optional
	URL string `json:"url,omitempty"`
}

// WorkflowExecutionStatus is the state of one workflow entry of a stage.
type WorkflowExecutionStatus struct {
	// workflowRef names the DRWorkflow (namespace always filled in).
	// +required
	WorkflowRef ObjectReference `json:"workflowRef"`
	// index of the entry in its stage (two entries may reference the same DRWorkflow).
	// +optional
	Index int32 `json:"index"`
	// engine that runs it: Argo or Native.
	// +optional
	Engine ExecutorType `json:"engine,omitempty"`
	// argoWorkflow names the Argo Workflow, for the Argo engine.
	// +optional
	ArgoWorkflow *ArgoWorkflowRef `json:"argoWorkflow,omitempty"`
	// workflowGeneration is the DRWorkflow generation that was compiled.
	// +optional
	WorkflowGeneration int64 `json:"workflowGeneration,omitempty"`
	// params are the resolved parameters the run used.
	// +optional
	Params []ParamValue `json:"params,omitempty"`
	// phase of the run.
	// +optional
	Phase ExecutionPhase `json:"phase,omitempty"`
	// startTime of the run.
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`
	// completionTime of the run.
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`
	// progress is "<finished actions>/<actions>".
	// +optional
	Progress string `json:"progress,omitempty"`
	// currentAction names a running action.
	// +optional
	CurrentAction string `json:"currentAction,omitempty"`
	// message explains the phase.
	// +optional
	Message string `json:"message,omitempty"`
	// actionStatuses, one per action in workflow order.
	// +optional
	ActionStatuses []ActionStatus `json:"actionStatuses,omitempty"`
}

// StageStatus is the state of one stage.
type StageStatus struct {
	// name of the stage.
	// +required
	Name string `json:"name"`
	// phase of the stage.
	// +optional
	Phase ExecutionPhase `json:"phase,omitempty"`
	// startTime of the stage.
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`
	// completionTime of the stage.
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`
	// workflowExecutions, one per workflow entry of the stage.
	// +optional
	WorkflowExecutions []WorkflowExecutionStatus `json:"workflowExecutions,omitempty"`
}

// ExecutionSummary counts actions by phase over the whole execution.
type ExecutionSummary struct {
	// total number of actions.
	Total int32 `json:"total"`
	// pending actions.
	Pending int32 `json:"pending"`
	// running actions.
	Running int32 `json:"running"`
	// succeeded actions.
	Succeeded int32 `json:"succeeded"`
	// failed actions.
	Failed int32 `json:"failed"`
	// skipped actions.
	Skipped int32 `json:"skipped"`
	// canceled actions.
	Canceled int32 `json:"canceled"`
}

// DRPlanExecutionStatus is the observed state of an execution.
type DRPlanExecutionStatus struct {
	// conditions: Progressing, Completed, Paused (see AnnotationPause) and, after a failure under failurePolicy
	// Rollback, RolledBack.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// phase of the execution: Pending, Running, Succeeded, Failed or Canceled.
	// +optional
	Phase ExecutionPhase `json:"phase,omitempty"`

	// startTime is when the execution started running.
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`

	// completionTime is when the execution reached a terminal phase; always set then.
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`

	// message explains the phase.
	// +optional
	Message string `json:"message,omitempty"`

	// progress is "<finished actions>/<actions>" over the whole execution.
	// +optional
	Progress string `json:"progress,omitempty"`

	// summary counts actions by phase.
	// +optional
	Summary *ExecutionSummary `json:"summary,omitempty"`

	// stageStatuses, one per stage, in plan order (reverse order for a Revert).
	// +optional
	StageStatuses []StageStatus `json:"stageStatuses,omitempty"`

	// rollbackStageStatuses are the reverse runs started after a failure under failurePolicy Rollback.
	// +optional
	RollbackStageStatuses []StageStatus `json:"rollbackStageStatuses,omitempty"`

	// planGeneration is the DRPlan generation the execution started from.
	// +optional
	PlanGeneration int64 `json:"planGeneration,omitempty"`
}

// DRPlanExecution is one run of a DRPlan: forward (Execute) or the rollback of an earlier run (Revert).
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=drpe,categories=dr
// +kubebuilder:printcolumn:name="Plan",type=string,JSONPath=`.spec.planRef`
// +kubebuilder:printcolumn:name="Operation",type=string,JSONPath=`.spec.operationType`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Paused",type=string,JSONPath=`.status.conditions[?(@.type=="Paused")].reason`
// +kubebuilder:printcolumn:name="Progress",type=string,JSONPath=`.status.progress`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type DRPlanExecution struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the request; immutable once created (an update that changes it is refused, naming the fields it changed).
	// +required
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",messageExpression="'field is immutable: the spec of a DRPlanExecution cannot change; create a new execution instead (changed:' + (self.planRef != oldSelf.planRef ? ' spec.planRef' : '') + ((has(self.operationType) ? self.operationType : 'Execute') != (has(oldSelf.operationType) ? oldSelf.operationType : 'Execute') ? ' spec.operationType' : '') + ((has(self.revertExecutionRef) ? self.revertExecutionRef : '') != (has(oldSelf.revertExecutionRef) ? oldSelf.revertExecutionRef : '') ? ' spec.revertExecutionRef' : '') + (has(self.params) != has(oldSelf.params) || (has(self.params) && self.params != oldSelf.params) ? ' spec.params' : '') + ')'"
	Spec DRPlanExecutionSpec `json:"spec"`

	// status is written by the operator.
	// +optional
	Status DRPlanExecutionStatus `json:"status,omitempty"`
}

// DRPlanExecutionList is a list of DRPlanExecutions.
// +kubebuilder:object:root=true
type DRPlanExecutionList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []DRPlanExecution `json:"items"`
}

func init() {
	SchemeBuilder.Register(&DRPlanExecution{}, &DRPlanExecutionList{})
}
