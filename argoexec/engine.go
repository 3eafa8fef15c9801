// Package argoexec runs workflow entries of a plan on Argo Workflows: it creates the compiled Workflow
// idempotently, reads it back and maps its nodes to action statuses, and cancels it by patching
// spec.shutdown. It never writes Argo's status.
package argoexec

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/internal/engine"
)

// Compiler turns a run into its Argo Workflow. The operator wires the translator in; Name must be cheap and
// deterministic (it is called on every Sync), Compile is called only when the Workflow does not exist yet.
type Compiler interface {
	// Name is the Workflow's deterministic name for the run.
	Name(run *engine.Run) string
	// Compile renders and validates the Workflow for the run. An error means the run can never start.
	Compile(run *engine.Run) (*wfv1.Workflow, error)
}

// Engine is the Argo engine.
type Engine struct {
	// Client writes (create, patch) and reads from the manager's cache.
	Client client.Client
	// APIReader reads around the cache, only to confirm a Workflow the cache does not show.
	APIReader client.Reader
	// Compiler builds Workflows.
	Compiler Compiler
	// Executor, when set, gives the clients with which Cancel deletes a canceled run's unfinished Jobs, as
	// the workflow's executor ServiceAccount.
	Executor ExecutorClients
	// PickupTimeout is how long a created Workflow may go without a workflow-controller picking it up before
	// the run reports it in RunStatus.Waiting (DefaultPickupTimeout when zero).
	PickupTimeout time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

var _ engine.Engine = (*Engine)(nil)

// CompileError is returned by Sync (wrapped in a Failed RunStatus, not as an error) when the Workflow cannot be built.
type CompileError struct{ Err error }

func (e *CompileError) Error() string { return "compiling the Argo Workflow: " + e.Err.Error() }

// Sync creates the run's Workflow when it does not exist, else reads it, and returns the run's status.
func (e *Engine) Sync(ctx context.Context, run *engine.Run) (engine.RunStatus, error) {
	name := e.Compiler.Name(run)
	key := types.NamespacedName{Namespace: run.Execution.Namespace, Name: name}
	wf := &wfv1.Workflow{}
	err := e.Client.Get(ctx, key, wf)
	started := run.Recorded != nil && run.Recorded.ArgoWorkflow != nil && run.Recorded.ArgoWorkflow.UID != ""
	if apierrors.IsNotFound(err) && e.APIReader != nil && started {
		// The cache may lag behind a create of ours; ask the API server before calling the Workflow deleted.
		// (A run never started goes straight to Create: AlreadyExists then tells the cache lagged.)
		err = e.APIReader.Get(ctx, key, wf)
	}
	switch {
	case err == nil:
		if err := e.checkOwned(run, wf); err != nil {
			return failed(err.Error()), nil
		}
		if err := e.applyFailFast(ctx, run.Paused, wf); err != nil {
			return engine.RunStatus{}, fmt.Errorf("holding Workflow %s after a failure (FailFast): %w", key, err)
		}
		if err := e.applyPause(ctx, run.Paused, wf); err != nil {
			return engine.RunStatus{}, fmt.Errorf("suspending or resuming Workflow %s: %w", key, err)
		}
		if err := e.endApprovals(ctx, run.Approved, wf); err != nil {
			return engine.RunStatus{}, fmt.Errorf("approving in Workflow %s: %w", key, err)
		}
		if wf.Spec.Shutdown != "" {
			// Stopped from Argo (argo stop or terminate, the UI): its Jobs are stopped as on a cancel. Best
			// effort: the run's status is recorded even when the executor may not delete them.
			if err := e.stopJobs(ctx, wf); err != nil {
				log.FromContext(ctx).Error(err, "stopping the Jobs of a stopped Workflow", "workflow", key)
			}
		} else if err := e.stopEndedActionsJobs(ctx, wf); err != nil {
			// Best effort as above: the next read of the Workflow tries again.
			log.FromContext(ctx).Error(err, "stopping the Jobs of Job actions that ended", "workflow", key)
		}
		st, err := RunStatus(wf)
		if err != nil {
			// The Workflow cannot be read (offloaded node status, unreadable compressed nodes or task map):
			// that does not heal by retrying. Stop it rather than let it run unobserved, and fail the run.
			_ = e.terminate(ctx, wf)
			f := failed(fmt.Sprintf("cannot read argo Workflow %s/%s: %v; it was stopped", wf.Namespace, wf.Name, err))
			f.ArgoWorkflow = st.ArgoWorkflow
			if run.Recorded != nil {
				f.Actions = cancelUnfinished(run.Recorded.ActionStatuses, "the Argo Workflow could not be read")
			}
			return f, nil
		}
		return e.checkPickup(ctx, wf, st), nil
	case !apierrors.IsNotFound(err):
		return engine.RunStatus{}, fmt.Errorf("reading Workflow %s: %w", key, err)
	}

	// Not found. If this run already had a Workflow, someone deleted it: never recreate it (the actions it ran
	// would run twice), fail the run with a clear message.
	if rec := run.Recorded; started {
		st := failed(fmt.Sprintf("argo Workflow %s/%s (uid %s) was deleted outside the operator while the run was "+
			"not finished; it is not recreated so no action runs twice", key.Namespace, key.Name, rec.ArgoWorkflow.UID))
		st.ArgoWorkflow = rec.ArgoWorkflow.DeepCopy()
		st.Actions = cancelUnfinished(rec.ActionStatuses, "the Argo Workflow was deleted")
		return st, nil
	}

	compiled, err := e.Compiler.Compile(run)
	if err != nil {
		return failed((&CompileError{Err: err}).Error()), nil
	}
	if compiled.Name != name || (compiled.Namespace != "" && compiled.Namespace != key.Namespace) {
		return engine.RunStatus{}, fmt.Errorf("compiler named the Workflow %s/%s, expected %s", compiled.Namespace, compiled.Name, key)
	}
	compiled.Namespace = key.Namespace
	ensureOwner(run, compiled)
	if err := e.recordApplyTargets(ctx, compiled); err != nil {
		return engine.RunStatus{}, err
	}
	if err := e.Client.Create(ctx, compiled); err != nil {
		if !apierrors.IsAlreadyExists(err) {
			return engine.RunStatus{}, fmt.Errorf("creating Workflow %s: %w", key, err)
		}
		// Created by an earlier reconcile the cache has not shown yet: adopt it after checking it is ours.
		existing := &wfv1.Workflow{}
		r := client.Reader(e.Client)
		if e.APIReader != nil {
			r = e.APIReader
		}
		if err := r.Get(ctx, key, existing); err != nil {
			return engine.RunStatus{}, fmt.Errorf("reading existing Workflow %s: %w", key, err)
		}
		if err := e.checkOwned(run, existing); err != nil {
			return failed(err.Error()), nil
		}
		return e.observed(ctx, existing)
	}
	return e.observed(ctx, compiled)
}

// observed is RunStatus(wf) with the pickup deadline checked.
func (e *Engine) observed(ctx context.Context, wf *wfv1.Workflow) (engine.RunStatus, error) {
	st, err := RunStatus(wf)
	if err != nil {
		return st, err
	}
	return e.checkPickup(ctx, wf, st), nil
}

// Cancel stops the run's Workflow with spec.shutdown=Terminate (Argo fails running nodes and starts nothing
// more) and deletes the unfinished Jobs its Job actions created (stopJobs). A missing or finished Workflow
// is fine.
func (e *Engine) Cancel(ctx context.Context, run *engine.Run) error {
	name := e.Compiler.Name(run)
	wf := &wfv1.Workflow{}
	if err := e.Client.Get(ctx, types.NamespacedName{Namespace: run.Execution.Namespace, Name: name}, wf); err != nil {
		return client.IgnoreNotFound(err)
	}
	if e.checkOwned(run, wf) != nil {
		return nil
	}
	if err := e.terminate(ctx, wf); err != nil {
		return err
	}
	return e.stopJobs(ctx, wf)
}

// terminate patches spec.shutdown=Terminate on an unfinished Workflow.
func (e *Engine) terminate(ctx context.Context, wf *wfv1.Workflow) error {
	if wf.Spec.Shutdown != "" || wf.Status.Phase.Completed() {
		return nil
	}
	// A suspended Workflow does not end until it is resumed (Argo executes and assesses no template while
	// suspended), so a cancel lifts the suspension, a pause's or anyone's, in the same patch.
	spec := map[string]any{"shutdown": wfv1.ShutdownStrategyTerminate}
	if wf.Spec.Suspend != nil && *wf.Spec.Suspend {
		spec["suspend"] = nil
	}
	patch, _ := json.Marshal(map[string]any{"spec": spec})
	if err := e.Client.Patch(ctx, wf, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return client.IgnoreNotFound(err)
	}
	return nil
}

// checkOwned refuses a Workflow of that name that belongs to another execution.
func (e *Engine) checkOwned(run *engine.Run, wf *wfv1.Workflow) error {
	for _, ref := range wf.OwnerReferences {
		if ref.UID == run.Execution.UID {
			return nil
		}
	}
	if len(wf.OwnerReferences) == 0 && wf.Labels[v1alpha1.LabelExecution] == run.Execution.Name {
		return nil
	}
	return fmt.Errorf("argo Workflow %s/%s exists but belongs to another execution (no owner reference to %s uid %s); "+
		"refusing to adopt it", wf.Namespace, wf.Name, run.Execution.Name, run.Execution.UID)
}

// ensureOwner makes the execution the Workflow's controller, so deleting the execution deletes its Workflows
// and the reconciler is woken by their changes.
func ensureOwner(run *engine.Run, wf *wfv1.Workflow) {
	for _, ref := range wf.OwnerReferences {
		if ref.UID == run.Execution.UID {
			return
		}
	}
	t, f := true, true
	wf.OwnerReferences = append(wf.OwnerReferences, metav1.OwnerReference{
		APIVersion: v1alpha1.GroupVersion.String(), Kind: "DRPlanExecution",
		Name: run.Execution.Name, UID: run.Execution.UID, Controller: &t, BlockOwnerDeletion: &f,
	})
}

func failed(msg string) engine.RunStatus {
	return engine.RunStatus{Phase: v1alpha1.ExecutionFailed, Message: msg, CompletionTime: nowPtr()}
}

func nowPtr() *metav1.Time {
	t := metav1.Now().Rfc3339Copy()
	return &t
}

func cancelUnfinished(prev []v1alpha1.ActionStatus, msg string) []v1alpha1.ActionStatus {
	out := make([]v1alpha1.ActionStatus, len(prev))
	for i := range prev {
		out[i] = *prev[i].DeepCopy()
		if !out[i].Phase.IsTerminal() {
			out[i].Phase = v1alpha1.ActionCanceled
			out[i].Message = msg
		}
	}
	return out
}
