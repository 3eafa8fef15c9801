//go:build e2e

package e2e

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// A Precheck of a plan whose workflow runs on Argo, on the real stack: it passes without a Workflow, a
// ConfigMap, a Job or a call to the hook, and then, under requirePrecheck, lets the Execute run on the real
// workflow-controller.
var _ = Describe("Precheck of an Argo plan", func() {
	It("checks without side effects, then the Execute it unlocks runs on Argo", func() {
		ns := newNamespace(configMapRule)
		createWorkflow(ns, "failover", drv1.WorkflowFailFast, nil,
			hookAction(ns, "notify"),
			resourceAction("mark", drv1.OperationCreate, configMapManifest("marker", ns), "notify"),
			jobAction("verify", ns, false, "mark"))
		p := createPlan(ns, "p", "failover")
		Expect(k8sClient.Patch(ctx, p, rawMerge(`{"spec":{"requirePrecheck":true}}`))).To(Succeed())

		By("refusing an Execute before a Precheck")
		execute(ns, "early", "p")
		early := waitPhase(ns, "early", drv1.ExecutionFailed)
		Expect(completed(early).Reason).To(Equal(drv1.ReasonPrecheckRequired))

		By("a Precheck that passes and touches nothing")
		Expect(k8sClient.Create(ctx, &drv1.DRPlanExecution{ObjectMeta: metav1.ObjectMeta{Name: "check", Namespace: ns},
			Spec: drv1.DRPlanExecutionSpec{PlanRef: "p", OperationType: drv1.OperationPrecheck}})).To(Succeed())
		pc := waitPhase(ns, "check", drv1.ExecutionSucceeded)
		e := entry(pc)
		Expect(e.Engine).To(Equal(drv1.ExecutorArgo))
		Expect(actionPhases(e)).To(Equal(map[string]drv1.ActionPhase{"notify": drv1.ActionSucceeded,
			"mark": drv1.ActionSucceeded, "verify": drv1.ActionSucceeded}))
		Expect(action(e, "verify").Message).To(ContainSubstring("server-side dry run of create Job"))
		Expect(hooks.Requests("/" + ns + "/")).To(BeEmpty())
		var wfs wfv1.WorkflowList
		Expect(k8sClient.List(ctx, &wfs, client.InNamespace(ns))).To(Succeed())
		Expect(wfs.Items).To(BeEmpty())
		Expect(apierrors.IsNotFound(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "marker"}, &corev1.ConfigMap{}))).To(BeTrue())
		var jobs batchv1.JobList
		Expect(k8sClient.List(ctx, &jobs, client.InNamespace(ns))).To(Succeed())
		Expect(jobs.Items).To(BeEmpty())

		By("the Execute it unlocks running on the workflow-controller")
		Eventually(func(g Gomega) *drv1.PrecheckRecord {
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(p), p)).To(Succeed())
			return p.Status.LastPrecheck
		}).Should(And(Not(BeNil()), HaveField("Name", "check"), HaveField("Phase", drv1.ExecutionSucceeded)))
		execute(ns, "run", "p")
		run := waitPhase(ns, "run", drv1.ExecutionSucceeded)
		Expect(entry(run).ArgoWorkflow).NotTo(BeNil())
		Expect(hooks.Requests("/" + ns + "/notify")).To(HaveLen(1))
		Expect(configMap(ns, "marker").Data["execution"]).To(Equal("run"))
	})
})
