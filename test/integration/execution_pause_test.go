package integration

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/test/argostandin"
)

// Pause and resume by annotation, on both engines: the action running when the pause lands finishes, nothing
// after it starts (not the next action, not the next stage), and the resume runs the rest to Succeeded.
var _ = Describe("Pausing a DRPlanExecution", func() {
	var ns string
	BeforeEach(func() { ns = newNamespace() })

	setPause := func(value *string) {
		GinkgoHelper()
		ex := exGet(ns, "run")
		v := "null"
		if value != nil {
			v = `"` + *value + `"`
		}
		Expect(k8sClient.Patch(ctx, ex, rawMerge([]byte(`{"metadata":{"annotations":{"`+drv1.AnnotationPause+`":`+v+`}}}`)))).To(Succeed())
	}
	pausedReason := func(g Gomega) string {
		c := meta.FindStatusCondition(exGet(ns, "run").Status.Conditions, drv1.ConditionPaused)
		g.Expect(c).NotTo(BeNil())
		return c.Reason
	}
	actionPhase := func(stage int, action string) func(g Gomega) drv1.ActionPhase {
		return func(g Gomega) drv1.ActionPhase {
			ex := exGet(ns, "run")
			g.Expect(len(ex.Status.StageStatuses)).To(BeNumerically(">", stage))
			g.Expect(ex.Status.StageStatuses[stage].WorkflowExecutions[0].ActionStatuses).NotTo(BeEmpty())
			return exAction(ex.Status.StageStatuses[stage].WorkflowExecutions[0], action).Phase
		}
	}
	yes := "true"

	It("on Argo suspends the Workflow, lets the running step finish, starts nothing more, and resumes", func() {
		argo := argoStandIn()
		var hold atomic.Bool
		hold.Store(true)
		argo.SetScript(func(t argostandin.Task) argostandin.Outcome {
			return argostandin.Outcome{Hold: t.Action == "first" && hold.Load()}
		})
		exWorkflow(ns, "w", "", exConfigMap("first", "pause-first"), exHTTP("after"))
		exWorkflow(ns, "w2", "", exHTTP("later"))
		exPlan(ns, "p", "", exStage("one", false, nil, "w"), exStage("two", false, nil, "w2"))
		exExecution(ns, "run", "p")
		Eventually(actionPhase(0, "first")).Should(Equal(drv1.ActionRunning))

		setPause(&yes)
		Eventually(pausedReason).Should(Equal(drv1.ReasonPausing))
		name := exGet(ns, "run").Status.StageStatuses[0].WorkflowExecutions[0].ArgoWorkflow.Name
		wf := &wfv1.Workflow{}
		Eventually(func(g Gomega) *bool {
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, wf)).To(Succeed())
			return wf.Spec.Suspend
		}).Should(HaveValue(BeTrue()))
		Expect(wf.Annotations).To(HaveKeyWithValue(drv1.AnnotationSuspendedByOperator, "true"))

		hold.Store(false)
		Eventually(actionPhase(0, "first")).Should(Equal(drv1.ActionSucceeded), "the running step finishes")
		Eventually(pausedReason).Should(Equal(drv1.ReasonPaused))
		Consistently(func(g Gomega) {
			ex := exGet(ns, "run")
			g.Expect(ex.Status.Phase).To(Equal(drv1.ExecutionRunning))
			g.Expect(exAction(ex.Status.StageStatuses[0].WorkflowExecutions[0], "after").Phase).To(Equal(drv1.ActionPending))
			g.Expect(exWorkflows(ns)).To(HaveLen(1), "the next stage's Workflow is not created while paused")
		}, 2*time.Second, 200*time.Millisecond).Should(Succeed())
		out, err := kubectl("get", "drpe", "run", "-n", ns)
		Expect(err).NotTo(HaveOccurred(), out)
		Expect(out).To(MatchRegexp(`(?m)^run\s+p\s+Execute\s+Running\s+Paused\s+1/3\s`), "kubectl shows the pause")
		Expect(exGet(ns, "run").Status.Conditions).To(ContainElement(And(
			HaveField("Type", drv1.ConditionPaused), HaveField("Status", metav1.ConditionTrue),
			HaveField("Message", ContainSubstring("no admission webhook recorded one")))), "no webhook in this suite: the user is unknown")

		setPause(nil)
		ex := exWaitPhase(ns, "run", drv1.ExecutionSucceeded)
		Expect(meta.FindStatusCondition(ex.Status.Conditions, drv1.ConditionPaused)).To(And(
			HaveField("Status", metav1.ConditionFalse), HaveField("Reason", drv1.ReasonNotPaused)))
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, wf)).To(Succeed())
		Expect(wf.Spec.Suspend).To(BeNil())
		Expect(wf.Annotations).NotTo(HaveKey(drv1.AnnotationSuspendedByOperator))
		Eventually(func(g Gomega) []string { return execEventReasons(g, ex) }).Should(ContainElements(drv1.ReasonPaused, drv1.ReasonNotPaused))
	})

	It("on the native engine lets the running action finish, starts nothing more, and resumes", func() {
		var release atomic.Bool
		var calls atomic.Int32
		later := atomic.Int32{}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/first":
				for !release.Load() {
					time.Sleep(20 * time.Millisecond)
				}
			case "/later":
				later.Add(1)
			}
			calls.Add(1)
		}))
		DeferCleanup(srv.Close)
		native := func(name string, actions ...string) {
			wf := &drv1.DRWorkflow{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: drv1.DRWorkflowSpec{
				Executor: &drv1.ExecutorSpec{Type: drv1.ExecutorNative}}}
			for _, a := range actions {
				wf.Spec.Actions = append(wf.Spec.Actions, drv1.Action{Name: a, ActionBody: drv1.ActionBody{Type: drv1.ActionTypeHTTP,
					HTTP: &drv1.HTTPAction{URL: srv.URL + "/" + a, Method: http.MethodPost}}})
			}
			Expect(k8sClient.Create(ctx, wf)).To(Succeed())
		}
		native("n", "first", "after")
		native("n2", "later")
		exPlan(ns, "p", "", exStage("one", false, nil, "n"), exStage("two", false, nil, "n2"))
		exExecution(ns, "run", "p")
		Eventually(actionPhase(0, "first")).Should(Equal(drv1.ActionRunning))

		setPause(&yes)
		Eventually(pausedReason).Should(Equal(drv1.ReasonPausing))
		release.Store(true)
		Eventually(actionPhase(0, "first")).Should(Equal(drv1.ActionSucceeded), "the running action finishes")
		Eventually(pausedReason).Should(Equal(drv1.ReasonPaused))
		Consistently(func(g Gomega) {
			ex := exGet(ns, "run")
			g.Expect(ex.Status.Phase).To(Equal(drv1.ExecutionRunning))
			g.Expect(exAction(ex.Status.StageStatuses[0].WorkflowExecutions[0], "after").Phase).To(Equal(drv1.ActionPending))
			g.Expect(calls.Load()).To(Equal(int32(1)), "only the action running at the pause was called")
		}, 2*time.Second, 200*time.Millisecond).Should(Succeed())

		no := "false"
		setPause(&no)
		ex := exWaitPhase(ns, "run", drv1.ExecutionSucceeded)
		Expect(calls.Load()).To(Equal(int32(3)))
		Expect(later.Load()).To(Equal(int32(1)))
		Expect(meta.FindStatusCondition(ex.Status.Conditions, drv1.ConditionPaused)).To(HaveField("Reason", drv1.ReasonNotPaused))
	})

	It("cancels a paused execution: the suspended Workflow is stopped and the execution ends Canceled", func() {
		argo := argoStandIn()
		argo.SetScript(exOutcomes(map[string]argostandin.Outcome{"first": {Hold: true}}))
		exWorkflow(ns, "w", "", exConfigMap("first", "pause-cancel"), exHTTP("after"))
		exPlan(ns, "p", "", exStage("one", false, nil, "w"))
		exExecution(ns, "run", "p")
		Eventually(actionPhase(0, "first")).Should(Equal(drv1.ActionRunning))
		setPause(&yes)
		Eventually(pausedReason).Should(Equal(drv1.ReasonPausing))
		ex := exGet(ns, "run")
		Expect(k8sClient.Patch(ctx, ex, rawMerge([]byte(`{"metadata":{"annotations":{"`+drv1.AnnotationCancel+`":"true"}}}`)))).To(Succeed())
		ex = exWaitPhase(ns, "run", drv1.ExecutionCanceled)
		wf := &wfv1.Workflow{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: ex.Status.StageStatuses[0].WorkflowExecutions[0].ArgoWorkflow.Name}, wf)).To(Succeed())
		Expect(wf.Spec.Suspend).To(BeNil(), "a cancel lifts the suspension, else Argo would never stop the Workflow")
		Expect(wf.Spec.Shutdown).To(Equal(wfv1.ShutdownStrategyTerminate))
		Expect(meta.FindStatusCondition(ex.Status.Conditions, drv1.ConditionPaused)).To(HaveField("Status", metav1.ConditionFalse))
	})
})
