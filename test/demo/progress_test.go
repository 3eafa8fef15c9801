package main

import (
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// quickstartStatus is a one-stage, one-workflow status with the quickstart's two actions.
func quickstartStatus(exec drv1.ExecutionPhase, run drv1.ExecutionPhase, argo string, mark, notify drv1.ActionPhase) drv1.DRPlanExecutionStatus {
	w := drv1.WorkflowExecutionStatus{WorkflowRef: drv1.ObjectReference{Name: "quickstart"}, Phase: run,
		ActionStatuses: []drv1.ActionStatus{{Name: "mark-failover", Phase: mark}, {Name: "notify", Phase: notify}}}
	if argo != "" {
		w.ArgoWorkflow = &drv1.ArgoWorkflowRef{Name: argo}
	}
	return drv1.DRPlanExecutionStatus{Phase: exec,
		StageStatuses: []drv1.StageStatus{{Name: "switch", WorkflowExecutions: []drv1.WorkflowExecutionStatus{w}}}}
}

func TestStatusChangesFromNothing(t *testing.T) {
	g := NewWithT(t)
	cur := quickstartStatus(drv1.ExecutionRunning, drv1.ExecutionRunning, "wf-1", drv1.ActionRunning, drv1.ActionPending)
	g.Expect(statusChanges(&drv1.DRPlanExecutionStatus{}, &cur)).To(Equal([]change{
		{Where: "execution", Phase: "Running"},
		{Where: "switch/quickstart", Phase: "Running", Message: "Argo Workflow wf-1"},
		{Where: "switch/quickstart", Action: "mark-failover", Phase: "Running"},
		{Where: "switch/quickstart", Action: "notify", Phase: "Pending"},
	}))
}

func TestStatusChangesOnlyWhatChanged(t *testing.T) {
	g := NewWithT(t)
	prev := quickstartStatus(drv1.ExecutionRunning, drv1.ExecutionRunning, "wf-1", drv1.ActionRunning, drv1.ActionPending)
	cur := quickstartStatus(drv1.ExecutionRunning, drv1.ExecutionRunning, "wf-1", drv1.ActionSucceeded, drv1.ActionPending)
	cur.StageStatuses[0].WorkflowExecutions[0].ActionStatuses[0].Message = "created"
	cur.Progress = "1/2" // not a phase change: no line
	g.Expect(statusChanges(&prev, &cur)).To(Equal([]change{
		{Where: "switch/quickstart", Action: "mark-failover", Phase: "Succeeded", Message: "created"},
	}))
	g.Expect(statusChanges(&cur, &cur)).To(BeEmpty())
}

func TestStatusChangesTerminalExecutionComesLast(t *testing.T) {
	g := NewWithT(t)
	prev := quickstartStatus(drv1.ExecutionRunning, drv1.ExecutionRunning, "wf-1", drv1.ActionSucceeded, drv1.ActionPending)
	cur := quickstartStatus(drv1.ExecutionSucceeded, drv1.ExecutionSucceeded, "wf-1", drv1.ActionSucceeded, drv1.ActionSkipped)
	cur.Message = "all stages succeeded"
	g.Expect(statusChanges(&prev, &cur)).To(Equal([]change{
		{Where: "switch/quickstart", Phase: "Succeeded", Message: "Argo Workflow wf-1"},
		{Where: "switch/quickstart", Action: "notify", Phase: "Skipped"},
		{Where: "execution", Phase: "Succeeded", Message: "all stages succeeded"},
	}))
}

func TestStatusChangesRollbackRunsAndEmptyPhases(t *testing.T) {
	g := NewWithT(t)
	prev := quickstartStatus(drv1.ExecutionRunning, drv1.ExecutionFailed, "wf-1", drv1.ActionFailed, drv1.ActionCanceled)
	cur := *prev.DeepCopy()
	cur.RollbackStageStatuses = []drv1.StageStatus{{Name: "switch", WorkflowExecutions: []drv1.WorkflowExecutionStatus{{
		WorkflowRef: drv1.ObjectReference{Name: "quickstart"}, Phase: drv1.ExecutionRunning,
		ActionStatuses: []drv1.ActionStatus{{Name: "mark-failover"}}, // no phase yet: nothing to report
	}}}}
	g.Expect(statusChanges(&prev, &cur)).To(Equal([]change{
		{Where: "rollback switch/quickstart", Phase: "Running"},
	}))
}

func TestFormatChangeKeepsOneLine(t *testing.T) {
	g := NewWithT(t)
	at := time.Date(2026, 11, 25, 21, 45, 3, 250_000_000, time.UTC)
	line := formatChange(at, change{Where: "switch/quickstart", Action: "notify", Phase: "Failed", Message: "status 500:\n  boom"})
	g.Expect(line).To(Equal("  21:45:03.2  switch/quickstart          notify           Failed     status 500: boom"))
	g.Expect(formatChange(at, change{Where: "execution", Phase: "Running"})).To(HaveSuffix("execution                  -                Running"))
	long := formatChange(at, change{Where: "execution", Phase: "Failed", Message: strings.Repeat("é", 500)})
	g.Expect(long).To(HaveSuffix(strings.Repeat("é", maxMessage-1) + "…"))
}

func TestSummaryLines(t *testing.T) {
	g := NewWithT(t)
	ex := &drv1.DRPlanExecution{ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "quickstart-run-1"}}
	ex.Status = quickstartStatus(drv1.ExecutionSucceeded, drv1.ExecutionSucceeded, "wf-1", drv1.ActionSucceeded, drv1.ActionSkipped)
	start := metav1.NewTime(time.Date(2026, 11, 25, 21, 45, 0, 0, time.UTC))
	end := metav1.NewTime(start.Add(7 * time.Second))
	ex.Status.StartTime, ex.Status.CompletionTime = &start, &end
	ex.Status.Summary = &drv1.ExecutionSummary{Total: 2, Succeeded: 1, Skipped: 1}
	ex.Status.StageStatuses[0].WorkflowExecutions[0].ActionStatuses[0].Outputs = &drv1.ActionOutputs{
		ResourceRef: &drv1.ResourceRef{Kind: "ConfigMap", Namespace: "demo", Name: "dr-active-site", Created: true}}
	g.Expect(summaryLines(ex)).To(Equal([]string{
		"Execute demo/quickstart-run-1: Succeeded in 7s",
		"  actions: 2 total, 1 succeeded, 1 skipped, 0 failed, 0 canceled, 0 pending, 0 running",
		"  switch/quickstart          Succeeded  Argo Workflow wf-1",
		"    mark-failover            Succeeded  created ConfigMap demo/dr-active-site",
		"    notify                   Skipped",
	}))
}

