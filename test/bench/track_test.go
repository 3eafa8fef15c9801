//go:build bench

package main

import (
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/argoexec"
	"github.com/drplan/drplan-operator/test/bench/report"
)

// TestTrackerPairsWorkflowAndExecution feeds the tracker the events of a two-action run as the watches would
// deliver them, and checks what the figures read: changes, the end of the nodes, writes, lags and effects.
func TestTrackerPairsWorkflowAndExecution(t *testing.T) {
	s := report.Shape{Kind: "mixed", Actions: 2, Depth: 2}
	dwf := dagWorkflow("bench-x", "dag", s, "http://127.0.0.1:1", drv1.ExecutorArgo)
	awf, err := compiled(dwf, plan("bench-x", "p", "dag"), "op-1")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 8, 4, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	setNodes := func(phases ...wfv1.NodePhase) *wfv1.Workflow {
		wf := awf.DeepCopy()
		wf.Status.Nodes = wfv1.Nodes{}
		for i, task := range []string{"l0-0", "l1-0"} {
			if phases[i] != "" {
				id := "id-" + task
				wf.Status.Nodes[id] = wfv1.NodeStatus{ID: id, Name: argoexec.NodeName(wf, task), Phase: phases[i]}
			}
		}
		return wf
	}
	exWith := func(phases ...drv1.ActionPhase) *drv1.DRPlanExecution {
		ex := &drv1.DRPlanExecution{ObjectMeta: metav1.ObjectMeta{Namespace: "bench-x", Name: "op-1"}}
		w := drv1.WorkflowExecutionStatus{}
		for i, a := range []string{"l0-0", "l1-0"} {
			w.ActionStatuses = append(w.ActionStatuses, drv1.ActionStatus{Name: a, Phase: phases[i]})
		}
		ex.Status.StageStatuses = []drv1.StageStatus{{Name: stageName, WorkflowExecutions: []drv1.WorkflowExecutionStatus{w}}}
		return ex
	}

	tr := newTracker()
	tr.onExecution(at(0), watch.Added, exWith(drv1.ActionPending, drv1.ActionPending))
	tr.onWorkflow(at(10), watch.Added, setNodes("", ""))
	tr.onWorkflow(at(100), watch.Modified, setNodes(wfv1.NodeRunning, ""))
	tr.onExecution(at(130), watch.Modified, exWith(drv1.ActionRunning, drv1.ActionPending))
	tr.onWorkflow(at(200), watch.Modified, setNodes(wfv1.NodeSucceeded, wfv1.NodeRunning))
	tr.onWorkflow(at(300), watch.Modified, setNodes(wfv1.NodeSucceeded, wfv1.NodeSucceeded))
	tr.onExecution(at(350), watch.Modified, exWith(drv1.ActionSucceeded, drv1.ActionSucceeded)) // l1-0 Running coalesced
	done := setNodes(wfv1.NodeSucceeded, wfv1.NodeSucceeded)
	done.Status.Phase = wfv1.WorkflowSucceeded
	tr.onWorkflow(at(400), watch.Modified, done)
	final := exWith(drv1.ActionSucceeded, drv1.ActionSucceeded)
	final.Status.Phase = drv1.ExecutionSucceeded
	tr.onExecution(at(450), watch.Modified, final)
	tr.onConfigMap(at(250), watch.Added, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "op-1-l1-0",
		Labels: map[string]string{runLabel: "op-1"}}})
	tr.onConfigMap(at(260), watch.Added, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "op-1-l1-0",
		Labels: map[string]string{runLabel: "op-1"}}}) // a restarted watch shows it again

	r := tr.snapshot("op-1")
	if !r.wfFirst.Equal(at(10)) || !r.wfNodesDone.Equal(at(300)) || !r.wfDone.Equal(at(400)) || !r.exDone.Equal(at(450)) {
		t.Fatalf("times: first %s, nodes done %s, done %s, execution done %s", r.wfFirst, r.wfNodesDone, r.wfDone, r.exDone)
	}
	if r.exWrites != 3 || r.exPhase != drv1.ExecutionSucceeded {
		t.Fatalf("execution: %d writes, phase %s; want 3 writes (the create is not one), Succeeded", r.exWrites, r.exPhase)
	}
	if n := report.Transitions(r.wfShown); n != 4 {
		t.Fatalf("transitions = %d, want 4 (two actions, Running and Succeeded each)", n)
	}
	lags, coalesced := report.Lags(r.wfShown, r.exSeen)
	if coalesced != 1 || len(lags) != 3 || lags[0] != 30*time.Millisecond || lags[1] != 150*time.Millisecond || lags[2] != 50*time.Millisecond {
		t.Fatalf("lags %v, coalesced %d", lags, coalesced)
	}
	if r.cmCount != 1 || !r.cmFirst.Equal(at(250)) {
		t.Fatalf("ConfigMaps: %d, first %s", r.cmCount, r.cmFirst)
	}
}
