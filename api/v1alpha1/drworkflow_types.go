package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// ParameterType is the declared type of a workflow parameter. It is checked, not converted:
// templates always see the value as a string.
// +kubebuilder:validation:Enum=string;number;boolean
type ParameterType string

const (
	ParameterTypeString  ParameterType = "string"
	ParameterTypeNumber  ParameterType = "number"
	ParameterTypeBoolean ParameterType = "boolean"
)

// ActionType selects what an action does and which config block it reads.
// HelmChart is an upstream bcs-drplan-controller type that this operator does not run yet: it is in the
// enum so that admission says so, instead of "Unsupported value".
// +kubebuilder:validation:Enum=HTTP;Job;Localization;Subscription;KubernetesResource;Approval;HelmChart;Globalization
type ActionType string

const (
	ActionTypeHTTP               ActionType = "HTTP"
	ActionTypeJob                ActionType = "Job"
	ActionTypeLocalization       ActionType = "Localization"
	ActionTypeSubscription       ActionType = "Subscription"
	ActionTypeKubernetesResource ActionType = "KubernetesResource"
	ActionTypeHelmChart          ActionType = "HelmChart"
	ActionTypeGlobalization      ActionType = "Globalization"
)

// ResourceOperation is what a resource action does to its object.
// +kubebuilder:validation:Enum=Create;Apply;Patch;Delete
type ResourceOperation string

const (
	OperationCreate ResourceOperation = "Create"
	OperationApply  ResourceOperation = "Apply"
	OperationPatch  ResourceOperation = "Patch"
	OperationDelete ResourceOperation = "Delete"
	// OperationReplace (Subscription only, as upstream bcs-drplan-controller) deletes the object if it
	// exists, waits until it is gone (Clusternet's finalizer released), then creates it from the action's
	// spec. Its automatic inverse deletes the object it created; the version it replaced is not restored.
	// Native engine only: refused on Argo.
	OperationReplace ResourceOperation = "Replace"
)

// SubscriptionOperation is what a Subscription action does: a ResourceOperation, or upstream's Replace.
// +kubebuilder:validation:Enum=Create;Apply;Patch;Delete;Replace
type SubscriptionOperation string

// WorkflowFailurePolicy says what a workflow does after an action fails.
// +kubebuilder:validation:Enum=FailFast;Continue
type WorkflowFailurePolicy string

const (
	// WorkflowFailFast stops scheduling new actions after the first failure.
	WorkflowFailFast WorkflowFailurePolicy = "FailFast"
	// WorkflowContinue keeps running every action that does not depend on a failed one.
	WorkflowContinue WorkflowFailurePolicy = "Continue"
)

// ExecutorType selects the engine that runs a workflow.
// +kubebuilder:validation:Enum=Argo;Native
type ExecutorType string

const (
	ExecutorArgo   ExecutorType = "Argo"
	ExecutorNative ExecutorType = "Native"
)

