package controller

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/internal/engine"
	"github.com/drplan/drplan-operator/internal/precheck"
)

// DRPlanExecutionReconciler runs DRPlanExecutions: it takes the plan's lock, resolves parameters, starts the
// runs of each stage through an engine as their dependencies allow, folds what the engines observe into
// status, applies the plan's failure policy (Stop, Continue, Rollback), reverts earlier executions and
// cancels on request. It is driven by watches (the execution and the engines' sources), never by a
// polling loop, and writes status once per reconcile, only when it changed.
//
// The files of the reconciler: this one (Reconcile, its outcomes, deletion), execution_step.go (one step
// of an execution: read, decide, act), execution_advance.go (stages through the engines),
// execution_plan.go and execution_ending.go (the state machine, pure), execution_status.go (status
// arithmetic, pure), execution_events.go, execution_writes.go, execution_setup.go, execution_engines.go.
type DRPlanExecutionReconciler struct {
	client.Client
	// APIReader reads around the cache where staleness matters (the plan lock holder).
	APIReader client.Reader
	Recorder  events.EventRecorder
	// Engines by executor type. A workflow asking for an engine that is not here fails with a message naming it.
	Engines map[drv1.ExecutorType]engine.Engine
	// Sources are the engines' event sources (see Engines.Sources).
	Sources []source.Source
	// DefaultEngine runs workflows whose spec.executor.type is empty.
	DefaultEngine drv1.ExecutorType
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// ArgoUIURL is the Argo UI's base URL; when set, each run's status links to its Workflow's page there.
	ArgoUIURL string
	// NoCrossNamespaceRefs fails, before anything runs, an execution whose plan references another
	// namespace's DRWorkflow (--no-cross-namespace-refs).
	NoCrossNamespaceRefs bool
	// Executor reads parameters' valueFrom as the workflow's executor ServiceAccount; without it such a
	// parameter fails the execution.
	Executor executorClients
	// Prechecker checks the actions of a Precheck (operationType Precheck) without side effects.
	Prechecker *precheck.Checker
	// MaxConcurrentReconciles bounds parallel reconciles (default 8: reconciles mostly wait on the API server).
	MaxConcurrentReconciles int

	// writes counts API writes (status patches, lock writes, finalizer updates), for benchmarks.
	writes atomic.Int64
	// superseded remembers, per execution, the resourceVersions our own writes replaced: a cached copy with
	// one of them is stale for sure, and reconciling from it would only end in a conflict.
	superseded sync.Map // types.NamespacedName -> map[string]bool (guarded by the workqueue: one reconcile per key)
	// running holds the executions last seen Running (types.NamespacedName -> true), for the gauge.
	running sync.Map
	// approvals counts, per execution entry, the Approval actions last seen waiting, for the gauge.
	approvals approvalWaits
}

func (r *DRPlanExecutionReconciler) now() metav1.Time {
	t := time.Now()
	if r.Now != nil {
		t = r.Now()
	}
	return metav1.NewTime(t.UTC().Truncate(time.Second))
}

// outcome names how a reconcile ended.
type outcome string

const (
	// outcomeProgressed: status written; the watches bring the next change.
	outcomeProgressed outcome = "progressed"
	// outcomeWaiting: nothing changed; waiting for the Workflows (or a user) to change something.
	outcomeWaiting outcome = "waiting"
	// outcomeStale: worked from a copy older than our own last write, or lost an optimistic-concurrency race;
	// nothing was written; look again shortly.
	outcomeStale outcome = "stale"
	// outcomeTransient: an API call failed; retried with backoff.
	outcomeTransient outcome = "transient"
	// outcomeStalled: the execution ended (Succeeded, Failed, Canceled); nothing more to do.
	outcomeStalled outcome = "stalled"
)

// staleRequeue is how soon a reconcile that lost an optimistic-concurrency race runs again.
const staleRequeue = 20 * time.Millisecond

// result turns an outcome into what controller-runtime expects, and logs it.
func result(ctx context.Context, o outcome, err error) (reconcile.Result, error) {
	if apierrors.IsConflict(err) || errors.Is(err, errLockConflict) {
		o, err = outcomeStale, nil
	}
	if apierrors.IsNotFound(err) || (o == outcomeTransient && err == nil) {
		o, err = outcomeWaiting, nil
	}
	l := log.FromContext(ctx).V(1)
	switch o {
	case outcomeStale:
		l.Info("reconciled", "outcome", o)
		return reconcile.Result{RequeueAfter: staleRequeue}, nil
	case outcomeTransient:
		log.FromContext(ctx).Info("reconciled", "outcome", o, "error", err.Error())
		return reconcile.Result{}, err
	}
	l.Info("reconciled", "outcome", o)
	return reconcile.Result{}, nil
}

func transient(ctx context.Context, err error) (reconcile.Result, error) {
	return result(ctx, outcomeTransient, err)
}

