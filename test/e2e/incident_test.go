//go:build e2e

package e2e

import (
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

func approvalAction(name string, deps ...string) drv1.Action {
	return drv1.Action{Name: name, DependsOn: deps, ActionBody: drv1.ActionBody{Type: drv1.ActionTypeApproval,
		Approval: &drv1.ApprovalAction{Message: "check the standby before {{ .planName }} goes on"}}}
}

// The controls a person uses during an incident, on the real workflow-controller.
var _ = Describe("Incident controls on the real Argo workflow-controller", func() {
	It("pauses a run: the Workflow is suspended, the running step finishes, no new node starts; resume completes it", func() {
		ns := newNamespace()
		release := make(chan struct{})
		DeferCleanup(func() { closeOnce(release) })
		hooks.On("/"+ns+"/first", hookBehaviour{Hold: release})
		createWorkflow(ns, "w", "", nil, hookAction(ns, "first"), hookAction(ns, "second"))
		createPlan(ns, "p", "w")
		execute(ns, "run", "p")
		Eventually(func() []hookRequest { return hooks.Requests("/" + ns + "/first") }).Should(HaveLen(1))

		Expect(k8sClient.Patch(ctx, getExecution(ns, "run"), rawMerge(`{"metadata":{"annotations":{"`+drv1.AnnotationPause+`":"true"}}}`))).To(Succeed())
		var wf *wfv1.Workflow
		Eventually(func(g Gomega) *bool {
			ex := getExecution(ns, "run")
			g.Expect(ex.Status.StageStatuses).NotTo(BeEmpty())
			wf = argoWorkflow(ns, entry(ex))
			return wf.Spec.Suspend
		}).Should(HaveValue(BeTrue()), "the operator suspends the Workflow")
		Eventually(func(g Gomega) bool {
			return meta.IsStatusConditionTrue(getExecution(ns, "run").Status.Conditions, drv1.ConditionPaused)
		}).Should(BeTrue())

		closeOnce(release) // the running step ends while suspended
		Consistently(func(g Gomega) {
			g.Expect(hooks.Requests("/" + ns + "/second")).To(BeEmpty())
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(wf), wf)).To(Succeed())
			g.Expect(wf.Status.Nodes).NotTo(HaveKey(wf.NodeID(wf.Name+".second")), "no node starts while suspended")
			g.Expect(wf.Status.Phase).To(Equal(wfv1.WorkflowRunning))
			g.Expect(getExecution(ns, "run").Status.Phase).To(Equal(drv1.ExecutionRunning))
		}, "5s", "500ms").Should(Succeed())

		Expect(k8sClient.Patch(ctx, getExecution(ns, "run"), rawMerge(`{"metadata":{"annotations":{"`+drv1.AnnotationPause+`":null}}}`))).To(Succeed())
		ex := waitPhase(ns, "run", drv1.ExecutionSucceeded)
		Expect(actionPhases(entry(ex))).To(Equal(map[string]drv1.ActionPhase{"first": drv1.ActionSucceeded, "second": drv1.ActionSucceeded}))
		Expect(hooks.Requests("/"+ns+"/first")).To(HaveLen(1), "the step running at the pause ran once")
		Expect(hooks.Requests("/" + ns + "/second")).To(HaveLen(1))
		Expect(meta.FindStatusCondition(ex.Status.Conditions, drv1.ConditionPaused)).To(And(
			HaveField("Status", metav1.ConditionFalse), HaveField("Reason", drv1.ReasonNotPaused)))
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(wf), wf)).To(Succeed())
		Expect(wf.Spec.Suspend).To(BeNil())
		Expect(wf.Annotations).NotTo(HaveKey(drv1.AnnotationSuspendedByOperator))
		checkMapping(wf)
	})

	It("waits at Approval gates: one resumed with `argo resume --node-field-selector`, one by the approve annotation", func() {
		ns := newNamespace()
		createWorkflow(ns, "w", "", nil, approvalAction("gate-a"), approvalAction("gate-b"), hookAction(ns, "after"))
		createPlan(ns, "p", "w")
		execute(ns, "run", "p")
		gate := func(name string) func(g Gomega) drv1.ActionStatus {
			return func(g Gomega) drv1.ActionStatus {
				ex := getExecution(ns, "run")
				g.Expect(ex.Status.StageStatuses).NotTo(BeEmpty())
				g.Expect(entry(ex).ActionStatuses).NotTo(BeEmpty())
				return action(entry(ex), name)
			}
		}
		Eventually(gate("gate-a")).Should(HaveField("Phase", drv1.ActionRunning))
		wf := argoWorkflow(ns, entry(getExecution(ns, "run")))
		Expect(wf.Status.Nodes[wf.NodeID(wf.Name+".gate-a")].Type).To(Equal(wfv1.NodeTypeSuspend))

		out, err := argoCLI("resume", "-n", ns, wf.Name, "--node-field-selector", "displayName=gate-a")
		Expect(err).NotTo(HaveOccurred(), "argo resume: %s", out)
		Eventually(gate("gate-a")).Should(HaveField("Phase", drv1.ActionSucceeded))
		Eventually(gate("gate-b")).Should(HaveField("Phase", drv1.ActionRunning))
		Consistently(func() []hookRequest { return hooks.Requests("/" + ns + "/after") }, "2s").Should(BeEmpty())

		Expect(k8sClient.Patch(ctx, getExecution(ns, "run"), rawMerge(`{"metadata":{"annotations":{"`+drv1.AnnotationApprove+`":"gate-b"}}}`))).To(Succeed())
		ex := waitPhase(ns, "run", drv1.ExecutionSucceeded)
		Expect(hooks.Requests("/" + ns + "/after")).To(HaveLen(1))
		a, b := action(entry(ex), "gate-a"), action(entry(ex), "gate-b")
		Expect(a.Approval).To(HaveField("Via", drv1.ApprovalViaArgo))
		Expect(a.Approval.ApprovedBy).To(BeEmpty(), "argo resume names no user the operator can trust")
		Expect(a.Approval.ApprovedAt).NotTo(BeNil())
		Expect(b.Approval).To(HaveField("Via", drv1.ApprovalViaAnnotation))
		Expect(b.Approval.ApprovedAt).NotTo(BeNil())
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(wf), wf)).To(Succeed())
		Expect(wf.Status.Nodes[wf.NodeID(wf.Name+".gate-b")].Message).To(ContainSubstring(drv1.AnnotationApprove))
		checkMapping(wf)
	})

	It("ends an Approval at its timeout by its outcome (Continue, Fail), and `argo stop --node-field-selector` refuses one", func() {
		ns := newNamespace()
		timed := func(name string, outcome drv1.ApprovalTimeoutOutcome, deps ...string) drv1.Action {
			a := approvalAction(name, deps...)
			a.Timeout = drv1.Duration(3 * time.Second)
			a.Approval.TimeoutOutcome = outcome
			return a
		}
		createWorkflow(ns, "w", "", nil, timed("soft", drv1.ApprovalTimeoutContinue), hookAction(ns, "between", "soft"),
			timed("hard", drv1.ApprovalTimeoutFail, "between"), hookAction(ns, "after", "hard"))
		createPlan(ns, "p", "w")
		execute(ns, "run", "p")
		ex := waitPhase(ns, "run", drv1.ExecutionFailed)
		e := entry(ex)
		soft, hard := action(e, "soft"), action(e, "hard")
		Expect(soft.Phase).To(Equal(drv1.ActionSucceeded))
		Expect(soft.Message).To(Equal("no approval within 3s: went on without approval (timeoutOutcome Continue)"))
		Expect(soft.Approval).To(HaveField("Via", drv1.ApprovalViaTimeout))
		Expect(hooks.Requests("/" + ns + "/between")).To(HaveLen(1))
		Expect(hard.Phase).To(Equal(drv1.ActionFailed))
		Expect(hard.Message).To(Equal("no approval within 3s (timeout 3s, timeoutOutcome Fail)"))
		Expect(hooks.Requests("/" + ns + "/after")).To(BeEmpty())
		wf := argoWorkflow(ns, e)
		Expect(wf.Status.Nodes[wf.NodeID(wf.Name+".soft")].Phase).To(Equal(wfv1.NodeSucceeded))
		Expect(wf.Status.Nodes[wf.NodeID(wf.Name+".hard")].Phase).To(Equal(wfv1.NodeFailed))
		checkMapping(wf)

		// A refusal from Argo: the suspended node is stopped as Failed, with the refuser's message.
		ns = newNamespace()
		createWorkflow(ns, "w", "", nil, approvalAction("gate"), hookAction(ns, "after", "gate"))
		createPlan(ns, "p", "w")
		execute(ns, "run", "p")
		Eventually(func(g Gomega) drv1.ActionPhase {
			ex := getExecution(ns, "run")
			g.Expect(ex.Status.StageStatuses).NotTo(BeEmpty())
			g.Expect(entry(ex).ActionStatuses).NotTo(BeEmpty())
			return action(entry(ex), "gate").Phase
		}).Should(Equal(drv1.ActionRunning))
		wf = argoWorkflow(ns, entry(getExecution(ns, "run")))
		out, err := argoCLI("stop", "-n", ns, wf.Name, "--node-field-selector", "displayName=gate", "--message", "standby not ready")
		Expect(err).NotTo(HaveOccurred(), "argo stop: %s", out)
		ex = waitPhase(ns, "run", drv1.ExecutionFailed)
		gate := action(entry(ex), "gate")
		Expect(gate.Phase).To(Equal(drv1.ActionFailed))
		Expect(gate.Message).To(ContainSubstring("standby not ready"))
		Expect(gate.Approval).To(BeNil())
		Expect(hooks.Requests("/" + ns + "/after")).To(BeEmpty())
	})
})
