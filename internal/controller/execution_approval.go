package controller

import (
	"slices"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// Approval records as a plain function: who let an Approval action go on, the same for both engines and
// both ways of approving, as far as the operator can know.

// recordApprovals fills in the approval record of every Approval action of cur that succeeded: a record
// made earlier (in prev) stays; else an action the approve annotation lists was approved by the annotation's
// requester (the webhook's record, empty without it); else it was resumed from Argo (argo resume, the UI),
// by someone the operator cannot name. approvals names the workflow's Approval actions.
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
		if slices.Contains(approved, a.Name) {
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
