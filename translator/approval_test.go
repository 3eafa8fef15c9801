package translator

import (
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

func approvalWorkflow(approval v1alpha1.Action) *v1alpha1.DRWorkflow {
	return &v1alpha1.DRWorkflow{ObjectMeta: metav1.ObjectMeta{Name: "w", Namespace: "ns"}, Spec: v1alpha1.DRWorkflowSpec{
		Actions: []v1alpha1.Action{
			{Name: "notify", ActionBody: v1alpha1.ActionBody{Type: v1alpha1.ActionTypeHTTP, HTTP: &v1alpha1.HTTPAction{URL: "https://x.example/n"}}},
			approval,
		}}}
}

func gate(msg string) v1alpha1.Action {
	return v1alpha1.Action{Name: "go-ahead", ActionBody: v1alpha1.ActionBody{Type: v1alpha1.ActionTypeApproval,
		Approval: &v1alpha1.ApprovalAction{Message: msg}}}
}

func TestApprovalCompilesToASuspendNode(t *testing.T) {
	g := NewWithT(t)
	in := Input{Workflow: approvalWorkflow(gate("check {{ .planName }} traffic")), Namespace: "ns", PlanName: "p",
		ExecutionName: "ex", StageName: "s", ExecutionUID: "uid"}
	ir, wf, err := CompileForward(in, EmitOptions{}) // runs Argo's validator
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ir.Actions[1].Approval).To(Equal(&ApprovalRequest{Message: "check p traffic", TimeoutOutcome: v1alpha1.ApprovalTimeoutFail}))
	g.Expect(ir.Actions[1].Timeout).To(BeZero(), "a person is not timed by default")
	var found bool
	for _, tmpl := range wf.Spec.Templates {
		if tmpl.Suspend != nil {
			found = true
			g.Expect(tmpl.Suspend.Duration).To(BeEmpty(), "waits for a person, no duration")
			g.Expect(tmpl.RetryStrategy).To(BeNil())
			g.Expect(tmpl.ActiveDeadlineSeconds).To(BeNil())
			g.Expect(tmpl.Metadata.Annotations).To(BeEmpty(), "no timeout: nothing for the operator to read back")
		}
	}
	g.Expect(found).To(BeTrue())

	rev, _, err := CompileReverse(in, []v1alpha1.ActionStatus{{Name: "notify", Phase: v1alpha1.ActionSucceeded},
		{Name: "go-ahead", Phase: v1alpha1.ActionSucceeded}}, EmitOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	for _, a := range rev.Actions {
		g.Expect(a.Skipped).To(BeTrue(), a.Name)
		if a.Name == "go-ahead" {
			g.Expect(a.SkipReason).To(Equal("an Approval has no automatic inverse"))
		}
	}
}

func TestApprovalTimeoutCompilesIntoTheIROnly(t *testing.T) {
	g := NewWithT(t)
	timed := gate("ok")
	timed.Timeout = v1alpha1.Duration(30 * time.Minute)
	timed.Approval.TimeoutOutcome = v1alpha1.ApprovalTimeoutContinue
	in := Input{Workflow: approvalWorkflow(timed), Namespace: "ns", PlanName: "p", ExecutionName: "ex", StageName: "s", ExecutionUID: "uid"}
	ir, wf, err := CompileForward(in, EmitOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ir.Actions[1].Approval).To(Equal(&ApprovalRequest{Message: "ok", Timeout: 30 * time.Minute, TimeoutOutcome: v1alpha1.ApprovalTimeoutContinue}))
	for _, tmpl := range wf.Spec.Templates {
		if tmpl.Suspend != nil {
			// The operator ends the wait at the deadline on both engines; a duration would let Argo resume it first.
			g.Expect(tmpl.Suspend.Duration).To(BeEmpty())
			g.Expect(tmpl.ActiveDeadlineSeconds).To(BeNil())
			g.Expect(tmpl.Timeout).To(BeEmpty())
			g.Expect(tmpl.Metadata.Annotations).To(Equal(map[string]string{
				v1alpha1.AnnotationApprovalTimeout: "30m0s", v1alpha1.AnnotationApprovalTimeoutOutcome: "Continue"}))
		}
	}
}

func TestApprovalValidation(t *testing.T) {
	g := NewWithT(t)
	bad := gate("ok")
	bad.RetryPolicy = &v1alpha1.RetryPolicy{Limit: 1}
	bad.Approval.TimeoutOutcome = v1alpha1.ApprovalTimeoutContinue
	errs := ValidateWorkflow(approvalWorkflow(bad)).ToAggregate().Error()
	g.Expect(errs).To(ContainSubstring("spec.actions[1].timeout: Required value: approval.timeoutOutcome says what happens when the timeout passes"))
	g.Expect(errs).To(ContainSubstring("spec.actions[1].retryPolicy: Forbidden: an Approval is not retried"))

	missing := v1alpha1.Action{Name: "go-ahead", ActionBody: v1alpha1.ActionBody{Type: v1alpha1.ActionTypeApproval}}
	g.Expect(ValidateWorkflow(approvalWorkflow(missing)).ToAggregate().Error()).To(ContainSubstring("spec.actions[1].approval: Required"))

	argoish := ValidateWorkflow(approvalWorkflow(gate("{{workflow.name}}"))).ToAggregate().Error()
	g.Expect(strings.Contains(argoish, "spec.actions[1].approval.message")).To(BeTrue(), argoish)
}
