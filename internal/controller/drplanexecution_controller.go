package controller

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/argoexec"
	"github.com/drplan/drplan-operator/internal/engine"
	"github.com/drplan/drplan-operator/nativeexec"
	"github.com/drplan/drplan-operator/translator"
)

// DRPlanExecutionReconciler runs DRPlanExecutions: it takes the plan's lock, resolves parameters, starts the
// runs of each stage through an engine as their dependencies allow, folds what the engines observe into
// status, applies the plan's failure policy (Stop, Continue, Rollback), reverts earlier executions and
// cancels on request. It is driven by watches (the execution and the Argo Workflows it owns), never by a
// polling loop, and writes status once per reconcile, only when it changed.
type DRPlanExecutionReconciler struct {
	client.Client
	// APIReader reads around the cache where staleness matters (the plan lock holder).
	APIReader client.Reader
	Recorder  events.EventRecorder
	// Engines by executor type. A workflow asking for an engine that is not here fails with EngineError.
	Engines map[drv1.ExecutorType]engine.Engine
	// Sources are extra event sources of engines that do their work in-process (the native engine says
	// through one which executions made progress).
	Sources []source.Source
	// DefaultEngine runs workflows whose spec.executor.type is empty.
	DefaultEngine drv1.ExecutorType
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// NoCrossNamespaceRefs fails, before anything runs, an execution whose plan references another
	// namespace's DRWorkflow (--no-cross-namespace-refs).
	NoCrossNamespaceRefs bool
	// MaxConcurrentReconciles bounds parallel reconciles (default 8: reconciles mostly wait on the API server).
	MaxConcurrentReconciles int

	// writes counts API writes (status patches, lock writes, finalizer updates), for benchmarks.
	writes atomic.Int64
	// superseded remembers, per execution, the resourceVersions our own writes replaced: a cached copy with
	// one of them is stale for sure, and reconciling from it would only end in a conflict.
	superseded sync.Map // types.NamespacedName -> map[string]bool (guarded by the workqueue: one reconcile per key)
	// running holds the executions last seen Running (types.NamespacedName -> true), for the gauge.
	running sync.Map
}

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

// Writes returns the number of API writes the reconciler made.
func (r *DRPlanExecutionReconciler) Writes() int64 { return r.writes.Load() }

func (r *DRPlanExecutionReconciler) countWrite() { r.writes.Add(1) }

// +kubebuilder:rbac:groups=dr.bkbcs.tencent.com,resources=drplanexecutions,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=dr.bkbcs.tencent.com,resources=drplanexecutions/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=dr.bkbcs.tencent.com,resources=drplanexecutions/finalizers,verbs=update
// +kubebuilder:rbac:groups=dr.bkbcs.tencent.com,resources=drplans,verbs=get;list;watch
// +kubebuilder:rbac:groups=dr.bkbcs.tencent.com,resources=drplans/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=dr.bkbcs.tencent.com,resources=drworkflows,verbs=get;list;watch
// +kubebuilder:rbac:groups=argoproj.io,resources=workflows,verbs=get;list;watch;create;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// SetupExecutionReconciler builds the execution reconciler with its engines and registers it.
func SetupExecutionReconciler(mgr manager.Manager, opts Options) error {
	r, err := NewExecutionReconciler(mgr, opts)
	if err != nil {
		return err
	}
	return r.SetupWithManager(mgr)
}

// NewExecutionReconciler builds the execution reconciler with the native engine and, when Argo's CRDs are
// served, the Argo engine. --default-executor auto picks Argo when it is there, else native.
func NewExecutionReconciler(mgr manager.Manager, opts Options) (*DRPlanExecutionReconciler, error) {
	if opts.EventRecorderName == "" {
		opts.EventRecorderName = "drplan-operator"
	}
	r := &DRPlanExecutionReconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Recorder:  mgr.GetEventRecorder(opts.EventRecorderName),
		Engines: map[drv1.ExecutorType]engine.Engine{
			drv1.ExecutorArgo: &argoexec.Engine{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(),
				Compiler: argoexec.TranslatorCompiler{},
				Executor: &argoexec.ImpersonatingClients{Config: mgr.GetConfig(), Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper()}},
		},
		DefaultEngine:        drv1.ExecutorArgo,
		NoCrossNamespaceRefs: opts.NoCrossNamespaceRefs,
	}
	native, err := nativeexec.NewForManager(mgr)
	if err != nil {
		return nil, fmt.Errorf("setting up the native engine: %w", err)
	}
	r.Engines[drv1.ExecutorNative] = native
	r.Sources = append(r.Sources, native.Source())
	if _, err := mgr.GetRESTMapper().RESTMapping(schema.GroupKind{Group: wfv1.WorkflowSchemaGroupVersionKind.Group, Kind: wfv1.WorkflowSchemaGroupVersionKind.Kind}); err != nil {
		if opts.DefaultExecutor == ExecutorArgoDefault {
			return nil, fmt.Errorf("--default-executor=argo but the Argo Workflow CRD is not served: %w", err)
		}
		// No Argo here: runs that need it fail with EngineError instead of the manager failing to start.
		delete(r.Engines, drv1.ExecutorArgo)
		r.DefaultEngine = drv1.ExecutorNative
	}
	if opts.DefaultExecutor == ExecutorNativeDefault {
		r.DefaultEngine = drv1.ExecutorNative
	}
	// Decided once at start; logged so an operator can tell which engine runs workflows without executor.type.
	mgr.GetLogger().WithName("setup").Info("default executor chosen", "flag", opts.DefaultExecutor,
		"engine", r.DefaultEngine, "argoWorkflowServed", r.Engines[drv1.ExecutorArgo] != nil)
	return r, nil
}

