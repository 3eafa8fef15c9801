package integration

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// eventReasons lists the reasons of the events about obj, oldest first.
func eventReasons(g Gomega, obj client.Object) []string {
	list := &eventsv1.EventList{}
	g.Expect(k8sClient.List(ctx, list, client.InNamespace(obj.GetNamespace()))).To(Succeed())
	var reasons []string
	for _, e := range list.Items {
		if e.Regarding.Name == obj.GetName() && e.Regarding.Kind == obj.GetObjectKind().GroupVersionKind().Kind {
			reasons = append(reasons, e.Reason)
		}
	}
	return reasons
}

// cyclicWorkflow is accepted by the CRD schema but not by the translator: a -> b -> a.
func cyclicWorkflow(ns, name string) *drv1.DRWorkflow {
	http := func(n string, deps ...string) drv1.Action {
		return drv1.Action{Name: n, DependsOn: deps, ActionBody: drv1.ActionBody{Type: drv1.ActionTypeHTTP, HTTP: &drv1.HTTPAction{URL: "https://x/" + n}}}
	}
	return &drv1.DRWorkflow{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       drv1.DRWorkflowSpec{Actions: []drv1.Action{http("a", "b"), http("b", "a"), http("c")}},
	}
}

var _ = Describe("DRWorkflow reconciler", func() {
	var ns string
	BeforeEach(func() { ns = newNamespace() })

	It("marks a valid workflow Ready with its action count", func() {
		wf := validWorkflow(ns, "valid")
		Expect(k8sClient.Create(ctx, wf)).To(Succeed())
		Eventually(readyOf(wf)).Should(haveReady(metav1.ConditionTrue, drv1.ReasonValid))
		Expect(wf.Status.Phase).To(Equal(drv1.DRWorkflowReady))
		Expect(wf.Status.ActionCount).To(BeEquivalentTo(2))
		Expect(wf.Status.ObservedGeneration).To(Equal(wf.Generation))
		wf.SetGroupVersionKind(drv1.GroupVersion.WithKind("DRWorkflow"))
		Eventually(func(g Gomega) []string { return eventReasons(g, wf) }).Should(Equal([]string{drv1.ReasonValid}))
	})

	It("marks a workflow the translator rejects Invalid, naming the error, and Ready once fixed", func() {
		wf := cyclicWorkflow(ns, "cycle")
		Expect(k8sClient.Create(ctx, wf)).To(Succeed())
		var cond metav1.Condition
		Eventually(func(g Gomega) metav1.Condition {
			cond = readyOf(wf)(g)
			return cond
		}).Should(haveReady(metav1.ConditionFalse, drv1.ReasonInvalid))
		Expect(cond.Message).To(ContainSubstring("workflow is invalid"))
		Expect(cond.Message).To(ContainSubstring("spec.actions"))
		Expect(cond.Message).To(ContainSubstring("cycle"))
		Expect(wf.Status.Phase).To(Equal(drv1.DRWorkflowInvalid))
		Expect(wf.Status.ActionCount).To(BeEquivalentTo(3))
		invalidSince := cond.LastTransitionTime

		wf.Spec.Actions[0].DependsOn = nil
		Expect(k8sClient.Update(ctx, wf)).To(Succeed())
		Eventually(readyOf(wf)).Should(haveReady(metav1.ConditionTrue, drv1.ReasonValid))
		Expect(wf.Status.Phase).To(Equal(drv1.DRWorkflowReady))
		Expect(wf.Status.ObservedGeneration).To(BeEquivalentTo(2))
		c := readyCondition(wf)
		Expect(c.LastTransitionTime.Before(&invalidSince)).To(BeFalse())

		wf.SetGroupVersionKind(drv1.GroupVersion.WithKind("DRWorkflow"))
		Eventually(func(g Gomega) []string { return eventReasons(g, wf) }).
			Should(ConsistOf(drv1.ReasonInvalid, drv1.ReasonValid))
	})

	It("does not rewrite the status when nothing changed", func() {
		wf := validWorkflow(ns, "quiet")
		Expect(k8sClient.Create(ctx, wf)).To(Succeed())
		Eventually(readyOf(wf)).Should(haveReady(metav1.ConditionTrue, drv1.ReasonValid))
		rv := wf.ResourceVersion
		// A metadata-only change reaches the cache but is not a new generation: no status write follows.
		wf.Labels = map[string]string{"touched": "yes"}
		Expect(k8sClient.Update(ctx, wf)).To(Succeed())
		touched := wf.ResourceVersion
		Expect(touched).NotTo(Equal(rv))
		Consistently(func(g Gomega) string {
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(wf), wf)).To(Succeed())
			return wf.ResourceVersion
		}, "2s", "200ms").Should(Equal(touched))
	})
})

