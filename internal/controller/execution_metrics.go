package controller

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// Prometheus metrics of plan executions, registered with controller-runtime's registry (served on the
// manager's metrics endpoint) and charted by config/grafana/drplan-operator.json.
//
// Plans are few and long-lived, so plan and plan_namespace are bounded labels. The plan's namespace is
// "plan_namespace", not "namespace": a ServiceMonitor without honorLabels renames a scraped "namespace" to
// "exported_namespace" and puts the operator pod's own namespace in its place.
var (
	executionsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "drplan_executions_total",
		Help: "Finished DRPlanExecutions by plan, operation (Execute, Revert) and result (Succeeded, Failed, Canceled).",
	}, []string{"plan_namespace", "plan", "operation", "result"})
	executionDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "drplan_execution_duration_seconds",
		Help: "Duration of finished DRPlanExecutions, from start to completion, by plan, operation and result.",
		// 1 s to about 2.3 h: a DR run takes seconds (a dry run) to hours (a data-heavy failover).
		Buckets: prometheus.ExponentialBuckets(1, 2, 14),
	}, []string{"plan_namespace", "plan", "operation", "result"})
	actionsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "drplan_actions_total",
		Help: "Actions of finished runs by plan, action type and result (Succeeded, Failed, Skipped, Canceled, Pending).",
	}, []string{"plan_namespace", "plan", "type", "result"})
	actionDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "drplan_action_duration_seconds",
		Help:    "Duration of finished actions (all attempts), by action type and result.",
		Buckets: prometheus.ExponentialBuckets(0.5, 2, 14),
	}, []string{"type", "result"})
	actionRetriesTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "drplan_action_retries_total",
		Help: "Retries (attempts after the first) of the actions of finished runs, by plan and action type.",
	}, []string{"plan_namespace", "plan", "type"})
	approvalWaitSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "drplan_approval_wait_seconds",
		Help: "Time Approval actions waited for a person, from the action's start to its approval, by plan and how it was approved (Annotation, Argo).",
		// 10 s to about 11 h: a go-ahead comes in seconds (a drill) or hours (a decision to fail over).
		Buckets: prometheus.ExponentialBuckets(10, 2, 13),
	}, []string{"plan_namespace", "plan", "via"})
	approvalsWaiting = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "drplan_approvals_waiting",
		Help: "Approval actions waiting for a person now, in executions Running in this operator, by plan.",
	}, []string{"plan_namespace", "plan"})
	executionsRunning = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "drplan_executions_running",
		Help: "DRPlanExecutions currently Running in this operator (runs in flight).",
	})
)

func init() {
	metrics.Registry.MustRegister(executionsTotal, executionDuration, actionsTotal, actionDuration, actionRetriesTotal, executionsRunning,
		approvalWaitSeconds, approvalsWaiting)
}

// observeFinished records a finished execution and its actions (forward and rollback). types maps action
// names to their type.
func observeFinished(ex *drv1.DRPlanExecution, types map[string]drv1.ActionType) {
	ns, plan := ex.Namespace, ex.Spec.PlanRef
	op, result := string(ex.Spec.GetOperationType()), string(ex.Status.Phase)
	executionsTotal.WithLabelValues(ns, plan, op, result).Inc()
	if ex.Status.StartTime != nil && ex.Status.CompletionTime != nil {
		executionDuration.WithLabelValues(ns, plan, op, result).Observe(ex.Status.CompletionTime.Sub(ex.Status.StartTime.Time).Seconds())
	}
	for _, stages := range [][]drv1.StageStatus{ex.Status.StageStatuses, ex.Status.RollbackStageStatuses} {
		for i := range stages {
			for j := range stages[i].WorkflowExecutions {
				for _, a := range stages[i].WorkflowExecutions[j].ActionStatuses {
					typ := string(types[a.Name])
					actionsTotal.WithLabelValues(ns, plan, typ, string(a.Phase)).Inc()
					if a.RetryCount > 0 {
						actionRetriesTotal.WithLabelValues(ns, plan, typ).Add(float64(a.RetryCount))
					}
					if a.StartTime != nil && a.CompletionTime != nil {
						actionDuration.WithLabelValues(typ, string(a.Phase)).Observe(a.CompletionTime.Sub(a.StartTime.Time).Seconds())
					}
				}
			}
		}
	}
}
