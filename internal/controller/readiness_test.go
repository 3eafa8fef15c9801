package controller

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

var (
	t0 = metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	t1 = metav1.NewTime(t0.Add(time.Minute))
)

func ready(t *testing.T, conds []metav1.Condition) metav1.Condition {
	t.Helper()
	c := meta.FindStatusCondition(conds, drv1.ConditionReady)
	if c == nil {
		t.Fatalf("no Ready condition in %v", conds)
	}
	return *c
}

func TestComputeWorkflowStatus(t *testing.T) {
	wf := &drv1.DRWorkflow{ObjectMeta: metav1.ObjectMeta{Generation: 3}, Spec: drv1.DRWorkflowSpec{
		Actions: []drv1.Action{{Name: "a"}, {Name: "b"}},
	}}
	st := computeWorkflowStatus(wf, nil, t0)
	c := ready(t, st.Conditions)
	if st.Phase != drv1.DRWorkflowReady || st.ActionCount != 2 || st.ObservedGeneration != 3 ||
		c.Status != metav1.ConditionTrue || c.Reason != drv1.ReasonValid || c.ObservedGeneration != 3 {
		t.Fatalf("valid workflow: got %+v", st)
	}

	// Same verdict later: nothing moves, so the reconciler writes nothing.
	wf.Status = st
	again := computeWorkflowStatus(wf, nil, t1)
	if statusChanged(st, again) {
		t.Fatalf("status changed without a change of verdict:\n%+v\n%+v", st, again)
	}

	errs := field.ErrorList{
		field.Invalid(field.NewPath("spec", "actions").Index(0).Child("dependsOn"), "b", "cycle a -> b -> a"),
		field.Required(field.NewPath("spec", "actions").Index(1).Child("http", "url"), ""),
	}
	bad := computeWorkflowStatus(wf, errs, t1)
	c = ready(t, bad.Conditions)
	if bad.Phase != drv1.DRWorkflowInvalid || c.Status != metav1.ConditionFalse || c.Reason != drv1.ReasonInvalid ||
		!c.LastTransitionTime.Equal(&t1) {
		t.Fatalf("invalid workflow: got %+v", bad)
	}
	for _, want := range []string{"2 errors", "cycle a -> b -> a", "spec.actions[1].http.url"} {
		if !strings.Contains(c.Message, want) {
			t.Errorf("message %q lacks %q", c.Message, want)
		}
	}
	if tr, ok := readyTransition(st.Conditions, bad.Conditions); !ok || tr.Reason != drv1.ReasonInvalid {
		t.Errorf("Ready True -> False is a transition, got %v %v", tr, ok)
	}
	if _, ok := readyTransition(bad.Conditions, bad.Conditions); ok {
		t.Errorf("an unchanged condition is not a transition")
	}
}