// SetupWithManager watches executions and the Argo Workflows they own.
func (r *DRPlanExecutionReconciler) SetupWithManager(mgr manager.Manager) error {
	if r.MaxConcurrentReconciles == 0 {
		r.MaxConcurrentReconciles = 8
	}
	// Our own status writes do not wake us: only spec (generation, which deletion bumps too) and annotation
	// (cancel) changes of the execution, and changes of the Workflows it owns.
	b := ctrl.ControllerManagedBy(mgr).
		For(&drv1.DRPlanExecution{}, ctrl.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{},
			predicate.AnnotationChangedPredicate{}))).
		Named("drplanexecution").
		WithOptions(controller.Options{MaxConcurrentReconciles: r.MaxConcurrentReconciles})
	if _, ok := r.Engines[drv1.ExecutorArgo]; ok {
		b = b.Owns(&wfv1.Workflow{})
	}
	for _, src := range r.Sources {
		b = b.WatchesRawSource(src)
	}
	return b.Complete(r)
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

// Reconcile is short: read, compute the next status with the engines' observations, write once.
func (r *DRPlanExecutionReconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	ex := &drv1.DRPlanExecution{}
	if err := r.Get(ctx, req.NamespacedName, ex); err != nil {
		if apierrors.IsNotFound(err) {
			r.superseded.Delete(req.NamespacedName)
			r.trackRunning(req.NamespacedName, false)
			return result(ctx, outcomeStalled, nil)
		}
		return result(ctx, outcomeTransient, err)
	}
	if r.isStale(ex) {
		// Our last write has not reached the cache yet: its watch event will wake us; look again shortly anyway.
		return result(ctx, outcomeStale, nil)
	}
	defer func() {
		r.trackRunning(req.NamespacedName, ex.Status.Phase == drv1.ExecutionRunning && ex.DeletionTimestamp.IsZero())
	}()
	if !ex.DeletionTimestamp.IsZero() {
		return r.finalize(ctx, ex)
	}
	if ex.Status.Phase.IsTerminal() {
		// Done: make sure the plan shows it (idempotent).
		return r.afterTerminal(ctx, ex)
	}
	if !controllerutil.ContainsFinalizer(ex, drv1.FinalizerExecution) {
		controllerutil.AddFinalizer(ex, drv1.FinalizerExecution)
		rv := ex.ResourceVersion
		if err := r.Update(ctx, ex); err != nil {
			return result(ctx, outcomeTransient, err)
		}
		r.wrote(ex, rv)
		// ex now carries the fresh resourceVersion: go on in the same reconcile.
	}

	before := ex.DeepCopy()
	stepErr := r.step(ctx, ex)
	if errors.Is(stepErr, errLockConflict) {
		return result(ctx, outcomeStale, nil)
	}
	o := outcomeWaiting
	if statusChanged(before.Status, ex.Status) {
		err := r.Status().Patch(ctx, ex, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}))
		if err != nil {
			// A conflict means we computed from a stale cached copy: nothing was written.
			return result(ctx, outcomeTransient, err)
		}
		r.wrote(ex, before.ResourceVersion)
		r.recordTransitions(ctx, before, ex)
		o = outcomeProgressed
	}
	if ex.Status.Phase.IsTerminal() {
		if err := r.releasePlanLock(ctx, ex); err != nil {
			return result(ctx, outcomeTransient, err)
		}
		o = outcomeStalled
	}
	if stepErr != nil {
		// An engine could not reach the API server: the status so far is saved; retry with backoff.
		return result(ctx, outcomeTransient, stepErr)
	}
	return result(ctx, o, nil)
}

// staleRequeue is how soon a reconcile that lost an optimistic-concurrency race runs again.
const staleRequeue = 20 * time.Millisecond

func transient(ctx context.Context, err error) (reconcile.Result, error) {
	return result(ctx, outcomeTransient, err)
}