// Parameter declares an input of a DRWorkflow.
type Parameter struct {
	// name of the parameter, used in templates as {{ .params.<name> }}.
	// +required
	// +kubebuilder:validation:Pattern=`^[A-Za-z_][A-Za-z0-9_]*$`
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`

	// type of the value: string (default), number or boolean. Checked before an execution starts.
	// +optional
	// +kubebuilder:default=string
	Type ParameterType `json:"type,omitempty"`

	// required parameters must get a value from the plan, the stage entry or the execution.
	// +optional
	Required bool `json:"required,omitempty"`

	// default is the value used when nobody supplies one. It has the lowest precedence.
	// +optional
	Default *string `json:"default,omitempty"`

	// description tells plan authors what the parameter is for.
	// +optional
	Description string `json:"description,omitempty"`

	// value, as upstream bcs-drplan-controller writes it on a workflow parameter, acts as the default: it wins
	// over default, and the plan, the stage entry and the execution override it.
	// +optional
	Value *string `json:"value,omitempty"`

	// valueFrom reads the default from a field of an object in the cluster when the execution starts
	// (upstream's shape); the plan, the stage entry and the execution override it.
	// +optional
	ValueFrom *ParamValueSource `json:"valueFrom,omitempty"`
}

// RetryPolicy retries a failed action.
type RetryPolicy struct {
	// limit is the number of retries after the first attempt (0 = no retry).
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	Limit int32 `json:"limit,omitempty"`

	// interval is the wait before the first retry (default 10s).
	// +optional
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('0s')",message="interval must be a duration such as 2s or 1m"
	Interval *metav1.Duration `json:"interval,omitempty"`

	// backoffMultiplier multiplies the interval after each retry, as a decimal string such as "2.0" (default "1").
	// +optional
	// +kubebuilder:validation:Pattern=`^[0-9]+(\.[0-9]+)?$`
	// +kubebuilder:validation:MaxLength=16
	BackoffMultiplier string `json:"backoffMultiplier,omitempty"`
}

// ActionBody is what an action and a rollback action have in common: the type, its config block and its limits.
// +kubebuilder:validation:XValidation:rule="!has(self.type) || (self.type == 'HTTP') == has(self.http)",message="http must be set when type is HTTP, and only then"
// +kubebuilder:validation:XValidation:rule="!has(self.type) || (self.type == 'Job') == has(self.job)",message="job must be set when type is Job, and only then"
// +kubebuilder:validation:XValidation:rule="!has(self.type) || (self.type == 'Localization') == has(self.localization)",message="localization must be set when type is Localization, and only then"
// +kubebuilder:validation:XValidation:rule="!has(self.type) || (self.type == 'Subscription') == has(self.subscription)",message="subscription must be set when type is Subscription, and only then"
// +kubebuilder:validation:XValidation:rule="!has(self.type) || (self.type == 'KubernetesResource') == has(self.resource)",message="resource must be set when type is KubernetesResource, and only then"
// +kubebuilder:validation:XValidation:rule="!has(self.type) || (self.type == 'Globalization') == has(self.globalization)",message="globalization must be set when type is Globalization, and only then"
type ActionBody struct {
	// type selects what the action does; exactly the matching config block must be set. Required on an
	// action; a rollback without it takes its action's type.
	// +optional
	Type ActionType `json:"type,omitempty"`

	// http configures an HTTP call (type HTTP).
	// +optional
	HTTP *HTTPAction `json:"http,omitempty"`

	// job configures a batch/v1 Job (type Job).
	// +optional
	Job *JobAction `json:"job,omitempty"`

	// localization configures a Clusternet Localization (type Localization).
	// +optional
	Localization *LocalizationAction `json:"localization,omitempty"`

	// subscription configures a Clusternet Subscription (type Subscription).
	// +optional
	Subscription *SubscriptionAction `json:"subscription,omitempty"`

	// resource configures any Kubernetes object given as a manifest (type KubernetesResource).
	// +optional
	Resource *ResourceAction `json:"resource,omitempty"`

	// helmChart is upstream bcs-drplan-controller's Clusternet HelmChart block (type HelmChart). Not supported
	// by this operator yet: admission rejects it with the reason.
	// +optional
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	HelmChart *runtime.RawExtension `json:"helmChart,omitempty"`

	// globalization configures a Clusternet Globalization (type Globalization), a cluster-scoped override
	// of a feed for every child cluster.
	// +optional
	Globalization *GlobalizationAction `json:"globalization,omitempty"`

	// waitReady, where upstream bcs-drplan-controller puts it, is subscription.waitReady of a Subscription
	// action (either one set waits). Default false. Accepted on a Job (which always waits) and rejected on
	// other types, where it would have no effect.
	// +optional
	WaitReady bool `json:"waitReady,omitempty"`

	// approval configures a wait for a person's go-ahead (type Approval).
	// +optional
	Approval *ApprovalAction `json:"approval,omitempty"`

	// timeout bounds one attempt of the action (default 5m).
	// +optional
	// +kubebuilder:validation:XValidation:rule="duration(self) > duration('0s')",message="timeout must be a positive duration such as 30s or 5m"
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// retryPolicy retries a failed attempt.
	// +optional
	RetryPolicy *RetryPolicy `json:"retryPolicy,omitempty"`
}

// HookCleanup is upstream bcs-drplan-controller's cleanup of a Subscription around a hook action. Not
// supported by this operator yet; admission says so.
type HookCleanup struct {
	// beforeCreate deletes an existing Subscription before the action creates it.
	// +optional
	BeforeCreate bool `json:"beforeCreate,omitempty"`
	// onSuccess deletes the Subscription after the action succeeded.
	// +optional
	OnSuccess bool `json:"onSuccess,omitempty"`
	// onFailure deletes the Subscription after the action failed.
	// +optional
	OnFailure bool `json:"onFailure,omitempty"`
}

// Action is one step of a DRWorkflow.
// +kubebuilder:validation:XValidation:rule="has(self.type)",message="type is required"
type Action struct {
	// name identifies the action in its workflow: a DNS label (lower case letters, digits and '-'), unique.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`

	ActionBody `json:",inline"`

	// dependsOn lists actions that must finish (Succeeded or Skipped) first. When no action of a workflow has
	// dependsOn, the actions run one after another in list order; otherwise they form a DAG.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:items:MaxLength=63
	DependsOn []string `json:"dependsOn,omitempty"`

	// when decides whether the action runs; false skips it (a skipped dependency counts as satisfied). A
	// template on params or mode rendering to "true" or "false" is decided when the run is compiled; a
	// condition on the results of the actions it depends on, {{ .outputs.ACTION.phase == 'Succeeded' }},
	// is decided when the action becomes ready (see the user guide for the supported forms).
	// +optional
	When string `json:"when,omitempty"`

	// rollback is run instead of the automatic inverse when this action is reverted.
	// +optional
	Rollback *RollbackAction `json:"rollback,omitempty"`

	// clusterExecutionMode is upstream bcs-drplan-controller's fan-out: empty or Global run the action once;
	// PerCluster (once per bound child cluster) is not supported by this operator yet and is rejected.
	// +optional
	// +kubebuilder:validation:Enum=Global;PerCluster
	ClusterExecutionMode string `json:"clusterExecutionMode,omitempty"`

	// hookType is upstream bcs-drplan-controller's hook label. pre-/post- install, upgrade and delete are
	// ordinary actions here (upstream gives them meaning only with PerCluster); pre-rollback and
	// post-rollback hooks are not run by this operator's reverse runs yet and are rejected.
	// +optional
	// +kubebuilder:validation:Enum=pre-install;post-install;pre-upgrade;post-upgrade;pre-delete;post-delete;pre-rollback;post-rollback
	HookType string `json:"hookType,omitempty"`

	// hookCleanup is upstream bcs-drplan-controller's Subscription cleanup around a hook. Not supported by this
	// operator yet: admission rejects it.
	// +optional
	HookCleanup *HookCleanup `json:"hookCleanup,omitempty"`
}

