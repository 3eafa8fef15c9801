package controller

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/translator"
)

// DRWorkflowReconciler validates DRWorkflows with the translator and publishes the verdict as the Ready
// condition, status.phase and status.actionCount. It never runs anything.
type DRWorkflowReconciler struct {
	client.Client
	Recorder events.EventRecorder
	// Now is the clock for condition transition times; time.Now when nil.
	Now func() time.Time
}

// +kubebuilder:rbac:groups=dr.bkbcs.tencent.com,resources=drworkflows,verbs=get;list;watch
// +kubebuilder:rbac:groups=dr.bkbcs.tencent.com,resources=drworkflows/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile validates one DRWorkflow and writes its status once, only when it changed.
func (r *DRWorkflowReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	wf := &drv1.DRWorkflow{}
	if err := r.Get(ctx, req.NamespacedName, wf); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !wf.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	before := wf.DeepCopy()
	defer func() {
		if retErr != nil || !statusChanged(before.Status, wf.Status) {
			return
		}
		result, retErr = patchStatus(ctx, r.Client, before, wf)
		if c, ok := readyTransition(before.Status.Conditions, wf.Status.Conditions); ok && retErr == nil && result.IsZero() {
			recordTransition(r.Recorder, wf, c)
		}
	}()

	wf.Status = computeWorkflowStatus(wf, translator.ValidateWorkflow(wf), metav1.NewTime(now(r.Now)))
	log.FromContext(ctx).V(1).Info("validated", "phase", wf.Status.Phase)
	return ctrl.Result{}, nil
}

// computeWorkflowStatus is the status a DRWorkflow gets for the validation errors errs. It keeps the
// transition time of an unchanged Ready condition.
func computeWorkflowStatus(wf *drv1.DRWorkflow, errs field.ErrorList, now metav1.Time) drv1.DRWorkflowStatus {
	st := *wf.Status.DeepCopy()
	st.ObservedGeneration = wf.Generation
	st.ActionCount = int32(len(wf.Spec.Actions))
	if len(errs) == 0 {
		st.Phase = drv1.DRWorkflowReady
		setCondition(&st.Conditions, readyCondition(metav1.ConditionTrue, drv1.ReasonValid,
			fmt.Sprintf("workflow is valid: %d %s", len(wf.Spec.Actions), plural(len(wf.Spec.Actions), "action", "actions")),
			wf.Generation, now))
		return st
	}
	st.Phase = drv1.DRWorkflowInvalid
	setCondition(&st.Conditions, readyCondition(metav1.ConditionFalse, drv1.ReasonInvalid,
		"workflow is invalid: "+formatErrors(errs), wf.Generation, now))
	return st
}

// workflowReady reports whether wf is valid and why not. A status that does not describe the current
// generation yet is not trusted: the workflow is validated here instead, so a plan created together with its
// workflows does not flap to not-ready while their reconciler catches up.
func workflowReady(wf *drv1.DRWorkflow) (bool, string) {
	if wf.Status.ObservedGeneration == wf.Generation {
		for _, c := range wf.Status.Conditions {
			if c.Type == drv1.ConditionReady && c.ObservedGeneration == wf.Generation {
				return c.Status == metav1.ConditionTrue, c.Message
			}
		}
	}
	if errs := translator.ValidateWorkflow(wf); len(errs) > 0 {
		return false, "workflow is invalid: " + formatErrors(errs)
	}
	return true, ""
}

// SetupWithManager registers the reconciler. Only spec changes (generation) trigger it; its own status
// writes do not.
func (r *DRWorkflowReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&drv1.DRWorkflow{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Named("drworkflow").
		Complete(r)
}

func now(clock func() time.Time) time.Time {
	if clock == nil {
		return time.Now()
	}
	return clock()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