// afterTerminal makes sure the plan shows a finished execution and its lock is released.
func (r *DRPlanExecutionReconciler) afterTerminal(ctx context.Context, ex *drv1.DRPlanExecution) (reconcile.Result, error) {
	if err := r.releasePlanLock(ctx, ex); err != nil {
		return transient(ctx, err)
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

// step computes ex.Status one step further. Errors are transient; terminal outcomes are status, not errors.
func (r *DRPlanExecutionReconciler) step(ctx context.Context, ex *drv1.DRPlanExecution) error {
	now := r.now()
	st := &ex.Status
	st.ObservedGeneration = ex.Generation
	plan := &drv1.DRPlan{}
	if err := r.Get(ctx, types.NamespacedName{Namespace: ex.Namespace, Name: ex.Spec.PlanRef}, plan); err != nil {
		if apierrors.IsNotFound(err) {
			msg := fmt.Sprintf("DRPlan %s/%s not found", ex.Namespace, ex.Spec.PlanRef)
			if st.Phase == drv1.ExecutionRunning {
				// Deleted under a running execution (the webhook forbids it; without the webhook, stop the runs).
				if err := r.cancelRuns(ctx, ex); err != nil {
					return err
				}
				msg = "the plan was deleted while running: " + msg
				cancelStages(st.StageStatuses, now, msg)
				cancelStages(st.RollbackStageStatuses, now, msg)
				r.summarize(ex)
			}
			setTerminal(st, drv1.ExecutionFailed, drv1.ReasonPlanNotFound, msg, ex.Generation, now)
			return nil
		}
		return err
	}

	if ex.IsCancelRequested() {
		if err := r.cancelRuns(ctx, ex); err != nil {
			return err
		}
		cancelStages(st.StageStatuses, now, "canceled")
		cancelStages(st.RollbackStageStatuses, now, "canceled")
		r.summarize(ex)
		setTerminal(st, drv1.ExecutionCanceled, drv1.ReasonCanceled, "canceled by annotation "+drv1.AnnotationCancel, ex.Generation, now)
		return nil
	}

	if st.Phase == "" || st.Phase == drv1.ExecutionPending {
		holder, err := r.acquirePlanLock(ctx, plan, ex)
		if err != nil {
			return err
		}
		if holder != "" {
			setTerminal(st, drv1.ExecutionFailed, drv1.ReasonConcurrentExecution,
				fmt.Sprintf("DRPlan %s is being run by execution %s; at most one execution of a plan runs at a time", plan.Name, holder),
				ex.Generation, now)
			return nil
		}
		if done := r.start(ctx, ex, plan, now); done {
			return nil
		}
	}

	var errs []error
	switch {
	case ex.Spec.GetOperationType() == drv1.OperationRevert:
		target, err := r.revertTarget(ctx, ex)
		if err != nil {
			return err
		}
		var targetStages []drv1.StageStatus
		if target != nil {
			targetStages = target.Status.StageStatuses
		}
		settled, err := r.advance(ctx, ex, plan, st.StageStatuses, engine.Reverse, targetStages, false)
		errs = append(errs, err)
		if settled {
			r.finish(ex, st.StageStatuses, now)
		}
	case len(st.RollbackStageStatuses) == 0:
		policy := plan.Spec.GetFailurePolicy()
		settled, err := r.advance(ctx, ex, plan, st.StageStatuses, engine.Forward, nil, policy != drv1.PlanContinue)
		errs = append(errs, err)
		if !settled {
			break
		}
		if allSucceeded(st.StageStatuses) || policy != drv1.PlanRollback {
			r.finish(ex, st.StageStatuses, now)
			break
		}
		// Rollback: undo everything that succeeded in this execution.
		st.RollbackStageStatuses = reverseStages(st.StageStatuses)
		if len(st.RollbackStageStatuses) == 0 {
			r.summarize(ex)
			meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: drv1.ConditionRolledBack, Status: metav1.ConditionTrue,
				Reason: drv1.ReasonRolledBack, Message: "nothing had succeeded: nothing to roll back", ObservedGeneration: ex.Generation, LastTransitionTime: now})
			setTerminal(st, drv1.ExecutionFailed, drv1.ReasonFailed, "failed: "+firstFailure(st.StageStatuses), ex.Generation, now)
			return nil
		}
		r.prepareReverse(ctx, ex, st.RollbackStageStatuses, st.StageStatuses, now)
		st.Message = "rolling back: " + firstFailure(st.StageStatuses)
		fallthrough
	default:
		settled, err := r.advance(ctx, ex, plan, st.RollbackStageStatuses, engine.Reverse, st.StageStatuses, false)
		errs = append(errs, err)
		if settled {
			r.summarize(ex)
			cause := firstFailure(st.StageStatuses)
			if allSucceeded(st.RollbackStageStatuses) {
				msg := "rolled back after failure: " + cause
				meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: drv1.ConditionRolledBack, Status: metav1.ConditionTrue,
					Reason: drv1.ReasonRolledBack, Message: msg, ObservedGeneration: ex.Generation, LastTransitionTime: now})
				setTerminal(st, drv1.ExecutionFailed, drv1.ReasonRolledBack, msg, ex.Generation, now)
			} else {
				msg := "rollback failed (" + firstFailure(st.RollbackStageStatuses) + ") after failure: " + cause
				meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: drv1.ConditionRolledBack, Status: metav1.ConditionFalse,
					Reason: drv1.ReasonRollbackFailed, Message: msg, ObservedGeneration: ex.Generation, LastTransitionTime: now})
				setTerminal(st, drv1.ExecutionFailed, drv1.ReasonRollbackFailed, msg, ex.Generation, now)
			}
			return errors.Join(errs...)
		}
	}
	r.summarize(ex)
	return errors.Join(errs...)
}

