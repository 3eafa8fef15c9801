package controller

import (
	"fmt"
	"net/url"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/internal/engine"
)

// Pure status computation of the execution reconciler: no client, no clock (the caller passes now).

// applyRun folds what an engine observed of a run into the entry's status. An entry the engine has started
// is Running even while Argo has not looked at it yet.
func applyRun(e *drv1.WorkflowExecutionStatus, rs engine.RunStatus, now metav1.Time) {
	phase := rs.Phase
	if phase == drv1.ExecutionPending || phase == "" {
		phase = drv1.ExecutionRunning
	}
	e.Phase = phase
	if rs.ArgoWorkflow != nil {
		e.ArgoWorkflow = rs.ArgoWorkflow.DeepCopy()
	}
	if e.StartTime == nil {
		switch {
		case rs.StartTime != nil:
			e.StartTime = rs.StartTime.DeepCopy()
		default:
			t := now
			e.StartTime = &t
		}
	}
	if phase.IsTerminal() && e.CompletionTime == nil {
		if rs.CompletionTime != nil {
			e.CompletionTime = rs.CompletionTime.DeepCopy()
		} else {
			t := now
			e.CompletionTime = &t
		}
	}
	e.Message = rs.Message
	if rs.Waiting != "" {
		e.Message = rs.Waiting
	}
	if len(rs.Actions) > 0 {
		e.ActionStatuses = rs.Actions
	}
	e.Progress, e.CurrentAction = progressOf(e.ActionStatuses)
}

// linkArgoUI sets ref's url to its Workflow's page in the Argo UI at base (the UI's route
// /workflows/<namespace>/<name>); with no base or no Workflow it does nothing.
func linkArgoUI(ref *drv1.ArgoWorkflowRef, base string) {
	if ref == nil || base == "" || ref.Name == "" {
		return
	}
	u, err := url.JoinPath(base, "workflows", ref.Namespace, ref.Name)
	if err != nil {
		return
	}
	ref.URL = u
}

// failEntry ends an entry Failed with msg before or without its engine's word (no engine, no workflow,
// could not start, unreadable run): its unfinished actions are Canceled.
func failEntry(e *drv1.WorkflowExecutionStatus, msg string, now metav1.Time) {
	e.Phase, e.Message = drv1.ExecutionFailed, msg
	if e.CompletionTime == nil {
		t := now
		e.CompletionTime = &t
	}
	for k := range e.ActionStatuses {
		if !e.ActionStatuses[k].Phase.IsTerminal() {
			e.ActionStatuses[k].Phase = drv1.ActionCanceled
		}
	}
	e.Progress, e.CurrentAction = progressOf(e.ActionStatuses)
}

// noteWaiting records a run's RunStatus.Waiting in the PickedUp condition (False); the run goes on waiting.
func noteWaiting(st *drv1.DRPlanExecutionStatus, waiting string, gen int64, now metav1.Time) {
	meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: drv1.ConditionPickedUp, Status: metav1.ConditionFalse,
		Reason: drv1.ReasonWorkflowNotPickedUp, Message: waiting, ObservedGeneration: gen, LastTransitionTime: now})
}

// settlePickedUp turns a False PickedUp condition True once no unfinished entry still shows its message:
// applyRun puts a waiting run's text in its entry, and every later Sync of a still-waiting run asserts the
// condition again (noteWaiting), so the result does not depend on the order the entries were synced in.
func settlePickedUp(st *drv1.DRPlanExecutionStatus, gen int64, now metav1.Time) {
	c := meta.FindStatusCondition(st.Conditions, drv1.ConditionPickedUp)
	if c == nil || c.Status != metav1.ConditionFalse {
		return
	}
	for _, stages := range [][]drv1.StageStatus{st.StageStatuses, st.RollbackStageStatuses} {
		for i := range stages {
			for j := range stages[i].WorkflowExecutions {
				e := &stages[i].WorkflowExecutions[j]
				if !e.Phase.IsTerminal() && e.Message == c.Message {
					return
				}
			}
		}
	}
	meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: drv1.ConditionPickedUp, Status: metav1.ConditionTrue,
		Reason: drv1.ReasonPickedUp, Message: "every started run was picked up by its engine", ObservedGeneration: gen,
		LastTransitionTime: now})
}

