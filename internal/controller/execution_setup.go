package controller

import (
	ctrl "sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/internal/engine"
	"github.com/drplan/drplan-operator/internal/precheck"
)

// +kubebuilder:rbac:groups=dr.bkbcs.tencent.com,resources=drplanexecutions,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=dr.bkbcs.tencent.com,resources=drplanexecutions/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=dr.bkbcs.tencent.com,resources=drplanexecutions/finalizers,verbs=update
// +kubebuilder:rbac:groups=dr.bkbcs.tencent.com,resources=drplans,verbs=get;list;watch
// +kubebuilder:rbac:groups=dr.bkbcs.tencent.com,resources=drplans/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=dr.bkbcs.tencent.com,resources=drworkflows,verbs=get;list;watch
// +kubebuilder:rbac:groups=argoproj.io,resources=workflows,verbs=get;list;watch;create;patch;update
// +kubebuilder:rbac:groups=argoproj.io,resources=workflowtasksets,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// SetupExecutionReconciler builds the execution reconciler on opts.Engines and registers it.
func SetupExecutionReconciler(mgr manager.Manager, opts Options) error {
	r, err := NewExecutionReconciler(mgr, opts)
	if err != nil {
		return err
	}
	return r.SetupWithManager(mgr)
}

// NewExecutionReconciler builds the execution reconciler on the manager's clients and the engines the
// caller built (opts.Engines).
func NewExecutionReconciler(mgr manager.Manager, opts Options) (*DRPlanExecutionReconciler, error) {
	if err := opts.Engines.check(); err != nil {
		return nil, err
	}
	if opts.EventRecorderName == "" {
		opts.EventRecorderName = "drplan-operator"
	}
	return &DRPlanExecutionReconciler{
		Client:               mgr.GetClient(),
		APIReader:            mgr.GetAPIReader(),
		Recorder:             mgr.GetEventRecorder(opts.EventRecorderName),
		Engines:              opts.Engines.ByType,
		Sources:              opts.Engines.Sources,
		DefaultEngine:        opts.Engines.Default,
		NoCrossNamespaceRefs: opts.NoCrossNamespaceRefs,
		ArgoUIURL:            opts.ArgoUIURL,
		Executor:             &engine.ImpersonatingClients{Config: mgr.GetConfig(), Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper()},
		Prechecker:           &precheck.Checker{Config: mgr.GetConfig(), Mapper: mgr.GetRESTMapper()},
	}, nil
}

// SetupWithManager watches executions and the engines' sources (the Argo Workflows executions own, the
// native engine's progress).
func (r *DRPlanExecutionReconciler) SetupWithManager(mgr manager.Manager) error {
	if r.MaxConcurrentReconciles == 0 {
		r.MaxConcurrentReconciles = 8
	}
	// Our own status writes do not wake us: only spec (generation, which deletion bumps too) and annotation
	// (cancel) changes of the execution, and what the engines' sources report.
	b := ctrl.ControllerManagedBy(mgr).
		For(&drv1.DRPlanExecution{}, ctrl.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{},
			predicate.AnnotationChangedPredicate{}))).
		Named("drplanexecution").
		WithOptions(controller.Options{MaxConcurrentReconciles: r.MaxConcurrentReconciles})
	for _, src := range r.Sources {
		b = b.WatchesRawSource(src)
	}
	return b.Complete(r)
}