// RollbackAction is the custom inverse of an action; it may be of any type.
type RollbackAction struct {
	// name identifies the rollback action: a DNS label. Default "<action>-rollback" (shortened to 63
	// characters), as upstream bcs-drplan-controller leaves it out.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name,omitempty"`

	ActionBody `json:",inline"`
}

// HTTPHeaderSource is a header whose value is read from a Secret at run time and never stored.
type HTTPHeaderSource struct {
	// name of the header.
	// +required
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`

	// valueFrom says where the value comes from.
	// +required
	ValueFrom HeaderValueSource `json:"valueFrom"`
}

// HeaderValueSource points at a secret value.
type HeaderValueSource struct {
	// secretKeyRef selects a key of a Secret in the execution's namespace.
	// +required
	SecretKeyRef corev1.SecretKeySelector `json:"secretKeyRef"`
}

// HTTPAction calls an HTTP endpoint.
type HTTPAction struct {
	// url to call; a template.
	// +required
	// +kubebuilder:validation:MinLength=1
	URL string `json:"url"`

	// method is the HTTP method (default GET).
	// +optional
	// +kubebuilder:validation:Enum=GET;POST;PUT;PATCH;DELETE;HEAD;OPTIONS
	Method string `json:"method,omitempty"`

	// headers sent with the request; values are templates.
	// +optional
	Headers map[string]string `json:"headers,omitempty"`

	// headersFrom sends headers whose values come from Secrets (tokens and the like).
	// +optional
	// +listType=map
	// +listMapKey=name
	HeadersFrom []HTTPHeaderSource `json:"headersFrom,omitempty"`

	// body of the request; a template.
	// +optional
	Body string `json:"body,omitempty"`

	// successCodes are the status codes that mean success (default: any 2xx).
	// +optional
	// +kubebuilder:validation:MaxItems=50
	// +kubebuilder:validation:items:Minimum=100
	// +kubebuilder:validation:items:Maximum=599
	SuccessCodes []int32 `json:"successCodes,omitempty"`

	// insecureSkipVerify turns TLS certificate verification off. Default false; leave it so outside tests.
	// +optional
	InsecureSkipVerify bool `json:"insecureSkipVerify,omitempty"`
}

// JobTemplateMetadata is the metadata given to a Job an action creates.
type JobTemplateMetadata struct {
	// labels added to the Job.
	// +optional
	Labels map[string]string `json:"labels,omitempty"`

	// annotations added to the Job.
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// JobTemplate describes the Job an action creates.
type JobTemplate struct {
	// metadata of the Job (its name is chosen by the operator, deterministically, so restarts never duplicate it).
	// +optional
	Metadata JobTemplateMetadata `json:"metadata,omitempty"`

	// spec is a batch/v1 JobSpec. It is checked when the workflow is validated.
	// +required
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	Spec runtime.RawExtension `json:"spec"`
}

// JobAction runs a batch/v1 Job and waits for it to complete.
type JobAction struct {
	// namespace of the Job; a template. Empty means the execution's namespace.
	// +optional
	Namespace string `json:"namespace,omitempty"`

	// template of the Job.
	// +required
	Template JobTemplate `json:"template"`

	// ttlSecondsAfterFinished lets Kubernetes delete the finished Job after this many seconds.
	// +optional
	// +kubebuilder:validation:Minimum=0
	TTLSecondsAfterFinished *int32 `json:"ttlSecondsAfterFinished,omitempty"`

	// literal sends template as written: template expressions inside it are not rendered.
	// +optional
	Literal bool `json:"literal,omitempty"`
}

// LocalizationAction creates, applies, patches or deletes a Clusternet Localization (apps.clusternet.io/v1alpha1).
// +kubebuilder:validation:XValidation:rule="(has(self.operation) && self.operation == 'Delete') || has(self.spec)",message="spec is required unless operation is Delete"
type LocalizationAction struct {
	// operation to perform (default Create).
	// +optional
	// +kubebuilder:default=Create
	Operation ResourceOperation `json:"operation,omitempty"`

	// name of the Localization; a template.
	// +required
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`

	// namespace of the Localization: the child cluster's clusternet-xxxxx namespace; a template.
	// +required
	// +kubebuilder:validation:MinLength=1
	Namespace string `json:"namespace"`

	// spec is a Clusternet LocalizationSpec (for Patch, a merge patch of it).
	// +optional
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	Spec *runtime.RawExtension `json:"spec,omitempty"`

	// literal sends spec as written: template expressions inside it are not rendered.
	// +optional
	Literal bool `json:"literal,omitempty"`
}

