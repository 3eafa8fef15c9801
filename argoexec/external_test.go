package argoexec

import (
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

func TestExternalChanges(t *testing.T) {
	ex := func(phase drv1.ExecutionPhase) *drv1.DRPlanExecution {
		return &drv1.DRPlanExecution{ObjectMeta: metav1.ObjectMeta{Name: "run", UID: "ex-uid"}, Status: drv1.DRPlanExecutionStatus{
			Phase: phase, StageStatuses: []drv1.StageStatus{{Name: "s", WorkflowExecutions: []drv1.WorkflowExecutionStatus{{
				ArgoWorkflow: &drv1.ArgoWorkflowRef{Name: "run-s-w", UID: "wf-uid"}}}}}}}
	}
	workflow := func(name string, uid types.UID, owner types.UID, phase wfv1.WorkflowPhase, labels map[string]string) wfv1.Workflow {
		wf := wfv1.Workflow{ObjectMeta: metav1.ObjectMeta{Name: name, UID: uid, Labels: labels,
			OwnerReferences: []metav1.OwnerReference{{UID: owner}}}}
		wf.Status.Phase = phase
		return wf
	}
	run := workflow("run-s-w", "wf-uid", "ex-uid", wfv1.WorkflowFailed, nil)
	copyOf := workflow("run-s-w-k2x9p", "copy-uid", "ex-uid", wfv1.WorkflowRunning, map[string]string{labelResubmittedFrom: "run-s-w"})
	retried := workflow("run-s-w", "wf-uid", "ex-uid", wfv1.WorkflowRunning, nil)
	stopping := retried
	stopping.Spec.Shutdown = wfv1.ShutdownStrategyStop
	suspended := retried
	suspended.Spec.Suspend = ptrb(true)
	pausedByUs := suspended
	pausedByUs.Annotations = map[string]string{drv1.AnnotationSuspendedByOperator: "true"}
	heldByUs := suspended
	heldByUs.Annotations = map[string]string{drv1.AnnotationFailFastHold: "bad"}
	othersCopy := workflow("other-k2x9p", "other-copy", "other-ex", wfv1.WorkflowRunning, map[string]string{labelResubmittedFrom: "other"})

	const copyMsg = "Workflow run-s-w-k2x9p is a copy of run-s-w made with `argo resubmit` (phase Running): it runs its actions " +
		"again outside this execution, and its results are not recorded here"
	const retryMsg = "Workflow run-s-w runs again after this execution ended Failed (`argo retry`): " +
		"its new results are not recorded here, and the plan is not locked for it"
	const suspendMsg = "Workflow run-s-w is suspended from Argo (`argo suspend` or the UI): none of its actions starts until `argo resume run-s-w`"
	for _, tc := range []struct {
		name string
		ex   *drv1.DRPlanExecution
		wfs  []wfv1.Workflow
		want []string
	}{
		{"the run as the operator made it", ex(drv1.ExecutionFailed), []wfv1.Workflow{run}, nil},
		{"a resubmitted copy", ex(drv1.ExecutionFailed), []wfv1.Workflow{run, copyOf}, []string{copyMsg}},
		{"a resubmitted copy while the execution runs", ex(drv1.ExecutionRunning), []wfv1.Workflow{copyOf}, []string{copyMsg}},
		{"the failed run retried", ex(drv1.ExecutionFailed), []wfv1.Workflow{retried}, []string{retryMsg}},
		{"a running run of a running execution is no retry", ex(drv1.ExecutionRunning), []wfv1.Workflow{retried}, nil},
		{"a run still stopping after a cancel is no retry", ex(drv1.ExecutionFailed), []wfv1.Workflow{stopping}, nil},
		{"another execution's copy", ex(drv1.ExecutionFailed), []wfv1.Workflow{othersCopy}, nil},
		{"a running run suspended from Argo", ex(drv1.ExecutionRunning), []wfv1.Workflow{suspended}, []string{suspendMsg}},
		{"a running run suspended by the pause annotation", ex(drv1.ExecutionRunning), []wfv1.Workflow{pausedByUs}, nil},
		{"a running run held after a FailFast failure", ex(drv1.ExecutionRunning), []wfv1.Workflow{heldByUs}, nil},
		{"both, in a stable order", ex(drv1.ExecutionFailed), []wfv1.Workflow{retried, copyOf}, []string{retryMsg, copyMsg}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			NewWithT(t).Expect(externalChanges(tc.ex, tc.wfs)).To(Equal(tc.want))
		})
	}
}
