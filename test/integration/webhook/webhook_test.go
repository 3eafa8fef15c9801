package webhook_test

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

var _ = Describe("DRWorkflow admission", func() {
	var ns string
	BeforeEach(func(ctx context.Context) { ns = newNamespace(ctx) })

	It("accepts a valid workflow and a valid change to it", func(ctx context.Context) {
		wf := validWorkflow(ns, "ok")
		create(ctx, wf)
		wf.Spec.Actions = append(wf.Spec.Actions, httpAction("done", "mark"))
		Expect(k8sClient.Update(ctx, wf)).To(Succeed())
	})

	It("rejects a dependency cycle, naming the actions and the field", func(ctx context.Context) {
		wf := validWorkflow(ns, "cycle")
		wf.Spec.Actions = []drv1.Action{httpAction("a", "c"), httpAction("b", "a"), httpAction("c", "b")}
		expectInvalid(k8sClient.Create(ctx, wf), `DRWorkflow.dr.bkbcs.tencent.com "cycle" is invalid`,
			"spec.actions", "dependsOn", "cycle")
	})

	It("rejects an unknown and a self dependency", func(ctx context.Context) {
		wf := validWorkflow(ns, "unknown-dep")
		wf.Spec.Actions = []drv1.Action{httpAction("a", "nope"), httpAction("b", "b")}
		err := k8sClient.Create(ctx, wf)
		expectInvalid(err, "spec.actions[0].dependsOn", "nope", "spec.actions[1].dependsOn")
	})

	It("rejects user text that Argo would read as its own placeholder", func(ctx context.Context) {
		wf := validWorkflow(ns, "argo-text")
		wf.Spec.Actions[0].HTTP.URL = "https://hooks.example/{{workflow.name}}"
		expectInvalid(k8sClient.Create(ctx, wf), "spec.actions[0].http.url", "workflow.")
	})

	It("rejects a run-time when reading an action outside its dependencies, naming the action and the ones it may read", func(ctx context.Context) {
		wf := validWorkflow(ns, "when-outside")
		gate := httpAction("gate-keeper", "notify-start")
		gate.When = "{{ .outputs.side-check.phase == 'Succeeded' }}"
		wf.Spec.Actions = []drv1.Action{httpAction("notify-start"), httpAction("side-check"), gate}
		expectInvalid(k8sClient.Create(ctx, wf), `DRWorkflow.dr.bkbcs.tencent.com "when-outside" is invalid`,
			"spec.actions[2].when", `action "side-check"`, "not among the actions this one depends on", "notify-start", "dependsOn")

		gate.When = "{{ .outputs.notify-start.phase == 'Succeeded' && .outputs.notify-start.httpResponse.body contains 'ok' }}"
		wf.Spec.Actions[2] = gate
		Expect(k8sClient.Create(ctx, wf)).To(Succeed(), "the seed's form on a dependency is admitted")
	})

	It("rejects a run-time when that is not in the supported form, showing the form", func(ctx context.Context) {
		wf := validWorkflow(ns, "when-form")
		gate := httpAction("gate", "notify")
		gate.When = `{{ eq .outputs.notify.phase "Succeeded" }}`
		wf.Spec.Actions = []drv1.Action{httpAction("notify"), gate}
		expectInvalid(k8sClient.Create(ctx, wf), "spec.actions[1].when", "{{ .outputs.create-localization.phase == 'Succeeded' }}")
	})

	It("rejects a Patch without a custom rollback, and accepts it with one", func(ctx context.Context) {
		wf := validWorkflow(ns, "patch")
		wf.Spec.Actions = []drv1.Action{{
			Name: "scale",
			ActionBody: drv1.ActionBody{Type: drv1.ActionTypeKubernetesResource, Resource: &drv1.ResourceAction{
				Operation: drv1.OperationPatch,
				Manifest:  "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: shop\nspec:\n  replicas: 0\n",
			}},
		}}
		expectInvalid(k8sClient.Create(ctx, wf), "spec.actions[0]", "rollback")

		wf.Spec.Actions[0].Rollback = &drv1.RollbackAction{Name: "unscale", ActionBody: httpAction("x").ActionBody}
		Expect(k8sClient.Create(ctx, wf)).To(Succeed())
	})

	It("rejects an update that makes the workflow invalid and allows metadata-only updates", func(ctx context.Context) {
		wf := validWorkflow(ns, "upd")
		create(ctx, wf)
		bad := wf.DeepCopy()
		bad.Spec.Actions[0].DependsOn = []string{"mark"} // notify <-> mark
		expectInvalid(k8sClient.Update(ctx, bad), "cycle")

		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(wf), wf)).To(Succeed())
		wf.Labels = map[string]string{"team": "sre"}
		Expect(k8sClient.Update(ctx, wf)).To(Succeed())
	})

	It("denies deleting a workflow referenced by plans, naming them, and allows it once they are gone", func(ctx context.Context) {
		other := newNamespace(ctx)
		wf := validWorkflow(ns, "shared")
		create(ctx, wf)
		p1 := plan(ns, "p1", stage("s", nil, "shared"))
		create(ctx, p1)
		p2 := plan(other, "p2", stage("s", nil))
		p2.Spec.Stages[0].Workflows = []drv1.WorkflowEntry{{WorkflowRef: drv1.ObjectReference{Name: "shared", Namespace: ns}}}
		create(ctx, p2)

		err := k8sClient.Delete(ctx, wf)
		expectForbidden(err, ns+"/p1", other+"/p2", "referenced by DRPlan")

		Expect(k8sClient.Delete(ctx, p1)).To(Succeed())
		expectForbidden(k8sClient.Delete(ctx, wf), other+"/p2")
		Expect(k8sClient.Delete(ctx, p2)).To(Succeed())
		Expect(k8sClient.Delete(ctx, wf)).To(Succeed())
	})

	It("steps aside when the namespace is being deleted, so namespace deletion never hangs", func(ctx context.Context) {
		other := newNamespace(ctx)
		create(ctx, validWorkflow(ns, "w"))
		p := plan(other, "p", stage("s", nil))
		p.Spec.Stages[0].Workflows = []drv1.WorkflowEntry{{WorkflowRef: drv1.ObjectReference{Name: "w", Namespace: ns}}}
		p.Spec.GlobalParams = []drv1.ParamValue{{Name: "site", Value: "b"}}
		create(ctx, p)
		local := plan(ns, "local", stage("s", nil, "w"))
		local.Spec.GlobalParams = []drv1.ParamValue{{Name: "site", Value: "b"}}
		create(ctx, local)
		ex := execution(ns, "running", "local")
		create(ctx, ex)
		setPhase(ctx, ex, drv1.ExecutionRunning)

		// envtest runs no namespace controller: the namespace stays Terminating and the specs delete by hand.
		Expect(k8sClient.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
		Expect(k8sClient.Delete(ctx, local)).To(Succeed())
		Expect(k8sClient.Delete(ctx, validWorkflow(ns, "w"))).To(Succeed())
	})

	It("allows deleting a workflow that no plan references, even when a same-named one is referenced elsewhere", func(ctx context.Context) {
		other := newNamespace(ctx)
		create(ctx, validWorkflow(ns, "w"))
		create(ctx, validWorkflow(other, "w"))
		create(ctx, plan(other, "p", stage("s", nil, "w")))
		Expect(k8sClient.Delete(ctx, validWorkflow(ns, "w"))).To(Succeed())
		expectForbidden(k8sClient.Delete(ctx, validWorkflow(other, "w")), other+"/p")
	})
})

