package controller

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

func TestPrecheckEnding(t *testing.T) {
	act := func(name string, p drv1.ActionPhase) drv1.ActionStatus {
		return drv1.ActionStatus{Name: name, Phase: p}
	}
	entry := func(name string, msg string, actions ...drv1.ActionStatus) drv1.WorkflowExecutionStatus {
		e := drv1.WorkflowExecutionStatus{WorkflowRef: drv1.ObjectReference{Name: name}, ActionStatuses: actions, Message: msg}
		e.Phase = entryPrecheckPhase(actions)
		if msg != "" {
			e.Phase = drv1.ExecutionFailed
		}
		return e
	}
	for _, tc := range []struct {
		name     string
		stages   []drv1.StageStatus
		planErrs []string
		phase    drv1.ExecutionPhase
		contains string
	}{
		{"every check passed or was not checkable", []drv1.StageStatus{{Name: "s", WorkflowExecutions: []drv1.WorkflowExecutionStatus{
			entry("a", "", act("x", drv1.ActionSucceeded), act("y", drv1.ActionSkipped))}}}, nil, drv1.ExecutionSucceeded, "every action can run"},
		{"a failed check is named", []drv1.StageStatus{{Name: "s", WorkflowExecutions: []drv1.WorkflowExecutionStatus{
			entry("a", "", act("x", drv1.ActionSucceeded), act("y", drv1.ActionFailed))}}}, nil, drv1.ExecutionFailed, "stage s, workflow a: actions y"},
		{"an entry that does not render", []drv1.StageStatus{{Name: "s", WorkflowExecutions: []drv1.WorkflowExecutionStatus{
			entry("a", "precheck failed: parameter region is required")}}}, nil, drv1.ExecutionFailed, "stage s, workflow a: parameter region is required"},
		{"a plan-level problem", nil, []string{"param typo is declared by no workflow"}, drv1.ExecutionFailed, "typo"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := precheckEnding(tc.stages, tc.planErrs)
			if e.phase != tc.phase || !strings.Contains(e.message, tc.contains) {
				t.Fatalf("got %s %q, want %s containing %q", e.phase, e.message, tc.phase, tc.contains)
			}
		})
	}
}

func TestEntryPrecheckPhase(t *testing.T) {
	for _, tc := range []struct {
		phases []drv1.ActionPhase
		want   drv1.ExecutionPhase
	}{
		{nil, drv1.ExecutionSucceeded},
		{[]drv1.ActionPhase{drv1.ActionSucceeded, drv1.ActionSkipped}, drv1.ExecutionSucceeded},
		{[]drv1.ActionPhase{drv1.ActionSucceeded, drv1.ActionFailed}, drv1.ExecutionFailed},
		{[]drv1.ActionPhase{drv1.ActionPending}, drv1.ExecutionFailed},
	} {
		var actions []drv1.ActionStatus
		for _, p := range tc.phases {
			actions = append(actions, drv1.ActionStatus{Phase: p})
		}
		if got := entryPrecheckPhase(actions); got != tc.want {
			t.Errorf("%v: got %s, want %s", tc.phases, got, tc.want)
		}
	}
}

func TestReplacesPrecheck(t *testing.T) {
	at := func(s int) *metav1.Time { t := metav1.NewTime(time.Unix(int64(s), 0)); return &t }
	for _, tc := range []struct {
		name string
		old  *drv1.PrecheckRecord
		rec  drv1.PrecheckRecord
		want bool
	}{
		{"first", nil, drv1.PrecheckRecord{Name: "a", CompletionTime: at(10)}, true},
		{"same one again", &drv1.PrecheckRecord{Name: "a", CompletionTime: at(10)}, drv1.PrecheckRecord{Name: "a", CompletionTime: at(10)}, true},
		{"newer", &drv1.PrecheckRecord{Name: "a", CompletionTime: at(10)}, drv1.PrecheckRecord{Name: "b", CompletionTime: at(20)}, true},
		{"older one finishing its bookkeeping late", &drv1.PrecheckRecord{Name: "b", CompletionTime: at(20)}, drv1.PrecheckRecord{Name: "a", CompletionTime: at(10)}, false},
	} {
		if got := replacesPrecheck(tc.old, tc.rec); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestPrecheckRecord(t *testing.T) {
	ex := &drv1.DRPlanExecution{ObjectMeta: metav1.ObjectMeta{Name: "pc"}, Status: drv1.DRPlanExecutionStatus{
		Phase: drv1.ExecutionSucceeded, PlanGeneration: 4, StageStatuses: []drv1.StageStatus{
			{WorkflowExecutions: []drv1.WorkflowExecutionStatus{
				{WorkflowRef: drv1.ObjectReference{Namespace: "ns", Name: "a"}, WorkflowGeneration: 2},
				{WorkflowRef: drv1.ObjectReference{Namespace: "ns", Name: "a"}, WorkflowGeneration: 2, Index: 1},
				{WorkflowRef: drv1.ObjectReference{Namespace: "ns", Name: "gone"}}}}}}}
	rec := precheckRecord(ex)
	if rec.Name != "pc" || rec.PlanGeneration != 4 || len(rec.Workflows) != 1 || rec.Workflows[0].Generation != 2 {
		t.Fatalf("got %+v", rec)
	}
}

func TestEntryPrecheckMessage(t *testing.T) {
	got := entryPrecheckMessage([]drv1.ActionStatus{{Phase: drv1.ActionSucceeded}, {Phase: drv1.ActionSkipped}, {Phase: drv1.ActionFailed},
		{Phase: drv1.ActionSucceeded}}, drv1.ExecutorArgo)
	if want := "precheck of 4 actions (Argo engine): 2 passed, 1 not checkable, 1 failed"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
