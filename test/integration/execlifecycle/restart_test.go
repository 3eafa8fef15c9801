package execlifecycle

import (
	"sync/atomic"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/test/argostandin"
)

func httpAction(name string, deps ...string) drv1.Action {
	return drv1.Action{Name: name, DependsOn: deps, ActionBody: drv1.ActionBody{Type: drv1.ActionTypeHTTP,
		HTTP: &drv1.HTTPAction{URL: "https://hooks.example/" + name}}}
}

// createPlan creates a namespace, a DRWorkflow of the given actions and a one-stage plan running it.
func createPlan(g Gomega, ns, plan string, actions ...drv1.Action) {
	_ = k8sClient.Create(envCtx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	wf, p := oneStagePlan(ns, plan, drv1.ExecutorArgo, actions...)
	g.Expect(k8sClient.Create(envCtx, wf)).To(Succeed())
	g.Expect(k8sClient.Create(envCtx, p)).To(Succeed())
}

func createExecution(g Gomega, ns, name, plan string) {
	g.Expect(k8sClient.Create(envCtx, executeRequest(ns, name, plan))).To(Succeed())
}

func getExecution(g Gomega, ns, name string) *drv1.DRPlanExecution {
	ex := &drv1.DRPlanExecution{}
	g.Expect(k8sClient.Get(envCtx, types.NamespacedName{Namespace: ns, Name: name}, ex)).To(Succeed())
	return ex
}

// TestOperatorRestartMidRun stops the operator while an action runs, lets Argo finish the Workflow while no
// operator runs, then starts a new operator: it adopts the existing Workflow (never a second one) and the
// execution's status continues from where it was.
func TestOperatorRestartMidRun(t *testing.T) {
	g := NewWithT(t)
	g.SetDefaultEventuallyTimeout(60 * time.Second)
	g.SetDefaultEventuallyPollingInterval(100 * time.Millisecond)
	g.Expect(startEnv()).To(Succeed())

	var hold atomic.Bool
	hold.Store(true)
	argo.SetScript(func(task argostandin.Task) argostandin.Outcome {
		return argostandin.Outcome{Hold: task.Action == "second" && hold.Load()}
	})
	defer argo.SetScript(nil)

	op1, err := startOperator()
	g.Expect(err).NotTo(HaveOccurred())
	ns := "restart"
	createPlan(g, ns, "p", httpAction("first"), httpAction("second"), httpAction("third"))
	createExecution(g, ns, "run", "p")

	var before drv1.WorkflowExecutionStatus
	g.Eventually(func(g Gomega) drv1.ActionPhase {
		ex := getExecution(g, ns, "run")
		g.Expect(ex.Status.StageStatuses).NotTo(BeEmpty())
		before = ex.Status.StageStatuses[0].WorkflowExecutions[0]
		g.Expect(before.ActionStatuses).To(HaveLen(3))
		return before.ActionStatuses[1].Phase
	}).Should(Equal(drv1.ActionRunning))
	g.Expect(before.ArgoWorkflow).NotTo(BeNil())
	g.Expect(before.ArgoWorkflow.UID).NotTo(BeEmpty())
	g.Expect(op1.stop()).To(Succeed())

	// No operator runs: Argo finishes the Workflow.
	hold.Store(false)
	wf := &wfv1.Workflow{}
	g.Eventually(func(g Gomega) wfv1.WorkflowPhase {
		g.Expect(k8sClient.Get(envCtx, types.NamespacedName{Namespace: ns, Name: before.ArgoWorkflow.Name}, wf)).To(Succeed())
		return wf.Status.Phase
	}).Should(Equal(wfv1.WorkflowSucceeded))
	g.Expect(getExecution(g, ns, "run").Status.Phase).To(Equal(drv1.ExecutionRunning), "nothing observed it while stopped")

	op2, err := startOperator()
	g.Expect(err).NotTo(HaveOccurred())
	defer func() { _ = op2.stop() }()
	var ex *drv1.DRPlanExecution
	g.Eventually(func(g Gomega) drv1.ExecutionPhase {
		ex = getExecution(g, ns, "run")
		return ex.Status.Phase
	}).Should(Equal(drv1.ExecutionSucceeded))

	list := &wfv1.WorkflowList{}
	g.Expect(k8sClient.List(envCtx, list, client.InNamespace(ns))).To(Succeed())
	g.Expect(list.Items).To(HaveLen(1), "no second Workflow")
	g.Expect(list.Items[0].UID).To(Equal(before.ArgoWorkflow.UID))
	after := ex.Status.StageStatuses[0].WorkflowExecutions[0]
	g.Expect(after.ArgoWorkflow.UID).To(Equal(before.ArgoWorkflow.UID))
	g.Expect(after.StartTime).To(Equal(before.StartTime), "status continues: start time kept")
	g.Expect(after.ActionStatuses[0].StartTime).To(Equal(before.ActionStatuses[0].StartTime))
	g.Expect(after.ActionStatuses[0].CompletionTime).To(Equal(before.ActionStatuses[0].CompletionTime))
	for _, a := range after.ActionStatuses {
		g.Expect(a.Phase).To(Equal(drv1.ActionSucceeded), a.Name)
	}
	g.Expect(ex.Status.StartTime).NotTo(BeNil())
	g.Expect(ex.Status.CompletionTime).NotTo(BeNil())
	g.Expect(ex.Status.Progress).To(Equal("3/3"))
	g.Eventually(func(g Gomega) *drv1.ObjectReference {
		p := &drv1.DRPlan{}
		g.Expect(k8sClient.Get(envCtx, types.NamespacedName{Namespace: ns, Name: "p"}, p)).To(Succeed())
		g.Expect(p.Status.LastExecutionRef).NotTo(BeNil())
		return p.Status.CurrentExecution
	}).Should(BeNil())
}