// SubscriptionAction creates, applies, patches or deletes a Clusternet Subscription (apps.clusternet.io/v1alpha1).
// +kubebuilder:validation:XValidation:rule="(has(self.operation) && self.operation == 'Delete') || has(self.spec)",message="spec is required unless operation is Delete"
type SubscriptionAction struct {
	// operation to perform (default Create). Replace deletes an existing Subscription of that name, waits
	// until it is gone, then creates it, so that Clusternet schedules it afresh; it runs on the native engine
	// only (spec.executor.type Native) and is refused on Argo.
	// +optional
	// +kubebuilder:default=Create
	Operation SubscriptionOperation `json:"operation,omitempty"`

	// name of the Subscription; a template.
	// +required
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`

	// namespace of the Subscription; a template. Default "default", as upstream bcs-drplan-controller.
	// +optional
	// +kubebuilder:default=default
	Namespace string `json:"namespace,omitempty"`

	// spec is a Clusternet SubscriptionSpec (for Patch, a merge patch of it).
	// +optional
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	Spec *runtime.RawExtension `json:"spec,omitempty"`

	// waitReady waits until the Subscription is bound to clusters (status.bindingClusters not empty). Default false.
	// +optional
	WaitReady bool `json:"waitReady,omitempty"`

	// literal sends spec as written: template expressions inside it are not rendered.
	// +optional
	Literal bool `json:"literal,omitempty"`
}

// GlobalizationAction creates, applies, patches or deletes a Clusternet Globalization
// (apps.clusternet.io/v1alpha1). Globalizations are cluster scoped: the executor ServiceAccount needs a
// ClusterRole for them (config/executor/globalization-clusterrole.yaml).
// +kubebuilder:validation:XValidation:rule="(has(self.operation) && self.operation == 'Delete') || has(self.spec)",message="spec is required unless operation is Delete"
type GlobalizationAction struct {
	// operation to perform (default Create).
	// +optional
	// +kubebuilder:default=Create
	Operation ResourceOperation `json:"operation,omitempty"`

	// name of the Globalization; a template.
	// +required
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`

	// spec is a Clusternet GlobalizationSpec (for Patch, a merge patch of it): priority, overridePolicy,
	// feed, overrides, clusterAffinity.
	// +optional
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	Spec *runtime.RawExtension `json:"spec,omitempty"`

	// literal sends spec as written: template expressions inside it are not rendered.
	// +optional
	Literal bool `json:"literal,omitempty"`
}

