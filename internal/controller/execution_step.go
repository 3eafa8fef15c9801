package controller

import (
	"context"
	"errors"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/internal/engine"
)

// step computes ex.Status one step further: it reads the plan, decides with the pure functions of
// execution_plan.go and execution_ending.go, and acts through the engines. Errors are transient; terminal
// outcomes are status, not errors.
func (r *DRPlanExecutionReconciler) step(ctx context.Context, ex *drv1.DRPlanExecution) error {
	now := r.now()
	st := &ex.Status
	st.ObservedGeneration = ex.Generation
	defer notePause(ex, now)
	plan, err := r.plan(ctx, ex)
	switch {
	case err != nil:
		return err
	case plan == nil:
		return r.endPlanGone(ctx, ex, now)
	case ex.IsCancelRequested():
		return r.cancel(ctx, ex, canceledEnding(), "canceled", now)
	case ex.Spec.GetOperationType() == drv1.OperationPrecheck:
		return r.runPrecheck(ctx, ex, plan, now)
	case st.Phase == "" || st.Phase == drv1.ExecutionPending:
		if ended, err := r.begin(ctx, ex, plan, now); ended || err != nil {
			return err
		}
	}
	switch currentList(ex) {
	case listRevert:
		err = r.runRevert(ctx, ex, plan, now)
	case listForward:
		err = r.runForward(ctx, ex, plan, now)
	default:
		err = r.runRollback(ctx, ex, plan, now)
	}
	if !st.Phase.IsTerminal() {
		settlePickedUp(st, ex.Generation, now)
	}
	if xerr := r.noteExternalChanges(ctx, ex, now); err == nil {
		err = xerr
	}
	return err
}

// plan reads the execution's plan; nil when it does not exist.
func (r *DRPlanExecutionReconciler) plan(ctx context.Context, ex *drv1.DRPlanExecution) (*drv1.DRPlan, error) {
	plan := &drv1.DRPlan{}
	err := r.Get(ctx, types.NamespacedName{Namespace: ex.Namespace, Name: ex.Spec.PlanRef}, plan)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return plan, nil
}

// endPlanGone fails an execution whose plan does not exist; a running one has its runs stopped first (the
// webhook forbids deleting a plan under a run; without the webhook, this is the guard).
func (r *DRPlanExecutionReconciler) endPlanGone(ctx context.Context, ex *drv1.DRPlanExecution, now metav1.Time) error {
	end := planGoneEnding(ex.Namespace, ex.Spec.PlanRef, ex.Status.Phase == drv1.ExecutionRunning)
	if ex.Status.Phase != drv1.ExecutionRunning {
		endExecution(&ex.Status, end, ex.Generation, now)
		return nil
	}
	return r.cancel(ctx, ex, end, end.message, now)
}

// cancel stops every started run, marks everything unfinished Canceled with msg, and ends the execution.
func (r *DRPlanExecutionReconciler) cancel(ctx context.Context, ex *drv1.DRPlanExecution, end ending, msg string, now metav1.Time) error {
	if err := r.cancelRuns(ctx, ex); err != nil {
		return err
	}
	cancelStages(ex.Status.StageStatuses, now, msg)
	cancelStages(ex.Status.RollbackStageStatuses, now, msg)
	r.summarize(ex)
	endExecution(&ex.Status, end, ex.Generation, now)
	return nil
}

// begin takes the plan's lock and builds the execution's stages. It reports whether the execution ended.
func (r *DRPlanExecutionReconciler) begin(ctx context.Context, ex *drv1.DRPlanExecution, plan *drv1.DRPlan, now metav1.Time) (bool, error) {
	ex.Status.PlanGeneration = plan.Generation
	if ex.Spec.GetOperationType() == drv1.OperationExecute {
		// Refused before the lock: the webhook refuses it first; this is the guard without the webhook.
		if msg, err := r.precheckRefusal(ctx, plan); err != nil || msg != "" {
			if msg != "" {
				endExecution(&ex.Status, ending{phase: drv1.ExecutionFailed, reason: drv1.ReasonPrecheckRequired, message: msg}, ex.Generation, now)
			}
			return true, err
		}
	}
	holder, err := r.acquirePlanLock(ctx, plan, ex)
	if err != nil {
		return true, err
	}
	if holder != "" {
		endExecution(&ex.Status, concurrentEnding(plan.Name, holder), ex.Generation, now)
		return true, nil
	}
	if ex.Spec.GetOperationType() == drv1.OperationRevert {
		return r.startRevert(ctx, ex, plan, now)
	}
	return r.startForward(ctx, ex, plan, now)
}

