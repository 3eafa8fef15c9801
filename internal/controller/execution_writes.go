package controller

import (
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// What the execution reconciler remembers between reconciles, in this process only: the API writes it made
// (for benchmarks), the resourceVersions its own writes replaced (to skip stale cached copies), and the
// executions it last saw Running (for the running gauge). Losing all of it on a restart is harmless.

// trackRunning keeps the running-executions gauge equal to the executions this process saw Running last,
// so it is right after a restart too.
func (r *DRPlanExecutionReconciler) trackRunning(key types.NamespacedName, running bool) {
	if running {
		if _, loaded := r.running.LoadOrStore(key, true); !loaded {
			executionsRunning.Inc()
		}
		return
	}
	if _, loaded := r.running.LoadAndDelete(key); loaded {
		executionsRunning.Dec()
	}
	r.approvals.drop(key)
}

// isStale reports whether ex is a copy our own writes already replaced; a fresh copy clears the memory.
func (r *DRPlanExecutionReconciler) isStale(ex *drv1.DRPlanExecution) bool {
	key := client.ObjectKeyFromObject(ex)
	v, ok := r.superseded.Load(key)
	if !ok {
		return false
	}
	if v.(map[string]bool)[ex.ResourceVersion] {
		return true
	}
	r.superseded.Delete(key)
	return false
}

// wrote records that a write of ours replaced resourceVersion rv of ex.
func (r *DRPlanExecutionReconciler) wrote(ex *drv1.DRPlanExecution, rv string) {
	r.countWrite()
	key := client.ObjectKeyFromObject(ex)
	m := map[string]bool{}
	if v, ok := r.superseded.Load(key); ok {
		for k := range v.(map[string]bool) {
			m[k] = true
		}
	}
	m[rv] = true
	r.superseded.Store(key, m)
}

// forget drops what is remembered of a deleted execution.
func (r *DRPlanExecutionReconciler) forget(key types.NamespacedName) {
	r.superseded.Delete(key)
	r.trackRunning(key, false)
}

// Writes returns the number of API writes the reconciler made.
func (r *DRPlanExecutionReconciler) Writes() int64 { return r.writes.Load() }

func (r *DRPlanExecutionReconciler) countWrite() { r.writes.Add(1) }