// ResourceAction creates, applies, patches or deletes any Kubernetes object given as a manifest.
type ResourceAction struct {
	// operation to perform (default Create).
	// +optional
	// +kubebuilder:default=Create
	Operation ResourceOperation `json:"operation,omitempty"`

	// manifest is the object as YAML, with apiVersion, kind and metadata.name (for Patch, a merge patch that
	// also names the object); a template.
	// +required
	// +kubebuilder:validation:MinLength=1
	Manifest string `json:"manifest"`

	// literal sends manifest as written: template expressions inside it are not rendered.
	// +optional
	Literal bool `json:"literal,omitempty"`
}

// ArgoTTLStrategy mirrors Argo's ttlStrategy: when finished Workflows are deleted.
type ArgoTTLStrategy struct {
	// secondsAfterCompletion deletes the Workflow this long after it finished.
	// +optional
	SecondsAfterCompletion *int32 `json:"secondsAfterCompletion,omitempty"`
	// secondsAfterSuccess deletes the Workflow this long after it succeeded.
	// +optional
	SecondsAfterSuccess *int32 `json:"secondsAfterSuccess,omitempty"`
	// secondsAfterFailure deletes the Workflow this long after it failed.
	// +optional
	SecondsAfterFailure *int32 `json:"secondsAfterFailure,omitempty"`
}

