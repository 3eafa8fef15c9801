//go:build e2e

package e2e

import (
	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// Argo's own controls on an operator-made Workflow, with the argo CLI on the real controller: what each
// does to the execution (docs/user-guide.md, "During an incident").
var _ = Describe("Argo controls on an operator-made Workflow", func() {
	externalChanges := func(ns string) func(g Gomega) *metav1.Condition {
		return func(g Gomega) *metav1.Condition {
			return meta.FindStatusCondition(getExecution(ns, "run").Status.Conditions, drv1.ConditionExternalChanges)
		}
	}

	It("reports `argo resubmit` and `argo retry` of a failed run as external changes, never as the run", func() {
		ns := newNamespace()
		hooks.On("/"+ns+"/flaky", hookBehaviour{FailFirst: 1, FailStatus: 503})
		createWorkflow(ns, "w", "", nil, hookAction(ns, "flaky"))
		createPlan(ns, "p", "w")
		execute(ns, "run", "p")
		failed := waitPhase(ns, "run", drv1.ExecutionFailed)
		wf := argoWorkflow(ns, entry(failed))
		Expect(meta.FindStatusCondition(failed.Status.Conditions, drv1.ConditionExternalChanges)).To(BeNil())

		// argo retry: the same Workflow runs its failed node again, held at the hook.
		release := make(chan struct{})
		DeferCleanup(func() { closeOnce(release) })
		hooks.On("/"+ns+"/flaky", hookBehaviour{Hold: release})
		out, err := argoCLI("retry", "-n", ns, wf.Name)
		Expect(err).NotTo(HaveOccurred(), "argo retry: %s", out)
		Eventually(externalChanges(ns), "30s").Should(And(Not(BeNil()), HaveField("Status", metav1.ConditionTrue),
			HaveField("Message", ContainSubstring("Workflow "+wf.Name+" runs again after this execution ended Failed (`argo retry`)"))))
		Eventually(func() int { return len(hooks.Requests("/" + ns + "/flaky")) }).Should(Equal(2))
		ex := getExecution(ns, "run")
		Expect(ex.Status.Phase).To(Equal(drv1.ExecutionFailed), "the execution does not follow a retry from Argo")
		Expect(action(entry(ex), "flaky")).To(Equal(action(entry(failed), "flaky")), "the run's record is kept as it was")
		closeOnce(release)
		Eventually(externalChanges(ns), "30s").Should(HaveField("Status", metav1.ConditionFalse))

		// argo resubmit: a copy of the Workflow, owned by the execution, that runs the action a third time.
		out, err = argoCLI("resubmit", "-n", ns, wf.Name)
		Expect(err).NotTo(HaveOccurred(), "argo resubmit: %s", out)
		Eventually(externalChanges(ns), "30s").Should(And(HaveField("Status", metav1.ConditionTrue),
			HaveField("Message", MatchRegexp(`Workflow \S+ is a copy of `+wf.Name+" made with `argo resubmit`"))))
		Eventually(func() int { return len(hooks.Requests("/" + ns + "/flaky")) }, "30s").Should(Equal(3))
		ex = getExecution(ns, "run")
		Expect(ex.Status.Phase).To(Equal(drv1.ExecutionFailed))
		Expect(entry(ex).ArgoWorkflow.Name).To(Equal(wf.Name), "the copy is never taken for the run")
		Eventually(func(g Gomega) []string {
			evs := &corev1.EventList{}
			g.Expect(k8sClient.List(ctx, evs, client.InNamespace(ns))).To(Succeed())
			var reasons []string
			for _, e := range evs.Items {
				if e.InvolvedObject.Name == "run" {
					reasons = append(reasons, e.Reason)
				}
			}
			return reasons
		}).Should(ContainElement(drv1.ReasonExternalChanges))

		list := &wfv1.WorkflowList{}
		Expect(k8sClient.List(ctx, list, client.InNamespace(ns))).To(Succeed())
		Expect(list.Items).To(HaveLen(2), "the run and its copy; the operator made no other")
	})

	It("reports a running run suspended with `argo suspend` until `argo resume`", func() {
		ns := newNamespace()
		release := make(chan struct{})
		DeferCleanup(func() { closeOnce(release) })
		hooks.On("/"+ns+"/slow", hookBehaviour{Hold: release})
		createWorkflow(ns, "w", "", nil, hookAction(ns, "slow"), hookAction(ns, "after", "slow"))
		createPlan(ns, "p", "w")
		execute(ns, "run", "p")
		Eventually(func() int { return len(hooks.Requests("/" + ns + "/slow")) }, "30s").Should(Equal(1))
		wf := argoWorkflow(ns, entry(getExecution(ns, "run")))

		out, err := argoCLI("suspend", "-n", ns, wf.Name)
		Expect(err).NotTo(HaveOccurred(), "argo suspend: %s", out)
		Eventually(externalChanges(ns), "30s").Should(And(Not(BeNil()), HaveField("Status", metav1.ConditionTrue),
			HaveField("Message", ContainSubstring("Workflow "+wf.Name+" is suspended from Argo"))))
		closeOnce(release)
		Consistently(func() []hookRequest { return hooks.Requests("/" + ns + "/after") }, "3s").Should(BeEmpty())
		Expect(getExecution(ns, "run").Status.Phase).To(Equal(drv1.ExecutionRunning))

		out, err = argoCLI("resume", "-n", ns, wf.Name)
		Expect(err).NotTo(HaveOccurred(), "argo resume: %s", out)
		ex := waitPhase(ns, "run", drv1.ExecutionSucceeded)
		Expect(hooks.Requests("/" + ns + "/after")).To(HaveLen(1))
		Expect(meta.FindStatusCondition(ex.Status.Conditions, drv1.ConditionExternalChanges)).To(HaveField("Status", metav1.ConditionFalse))
		checkMapping(argoWorkflow(ns, entry(ex)))
	})
})
