package webhook

import (
	"context"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// TestCrossNamespaceRefs: a plan in "ns" running DRWorkflow shared/wf is admitted, and can be executed, by
// default; with --no-cross-namespace-refs both are refused, naming the entry's field.
func TestCrossNamespaceRefs(t *testing.T) {
	wf := &drv1.DRWorkflow{ObjectMeta: metav1.ObjectMeta{Namespace: "shared", Name: "wf"},
		Spec: drv1.DRWorkflowSpec{Actions: []drv1.Action{{Name: "a", ActionBody: drv1.ActionBody{
			Type: drv1.ActionTypeHTTP, HTTP: &drv1.HTTPAction{URL: "https://hooks.example/a"}}}}}}
	plan := &drv1.DRPlan{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p"}, Spec: drv1.DRPlanSpec{Stages: []drv1.Stage{
		{Name: "s", Workflows: []drv1.WorkflowEntry{{WorkflowRef: drv1.ObjectReference{Name: "wf", Namespace: "shared"}}}}}}}
	ex := exec("run", "p", "")
	for _, refuse := range []bool{false, true} {
		c := newFake(t, wf.DeepCopy(), plan.DeepCopy())
		r := newReaders(c, c)
		r.noCrossNamespaceRefs = refuse
		_, planErr := (&DRPlanValidator{readers: r}).ValidateCreate(context.Background(), plan.DeepCopy())
		_, exErr := (&DRPlanExecutionValidator{readers: r}).ValidateCreate(context.Background(), ex.DeepCopy())
		if !refuse {
			if planErr != nil || exErr != nil {
				t.Fatalf("default: cross-namespace reference refused: plan %v, execution %v", planErr, exErr)
			}
			continue
		}
		if !apierrors.IsInvalid(planErr) || !strings.Contains(planErr.Error(), "spec.stages[0].workflows[0].workflowRef.namespace") ||
			!strings.Contains(planErr.Error(), "--no-cross-namespace-refs") {
			t.Errorf("flag set: plan not refused naming the field and the flag: %v", planErr)
		}
		if !apierrors.IsInvalid(exErr) || !strings.Contains(exErr.Error(), "spec.planRef") ||
			!strings.Contains(exErr.Error(), "DRWorkflow shared/wf is in another namespace") {
			t.Errorf("flag set: execution of the stored plan not refused: %v", exErr)
		}
	}
}
