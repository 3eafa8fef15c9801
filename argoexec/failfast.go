package argoexec

import (
	"context"
	"encoding/json"
	"fmt"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/internal/engine"
)

// FailFast on Argo. Argo v3.7 reads a DAG's failFast only when it assesses the DAG's phase (dag.go,
// assessDAGPhase), once every started node is fulfilled, so a branch that becomes ready after a failure still
// starts. The native engine starts nothing after a failure. To mean the same, the operator holds the Workflow
// when it sees an action failed for good: spec.suspend (nothing new starts; running pods finish), and when
// nothing runs any more it ends the Workflow with spec.shutdown. Each step is marked on the Workflow in the
// same patch (AnnotationFailFastHold, AnnotationFailFastEnded), so holdFor derives the next one from the
// Workflow alone, after a restart as well, and no step is taken twice.
//
// Under spec.suspend Argo does not copy the results of http nodes from the WorkflowTaskSet into the Workflow
// (it reconciles task sets after its suspend check): an http call that ended during the hold shows only in
// the task set's status, where the agent wrote it. The operator reads it there and records it in
// AnnotationFailFastEnded with the shutdown, which Argo answers by failing those nodes "Stopped with
// strategy"; the status mapping takes the recorded result instead (releasedResult).

// holdStep is what a Sync does to a FailFast Workflow.
type holdStep int

const (
	holdKeep holdStep = iota
	// holdSet suspends the Workflow and names the failed action (again, when someone resumed it in Argo).
	holdSet
	// holdRelease ends the held Workflow: nothing runs any more.
	holdRelease
	// holdLift lifts the suspension of a held Workflow Argo completed all the same (its last node was the
	// failure): left in place, a later `argo retry` would restart it suspended, and nothing would run.
	holdLift
)

// holdState is what holdFor decides from, all read from the Workflow (and its task set).
type holdState struct {
	failFast  bool   // the entrypoint DAG is failFast (the workflow's FailFast policy)
	ended     bool   // completed, or spec.shutdown already set
	completed bool   // Argo completed the Workflow
	held      bool   // AnnotationFailFastHold is set
	suspended bool   // spec.suspend is true
	paused    bool   // the execution is paused: the run does not end while paused, as natively
	failed    string // the first action failed for good ("" none)
	running   int    // nodes still running (stillRunning)
}

// holdFor decides the next step. It holds on any failure of a running FailFast Workflow, also when Argo would
// have nothing left to start: an http result Argo records at the end of a pass makes its dependents ready
// only in the next one, so "nothing runs" does not mean "nothing starts". Such a Workflow then ends through
// the shutdown as well (its message "Stopped with strategy 'Terminate'"; AnnotationFailFastEnded says why).
func holdFor(s holdState) holdStep {
	switch {
	case s.ended && s.held && s.suspended && s.completed:
		return holdLift
	case s.ended:
		return holdKeep
	case !s.held:
		if s.failFast && s.failed != "" {
			return holdSet
		}
		return holdKeep
	case s.running == 0 && !s.paused:
		return holdRelease
	case !s.suspended:
		return holdSet
	}
	return holdKeep
}

// dagFailFast reads the entrypoint DAG's failFast (Argo's default when unset: true).
func dagFailFast(wf *wfv1.Workflow) bool {
	for i := range wf.Spec.Templates {
		if t := &wf.Spec.Templates[i]; t.Name == wf.Spec.Entrypoint && t.DAG != nil {
			return t.DAG.FailFast == nil || *t.DAG.FailFast
		}
	}
	return false
}

// stillRunning: the node of a task, or its last attempt, has not ended and can still end while the Workflow
// is suspended. An http node counts as ended when the agent recorded a result in the task set; a Retry node
// whose last attempt ended waits for an attempt the suspension does not start. A waiting approval runs on,
// as natively (it ends when approved).
func stillRunning(node *wfv1.NodeStatus, nodes wfv1.Nodes, results map[string]wfv1.NodeResult) bool {
	if node == nil || node.Fulfilled() {
		return false
	}
	leaf := node
	if node.Type == wfv1.NodeTypeRetry {
		attempts := retryAttempts(node, nodes)
		if len(attempts) == 0 {
			return false
		}
		leaf = attempts[len(attempts)-1]
	}
	if leaf.Fulfilled() {
		return false
	}
	if r, ok := results[leaf.ID]; ok && leaf.IsTaskSetNode() && r.Phase.Fulfilled(nil) {
		return false
	}
	return true
}

