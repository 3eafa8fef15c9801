package controller

import (
	"context"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/internal/engine"
	"github.com/drplan/drplan-operator/internal/precheck"
	"github.com/drplan/drplan-operator/translator"
)

// A Precheck checks the plan's Execute without side effects, in this process for workflows of either engine,
// in one reconcile: every entry is built as the Execute would build it (parameters resolve, templates
// render) and each action is checked by the Prechecker. It takes no plan lock, so it never blocks an
// Execute; its checks are bounded by the Prechecker's per-check timeout and concurrency.

// runPrecheck runs the whole Precheck and ends it. When the reconcile's context ends first (the operator
// stops), the verdicts may be that interruption's: it is not ended, and the next reconcile checks again.
func (r *DRPlanExecutionReconciler) runPrecheck(ctx context.Context, ex *drv1.DRPlanExecution, plan *drv1.DRPlan, now metav1.Time) error {
	st := &ex.Status
	st.PlanGeneration = plan.Generation
	setRunning(st, "prechecking", ex.Generation, now)
	// Built exactly as the Execute would be: templates see operation Execute.
	asExecute := ex.DeepCopy()
	asExecute.Spec.OperationType = drv1.OperationExecute
	var planErrs []string
	workflows := map[[2]int]*drv1.DRWorkflow{}
	created := map[string]string{}
	st.StageStatuses = make([]drv1.StageStatus, len(plan.Spec.Stages))
	for i := range plan.Spec.Stages {
		stage := &plan.Spec.Stages[i]
		ss := drv1.StageStatus{Name: stage.Name, StartTime: &now}
		for j := range stage.Workflows {
			e, p := r.startEntry(ctx, asExecute, plan, i, j)
			if p.transient != nil { // a parameter's valueFrom could not be read for a passing reason: check again
				st.StageStatuses = nil
				return fmt.Errorf("reading parameter values of stage %s: %w", stage.Name, p.transient)
			}
			workflows[[2]int{i, j}] = p.wf
			e.StartTime = &now
			if problems := append(p.params, p.workflow...); len(problems) > 0 {
				e.Phase, e.Message = drv1.ExecutionFailed, "precheck failed: "+joinErrors(problems)
			} else if ir, err := newRun(asExecute, stage.Name, i, &e, p.wf, engine.Forward, nil).BuildIR(); err != nil {
				e.Phase, e.Message = drv1.ExecutionFailed, "precheck failed: "+err.Error()
			} else if r.Prechecker == nil {
				e.Phase, e.Message = drv1.ExecutionFailed, "precheck failed: this operator has no prechecker"
			} else {
				e.ActionStatuses = r.Prechecker.Check(ctx, ir, created)
				created = precheck.Creators(ir, created)
				e.Phase, e.Message = entryPrecheckPhase(e.ActionStatuses), entryPrecheckMessage(e.ActionStatuses, e.Engine)
			}
			e.Progress, _ = progressOf(e.ActionStatuses)
			e.CompletionTime = &now
			ss.WorkflowExecutions = append(ss.WorkflowExecutions, e)
		}
		ss.Phase, ss.CompletionTime = stagePrecheckPhase(ss.WorkflowExecutions), &now
		st.StageStatuses[i] = ss
	}
	for _, fe := range translator.ValidateParamNames(plan, func(i, j int) *drv1.DRWorkflow { return workflows[[2]int{i, j}] }, asExecute) {
		planErrs = append(planErrs, fe.Error())
	}
	r.summarize(ex)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("precheck interrupted: %w", err)
	}
	endExecution(st, precheckEnding(st.StageStatuses, planErrs), ex.Generation, now)
	return nil
}

// entryPrecheckMessage counts an entry's verdicts: "precheck of 5 actions (Native engine): 3 passed, 1 not
// checkable, 1 failed".
func entryPrecheckMessage(actions []drv1.ActionStatus, engine drv1.ExecutorType) string {
	var ok, skipped, bad int
	for _, a := range actions {
		switch a.Phase {
		case drv1.ActionSucceeded:
			ok++
		case drv1.ActionSkipped:
			skipped++
		default:
			bad++
		}
	}
	return fmt.Sprintf("precheck of %d actions (%s engine): %d passed, %d not checkable, %d failed", len(actions), engine, ok, skipped, bad)
}