// ArgoPodGC mirrors Argo's podGC: when a Workflow's pods are deleted.
type ArgoPodGC struct {
	// strategy is one of Argo's pod GC strategies.
	// +optional
	// +kubebuilder:validation:Enum=OnPodCompletion;OnPodSuccess;OnWorkflowCompletion;OnWorkflowSuccess
	Strategy string `json:"strategy,omitempty"`
}

// ArgoOptions tunes the compiled Argo Workflow.
type ArgoOptions struct {
	// serviceAccountName runs the Workflow (and, on the native engine, every resource action) as this
	// ServiceAccount of the execution's namespace (default drplan-executor).
	// +optional
	// +kubebuilder:validation:MaxLength=253
	ServiceAccountName string `json:"serviceAccountName,omitempty"`

	// ttlStrategy deletes finished Workflows.
	// +optional
	TTLStrategy *ArgoTTLStrategy `json:"ttlStrategy,omitempty"`

	// podGC deletes finished pods.
	// +optional
	PodGC *ArgoPodGC `json:"podGC,omitempty"`

	// namespace is upstream bcs-drplan-controller's reserved Workflow namespace. Workflows run in the
	// execution's namespace (they are owned by the DRPlanExecution), so it must be empty or that namespace.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace,omitempty"`
}

// ExecutorSpec selects and tunes the engine.
type ExecutorSpec struct {
	// type is Argo or Native; empty uses the operator's default (--default-executor).
	// +optional
	Type ExecutorType `json:"type,omitempty"`

	// argoOptions tunes the Argo Workflow; serviceAccountName applies to the native engine too.
	// +optional
	ArgoOptions *ArgoOptions `json:"argoOptions,omitempty"`
}

// DRWorkflowSpec is a reusable runbook: parameters and actions.
type DRWorkflowSpec struct {
	// parameters the workflow accepts.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=200
	Parameters []Parameter `json:"parameters,omitempty"`

	// actions of the workflow, at least one. Names are unique.
	// +required
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=1000
	Actions []Action `json:"actions"`

	// failurePolicy is FailFast (default: stop scheduling after the first failure) or Continue.
	// +optional
	// +kubebuilder:default=FailFast
	FailurePolicy WorkflowFailurePolicy `json:"failurePolicy,omitempty"`

	// executor selects and tunes the engine.
	// +optional
	Executor *ExecutorSpec `json:"executor,omitempty"`
}

// DRWorkflowPhase is a display summary of the Ready condition.
// +kubebuilder:validation:Enum=Ready;Invalid
type DRWorkflowPhase string

const (
	DRWorkflowReady   DRWorkflowPhase = "Ready"
	DRWorkflowInvalid DRWorkflowPhase = "Invalid"
)

// DRWorkflowStatus is the observed state of a DRWorkflow.
type DRWorkflowStatus struct {
	// conditions: Ready is True when the workflow is valid.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation the conditions describe.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// phase summarises the Ready condition for display.
	// +optional
	Phase DRWorkflowPhase `json:"phase,omitempty"`

	// actionCount is the number of actions, for display.
	// +optional
	ActionCount int32 `json:"actionCount,omitempty"`
}

// DRWorkflow is a reusable DR runbook: a list or DAG of actions with parameters.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=drwf,categories=dr
// +kubebuilder:printcolumn:name="Actions",type=integer,JSONPath=`.status.actionCount`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type DRWorkflow struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the runbook.
	// +required
	Spec DRWorkflowSpec `json:"spec"`

	// status is written by the operator.
	// +optional
	Status DRWorkflowStatus `json:"status,omitempty"`
}

// DRWorkflowList is a list of DRWorkflows.
// +kubebuilder:object:root=true
type DRWorkflowList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []DRWorkflow `json:"items"`
}

func init() {
	SchemeBuilder.Register(&DRWorkflow{}, &DRWorkflowList{})
}
