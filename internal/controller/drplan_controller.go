package controller

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/translator"
)

// IndexPlanWorkflowRefs indexes DRPlans by the DRWorkflows they reference, as "<namespace>/<name>" with the
// namespace filled in, so a change of a workflow finds its plans without listing every plan.
const IndexPlanWorkflowRefs = "drplan.workflowRefs"

// DRPlanReconciler validates DRPlans: the plan itself (translator.ValidatePlan) and every DRWorkflow it
// references (exists and is Ready). It owns the Ready condition, observedGeneration and phase Ready/Invalid;
// the execution reconciler owns currentExecution, lastExecution*, executionHistory and phase Executed.
type DRPlanReconciler struct {
	client.Client
	Recorder events.EventRecorder
	// NoCrossNamespaceRefs makes a plan referencing another namespace's DRWorkflow Invalid.
	NoCrossNamespaceRefs bool
	// Now is the clock for condition transition times; time.Now when nil.
	Now func() time.Time
}

// +kubebuilder:rbac:groups=dr.bkbcs.tencent.com,resources=drplans,verbs=get;list;watch
// +kubebuilder:rbac:groups=dr.bkbcs.tencent.com,resources=drplans/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=dr.bkbcs.tencent.com,resources=drworkflows,verbs=get;list;watch

// Reconcile validates one DRPlan and writes its status once, only when it changed.
func (r *DRPlanReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	plan := &drv1.DRPlan{}
	if err := r.Get(ctx, req.NamespacedName, plan); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !plan.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	before := plan.DeepCopy()
	defer func() {
		if retErr != nil || !statusChanged(before.Status, plan.Status) {
			return
		}
		result, retErr = patchStatus(ctx, r.Client, before, plan)
		if c, ok := readyTransition(before.Status.Conditions, plan.Status.Conditions); ok && retErr == nil && result.IsZero() {
			recordTransition(r.Recorder, plan, c)
		}
	}()

	refs, found, err := r.checkWorkflows(ctx, plan)
	if err != nil {
		return ctrl.Result{}, err
	}
	errs := translator.ValidatePlan(plan)
	if len(errs) == 0 {
		errs = translator.ValidateParamNames(plan, entryWorkflows(plan, found), nil)
	}
	if r.NoCrossNamespaceRefs {
		errs = append(errs, plan.CrossNamespaceRefErrors()...)
	}
	plan.Status = computePlanStatus(plan, errs, refs, metav1.NewTime(now(r.Now)))
	log.FromContext(ctx).V(1).Info("validated", "phase", plan.Status.Phase)
	return ctrl.Result{}, nil
}

// workflowCheck is what the reconciler found for one referenced DRWorkflow.
type workflowCheck struct {
	Ref     types.NamespacedName
	Found   bool
	Ready   bool
	Message string
}

// checkWorkflows looks up every distinct DRWorkflow the plan references, in reference order, and returns
// the Ready ones too (what an invalid workflow declares is not trusted).
func (r *DRPlanReconciler) checkWorkflows(ctx context.Context, plan *drv1.DRPlan) ([]workflowCheck, map[types.NamespacedName]*drv1.DRWorkflow, error) {
	var out []workflowCheck
	found := map[types.NamespacedName]*drv1.DRWorkflow{}
	for _, ref := range planWorkflowRefs(plan) {
		wf := &drv1.DRWorkflow{}
		err := r.Get(ctx, ref, wf)
		switch {
		case apierrors.IsNotFound(err):
			out = append(out, workflowCheck{Ref: ref})
		case err != nil:
			return nil, nil, fmt.Errorf("reading DRWorkflow %s: %w", ref, err)
		default:
			ready, msg := workflowReady(wf)
			if ready {
				found[ref] = wf
			}
			out = append(out, workflowCheck{Ref: ref, Found: true, Ready: ready, Message: msg})
		}
	}
	return out, found, nil
}

// entryWorkflows looks up the DRWorkflow of each stage entry among the ones found (nil when not found).
func entryWorkflows(plan *drv1.DRPlan, found map[types.NamespacedName]*drv1.DRWorkflow) func(i, j int) *drv1.DRWorkflow {
	return func(i, j int) *drv1.DRWorkflow {
		ref := plan.Spec.Stages[i].Workflows[j].WorkflowRef
		return found[types.NamespacedName{Namespace: ref.NamespaceOr(plan.Namespace), Name: ref.Name}]
	}
}

// planWorkflowRefs lists the distinct DRWorkflows a plan references, namespaces filled in, in plan order.
func planWorkflowRefs(plan *drv1.DRPlan) []types.NamespacedName {
	seen := map[types.NamespacedName]bool{}
	var refs []types.NamespacedName
	for _, st := range plan.Spec.Stages {
		for _, e := range st.Workflows {
			if e.WorkflowRef.Name == "" {
				continue
			}
			ref := types.NamespacedName{Namespace: e.WorkflowRef.NamespaceOr(plan.Namespace), Name: e.WorkflowRef.Name}
			if !seen[ref] {
				seen[ref] = true
				refs = append(refs, ref)
			}
		}
	}
	return refs
}

