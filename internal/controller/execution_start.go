package controller

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/internal/engine"
	"github.com/drplan/drplan-operator/translator"
)

// The start of an execution: its stage statuses are built before anything runs. Every entry's parameters
// are resolved and its run compiled, so a bad parameter or template fails the execution naming every
// offender, and nothing half-runs.

// startForward builds an Execute's stages from its plan. It reports whether the execution ended.
func (r *DRPlanExecutionReconciler) startForward(ctx context.Context, ex *drv1.DRPlanExecution, plan *drv1.DRPlan, now metav1.Time) bool {
	st := &ex.Status
	var paramErrs, wfErrs []string
	notFound := false
	st.StageStatuses = make([]drv1.StageStatus, len(plan.Spec.Stages))
	for i := range plan.Spec.Stages {
		stage := &plan.Spec.Stages[i]
		ss := drv1.StageStatus{Name: stage.Name, Phase: drv1.ExecutionPending}
		for j := range stage.Workflows {
			ref := stage.Workflows[j].WorkflowRef
			ref.Namespace = ref.NamespaceOr(plan.Namespace)
			e := drv1.WorkflowExecutionStatus{WorkflowRef: ref, Index: int32(j), Phase: drv1.ExecutionPending}
			wf := &drv1.DRWorkflow{}
			if err := r.Get(ctx, types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}, wf); err != nil {
				notFound = notFound || apierrors.IsNotFound(err)
				wfErrs = append(wfErrs, fmt.Sprintf("stage %s: DRWorkflow %s/%s: %v", stage.Name, ref.Namespace, ref.Name, errMsg(err)))
				ss.WorkflowExecutions = append(ss.WorkflowExecutions, e)
				continue
			}
			e.WorkflowGeneration = wf.Generation
			e.Engine = r.engineType(wf)
			params, ferrs := translator.ResolveParams(wf, plan, i, j, ex)
			if len(ferrs) > 0 {
				paramErrs = append(paramErrs, fmt.Sprintf("stage %s, workflow %s: %s", stage.Name, ref.Name, ferrs.ToAggregate().Error()))
			}
			e.Params = params
			if len(ferrs) == 0 {
				ir, err := newRun(ex, stage.Name, i, &e, wf, engine.Forward, nil).BuildIR()
				if err != nil {
					wfErrs = append(wfErrs, fmt.Sprintf("stage %s, workflow %s: %v", stage.Name, ref.Name, err))
				} else {
					e.ActionStatuses = pendingActions(ir)
				}
			}
			e.Progress, _ = progressOf(e.ActionStatuses)
			ss.WorkflowExecutions = append(ss.WorkflowExecutions, e)
		}
		st.StageStatuses[i] = ss
	}
	r.summarize(ex)
	if end := startEnding(paramErrs, wfErrs, notFound); end != nil {
		endExecution(st, *end, ex.Generation, now)
		return true
	}
	setRunning(st, "running", ex.Generation, now)
	return false
}

// startRevert builds a Revert's stages: the reverse runs of what its target did. It reports whether the
// execution ended.
func (r *DRPlanExecutionReconciler) startRevert(ctx context.Context, ex *drv1.DRPlanExecution, now metav1.Time) bool {
	st := &ex.Status
	target, err := r.revertTarget(ctx, ex)
	if msg := revertTargetProblem(ex, target, err); msg != "" {
		endExecution(st, ending{phase: drv1.ExecutionFailed, reason: drv1.ReasonRevertTargetInvalid, message: msg}, ex.Generation, now)
		return true
	}
	st.StageStatuses = reverseStages(target.Status.StageStatuses)
	if len(st.StageStatuses) == 0 {
		r.summarize(ex)
		setRunning(st, "", ex.Generation, now)
		endExecution(st, nothingToRevert(target.Name), ex.Generation, now)
		return true
	}
	if errs := r.prepareReverse(ctx, ex, st.StageStatuses, target.Status.StageStatuses, now); len(errs) > 0 {
		endExecution(st, ending{phase: drv1.ExecutionFailed, reason: drv1.ReasonWorkflowInvalid, message: joinErrors(errs)}, ex.Generation, now)
		return true
	}
	r.summarize(ex)
	setRunning(st, "reverting "+target.Name, ex.Generation, now)
	return false
}

// prepareReverse fills the action list of reverse entries by compiling them; an entry that cannot be
// compiled fails at once with the reason.
func (r *DRPlanExecutionReconciler) prepareReverse(ctx context.Context, ex *drv1.DRPlanExecution, stages, recorded []drv1.StageStatus, now metav1.Time) []string {
	var errs []string
	for i := range stages {
		for j := range stages[i].WorkflowExecutions {
			e := &stages[i].WorkflowExecutions[j]
			src := findEntry(recorded, stages[i].Name, e.WorkflowRef, e.Index)
			wf := &drv1.DRWorkflow{}
			err := r.Get(ctx, types.NamespacedName{Namespace: e.WorkflowRef.Namespace, Name: e.WorkflowRef.Name}, wf)
			if err == nil && src != nil {
				var ir *translator.IR
				if ir, err = newRun(ex, stages[i].Name, 0, e, wf, engine.Reverse, src.ActionStatuses).BuildIR(); err == nil {
					e.ActionStatuses = pendingActions(ir)
					e.Progress, _ = progressOf(e.ActionStatuses)
					e.Engine = r.engineType(wf)
					continue
				}
			}
			if src == nil {
				err = fmt.Errorf("no recorded run to reverse")
			}
			msg := fmt.Sprintf("stage %s, workflow %s: cannot build the reverse run: %s", stages[i].Name, e.WorkflowRef.Name, errMsg(err))
			errs = append(errs, msg)
			e.Phase, e.Message = drv1.ExecutionFailed, msg
			t := now
			e.CompletionTime = &t
		}
	}
	return errs
}

// pendingActions is the status of a run's actions before it starts.
func pendingActions(ir *translator.IR) []drv1.ActionStatus {
	var out []drv1.ActionStatus
	for _, a := range ir.Actions {
		out = append(out, drv1.ActionStatus{Name: a.Name, Phase: drv1.ActionPending})
	}
	return out
}
