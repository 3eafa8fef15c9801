package argoexec

import (
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

func TestSuspendFor(t *testing.T) {
	yes := true
	held := func(w *wfv1.Workflow) *wfv1.Workflow {
		w.Annotations[v1alpha1.AnnotationFailFastHold] = "bad"
		return w
	}
	wf := func(suspend *bool, ours bool, phase wfv1.WorkflowPhase, shutdown wfv1.ShutdownStrategy) *wfv1.Workflow {
		w := &wfv1.Workflow{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{}}}
		w.Spec.Suspend, w.Spec.Shutdown, w.Status.Phase = suspend, shutdown, phase
		if ours {
			w.Annotations[v1alpha1.AnnotationSuspendedByOperator] = "true"
		}
		return w
	}
	for _, tc := range []struct {
		name   string
		paused bool
		wf     *wfv1.Workflow
		want   suspendAction
	}{
		{"running, not paused", false, wf(nil, false, wfv1.WorkflowRunning, ""), suspendKeep},
		{"pause a running Workflow", true, wf(nil, false, wfv1.WorkflowRunning, ""), suspendSet},
		{"pause a Workflow not picked up yet", true, wf(nil, false, "", ""), suspendSet},
		{"already suspended by us", true, wf(&yes, true, wfv1.WorkflowRunning, ""), suspendKeep},
		{"suspended by argo suspend, then paused: marked ours", true, wf(&yes, false, wfv1.WorkflowRunning, ""), suspendSet},
		{"resume lifts our suspension", false, wf(&yes, true, wfv1.WorkflowRunning, ""), suspendLift},
		{"resume leaves argo suspend alone", false, wf(&yes, false, wfv1.WorkflowRunning, ""), suspendKeep},
		{"ours but lifted by argo resume: drop the mark", false, wf(nil, true, wfv1.WorkflowRunning, ""), suspendLift},
		{"resume keeps a FailFast hold", false, held(wf(&yes, true, wfv1.WorkflowRunning, "")), suspendKeep},
		{"pause during a FailFast hold marks it ours", true, held(wf(&yes, false, wfv1.WorkflowRunning, "")), suspendSet},
		{"finished: nothing to do", true, wf(nil, false, wfv1.WorkflowSucceeded, ""), suspendKeep},
		{"shut down: nothing to do", true, wf(nil, false, wfv1.WorkflowRunning, wfv1.ShutdownStrategyTerminate), suspendKeep},
	} {
		t.Run(tc.name, func(t *testing.T) {
			NewWithT(t).Expect(suspendFor(tc.paused, tc.wf)).To(Equal(tc.want))
		})
	}
}
