package controller

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/internal/engine"
)

const (
	pS, pF, pR, pP, pC = drv1.ExecutionSucceeded, drv1.ExecutionFailed, drv1.ExecutionRunning, drv1.ExecutionPending, drv1.ExecutionCanceled
)

// planOf builds a plan of stages under policy (without any dependsOn it is a sequential plan).
func planOf(policy drv1.PlanFailurePolicy, stages ...drv1.Stage) *drv1.DRPlan {
	return &drv1.DRPlan{Spec: drv1.DRPlanSpec{FailurePolicy: policy, Stages: stages}}
}

func stage(name string, deps ...string) drv1.Stage { return drv1.Stage{Name: name, DependsOn: deps} }

// stagesAt builds stage statuses named and phased in order ("a", pS, "b", pP, ...).
func stagesAt(namesAndPhases ...any) []drv1.StageStatus {
	var out []drv1.StageStatus
	for i := 0; i < len(namesAndPhases); i += 2 {
		out = append(out, drv1.StageStatus{Name: namesAndPhases[i].(string), Phase: namesAndPhases[i+1].(drv1.ExecutionPhase)})
	}
	return out
}

func phasesOf(stages []drv1.StageStatus) map[string]drv1.ExecutionPhase {
	m := map[string]drv1.ExecutionPhase{}
	for _, s := range stages {
		m[s.Name] = s.Phase
	}
	return m
}

func TestCurrentList(t *testing.T) {
	rolling := drv1.DRPlanExecutionStatus{RollbackStageStatuses: stagesAt("a", pP)}
	cases := []struct {
		name string
		ex   drv1.DRPlanExecution
		want runList
	}{
		{"an Execute without rollback stages runs forward", drv1.DRPlanExecution{}, listForward},
		{"an Execute with rollback stages is rolling back", drv1.DRPlanExecution{Status: rolling}, listRollback},
		{"a Revert runs its reverse stages", drv1.DRPlanExecution{Spec: drv1.DRPlanExecutionSpec{OperationType: drv1.OperationRevert}}, listRevert},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { NewWithT(t).Expect(currentList(&c.ex)).To(Equal(c.want)) })
	}
}

func TestStageDeps(t *testing.T) {
	dag := planOf(drv1.PlanStop, stage("a"), stage("b"), stage("c", "a"))
	seq := planOf(drv1.PlanStop, stage("a"), stage("b"), stage("c"))
	forward := stagesAt("a", pP, "b", pP, "c", pP)
	reverse := stagesAt("c", pP, "b", pP, "a", pP)
	cases := []struct {
		name   string
		plan   *drv1.DRPlan
		stages []drv1.StageStatus
		i      int
		dir    engine.Direction
		want   []string
	}{
		{"a stage with dependsOn waits for those", dag, forward, 2, engine.Forward, []string{"a"}},
		{"a stage without dependsOn in a DAG plan waits for none", dag, forward, 1, engine.Forward, nil},
		{"in a plan without dependsOn a stage waits for the one before", seq, forward, 2, engine.Forward, []string{"b"}},
		{"the first stage waits for none", seq, forward, 0, engine.Forward, nil},
		{"a reverse run of a sequential plan waits for the stage before in reverse order", seq, reverse, 1, engine.Reverse, []string{"c"}},
		{"a reverse run without a plan: the stage before", nil, reverse, 2, engine.Reverse, []string{"b"}},
		{"a reverse run waits for the undo of the stages that depended on it", dag, reverse, 2, engine.Reverse, []string{"c"}},
		{"a reverse run of an independent stage waits for none", dag, reverse, 1, engine.Reverse, nil},
		{"the undo of a dependent stage waits for none", dag, reverse, 0, engine.Reverse, nil},
		{"a dependent listed first is still undone first", planOf(drv1.PlanStop, stage("b", "a"), stage("a")),
			stagesAt("b", pP, "a", pP), 1, engine.Reverse, []string{"b"}},
		{"through a stage with nothing to undo", planOf(drv1.PlanStop, stage("a"), stage("b", "a"), stage("c", "b")),
			stagesAt("c", pP, "a", pP), 1, engine.Reverse, []string{"c"}},
		{"every dependent, in list order", planOf(drv1.PlanStop, stage("a"), stage("b", "a"), stage("c", "a")),
			stagesAt("c", pP, "b", pP, "a", pP), 2, engine.Reverse, []string{"c", "b"}},
		{"a plan that lost a stage of the list: the stage before", planOf(drv1.PlanStop, stage("a"), stage("c", "a")),
			stagesAt("c", pP, "b", pP, "a", pP), 2, engine.Reverse, []string{"b"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			NewWithT(t).Expect(stageDeps(c.plan, c.stages, c.i, c.dir)).To(Equal(c.want))
		})
	}
}

