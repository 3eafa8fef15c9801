package argoexec

import (
	"context"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// Served returns nil when the API server serves Argo's Workflow CRD, else why not: without it the Argo
// engine cannot run anything, and its watch could not start.
func Served(mapper meta.RESTMapper) error {
	gvk := wfv1.WorkflowSchemaGroupVersionKind
	_, err := mapper.RESTMapping(schema.GroupKind{Group: gvk.Group, Kind: gvk.Kind})
	return err
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
