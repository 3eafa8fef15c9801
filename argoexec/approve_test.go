package argoexec

import (
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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

func TestApprovable(t *testing.T) {
	id := (&wfv1.Workflow{ObjectMeta: metav1.ObjectMeta{Name: "wf"}}).NodeID("wf.go-ahead")
	for _, tc := range []struct {
		name     string
		wf       *wfv1.Workflow
		approved []string
		want     []string
	}{
		{"waiting and approved", approvalWorkflow(wfv1.NodeRunning), []string{"go-ahead"}, []string{id}},
		{"waiting, not approved", approvalWorkflow(wfv1.NodeRunning), []string{"other"}, nil},
		{"already resumed by argo resume", approvalWorkflow(wfv1.NodeSucceeded), []string{"go-ahead"}, nil},
		{"a non-suspend action of that name is never touched", approvalWorkflow(wfv1.NodeRunning), []string{"notify"}, nil},
		{"stopped Workflow", func() *wfv1.Workflow {
			w := approvalWorkflow(wfv1.NodeRunning)
			w.Spec.Shutdown = wfv1.ShutdownStrategyTerminate
			return w
		}(), []string{"go-ahead"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			ids, err := approvable(tc.wf, tc.approved)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(ids).To(Equal(tc.want))
		})
	}
}