// computePlanStatus is the status a DRPlan gets for its own validation errors and what was found of its
// workflows. Fields owned by the execution reconciler are carried over untouched.
func computePlanStatus(plan *drv1.DRPlan, errs field.ErrorList, workflows []workflowCheck, now metav1.Time) drv1.DRPlanStatus {
	st := *plan.Status.DeepCopy()
	st.ObservedGeneration = plan.Generation

	var missing, invalid []string
	for _, w := range workflows {
		switch {
		case !w.Found:
			missing = append(missing, w.Ref.String())
		case !w.Ready:
			msg := w.Ref.String()
			if w.Message != "" {
				msg += " (" + w.Message + ")"
			}
			invalid = append(invalid, msg)
		}
	}

	var cond metav1.Condition
	switch {
	case len(errs) > 0:
		cond = readyCondition(metav1.ConditionFalse, drv1.ReasonInvalid, "plan is invalid: "+formatErrors(errs), plan.Generation, now)
	case len(missing) > 0:
		cond = readyCondition(metav1.ConditionFalse, drv1.ReasonWorkflowNotFound,
			fmt.Sprintf("DRWorkflow %s not found", joinNames(missing))+alsoInvalid(invalid), plan.Generation, now)
	case len(invalid) > 0:
		cond = readyCondition(metav1.ConditionFalse, drv1.ReasonWorkflowInvalid,
			fmt.Sprintf("DRWorkflow %s not ready", strings.Join(invalid, "; ")), plan.Generation, now)
	default:
		cond = readyCondition(metav1.ConditionTrue, drv1.ReasonValid,
			fmt.Sprintf("plan is valid: %d %s, %d %s ready", len(plan.Spec.Stages), plural(len(plan.Spec.Stages), "stage", "stages"),
				len(workflows), plural(len(workflows), "workflow", "workflows")), plan.Generation, now)
	}
	setCondition(&st.Conditions, cond)

	switch {
	case cond.Status != metav1.ConditionTrue:
		st.Phase = drv1.DRPlanInvalid
	case st.Phase == drv1.DRPlanExecuted || st.LastExecutionRef != nil:
		st.Phase = drv1.DRPlanExecuted
	default:
		st.Phase = drv1.DRPlanReady
	}
	return st
}

func joinNames(names []string) string {
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	return strings.Join(sorted, ", ")
}

func alsoInvalid(invalid []string) string {
	if len(invalid) == 0 {
		return ""
	}
	return "; DRWorkflow " + strings.Join(invalid, "; ") + " not ready"
}

// SetupWithManager registers the reconciler, the workflow-reference index and the DRWorkflow watch.
func (r *DRPlanReconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager) error {
	if err := mgr.GetFieldIndexer().IndexField(ctx, &drv1.DRPlan{}, IndexPlanWorkflowRefs, func(o client.Object) []string {
		plan := o.(*drv1.DRPlan)
		refs := planWorkflowRefs(plan)
		keys := make([]string, 0, len(refs))
		for _, ref := range refs {
			keys = append(keys, ref.String())
		}
		return keys
	}); err != nil {
		return fmt.Errorf("indexing DRPlans by workflow: %w", err)
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&drv1.DRPlan{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&drv1.DRWorkflow{}, handler.EnqueueRequestsFromMapFunc(r.plansForWorkflow),
			builder.WithPredicates(workflowVerdictChanged{})).
		Named("drplan").
		Complete(r)
}

// plansForWorkflow maps a DRWorkflow to the plans that reference it.
func (r *DRPlanReconciler) plansForWorkflow(ctx context.Context, o client.Object) []reconcile.Request {
	plans := &drv1.DRPlanList{}
	key := types.NamespacedName{Namespace: o.GetNamespace(), Name: o.GetName()}.String()
	if err := r.List(ctx, plans, client.MatchingFields{IndexPlanWorkflowRefs: key}); err != nil {
		log.FromContext(ctx).Error(err, "listing plans of a workflow", "workflow", key)
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(plans.Items))
	for i := range plans.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&plans.Items[i])})
	}
	return reqs
}

// workflowVerdictChanged passes DRWorkflow events that can change a plan's verdict: creation, deletion, a
// new generation, and a change of the Ready condition.
type workflowVerdictChanged struct {
	predicate.Funcs
}

func (workflowVerdictChanged) Update(e event.UpdateEvent) bool {
	oldWf, ok1 := e.ObjectOld.(*drv1.DRWorkflow)
	newWf, ok2 := e.ObjectNew.(*drv1.DRWorkflow)
	if !ok1 || !ok2 {
		return true
	}
	if oldWf.Generation != newWf.Generation || oldWf.Status.ObservedGeneration != newWf.Status.ObservedGeneration {
		return true
	}
	o := meta.FindStatusCondition(oldWf.Status.Conditions, drv1.ConditionReady)
	n := meta.FindStatusCondition(newWf.Status.Conditions, drv1.ConditionReady)
	if (o == nil) != (n == nil) {
		return true
	}
	return o != nil && (o.Status != n.Status || o.Message != n.Message)
}
