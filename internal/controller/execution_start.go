package controller

import (
	"context"
	"errors"
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

// startForward builds an Execute's stages from its plan. It reports whether the execution ended. A
// parameter value that could not be read from the cluster for a passing reason is returned as the error,
// with nothing built: the start is retried.
func (r *DRPlanExecutionReconciler) startForward(ctx context.Context, ex *drv1.DRPlanExecution, plan *drv1.DRPlan, now metav1.Time) (bool, error) {
	st := &ex.Status
	var paramErrs, wfErrs []string
	notFound := false
	st.StageStatuses = make([]drv1.StageStatus, len(plan.Spec.Stages))
	workflows := map[[2]int]*drv1.DRWorkflow{}
	for i := range plan.Spec.Stages {
		ss := drv1.StageStatus{Name: plan.Spec.Stages[i].Name, Phase: drv1.ExecutionPending}
		for j := range plan.Spec.Stages[i].Workflows {
			e, p := r.startEntry(ctx, ex, plan, i, j)
			if p.transient != nil {
				st.StageStatuses = nil
				return false, fmt.Errorf("reading parameter values of stage %s: %w", plan.Spec.Stages[i].Name, p.transient)
			}
			ss.WorkflowExecutions = append(ss.WorkflowExecutions, e)
			paramErrs, wfErrs = append(paramErrs, p.params...), append(wfErrs, p.workflow...)
			notFound = notFound || p.notFound
			workflows[[2]int{i, j}] = p.wf
		}
		st.StageStatuses[i] = ss
	}
	// A parameter no workflow declares is a typo: nothing runs (the webhook denies it first).
	for _, fe := range translator.ValidateParamNames(plan, func(i, j int) *drv1.DRWorkflow { return workflows[[2]int{i, j}] }, ex) {
		paramErrs = append(paramErrs, fe.Error())
	}
	r.summarize(ex)
	if end := startEnding(paramErrs, wfErrs, notFound); end != nil {
		endExecution(st, *end, ex.Generation, now)
		return true, nil
	}
	setRunning(st, "running", ex.Generation, now)
	return false, nil
}

// entryProblems are what keeps one entry from running: bad parameters, or a workflow missing or invalid.
type entryProblems struct {
	params, workflow []string
	notFound         bool
	// wf is the entry's DRWorkflow, nil when it could not be read.
	wf *drv1.DRWorkflow
	// transient is a passing failure to read a parameter's valueFrom: retry the start.
	transient error
}

// startEntry builds the status of entry j of stage i: its workflow's generation and engine, its resolved
// parameters, and its actions Pending once the run compiles.
func (r *DRPlanExecutionReconciler) startEntry(ctx context.Context, ex *drv1.DRPlanExecution, plan *drv1.DRPlan, i, j int) (drv1.WorkflowExecutionStatus, entryProblems) {
	stage := &plan.Spec.Stages[i]
	ref := stage.Workflows[j].WorkflowRef
	ref.Namespace = ref.NamespaceOr(plan.Namespace)
	e := drv1.WorkflowExecutionStatus{WorkflowRef: ref, Index: int32(j), Phase: drv1.ExecutionPending}
	var p entryProblems
	if r.NoCrossNamespaceRefs && ref.Namespace != plan.Namespace {
		p.workflow = []string{fmt.Sprintf("stage %s: DRWorkflow %s/%s is in another namespace than the plan, and "+
			"this operator runs with --no-cross-namespace-refs", stage.Name, ref.Namespace, ref.Name)}
		return e, p
	}
	wf := &drv1.DRWorkflow{}
	if err := r.Get(ctx, types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}, wf); err != nil {
		p.notFound = apierrors.IsNotFound(err)
		p.workflow = []string{fmt.Sprintf("stage %s: DRWorkflow %s/%s: %v", stage.Name, ref.Namespace, ref.Name, errMsg(err))}
		return e, p
	}
	p.wf = wf
	e.WorkflowGeneration = wf.Generation
	e.Engine = r.engineType(wf)
	if e.Engine == drv1.ExecutorArgo {
		if errs := translator.ValidateForArgo(wf); len(errs) > 0 {
			p.workflow = []string{fmt.Sprintf("stage %s, workflow %s runs on Argo: %s", stage.Name, ref.Name, errs.ToAggregate().Error())}
			return e, p
		}
	}
	params, ferrs := translator.ResolveParamsWith(wf, plan, i, j, ex, r.valueReader(ctx, ex, wf, &p.transient))
	e.Params = params
	if len(ferrs) > 0 {
		p.params = []string{fmt.Sprintf("stage %s, workflow %s: %s", stage.Name, ref.Name, ferrs.ToAggregate().Error())}
	} else if ir, err := newRun(ex, stage.Name, i, &e, wf, engine.Forward, nil).BuildIR(); err != nil {
		p.workflow = []string{fmt.Sprintf("stage %s, workflow %s: %v", stage.Name, ref.Name, err)}
	} else {
		e.ActionStatuses = pendingActions(ir)
	}
	e.Progress, _ = progressOf(e.ActionStatuses)
	return e, p
}