// firstFailed is the first action that failed for good (Failed, not stopped by a shutdown).
func firstFailed(actions []v1alpha1.ActionStatus) string {
	for i := range actions {
		if actions[i].Phase == v1alpha1.ActionFailed {
			return actions[i].Name
		}
	}
	return ""
}

// applyFailFast takes holdFor's step on wf; wf is updated with the patched copy.
func (e *Engine) applyFailFast(ctx context.Context, paused bool, wf *wfv1.Workflow) error {
	_, held := wf.Annotations[v1alpha1.AnnotationFailFastHold]
	s := holdState{
		failFast: dagFailFast(wf), held: held, paused: paused,
		ended:     wf.Status.Phase.Completed() || wf.Spec.Shutdown != "",
		completed: wf.Status.Phase.Completed(),
		suspended: wf.Spec.Suspend != nil && *wf.Spec.Suspend,
	}
	if s.ended {
		if holdFor(s) != holdLift {
			return nil
		}
		return e.patchHold(ctx, wf, map[string]any{"metadata": map[string]any{}, "spec": map[string]any{"suspend": nil}})
	}
	if !held && !s.failFast {
		return nil
	}
	actions, err := ActionStatuses(wf)
	if err != nil {
		return nil // RunStatus reports an unreadable Workflow
	}
	s.failed = firstFailed(actions)
	var results map[string]wfv1.NodeResult
	if held {
		if results, err = e.taskSetResults(ctx, wf); err != nil {
			return err
		}
		s.running = runningNodes(wf, results)
	}
	var patch map[string]any
	switch holdFor(s) {
	case holdSet:
		failed := wf.Annotations[v1alpha1.AnnotationFailFastHold]
		if failed == "" {
			failed = s.failed
		}
		patch = map[string]any{
			"metadata": map[string]any{"annotations": map[string]any{v1alpha1.AnnotationFailFastHold: failed}},
			"spec":     map[string]any{"suspend": true},
		}
	case holdRelease:
		ended, err := json.Marshal(endedResults(wf, results))
		if err != nil {
			return err
		}
		patch = map[string]any{
			"metadata": map[string]any{"annotations": map[string]any{
				v1alpha1.AnnotationFailFastEnded: string(ended), v1alpha1.AnnotationSuspendedByOperator: nil}},
			"spec": map[string]any{"suspend": nil, "shutdown": wfv1.ShutdownStrategyTerminate},
		}
	default:
		return nil
	}
	return e.patchHold(ctx, wf, patch)
}

// patchHold writes a hold step's patch with the resourceVersion read: a Workflow Argo changed since is not
// held (or lifted) after the fact; the conflict makes the next Sync decide again from the fresh copy.
func (e *Engine) patchHold(ctx context.Context, wf *wfv1.Workflow, patch map[string]any) error {
	patch["metadata"].(map[string]any)["resourceVersion"] = wf.ResourceVersion
	raw, _ := json.Marshal(patch)
	return client.IgnoreNotFound(e.Client.Patch(ctx, wf, client.RawPatch(types.MergePatchType, raw)))
}

// runningNodes counts the tasks whose node is still running (stillRunning).
func runningNodes(wf *wfv1.Workflow, results map[string]wfv1.NodeResult) int {
	nodes, err := Nodes(wf)
	if err != nil {
		return 0
	}
	tasks, _ := Tasks(wf)
	n := 0
	for _, t := range tasks {
		if node, ok := nodes[wf.NodeID(NodeName(wf, t.Name))]; ok && stillRunning(&node, nodes, results) {
			n++
		}
	}
	return n
}

