package controller

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// Prometheus metrics of plan executions, registered with controller-runtime's registry (served on the
// manager's metrics endpoint).
var (
	executionsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "drplan_executions_total",
		Help: "Finished DRPlanExecutions by operation (Execute, Revert) and result (Succeeded, Failed, Canceled).",
	}, []string{"operation", "result"})
	executionDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "drplan_execution_duration_seconds",
		Help:    "Duration of finished DRPlanExecutions, from start to completion.",
		Buckets: prometheus.ExponentialBuckets(1, 2, 14),
	}, []string{"operation", "result"})
	actionsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "drplan_actions_total",
		Help: "Actions of finished runs by action type and result (Succeeded, Failed, Skipped, Canceled, Pending).",
	}, []string{"type", "result"})
	actionDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "drplan_action_duration_seconds",
		Help:    "Duration of finished actions (all attempts), by action type and result.",
		Buckets: prometheus.ExponentialBuckets(0.5, 2, 14),
	}, []string{"type", "result"})
	executionsRunning = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "drplan_executions_running",
		Help: "DRPlanExecutions currently Running in this operator.",
	})
)

func init() {
	metrics.Registry.MustRegister(executionsTotal, executionDuration, actionsTotal, actionDuration, executionsRunning)
}

// observeFinished records a finished execution and its actions. types maps action names to their type.
func observeFinished(ex *drv1.DRPlanExecution, types map[string]drv1.ActionType) {
	op, result := string(ex.Spec.GetOperationType()), string(ex.Status.Phase)
	executionsTotal.WithLabelValues(op, result).Inc()
	if ex.Status.StartTime != nil && ex.Status.CompletionTime != nil {
		executionDuration.WithLabelValues(op, result).Observe(ex.Status.CompletionTime.Sub(ex.Status.StartTime.Time).Seconds())
	}
	for _, stages := range [][]drv1.StageStatus{ex.Status.StageStatuses, ex.Status.RollbackStageStatuses} {
		for i := range stages {
			for j := range stages[i].WorkflowExecutions {
				for _, a := range stages[i].WorkflowExecutions[j].ActionStatuses {
					typ := string(types[a.Name])
					actionsTotal.WithLabelValues(typ, string(a.Phase)).Inc()
					if a.StartTime != nil && a.CompletionTime != nil {
						actionDuration.WithLabelValues(typ, string(a.Phase)).Observe(a.CompletionTime.Sub(a.StartTime.Time).Seconds())
					}
				}
			}
		}
	}
}
