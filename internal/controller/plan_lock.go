package controller

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// errLockConflict means the plan changed under a lock write: retry from a fresh read.
var errLockConflict = errors.New("plan status changed concurrently")

// acquirePlanLock takes the plan's lock (status.currentExecution) for ex with optimistic concurrency: of
// two executions racing for a free plan exactly one write succeeds, the other gets a conflict and, on its
// next reconcile, sees the holder. It returns the holder's name when another live execution holds it.
// A lock held by an execution that is gone or finished is stale and taken over.
func (r *DRPlanExecutionReconciler) acquirePlanLock(ctx context.Context, plan *drv1.DRPlan, ex *drv1.DRPlanExecution) (string, error) {
	cur := plan.Status.CurrentExecution
	if cur != nil && cur.Name == ex.Name {
		return "", nil
	}
	if cur != nil {
		other := &drv1.DRPlanExecution{}
		err := r.APIReader.Get(ctx, types.NamespacedName{Namespace: cur.NamespaceOr(plan.Namespace), Name: cur.Name}, other)
		switch {
		case err == nil && !other.Status.Phase.IsTerminal() && other.DeletionTimestamp == nil:
			return cur.Name, nil
		case err != nil && !apierrors.IsNotFound(err):
			return "", fmt.Errorf("reading the lock holder %s: %w", cur.Name, err)
		}
	}
	before := plan.DeepCopy()
	plan.Status.CurrentExecution = &drv1.ObjectReference{Name: ex.Name, Namespace: ex.Namespace}
	if err := r.Status().Patch(ctx, plan, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
		if apierrors.IsConflict(err) {
			return "", errLockConflict
		}
		return "", fmt.Errorf("taking the lock of DRPlan %s: %w", plan.Name, err)
	}
	r.countWrite()
	return "", nil
}

// heldLock reports whether a finished execution ever held its plan's lock (a rejected concurrent one did not).
func heldLock(ex *drv1.DRPlanExecution) bool {
	if ex.Spec.GetOperationType() == drv1.OperationPrecheck {
		return false // a Precheck never takes the lock; it is recorded as lastPrecheck instead
	}
	c := meta.FindStatusCondition(ex.Status.Conditions, drv1.ConditionCompleted)
	return c == nil || (c.Reason != drv1.ReasonConcurrentExecution && c.Reason != drv1.ReasonPlanNotFound &&
		c.Reason != drv1.ReasonPrecheckRequired)
}

// releasePlanLock records a finished execution on its plan (lastExecutionRef, lastExecutionTime, bounded
// executionHistory newest first, phase Executed) and clears currentExecution if ex holds it. Idempotent:
// nothing is written when the plan already shows it.
func (r *DRPlanExecutionReconciler) releasePlanLock(ctx context.Context, ex *drv1.DRPlanExecution) error {
	plan := &drv1.DRPlan{}
	if err := r.Get(ctx, types.NamespacedName{Namespace: ex.Namespace, Name: ex.Spec.PlanRef}, plan); err != nil {
		return client.IgnoreNotFound(err)
	}
	before := plan.DeepCopy()
	st := &plan.Status
	if cur := st.CurrentExecution; cur != nil && cur.Name == ex.Name {
		st.CurrentExecution = nil
	}
	if heldLock(ex) && ex.Status.Phase.IsTerminal() {
		recorded := false
		for _, h := range st.ExecutionHistory {
			if h.Name == ex.Name {
				recorded = true
			}
		}
		if !recorded {
			rec := drv1.ExecutionRecord{Name: ex.Name, OperationType: ex.Spec.GetOperationType(), Phase: ex.Status.Phase,
				StartTime: ex.Status.StartTime.DeepCopy(), CompletionTime: ex.Status.CompletionTime.DeepCopy()}
			st.ExecutionHistory = append([]drv1.ExecutionRecord{rec}, st.ExecutionHistory...)
			if limit := int(plan.Spec.GetExecutionHistoryLimit()); len(st.ExecutionHistory) > limit {
				st.ExecutionHistory = st.ExecutionHistory[:limit]
			}
			st.LastExecutionRef = &drv1.ObjectReference{Name: ex.Name, Namespace: ex.Namespace}
			st.LastExecutionTime = ex.Status.CompletionTime.DeepCopy()
			if st.Phase != drv1.DRPlanInvalid {
				st.Phase = drv1.DRPlanExecuted
			}
		}
	}
	if ex.Spec.GetOperationType() == drv1.OperationPrecheck && ex.Status.Phase.IsTerminal() {
		if rec := precheckRecord(ex); replacesPrecheck(st.LastPrecheck, rec) {
			st.LastPrecheck = &rec
		}
	}
	if !statusChanged(before.Status, plan.Status) {
		return nil
	}
	if err := r.Status().Patch(ctx, plan, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
		if apierrors.IsConflict(err) {
			return errLockConflict
		}
		return client.IgnoreNotFound(err)
	}
	r.countWrite()
	return nil
}
