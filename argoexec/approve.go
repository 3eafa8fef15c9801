package argoexec

import (
	"context"
	"fmt"
	"slices"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Approving an Approval action on Argo is what `argo resume --node-field-selector` does (argo-workflows
// v3.7 workflow/util.ResumeWorkflow -> updateSuspendedNode): the suspended node's phase is set to Succeeded,
// with a message and finishedAt, in the Workflow's status, and the workflow-controller then runs what
// depends on it. Argo has no API for this other than writing the node, so this is the one documented
// exception to "the operator never writes Argo's status" (DESIGN.md section 4): only the nodes of active
// suspend templates of the run's own Workflow, only to Succeeded, with the read resourceVersion (a
// concurrent write by Argo makes the update fail with a conflict and the next Sync tries again).

// approveMessage is the node message of an approval made through the execution's annotation.
const approveMessage = "approved through the DRPlanExecution's dr.bkbcs.tencent.com/approve annotation"

// approvable lists the node IDs of active suspend nodes whose action is in approved.
func approvable(wf *wfv1.Workflow, approved []string) ([]string, error) {
	if len(approved) == 0 || wf.Status.Phase.Completed() || wf.Spec.Shutdown != "" {
		return nil, nil
	}
	tasks, err := Tasks(wf)
	if err != nil {
		return nil, err
	}
	nodes, err := Nodes(wf) // decompressed, so an approval of a compressed Workflow is refused, not lost
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, t := range tasks {
		if t.Template == nil || t.Template.Suspend == nil || !slices.Contains(approved, t.Action) {
			continue
		}
		id := wf.NodeID(NodeName(wf, t.Name))
		if n, ok := nodes[id]; ok && n.IsActiveSuspendNode() {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// approve resumes the approved suspend nodes of wf in place and writes it.
func (e *Engine) approve(ctx context.Context, approved []string, wf *wfv1.Workflow) error {
	ids, err := approvable(wf, approved)
	if err != nil || len(ids) == 0 {
		return err
	}
	if wf.Status.IsOffloadNodeStatus() || wf.Status.CompressedNodes != "" {
		return fmt.Errorf("cannot approve in Workflow %s/%s: its node status is compressed or offloaded; "+
			"approve with `argo resume %s --node-field-selector displayName=<task>`", wf.Namespace, wf.Name, wf.Name)
	}
	updated := wf.DeepCopy()
	now := metav1.Now().Rfc3339Copy()
	for _, id := range ids {
		n := updated.Status.Nodes[id]
		n.Phase, n.Message, n.FinishedAt = wfv1.NodeSucceeded, approveMessage, now
		updated.Status.Nodes.Set(id, n)
	}
	if err := e.Client.Update(ctx, updated); err != nil {
		return client.IgnoreNotFound(err)
	}
	*wf = *updated
	return nil
}