func TestComputePlanStatus(t *testing.T) {
	plan := &drv1.DRPlan{ObjectMeta: metav1.ObjectMeta{Namespace: "ops", Generation: 2}, Spec: drv1.DRPlanSpec{
		Stages: []drv1.Stage{
			{Name: "one", Workflows: []drv1.WorkflowEntry{{WorkflowRef: drv1.ObjectReference{Name: "a"}}, {WorkflowRef: drv1.ObjectReference{Name: "a"}}}},
			{Name: "two", Workflows: []drv1.WorkflowEntry{{WorkflowRef: drv1.ObjectReference{Name: "b", Namespace: "shop"}}}},
		},
	}}
	refs := planWorkflowRefs(plan)
	if want := []types.NamespacedName{{Namespace: "ops", Name: "a"}, {Namespace: "shop", Name: "b"}}; len(refs) != 2 || refs[0] != want[0] || refs[1] != want[1] {
		t.Fatalf("refs = %v, want %v", refs, want)
	}

	cases := []struct {
		name      string
		errs      field.ErrorList
		workflows []workflowCheck
		reason    string
		phase     drv1.DRPlanPhase
		message   []string
	}{
		{"valid", nil, []workflowCheck{{Ref: refs[0], Found: true, Ready: true}, {Ref: refs[1], Found: true, Ready: true}},
			drv1.ReasonValid, drv1.DRPlanReady, []string{"2 stages", "2 workflows"}},
		{"missing", nil, []workflowCheck{{Ref: refs[0]}, {Ref: refs[1], Found: true, Message: "workflow is invalid: 1 error: x"}},
			drv1.ReasonWorkflowNotFound, drv1.DRPlanInvalid, []string{"DRWorkflow ops/a not found", "shop/b (workflow is invalid: 1 error: x)"}},
		{"invalid workflow", nil, []workflowCheck{{Ref: refs[0], Found: true, Ready: true}, {Ref: refs[1], Found: true, Message: "bad"}},
			drv1.ReasonWorkflowInvalid, drv1.DRPlanInvalid, []string{"DRWorkflow shop/b (bad) not ready"}},
		{"plan invalid", field.ErrorList{field.Invalid(field.NewPath("spec", "stages").Index(1).Child("dependsOn"), "one", "cycle")},
			[]workflowCheck{{Ref: refs[0]}}, drv1.ReasonInvalid, drv1.DRPlanInvalid, []string{"plan is invalid", "spec.stages[1].dependsOn"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := computePlanStatus(plan, tc.errs, tc.workflows, t0)
			c := ready(t, st.Conditions)
			if c.Reason != tc.reason || st.Phase != tc.phase || st.ObservedGeneration != 2 {
				t.Fatalf("got reason %s phase %s gen %d", c.Reason, st.Phase, st.ObservedGeneration)
			}
			for _, m := range tc.message {
				if !strings.Contains(c.Message, m) {
					t.Errorf("message %q lacks %q", c.Message, m)
				}
			}
		})
	}
}

func TestComputePlanStatusKeepsExecutionFields(t *testing.T) {
	last := &drv1.ObjectReference{Name: "run-1"}
	plan := &drv1.DRPlan{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ops", Generation: 1},
		Spec:       drv1.DRPlanSpec{Stages: []drv1.Stage{{Name: "s", Workflows: []drv1.WorkflowEntry{{WorkflowRef: drv1.ObjectReference{Name: "a"}}}}}},
		Status: drv1.DRPlanStatus{
			Phase:             drv1.DRPlanExecuted,
			CurrentExecution:  &drv1.ObjectReference{Name: "run-2"},
			LastExecutionRef:  last,
			LastExecutionTime: &t0,
			ExecutionHistory:  []drv1.ExecutionRecord{{Name: "run-1", Phase: drv1.ExecutionSucceeded}},
		},
	}
	ok := []workflowCheck{{Ref: types.NamespacedName{Namespace: "ops", Name: "a"}, Found: true, Ready: true}}
	st := computePlanStatus(plan, nil, ok, t1)
	if st.Phase != drv1.DRPlanExecuted || st.CurrentExecution == nil || st.CurrentExecution.Name != "run-2" ||
		st.LastExecutionRef.Name != "run-1" || len(st.ExecutionHistory) != 1 || !st.LastExecutionTime.Equal(&t0) {
		t.Fatalf("execution-owned fields were not kept: %+v", st)
	}
	st = computePlanStatus(plan, nil, []workflowCheck{{Ref: ok[0].Ref}}, t1)
	if st.Phase != drv1.DRPlanInvalid || st.CurrentExecution == nil {
		t.Fatalf("an invalid plan shows Invalid and keeps its lock holder: %+v", st)
	}
}

func TestFormatErrorsTruncates(t *testing.T) {
	var errs field.ErrorList
	for i := 0; i < 2000; i++ {
		errs = append(errs, field.Required(field.NewPath("spec", "actions").Index(i).Child("name"), ""))
	}
	c := readyCondition(metav1.ConditionFalse, drv1.ReasonInvalid, formatErrors(errs), 1, t0)
	if len(c.Message) > maxConditionMessage || !strings.HasSuffix(c.Message, "(truncated)") {
		t.Fatalf("message of %d bytes not truncated", len(c.Message))
	}
}