func TestStageGate(t *testing.T) {
	dag := planOf(drv1.PlanStop, stage("a"), stage("b", "a"), stage("c", "b"), stage("d"))
	cases := []struct {
		name          string
		plan          *drv1.DRPlan
		stages        []drv1.StageStatus
		i             int
		dir           engine.Direction
		stopOnFailure bool
		wantGate      gate
		wantBlockedBy string
	}{
		{"a stage without dependencies starts", dag, stagesAt("a", pP, "b", pP, "c", pP, "d", pP), 0, engine.Forward, true, gateStart, ""},
		{"a stage waits while its dependency runs", dag, stagesAt("a", pR, "b", pP, "c", pP, "d", pP), 1, engine.Forward, true, gateWait, ""},
		{"a stage starts once its dependency succeeded", dag, stagesAt("a", pS, "b", pP, "c", pP, "d", pP), 1, engine.Forward, true, gateStart, ""},
		{"a failed dependency blocks the stage", dag, stagesAt("a", pF, "b", pP, "c", pP, "d", pP), 1, engine.Forward, false, gateBlocked, "a"},
		{"a canceled dependency blocks the stage", dag, stagesAt("a", pC, "b", pP, "c", pP, "d", pP), 1, engine.Forward, false, gateBlocked, "a"},
		{"a failure two stages up blocks the stage, naming its own dependency", dag, stagesAt("a", pF, "b", pP, "c", pP, "d", pP), 2, engine.Forward, false, gateBlocked, "b"},
		{"under Stop an independent stage is held after a failure", dag, stagesAt("a", pF, "b", pP, "c", pP, "d", pP), 3, engine.Forward, true, gateHeld, ""},
		{"under Continue an independent stage starts after a failure", dag, stagesAt("a", pF, "b", pP, "c", pP, "d", pP), 3, engine.Forward, false, gateStart, ""},
		{"a reverse stage waits for the undo of its dependent", dag, stagesAt("c", pR, "b", pP), 1, engine.Reverse, false, gateWait, ""},
		{"a reverse stage whose dependent's undo failed is blocked", dag, stagesAt("c", pF, "b", pP), 1, engine.Reverse, false, gateBlocked, "c"},
		{"an independent reverse stage starts while another is undone", dag, stagesAt("c", pR, "d", pP), 1, engine.Reverse, false, gateStart, ""},
		{"a sequential plan's reverse stage waits for the one before it", planOf(drv1.PlanStop, stage("c"), stage("d")),
			stagesAt("d", pR, "c", pP), 1, engine.Reverse, false, gateWait, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			failed := false
			for _, s := range c.stages {
				failed = failed || stageFailed(s.Phase)
			}
			gt, by := stageGate(c.plan, c.stages, c.i, c.dir, phasesOf(c.stages), c.stopOnFailure, failed)
			g.Expect(gt).To(Equal(c.wantGate))
			g.Expect(by).To(Equal(c.wantBlockedBy))
		})
	}
}

func TestGateMessage(t *testing.T) {
	g := NewWithT(t)
	g.Expect(gateMessage(gateBlocked, "dns")).To(Equal("not run: stage dns did not succeed"))
	g.Expect(gateMessage(gateHeld, "")).To(Equal("not run: an earlier stage failed"))
}

