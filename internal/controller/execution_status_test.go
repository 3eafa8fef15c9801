package controller

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/internal/engine"
)

func entries(phases ...drv1.ExecutionPhase) *drv1.StageStatus {
	st := &drv1.StageStatus{Name: "s"}
	for i, p := range phases {
		st.WorkflowExecutions = append(st.WorkflowExecutions, drv1.WorkflowExecutionStatus{Index: int32(i), Phase: p})
	}
	return st
}

func TestStagePhase(t *testing.T) {
	g := NewWithT(t)
	S, F, R, P, C := drv1.ExecutionSucceeded, drv1.ExecutionFailed, drv1.ExecutionRunning, drv1.ExecutionPending, drv1.ExecutionCanceled
	g.Expect(stagePhase(entries(S, S), false)).To(Equal(S))
	g.Expect(stagePhase(entries(S, R), false)).To(Equal(R))
	g.Expect(stagePhase(entries(S, P), false)).To(Equal(R), "the next entry will start")
	g.Expect(stagePhase(entries(F, P), false)).To(Equal(F), "a failed entry stops a sequential stage")
	g.Expect(stagePhase(entries(F, P), true)).To(Equal(R), "a parallel stage still starts the others")
	g.Expect(stagePhase(entries(F, R), true)).To(Equal(R))
	g.Expect(stagePhase(entries(F, S), true)).To(Equal(F))
	g.Expect(stagePhase(entries(C, P), false)).To(Equal(C))

	st := entries(S, P, P)
	g.Expect(entryDue(st, 1, false)).To(BeTrue())
	g.Expect(entryDue(st, 2, false)).To(BeFalse())
	g.Expect(entryDue(st, 2, true)).To(BeTrue())
}

func TestApplyRunKeepsFirstTimesAndCountsProgress(t *testing.T) {
	g := NewWithT(t)
	t1 := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 1, 0, time.UTC))
	t2 := metav1.NewTime(t1.Add(time.Minute))
	e := &drv1.WorkflowExecutionStatus{Phase: drv1.ExecutionPending}
	applyRun(e, engine.RunStatus{Phase: drv1.ExecutionPending, ArgoWorkflow: &drv1.ArgoWorkflowRef{Name: "wf", UID: "u"},
		Actions: []drv1.ActionStatus{{Name: "a", Phase: drv1.ActionPending}, {Name: "b", Phase: drv1.ActionPending}}}, t1)
	g.Expect(e.Phase).To(Equal(drv1.ExecutionRunning), "started by us, even before Argo looked at it")
	g.Expect(e.StartTime).To(Equal(&t1))
	g.Expect(e.Progress).To(Equal("0/2"))

	applyRun(e, engine.RunStatus{Phase: drv1.ExecutionRunning,
		Actions: []drv1.ActionStatus{{Name: "a", Phase: drv1.ActionSucceeded}, {Name: "b", Phase: drv1.ActionRunning}}}, t2)
	g.Expect(e.StartTime).To(Equal(&t1))
	g.Expect(e.Progress).To(Equal("1/2"))
	g.Expect(e.CurrentAction).To(Equal("b"))
	g.Expect(e.ArgoWorkflow.UID).To(BeEquivalentTo("u"), "kept when the engine does not repeat it")

	applyRun(e, engine.RunStatus{Phase: drv1.ExecutionFailed, Message: "action b failed: x",
		Actions: []drv1.ActionStatus{{Name: "a", Phase: drv1.ActionSucceeded}, {Name: "b", Phase: drv1.ActionFailed}}}, t2)
	g.Expect(e.Phase).To(Equal(drv1.ExecutionFailed))
	g.Expect(e.CompletionTime).To(Equal(&t2))
	g.Expect(e.CurrentAction).To(BeEmpty())
	g.Expect(e.Message).To(Equal("action b failed: x"))
}

