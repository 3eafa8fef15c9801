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
)

// advance starts and observes the entries of stages whose dependencies allow it, and reports whether the
// stages settled (nothing runs and nothing more can start). applyPolicies applies the failure policies (a
// forward run): after a stage failed whose policy stops (stageStops) no new stage starts, and a FailFast
// stage's running entries are canceled once one of them failed. recorded are the forward statuses reverse
// entries undo.
func (r *DRPlanExecutionReconciler) advance(ctx context.Context, ex *drv1.DRPlanExecution, plan *drv1.DRPlan, stages []drv1.StageStatus,
	dir engine.Direction, recorded []drv1.StageStatus, applyPolicies bool) (bool, error) {
	// A pass walks the stages in list order; a stage listed before one it depends on can only start in a
	// later pass, so passes repeat while they change stage phases (at most once per stage).
	for pass := 0; ; pass++ {
		before := make([]drv1.ExecutionPhase, len(stages))
		for i := range stages {
			before[i] = stages[i].Phase
		}
		settled, err := r.advancePass(ctx, ex, plan, stages, dir, recorded, applyPolicies)
		changed := false
		for i := range stages {
			changed = changed || stages[i].Phase != before[i]
		}
		if err != nil || !changed || pass >= len(stages) {
			return settled, err
		}
	}
}

// advancePass walks the stages once: a stage not started yet starts when its gate says so (else its
// entries are told why not), and the due entries of running stages are synced through their engines.
func (r *DRPlanExecutionReconciler) advancePass(ctx context.Context, ex *drv1.DRPlanExecution, plan *drv1.DRPlan, stages []drv1.StageStatus,
	dir engine.Direction, recorded []drv1.StageStatus, applyPolicies bool) (bool, error) {
	now := r.now()
	var errs []error
	phaseOf := map[string]drv1.ExecutionPhase{}
	// failed: a stage failed whose policy holds new stages back.
	failed := false
	holds := func(name string, p drv1.ExecutionPhase) bool {
		return applyPolicies && stageFailed(p) && stageStops(plan, name)
	}
	for i := range stages {
		phaseOf[stages[i].Name] = stages[i].Phase
		failed = failed || holds(stages[i].Name, stages[i].Phase)
	}
	active := false
	for i := range stages {
		st := &stages[i]
		if st.Phase.IsTerminal() {
			continue
		}
		if st.Phase == "" || st.Phase == drv1.ExecutionPending {
			g, blockedBy := stageGate(plan, stages, i, dir, phaseOf, applyPolicies, failed)
			switch g {
			case gateWait:
				continue
			case gateBlocked, gateHeld:
				if g == gateBlocked {
					st.Phase = drv1.ExecutionPending
				}
				st.WorkflowExecutions = notRun(st.WorkflowExecutions, gateMessage(g, blockedBy))
				continue
			}
			if ex.IsPauseRequested() {
				active = true // paused: starts once resumed
				continue
			}
			st.Phase = drv1.ExecutionRunning
			t := now
			st.StartTime = &t
		}
		parallel := stageParallel(plan, st.Name)
		for j := range st.WorkflowExecutions {
			e := &st.WorkflowExecutions[j]
			if e.Phase.IsTerminal() || !entryDue(st, j, parallel) || !mayStartEntry(ex, e) {
				continue
			}
			errs = append(errs, r.syncEntry(ctx, ex, st.Name, i, e, dir, recorded, now))
		}
		if applyPolicies {
			for _, j := range failFastCancels(stagePolicy(plan, st.Name), st) {
				errs = append(errs, r.cancelEntry(ctx, ex, st.Name, i, &st.WorkflowExecutions[j], dir))
			}
		}
		if settleStage(st, parallel, now) {
			active = true
		} else {
			failed = failed || holds(st.Name, st.Phase)
		}
		phaseOf[st.Name] = st.Phase
	}
	return !active, errors.Join(errs...)
}