// finish ends an execution whose stages settled: Succeeded when every stage did, else Failed.
func (r *DRPlanExecutionReconciler) finish(ex *drv1.DRPlanExecution, stages []drv1.StageStatus, now metav1.Time) {
	r.summarize(ex)
	if allSucceeded(stages) {
		setTerminal(&ex.Status, drv1.ExecutionSucceeded, drv1.ReasonSucceeded, "succeeded", ex.Generation, now)
		return
	}
	setTerminal(&ex.Status, drv1.ExecutionFailed, drv1.ReasonFailed, "failed: "+firstFailure(stages), ex.Generation, now)
}

func (r *DRPlanExecutionReconciler) summarize(ex *drv1.DRPlanExecution) {
	s, p := summarize(ex.Status.StageStatuses, ex.Status.RollbackStageStatuses)
	ex.Status.Summary, ex.Status.Progress = &s, p
}

func allSucceeded(stages []drv1.StageStatus) bool {
	for i := range stages {
		if stages[i].Phase != drv1.ExecutionSucceeded {
			return false
		}
	}
	return true
}

// start builds the execution's stage statuses before anything runs: every entry's parameters are resolved
// and its run compiled, so a bad parameter or template fails the execution naming every offender. It
// reports whether the execution ended.
func (r *DRPlanExecutionReconciler) start(ctx context.Context, ex *drv1.DRPlanExecution, plan *drv1.DRPlan, now metav1.Time) bool {
	st := &ex.Status
	if ex.Spec.GetOperationType() == drv1.OperationRevert {
		target, err := r.revertTarget(ctx, ex)
		if err != nil || target == nil {
			msg := "revert target not found"
			if err != nil {
				msg = err.Error()
			}
			setTerminal(st, drv1.ExecutionFailed, drv1.ReasonRevertTargetInvalid, msg, ex.Generation, now)
			return true
		}
		if msg := checkRevertTarget(ex, target); msg != "" {
			setTerminal(st, drv1.ExecutionFailed, drv1.ReasonRevertTargetInvalid, msg, ex.Generation, now)
			return true
		}
		st.StageStatuses = reverseStages(target.Status.StageStatuses)
		if len(st.StageStatuses) == 0 {
			r.summarize(ex)
			setRunning(st, "", ex.Generation, now)
			setTerminal(st, drv1.ExecutionSucceeded, drv1.ReasonSucceeded,
				fmt.Sprintf("nothing to revert: no action of %s succeeded", target.Name), ex.Generation, now)
			return true
		}
		if errs := r.prepareReverse(ctx, ex, st.StageStatuses, target.Status.StageStatuses, now); len(errs) > 0 {
			setTerminal(st, drv1.ExecutionFailed, drv1.ReasonWorkflowInvalid, joinErrors(errs), ex.Generation, now)
			return true
		}
		r.summarize(ex)
		setRunning(st, "reverting "+target.Name, ex.Generation, now)
		return false
	}

	var paramErrs, wfErrs []string
	notFound := false
	st.StageStatuses = make([]drv1.StageStatus, len(plan.Spec.Stages))
	for i := range plan.Spec.Stages {
		stage := &plan.Spec.Stages[i]
		ss := drv1.StageStatus{Name: stage.Name, Phase: drv1.ExecutionPending}
		for j := range stage.Workflows {
			ref := stage.Workflows[j].WorkflowRef
			ref.Namespace = ref.NamespaceOr(plan.Namespace)
			e := drv1.WorkflowExecutionStatus{WorkflowRef: ref, Index: int32(j), Phase: drv1.ExecutionPending}
			if r.NoCrossNamespaceRefs && ref.Namespace != plan.Namespace {
				wfErrs = append(wfErrs, fmt.Sprintf("stage %s: DRWorkflow %s/%s is in another namespace than the plan, and "+
					"this operator runs with --no-cross-namespace-refs", stage.Name, ref.Namespace, ref.Name))
				ss.WorkflowExecutions = append(ss.WorkflowExecutions, e)
				continue
			}
			wf := &drv1.DRWorkflow{}
			if err := r.Get(ctx, types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}, wf); err != nil {
				notFound = notFound || apierrors.IsNotFound(err)
				wfErrs = append(wfErrs, fmt.Sprintf("stage %s: DRWorkflow %s/%s: %v", stage.Name, ref.Namespace, ref.Name, errMsg(err)))
				ss.WorkflowExecutions = append(ss.WorkflowExecutions, e)
				continue
			}
			e.WorkflowGeneration = wf.Generation
			e.Engine = r.engineType(wf)
			params, ferrs := translator.ResolveParams(wf, plan, i, j, ex)
			if len(ferrs) > 0 {
				paramErrs = append(paramErrs, fmt.Sprintf("stage %s, workflow %s: %s", stage.Name, ref.Name, ferrs.ToAggregate().Error()))
			}
			e.Params = params
			if len(ferrs) == 0 {
				run := r.run(ex, plan, stage.Name, i, &e, wf, engine.Forward, nil)
				ir, err := run.BuildIR()
				if err != nil {
					wfErrs = append(wfErrs, fmt.Sprintf("stage %s, workflow %s: %v", stage.Name, ref.Name, err))
				} else {
					for _, a := range ir.Actions {
						e.ActionStatuses = append(e.ActionStatuses, drv1.ActionStatus{Name: a.Name, Phase: drv1.ActionPending})
					}
				}
			}
			e.Progress, _ = progressOf(e.ActionStatuses)
			ss.WorkflowExecutions = append(ss.WorkflowExecutions, e)
		}
		st.StageStatuses[i] = ss
	}
	r.summarize(ex)
	switch {
	case len(paramErrs) > 0:
		setTerminal(st, drv1.ExecutionFailed, drv1.ReasonParamsInvalid, "invalid parameters, nothing was run: "+joinErrors(append(paramErrs, wfErrs...)), ex.Generation, now)
		return true
	case len(wfErrs) > 0:
		reason := drv1.ReasonWorkflowInvalid
		if notFound {
			reason = drv1.ReasonWorkflowNotFound
		}
		setTerminal(st, drv1.ExecutionFailed, reason, "nothing was run: "+joinErrors(wfErrs), ex.Generation, now)
		return true
	}
	setRunning(st, "running", ex.Generation, now)
	return false
}

