package argostandin

import (
	"context"
	"reflect"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// The agent's part: an http call ends whether or not the Workflow is suspended; Argo's agent writes its result
// to the WorkflowTaskSet's status, and the controller copies it to the node when it reconciles task sets
// (operator.go: after its suspend check, and not after a shutdown, which fails the node instead).

// agentResult ends the call of http node n as the agent would, and records the result for the task set
// instead of the node.
func (s *StandIn) agentResult(wf *wfv1.Workflow, dt dagTask, action string, n *wfv1.NodeStatus) {
	key := types.NamespacedName{Namespace: wf.Namespace, Name: wf.Name}
	s.mu.Lock()
	_, done := s.taskSets[key][n.ID]
	s.mu.Unlock()
	if done {
		return
	}
	c := wf.DeepCopy()
	node := *n
	if !s.advance(c, dt, action, &node) {
		return
	}
	ended := c.Status.Nodes[n.ID]
	if !ended.Fulfilled() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.taskSets == nil {
		s.taskSets = map[types.NamespacedName]map[string]wfv1.NodeResult{}
	}
	if s.taskSets[key] == nil {
		s.taskSets[key] = map[string]wfv1.NodeResult{}
	}
	s.taskSets[key][n.ID] = wfv1.NodeResult{Phase: ended.Phase, Message: ended.Message, Outputs: ended.Outputs.DeepCopy()}
}

// applyAgentResult copies a recorded result to its node (not suspended, not shut down) and forgets it.
func (s *StandIn) applyAgentResult(wf *wfv1.Workflow, n *wfv1.NodeStatus) bool {
	key := types.NamespacedName{Namespace: wf.Namespace, Name: wf.Name}
	s.mu.Lock()
	r, ok := s.taskSets[key][n.ID]
	if ok {
		delete(s.taskSets[key], n.ID)
	}
	s.mu.Unlock()
	if !ok {
		return false
	}
	n.Phase, n.Message, n.Outputs, n.FinishedAt = r.Phase, r.Message, r.Outputs, now()
	s.set(wf, n)
	return true
}

// writeTaskSet makes the WorkflowTaskSet's status show the recorded results of wf (none: nothing written).
func (s *StandIn) writeTaskSet(ctx context.Context, wf *wfv1.Workflow) error {
	key := types.NamespacedName{Namespace: wf.Namespace, Name: wf.Name}
	s.mu.Lock()
	results := map[string]wfv1.NodeResult{}
	for id, r := range s.taskSets[key] {
		results[id] = *r.DeepCopy()
	}
	s.mu.Unlock()
	ts := &wfv1.WorkflowTaskSet{}
	err := s.Client.Get(ctx, key, ts)
	switch {
	case apierrors.IsNotFound(err):
		if len(results) == 0 {
			return nil
		}
		ts = &wfv1.WorkflowTaskSet{ObjectMeta: metav1.ObjectMeta{Name: wf.Name, Namespace: wf.Namespace,
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "argoproj.io/v1alpha1", Kind: "Workflow", Name: wf.Name, UID: wf.UID}}}}
		if err := s.Client.Create(ctx, ts); err != nil {
			return err
		}
	case err != nil:
		return err
	}
	if reflect.DeepEqual(ts.Status.Nodes, results) || (len(ts.Status.Nodes) == 0 && len(results) == 0) {
		return nil
	}
	ts.Status.Nodes = results
	if err := s.Client.Status().Update(ctx, ts); err != nil && !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
		return err
	}
	return nil
}