func TestNextIndexAndLiveExecution(t *testing.T) {
	g := NewWithT(t)
	named := func(name string, phase drv1.ExecutionPhase) drv1.DRPlanExecution {
		return drv1.DRPlanExecution{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: drv1.DRPlanExecutionSpec{PlanRef: "quickstart"}, Status: drv1.DRPlanExecutionStatus{Phase: phase}}
	}
	items := []drv1.DRPlanExecution{named("quickstart-run-2", drv1.ExecutionSucceeded),
		named("quickstart-run-2-revert", drv1.ExecutionSucceeded), named("quickstart-run-x", drv1.ExecutionFailed),
		named("other-9", drv1.ExecutionSucceeded)}
	g.Expect(nextIndex(items, "quickstart-run")).To(Equal(3))
	g.Expect(nextIndex(nil, "quickstart-run")).To(Equal(1))
	g.Expect(liveExecution(items, "quickstart")).To(BeNil())
	items = append(items, named("quickstart-run-3", ""))
	g.Expect(liveExecution(items, "quickstart").Name).To(Equal("quickstart-run-3"))
}

func TestUnrevertedRun(t *testing.T) {
	g := NewWithT(t)
	run := func(name string, phase drv1.ExecutionPhase) drv1.DRPlanExecution {
		return drv1.DRPlanExecution{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec:   drv1.DRPlanExecutionSpec{PlanRef: "quickstart", OperationType: drv1.OperationExecute},
			Status: drv1.DRPlanExecutionStatus{Phase: phase}}
	}
	revert := func(of string) drv1.DRPlanExecution {
		return drv1.DRPlanExecution{ObjectMeta: metav1.ObjectMeta{Name: of + "-revert"},
			Spec:   drv1.DRPlanExecutionSpec{PlanRef: "quickstart", OperationType: drv1.OperationRevert, RevertExecutionRef: of},
			Status: drv1.DRPlanExecutionStatus{Phase: drv1.ExecutionSucceeded}}
	}
	items := []drv1.DRPlanExecution{run("quickstart-run-1", drv1.ExecutionSucceeded), revert("quickstart-run-1"),
		run("quickstart-run-2", drv1.ExecutionCanceled), run("quickstart-run", drv1.ExecutionSucceeded)}
	g.Expect(unrevertedRun(items, "quickstart-run")).To(BeNil(), "reverted, canceled, or not named by the demo")
	items = append(items, run("quickstart-run-3", drv1.ExecutionFailed), run("quickstart-run-4", drv1.ExecutionSucceeded))
	g.Expect(unrevertedRun(items, "quickstart-run").Name).To(Equal("quickstart-run-4"))
}
