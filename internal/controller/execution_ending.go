package controller

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// How an execution ends, as plain functions of its status: the terminal phase, the reason of its
// Completed condition and its message, and with failurePolicy Rollback the RolledBack condition.

// ending is how an execution ends.
type ending struct {
	phase   drv1.ExecutionPhase
	reason  string
	message string
	// rolledBack, when set, is the RolledBack condition written with the ending (Type is filled in).
	rolledBack *metav1.Condition
}

// endExecution writes an ending into the status.
func endExecution(st *drv1.DRPlanExecutionStatus, e ending, gen int64, now metav1.Time) {
	if e.rolledBack != nil {
		c := *e.rolledBack
		c.Type, c.ObservedGeneration, c.LastTransitionTime = drv1.ConditionRolledBack, gen, now
		meta.SetStatusCondition(&st.Conditions, c)
	}
	setTerminal(st, e.phase, e.reason, e.message, gen, now)
}

// settledEnding ends an execution whose stages settled: Succeeded when every stage did, else Failed
// naming the first failure.
func settledEnding(stages []drv1.StageStatus) ending {
	if allSucceeded(stages) {
		return ending{phase: drv1.ExecutionSucceeded, reason: drv1.ReasonSucceeded, message: "succeeded"}
	}
	return ending{phase: drv1.ExecutionFailed, reason: drv1.ReasonFailed, message: "failed: " + firstFailure(stages)}
}

// nothingToRollBack ends a failed execution under failurePolicy Rollback in which no action had succeeded.
func nothingToRollBack(forward []drv1.StageStatus) ending {
	return ending{phase: drv1.ExecutionFailed, reason: drv1.ReasonFailed, message: "failed: " + firstFailure(forward),
		rolledBack: &metav1.Condition{Status: metav1.ConditionTrue, Reason: drv1.ReasonRolledBack,
			Message: "nothing had succeeded: nothing to roll back"}}
}

// rollingBackMessage is the execution's message while it undoes a failed forward run.
func rollingBackMessage(forward []drv1.StageStatus) string {
	return "rolling back: " + firstFailure(forward)
}

// rollbackEnding ends an execution whose rollback stages settled: Failed either way, with RolledBack True
// when every rollback stage succeeded, else False naming the rollback's own failure too.
func rollbackEnding(forward, rollback []drv1.StageStatus) ending {
	cause := firstFailure(forward)
	if allSucceeded(rollback) {
		msg := "rolled back after failure: " + cause
		return ending{phase: drv1.ExecutionFailed, reason: drv1.ReasonRolledBack, message: msg,
			rolledBack: &metav1.Condition{Status: metav1.ConditionTrue, Reason: drv1.ReasonRolledBack, Message: msg}}
	}
	msg := "rollback failed (" + firstFailure(rollback) + ") after failure: " + cause
	return ending{phase: drv1.ExecutionFailed, reason: drv1.ReasonRollbackFailed, message: msg,
		rolledBack: &metav1.Condition{Status: metav1.ConditionFalse, Reason: drv1.ReasonRollbackFailed, Message: msg}}
}

// startEnding ends an execution whose start found bad parameters or workflows (nil when it found none):
// parameter errors first, naming every offender, then workflows that are missing or do not compile.
func startEnding(paramErrs, wfErrs []string, wfNotFound bool) *ending {
	switch {
	case len(paramErrs) > 0:
		return &ending{phase: drv1.ExecutionFailed, reason: drv1.ReasonParamsInvalid,
			message: "invalid parameters, nothing was run: " + joinErrors(append(paramErrs, wfErrs...))}
	case len(wfErrs) > 0:
		reason := drv1.ReasonWorkflowInvalid
		if wfNotFound {
			reason = drv1.ReasonWorkflowNotFound
		}
		return &ending{phase: drv1.ExecutionFailed, reason: reason, message: "nothing was run: " + joinErrors(wfErrs)}
	}
	return nil
}

// concurrentEnding ends an execution that found its plan run by another live execution.
func concurrentEnding(plan, holder string) ending {
	return ending{phase: drv1.ExecutionFailed, reason: drv1.ReasonConcurrentExecution,
		message: fmt.Sprintf("DRPlan %s is being run by execution %s; at most one execution of a plan runs at a time", plan, holder)}
}

// planGoneEnding ends an execution whose plan does not exist; running tells it was deleted under a run.
func planGoneEnding(namespace, plan string, running bool) ending {
	msg := fmt.Sprintf("DRPlan %s/%s not found", namespace, plan)
	if running {
		msg = "the plan was deleted while running: " + msg
	}
	return ending{phase: drv1.ExecutionFailed, reason: drv1.ReasonPlanNotFound, message: msg}
}

// canceledEnding ends an execution canceled by its annotation.
func canceledEnding() ending {
	return ending{phase: drv1.ExecutionCanceled, reason: drv1.ReasonCanceled, message: "canceled by annotation " + drv1.AnnotationCancel}
}

// checkRevertTarget applies the revert rules: an Execute of the same plan that ended Succeeded or Failed.
// It returns what is wrong, or "".
func checkRevertTarget(ex, target *drv1.DRPlanExecution) string {
	switch {
	case target.Spec.PlanRef != ex.Spec.PlanRef:
		return fmt.Sprintf("revert target %s ran plan %s, not %s", target.Name, target.Spec.PlanRef, ex.Spec.PlanRef)
	case target.Spec.GetOperationType() != drv1.OperationExecute:
		return fmt.Sprintf("revert target %s is a %s; only an Execute can be reverted", target.Name, target.Spec.GetOperationType())
	case target.Status.Phase != drv1.ExecutionSucceeded && target.Status.Phase != drv1.ExecutionFailed:
		return fmt.Sprintf("revert target %s is %s; it must have ended Succeeded or Failed", target.Name, phaseOrPending(target.Status.Phase))
	}
	return ""
}

func phaseOrPending(p drv1.ExecutionPhase) drv1.ExecutionPhase {
	if p == "" {
		return drv1.ExecutionPending
	}
	return p
}

// revertTargetProblem says why a Revert cannot run against target (nil when it does not exist), or "" when
// it can.
func revertTargetProblem(ex, target *drv1.DRPlanExecution) string {
	if target == nil {
		return "revert target not found"
	}
	return checkRevertTarget(ex, target)
}

// nothingToRevert ends a Revert whose target had no action succeed: there is nothing to undo.
func nothingToRevert(target string) ending {
	return ending{phase: drv1.ExecutionSucceeded, reason: drv1.ReasonSucceeded,
		message: fmt.Sprintf("nothing to revert: no action of %s succeeded", target)}
}