// progressOf is "<finished>/<total>" and the first running action.
func progressOf(actions []drv1.ActionStatus) (string, string) {
	c := engine.Counts(actions)
	current := ""
	for i := range actions {
		if actions[i].Phase == drv1.ActionRunning {
			current = actions[i].Name
			break
		}
	}
	done := c.Succeeded + c.Failed + c.Skipped + c.Canceled
	return fmt.Sprintf("%d/%d", done, c.Total), current
}

// stagePhase computes a started stage's phase from its entries: Succeeded when all succeeded; Failed or
// Canceled once nothing runs and nothing more will start (a failed entry of a sequential stage stops the
// entries after it); else Running.
func stagePhase(st *drv1.StageStatus, parallel bool) drv1.ExecutionPhase {
	all, running, failed, canceled := true, false, false, false
	blocked := false
	for j := range st.WorkflowExecutions {
		e := &st.WorkflowExecutions[j]
		switch e.Phase {
		case drv1.ExecutionSucceeded:
		case drv1.ExecutionFailed:
			all, failed, blocked = false, true, true
		case drv1.ExecutionCanceled:
			all, canceled, blocked = false, true, true
		case drv1.ExecutionRunning:
			all, running = false, true
		default: // Pending
			all = false
			if parallel || !blocked {
				running = true // will start
			}
		}
	}
	switch {
	case all:
		return drv1.ExecutionSucceeded
	case running:
		return drv1.ExecutionRunning
	case canceled && !failed:
		return drv1.ExecutionCanceled
	default:
		return drv1.ExecutionFailed
	}
}

// entryDue reports whether entry j of a running stage may run now.
func entryDue(st *drv1.StageStatus, j int, parallel bool) bool {
	if parallel {
		return true
	}
	for k := 0; k < j; k++ {
		if st.WorkflowExecutions[k].Phase != drv1.ExecutionSucceeded {
			return false
		}
	}
	return true
}

// summarize counts the actions of every stage (forward and rollback).
func summarize(lists ...[]drv1.StageStatus) (drv1.ExecutionSummary, string) {
	var all []drv1.ActionStatus
	for _, stages := range lists {
		for i := range stages {
			for j := range stages[i].WorkflowExecutions {
				all = append(all, stages[i].WorkflowExecutions[j].ActionStatuses...)
			}
		}
	}
	s := engine.Counts(all)
	return s, fmt.Sprintf("%d/%d", s.Succeeded+s.Failed+s.Skipped+s.Canceled, s.Total)
}

// firstFailure describes the first failed run, for the execution's message.
func firstFailure(stages []drv1.StageStatus) string {
	for i := range stages {
		for j := range stages[i].WorkflowExecutions {
			e := &stages[i].WorkflowExecutions[j]
			if e.Phase == drv1.ExecutionFailed {
				return fmt.Sprintf("stage %s, workflow %s: %s", stages[i].Name, e.WorkflowRef.Name, e.Message)
			}
		}
	}
	// No workflow failed, yet the stages did not succeed: one was canceled without the execution being
	// canceled, e.g. its Argo Workflow stopped with `argo stop` or `argo terminate`. Name it.
	for i := range stages {
		for j := range stages[i].WorkflowExecutions {
			e := &stages[i].WorkflowExecutions[j]
			if e.Phase == drv1.ExecutionCanceled {
				return fmt.Sprintf("stage %s, workflow %s was canceled: %s", stages[i].Name, e.WorkflowRef.Name, e.Message)
			}
		}
	}
	return "a stage did not succeed"
}

