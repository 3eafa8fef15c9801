package controller

import (
	"fmt"
	"slices"
	"time"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/internal/engine"
)

// Approval records as a plain function: who let an Approval action go on, the same for both engines and
// both ways of approving, as far as the operator can know.

// recordApprovals fills in the approval record of every Approval action of cur that succeeded: a record
// made earlier (in prev) stays; else an action the approve annotation lists was approved by the annotation's
// requester (the webhook's record, empty without it); else it was resumed from Argo (argo resume, the UI),
// by someone the operator cannot name. One that an engine ended by its timeout (outcome Continue) is recorded
// via Timeout, with no approver, even when the annotation came later. approvals names the workflow's Approval actions.
func recordApprovals(cur, prev []drv1.ActionStatus, approvals []string, ex *drv1.DRPlanExecution) {
	if len(approvals) == 0 {
		return
	}
	approved := ex.ApprovedActions()
	for i := range cur {
		a := &cur[i]
		if !slices.Contains(approvals, a.Name) || a.Phase != drv1.ActionSucceeded {
			continue
		}
		for j := range prev {
			if prev[j].Name == a.Name && prev[j].Approval != nil {
				a.Approval = prev[j].Approval.DeepCopy()
			}
		}
		if a.Approval != nil {
			continue
		}
		a.Approval = &drv1.ApprovalRecord{ApprovedAt: a.CompletionTime.DeepCopy(), Via: drv1.ApprovalViaArgo}
		switch {
		case engine.EndedByApprovalTimeout(a.Message):
			a.Approval.Via = drv1.ApprovalViaTimeout
		case slices.Contains(approved, a.Name):
			a.Approval.Via, a.Approval.ApprovedBy = drv1.ApprovalViaAnnotation, ex.Annotations[drv1.AnnotationApproveRequestedBy]
		}
	}
}

// approvalActions names the Approval actions of a workflow (a forward run's; a reverse run skips them).
func approvalActions(wf *drv1.DRWorkflow) []string {
	var out []string
	for i := range wf.Spec.Actions {
		if wf.Spec.Actions[i].Type == drv1.ActionTypeApproval {
			out = append(out, wf.Spec.Actions[i].Name)
		}
	}
	return out
}

// approvalNote is an approval newly recorded: the event's message, how it came (via) and how long the
// action waited from its start (negative when a time is missing).
type approvalNote struct {
	message string
	via     drv1.ApprovalVia
	waited  time.Duration
}

// newApprovals describes the approvals recorded in after and not in before.
func newApprovals(before, after drv1.DRPlanExecutionStatus) []approvalNote {
	seen := map[string]bool{}
	for _, e := range allEntries(before) {
		for _, a := range e.entry.ActionStatuses {
			if a.Approval != nil {
				seen[e.stage+"/"+e.entry.WorkflowRef.Name+"/"+a.Name] = true
			}
		}
	}
	var out []approvalNote
	for _, e := range allEntries(after) {
		for _, a := range e.entry.ActionStatuses {
			key := e.stage + "/" + e.entry.WorkflowRef.Name + "/" + a.Name
			if a.Approval == nil || seen[key] {
				continue
			}
			by := a.Approval.ApprovedBy
			if by == "" {
				by = "an unknown user"
			}
			msg := fmt.Sprintf("action %s of workflow %s (stage %s) approved by %s via %s",
				a.Name, e.entry.WorkflowRef.Name, e.stage, by, a.Approval.Via)
			if a.Approval.Via == drv1.ApprovalViaTimeout {
				msg = fmt.Sprintf("action %s of workflow %s (stage %s) went on without approval: %s",
					a.Name, e.entry.WorkflowRef.Name, e.stage, a.Message)
			}
			waited := time.Duration(-1)
			if a.StartTime != nil && a.Approval.ApprovedAt != nil {
				waited = max(a.Approval.ApprovedAt.Sub(a.StartTime.Time), 0)
			}
			out = append(out, approvalNote{
				message: msg,
				via:     a.Approval.Via,
				waited:  waited,
			})
		}
	}
	return out
}

type stageEntry struct {
	stage string
	entry *drv1.WorkflowExecutionStatus
}

func allEntries(st drv1.DRPlanExecutionStatus) []stageEntry {
	var out []stageEntry
	for i := range st.StageStatuses {
		for j := range st.StageStatuses[i].WorkflowExecutions {
			out = append(out, stageEntry{st.StageStatuses[i].Name, &st.StageStatuses[i].WorkflowExecutions[j]})
		}
	}
	return out
}

// approvalDeadlines are the times at which the waiting Approval actions of statuses (of workflow wf) time out.
func approvalDeadlines(statuses []drv1.ActionStatus, wf *drv1.DRWorkflow) []time.Time {
	var out []time.Time
	for i := range wf.Spec.Actions {
		a := &wf.Spec.Actions[i]
		if a.Type != drv1.ActionTypeApproval || a.Timeout == nil || a.Timeout.Duration <= 0 {
			continue
		}
		for _, st := range statuses {
			if st.Name == a.Name && st.Phase == drv1.ActionRunning && st.StartTime != nil {
				out = append(out, st.StartTime.Add(a.Timeout.Duration))
			}
		}
	}
	return out
}
