package controller

import (
	"fmt"
	"slices"
	"sync"

	"k8s.io/apimachinery/pkg/types"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// approvalWaits keeps drplan_approvals_waiting equal to the Approval actions this process last saw waiting
// for a person, by plan. Each workflow entry of an execution reports its own count when it is synced; an
// execution that stops running (or is deleted) drops all of its entries. Like the running gauge, it lives in
// this process only: after a restart it is right again once each running execution has been reconciled.
type approvalWaits struct {
	mu     sync.Mutex
	byExec map[types.NamespacedName]*waitingEntries
}

type waitingEntries struct {
	plan    string
	entries map[string]int
}

// set records that entry of execution ex (of plan) has n Approval actions waiting.
func (w *approvalWaits) set(ex types.NamespacedName, plan, entry string, n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.byExec == nil {
		w.byExec = map[types.NamespacedName]*waitingEntries{}
	}
	we := w.byExec[ex]
	if we == nil {
		if n == 0 {
			return
		}
		we = &waitingEntries{plan: plan, entries: map[string]int{}}
		w.byExec[ex] = we
	}
	if d := n - we.entries[entry]; d != 0 {
		approvalsWaiting.WithLabelValues(ex.Namespace, we.plan).Add(float64(d))
	}
	we.entries[entry] = n
}

// drop forgets every entry of execution ex.
func (w *approvalWaits) drop(ex types.NamespacedName) {
	w.mu.Lock()
	defer w.mu.Unlock()
	we := w.byExec[ex]
	if we == nil {
		return
	}
	for _, n := range we.entries {
		approvalsWaiting.WithLabelValues(ex.Namespace, we.plan).Sub(float64(n))
	}
	delete(w.byExec, ex)
}

// waitingApprovals counts the actions of statuses that are Approval actions (named in approvals) and wait.
func waitingApprovals(statuses []drv1.ActionStatus, approvals []string) int {
	n := 0
	for _, a := range statuses {
		if a.Phase == drv1.ActionRunning && slices.Contains(approvals, a.Name) {
			n++
		}
	}
	return n
}

// entryKey names a workflow entry of a stage, for the gauge.
func entryKey(stage string, e *drv1.WorkflowExecutionStatus) string {
	return fmt.Sprintf("%s/%s/%s/%d", stage, e.WorkflowRef.Namespace, e.WorkflowRef.Name, e.Index)
}

// observeApprovals records, for every approval newly in status, how long its action waited for a person.
func observeApprovals(ex *drv1.DRPlanExecution, approved []approvalNote) {
	for _, a := range approved {
		if a.waited >= 0 {
			approvalWaitSeconds.WithLabelValues(ex.Namespace, ex.Spec.PlanRef, string(a.via)).Observe(a.waited.Seconds())
		}
	}
}