var _ = Describe("DRPlan admission", func() {
	var ns string
	BeforeEach(func(ctx context.Context) {
		ns = newNamespace(ctx)
		create(ctx, validWorkflow(ns, "wf"))
	})

	It("accepts a valid plan without warnings", func(ctx context.Context) {
		wc, rec := clientWithWarnings()
		p := plan(ns, "ok", stage("a", nil, "wf"), stage("b", []string{"a"}, "wf", "wf"))
		p.Spec.GlobalParams = []drv1.ParamValue{{Name: "site", Value: "b"}}
		Expect(wc.Create(ctx, p)).To(Succeed())
		Expect(rec.take()).To(BeEmpty())
	})

	It("accepts a plan that leaves parameters to its executions, with a warning per entry", func(ctx context.Context) {
		wc, rec := clientWithWarnings()
		p := plan(ns, "open", stage("a", nil, "wf"))
		p.Spec.Stages[0].Workflows[0].Params = []drv1.ParamValue{{Name: "replicas", Value: "lots"}}
		Expect(wc.Create(ctx, p)).To(Succeed())
		Expect(rec.take()).To(ConsistOf(
			And(ContainSubstring("spec.stages[0].workflows[0]"), ContainSubstring("params[site]"), ContainSubstring("Required")),
			And(ContainSubstring("spec.stages[0].workflows[0]"), ContainSubstring("params[replicas]"), ContainSubstring("must be a number")),
		))
	})

	It("rejects a plan or stage parameter no workflow declares, naming it and the declared ones", func(ctx context.Context) {
		p := plan(ns, "typo", stage("a", nil, "wf"))
		p.Spec.GlobalParams = []drv1.ParamValue{{Name: "site", Value: "b"}, {Name: "sites", Value: "b"}}
		p.Spec.Stages[0].Workflows[0].Params = []drv1.ParamValue{{Name: "replica", Value: "2"}}
		expectInvalid(k8sClient.Create(ctx, p), "spec.globalParams[1].name", `"sites"`,
			"spec.stages[0].workflows[0].params[0].name", `"replica"`, "replicas, site")
	})

	It("accepts a plan whose workflows do not exist yet, with a warning naming them", func(ctx context.Context) {
		wc, rec := clientWithWarnings()
		p := plan(ns, "early", stage("a", nil, "wf", "later"))
		p.Spec.GlobalParams = []drv1.ParamValue{{Name: "site", Value: "b"}}
		Expect(wc.Create(ctx, p)).To(Succeed())
		warnings := rec.take()
		Expect(warnings).To(HaveLen(1))
		Expect(warnings[0]).To(ContainSubstring("spec.stages[0].workflows[1].workflowRef"))
		Expect(warnings[0]).To(ContainSubstring(ns + "/later"))
	})

	It("rejects cyclic stages, naming the field and the cycle", func(ctx context.Context) {
		p := plan(ns, "cyclic", stage("a", []string{"c"}, "wf"), stage("b", []string{"a"}, "wf"), stage("c", []string{"b"}, "wf"))
		expectInvalid(k8sClient.Create(ctx, p), `DRPlan.dr.bkbcs.tencent.com "cyclic" is invalid`, "spec.stages", "dependsOn", "cycle")
	})

	It("rejects unknown and self stage dependencies", func(ctx context.Context) {
		p := plan(ns, "deps", stage("a", []string{"nope"}, "wf"), stage("b", []string{"b"}, "wf"))
		expectInvalid(k8sClient.Create(ctx, p), "spec.stages[0].dependsOn", "nope", "spec.stages[1].dependsOn")
	})

	It("rejects duplicate stage names", func(ctx context.Context) {
		// The CRD's list-map schema catches this before the webhook; either way it is a 422 naming the field.
		p := plan(ns, "dup", stage("a", nil, "wf"), stage("a", nil, "wf"))
		expectInvalid(k8sClient.Create(ctx, p), "spec.stages[1]", "Duplicate value")
	})

	It("rejects an update that introduces a cycle", func(ctx context.Context) {
		p := plan(ns, "upd", stage("a", nil, "wf"), stage("b", []string{"a"}, "wf"))
		create(ctx, p)
		p.Spec.Stages[0].DependsOn = []string{"b"}
		expectInvalid(k8sClient.Update(ctx, p), "cycle")
	})

	It("denies deleting a plan with an execution in flight and allows it once the execution ended", func(ctx context.Context) {
		p := plan(ns, "busy", stage("a", nil, "wf"))
		p.Spec.GlobalParams = []drv1.ParamValue{{Name: "site", Value: "b"}}
		create(ctx, p)
		ex := execution(ns, "run-1", "busy")
		create(ctx, ex)

		// Not picked up yet (no phase) counts as in flight.
		expectForbidden(k8sClient.Delete(ctx, p), "run-1 (not started)", "has executions that have not finished")

		setPhase(ctx, ex, drv1.ExecutionRunning)
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(p), p)).To(Succeed())
		p.Status.CurrentExecution = &drv1.ObjectReference{Name: "run-1"}
		Expect(k8sClient.Status().Update(ctx, p)).To(Succeed())
		expectForbidden(k8sClient.Delete(ctx, p), "run-1 (Running)")

		setPhase(ctx, ex, drv1.ExecutionSucceeded)
		Expect(k8sClient.Delete(ctx, p)).To(Succeed())
	})
})