func TestSettleStage(t *testing.T) {
	now := metav1.NewTime(time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC))
	later := metav1.NewTime(now.Add(time.Minute))
	withTimes := func(st *drv1.StageStatus, done *metav1.Time) *drv1.StageStatus {
		st.WorkflowExecutions[0].CompletionTime = done
		return st
	}
	cases := []struct {
		name         string
		stage        *drv1.StageStatus
		parallel     bool
		wantActive   bool
		wantPhase    drv1.ExecutionPhase
		wantDone     *metav1.Time
		wantNotRunAt int // index of an entry told it was not run; -1 for none
	}{
		{"every entry succeeded: done at the latest entry's completion", withTimes(entries(pS, pS), &later), false, false, pS, &later, -1},
		{"an entry runs: the stage is active", entries(pS, pR), false, true, pR, nil, -1},
		{"a failed entry of a sequential stage ends it; the next is told why", entries(pF, pP), false, false, pF, &now, 1},
		{"a failed entry of a parallel stage waits for the others", entries(pF, pP), true, true, pR, nil, -1},
		{"a canceled entry ends the stage Canceled", entries(pC, pP), false, false, pC, &now, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(settleStage(c.stage, c.parallel, now)).To(Equal(c.wantActive))
			g.Expect(c.stage.Phase).To(Equal(c.wantPhase))
			if c.wantDone == nil {
				g.Expect(c.stage.CompletionTime).To(BeNil())
			} else {
				g.Expect(c.stage.CompletionTime).To(Equal(c.wantDone))
			}
			for j, e := range c.stage.WorkflowExecutions {
				if j == c.wantNotRunAt {
					g.Expect(e.Message).To(Equal("not run: an earlier workflow of the stage did not succeed"))
				} else {
					g.Expect(e.Message).To(BeEmpty())
				}
			}
		})
	}
}

func TestFailurePolicy(t *testing.T) {
	failed, succeeded, canceled := stagesAt("a", pS, "b", pF), stagesAt("a", pS, "b", pS), stagesAt("a", pC)
	cases := []struct {
		name          string
		policy        drv1.PlanFailurePolicy
		stages        []drv1.StageStatus
		wantStop      bool
		wantRollsBack bool
	}{
		{"Stop: no new stage after a failure, then the execution ends", drv1.PlanStop, failed, true, false},
		{"Continue: independent stages go on, then the execution ends", drv1.PlanContinue, failed, false, false},
		{"Rollback: no new stage, then everything that succeeded is undone", drv1.PlanRollback, failed, true, true},
		{"Rollback after a stage stopped from Argo (canceled) undoes too", drv1.PlanRollback, canceled, true, true},
		{"Rollback of a run that succeeded undoes nothing", drv1.PlanRollback, succeeded, true, false},
		{"an empty policy is Stop", "", failed, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			policy := (&drv1.DRPlanSpec{FailurePolicy: c.policy}).GetFailurePolicy()
			g.Expect(stopsOnFailure(policy)).To(Equal(c.wantStop))
			g.Expect(rollsBack(policy, c.stages)).To(Equal(c.wantRollsBack))
		})
	}
}

func TestStageStops(t *testing.T) {
	with := func(policy drv1.StageFailurePolicy) drv1.Stage {
		st := stage("a")
		st.FailurePolicy = policy
		return st
	}
	cases := []struct {
		name string
		plan *drv1.DRPlan
		want bool
	}{
		{"no stage policy: the plan's Stop holds new stages", planOf(drv1.PlanStop, stage("a")), true},
		{"no stage policy: the plan's Continue does not", planOf(drv1.PlanContinue, stage("a")), false},
		{"no stage policy: the plan's Rollback holds", planOf(drv1.PlanRollback, stage("a")), true},
		{"an empty plan policy is Stop", planOf("", stage("a")), true},
		{"stage Continue under plan Stop lets other stages start", planOf(drv1.PlanStop, with(drv1.StageContinue)), false},
		{"stage Continue under plan Rollback lets other stages start", planOf(drv1.PlanRollback, with(drv1.StageContinue)), false},
		{"stage Stop under plan Continue holds", planOf(drv1.PlanContinue, with(drv1.StageStop)), true},
		{"stage FailFast under plan Continue holds", planOf(drv1.PlanContinue, with(drv1.StageFailFast)), true},
		{"no plan: Stop", nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			NewWithT(t).Expect(stageStops(c.plan, "a")).To(Equal(c.want))
		})
	}
}

