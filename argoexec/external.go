package argoexec

import (
	"context"
	"fmt"
	"slices"
	"sort"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// labelResubmittedFrom is what `argo resubmit` puts on the copy (argo-workflows v3.7
// workflow/common.LabelKeyPreviousWorkflowName); the copy also keeps the original's labels, annotations and
// owner references (workflow/util.FormulateResubmitWorkflow), so it is owned by the execution.
const labelResubmittedFrom = "workflows.argoproj.io/resubmitted-from-workflow"

// ExternalChanges lists what was done from Argo to the Workflows owned by ex: copies made by `argo resubmit`,
// recorded runs that run again after ex ended Failed (`argo retry`), and runs of a running ex suspended from
// Argo (`argo suspend`, the UI) and not by the operator.
func (e *Engine) ExternalChanges(ctx context.Context, ex *drv1.DRPlanExecution) ([]string, error) {
	list := &wfv1.WorkflowList{}
	if err := e.Client.List(ctx, list, client.InNamespace(ex.Namespace), client.HasLabels{drv1.LabelExecution}); err != nil {
		return nil, fmt.Errorf("listing the Workflows of execution %s/%s: %w", ex.Namespace, ex.Name, err)
	}
	return externalChanges(ex, list.Items), nil
}

// externalChanges is ExternalChanges' decision on the Workflows read.
func externalChanges(ex *drv1.DRPlanExecution, wfs []wfv1.Workflow) []string {
	recorded := recordedWorkflows(ex)
	var out []string
	for i := range wfs {
		wf := &wfs[i]
		if !ownedBy(wf, ex.UID) {
			continue
		}
		if from, ok := wf.Labels[labelResubmittedFrom]; ok && !slices.Contains(recorded, wf.UID) {
			out = append(out, fmt.Sprintf("Workflow %s is a copy of %s made with `argo resubmit` (phase %s): it runs its actions "+
				"again outside this execution, and its results are not recorded here", wf.Name, from, phaseOrPending(wf)))
			continue
		}
		if !slices.Contains(recorded, wf.UID) || wf.Status.Phase.Completed() || wf.Status.Phase == "" || wf.Spec.Shutdown != "" {
			continue
		}
		switch {
		case ex.Status.Phase == drv1.ExecutionFailed:
			out = append(out, fmt.Sprintf("Workflow %s runs again after this execution ended Failed (`argo retry`): "+
				"its new results are not recorded here, and the plan is not locked for it", wf.Name))
		case ex.Status.Phase == drv1.ExecutionRunning && suspendedFromArgo(wf):
			out = append(out, fmt.Sprintf("Workflow %s is suspended from Argo (`argo suspend` or the UI): none of its "+
				"actions starts until `argo resume %s`", wf.Name, wf.Name))
		}
	}
	sort.Strings(out)
	return out
}

// suspendedFromArgo reports whether wf is suspended by someone other than the operator (its pause, or its
// FailFast hold, failfast.go).
func suspendedFromArgo(wf *wfv1.Workflow) bool {
	_, held := wf.Annotations[drv1.AnnotationFailFastHold]
	return wf.Spec.Suspend != nil && *wf.Spec.Suspend && wf.Annotations[drv1.AnnotationSuspendedByOperator] != "true" && !held
}

func recordedWorkflows(ex *drv1.DRPlanExecution) []types.UID {
	var out []types.UID
	for _, stages := range [][]drv1.StageStatus{ex.Status.StageStatuses, ex.Status.RollbackStageStatuses} {
		for i := range stages {
			for _, e := range stages[i].WorkflowExecutions {
				if e.ArgoWorkflow != nil && e.ArgoWorkflow.UID != "" {
					out = append(out, e.ArgoWorkflow.UID)
				}
			}
		}
	}
	return out
}

func ownedBy(wf *wfv1.Workflow, uid types.UID) bool {
	for _, o := range wf.OwnerReferences {
		if o.UID == uid {
			return true
		}
	}
	return false
}

func phaseOrPending(wf *wfv1.Workflow) wfv1.WorkflowPhase {
	if wf.Status.Phase == "" {
		return wfv1.WorkflowPending
	}
	return wf.Status.Phase
}
