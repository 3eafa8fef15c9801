package argoexec

import (
	"context"
	"errors"
	"fmt"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// ErrDiscovery wraps a discovery failure that is not an answer: the API server could not say whether it
// serves Argo's Workflow kind.
var ErrDiscovery = errors.New("cannot tell whether the API server serves Argo's Workflow kind")

// discoveryBackoff retries a failing discovery for about 50 s (0.2 s doubling to 10 s, 10 tries).
var discoveryBackoff = wait.Backoff{Duration: 200 * time.Millisecond, Factor: 2, Cap: 10 * time.Second, Steps: 10}

// Served returns nil when the API server serves Argo's Workflow CRD, the RESTMapper's no-match error when it
// does not (the Argo engine then cannot run anything, and its watch could not start). Any other error (the
// API server briefly unavailable while the operator starts) is retried with discoveryBackoff and then
// returned wrapped in ErrDiscovery: the operator must fail its start and be restarted rather than run without
// its Argo engine by mistake, failing every Argo run with "engine Argo is not available" (what the API fault
// test in test/integration/execlifecycle found).
func Served(ctx context.Context, mapper meta.RESTMapper) error {
	gvk := wfv1.WorkflowSchemaGroupVersionKind
	var last error
	err := wait.ExponentialBackoffWithContext(ctx, discoveryBackoff, func(context.Context) (bool, error) {
		_, last = mapper.RESTMapping(schema.GroupKind{Group: gvk.Group, Kind: gvk.Kind})
		return last == nil || meta.IsNoMatchError(last), nil
	})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrDiscovery, last)
	}
	return last
}

// NewForManager builds the Argo engine on the manager's clients: reads through its cache, compiles with the
// translator, and stops canceled runs' Jobs as the workflow's executor ServiceAccount.
func NewForManager(mgr manager.Manager) *Engine {
	return &Engine{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Compiler: TranslatorCompiler{},
		Executor: &ImpersonatingClients{Config: mgr.GetConfig(), Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper()}}
}

// WorkflowSource wakes an execution when an Argo Workflow it controls changes (the engine makes the
// execution each Workflow's controller owner): what builder.Owns would watch. Only when Served.
func WorkflowSource(mgr manager.Manager) source.Source {
	return source.Kind(mgr.GetCache(), &wfv1.Workflow{},
		handler.TypedEnqueueRequestForOwner[*wfv1.Workflow](mgr.GetScheme(), mgr.GetRESTMapper(),
			&v1alpha1.DRPlanExecution{}, handler.OnlyControllerOwner()))
}

// TaskSetSource wakes the execution of a Workflow held after a FailFast failure when Argo's agent records an
// http result in the Workflow's task set: under spec.suspend Argo does not copy it into the Workflow, so no
// Workflow event would tell the operator that nothing runs any more (failfast.go). Other task sets wake
// nothing. Only when the WorkflowTaskSet CRD is served (TaskSetServed).
func TaskSetSource(mgr manager.Manager) source.Source {
	cl := mgr.GetClient()
	return source.Kind(mgr.GetCache(), &wfv1.WorkflowTaskSet{},
		handler.TypedEnqueueRequestsFromMapFunc(func(ctx context.Context, ts *wfv1.WorkflowTaskSet) []reconcile.Request {
			wf := &wfv1.Workflow{}
			if err := cl.Get(ctx, types.NamespacedName{Namespace: ts.Namespace, Name: ts.Name}, wf); err != nil {
				return nil
			}
			if _, held := wf.Annotations[v1alpha1.AnnotationFailFastHold]; !held {
				return nil
			}
			owner := metav1.GetControllerOf(wf)
			if owner == nil || owner.Kind != "DRPlanExecution" || owner.APIVersion != v1alpha1.GroupVersion.String() {
				return nil
			}
			return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: wf.Namespace, Name: owner.Name}}}
		}))
}

// TaskSetServed returns nil when the API server serves Argo's WorkflowTaskSet CRD, else why not.
func TaskSetServed(mapper meta.RESTMapper) error {
	_, err := mapper.RESTMapping(schema.GroupKind{Group: wfv1.SchemeGroupVersion.Group, Kind: "WorkflowTaskSet"})
	return err
}