func TestFailFastCancels(t *testing.T) {
	cases := []struct {
		name   string
		policy drv1.StageFailurePolicy
		stage  *drv1.StageStatus
		want   []int
	}{
		{"FailFast: the running siblings of a failed entry are canceled", drv1.StageFailFast, entries(pR, pF, pS, pR), []int{0, 3}},
		{"FailFast: a canceled entry counts as a failure", drv1.StageFailFast, entries(pC, pR), []int{1}},
		{"FailFast: nothing failed, nothing canceled", drv1.StageFailFast, entries(pR, pS, pR), nil},
		{"FailFast: nothing running, nothing canceled", drv1.StageFailFast, entries(pF, pS), nil},
		{"Stop leaves running siblings to finish", drv1.StageStop, entries(pR, pF), nil},
		{"no stage policy leaves running siblings to finish", "", entries(pR, pF), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			NewWithT(t).Expect(failFastCancels(c.policy, c.stage)).To(Equal(c.want))
		})
	}
}

func TestUndoOrder(t *testing.T) {
	cases := []struct {
		name    string
		plan    *drv1.DRPlan
		forward []drv1.StageStatus
		want    []int
	}{
		{"sequential: reverse list order", planOf(drv1.PlanStop, stage("a"), stage("b"), stage("c")),
			stagesAt("a", pS, "b", pS, "c", pS), []int{2, 1, 0}},
		{"no plan: reverse list order", nil, stagesAt("a", pS, "b", pS), []int{1, 0}},
		{"a dependent listed first is undone first", planOf(drv1.PlanStop, stage("b", "a"), stage("a")),
			stagesAt("b", pS, "a", pS), []int{0, 1}},
		{"a chain listed backwards", planOf(drv1.PlanStop, stage("c", "b"), stage("b", "a"), stage("a")),
			stagesAt("c", pS, "b", pS, "a", pS), []int{0, 1, 2}},
		{"diamond", planOf(drv1.PlanStop, stage("d", "b", "c"), stage("a"), stage("b", "a"), stage("c", "a")),
			stagesAt("d", pS, "a", pS, "b", pS, "c", pS), []int{0, 3, 2, 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			got := undoOrder(c.plan, c.forward)
			g.Expect(got).To(Equal(c.want))
			// Whatever the order, an undo comes after the undo of everything that depended on it.
			if c.plan == nil {
				return
			}
			pos := map[string]int{}
			for k, i := range got {
				pos[c.forward[i].Name] = k
			}
			for _, st := range c.plan.Spec.Stages {
				for _, d := range st.DependsOn {
					g.Expect(pos[st.Name]).To(BeNumerically("<", pos[d]), "%s undone before %s", st.Name, d)
				}
			}
		})
	}
}

func TestRunbookChange(t *testing.T) {
	wf := &drv1.DRWorkflow{ObjectMeta: metav1.ObjectMeta{Name: "w", Namespace: "ns", Generation: 3}}
	plain := &drv1.DRPlanExecution{}
	optIn := &drv1.DRPlanExecution{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{drv1.AnnotationAllowWorkflowChanges: "true"}}}
	cases := []struct {
		name string
		ran  int64
		ex   *drv1.DRPlanExecution
		want []string // substrings; none means allowed
	}{
		{"the generation that ran", 3, plain, nil},
		{"changed since", 2, plain, []string{"DRWorkflow ns/w changed", "used generation 2", "generation 3 now", drv1.AnnotationAllowWorkflowChanges}},
		{"not recorded", 0, plain, []string{"a generation it did not record", "generation 3 now"}},
		{"changed, opted in", 2, optIn, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			got := runbookChange(c.ran, wf, c.ex)
			if c.want == nil {
				g.Expect(got).To(BeEmpty())
				return
			}
			for _, w := range c.want {
				g.Expect(got).To(ContainSubstring(w))
			}
		})
	}
}