var _ = Describe("DRPlan reconciler", func() {
	var ns string
	BeforeEach(func() { ns = newNamespace() })

	It("reports a missing workflow as WorkflowNotFound and turns Ready when it appears", func() {
		plan := planFor(ns, "waiting", "late")
		Expect(k8sClient.Create(ctx, plan)).To(Succeed())
		var cond metav1.Condition
		Eventually(func(g Gomega) metav1.Condition {
			cond = readyOf(plan)(g)
			return cond
		}).Should(haveReady(metav1.ConditionFalse, drv1.ReasonWorkflowNotFound))
		Expect(cond.Message).To(ContainSubstring("DRWorkflow " + ns + "/late not found"))
		Expect(plan.Status.Phase).To(Equal(drv1.DRPlanInvalid))

		Expect(k8sClient.Create(ctx, validWorkflow(ns, "late"))).To(Succeed())
		Eventually(readyOf(plan)).Should(haveReady(metav1.ConditionTrue, drv1.ReasonValid))
		Expect(plan.Status.Phase).To(Equal(drv1.DRPlanReady))

		plan.SetGroupVersionKind(drv1.GroupVersion.WithKind("DRPlan"))
		Eventually(func(g Gomega) []string { return eventReasons(g, plan) }).
			Should(ConsistOf(drv1.ReasonWorkflowNotFound, drv1.ReasonValid))
	})

	It("reports an invalid workflow as WorkflowInvalid, and follows the workflow's fix and deletion", func() {
		wf := cyclicWorkflow(ns, "cycle")
		Expect(k8sClient.Create(ctx, wf)).To(Succeed())
		plan := planFor(ns, "blocked", "cycle")
		plan.Spec.GlobalParams = nil // the workflow declares none
		Expect(k8sClient.Create(ctx, plan)).To(Succeed())
		var cond metav1.Condition
		Eventually(func(g Gomega) metav1.Condition {
			cond = readyOf(plan)(g)
			return cond
		}).Should(haveReady(metav1.ConditionFalse, drv1.ReasonWorkflowInvalid))
		Expect(cond.Message).To(ContainSubstring("DRWorkflow " + ns + "/cycle"))
		Expect(cond.Message).To(ContainSubstring("cycle"))

		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(wf), wf)).To(Succeed())
		wf.Spec.Actions[0].DependsOn = nil
		Expect(k8sClient.Update(ctx, wf)).To(Succeed())
		Eventually(readyOf(plan)).Should(haveReady(metav1.ConditionTrue, drv1.ReasonValid))

		Expect(k8sClient.Delete(ctx, wf)).To(Succeed())
		Eventually(readyOf(plan)).Should(haveReady(metav1.ConditionFalse, drv1.ReasonWorkflowNotFound))
	})

	It("names every missing workflow, across namespaces", func() {
		other := newNamespace()
		plan := planFor(ns, "two-missing", "first")
		plan.Spec.Stages = append(plan.Spec.Stages, drv1.Stage{Name: "dns", Workflows: []drv1.WorkflowEntry{
			{WorkflowRef: drv1.ObjectReference{Name: "second", Namespace: other}},
		}})
		Expect(k8sClient.Create(ctx, plan)).To(Succeed())
		Eventually(readyOf(plan)).Should(And(
			haveReady(metav1.ConditionFalse, drv1.ReasonWorkflowNotFound),
			HaveField("Message", And(ContainSubstring(ns+"/first"), ContainSubstring(other+"/second"))),
		))
		Expect(k8sClient.Create(ctx, validWorkflow(other, "second"))).To(Succeed())
		Eventually(readyOf(plan)).Should(HaveField("Message", And(ContainSubstring(ns+"/first"), Not(ContainSubstring("second")))))
		Expect(k8sClient.Create(ctx, validWorkflow(ns, "first"))).To(Succeed())
		Eventually(readyOf(plan)).Should(haveReady(metav1.ConditionTrue, drv1.ReasonValid))
	})

	It("marks a plan the translator rejects Invalid", func() {
		Expect(k8sClient.Create(ctx, validWorkflow(ns, "w"))).To(Succeed())
		plan := planFor(ns, "loop", "w")
		plan.Spec.Stages = []drv1.Stage{
			{Name: "one", DependsOn: []string{"two"}, Workflows: []drv1.WorkflowEntry{{WorkflowRef: drv1.ObjectReference{Name: "w"}}}},
			{Name: "two", DependsOn: []string{"one"}, Workflows: []drv1.WorkflowEntry{{WorkflowRef: drv1.ObjectReference{Name: "w"}}}},
		}
		Expect(k8sClient.Create(ctx, plan)).To(Succeed())
		Eventually(readyOf(plan)).Should(And(
			haveReady(metav1.ConditionFalse, drv1.ReasonInvalid),
			HaveField("Message", And(ContainSubstring("plan is invalid"), ContainSubstring("spec.stages"))),
		))
		Expect(plan.Status.Phase).To(Equal(drv1.DRPlanInvalid))
	})

	It("marks a plan Invalid when its workflow stops declaring a parameter the plan sets, naming it", func() {
		wf := validWorkflow(ns, "w")
		wf.Spec.Parameters = append(wf.Spec.Parameters, drv1.Parameter{Name: "zone"})
		Expect(k8sClient.Create(ctx, wf)).To(Succeed())
		plan := planFor(ns, "zoned", "w")
		plan.Spec.GlobalParams = []drv1.ParamValue{{Name: "site", Value: "a"}, {Name: "zone", Value: "z1"}}
		Expect(k8sClient.Create(ctx, plan)).To(Succeed())
		Eventually(readyOf(plan)).Should(haveReady(metav1.ConditionTrue, drv1.ReasonValid))
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(wf), wf)).To(Succeed())
		wf.Spec.Parameters = wf.Spec.Parameters[:1]
		Expect(k8sClient.Update(ctx, wf)).To(Succeed())
		Eventually(readyOf(plan)).Should(And(
			haveReady(metav1.ConditionFalse, drv1.ReasonInvalid),
			HaveField("Message", And(ContainSubstring("spec.globalParams[1].name"), ContainSubstring(`"zone"`), ContainSubstring("declared: site"))),
		))
	})

	It("leaves the execution fields of the status alone", func() {
		_, plan := createReadyPair(ns, "w", "executed")
		now := metav1.Now()
		patch := client.MergeFrom(plan.DeepCopy())
		plan.Status.Phase = drv1.DRPlanExecuted
		plan.Status.LastExecutionRef = &drv1.ObjectReference{Name: "run-1"}
		plan.Status.LastExecutionTime = &now
		plan.Status.ExecutionHistory = []drv1.ExecutionRecord{{Name: "run-1", OperationType: drv1.OperationExecute, Phase: drv1.ExecutionSucceeded}}
		Expect(k8sClient.Status().Patch(ctx, plan, patch)).To(Succeed())

		// A spec change makes the reconciler validate and write again.
		plan.Spec.Description = "changed"
		Expect(k8sClient.Update(ctx, plan)).To(Succeed())
		Eventually(readyOf(plan)).Should(haveReady(metav1.ConditionTrue, drv1.ReasonValid))
		Expect(plan.Status.Phase).To(Equal(drv1.DRPlanExecuted))
		Expect(plan.Status.LastExecutionRef).To(Equal(&drv1.ObjectReference{Name: "run-1"}))
		Expect(plan.Status.ExecutionHistory).To(HaveLen(1))
		Expect(plan.Status.LastExecutionTime).NotTo(BeNil())
	})
})