func TestReverseStages(t *testing.T) {
	g := NewWithT(t)
	ok := []drv1.ActionStatus{{Name: "a", Phase: drv1.ActionSucceeded}}
	none := []drv1.ActionStatus{{Name: "a", Phase: drv1.ActionFailed}}
	fwd := []drv1.StageStatus{
		{Name: "one", WorkflowExecutions: []drv1.WorkflowExecutionStatus{
			{WorkflowRef: drv1.ObjectReference{Name: "x"}, Index: 0, ActionStatuses: ok, Params: []drv1.ParamValue{{Name: "p", Value: "1"}}},
			{WorkflowRef: drv1.ObjectReference{Name: "y"}, Index: 1, ActionStatuses: ok}}},
		{Name: "two", WorkflowExecutions: []drv1.WorkflowExecutionStatus{{WorkflowRef: drv1.ObjectReference{Name: "z"}, ActionStatuses: none}}},
		{Name: "three", WorkflowExecutions: []drv1.WorkflowExecutionStatus{{WorkflowRef: drv1.ObjectReference{Name: "w"}, ActionStatuses: ok}}},
	}
	rev := reverseStages(nil, fwd)
	g.Expect(rev).To(HaveLen(2), "a stage with nothing succeeded has nothing to undo")
	g.Expect(rev[0].Name).To(Equal("three"))
	g.Expect(rev[1].Name).To(Equal("one"))
	g.Expect(rev[1].WorkflowExecutions[0].WorkflowRef.Name).To(Equal("y"), "entries in reverse order")
	g.Expect(rev[1].WorkflowExecutions[1].Index).To(Equal(int32(0)), "the entry index of the run undone is kept")
	g.Expect(rev[1].WorkflowExecutions[1].Params).To(Equal([]drv1.ParamValue{{Name: "p", Value: "1"}}), "recorded params")
	g.Expect(findEntry(fwd, "one", drv1.ObjectReference{Name: "y"}, 1)).To(Equal(&fwd[0].WorkflowExecutions[1]))
}

func TestCancelStagesAndSummary(t *testing.T) {
	g := NewWithT(t)
	now := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	stages := []drv1.StageStatus{{Name: "s", Phase: drv1.ExecutionRunning, WorkflowExecutions: []drv1.WorkflowExecutionStatus{
		{Phase: drv1.ExecutionRunning, ActionStatuses: []drv1.ActionStatus{{Name: "a", Phase: drv1.ActionSucceeded}, {Name: "b", Phase: drv1.ActionRunning}}},
		{Phase: drv1.ExecutionPending, ActionStatuses: []drv1.ActionStatus{{Name: "c", Phase: drv1.ActionPending}}},
	}}}
	cancelStages(stages, now, "canceled")
	g.Expect(stages[0].Phase).To(Equal(drv1.ExecutionCanceled))
	g.Expect(stages[0].CompletionTime).To(Equal(&now))
	g.Expect(stages[0].WorkflowExecutions[0].CompletionTime).To(Equal(&now))
	g.Expect(stages[0].WorkflowExecutions[1].CompletionTime).To(BeNil(), "never started")
	s, p := summarize(stages)
	g.Expect(s).To(Equal(drv1.ExecutionSummary{Total: 3, Succeeded: 1, Canceled: 2}))
	g.Expect(p).To(Equal("3/3"))
}

func TestFirstFailureNamesACanceledWorkflowWhenNoneFailed(t *testing.T) {
	g := NewWithT(t)
	stages := []drv1.StageStatus{*entries(drv1.ExecutionSucceeded, drv1.ExecutionCanceled)}
	stages[0].WorkflowExecutions[1].WorkflowRef.Name = "failover"
	stages[0].WorkflowExecutions[1].Message = "Stopped with strategy 'Terminate'"
	g.Expect(firstFailure(stages)).To(Equal("stage s, workflow failover was canceled: Stopped with strategy 'Terminate'"))

	stages = append(stages, *entries(drv1.ExecutionFailed))
	stages[1].Name, stages[1].WorkflowExecutions[0].WorkflowRef.Name, stages[1].WorkflowExecutions[0].Message = "t", "w", "action a failed: boom"
	g.Expect(firstFailure(stages)).To(Equal("stage t, workflow w: action a failed: boom"), "a failure comes before a cancel")
}

func TestLinkArgoUI(t *testing.T) {
	for _, tc := range []struct {
		name, base, want string
		ref              *drv1.ArgoWorkflowRef
	}{
		{name: "no base: no link", base: "", ref: &drv1.ArgoWorkflowRef{Name: "wf", Namespace: "shop"}, want: ""},
		{name: "base without slash", base: "https://argo.example.com", ref: &drv1.ArgoWorkflowRef{Name: "wf", Namespace: "shop"},
			want: "https://argo.example.com/workflows/shop/wf"},
		{name: "base under a path with a slash", base: "https://example.com/argo/", ref: &drv1.ArgoWorkflowRef{Name: "wf", Namespace: "shop"},
			want: "https://example.com/argo/workflows/shop/wf"},
		{name: "no Workflow yet", base: "https://argo.example.com", ref: &drv1.ArgoWorkflowRef{}, want: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			linkArgoUI(tc.ref, tc.base)
			if tc.ref.URL != tc.want {
				t.Errorf("url = %q, want %q", tc.ref.URL, tc.want)
			}
		})
	}
	linkArgoUI(nil, "https://argo.example.com") // no Workflow at all: nothing to do, no panic
}