func errMsg(err error) string {
	if apierrors.IsNotFound(err) {
		return "not found"
	}
	return err.Error()
}

// prepareReverse fills the action list of reverse entries by compiling them; an entry that cannot be
// compiled fails at once with the reason.
func (r *DRPlanExecutionReconciler) prepareReverse(ctx context.Context, ex *drv1.DRPlanExecution, stages, recorded []drv1.StageStatus, now metav1.Time) []string {
	var errs []string
	for i := range stages {
		for j := range stages[i].WorkflowExecutions {
			e := &stages[i].WorkflowExecutions[j]
			src := findEntry(recorded, stages[i].Name, e.WorkflowRef, e.Index)
			wf := &drv1.DRWorkflow{}
			err := r.Get(ctx, types.NamespacedName{Namespace: e.WorkflowRef.Namespace, Name: e.WorkflowRef.Name}, wf)
			if err == nil && src != nil {
				run := r.run(ex, nil, stages[i].Name, 0, e, wf, engine.Reverse, src.ActionStatuses)
				var ir *translator.IR
				if ir, err = run.BuildIR(); err == nil {
					e.ActionStatuses = nil
					for _, a := range ir.Actions {
						e.ActionStatuses = append(e.ActionStatuses, drv1.ActionStatus{Name: a.Name, Phase: drv1.ActionPending})
					}
					e.Progress, _ = progressOf(e.ActionStatuses)
					e.Engine = r.engineType(wf)
					continue
				}
			}
			if src == nil {
				err = fmt.Errorf("no recorded run to reverse")
			}
			msg := fmt.Sprintf("stage %s, workflow %s: cannot build the reverse run: %s", stages[i].Name, e.WorkflowRef.Name, errMsg(err))
			errs = append(errs, msg)
			e.Phase, e.Message = drv1.ExecutionFailed, msg
			t := now
			e.CompletionTime = &t
		}
	}
	return errs
}

// revertTarget reads the execution a Revert undoes (nil when it does not exist).
func (r *DRPlanExecutionReconciler) revertTarget(ctx context.Context, ex *drv1.DRPlanExecution) (*drv1.DRPlanExecution, error) {
	t := &drv1.DRPlanExecution{}
	err := r.Get(ctx, types.NamespacedName{Namespace: ex.Namespace, Name: ex.Spec.RevertExecutionRef}, t)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return t, nil
}

