package argoexec

import (
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/translator"
)

func approvalWorkflow(phase wfv1.NodePhase) *wfv1.Workflow {
	wf := &wfv1.Workflow{ObjectMeta: metav1.ObjectMeta{Name: "wf", Annotations: map[string]string{
		translator.AnnotationTaskActions: `{"go-ahead":"go-ahead","notify":"notify"}`}}}
	wf.Spec.Entrypoint = translator.EntrypointTemplate
	wf.Spec.Templates = []wfv1.Template{
		{Name: translator.EntrypointTemplate, DAG: &wfv1.DAGTemplate{Tasks: []wfv1.DAGTask{
			{Name: "notify", Template: "notify"}, {Name: "go-ahead", Template: "go-ahead"}}}},
		{Name: "notify", HTTP: &wfv1.HTTP{URL: "https://x.example"}},
		{Name: "go-ahead", Suspend: &wfv1.SuspendTemplate{}},
	}
	wf.Status.Phase = wfv1.WorkflowRunning
	wf.Status.Nodes = wfv1.Nodes{}
	for _, n := range []wfv1.NodeStatus{
		{Name: "wf.notify", Type: wfv1.NodeTypeHTTP, Phase: wfv1.NodeRunning},
		{Name: "wf.go-ahead", Type: wfv1.NodeTypeSuspend, Phase: phase},
	} {
		n.ID = wf.NodeID(n.Name)
		wf.Status.Nodes[n.ID] = n
	}
	return wf
}

// timed gives the Workflow's Approval template the timeout metadata the translator writes.
func timed(wf *wfv1.Workflow, timeout, outcome string) *wfv1.Workflow {
	wf.Spec.Templates[2].Metadata.Annotations = map[string]string{
		drv1.AnnotationApprovalTimeout: timeout, drv1.AnnotationApprovalTimeoutOutcome: outcome}
	return wf
}

func TestApprovalEnds(t *testing.T) {
	id := (&wfv1.Workflow{ObjectMeta: metav1.ObjectMeta{Name: "wf"}}).NodeID("wf.go-ahead")
	started := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	beforeDeadline, atDeadline := started.Add(9*time.Minute), started.Add(10*time.Minute)
	approved := nodeEnd{id: id, phase: wfv1.NodeSucceeded, message: approveMessage}
	for _, tc := range []struct {
		name     string
		wf       *wfv1.Workflow
		approved []string
		now      time.Time
		want     []nodeEnd
	}{
		{"waiting and approved", approvalWorkflow(wfv1.NodeRunning), []string{"go-ahead"}, atDeadline, []nodeEnd{approved}},
		{"waiting, not approved, no timeout", approvalWorkflow(wfv1.NodeRunning), []string{"other"}, atDeadline.Add(time.Hour), nil},
		{"already resumed by argo resume", approvalWorkflow(wfv1.NodeSucceeded), []string{"go-ahead"}, atDeadline, nil},
		{"a non-suspend action of that name is never touched", approvalWorkflow(wfv1.NodeRunning), []string{"notify"}, atDeadline, nil},
		{"stopped Workflow", func() *wfv1.Workflow {
			w := approvalWorkflow(wfv1.NodeRunning)
			w.Spec.Shutdown = wfv1.ShutdownStrategyTerminate
			return w
		}(), []string{"go-ahead"}, atDeadline, nil},
		{"timeout not passed yet", timed(approvalWorkflow(wfv1.NodeRunning), "10m0s", "Fail"), nil, beforeDeadline, nil},
		{"timeout passed: Fail", timed(approvalWorkflow(wfv1.NodeRunning), "10m0s", "Fail"), nil, atDeadline,
			[]nodeEnd{{id: id, phase: wfv1.NodeFailed, message: "no approval within 10m0s (timeout 10m0s, timeoutOutcome Fail)"}}},
		{"timeout passed: Continue", timed(approvalWorkflow(wfv1.NodeRunning), "10m0s", "Continue"), nil, atDeadline,
			[]nodeEnd{{id: id, phase: wfv1.NodeSucceeded, message: "no approval within 10m0s: went on without approval (timeoutOutcome Continue)"}}},
		{"an approval beats the timeout", timed(approvalWorkflow(wfv1.NodeRunning), "10m0s", "Fail"), []string{"go-ahead"}, atDeadline,
			[]nodeEnd{approved}},
		{"a node already ended by its timeout is left alone", timed(approvalWorkflow(wfv1.NodeFailed), "10m0s", "Fail"), nil, atDeadline, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			for id, n := range tc.wf.Status.Nodes {
				n.StartedAt = metav1.NewTime(started)
				tc.wf.Status.Nodes[id] = n
			}
			ends, err := approvalEnds(tc.wf, tc.approved, tc.now)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(ends).To(Equal(tc.want))
		})
	}
}

func TestApprovalEndsRefusesAnUnreadableTimeout(t *testing.T) {
	wf := timed(approvalWorkflow(wfv1.NodeRunning), "soon", "Fail")
	_, err := approvalEnds(wf, nil, time.Now())
	NewWithT(t).Expect(err).To(MatchError(ContainSubstring(`task go-ahead: template annotation dr.bkbcs.tencent.com/approval-timeout="soon" is not a positive duration`)))
}