// startRevert builds a Revert's stages: the reverse runs of what its target did. An error reading the
// target is returned (the reconcile is retried) rather than failing the Revert on an API hiccup. It reports
// whether the
// execution ended.
func (r *DRPlanExecutionReconciler) startRevert(ctx context.Context, ex *drv1.DRPlanExecution, plan *drv1.DRPlan, now metav1.Time) (bool, error) {
	st := &ex.Status
	target, err := r.revertTarget(ctx, ex)
	if err != nil {
		return false, fmt.Errorf("reading revert target %s: %w", ex.Spec.RevertExecutionRef, err)
	}
	if msg := revertTargetProblem(ex, target); msg != "" {
		endExecution(st, ending{phase: drv1.ExecutionFailed, reason: drv1.ReasonRevertTargetInvalid, message: msg}, ex.Generation, now)
		return true, nil
	}
	st.StageStatuses = reverseStages(plan, target.Status.StageStatuses)
	if len(st.StageStatuses) == 0 {
		r.summarize(ex)
		setRunning(st, "", ex.Generation, now)
		endExecution(st, nothingToRevert(target.Name), ex.Generation, now)
		return true, nil
	}
	if errs := r.prepareReverse(ctx, ex, st.StageStatuses, target.Status.StageStatuses, now); len(errs) > 0 {
		endExecution(st, ending{phase: drv1.ExecutionFailed, reason: drv1.ReasonWorkflowInvalid, message: joinErrors(errs)}, ex.Generation, now)
		return true, nil
	}
	r.summarize(ex)
	setRunning(st, "reverting "+target.Name, ex.Generation, now)
	return false, nil
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
				if change := runbookChange(src.WorkflowGeneration, wf, ex); change != "" {
					err = errors.New(change)
				}
			}
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

// runbookChange says why a reverse run must not start: the DRWorkflow is not at the generation the run it
// undoes used (ran; 0 when that run did not record it), so its rollbacks may not be the ones that belong to
// what ran, and the execution did not opt in with AnnotationAllowWorkflowChanges. "" when it may start.
func runbookChange(ran int64, wf *drv1.DRWorkflow, ex *drv1.DRPlanExecution) string {
	if ran == wf.Generation || ex.Annotations[drv1.AnnotationAllowWorkflowChanges] == "true" {
		return ""
	}
	was := fmt.Sprintf("generation %d", ran)
	if ran == 0 {
		was = "a generation it did not record"
	}
	return fmt.Sprintf("DRWorkflow %s/%s changed since the run being undone: that run used %s, the DRWorkflow is at "+
		"generation %d now, so its rollbacks may differ from the ones that belong to what ran; to undo with the "+
		"current definition, create the execution with the annotation %s: \"true\"",
		wf.Namespace, wf.Name, was, wf.Generation, drv1.AnnotationAllowWorkflowChanges)
}

// pendingActions is the status of a run's actions before it starts.
func pendingActions(ir *translator.IR) []drv1.ActionStatus {
	var out []drv1.ActionStatus
	for _, a := range ir.Actions {
		out = append(out, drv1.ActionStatus{Name: a.Name, Phase: drv1.ActionPending})
	}
	return out
}
