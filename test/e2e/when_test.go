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
})