var _ = Describe("DRPlanExecution admission", func() {
	var ns string
	BeforeEach(func(ctx context.Context) {
		ns = newNamespace(ctx)
		create(ctx, validWorkflow(ns, "wf"))
		p := plan(ns, "p", stage("a", nil, "wf"))
		p.Spec.GlobalParams = []drv1.ParamValue{{Name: "site", Value: "b"}}
		create(ctx, p)
	})

	It("accepts a valid Execute", func(ctx context.Context) {
		Expect(k8sClient.Create(ctx, execution(ns, "ok", "p", "replicas=5"))).To(Succeed())
	})

	It("rejects an execution of a plan that does not exist", func(ctx context.Context) {
		expectInvalid(k8sClient.Create(ctx, execution(ns, "lost", "nope")),
			`DRPlanExecution.dr.bkbcs.tencent.com "lost" is invalid`, "spec.planRef", ns+"/nope", "does not exist")
	})

	It("rejects an Execute of a plan whose workflow does not exist", func(ctx context.Context) {
		create(ctx, plan(ns, "early", stage("a", nil, "wf"), stage("b", nil, "missing")))
		expectInvalid(k8sClient.Create(ctx, execution(ns, "e", "early", "site=x")),
			"spec.planRef", "stage b", ns+"/missing", "does not exist")
	})

	It("rejects missing required and wrongly typed params, naming every offender", func(ctx context.Context) {
		wf := validWorkflow(ns, "typed")
		wf.Spec.Parameters = []drv1.Parameter{
			{Name: "site", Type: drv1.ParameterTypeString, Required: true},
			{Name: "region", Type: drv1.ParameterTypeString, Required: true},
			{Name: "replicas", Type: drv1.ParameterTypeNumber, Default: ptr.To("3")},
			{Name: "dryRun", Type: drv1.ParameterTypeBoolean, Default: ptr.To("false")},
		}
		create(ctx, wf)
		create(ctx, plan(ns, "typed", stage("only", nil, "typed")))

		err := k8sClient.Create(ctx, execution(ns, "bad-params", "typed", "replicas=many", "dryRun=yes"))
		expectInvalid(err, "site", "region", "replicas", "many", "dryRun", "yes", "stage only")

		Expect(k8sClient.Create(ctx, execution(ns, "good-params", "typed",
			"site=a", "region=eu", "replicas=2", "dryRun=true"))).To(Succeed())
	})

	It("rejects an execution parameter no workflow of the plan declares, naming it and the declared ones", func(ctx context.Context) {
		create(ctx, plan(ns, "declared", stage("only", nil, "wf")))
		expectInvalid(k8sClient.Create(ctx, execution(ns, "typo", "declared", "site=x", "replica=2")),
			"spec.params[1].name", `"replica"`, "declared: replicas, site")
		Expect(k8sClient.Create(ctx, execution(ns, "declared-ok", "declared", "site=x", "replicas=2"))).To(Succeed())
	})

	It("rejects a second execution while one is in flight, and accepts it once the first ended", func(ctx context.Context) {
		first := execution(ns, "first", "p")
		create(ctx, first)
		expectInvalid(k8sClient.Create(ctx, execution(ns, "second", "p")),
			"spec.planRef", "first (not started)", "only one execution of a plan may run at a time")

		setPhase(ctx, first, drv1.ExecutionRunning)
		expectInvalid(k8sClient.Create(ctx, execution(ns, "second", "p")), "first (Running)")

		setPhase(ctx, first, drv1.ExecutionFailed)
		Expect(k8sClient.Create(ctx, execution(ns, "second", "p"))).To(Succeed())
	})

	It("rejects an execution while the plan's lock names a running execution", func(ctx context.Context) {
		// status.currentExecution is honoured on its own, not only through spec.planRef: here the lock
		// holder's planRef names another plan.
		create(ctx, plan(ns, "q", stage("a", nil, "wf")))
		holder := execution(ns, "holder", "q", "site=x")
		create(ctx, holder)
		setPhase(ctx, holder, drv1.ExecutionRunning)

		p := &drv1.DRPlan{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "p"}, p)).To(Succeed())
		p.Status.CurrentExecution = &drv1.ObjectReference{Name: "holder"}
		Expect(k8sClient.Status().Update(ctx, p)).To(Succeed())
		expectInvalid(k8sClient.Create(ctx, execution(ns, "blocked", "p")), "holder (Running)")

		setPhase(ctx, holder, drv1.ExecutionSucceeded)
		Expect(k8sClient.Create(ctx, execution(ns, "free", "p"))).To(Succeed())
	})

	It("rejects any change to the spec and allows the cancel annotation", func(ctx context.Context) {
		// The CRD's CEL rule (self == oldSelf) answers before the webhook is called; the webhook's own check,
		// which names each changed field, is covered by the unit tests of internal/webhook.
		ex := execution(ns, "fixed", "p", "replicas=2")
		create(ctx, ex)

		changed := ex.DeepCopy()
		changed.Spec.Params[0].Value = "4"
		err := k8sClient.Update(ctx, changed)
		expectInvalid(err, "spec", "immutable")

		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(ex), ex)).To(Succeed())
		ex.Annotations = map[string]string{drv1.AnnotationCancel: "true"}
		Expect(k8sClient.Update(ctx, ex)).To(Succeed())
	})

	Describe("Revert", func() {
		It("rejects a revert of an execution that does not exist", func(ctx context.Context) {
			expectInvalid(k8sClient.Create(ctx, revert(ns, "r", "p", "ghost")),
				"spec.revertExecutionRef", ns+"/ghost", "does not exist")
		})

		It("rejects a revert of a Running execution", func(ctx context.Context) {
			target := execution(ns, "target", "p")
			create(ctx, target)
			setPhase(ctx, target, drv1.ExecutionRunning)
			expectInvalid(k8sClient.Create(ctx, revert(ns, "r", "p", "target")),
				"spec.revertExecutionRef", "target is Running", "ended Succeeded or Failed")
		})

		It("rejects a revert of another plan's execution", func(ctx context.Context) {
			create(ctx, plan(ns, "other", stage("a", nil, "wf")))
			target := execution(ns, "elsewhere", "other", "site=x")
			create(ctx, target)
			setPhase(ctx, target, drv1.ExecutionSucceeded)
			expectInvalid(k8sClient.Create(ctx, revert(ns, "r", "p", "elsewhere")),
				"spec.revertExecutionRef", "belongs to DRPlan other, not p")
		})

		It("rejects a revert of a Revert", func(ctx context.Context) {
			target := execution(ns, "fwd", "p")
			create(ctx, target)
			setPhase(ctx, target, drv1.ExecutionSucceeded)
			back := revert(ns, "back", "p", "fwd")
			create(ctx, back)
			setPhase(ctx, back, drv1.ExecutionSucceeded)
			expectInvalid(k8sClient.Create(ctx, revert(ns, "back-again", "p", "back")),
				"spec.revertExecutionRef", "is a Revert", "only an Execute can be reverted")
		})

		It("accepts a revert of a Succeeded and of a Failed Execute, warning about ignored params", func(ctx context.Context) {
			ok := execution(ns, "ok", "p")
			create(ctx, ok)
			setPhase(ctx, ok, drv1.ExecutionSucceeded)
			r1 := revert(ns, "undo-ok", "p", "ok")
			create(ctx, r1)
			setPhase(ctx, r1, drv1.ExecutionSucceeded)

			failed := execution(ns, "failed", "p")
			create(ctx, failed)
			setPhase(ctx, failed, drv1.ExecutionFailed)
			wc, rec := clientWithWarnings()
			r2 := revert(ns, "undo-failed", "p", "failed")
			r2.Spec.Params = []drv1.ParamValue{{Name: "site", Value: "c"}}
			Expect(wc.Create(ctx, r2)).To(Succeed())
			Expect(rec.take()).To(ContainElement(ContainSubstring("spec.params: ignored by a Revert")))
		})
	})

	It("does not block deleting executions", func(ctx context.Context) {
		ex := execution(ns, "gone", "p")
		create(ctx, ex)
		setPhase(ctx, ex, drv1.ExecutionRunning)
		Expect(k8sClient.Delete(ctx, ex)).To(Succeed())
		Eventually(func() bool {
			return apierrors.IsNotFound(k8sClient.Get(ctx, client.ObjectKeyFromObject(ex), ex))
		}).Should(BeTrue())
	})
})
