package badinput

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/internal/controller"
)

// TestCrossNamespaceRefsInThePlanReconciler: a plan running another namespace's DRWorkflow is Ready by
// default and Invalid, naming the field and the flag, when the reconciler runs with --no-cross-namespace-refs.
// (The webhooks of this suite run with the default, so the plan is admitted; the flag's admission side is
// tested in internal/webhook.) No reconciler runs in this suite: the test calls Reconcile itself.
func TestCrossNamespaceRefsInThePlanReconciler(t *testing.T) {
	ctx := context.Background()
	shared := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "shared-"}}
	if err := k8sClient.Create(ctx, shared); err != nil {
		t.Fatal(err)
	}
	wf := &drv1.DRWorkflow{ObjectMeta: metav1.ObjectMeta{Namespace: shared.Name, Name: "runbook"},
		Spec: drv1.DRWorkflowSpec{Actions: []drv1.Action{{Name: "a", ActionBody: drv1.ActionBody{
			Type: drv1.ActionTypeHTTP, HTTP: &drv1.HTTPAction{URL: "https://hooks.example/a"}}}}}}
	plan := &drv1.DRPlan{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "cross-ns"}, Spec: drv1.DRPlanSpec{
		Stages: []drv1.Stage{{Name: "s", Workflows: []drv1.WorkflowEntry{{WorkflowRef: drv1.ObjectReference{Name: "runbook", Namespace: shared.Name}}}}}}}
	for _, obj := range []client.Object{wf, plan} {
		if err := k8sClient.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	for _, refuse := range []bool{false, true} {
		r := &controller.DRPlanReconciler{Client: k8sClient, NoCrossNamespaceRefs: refuse}
		if _, err := r.Reconcile(ctx, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(plan)}); err != nil {
			t.Fatalf("refuse=%v: %v", refuse, err)
		}
		got := &drv1.DRPlan{}
		if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(plan), got); err != nil {
			t.Fatal(err)
		}
		ready := meta.FindStatusCondition(got.Status.Conditions, drv1.ConditionReady)
		if ready == nil {
			t.Fatalf("refuse=%v: no Ready condition: %+v", refuse, got.Status)
		}
		switch {
		case !refuse && ready.Status != metav1.ConditionTrue:
			t.Errorf("default: plan not Ready: %s: %s", ready.Reason, ready.Message)
		case refuse && (ready.Status != metav1.ConditionFalse || !strings.Contains(ready.Message, "workflowRef.namespace") ||
			!strings.Contains(ready.Message, "--no-cross-namespace-refs")):
			t.Errorf("flag set: plan not Invalid naming the field and the flag: %s %s: %s", ready.Status, ready.Reason, ready.Message)
		}
	}
}