// checkRevertTarget applies the revert rules: an Execute of the same plan that ended Succeeded or Failed.
func checkRevertTarget(ex, target *drv1.DRPlanExecution) string {
	switch {
	case target.Spec.PlanRef != ex.Spec.PlanRef:
		return fmt.Sprintf("revert target %s ran plan %s, not %s", target.Name, target.Spec.PlanRef, ex.Spec.PlanRef)
	case target.Spec.GetOperationType() != drv1.OperationExecute:
		return fmt.Sprintf("revert target %s is a %s; only an Execute can be reverted", target.Name, target.Spec.GetOperationType())
	case target.Status.Phase != drv1.ExecutionSucceeded && target.Status.Phase != drv1.ExecutionFailed:
		return fmt.Sprintf("revert target %s is %s; it must have ended Succeeded or Failed", target.Name, phaseOrPending(target.Status.Phase))
	}
	return ""
}

func phaseOrPending(p drv1.ExecutionPhase) drv1.ExecutionPhase {
	if p == "" {
		return drv1.ExecutionPending
	}
	return p
}

func (r *DRPlanExecutionReconciler) engineType(wf *drv1.DRWorkflow) drv1.ExecutorType {
	if t := wf.Spec.GetExecutorType(); t != "" {
		return t
	}
	return r.DefaultEngine
}

// run assembles the engine input for one entry.
func (r *DRPlanExecutionReconciler) run(ex *drv1.DRPlanExecution, plan *drv1.DRPlan, stage string, stageIndex int,
	e *drv1.WorkflowExecutionStatus, wf *drv1.DRWorkflow, dir engine.Direction, reverted []drv1.ActionStatus) *engine.Run {
	run := &engine.Run{
		Execution: ex, PlanName: ex.Spec.PlanRef, StageName: stage, StageIndex: stageIndex,
		EntryIndex: int(e.Index), Direction: dir, Workflow: wf, Params: e.Params, Reverted: reverted, Recorded: e,
	}
	return run
}

// stageDeps lists the stages a stage waits for: its dependsOn, or in a plan without any dependsOn (and in
// reverse runs) the stage before it.
func stageDeps(plan *drv1.DRPlan, stages []drv1.StageStatus, i int, dir engine.Direction) []string {
	if dir == engine.Forward && plan != nil && !plan.Spec.IsSequential() {
		for k := range plan.Spec.Stages {
			if plan.Spec.Stages[k].Name == stages[i].Name {
				return plan.Spec.Stages[k].DependsOn
			}
		}
	}
	if i == 0 {
		return nil
	}
	return []string{stages[i-1].Name}
}

func stageParallel(plan *drv1.DRPlan, name string) bool {
	for k := range plan.Spec.Stages {
		if plan.Spec.Stages[k].Name == name {
			return plan.Spec.Stages[k].Parallel
		}
	}
	return false
}

// advance starts and observes the entries of stages whose dependencies allow it, and reports whether the
// stages settled (nothing runs and nothing more can start). stopOnFailure starts no new stage after a
// failure (plan failurePolicy Stop and Rollback). recorded are the forward statuses reverse entries undo.
func (r *DRPlanExecutionReconciler) advance(ctx context.Context, ex *drv1.DRPlanExecution, plan *drv1.DRPlan, stages []drv1.StageStatus,
	dir engine.Direction, recorded []drv1.StageStatus, stopOnFailure bool) (bool, error) {
	// A pass walks the stages in list order; a stage listed before one it depends on can only start in a
	// later pass, so passes repeat while they change stage phases (at most once per stage).
	for pass := 0; ; pass++ {
		before := make([]drv1.ExecutionPhase, len(stages))
		for i := range stages {
			before[i] = stages[i].Phase
		}
		settled, err := r.advancePass(ctx, ex, plan, stages, dir, recorded, stopOnFailure)
		changed := false
		for i := range stages {
			changed = changed || stages[i].Phase != before[i]
		}
		if err != nil || !changed || pass >= len(stages) {
			return settled, err
		}
	}
}

