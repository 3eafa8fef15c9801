package controller

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// withEntry gives stage i of stages one entry of workflow wf in phase p with message msg.
func withEntry(stages []drv1.StageStatus, i int, wf string, p drv1.ExecutionPhase, msg string) []drv1.StageStatus {
	stages[i].WorkflowExecutions = append(stages[i].WorkflowExecutions,
		drv1.WorkflowExecutionStatus{WorkflowRef: drv1.ObjectReference{Name: wf}, Phase: p, Message: msg})
	return stages
}

func TestSettledEnding(t *testing.T) {
	cases := []struct {
		name   string
		stages []drv1.StageStatus
		want   ending
	}{
		{"every stage succeeded", stagesAt("a", pS, "b", pS), ending{phase: pS, reason: drv1.ReasonSucceeded, message: "succeeded"}},
		{"a stage failed: Failed naming the workflow and its message",
			withEntry(stagesAt("a", pS, "b", pF), 1, "dns", pF, "action x failed: 500"),
			ending{phase: pF, reason: drv1.ReasonFailed, message: "failed: stage b, workflow dns: action x failed: 500"}},
		{"a run stopped from Argo (canceled, not by the execution): Failed naming it",
			withEntry(stagesAt("a", pC), 0, "shift", pC, "stopped"),
			ending{phase: pF, reason: drv1.ReasonFailed, message: "failed: stage a, workflow shift was canceled: stopped"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { NewWithT(t).Expect(settledEnding(c.stages)).To(Equal(c.want)) })
	}
}

func TestRollbackEndings(t *testing.T) {
	forward := withEntry(stagesAt("a", pS, "b", pF), 1, "dns", pF, "boom")
	cases := []struct {
		name           string
		got            ending
		wantReason     string
		wantMessage    string
		wantRolledBack metav1.ConditionStatus
		wantRBReason   string
		wantRBMessage  string
	}{
		{"nothing had succeeded: Failed, RolledBack True with nothing to do", nothingToRollBack(forward),
			drv1.ReasonFailed, "failed: stage b, workflow dns: boom",
			metav1.ConditionTrue, drv1.ReasonRolledBack, "nothing had succeeded: nothing to roll back"},
		{"the rollback succeeded: Failed as RolledBack", rollbackEnding(forward, stagesAt("a", pS)),
			drv1.ReasonRolledBack, "rolled back after failure: stage b, workflow dns: boom",
			metav1.ConditionTrue, drv1.ReasonRolledBack, "rolled back after failure: stage b, workflow dns: boom"},
		{"the rollback failed too: both failures named",
			rollbackEnding(forward, withEntry(stagesAt("a", pF), 0, "shift", pF, "undo failed")),
			drv1.ReasonRollbackFailed, "rollback failed (stage a, workflow shift: undo failed) after failure: stage b, workflow dns: boom",
			metav1.ConditionFalse, drv1.ReasonRollbackFailed, "rollback failed (stage a, workflow shift: undo failed) after failure: stage b, workflow dns: boom"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(c.got.phase).To(Equal(pF), "a rolled-back execution still failed")
			g.Expect(c.got.reason).To(Equal(c.wantReason))
			g.Expect(c.got.message).To(Equal(c.wantMessage))
			g.Expect(c.got.rolledBack).NotTo(BeNil())
			g.Expect(c.got.rolledBack.Status).To(Equal(c.wantRolledBack))
			g.Expect(c.got.rolledBack.Reason).To(Equal(c.wantRBReason))
			g.Expect(c.got.rolledBack.Message).To(Equal(c.wantRBMessage))
		})
	}
	NewWithT(t).Expect(rollingBackMessage(forward)).To(Equal("rolling back: stage b, workflow dns: boom"))
}

func TestStartEnding(t *testing.T) {
	cases := []struct {
		name        string
		paramErrs   []string
		wfErrs      []string
		notFound    bool
		wantNil     bool
		wantReason  string
		wantMessage string
	}{
		{"nothing wrong: the execution runs", nil, nil, false, true, "", ""},
		{"bad parameters are named first, with the workflow errors after",
			[]string{"stage a, workflow w: params.x: Required value"}, []string{"stage b: DRWorkflow ns/v: not found"}, true, false,
			drv1.ReasonParamsInvalid, "invalid parameters, nothing was run: stage a, workflow w: params.x: Required value; stage b: DRWorkflow ns/v: not found"},
		{"a missing workflow", nil, []string{"stage b: DRWorkflow ns/v: not found"}, true, false,
			drv1.ReasonWorkflowNotFound, "nothing was run: stage b: DRWorkflow ns/v: not found"},
		{"a workflow that does not compile", nil, []string{"stage b, workflow v: bad template"}, false, false,
			drv1.ReasonWorkflowInvalid, "nothing was run: stage b, workflow v: bad template"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			got := startEnding(c.paramErrs, c.wfErrs, c.notFound)
			if c.wantNil {
				g.Expect(got).To(BeNil())
				return
			}
			g.Expect(got).NotTo(BeNil())
			g.Expect(*got).To(Equal(ending{phase: pF, reason: c.wantReason, message: c.wantMessage}))
		})
	}
}