// Reconcile reads the execution, moves it one step (step), and writes its status once, in a deferred call.
func (r *DRPlanExecutionReconciler) Reconcile(ctx context.Context, req reconcile.Request) (res reconcile.Result, err error) {
	ex := &drv1.DRPlanExecution{}
	if err := r.Get(ctx, req.NamespacedName, ex); err != nil {
		if apierrors.IsNotFound(err) {
			r.forget(req.NamespacedName)
			return result(ctx, outcomeStalled, nil)
		}
		return transient(ctx, err)
	}
	if r.isStale(ex) {
		// Our last write has not reached the cache yet: its watch event will wake us; look again shortly anyway.
		return result(ctx, outcomeStale, nil)
	}
	defer func() {
		r.trackRunning(req.NamespacedName, ex.Status.Phase == drv1.ExecutionRunning && ex.DeletionTimestamp.IsZero())
	}()
	switch {
	case !ex.DeletionTimestamp.IsZero():
		return r.finalize(ctx, ex)
	case ex.Status.Phase.IsTerminal():
		return r.afterTerminal(ctx, ex)
	}
	if err := r.ensureFinalizer(ctx, ex); err != nil {
		return transient(ctx, err)
	}

	before := ex.DeepCopy()
	var stepErr error
	stepped := false
	ctx, wakeUp := engine.WithWakeups(ctx)
	defer func() {
		if !stepped {
			return // step panicked: write nothing half-computed; controller-runtime reports the panic
		}
		o, werr := r.writeStatus(ctx, before, ex, stepErr)
		res, err = result(ctx, o, werr)
		if d := wakeUp.After(time.Now()); err == nil && res.RequeueAfter == 0 && d > 0 && !ex.Status.Phase.IsTerminal() {
			res.RequeueAfter = d
		}
	}()
	stepErr, stepped = r.step(ctx, ex), true
	return res, err
}

// writeStatus is the reconcile's one status write, when step changed the status; then, for a finished
// execution, the plan's lock is released. It names the outcome, with the error to retry on.
func (r *DRPlanExecutionReconciler) writeStatus(ctx context.Context, before, ex *drv1.DRPlanExecution, stepErr error) (outcome, error) {
	if errors.Is(stepErr, errLockConflict) {
		// Another execution took the plan under us: the status computed here is void; start again fresh.
		return outcomeStale, nil
	}
	o := outcomeWaiting
	if statusChanged(before.Status, ex.Status) {
		err := r.Status().Patch(ctx, ex, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}))
		if err != nil {
			// A conflict means we computed from a stale cached copy: nothing was written.
			return outcomeTransient, err
		}
		r.wrote(ex, before.ResourceVersion)
		r.recordTransitions(ctx, before, ex)
		o = outcomeProgressed
	}
	if ex.Status.Phase.IsTerminal() {
		if err := r.releasePlanLock(ctx, ex); err != nil {
			return outcomeTransient, err
		}
		o = outcomeStalled
	}
	if stepErr != nil {
		// An engine could not reach the API server: the status so far is saved; retry with backoff.
		return outcomeTransient, stepErr
	}
	return o, nil
}

// ensureFinalizer adds the execution's finalizer, so a deletion waits for its runs to stop. ex then
// carries the fresh resourceVersion and the reconcile goes on.
func (r *DRPlanExecutionReconciler) ensureFinalizer(ctx context.Context, ex *drv1.DRPlanExecution) error {
	if controllerutil.ContainsFinalizer(ex, drv1.FinalizerExecution) {
		return nil
	}
	controllerutil.AddFinalizer(ex, drv1.FinalizerExecution)
	rv := ex.ResourceVersion
	if err := r.Update(ctx, ex); err != nil {
		return err
	}
	r.wrote(ex, rv)
	return nil
}

// afterTerminal makes sure the plan shows a finished execution and its lock is released, and keeps the
// ExternalChanges condition true: Argo's controls can copy or restart a finished run.
func (r *DRPlanExecutionReconciler) afterTerminal(ctx context.Context, ex *drv1.DRPlanExecution) (reconcile.Result, error) {
	if err := r.releasePlanLock(ctx, ex); err != nil {
		return transient(ctx, err)
	}
	before := ex.DeepCopy()
	if err := r.noteExternalChanges(ctx, ex, r.now()); err != nil {
		return transient(ctx, err)
	}
	if statusChanged(before.Status, ex.Status) {
		if err := r.Status().Patch(ctx, ex, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
			return transient(ctx, err)
		}
		r.wrote(ex, before.ResourceVersion)
		r.recordTransitions(ctx, before, ex)
	}
	// The finalizer stays until the execution is deleted (finalize removes it at once for a finished one):
	// removing it here would cost a write per execution for nothing.
	return result(ctx, outcomeStalled, nil)
}

// finalize stops the runs of a deleted execution and releases the plan lock before the finalizer goes.
func (r *DRPlanExecutionReconciler) finalize(ctx context.Context, ex *drv1.DRPlanExecution) (reconcile.Result, error) {
	if !controllerutil.ContainsFinalizer(ex, drv1.FinalizerExecution) {
		return reconcile.Result{}, nil
	}
	if !ex.Status.Phase.IsTerminal() {
		if err := r.cancelRuns(ctx, ex); err != nil {
			return transient(ctx, err)
		}
	}
	plan := &drv1.DRPlan{}
	if err := r.Get(ctx, types.NamespacedName{Namespace: ex.Namespace, Name: ex.Spec.PlanRef}, plan); err == nil {
		if cur := plan.Status.CurrentExecution; cur != nil && cur.Name == ex.Name {
			before := plan.DeepCopy()
			plan.Status.CurrentExecution = nil
			if err := r.Status().Patch(ctx, plan, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
				return transient(ctx, err)
			}
			r.countWrite()
		}
	} else if !apierrors.IsNotFound(err) {
		return transient(ctx, err)
	}
	controllerutil.RemoveFinalizer(ex, drv1.FinalizerExecution)
	if err := r.Update(ctx, ex); err != nil {
		return transient(ctx, err)
	}
	r.countWrite()
	return reconcile.Result{}, nil
}
