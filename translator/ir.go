package translator

// The IR: what the translator hands both engines. ir_forward.go builds the forward run, ir_reverse.go the
// reverse run, requests.go the API calls of each action.

import (
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// Input is everything one compiled run depends on. It is plain data: the caller looks objects up.
type Input struct {
	// Workflow is the DRWorkflow to compile. It is validated again here.
	Workflow *v1alpha1.DRWorkflow
	// Params are the resolved parameters (ResolveParams; for a revert, the reverted run's recorded params).
	Params []v1alpha1.ParamValue
	// Namespace of the execution: the Argo Workflow and default Job namespace.
	Namespace string
	// PlanName, ExecutionName and StageName identify the run; they are template data and labels.
	PlanName      string
	ExecutionName string
	StageName     string
	// EntryIndex is the workflow entry's index in its stage (two entries may run the same DRWorkflow).
	EntryIndex int
	// ExecutionUID keys the idempotency header of HTTP calls.
	ExecutionUID types.UID
	// Operation is the execution's operation (template data .operation); empty means Execute.
	Operation v1alpha1.OperationType
	// Owner, when set, becomes the owner reference of the compiled Argo Workflow (the DRPlanExecution).
	Owner *metav1.OwnerReference
}

// IR is a validated, rendered run of one workflow entry in one direction: what both engines execute.
type IR struct {
	Namespace     string
	PlanName      string
	ExecutionName string
	StageName     string
	EntryIndex    int
	ExecutionUID  types.UID
	// WorkflowName is the DRWorkflow's name.
	WorkflowName string
	Operation    v1alpha1.OperationType
	// Reverse is true for a rollback/revert run.
	Reverse bool
	// FailurePolicy of the workflow: FailFast or Continue.
	FailurePolicy v1alpha1.WorkflowFailurePolicy
	// ServiceAccountName runs every action (Argo: the Workflow's SA; native: impersonated).
	ServiceAccountName string
	// ArgoOptions are the workflow's Argo tunables (TTL, pod GC); nil when unset.
	ArgoOptions *v1alpha1.ArgoOptions
	Owner       *metav1.OwnerReference
	Params      []v1alpha1.ParamValue
	// Actions in workflow order (forward) or reverse topological order (reverse). Engines follow DependsOn,
	// not list position.
	Actions []Action
}

// Action is one rendered step. Exactly one of HTTP, Resource and Approval is set, unless Skipped with no config (an
// action without an inverse in a reverse run).
type Action struct {
	// Name is the action's name; in a reverse run, the rollback action's name, or the reverted action's own
	// name for an automatic inverse.
	Name string
	// Reverts names the forward action this one undoes (reverse runs only).
	Reverts string
	Type    v1alpha1.ActionType
	// DependsOn names actions of this IR that must end Succeeded or Skipped first.
	DependsOn []string
	// Skipped actions are not run and count as satisfied dependencies; SkipReason says why.
	Skipped    bool
	SkipReason string
	// When, set on forward actions only, is a run-time condition (when.go): the engine evaluates it once the
	// action is ready and, when false, skips the action with WhenFalseMessage (it still satisfies its
	// dependents, as any skipped action).
	When *Condition
	// Timeout bounds one attempt.
	Timeout time.Duration
	Retry   Retry
	HTTP    *HTTPRequest
	// Resource is set for Job, Localization, Subscription, Globalization and KubernetesResource actions and
	// automatic inverses.
	Resource *ResourceRequest
	// Approval is set for Approval actions: a wait for a person (approval.go).
	Approval *ApprovalRequest
}

// Retry is a resolved retry policy: Limit retries after the first attempt, waiting Interval, then
// Interval*BackoffFactor^n.
type Retry struct {
	Limit         int32
	Interval      time.Duration
	BackoffFactor float64
}

// HTTPRequest is a rendered HTTP call.
type HTTPRequest struct {
	Method string
	URL    string
	// Headers sorted by name: plain values, Secret references and the idempotency header.
	Headers            []HTTPHeader
	Body               string
	SuccessCodes       []int32
	InsecureSkipVerify bool
}

// HTTPHeader has a Value or, for secrets, a SecretKeyRef read at run time (never a value).
type HTTPHeader struct {
	Name         string
	Value        string
	SecretKeyRef *corev1.SecretKeySelector
}

// WaitFor is what a resource action waits for after its API call.
type WaitFor string

const (
	// WaitNone: the API call is the whole action.
	WaitNone WaitFor = ""
	// WaitJobComplete: a Job succeeded (status.succeeded > 0); it failed once status.failed > JobBackoffLimit.
	WaitJobComplete WaitFor = "JobComplete"
	// WaitSubscriptionBound: a Clusternet Subscription has at least one entry in status.bindingClusters.
	WaitSubscriptionBound WaitFor = "SubscriptionBound"
)

// ResourceRequest is a rendered API call on one object.
type ResourceRequest struct {
	// Operation is Create, Apply, Patch (JSON merge patch), Delete or Replace (delete if present, wait until
	// gone, create).
	Operation  v1alpha1.ResourceOperation
	APIVersion string
	Kind       string
	Namespace  string
	Name       string
	// Object is the manifest sent (for Patch, the merge patch; for Delete, only the identity).
	Object  map[string]any
	WaitFor WaitFor
	// JobBackoffLimit is the Job's backoffLimit (WaitJobComplete).
	JobBackoffLimit int32
	// Propagation of a Delete (Background for Jobs so their pods go too); empty means the server default.
	Propagation metav1.DeletionPropagation
	// OutputRef says which ActionOutputs field the object is recorded in: jobRef, localizationRef,
	// subscriptionRef, globalizationRef or resourceRef.
	OutputRef string
	// PerAttempt: each attempt of a retried Job action creates its own Job, named JobAttemptName(Name, n)
	// for attempt n (0 first); Name is then the common stem. Earlier attempts' Jobs stay until their
	// ttlSecondsAfterFinished.
	PerAttempt bool
}

// Output reference field names (ActionOutputs JSON names).
const (
	OutputRefJob           = "jobRef"
	OutputRefLocalization  = "localizationRef"
	OutputRefSubscription  = "subscriptionRef"
	OutputRefGlobalization = "globalizationRef"
	OutputRefResource      = "resourceRef"
)

// Clusternet and Job API identities.
const (
	ClusternetAPIVersion = "apps.clusternet.io/v1alpha1"
	KindLocalization     = "Localization"
	KindSubscription     = "Subscription"
	KindGlobalization    = "Globalization"
	JobAPIVersion        = "batch/v1"
	KindJob              = "Job"
	// defaultJobBackoffLimit is Kubernetes' default spec.backoffLimit.
	defaultJobBackoffLimit = 6
)

var errNoWorkflow = errors.New("translator: Input.Workflow is nil")

// compileError wraps a field.ErrorList with the object it is about.
type compileError struct {
	object string
	errs   field.ErrorList
}

func (e *compileError) Error() string {
	return fmt.Sprintf("%s: %v", e.object, e.errs.ToAggregate())
}

// FieldErrors returns the problems behind an error from BuildForward, BuildReverse or Compile, if any.
func FieldErrors(err error) field.ErrorList {
	if ce, ok := err.(*compileError); ok {
		return ce.errs
	}
	return nil
}

func workflowObject(wf *v1alpha1.DRWorkflow) string {
	return fmt.Sprintf("DRWorkflow %s/%s", wf.Namespace, wf.Name)
}
