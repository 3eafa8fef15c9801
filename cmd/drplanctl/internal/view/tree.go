package view

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// messageWidth bounds the message column of the tree; describe prints messages whole.
const messageWidth = 80

// Tree prints one execution as a tree: the execution, its stages, each stage's workflow entries (with the Argo
// Workflow that runs them, or "native"), and each entry's actions with phase, duration, retries and message.
// A rollback after a failure follows as a second tree under "rollback". now ticks the durations of what runs.
func Tree(w io.Writer, ex *drv1.DRPlanExecution, now time.Time, s Style) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "NAME\t%s\tDURATION\tRETRIES\tARGO WORKFLOW\tMESSAGE\n", s.phaseHeader())
	st := &ex.Status
	title := fmt.Sprintf("%s (%s %s)", ex.Name, ex.Spec.GetOperationType(), ex.Spec.PlanRef)
	row(tw, s, "", title, string(orPending(st.Phase)), elapsed(st.StartTime, st.CompletionTime, now), "", "", st.Message)
	stages(tw, s, st.StageStatuses, now, len(st.RollbackStageStatuses) == 0)
	if len(st.RollbackStageStatuses) > 0 {
		row(tw, s, "└─ ", "rollback", "", "", "", "", "")
		stages(tw, s, st.RollbackStageStatuses, now, true, "   ")
	}
	return tw.Flush()
}

// stages prints the stages under a parent whose children end the tree when last.
func stages(tw io.Writer, s Style, list []drv1.StageStatus, now time.Time, last bool, indent ...string) {
	pre := strings.Join(indent, "")
	for i := range list {
		stg := &list[i]
		lastStage := last && i == len(list)-1
		branch, cont := fork(lastStage)
		row(tw, s, pre+branch, "stage "+stg.Name, string(orPending(stg.Phase)), elapsed(stg.StartTime, stg.CompletionTime, now), "", "", "")
		for j := range stg.WorkflowExecutions {
			we := &stg.WorkflowExecutions[j]
			wb, wc := fork(j == len(stg.WorkflowExecutions)-1)
			name := fmt.Sprintf("%s [%d]", we.WorkflowRef.Name, we.Index)
			if we.Progress != "" {
				name += " " + we.Progress
			}
			row(tw, s, pre+cont+wb, name, string(orPending(we.Phase)), elapsed(we.StartTime, we.CompletionTime, now), "", engineCell(we), we.Message)
			for k := range we.ActionStatuses {
				a := &we.ActionStatuses[k]
				ab, _ := fork(k == len(we.ActionStatuses)-1)
				retries := ""
				if a.RetryCount > 0 {
					retries = strconv.Itoa(int(a.RetryCount))
				}
				phase := a.Phase
				if phase == "" {
					phase = drv1.ActionPending
				}
				row(tw, s, pre+cont+wc+ab, a.Name, string(phase), elapsed(a.StartTime, a.CompletionTime, now), retries, "", a.Message)
			}
		}
	}
}

// fork returns the branch glyph of a child and the indent its own children continue with.
func fork(last bool) (branch, cont string) {
	if last {
		return "└─ ", "   "
	}
	return "├─ ", "│  "
}

func row(tw io.Writer, s Style, prefix, name, phase, dur, retries, wf, msg string) {
	cell := s.phase(orDash(phase))
	fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%s\t%s\n", prefix, name, cell, orDash(dur), orDash(retries), orDash(wf), clip(msg, messageWidth))
}

// engineCell names what runs a workflow entry: its Argo Workflow, or "native" for the in-process engine.
func engineCell(we *drv1.WorkflowExecutionStatus) string {
	if we.ArgoWorkflow != nil && we.ArgoWorkflow.Name != "" {
		return we.ArgoWorkflow.Name
	}
	if we.Engine == drv1.ExecutorNative {
		return "native"
	}
	return ""
}

func orPending(p drv1.ExecutionPhase) drv1.ExecutionPhase {
	if p == "" {
		return drv1.ExecutionPending
	}
	return p
}