// endedResults keeps the task set results of the http nodes the Workflow does not show ended, by node ID,
// with the body cut to what status keeps.
func endedResults(wf *wfv1.Workflow, results map[string]wfv1.NodeResult) map[string]wfv1.NodeResult {
	out := map[string]wfv1.NodeResult{}
	for id, r := range results {
		n, ok := wf.Status.Nodes[id]
		if !ok || n.Fulfilled() || !n.IsTaskSetNode() || !r.Phase.Fulfilled(nil) {
			continue
		}
		r = *r.DeepCopy()
		r.Progress = ""
		if r.Outputs != nil && r.Outputs.Result != nil {
			body := engine.Truncate(*r.Outputs.Result, v1alpha1.HTTPResponseBodyLimit)
			r.Outputs = &wfv1.Outputs{Result: &body}
		}
		out[id] = r
	}
	return out
}

// taskSetResults reads the results the http agent wrote in the Workflow's task set, only when an http node
// has not ended (none: no read). A missing task set has none.
func (e *Engine) taskSetResults(ctx context.Context, wf *wfv1.Workflow) (map[string]wfv1.NodeResult, error) {
	open := false
	for _, n := range wf.Status.Nodes {
		if n.IsTaskSetNode() && !n.Fulfilled() {
			open = true
		}
	}
	if !open {
		return nil, nil
	}
	reader := client.Reader(e.Client)
	if e.APIReader != nil {
		reader = e.APIReader
	}
	ts := &wfv1.WorkflowTaskSet{}
	if err := reader.Get(ctx, types.NamespacedName{Namespace: wf.Namespace, Name: wf.Name}, ts); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading the task set of Workflow %s/%s: %w", wf.Namespace, wf.Name, err)
	}
	return ts.Status.Nodes, nil
}

// releasedResults is what AnnotationFailFastEnded recorded (nil when the operator did not end the Workflow).
func releasedResults(wf *wfv1.Workflow) (map[string]wfv1.NodeResult, bool) {
	s, ok := wf.Annotations[v1alpha1.AnnotationFailFastEnded]
	if !ok {
		return nil, false
	}
	out := map[string]wfv1.NodeResult{}
	_ = json.Unmarshal([]byte(s), &out) // unreadable: the stopped nodes show as not run
	return out, true
}

// released: the operator ended the Workflow after a FailFast hold; its shutdown is not a cancel.
func released(wf *wfv1.Workflow) bool {
	_, ok := wf.Annotations[v1alpha1.AnnotationFailFastEnded]
	return ok
}

// withReleasedResults is nodes with the results recorded at the end of a FailFast hold put on the http nodes
// they belong to (and on a Retry node whose last attempt that is), which Argo failed "Stopped with strategy"
// when the operator shut the Workflow down. nodes itself is not changed.
func withReleasedResults(wf *wfv1.Workflow, nodes wfv1.Nodes) wfv1.Nodes {
	results, ok := releasedResults(wf)
	if !ok || len(results) == 0 {
		return nodes
	}
	out := make(wfv1.Nodes, len(nodes))
	for id, n := range nodes {
		out[id] = n
	}
	for id, r := range results {
		n, ok := out[id]
		if !ok || !stoppedByShutdown(wf, n.Message) {
			continue
		}
		n.Phase, n.Message = r.Phase, r.Message
		if r.Outputs != nil {
			n.Outputs = r.Outputs.DeepCopy()
		}
		out[id] = n
	}
	for id, n := range out {
		if n.Type != wfv1.NodeTypeRetry || !stoppedByShutdown(wf, n.Message) {
			continue
		}
		// A recorded success is the action's; a recorded failure leaves the Retry node stopped, which the
		// mapping reports as not retried (or out of retries), as natively.
		if attempts := retryAttempts(&n, out); len(attempts) > 0 {
			last := attempts[len(attempts)-1]
			if _, ok := results[last.ID]; ok && last.Phase == wfv1.NodeSucceeded {
				n.Phase, n.Message = wfv1.NodeSucceeded, ""
				out[id] = n
			}
		}
	}
	return out
}
