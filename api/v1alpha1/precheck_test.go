package v1alpha1

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestPrecheckMissing(t *testing.T) {
	plan := func(require bool, rec *PrecheckRecord) *DRPlan {
		return &DRPlan{
			ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p", Generation: 3},
			Spec: DRPlanSpec{RequirePrecheck: require, Stages: []Stage{{Name: "s", Workflows: []WorkflowEntry{
				{WorkflowRef: ObjectReference{Name: "a"}}, {WorkflowRef: ObjectReference{Name: "b", Namespace: "other"}}}}}},
			Status: DRPlanStatus{LastPrecheck: rec},
		}
	}
	good := func() *PrecheckRecord {
		return &PrecheckRecord{Name: "pc", Phase: ExecutionSucceeded, PlanGeneration: 3,
			Workflows: []WorkflowGeneration{{Namespace: "ns", Name: "a", Generation: 1}, {Namespace: "other", Name: "b", Generation: 2}}}
	}
	current := map[string]int64{"ns/a": 1, "other/b": 2}
	failedRec := good()
	failedRec.Phase = ExecutionFailed
	oldPlan := good()
	oldPlan.PlanGeneration = 2
	for _, tc := range []struct {
		name    string
		plan    *DRPlan
		current map[string]int64
		want    string // substring; "" means allowed
	}{
		{"not required", plan(false, nil), current, ""},
		{"passing precheck for the current definition", plan(true, good()), current, ""},
		{"no precheck", plan(true, nil), current, "no Precheck has finished"},
		{"failed precheck", plan(true, failedRec), current, "the latest Precheck pc ended Failed"},
		{"plan changed", plan(true, oldPlan), current, "checked plan generation 2, the plan is at generation 3"},
		{"workflow changed", plan(true, good()), map[string]int64{"ns/a": 1, "other/b": 5}, "DRWorkflow other/b was checked at generation 2 and is at generation 5"},
		{"workflow gone", plan(true, good()), map[string]int64{"ns/a": 1}, "DRWorkflow other/b does not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := PrecheckMissing(tc.plan, tc.current)
			if tc.want == "" {
				if got != "" {
					t.Fatalf("refused: %s", got)
				}
				return
			}
			if !strings.Contains(got, tc.want) || !strings.Contains(got, "DRPlan ns/p requires a passing Precheck") {
				t.Fatalf("got %q, want it to name the plan and contain %q", got, tc.want)
			}
		})
	}
}
