package integration

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

func exApproval(name string, deps ...string) drv1.Action {
	return drv1.Action{Name: name, DependsOn: deps, ActionBody: drv1.ActionBody{Type: drv1.ActionTypeApproval,
		Approval: &drv1.ApprovalAction{Message: "check {{ .planName }} before the switch"}}}
}

// Approval gates on both engines: the action waits, nothing after it starts, and the approve annotation lets
// it go on; on Argo a resume of the node from Argo itself does the same, recorded as approved via Argo.
var _ = Describe("Approval actions", func() {
	var ns string
	BeforeEach(func() { ns = newNamespace() })

	approve := func(actions string) {
		GinkgoHelper()
		ex := exGet(ns, "run")
		Expect(k8sClient.Patch(ctx, ex, rawMerge([]byte(`{"metadata":{"annotations":{"`+drv1.AnnotationApprove+`":"`+actions+`"}}}`)))).To(Succeed())
	}
	gatePhase := func(g Gomega) drv1.ActionPhase {
		ex := exGet(ns, "run")
		g.Expect(ex.Status.StageStatuses).NotTo(BeEmpty())
		g.Expect(ex.Status.StageStatuses[0].WorkflowExecutions[0].ActionStatuses).NotTo(BeEmpty())
		return exAction(ex.Status.StageStatuses[0].WorkflowExecutions[0], "gate").Phase
	}

	It("on Argo waits in a suspend node until the approve annotation, then runs the rest", func() {
		argoStandIn()
		exWorkflow(ns, "w", "", exHTTP("before"), exApproval("gate"), exHTTP("after"))
		exPlan(ns, "p", "", exStage("one", false, nil, "w"))
		exExecution(ns, "run", "p")
		Eventually(gatePhase).Should(Equal(drv1.ActionRunning))
		Consistently(func(g Gomega) drv1.ActionPhase {
			return exAction(exGet(ns, "run").Status.StageStatuses[0].WorkflowExecutions[0], "after").Phase
		}, time.Second, 200*time.Millisecond).Should(Equal(drv1.ActionPending))

		approve("gate")
		ex := exWaitPhase(ns, "run", drv1.ExecutionSucceeded)
		e := ex.Status.StageStatuses[0].WorkflowExecutions[0]
		gate := exAction(e, "gate")
		Expect(gate.Approval).NotTo(BeNil())
		Expect(gate.Approval.Via).To(Equal(drv1.ApprovalViaAnnotation))
		Expect(gate.Approval.ApprovedBy).To(BeEmpty(), "no webhook in this suite: the approver is unknown")
		Expect(gate.Approval.ApprovedAt).NotTo(BeNil())
		wf := &wfv1.Workflow{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: e.ArgoWorkflow.Name}, wf)).To(Succeed())
		node := wf.Status.Nodes[wf.NodeID(wf.Name+".gate")]
		Expect(node.Type).To(Equal(wfv1.NodeTypeSuspend))
		Expect(node.Message).To(ContainSubstring("dr.bkbcs.tencent.com/approve"))
		Eventually(func(g Gomega) []string { return execEventReasons(g, ex) }).Should(ContainElement(drv1.ReasonApproved))
	})

	It("on Argo records a node resumed from Argo itself (as argo resume does) as approved via Argo", func() {
		argoStandIn()
		exWorkflow(ns, "w", "", exApproval("gate"), exHTTP("after", "gate"))
		exPlan(ns, "p", "", exStage("one", false, nil, "w"))
		exExecution(ns, "run", "p")
		Eventually(gatePhase).Should(Equal(drv1.ActionRunning))
		name := exGet(ns, "run").Status.StageStatuses[0].WorkflowExecutions[0].ArgoWorkflow.Name
		// What argo resume --node-field-selector writes (workflow/util.updateSuspendedNode).
		Eventually(func() error {
			wf := &wfv1.Workflow{}
			if err := k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, wf); err != nil {
				return err
			}
			id := wf.NodeID(wf.Name + ".gate")
			n := wf.Status.Nodes[id]
			n.Phase, n.FinishedAt = wfv1.NodeSucceeded, metav1.Now()
			wf.Status.Nodes[id] = n
			return k8sClient.Update(ctx, wf)
		}).Should(Succeed())
		ex := exWaitPhase(ns, "run", drv1.ExecutionSucceeded)
		gate := exAction(ex.Status.StageStatuses[0].WorkflowExecutions[0], "gate")
		Expect(gate.Approval).To(HaveField("Via", drv1.ApprovalViaArgo))
		Expect(gate.Approval.ApprovedBy).To(BeEmpty())
	})

	It("on the native engine waits in-process until the approve annotation, then runs the rest", func() {
		var after atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { after.Add(1) }))
		DeferCleanup(srv.Close)
		wf := &drv1.DRWorkflow{ObjectMeta: metav1.ObjectMeta{Name: "n", Namespace: ns}, Spec: drv1.DRWorkflowSpec{
			Executor: &drv1.ExecutorSpec{Type: drv1.ExecutorNative},
			Actions: []drv1.Action{exApproval("gate"), {Name: "after", ActionBody: drv1.ActionBody{Type: drv1.ActionTypeHTTP,
				HTTP: &drv1.HTTPAction{URL: srv.URL + "/after", Method: http.MethodPost}}}}}}
		Expect(k8sClient.Create(ctx, wf)).To(Succeed())
		exPlan(ns, "p", "", exStage("one", false, nil, "n"))
		exExecution(ns, "run", "p")
		Eventually(gatePhase).Should(Equal(drv1.ActionRunning))
		Expect(exAction(exGet(ns, "run").Status.StageStatuses[0].WorkflowExecutions[0], "gate").Message).To(
			Equal("waiting for approval: check p before the switch"))
		Consistently(after.Load, time.Second, 200*time.Millisecond).Should(BeZero())

		approve("gate")
		ex := exWaitPhase(ns, "run", drv1.ExecutionSucceeded)
		Expect(after.Load()).To(Equal(int32(1)))
		gate := exAction(ex.Status.StageStatuses[0].WorkflowExecutions[0], "gate")
		Expect(gate.Approval).To(HaveField("Via", drv1.ApprovalViaAnnotation))
		Expect(gate.Approval.ApprovedAt).NotTo(BeNil())
	})

	DescribeTable("an Approval with a timeout ends at its deadline by its timeoutOutcome, the same on both engines",
		func(executor drv1.ExecutorType, outcome drv1.ApprovalTimeoutOutcome) {
			var after atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { after.Add(1) }))
			DeferCleanup(srv.Close)
			if executor == drv1.ExecutorArgo {
				argoStandIn()
			}
			gate := exApproval("gate")
			gate.Timeout = drv1.Duration(3 * time.Second)
			gate.Approval.TimeoutOutcome = outcome
			wf := &drv1.DRWorkflow{ObjectMeta: metav1.ObjectMeta{Name: "w", Namespace: ns}, Spec: drv1.DRWorkflowSpec{
				Executor: &drv1.ExecutorSpec{Type: executor},
				Actions: []drv1.Action{gate, {Name: "after", DependsOn: []string{"gate"}, ActionBody: drv1.ActionBody{Type: drv1.ActionTypeHTTP,
					HTTP: &drv1.HTTPAction{URL: srv.URL + "/after", Method: http.MethodPost}}}}}}
			Expect(k8sClient.Create(ctx, wf)).To(Succeed())
			exPlan(ns, "p", "", exStage("one", false, nil, "w"))
			exExecution(ns, "run", "p")
			Eventually(gatePhase).Should(Equal(drv1.ActionRunning))

			if outcome == drv1.ApprovalTimeoutContinue {
				ex := exWaitPhase(ns, "run", drv1.ExecutionSucceeded)
				g := exAction(ex.Status.StageStatuses[0].WorkflowExecutions[0], "gate")
				Expect(g.Phase).To(Equal(drv1.ActionSucceeded))
				Expect(g.Message).To(Equal("no approval within 3s: went on without approval (timeoutOutcome Continue)"))
				Expect(g.Approval).To(HaveField("Via", drv1.ApprovalViaTimeout))
				Expect(g.Approval.ApprovedBy).To(BeEmpty())
				Expect(g.CompletionTime.Sub(g.StartTime.Time)).To(BeNumerically(">=", 3*time.Second))
				Eventually(func(gg Gomega) []string { return execEventReasons(gg, ex) }).Should(ContainElement(drv1.ReasonApprovalTimedOut))
				if executor == drv1.ExecutorNative {
					Expect(after.Load()).To(Equal(int32(1)))
				}
				Expect(exAction(ex.Status.StageStatuses[0].WorkflowExecutions[0], "after").Phase).To(Equal(drv1.ActionSucceeded))
				return
			}
			ex := exWaitPhase(ns, "run", drv1.ExecutionFailed)
			e := ex.Status.StageStatuses[0].WorkflowExecutions[0]
			g := exAction(e, "gate")
			Expect(g.Phase).To(Equal(drv1.ActionFailed))
			Expect(g.Message).To(Equal("no approval within 3s (timeout 3s, timeoutOutcome Fail)"))
			Expect(g.Approval).To(BeNil(), "nobody approved")
			Expect(ex.Status.Message).To(ContainSubstring("action gate failed: no approval within 3s"))
			Expect(after.Load()).To(BeZero())
			Expect(exAction(e, "after").Phase).NotTo(Equal(drv1.ActionSucceeded))
		},
		Entry("Argo, timeoutOutcome Fail (the default)", drv1.ExecutorArgo, drv1.ApprovalTimeoutOutcome("")),
		Entry("Argo, timeoutOutcome Continue", drv1.ExecutorArgo, drv1.ApprovalTimeoutContinue),
		Entry("native, timeoutOutcome Fail (the default)", drv1.ExecutorNative, drv1.ApprovalTimeoutOutcome("")),
		Entry("native, timeoutOutcome Continue", drv1.ExecutorNative, drv1.ApprovalTimeoutContinue),
	)
})
