package webhook_test

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

var _ = Describe("Precheck admission", func() {
	var ns string
	BeforeEach(func(ctx context.Context) {
		ns = newNamespace(ctx)
		create(ctx, validWorkflow(ns, "wf"))
	})
	// plan of validWorkflow, which requires a site.
	sitePlan := func(name string) *drv1.DRPlan {
		p := plan(ns, name, stage("a", nil, "wf"))
		p.Spec.GlobalParams = []drv1.ParamValue{{Name: "site", Value: "b"}}
		return p
	}

	precheck := func(name, planName string) *drv1.DRPlanExecution {
		return &drv1.DRPlanExecution{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: drv1.DRPlanExecutionSpec{PlanRef: planName, OperationType: drv1.OperationPrecheck}}
	}

	It("refuses an Execute of a plan with requirePrecheck until its latest Precheck passed for the current definition", func(ctx context.Context) {
		p := sitePlan("gated")
		p.Spec.RequirePrecheck = true
		create(ctx, p)
		expectInvalid(k8sClient.Create(ctx, execution(ns, "early", "gated")),
			"spec.planRef", "DRPlan "+ns+"/gated requires a passing Precheck", "no Precheck has finished")

		wf := &drv1.DRWorkflow{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "wf"}, wf)).To(Succeed())
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(p), p)).To(Succeed())
		p.Status.LastPrecheck = &drv1.PrecheckRecord{Name: "pc", Phase: drv1.ExecutionSucceeded, PlanGeneration: p.Generation,
			Workflows: []drv1.WorkflowGeneration{{Namespace: ns, Name: "wf", Generation: wf.Generation + 1}}}
		Expect(k8sClient.Status().Update(ctx, p)).To(Succeed())
		expectInvalid(k8sClient.Create(ctx, execution(ns, "stale", "gated")),
			"the latest Precheck pc", "DRWorkflow "+ns+"/wf was checked at generation")

		p.Status.LastPrecheck.Workflows[0].Generation = wf.Generation
		Expect(k8sClient.Status().Update(ctx, p)).To(Succeed())
		Expect(k8sClient.Create(ctx, execution(ns, "go", "gated"))).To(Succeed())
	})

	It("admits a Precheck while an Execute is in flight, and an Execute while a Precheck is", func(ctx context.Context) {
		create(ctx, sitePlan("p"))
		create(ctx, execution(ns, "running", "p"))
		Expect(k8sClient.Create(ctx, precheck("check", "p"))).To(Succeed())
		expectInvalid(k8sClient.Create(ctx, execution(ns, "second", "p")), "already has an execution in flight: running")

		create(ctx, sitePlan("q"))
		create(ctx, precheck("check-q", "q"))
		Expect(k8sClient.Create(ctx, execution(ns, "run-q", "q"))).To(Succeed())
	})

	It("rejects a revertExecutionRef on a Precheck", func(ctx context.Context) {
		create(ctx, sitePlan("p"))
		pc := precheck("check", "p")
		pc.Spec.RevertExecutionRef = "other"
		expectInvalid(k8sClient.Create(ctx, pc), "revertExecutionRef is only allowed when operationType is Revert")
	})
})