func (r *DRPlanExecutionReconciler) advancePass(ctx context.Context, ex *drv1.DRPlanExecution, plan *drv1.DRPlan, stages []drv1.StageStatus,
	dir engine.Direction, recorded []drv1.StageStatus, stopOnFailure bool) (bool, error) {
	now := r.now()
	var errs []error
	phaseOf := map[string]drv1.ExecutionPhase{}
	failed := false
	for i := range stages {
		phaseOf[stages[i].Name] = stages[i].Phase
		if stages[i].Phase == drv1.ExecutionFailed || stages[i].Phase == drv1.ExecutionCanceled {
			failed = true
		}
	}
	active := false
	for i := range stages {
		st := &stages[i]
		if st.Phase.IsTerminal() {
			continue
		}
		parallel := stageParallel(plan, st.Name)
		if st.Phase == "" || st.Phase == drv1.ExecutionPending {
			ready, blockedBy := true, ""
			for _, d := range stageDeps(plan, stages, i, dir) {
				switch phaseOf[d] {
				case drv1.ExecutionSucceeded:
				case drv1.ExecutionFailed, drv1.ExecutionCanceled:
					ready, blockedBy = false, d
				default:
					ready = false
					if blockedBy == "" && dependsBlocked(plan, stages, d, dir, phaseOf) {
						blockedBy = d
					}
				}
			}
			switch {
			case blockedBy != "":
				st.Phase = drv1.ExecutionPending
				st.WorkflowExecutions = notRun(st.WorkflowExecutions, fmt.Sprintf("not run: stage %s did not succeed", blockedBy))
				continue
			case !ready:
				continue
			case stopOnFailure && failed:
				st.WorkflowExecutions = notRun(st.WorkflowExecutions, "not run: an earlier stage failed")
				continue
			}
			st.Phase = drv1.ExecutionRunning
			t := now
			st.StartTime = &t
		}
		for j := range st.WorkflowExecutions {
			e := &st.WorkflowExecutions[j]
			if e.Phase.IsTerminal() || !entryDue(st, j, parallel) {
				continue
			}
			errs = append(errs, r.syncEntry(ctx, ex, plan, st.Name, i, e, dir, recorded, now))
		}
		st.Phase = stagePhase(st, parallel)
		phaseOf[st.Name] = st.Phase
		if st.Phase.IsTerminal() {
			t := now
			st.CompletionTime = &t
			for j := range st.WorkflowExecutions {
				if c := st.WorkflowExecutions[j].CompletionTime; c != nil && c.After(st.CompletionTime.Time) {
					st.CompletionTime = c.DeepCopy()
				}
			}
			if st.Phase != drv1.ExecutionSucceeded {
				failed = true
				st.WorkflowExecutions = notRun(st.WorkflowExecutions, "not run: an earlier workflow of the stage did not succeed")
			}
		} else {
			active = true
		}
	}
	return !active, errors.Join(errs...)
}

// dependsBlocked reports whether stage d can never run (a dependency of it, transitively, failed).
func dependsBlocked(plan *drv1.DRPlan, stages []drv1.StageStatus, d string, dir engine.Direction, phaseOf map[string]drv1.ExecutionPhase) bool {
	seen := map[string]bool{}
	var walk func(name string) bool
	walk = func(name string) bool {
		if seen[name] {
			return false
		}
		seen[name] = true
		switch phaseOf[name] {
		case drv1.ExecutionFailed, drv1.ExecutionCanceled:
			return true
		case drv1.ExecutionSucceeded, drv1.ExecutionRunning:
			return false
		}
		for i := range stages {
			if stages[i].Name == name {
				for _, dd := range stageDeps(plan, stages, i, dir) {
					if walk(dd) {
						return true
					}
				}
			}
		}
		return false
	}
	return walk(d)
}

// notRun explains the entries that will never start.
func notRun(entries []drv1.WorkflowExecutionStatus, msg string) []drv1.WorkflowExecutionStatus {
	for j := range entries {
		if entries[j].Phase == "" || entries[j].Phase == drv1.ExecutionPending {
			entries[j].Message = msg
		}
	}
	return entries
}

// syncEntry runs one entry through its engine and folds the result into its status.
func (r *DRPlanExecutionReconciler) syncEntry(ctx context.Context, ex *drv1.DRPlanExecution, plan *drv1.DRPlan, stage string, stageIndex int,
	e *drv1.WorkflowExecutionStatus, dir engine.Direction, recorded []drv1.StageStatus, now metav1.Time) error {
	fail := func(msg string) {
		e.Phase, e.Message = drv1.ExecutionFailed, msg
		if e.CompletionTime == nil {
			t := now
			e.CompletionTime = &t
		}
		for k := range e.ActionStatuses {
			if !e.ActionStatuses[k].Phase.IsTerminal() {
				e.ActionStatuses[k].Phase = drv1.ActionCanceled
			}
		}
		e.Progress, e.CurrentAction = progressOf(e.ActionStatuses)
	}
	eng, ok := r.Engines[e.Engine]
	if !ok {
		fail(fmt.Sprintf("engine %q is not available in this operator", e.Engine))
		return nil
	}
	wf := &drv1.DRWorkflow{}
	if err := r.Get(ctx, types.NamespacedName{Namespace: e.WorkflowRef.Namespace, Name: e.WorkflowRef.Name}, wf); err != nil {
		if !apierrors.IsNotFound(err) {
			return err
		}
		if e.Phase != drv1.ExecutionRunning {
			fail(fmt.Sprintf("DRWorkflow %s/%s not found", e.WorkflowRef.Namespace, e.WorkflowRef.Name))
			return nil
		}
		// Running already: the engine only needs the name to observe its run.
		wf = &drv1.DRWorkflow{ObjectMeta: metav1.ObjectMeta{Name: e.WorkflowRef.Name, Namespace: e.WorkflowRef.Namespace}}
	}
	var reverted []drv1.ActionStatus
	if dir == engine.Reverse {
		if src := findEntry(recorded, stage, e.WorkflowRef, e.Index); src != nil {
			reverted = src.ActionStatuses
		}
	}
	run := r.run(ex, plan, stage, stageIndex, e, wf, dir, reverted)
	rs, err := eng.Sync(ctx, run)
	if err != nil {
		if errors.Is(err, argoexec.ErrOffloaded) {
			fail(err.Error())
			return nil
		}
		return fmt.Errorf("%s: %w", run.Key(), err)
	}
	if e.Phase != drv1.ExecutionRunning && rs.Phase.IsTerminal() && rs.ArgoWorkflow == nil {
		// Could not start at all (compile error, ...).
		fail(rs.Message)
		return nil
	}
	applyRun(e, rs, now)
	return nil
}

