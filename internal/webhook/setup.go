// Package webhook holds the admission webhooks of the dr.bkbcs.tencent.com API: validation of DRWorkflows,
// DRPlans and DRPlanExecutions, and the deletion protection of workflows still referenced by a plan and of
// plans that still have an execution in flight.
//
// The webhooks reject early; they are not the only guard. The reconcilers validate the same things again,
// so a cluster where the webhook is not installed (or was down when an object was written) stays safe.
//
// Reads. Checks that only need to know what exists (the plan of an execution, the workflows of a plan) read
// the manager's cache and, when the cache does not know an object, confirm with a direct read before
// denying, so that an object created a moment earlier (kubectl apply -f dir) is never reported missing.
// Checks that decide whether something is in flight or referenced right now (the one-execution-per-plan
// rule, the phase of a revert target, deletion protection) read the API server directly (the manager's
// APIReader), because a stale cache there means a wrong answer, and these requests are rare.
//
// One mutating webhook, and it defaults nothing: DRPlanExecutionRequester records who paused or resumed an
// execution, from the request's authenticated user. The defaults worth having (operationType Execute, the
// failure policies) are CRD schema defaults and are applied by the API server before validation.
//
// Messages never carry secret material: they name objects, fields and parameters. Values a user typed into
// a spec may be echoed back to that user; nothing is logged beyond the request's identity.
package webhook

import (
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// Webhook paths, following controller-runtime's convention /validate-<group with dashes>-<version>-<kind>.
// The +kubebuilder:webhook markers next to each validator must use the same paths.
const (
	PathValidateDRWorkflow      = "/validate-dr-bkbcs-tencent-com-v1alpha1-drworkflow"
	PathValidateDRPlan          = "/validate-dr-bkbcs-tencent-com-v1alpha1-drplan"
	PathValidateDRPlanExecution = "/validate-dr-bkbcs-tencent-com-v1alpha1-drplanexecution"
)

// The webhooks read the three kinds of this API (the reconcilers need the same verbs).
// +kubebuilder:rbac:groups=dr.bkbcs.tencent.com,resources=drworkflows;drplans;drplanexecutions,verbs=get;list;watch
// Deletion protection steps aside in a namespace that is being deleted.
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get

// SetupWebhooks registers the validating webhooks of DRWorkflow, DRPlan and DRPlanExecution with the
// manager's webhook server. Cached reads go through mgr.GetClient(), fresh ones through mgr.GetAPIReader().
func SetupWebhooks(mgr ctrl.Manager) error {
	return SetupWebhooksWithOptions(mgr, Options{})
}

// Options tune the webhooks.
type Options struct {
	// NoCrossNamespaceRefs refuses DRPlans (and executions of stored plans) whose workflowRefs name a
	// DRWorkflow outside the plan's namespace (--no-cross-namespace-refs).
	NoCrossNamespaceRefs bool
}

// SetupWebhooksWithOptions is SetupWebhooks with options.
func SetupWebhooksWithOptions(mgr ctrl.Manager, opts Options) error {
	r := newReaders(mgr.GetClient(), mgr.GetAPIReader())
	r.noCrossNamespaceRefs = opts.NoCrossNamespaceRefs
	if err := ctrl.NewWebhookManagedBy(mgr, &drv1.DRWorkflow{}).
		WithValidator(&DRWorkflowValidator{readers: r}).
		Complete(); err != nil {
		return err
	}
	if err := ctrl.NewWebhookManagedBy(mgr, &drv1.DRPlan{}).
		WithValidator(&DRPlanValidator{readers: r}).
		Complete(); err != nil {
		return err
	}
	return ctrl.NewWebhookManagedBy(mgr, &drv1.DRPlanExecution{}).
		WithValidator(&DRPlanExecutionValidator{readers: r}).
		WithDefaulter(DRPlanExecutionRequester{}).
		Complete()
}

// NewValidators returns the three validators reading through cached and fresh (may be the same reader in
// tests). SetupWebhooks uses the manager's; this is for tests and for callers that serve the webhooks
// themselves.
func NewValidators(cached, fresh client.Reader) (*DRWorkflowValidator, *DRPlanValidator, *DRPlanExecutionValidator) {
	r := newReaders(cached, fresh)
	return &DRWorkflowValidator{readers: r}, &DRPlanValidator{readers: r}, &DRPlanExecutionValidator{readers: r}
}