// syncEntry runs one entry through its engine and folds the result into its status.
func (r *DRPlanExecutionReconciler) syncEntry(ctx context.Context, ex *drv1.DRPlanExecution, stage string, stageIndex int,
	e *drv1.WorkflowExecutionStatus, dir engine.Direction, recorded []drv1.StageStatus, now metav1.Time) error {
	eng, ok := r.Engines[e.Engine]
	if !ok {
		failEntry(e, fmt.Sprintf("engine %q is not available in this operator", e.Engine), now)
		return nil
	}
	wf := &drv1.DRWorkflow{}
	if err := r.Get(ctx, types.NamespacedName{Namespace: e.WorkflowRef.Namespace, Name: e.WorkflowRef.Name}, wf); err != nil {
		if !apierrors.IsNotFound(err) {
			return err
		}
		if e.Phase != drv1.ExecutionRunning {
			failEntry(e, fmt.Sprintf("DRWorkflow %s/%s not found", e.WorkflowRef.Namespace, e.WorkflowRef.Name), now)
			return nil
		}
		// Running already: the engine only needs the name to observe its run.
		wf = &drv1.DRWorkflow{ObjectMeta: metav1.ObjectMeta{Name: e.WorkflowRef.Name, Namespace: e.WorkflowRef.Namespace}}
	}
	var reverted []drv1.ActionStatus
	if dir == engine.Reverse {
		if src := findEntry(recorded, stage, e.WorkflowRef, e.Index); src != nil {
			reverted = src.ActionStatuses
			// The workflow may have changed since the reverse runs were prepared (a later stage starts later).
			if change := runbookChange(src.WorkflowGeneration, wf, ex); change != "" && e.Phase != drv1.ExecutionRunning {
				failEntry(e, change, now)
				return nil
			}
		}
	}
	run := newRun(ex, stage, stageIndex, e, wf, dir, reverted)
	rs, err := eng.Sync(ctx, run)
	if err != nil {
		if engine.IsPermanent(err) {
			failEntry(e, err.Error(), now)
			return nil
		}
		return fmt.Errorf("%s: %w", run.Key(), err)
	}
	if e.Phase != drv1.ExecutionRunning && rs.Phase.IsTerminal() && rs.ArgoWorkflow == nil {
		// Could not start at all (compile error, ...).
		failEntry(e, rs.Message, now)
		return nil
	}
	prev := e.ActionStatuses
	applyRun(e, rs, now)
	linkArgoUI(e.ArgoWorkflow, r.ArgoUIURL)
	if rs.Waiting != "" {
		noteWaiting(&ex.Status, rs.Waiting, ex.Generation, now)
	}
	if dir == engine.Forward {
		approvals := approvalActions(wf)
		recordApprovals(e.ActionStatuses, prev, approvals, ex)
		r.approvals.set(types.NamespacedName{Namespace: ex.Namespace, Name: ex.Name}, ex.Spec.PlanRef, entryKey(stage, e), waitingApprovals(e.ActionStatuses, approvals))
		for _, t := range approvalDeadlines(e.ActionStatuses, wf) {
			engine.WakeAt(ctx, t)
		}
	}
	return nil
}

// cancelEntry asks the engine of one running entry to stop it; a later sync observes the end.
func (r *DRPlanExecutionReconciler) cancelEntry(ctx context.Context, ex *drv1.DRPlanExecution, stage string, stageIndex int,
	e *drv1.WorkflowExecutionStatus, dir engine.Direction) error {
	eng, ok := r.Engines[e.Engine]
	if !ok {
		return nil
	}
	wf := &drv1.DRWorkflow{ObjectMeta: metav1.ObjectMeta{Name: e.WorkflowRef.Name, Namespace: e.WorkflowRef.Namespace}}
	return eng.Cancel(ctx, newRun(ex, stage, stageIndex, e, wf, dir, nil))
}

// cancelRuns asks the engines to stop every started, unfinished run.
func (r *DRPlanExecutionReconciler) cancelRuns(ctx context.Context, ex *drv1.DRPlanExecution) error {
	var errs []error
	for _, list := range []struct {
		stages []drv1.StageStatus
		dir    engine.Direction
	}{{ex.Status.StageStatuses, forwardOf(ex)}, {ex.Status.RollbackStageStatuses, engine.Reverse}} {
		for i := range list.stages {
			for j := range list.stages[i].WorkflowExecutions {
				e := &list.stages[i].WorkflowExecutions[j]
				if e.Phase != drv1.ExecutionRunning {
					continue
				}
				errs = append(errs, r.cancelEntry(ctx, ex, list.stages[i].Name, i, e, list.dir))
			}
		}
	}
	return errors.Join(errs...)
}

func (r *DRPlanExecutionReconciler) engineType(wf *drv1.DRWorkflow) drv1.ExecutorType {
	if t := wf.Spec.GetExecutorType(); t != "" {
		return t
	}
	return r.DefaultEngine
}

// newRun assembles the engine input for one entry.
func newRun(ex *drv1.DRPlanExecution, stage string, stageIndex int, e *drv1.WorkflowExecutionStatus, wf *drv1.DRWorkflow,
	dir engine.Direction, reverted []drv1.ActionStatus) *engine.Run {
	return &engine.Run{
		Execution: ex, PlanName: ex.Spec.PlanRef, StageName: stage, StageIndex: stageIndex,
		EntryIndex: int(e.Index), Direction: dir, Workflow: wf, Params: e.Params, Reverted: reverted, Recorded: e,
		Paused: ex.IsPauseRequested(), Approved: ex.ApprovedActions(),
	}
}
