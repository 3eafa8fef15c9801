package drplanctl

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

const ns = "shop"

func mustDuration(s string) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return d
}

func plan(name string) *drv1.DRPlan {
	return &drv1.DRPlan{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: drv1.DRPlanSpec{Stages: []drv1.Stage{
			{Name: "traffic", Workflows: []drv1.WorkflowEntry{{WorkflowRef: drv1.ObjectReference{Name: "shift"}}}},
			{Name: "dns", DependsOn: []string{"traffic"}, Workflows: []drv1.WorkflowEntry{{WorkflowRef: drv1.ObjectReference{Name: "dns"}}}},
		}},
	}
}

func execution(name, planName string) *drv1.DRPlanExecution {
	return &drv1.DRPlanExecution{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: drv1.DRPlanExecutionSpec{PlanRef: planName, OperationType: drv1.OperationExecute,
			Params: []drv1.ParamValue{{Name: "toCluster", Value: "clusternet-ab12c"}}},
	}
}

// run1 failed in stage dns after a retry of notify, and its rollback undid stage traffic.
var run1 = execution("run-1", "failover")

// run2 runs plan other.
var run2 = execution("run-2", "other")

func failedStatus() drv1.DRPlanExecutionStatus {
	return drv1.DRPlanExecutionStatus{
		Phase: drv1.ExecutionFailed, StartTime: ago("10m"), CompletionTime: ago("8m"), Progress: "2/4",
		Message: "stage dns: action switch failed: status code 503",
		Conditions: []metav1.Condition{
			{Type: drv1.ConditionCompleted, Status: metav1.ConditionTrue, Reason: "Failed", Message: "stage dns: action switch failed", LastTransitionTime: *ago("8m")},
			{Type: "RolledBack", Status: metav1.ConditionTrue, Reason: "RolledBack", Message: "stage traffic rolled back", LastTransitionTime: *ago("8m")},
		},
		Summary: &drv1.ExecutionSummary{Total: 4, Succeeded: 2, Failed: 1, Pending: 1},
		StageStatuses: []drv1.StageStatus{
			{Name: "traffic", Phase: drv1.ExecutionSucceeded, StartTime: ago("10m"), CompletionTime: ago("9m"),
				WorkflowExecutions: []drv1.WorkflowExecutionStatus{{
					WorkflowRef: drv1.ObjectReference{Name: "shift"}, Index: 0, Engine: drv1.ExecutorArgo, Progress: "2/2",
					ArgoWorkflow: &drv1.ArgoWorkflowRef{Name: "run-1-traffic-0-shift", Namespace: ns}, Phase: drv1.ExecutionSucceeded,
					StartTime: ago("10m"), CompletionTime: ago("9m"),
					ActionStatuses: []drv1.ActionStatus{
						{Name: "notify", Phase: drv1.ActionSucceeded, StartTime: ago("10m"), CompletionTime: ago("9m50s"), RetryCount: 2,
							Outputs: &drv1.ActionOutputs{HTTPResponse: &drv1.HTTPResponse{StatusCode: 202, Body: `{"accepted":true}`}}},
						{Name: "promote", Phase: drv1.ActionSucceeded, StartTime: ago("9m50s"), CompletionTime: ago("9m"),
							Outputs: &drv1.ActionOutputs{JobRef: &drv1.ResourceRef{Kind: "Job", Namespace: ns, Name: "run-1-promote"}}},
					},
				}}},
			{Name: "dns", Phase: drv1.ExecutionFailed, StartTime: ago("9m"), CompletionTime: ago("8m"),
				WorkflowExecutions: []drv1.WorkflowExecutionStatus{{
					WorkflowRef: drv1.ObjectReference{Name: "dns"}, Index: 0, Engine: drv1.ExecutorArgo, Progress: "1/2",
					ArgoWorkflow: &drv1.ArgoWorkflowRef{Name: "run-1-dns-0-dns", Namespace: ns}, Phase: drv1.ExecutionFailed,
					Message: "action switch failed",
					ActionStatuses: []drv1.ActionStatus{
						{Name: "switch", Phase: drv1.ActionFailed, StartTime: ago("9m"), CompletionTime: ago("8m"), Message: "status code 503"},
						{Name: "verify", Phase: drv1.ActionPending},
					},
				}}},
		},
		RollbackStageStatuses: []drv1.StageStatus{{Name: "traffic", Phase: drv1.ExecutionSucceeded,
			WorkflowExecutions: []drv1.WorkflowExecutionStatus{{WorkflowRef: drv1.ObjectReference{Name: "shift"}, Index: 0,
				ArgoWorkflow: &drv1.ArgoWorkflowRef{Name: "run-1-traffic-0-shift-revert", Namespace: ns}, Phase: drv1.ExecutionSucceeded,
				ActionStatuses: []drv1.ActionStatus{{Name: "promote", Phase: drv1.ActionSucceeded}}}}}},
	}
}

// liveStatus is a run in stage traffic, its action promote Running.
func liveStatus(promote drv1.ActionPhase) drv1.DRPlanExecutionStatus {
	phase := drv1.ExecutionRunning
	var done *metav1.Time
	if promote == drv1.ActionSucceeded {
		phase, done = drv1.ExecutionSucceeded, ago("0s")
	}
	return drv1.DRPlanExecutionStatus{
		Phase: phase, StartTime: ago("30s"), CompletionTime: done,
		StageStatuses: []drv1.StageStatus{{Name: "traffic", Phase: phase, StartTime: ago("30s"), CompletionTime: done,
			WorkflowExecutions: []drv1.WorkflowExecutionStatus{{
				WorkflowRef: drv1.ObjectReference{Name: "shift"}, Index: 0, Engine: drv1.ExecutorArgo, Phase: phase,
				ArgoWorkflow: &drv1.ArgoWorkflowRef{Name: "live-traffic-0-shift", Namespace: ns}, StartTime: ago("30s"), CompletionTime: done,
				ActionStatuses: []drv1.ActionStatus{{Name: "promote", Phase: promote, StartTime: ago("30s"), CompletionTime: done}},
			}}}},
	}
}

func seed() error {
	if err := k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		return err
	}
	for _, obj := range []*drv1.DRPlan{plan("failover"), plan("other")} {
		p := obj
		var set func()
		if p.Name == "failover" {
			set = func() {
				p.Status.Phase = drv1.DRPlanExecuted
				p.Status.LastExecutionRef = &drv1.ObjectReference{Name: "run-1"}
				p.Status.ExecutionHistory = []drv1.ExecutionRecord{
					{Name: "run-undo", OperationType: drv1.OperationRevert, Phase: drv1.ExecutionSucceeded, StartTime: ago("5m"), CompletionTime: ago("4m")},
					{Name: "run-1", OperationType: drv1.OperationExecute, Phase: drv1.ExecutionFailed, StartTime: ago("10m"), CompletionTime: ago("8m")},
				}
			}
		}
		if err := create(p, set); err != nil {
			return err
		}
	}
	if err := create(run1, func() { run1.Status = failedStatus() }); err != nil {
		return err
	}
	if err := create(run2, func() {
		run2.Status = drv1.DRPlanExecutionStatus{Phase: drv1.ExecutionRunning, StartTime: ago("1m"), Progress: "0/4"}
	}); err != nil {
		return err
	}
	for _, e := range []*corev1.Event{
		event(run1, corev1.EventTypeNormal, "Running", "execution started"),
		event(run1, corev1.EventTypeWarning, "Failed", "stage dns: action switch failed"),
	} {
		if err := k8sClient.Create(ctx, e); err != nil {
			return err
		}
	}
	return nil
}
