package argoexec

import (
	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/manager"
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