// entryPrecheckPhase: Succeeded when no check failed (a Skipped check is not a failure), else Failed.
func entryPrecheckPhase(actions []drv1.ActionStatus) drv1.ExecutionPhase {
	for _, a := range actions {
		if a.Phase != drv1.ActionSucceeded && a.Phase != drv1.ActionSkipped {
			return drv1.ExecutionFailed
		}
	}
	return drv1.ExecutionSucceeded
}

// stagePrecheckPhase: Succeeded when every entry's precheck did.
func stagePrecheckPhase(entries []drv1.WorkflowExecutionStatus) drv1.ExecutionPhase {
	for _, e := range entries {
		if e.Phase != drv1.ExecutionSucceeded {
			return drv1.ExecutionFailed
		}
	}
	return drv1.ExecutionSucceeded
}

// precheckEnding: Succeeded when every check passed (or could not be checked before the run), else Failed
// naming each failed action; planErrs are problems of the plan as a whole (a parameter nobody declares).
func precheckEnding(stages []drv1.StageStatus, planErrs []string) ending {
	failures := append([]string(nil), planErrs...)
	for _, s := range stages {
		for _, e := range s.WorkflowExecutions {
			if e.Phase == drv1.ExecutionSucceeded {
				continue
			}
			var bad []string
			for _, a := range e.ActionStatuses {
				if a.Phase != drv1.ActionSucceeded && a.Phase != drv1.ActionSkipped {
					bad = append(bad, a.Name)
				}
			}
			what := fmt.Sprintf("stage %s, workflow %s", s.Name, e.WorkflowRef.Name)
			if len(bad) > 0 {
				failures = append(failures, what+": actions "+strings.Join(bad, ", "))
			} else {
				failures = append(failures, what+": "+strings.TrimPrefix(e.Message, "precheck failed: "))
			}
		}
	}
	if len(failures) == 0 {
		return ending{phase: drv1.ExecutionSucceeded, reason: drv1.ReasonSucceeded, message: "precheck passed: every action can run"}
	}
	return ending{phase: drv1.ExecutionFailed, reason: drv1.ReasonFailed, message: "precheck failed: " + joinErrors(failures)}
}

// precheckRefusal says why an Execute of plan may not start (spec.requirePrecheck), "" when it may. It reads
// the plan's DRWorkflows to compare their generations with what the latest Precheck checked.
func (r *DRPlanExecutionReconciler) precheckRefusal(ctx context.Context, plan *drv1.DRPlan) (string, error) {
	if !plan.Spec.RequirePrecheck {
		return "", nil
	}
	current, err := precheck.WorkflowGenerations(ctx, r.Client, plan)
	if err != nil {
		return "", err
	}
	return drv1.PrecheckMissing(plan, current), nil
}

// precheckRecord is what a finished Precheck records on its plan.
func precheckRecord(ex *drv1.DRPlanExecution) drv1.PrecheckRecord {
	rec := drv1.PrecheckRecord{Name: ex.Name, Phase: ex.Status.Phase, PlanGeneration: ex.Status.PlanGeneration,
		CompletionTime: ex.Status.CompletionTime.DeepCopy()}
	seen := map[string]bool{}
	for _, s := range ex.Status.StageStatuses {
		for _, e := range s.WorkflowExecutions {
			key := e.WorkflowRef.Namespace + "/" + e.WorkflowRef.Name
			if seen[key] || e.WorkflowGeneration == 0 {
				continue
			}
			seen[key] = true
			rec.Workflows = append(rec.Workflows, drv1.WorkflowGeneration{Namespace: e.WorkflowRef.Namespace, Name: e.WorkflowRef.Name, Generation: e.WorkflowGeneration})
		}
	}
	return rec
}

// replacesPrecheck reports whether rec, a finished Precheck, becomes the plan's lastPrecheck over old: it
// is the same one, or it finished no earlier.
func replacesPrecheck(old *drv1.PrecheckRecord, rec drv1.PrecheckRecord) bool {
	switch {
	case old == nil || old.Name == rec.Name:
		return true
	case old.CompletionTime == nil:
		return true
	case rec.CompletionTime == nil:
		return false
	}
	return !rec.CompletionTime.Before(old.CompletionTime)
}