func TestRevertTargetProblem(t *testing.T) {
	revert := &drv1.DRPlanExecution{Spec: drv1.DRPlanExecutionSpec{PlanRef: "p", OperationType: drv1.OperationRevert, RevertExecutionRef: "t"}}
	target := func(plan string, op drv1.OperationType, phase drv1.ExecutionPhase) *drv1.DRPlanExecution {
		t := &drv1.DRPlanExecution{Spec: drv1.DRPlanExecutionSpec{PlanRef: plan, OperationType: op}, Status: drv1.DRPlanExecutionStatus{Phase: phase}}
		t.Name = "t"
		return t
	}
	cases := []struct {
		name   string
		target *drv1.DRPlanExecution
		err    error
		want   string
	}{
		{"an Execute of the same plan that succeeded can be reverted", target("p", drv1.OperationExecute, pS), nil, ""},
		{"an Execute of the same plan that failed can be reverted", target("p", drv1.OperationExecute, pF), nil, ""},
		{"the target does not exist", nil, nil, "revert target not found"},
		{"the target ran another plan", target("q", drv1.OperationExecute, pS), nil, "revert target t ran plan q, not p"},
		{"the target is itself a Revert", target("p", drv1.OperationRevert, pS), nil, "revert target t is a Revert; only an Execute can be reverted"},
		{"the target still runs", target("p", drv1.OperationExecute, pR), nil, "revert target t is Running; it must have ended Succeeded or Failed"},
		{"the target never started", target("p", drv1.OperationExecute, ""), nil, "revert target t is Pending; it must have ended Succeeded or Failed"},
		{"the target was canceled", target("p", drv1.OperationExecute, pC), nil, "revert target t is Canceled; it must have ended Succeeded or Failed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { NewWithT(t).Expect(revertTargetProblem(revert, c.target)).To(Equal(c.want)) })
	}
	NewWithT(t).Expect(nothingToRevert("t")).To(Equal(ending{phase: pS, reason: drv1.ReasonSucceeded,
		message: "nothing to revert: no action of t succeeded"}))
}

func TestGuardEndings(t *testing.T) {
	cases := []struct {
		name string
		got  ending
		want ending
	}{
		{"the plan does not exist", planGoneEnding("ns", "p", false),
			ending{phase: pF, reason: drv1.ReasonPlanNotFound, message: "DRPlan ns/p not found"}},
		{"the plan was deleted under a run", planGoneEnding("ns", "p", true),
			ending{phase: pF, reason: drv1.ReasonPlanNotFound, message: "the plan was deleted while running: DRPlan ns/p not found"}},
		{"another execution holds the plan", concurrentEnding("p", "other"),
			ending{phase: pF, reason: drv1.ReasonConcurrentExecution,
				message: "DRPlan p is being run by execution other; at most one execution of a plan runs at a time"}},
		{"canceled by annotation", canceledEnding(),
			ending{phase: pC, reason: drv1.ReasonCanceled, message: "canceled by annotation " + drv1.AnnotationCancel}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { NewWithT(t).Expect(c.got).To(Equal(c.want)) })
	}
}

func TestEndExecution(t *testing.T) {
	g := NewWithT(t)
	start := metav1.NewTime(time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC))
	now := metav1.NewTime(start.Add(time.Minute))
	st := &drv1.DRPlanExecutionStatus{}
	setRunning(st, "running", 3, start)
	endExecution(st, rollbackEnding(stagesAt("a", pF), stagesAt("a", pS)), 3, now)

	g.Expect(st.Phase).To(Equal(pF))
	g.Expect(st.StartTime).To(Equal(&start))
	g.Expect(st.CompletionTime).To(Equal(&now))
	for _, typ := range []string{drv1.ConditionProgressing, drv1.ConditionCompleted, drv1.ConditionRolledBack} {
		c := meta.FindStatusCondition(st.Conditions, typ)
		g.Expect(c).NotTo(BeNil(), typ)
		g.Expect(c.Reason).To(Equal(drv1.ReasonRolledBack), typ)
		g.Expect(c.ObservedGeneration).To(Equal(int64(3)), typ)
		g.Expect(c.Message).To(Equal(st.Message), typ)
	}
	g.Expect(meta.IsStatusConditionFalse(st.Conditions, drv1.ConditionProgressing)).To(BeTrue())
	g.Expect(meta.IsStatusConditionTrue(st.Conditions, drv1.ConditionCompleted)).To(BeTrue())
	g.Expect(meta.IsStatusConditionTrue(st.Conditions, drv1.ConditionRolledBack)).To(BeTrue())

	plain := &drv1.DRPlanExecutionStatus{}
	endExecution(plain, settledEnding(stagesAt("a", pS)), 1, now)
	g.Expect(meta.FindStatusCondition(plain.Conditions, drv1.ConditionRolledBack)).To(BeNil(), "only a Rollback policy writes RolledBack")
}
