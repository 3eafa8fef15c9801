package argoexec

import (
	"context"
	"fmt"
	"slices"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/internal/engine"
)

// Ending an Approval action's wait on Argo (approved, or its timeout passed). Approving is what `argo resume --node-field-selector` does (argo-workflows
// v3.7 workflow/util.ResumeWorkflow -> updateSuspendedNode): the suspended node's phase is set to Succeeded,
// with a message and finishedAt, in the Workflow's status, and the workflow-controller then runs what
// depends on it. Argo has no API for this other than writing the node, so this is the one documented
// exception to "the operator never writes Argo's status" (DESIGN.md section 4): only the nodes of active
// suspend templates of the run's own Workflow, with the read resourceVersion (a concurrent write by Argo makes
// the update fail with a conflict and the next Sync tries again): to Succeeded when approved, and at the
// deadline of an Approval with a timeout to Failed (what `argo stop --node-field-selector` writes) or
// Succeeded, by its timeoutOutcome.

// approveMessage is the node message of an approval made through the execution's annotation.
const approveMessage = "approved through the DRPlanExecution's dr.bkbcs.tencent.com/approve annotation"

// nodeEnd is how the operator ends one active suspend node.
type nodeEnd struct {
	id      string
	phase   wfv1.NodePhase
	message string
}

// approvalEnds lists how the active suspend nodes of wf end at now: those whose action is in approved
// Succeed; the others whose template carries a timeout (api/v1alpha1 AnnotationApprovalTimeout) that has
// passed since the node started end by their timeout outcome (engine.ApprovalTimeoutEnd).
func approvalEnds(wf *wfv1.Workflow, approved []string, now time.Time) ([]nodeEnd, error) {
	if wf.Status.Phase.Completed() || wf.Spec.Shutdown != "" {
		return nil, nil
	}
	tasks, err := Tasks(wf)
	if err != nil {
		return nil, err
	}
	var nodes wfv1.Nodes
	var ends []nodeEnd
	for _, t := range tasks {
		if t.Template == nil || t.Template.Suspend == nil {
			continue
		}
		timeout, outcome, err := approvalTimeout(t.Template)
		if err != nil {
			return nil, fmt.Errorf("task %s: %w", t.Name, err)
		}
		isApproved := slices.Contains(approved, t.Action)
		if !isApproved && timeout == 0 {
			continue
		}
		if nodes == nil {
			if nodes, err = Nodes(wf); err != nil { // decompressed, so an approval of a compressed Workflow is refused, not lost
				return nil, err
			}
		}
		id := wf.NodeID(NodeName(wf, t.Name))
		n, ok := nodes[id]
		if !ok || !n.IsActiveSuspendNode() {
			continue
		}
		switch {
		case isApproved:
			ends = append(ends, nodeEnd{id: id, phase: wfv1.NodeSucceeded, message: approveMessage})
		case engine.ApprovalExpired(n.StartedAt.Time, timeout, now):
			phase, msg := engine.ApprovalTimeoutEnd(timeout, outcome)
			ends = append(ends, nodeEnd{id: id, phase: argoPhaseOf(phase), message: msg})
		}
	}
	return ends, nil
}

// approvalTimeout reads the timeout and its outcome an Approval's suspend template carries (0: none).
func approvalTimeout(tmpl *wfv1.Template) (time.Duration, drv1.ApprovalTimeoutOutcome, error) {
	raw := tmpl.Metadata.Annotations[drv1.AnnotationApprovalTimeout]
	if raw == "" {
		return 0, "", nil
	}
	d, err := time.ParseDuration(raw)
	if err != nil || d <= 0 {
		return 0, "", fmt.Errorf("template annotation %s=%q is not a positive duration", drv1.AnnotationApprovalTimeout, raw)
	}
	outcome := drv1.ApprovalTimeoutOutcome(tmpl.Metadata.Annotations[drv1.AnnotationApprovalTimeoutOutcome])
	if outcome == "" {
		outcome = drv1.ApprovalTimeoutFail
	}
	return d, outcome, nil
}

func argoPhaseOf(p drv1.ActionPhase) wfv1.NodePhase {
	if p == drv1.ActionSucceeded {
		return wfv1.NodeSucceeded
	}
	return wfv1.NodeFailed
}

// endApprovals ends the suspend nodes of wf that were approved or whose timeout passed, in place, and
// writes wf: what `argo resume` (Succeeded) and `argo stop --node-field-selector` (Failed) write.
func (e *Engine) endApprovals(ctx context.Context, approved []string, wf *wfv1.Workflow) error {
	ends, err := approvalEnds(wf, approved, time.Now())
	if err != nil || len(ends) == 0 {
		return err
	}
	if wf.Status.IsOffloadNodeStatus() || wf.Status.CompressedNodes != "" {
		return fmt.Errorf("cannot approve in Workflow %s/%s: its node status is compressed or offloaded; "+
			"approve with `argo resume %s --node-field-selector displayName=<task>`", wf.Namespace, wf.Name, wf.Name)
	}
	updated := wf.DeepCopy()
	now := metav1.Now().Rfc3339Copy()
	for _, end := range ends {
		n := updated.Status.Nodes[end.id]
		n.Phase, n.Message, n.FinishedAt = end.phase, end.message, now
		updated.Status.Nodes.Set(end.id, n)
	}
	if err := e.Client.Update(ctx, updated); err != nil {
		return client.IgnoreNotFound(err)
	}
	*wf = *updated
	return nil
}
