package integration

import (
	"sync/atomic"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/types"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/test/argostandin"
)

// Upstream's stages[].failurePolicy: a stage's own policy overrides the plan's for a failure of that stage.
var _ = Describe("Upstream stage failurePolicy", func() {
	var ns string
	var argo *argostandin.StandIn
	BeforeEach(func() {
		ns = newNamespace()
		argo = argoStandIn()
	})

	withPolicy := func(st drv1.Stage, p drv1.StageFailurePolicy) drv1.Stage { st.FailurePolicy = p; return st }

	It("lets later stages start after a stage with failurePolicy Continue failed, under a plan that stops", func() {
		var released atomic.Bool
		argo.SetScript(func(t argostandin.Task) argostandin.Outcome {
			switch t.Action {
			case "bad":
				return argostandin.Outcome{Fail: true, Message: "health check failed"}
			case "slow":
				return argostandin.Outcome{Hold: !released.Load()}
			}
			return argostandin.Outcome{}
		})
		exWorkflow(ns, "w-bad", "", exHTTP("bad"))
		exWorkflow(ns, "w-slow", "", exHTTP("slow"))
		exWorkflow(ns, "w-after", "", exHTTP("after"))
		exPlan(ns, "p", drv1.PlanStop,
			withPolicy(exStage("optional", false, nil, "w-bad"), drv1.StageContinue),
			exStage("main", false, nil, "w-slow"),
			exStage("next", false, []string{"main"}, "w-after"))
		exExecution(ns, "run", "p")

		By("the optional stage fails while main still runs; only then main succeeds")
		Eventually(func(g Gomega) drv1.ExecutionPhase {
			ex := exGet(ns, "run")
			g.Expect(ex.Status.StageStatuses).To(HaveLen(3))
			return ex.Status.StageStatuses[0].Phase
		}).Should(Equal(drv1.ExecutionFailed))
		released.Store(true)

		ex := exWaitPhase(ns, "run", drv1.ExecutionFailed)
		phases := map[string]drv1.ExecutionPhase{}
		for _, st := range ex.Status.StageStatuses {
			phases[st.Name] = st.Phase
		}
		Expect(phases).To(Equal(map[string]drv1.ExecutionPhase{"optional": drv1.ExecutionFailed,
			"main": drv1.ExecutionSucceeded, "next": drv1.ExecutionSucceeded}), "plan Stop would have held next back")
		Expect(ex.Status.Message).To(ContainSubstring("health check failed"))
	})

	It("holds later stages after a stage with failurePolicy Stop failed, under a plan that continues", func() {
		var released atomic.Bool
		argo.SetScript(func(t argostandin.Task) argostandin.Outcome {
			switch t.Action {
			case "bad":
				return argostandin.Outcome{Fail: true}
			case "slow":
				return argostandin.Outcome{Hold: !released.Load()}
			}
			return argostandin.Outcome{}
		})
		exWorkflow(ns, "w-bad", "", exHTTP("bad"))
		exWorkflow(ns, "w-slow", "", exHTTP("slow"))
		exWorkflow(ns, "w-after", "", exHTTP("after"))
		exPlan(ns, "p", drv1.PlanContinue,
			withPolicy(exStage("critical", false, nil, "w-bad"), drv1.StageStop),
			exStage("main", false, nil, "w-slow"),
			exStage("next", false, []string{"main"}, "w-after"))
		exExecution(ns, "run", "p")
		Eventually(func(g Gomega) drv1.ExecutionPhase {
			ex := exGet(ns, "run")
			g.Expect(ex.Status.StageStatuses).To(HaveLen(3))
			return ex.Status.StageStatuses[0].Phase
		}).Should(Equal(drv1.ExecutionFailed))
		released.Store(true)

		ex := exWaitPhase(ns, "run", drv1.ExecutionFailed)
		Expect(ex.Status.StageStatuses[1].Phase).To(Equal(drv1.ExecutionSucceeded), "a running stage finishes")
		next := ex.Status.StageStatuses[2]
		Expect(next.Phase).To(BeElementOf(drv1.ExecutionPhase(""), drv1.ExecutionPending))
		Expect(next.WorkflowExecutions[0].Message).To(Equal("not run: an earlier stage failed"))
		Expect(exWorkflows(ns)).To(HaveLen(2), "no Workflow was created for the held stage")
	})

	It("cancels the other running workflows of a parallel stage with failurePolicy FailFast", func() {
		argo.SetScript(exOutcomes(map[string]argostandin.Outcome{"bad": {Fail: true}, "slow": {Hold: true}}))
		exWorkflow(ns, "w-bad", "", exHTTP("bad"))
		exWorkflow(ns, "w-slow", "", exHTTP("slow"))
		exPlan(ns, "p", drv1.PlanContinue, withPolicy(exStage("both", true, nil, "w-bad", "w-slow"), drv1.StageFailFast))
		exExecution(ns, "run", "p")

		ex := exWaitPhase(ns, "run", drv1.ExecutionFailed)
		st := ex.Status.StageStatuses[0]
		Expect(st.Phase).To(Equal(drv1.ExecutionFailed))
		slow := st.WorkflowExecutions[1]
		Expect(slow.Phase).To(BeElementOf(drv1.ExecutionFailed, drv1.ExecutionCanceled))
		Expect(exActionPhases(slow)).To(HaveKeyWithValue("slow", BeElementOf(drv1.ActionFailed, drv1.ActionCanceled)))
		wf := &wfv1.Workflow{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: slow.ArgoWorkflow.Name}, wf)).To(Succeed())
		Expect(wf.Spec.Shutdown).To(Equal(wfv1.ShutdownStrategyTerminate), "the held sibling was stopped, not waited for")
	})
})