// runRevert advances a Revert's reverse runs and ends it once they settle.
func (r *DRPlanExecutionReconciler) runRevert(ctx context.Context, ex *drv1.DRPlanExecution, plan *drv1.DRPlan, now metav1.Time) error {
	target, err := r.revertTarget(ctx, ex)
	if err != nil {
		return err
	}
	var recorded []drv1.StageStatus
	if target != nil {
		recorded = target.Status.StageStatuses
	}
	settled, err := r.advance(ctx, ex, plan, ex.Status.StageStatuses, engine.Reverse, recorded, false)
	r.summarize(ex)
	if settled {
		endExecution(&ex.Status, settledEnding(ex.Status.StageStatuses), ex.Generation, now)
	}
	return err
}

// runForward advances an Execute's stages under the plan's failure policy. Once they settle it ends, or
// under Rollback with a failure it starts undoing everything that succeeded.
func (r *DRPlanExecutionReconciler) runForward(ctx context.Context, ex *drv1.DRPlanExecution, plan *drv1.DRPlan, now metav1.Time) error {
	st := &ex.Status
	policy := plan.Spec.GetFailurePolicy()
	settled, err := r.advance(ctx, ex, plan, st.StageStatuses, engine.Forward, nil, true)
	r.summarize(ex)
	switch {
	case !settled:
		return err
	case !rollsBack(policy, st.StageStatuses):
		endExecution(st, settledEnding(st.StageStatuses), ex.Generation, now)
		return err
	}
	st.RollbackStageStatuses = reverseStages(plan, st.StageStatuses)
	if len(st.RollbackStageStatuses) == 0 {
		endExecution(st, nothingToRollBack(st.StageStatuses), ex.Generation, now)
		return err
	}
	r.prepareReverse(ctx, ex, st.RollbackStageStatuses, st.StageStatuses, now)
	st.Message = rollingBackMessage(st.StageStatuses)
	return errors.Join(err, r.runRollback(ctx, ex, plan, now))
}

// runRollback advances the undo of a failed Execute and ends it once that settles.
func (r *DRPlanExecutionReconciler) runRollback(ctx context.Context, ex *drv1.DRPlanExecution, plan *drv1.DRPlan, now metav1.Time) error {
	st := &ex.Status
	settled, err := r.advance(ctx, ex, plan, st.RollbackStageStatuses, engine.Reverse, st.StageStatuses, false)
	r.summarize(ex)
	if settled {
		endExecution(st, rollbackEnding(st.StageStatuses, st.RollbackStageStatuses), ex.Generation, now)
	}
	return err
}

func (r *DRPlanExecutionReconciler) summarize(ex *drv1.DRPlanExecution) {
	s, p := summarize(ex.Status.StageStatuses, ex.Status.RollbackStageStatuses)
	ex.Status.Summary, ex.Status.Progress = &s, p
}

// revertTarget reads the execution a Revert undoes (nil when it does not exist).
func (r *DRPlanExecutionReconciler) revertTarget(ctx context.Context, ex *drv1.DRPlanExecution) (*drv1.DRPlanExecution, error) {
	t := &drv1.DRPlanExecution{}
	err := r.Get(ctx, types.NamespacedName{Namespace: ex.Namespace, Name: ex.Spec.RevertExecutionRef}, t)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return t, nil
}

func errMsg(err error) string {
	if apierrors.IsNotFound(err) {
		return "not found"
	}
	return err.Error()
}
