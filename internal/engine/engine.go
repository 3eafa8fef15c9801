// Package engine is the contract between the DRPlanExecution reconciler and the engines that run one workflow
// entry of a plan (argoexec on Argo Workflows, nativeexec in-process). It is owned by its caller: the reconciler
// decides what runs and when; an engine only starts a run, observes it and stops it.
package engine

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// Direction says whether a run executes a workflow's actions or their rollbacks.
type Direction string

const (
	// Forward runs the workflow's actions.
	Forward Direction = "Forward"
	// Reverse runs, for every action that succeeded in an earlier run, its rollback or automatic inverse.
	Reverse Direction = "Reverse"
)

// Run is one run of one workflow entry of one stage of an execution, in one direction. Everything in it is
// derived from the execution, its plan and their status, so a run can be rebuilt identically after a restart.
type Run struct {
	// Execution is the DRPlanExecution the run belongs to: its namespace, name and uid identify the run and own
	// what the engine creates. Engines must not modify it.
	Execution *v1alpha1.DRPlanExecution
	// PlanName is the plan being run.
	PlanName string
	// StageName and StageIndex locate the stage in the plan.
	StageName  string
	StageIndex int
	// EntryIndex is the workflow entry's index in its stage (two entries may reference the same DRWorkflow).
	EntryIndex int
	// Direction is Forward, or Reverse for a rollback or a revert.
	Direction Direction
	// Workflow is the DRWorkflow being run (its namespace is filled in).
	Workflow *v1alpha1.DRWorkflow
	// Params are the resolved parameters (for a reverse run, those of the run being reversed).
	Params []v1alpha1.ParamValue
	// Reverted are the action statuses, with outputs, of the run being reversed (Reverse only): its Succeeded
	// actions are undone.
	Reverted []v1alpha1.ActionStatus
	// Recorded is what an earlier Sync of this run returned and the reconciler stored (nil before the first
	// Sync). Engines use it to tell "not started yet" from "started, then removed by someone else".
	Recorded *v1alpha1.WorkflowExecutionStatus
	// Paused asks the engine to start no new action of the run while the execution is paused (running
	// actions finish); false resumes it. Argo: spec.suspend on the Workflow; native: nothing new starts.
	Paused bool
	// Approved names the Approval actions a person let go on (the execution's approve annotation): waiting
	// ones go on. Argo: the suspended node is resumed as `argo resume` does; native: the wait ends.
	Approved []string
}

// Key names the run for logs and errors: namespace/execution/stage[index]/workflow(direction).
func (r *Run) Key() string {
	wf := ""
	if r.Workflow != nil {
		wf = r.Workflow.Name
	}
	return fmt.Sprintf("%s/%s/%s[%d]/%s(%s)", r.Execution.Namespace, r.Execution.Name, r.StageName, r.EntryIndex, wf, r.Direction)
}

// RunStatus is what an engine observed of a run.
type RunStatus struct {
	// Phase of the run: Pending (not started), Running, Succeeded, Failed or Canceled. An engine reports a
	// terminal phase only when nothing of the run is still running.
	Phase v1alpha1.ExecutionPhase
	// Message explains the phase; for failures the engine's error. Never holds secret values.
	Message string
	// StartTime and CompletionTime of the run, when known.
	StartTime      *metav1.Time
	CompletionTime *metav1.Time
	// Actions, one per action of the run, in workflow order.
	Actions []v1alpha1.ActionStatus
	// ArgoWorkflow names the Argo Workflow that runs it (Argo engine only).
	ArgoWorkflow *v1alpha1.ArgoWorkflowRef
	// Waiting, when set, says why a started run makes no progress although nothing failed: it waits for
	// something outside the operator (on Argo: no workflow-controller has picked up its Workflow). The run
	// is not failed; the reconciler shows the text in a condition and an event, and keeps waiting.
	Waiting string
}

// Engine runs workflow entries. Implementations must be safe for concurrent use and must not block on long I/O:
// Sync starts what needs starting and returns; progress is observed on later calls, driven by watches.
type Engine interface {
	// Sync is idempotent: it starts the run if it is not started yet, else it observes it. Calling it again
	// after a restart never starts a second copy. A returned error is transient (retry later); a run that can
	// never succeed is reported as a Failed RunStatus with a message.
	Sync(ctx context.Context, run *Run) (RunStatus, error)
	// Cancel stops the run. It is idempotent and succeeds when the run is already gone or finished.
	Cancel(ctx context.Context, run *Run) error
}

// ExternalChangeFinder is implemented by engines whose runs can be copied, restarted or held outside the
// operator (Argo: argo resubmit, argo retry, argo suspend). The reconciler asks it about every execution,
// running or ended, and reports what it finds (api/v1alpha1/outside.go); nothing found is ever recorded as
// the execution's run.
type ExternalChangeFinder interface {
	// ExternalChanges describes, one sentence each in a stable order, what was done to ex's runs outside
	// the operator and still has effect.
	ExternalChanges(ctx context.Context, ex *v1alpha1.DRPlanExecution) ([]string, error)
}

// Counts summarises action phases.
func Counts(actions []v1alpha1.ActionStatus) v1alpha1.ExecutionSummary {
	var s v1alpha1.ExecutionSummary
	for i := range actions {
		s.Total++
		switch actions[i].Phase {
		case v1alpha1.ActionRunning:
			s.Running++
		case v1alpha1.ActionSucceeded:
			s.Succeeded++
		case v1alpha1.ActionFailed:
			s.Failed++
		case v1alpha1.ActionSkipped:
			s.Skipped++
		case v1alpha1.ActionCanceled:
			s.Canceled++
		default:
			s.Pending++
		}
	}
	return s
}

// FailureMessage describes a finished run's first failed action, the message both engines give a Failed run
// (so the contract test sees the same text); empty when no action failed.
func FailureMessage(actions []v1alpha1.ActionStatus) string {
	for i := range actions {
		if actions[i].Phase == v1alpha1.ActionFailed {
			return fmt.Sprintf("action %s failed: %s", actions[i].Name, actions[i].Message)
		}
	}
	return ""
}
