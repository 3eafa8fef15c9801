//go:build e2e

package e2e

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/translator"
)

// A run-time `when` decides from an earlier action's result once the action is ready: on Argo the real
// workflow-controller evaluates the expression tag the translator compiled, on the native engine the operator
// decides in-process. Both ways on both engines, with the same statuses.
var _ = Describe("A when on an earlier action's result", func() {
	// The hostile body carries quotes and braces that would close the expression if it were pasted in as text.
	const (
		healthy   = `{"healthy":true}`
		unhealthy = `{"healthy":false,"note":"'}} || true || {{"}`
		gate      = `{{ .outputs.check-health.phase == 'Succeeded' && .outputs.check-health.httpResponse.body contains '"healthy":true' }}`
	)

	DescribeTable("runs the action when the condition holds and skips it, with its dependents still running, when not",
		func(engine drv1.ExecutorType, body string, runs bool) {
			ns := newNamespace()
			hooks.On("/"+ns+"/check-health", hookBehaviour{Body: body})
			promote := hookAction(ns, "promote", "check-health")
			promote.When = gate
			wf := &drv1.DRWorkflow{ObjectMeta: metav1.ObjectMeta{Name: "gated", Namespace: ns},
				Spec: drv1.DRWorkflowSpec{Executor: &drv1.ExecutorSpec{Type: engine}, Actions: []drv1.Action{
					hookAction(ns, "check-health"), promote, hookAction(ns, "announce", "promote")}}}
			Expect(k8sClient.Create(ctx, wf)).To(Succeed())
			createPlan(ns, "p", "gated")
			execute(ns, "run", "p")

			ex := waitPhase(ns, "run", drv1.ExecutionSucceeded)
			e := entry(ex)
			Expect(e.Engine).To(Equal(engine))
			want := drv1.ActionSkipped
			if runs {
				want = drv1.ActionSucceeded
			}
			Expect(actionPhases(e)).To(Equal(map[string]drv1.ActionPhase{"check-health": drv1.ActionSucceeded,
				"promote": want, "announce": drv1.ActionSucceeded}))
			Expect(action(e, "check-health").Outputs.HTTPResponse.Body).To(Equal(body))
			Expect(hooks.Requests("/"+ns+"/announce")).To(HaveLen(1), "a skipped dependency satisfies")
			if runs {
				Expect(hooks.Requests("/" + ns + "/promote")).To(HaveLen(1))
				Expect(ex.Status.Summary.Skipped).To(BeZero())
			} else {
				Expect(hooks.Requests("/" + ns + "/promote")).To(BeEmpty())
				Expect(action(e, "promote").Message).To(Equal(translator.WhenFalseMessage))
				Expect(ex.Status.Summary.Skipped).To(Equal(int32(1)))
			}
			if engine == drv1.ExecutorArgo {
				// What the controller evaluated: one expression tag, compiled by the translator, no user text.
				wf := argoWorkflow(ns, e)
				var when string
				for _, t := range wf.Spec.Templates[0].DAG.Tasks {
					if t.Name == "promote" {
						when = t.When
					}
				}
				Expect(when).To(HavePrefix("{{="))
				Expect(when).To(ContainSubstring(`tasks["check-health"]`))
				Expect(strings.Count(when, "{{")).To(Equal(1))
				checkMapping(wf)
			}
		},
		Entry("Argo, healthy: runs", drv1.ExecutorArgo, healthy, true),
		Entry("Argo, unhealthy: skipped", drv1.ExecutorArgo, unhealthy, false),
		Entry("native, healthy: runs", drv1.ExecutorNative, healthy, true),
		Entry("native, unhealthy: skipped", drv1.ExecutorNative, unhealthy, false),
	)

	// The name of the object an earlier resource action created: an output parameter of Argo's resource
	// template (read once the task result arrived), the recorded resourceRef on the native engine.
	DescribeTable("reads the name of the object an earlier action created",
		func(engine drv1.ExecutorType, wantName string, runs bool) {
			ns := newNamespace(configMapRule)
			notify := hookAction(ns, "notify", "mark")
			notify.When = "{{ .outputs.mark.resourceRef.name == '" + wantName + "' }}"
			wf := &drv1.DRWorkflow{ObjectMeta: metav1.ObjectMeta{Name: "named", Namespace: ns},
				Spec: drv1.DRWorkflowSpec{Executor: &drv1.ExecutorSpec{Type: engine}, Actions: []drv1.Action{
					resourceAction("mark", drv1.OperationCreate, configMapManifest("dr-marker", ns)), notify}}}
			Expect(k8sClient.Create(ctx, wf)).To(Succeed())
			createPlan(ns, "p", "named")
			execute(ns, "run", "p")

			e := entry(waitPhase(ns, "run", drv1.ExecutionSucceeded))
			Expect(e.Engine).To(Equal(engine))
			Expect(action(e, "mark").Outputs.ResourceRef.Name).To(Equal("dr-marker"))
			if runs {
				Expect(action(e, "notify").Phase).To(Equal(drv1.ActionSucceeded))
				Expect(hooks.Requests("/" + ns + "/notify")).To(HaveLen(1))
			} else {
				Expect(action(e, "notify").Phase).To(Equal(drv1.ActionSkipped))
				Expect(action(e, "notify").Message).To(Equal(translator.WhenFalseMessage))
				Expect(hooks.Requests("/" + ns + "/notify")).To(BeEmpty())
			}
			if engine == drv1.ExecutorArgo {
				checkMapping(argoWorkflow(ns, e))
			}
		},
		Entry("Argo, the name matches: runs", drv1.ExecutorArgo, "dr-marker", true),
		Entry("Argo, another name: skipped", drv1.ExecutorArgo, "dr-other", false),
		Entry("native, the name matches: runs", drv1.ExecutorNative, "dr-marker", true),
		Entry("native, another name: skipped", drv1.ExecutorNative, "dr-other", false),
	)
})