// cancelRuns asks the engines to stop every started, unfinished run.
func (r *DRPlanExecutionReconciler) cancelRuns(ctx context.Context, ex *drv1.DRPlanExecution) error {
	var errs []error
	for _, pair := range []struct {
		stages []drv1.StageStatus
		dir    engine.Direction
	}{{ex.Status.StageStatuses, forwardOf(ex)}, {ex.Status.RollbackStageStatuses, engine.Reverse}} {
		for i := range pair.stages {
			for j := range pair.stages[i].WorkflowExecutions {
				e := &pair.stages[i].WorkflowExecutions[j]
				if e.Phase != drv1.ExecutionRunning {
					continue
				}
				eng, ok := r.Engines[e.Engine]
				if !ok {
					continue
				}
				wf := &drv1.DRWorkflow{ObjectMeta: metav1.ObjectMeta{Name: e.WorkflowRef.Name, Namespace: e.WorkflowRef.Namespace}}
				errs = append(errs, eng.Cancel(ctx, r.run(ex, nil, pair.stages[i].Name, i, e, wf, pair.dir, nil)))
			}
		}
	}
	return errors.Join(errs...)
}

func forwardOf(ex *drv1.DRPlanExecution) engine.Direction {
	if ex.Spec.GetOperationType() == drv1.OperationRevert {
		return engine.Reverse
	}
	return engine.Forward
}

// recordTransitions emits events and metrics for phase changes and the RolledBack condition; the event
// reason is the reason of the condition that changed.
func (r *DRPlanExecutionReconciler) recordTransitions(ctx context.Context, before, after *drv1.DRPlanExecution) {
	if before.Status.Phase == after.Status.Phase {
		return
	}
	if after.Status.Phase == drv1.ExecutionRunning {
		r.event(after, corev1.EventTypeNormal, drv1.ReasonRunning, "Start", after.Status.Message)
		return
	}
	if !after.Status.Phase.IsTerminal() {
		return
	}
	c := meta.FindStatusCondition(after.Status.Conditions, drv1.ConditionCompleted)
	typ := corev1.EventTypeWarning
	if after.Status.Phase == drv1.ExecutionSucceeded {
		typ = corev1.EventTypeNormal
	}
	if c != nil {
		r.event(after, typ, c.Reason, "Complete", c.Message)
	}
	observeFinished(after, r.actionTypes(ctx, after))
}

func (r *DRPlanExecutionReconciler) event(ex *drv1.DRPlanExecution, typ, reason, action, msg string) {
	if r.Recorder == nil {
		return
	}
	r.Recorder.Eventf(ex, nil, typ, reason, action, "%s", argoexec.Truncate(msg, 1024))
}

// actionTypes maps the action names (and rollback action names) of the execution's workflows to their types.
func (r *DRPlanExecutionReconciler) actionTypes(ctx context.Context, ex *drv1.DRPlanExecution) map[string]drv1.ActionType {
	out := map[string]drv1.ActionType{}
	seen := map[drv1.ObjectReference]bool{}
	for _, stages := range [][]drv1.StageStatus{ex.Status.StageStatuses, ex.Status.RollbackStageStatuses} {
		for i := range stages {
			for j := range stages[i].WorkflowExecutions {
				ref := stages[i].WorkflowExecutions[j].WorkflowRef
				if seen[ref] {
					continue
				}
				seen[ref] = true
				wf := &drv1.DRWorkflow{}
				if r.Get(ctx, types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}, wf) != nil {
					continue
				}
				for _, a := range wf.Spec.Actions {
					out[a.Name] = a.Type
					if a.Rollback != nil {
						out[a.Rollback.Name] = a.Rollback.Type
					}
				}
			}
		}
	}
	return out
}