// cancelStages marks everything unfinished Canceled.
func cancelStages(stages []drv1.StageStatus, now metav1.Time, msg string) {
	for i := range stages {
		st := &stages[i]
		for j := range st.WorkflowExecutions {
			e := &st.WorkflowExecutions[j]
			if e.Phase.IsTerminal() {
				continue
			}
			started := e.Phase == drv1.ExecutionRunning
			e.Phase = drv1.ExecutionCanceled
			e.Message = msg
			if started && e.CompletionTime == nil {
				t := now
				e.CompletionTime = &t
			}
			for k := range e.ActionStatuses {
				a := &e.ActionStatuses[k]
				if !a.Phase.IsTerminal() {
					a.Phase = drv1.ActionCanceled
					a.Message = msg
				}
			}
			e.Progress, e.CurrentAction = progressOf(e.ActionStatuses)
		}
		if !st.Phase.IsTerminal() {
			if st.Phase == drv1.ExecutionRunning && st.CompletionTime == nil {
				t := now
				st.CompletionTime = &t
			}
			st.Phase = drv1.ExecutionCanceled
		}
	}
}

// setTerminal ends the execution: phase, message, completionTime, and the Progressing/Completed conditions
// (reason tells which end).
func setTerminal(st *drv1.DRPlanExecutionStatus, phase drv1.ExecutionPhase, reason, msg string, gen int64, now metav1.Time) {
	st.Phase = phase
	st.Message = msg
	if st.CompletionTime == nil {
		t := now
		st.CompletionTime = &t
	}
	meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: drv1.ConditionProgressing, Status: metav1.ConditionFalse,
		Reason: reason, Message: msg, ObservedGeneration: gen, LastTransitionTime: now})
	meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: drv1.ConditionCompleted, Status: metav1.ConditionTrue,
		Reason: reason, Message: msg, ObservedGeneration: gen, LastTransitionTime: now})
}

// setRunning marks the execution Running.
func setRunning(st *drv1.DRPlanExecutionStatus, msg string, gen int64, now metav1.Time) {
	st.Phase = drv1.ExecutionRunning
	if st.StartTime == nil {
		t := now
		st.StartTime = &t
	}
	st.Message = msg
	meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: drv1.ConditionProgressing, Status: metav1.ConditionTrue,
		Reason: drv1.ReasonRunning, Message: msg, ObservedGeneration: gen, LastTransitionTime: now})
	meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: drv1.ConditionCompleted, Status: metav1.ConditionFalse,
		Reason: drv1.ReasonRunning, Message: msg, ObservedGeneration: gen, LastTransitionTime: now})
}

// reverseStages builds the reverse runs of recorded stages: stages in reverse dependency order (undoOrder), in
// each the entries that have a Succeeded action (their params and action statuses are what the reverse run uses), in reverse order.
func reverseStages(plan *drv1.DRPlan, forward []drv1.StageStatus) []drv1.StageStatus {
	var out []drv1.StageStatus
	for _, i := range undoOrder(plan, forward) {
		src := &forward[i]
		st := drv1.StageStatus{Name: src.Name, Phase: drv1.ExecutionPending}
		for j := len(src.WorkflowExecutions) - 1; j >= 0; j-- {
			e := &src.WorkflowExecutions[j]
			if !anySucceeded(e.ActionStatuses) {
				continue
			}
			st.WorkflowExecutions = append(st.WorkflowExecutions, drv1.WorkflowExecutionStatus{
				WorkflowRef: e.WorkflowRef, Index: e.Index, Engine: e.Engine,
				WorkflowGeneration: e.WorkflowGeneration,
				Params:             append([]drv1.ParamValue(nil), e.Params...), Phase: drv1.ExecutionPending,
			})
		}
		if len(st.WorkflowExecutions) > 0 {
			out = append(out, st)
		}
	}
	return out
}

func anySucceeded(actions []drv1.ActionStatus) bool {
	for i := range actions {
		if actions[i].Phase == drv1.ActionSucceeded {
			return true
		}
	}
	return false
}

// findEntry finds the recorded entry a reverse entry undoes.
func findEntry(stages []drv1.StageStatus, stage string, ref drv1.ObjectReference, index int32) *drv1.WorkflowExecutionStatus {
	for i := range stages {
		if stages[i].Name != stage {
			continue
		}
		for j := range stages[i].WorkflowExecutions {
			e := &stages[i].WorkflowExecutions[j]
			if e.Index == index && e.WorkflowRef.Name == ref.Name && e.WorkflowRef.Namespace == ref.Namespace {
				return e
			}
		}
	}
	return nil
}

// joinErrors renders error lines as one message.
func joinErrors(lines []string) string { return strings.Join(lines, "; ") }
