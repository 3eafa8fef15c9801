package main

import (
	"fmt"
	"strings"
	"time"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// change is one observed change in an execution's status: of the execution's phase, of a workflow run's phase
// (or its Argo Workflow appearing), or of an action's phase.
type change struct {
	Where   string // "execution", or "<stage>/<workflow>" (prefixed "rollback " for failurePolicy Rollback runs)
	Action  string // the action's name; "" for the execution and for a workflow run
	Phase   string
	Message string
}

// runKey identifies a workflow run within a status: two entries of a stage may reference the same DRWorkflow.
type runKey struct {
	rollback bool
	stage    string
	index    int32
}

// statusChanges lists what differs from prev to cur, in the order of cur's stages, runs and actions. A change to
// a terminal execution phase comes last, after the action changes that led to it; any other comes first.
func statusChanges(prev, cur *drv1.DRPlanExecutionStatus) []change {
	var runs []change
	prevRuns := indexRuns(prev)
	for _, r := range allRuns(cur) {
		runs = append(runs, runChanges(r, prevRuns[r.key])...)
	}
	if prev.Phase == cur.Phase || cur.Phase == "" {
		return runs
	}
	exec := change{Where: "execution", Phase: string(cur.Phase), Message: cur.Message}
	if cur.Phase.IsTerminal() {
		return append(runs, exec)
	}
	return append([]change{exec}, runs...)
}

// run is one workflow run of a status with its place.
type run struct {
	key   runKey
	where string
	st    *drv1.WorkflowExecutionStatus
}

func allRuns(s *drv1.DRPlanExecutionStatus) []run {
	var out []run
	for _, section := range []struct {
		rollback bool
		stages   []drv1.StageStatus
	}{{false, s.StageStatuses}, {true, s.RollbackStageStatuses}} {
		for i := range section.stages {
			stage := &section.stages[i]
			for j := range stage.WorkflowExecutions {
				w := &stage.WorkflowExecutions[j]
				where := stage.Name + "/" + w.WorkflowRef.Name
				if section.rollback {
					where = "rollback " + where
				}
				out = append(out, run{key: runKey{section.rollback, stage.Name, w.Index}, where: where, st: w})
			}
		}
	}
	return out
}

func indexRuns(s *drv1.DRPlanExecutionStatus) map[runKey]*drv1.WorkflowExecutionStatus {
	m := map[runKey]*drv1.WorkflowExecutionStatus{}
	for _, r := range allRuns(s) {
		m[r.key] = r.st
	}
	return m
}

// runChanges compares one workflow run with its previous state (nil when it is new).
func runChanges(r run, prev *drv1.WorkflowExecutionStatus) []change {
	if prev == nil {
		prev = &drv1.WorkflowExecutionStatus{}
	}
	var out []change
	argoAppeared := r.st.ArgoWorkflow != nil && r.st.ArgoWorkflow.Name != "" &&
		(prev.ArgoWorkflow == nil || prev.ArgoWorkflow.Name != r.st.ArgoWorkflow.Name)
	if r.st.Phase != "" && (r.st.Phase != prev.Phase || argoAppeared) {
		out = append(out, change{Where: r.where, Phase: string(r.st.Phase), Message: runMessage(r.st)})
	}
	prevActions := map[string]drv1.ActionPhase{}
	for _, a := range prev.ActionStatuses {
		prevActions[a.Name] = a.Phase
	}
	for _, a := range r.st.ActionStatuses {
		if old, seen := prevActions[a.Name]; a.Phase != "" && (!seen || old != a.Phase) {
			out = append(out, change{Where: r.where, Action: a.Name, Phase: string(a.Phase), Message: a.Message})
		}
	}
	return out
}

// runMessage names the run's Argo Workflow along with its message.
func runMessage(w *drv1.WorkflowExecutionStatus) string {
	parts := []string{}
	if w.ArgoWorkflow != nil && w.ArgoWorkflow.Name != "" {
		parts = append(parts, "Argo Workflow "+w.ArgoWorkflow.Name)
	}
	if w.Message != "" {
		parts = append(parts, w.Message)
	}
	return strings.Join(parts, ": ")
}

// formatChange renders one progress line: time, where, action, phase, message.
func formatChange(t time.Time, c change) string {
	action := c.Action
	if action == "" {
		action = "-"
	}
	line := fmt.Sprintf("  %s  %-26s %-16s %-10s %s", t.Format("15:04:05.0"), c.Where, action, c.Phase, shortLine(c.Message))
	return strings.TrimRight(line, " ")
}

// oneLine keeps a multi-line message (an HTTP body, a kubectl error) on its progress line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// maxMessage bounds a message in progress and summary lines: a failure repeats the action's error at the
// workflow and the execution; the command's final error carries it in full.
const maxMessage = 160

func shortLine(s string) string {
	s = oneLine(s)
	if r := []rune(s); len(r) > maxMessage {
		return string(r[:maxMessage-1]) + "…"
	}
	return s
}

// summaryLines describes a finished (or last seen) execution: phase, duration, counts, and every action.
func summaryLines(ex *drv1.DRPlanExecution) []string {
	st := &ex.Status
	head := fmt.Sprintf("%s %s/%s: %s", ex.Spec.GetOperationType(), ex.Namespace, ex.Name, st.Phase)
	if st.StartTime != nil && st.CompletionTime != nil {
		head += " in " + st.CompletionTime.Sub(st.StartTime.Time).String()
	}
	lines := []string{head}
	if st.Message != "" {
		lines = append(lines, "  message: "+shortLine(st.Message))
	}
	if s := st.Summary; s != nil {
		lines = append(lines, fmt.Sprintf("  actions: %d total, %d succeeded, %d skipped, %d failed, %d canceled, %d pending, %d running",
			s.Total, s.Succeeded, s.Skipped, s.Failed, s.Canceled, s.Pending, s.Running))
	}
	for _, r := range allRuns(st) {
		lines = append(lines, fmt.Sprintf("  %-26s %-10s %s", r.where, r.st.Phase, shortLine(runMessage(r.st))))
		for _, a := range r.st.ActionStatuses {
			lines = append(lines, strings.TrimRight(fmt.Sprintf("    %-24s %-10s %s", a.Name, a.Phase, actionDetail(a)), " "))
		}
	}
	return lines
}

// actionDetail is an action's message, or what it created when it has no message.
func actionDetail(a drv1.ActionStatus) string {
	if a.Message != "" {
		return shortLine(a.Message)
	}
	if a.Outputs != nil && a.Outputs.ResourceRef != nil {
		r := a.Outputs.ResourceRef
		verb := "touched"
		if r.Created {
			verb = "created"
		}
		return fmt.Sprintf("%s %s %s/%s", verb, r.Kind, r.Namespace, r.Name)
	}
	return ""
}
