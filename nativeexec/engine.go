// Package nativeexec runs workflow entries of a plan in-process, without Argo: it executes the translator's IR
// (HTTP calls, Jobs, Clusternet objects, generic resources) with the same ordering, `when`, failure-policy and
// output rules as the Argo engine.
//
// It is non-blocking: Sync starts what is ready and returns; every action runs in a goroutine owned by the
// engine, and when one finishes the engine starts its successors itself and tells the execution reconciler
// (Options.Notify or the Source channel) so the next Sync records the progress in status. Resource actions
// run as the workflow's executor ServiceAccount (impersonation); the operator lends none of its own rights.
package nativeexec

import (
	"context"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/internal/engine"
)

// FieldManager owns the fields the engine writes (server-side apply, creates, patches).
const FieldManager = "drplan-operator"

// Options configure the engine.
type Options struct {
	// Config is the operator's rest.Config; every resource action uses a copy impersonating the workflow's
	// executor ServiceAccount.
	Config *rest.Config
	// Mapper maps kinds to resources (resource actions fail without it).
	Mapper meta.RESTMapper
	// Cache is the manager's cache: Jobs are watched through its informer (Job actions fail without it).
	Cache cache.Cache
	// Reader reads Jobs (from the cache) and, to find the ServiceAccount of a run known only by name after a
	// restart, DRWorkflows.
	Reader client.Reader
	// HTTP tunes the HTTP transport; zero values take the defaults.
	HTTP HTTPOptions
	// Notify is called with the execution whenever one of its runs made progress. Optional: Source offers
	// the same as a controller-runtime source.
	Notify func(execution types.NamespacedName)
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Engine is the native engine.
type Engine struct {
	opts    Options
	http    *httpCaller
	clients *impersonatedClients
	jobs    *jobWatcher

	mu   sync.Mutex
	runs map[runKey]*runState
	// base is the parent context of every run: background work outlives the reconcile that started it.
	base context.Context

	eventsOnce sync.Once
	events     chan event.GenericEvent
}

var _ engine.Engine = (*Engine)(nil)

// New builds an engine.
func New(opts Options) (*Engine, error) {
	if opts.Config == nil {
		return nil, fmt.Errorf("nativeexec: Options.Config is required")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	e := &Engine{
		opts:    opts,
		http:    newHTTPCaller(opts.HTTP),
		clients: newImpersonatedClients(opts.Config),
		runs:    map[runKey]*runState{},
		base:    context.Background(),
	}
	e.jobs = newJobWatcher(opts.Cache, opts.Reader)
	return e, nil
}

// NewForManager builds an engine from the manager's config, RESTMapper, cache and client, and adds it to the
// manager so that its background work stops with it. Completions reach the reconciler through Source.
func NewForManager(mgr manager.Manager) (*Engine, error) {
	e, err := New(Options{Config: mgr.GetConfig(), Mapper: mgr.GetRESTMapper(), Cache: mgr.GetCache(), Reader: mgr.GetClient()})
	if err != nil {
		return nil, err
	}
	if err := mgr.Add(e); err != nil {
		return nil, err
	}
	return e, nil
}

// Start implements manager.Runnable: runs started from now on stop when ctx ends (the manager stops). Runs
// stopped that way are not canceled: their Jobs stay, and the next operator resumes them from status.
func (e *Engine) Start(ctx context.Context) error {
	e.mu.Lock()
	e.base = ctx
	e.mu.Unlock()
	<-ctx.Done()
	return nil
}

// NeedLeaderElection is false: Start only scopes background work to the manager's lifetime, on every replica.
func (e *Engine) NeedLeaderElection() bool { return false }

// Source is a controller-runtime source of the executions whose runs made progress; watch it with
// builder.WatchesRawSource.
func (e *Engine) Source() source.Source {
	e.eventsOnce.Do(func() { e.events = make(chan event.GenericEvent, 1024) })
	return source.Channel(e.events, &handler.EnqueueRequestForObject{})
}

// notify re-queues the execution. It never blocks the caller.
func (e *Engine) notify(exec types.NamespacedName) {
	if e.opts.Notify != nil {
		e.opts.Notify(exec)
	}
	if e.events == nil {
		return
	}
	ev := event.GenericEvent{Object: &v1alpha1.DRPlanExecution{ObjectMeta: metav1.ObjectMeta{Namespace: exec.Namespace, Name: exec.Name}}}
	select {
	case e.events <- ev:
	default:
		go func() { e.events <- ev }()
	}
}

func (e *Engine) now() metav1.Time {
	return metav1.NewTime(e.opts.Now().UTC().Truncate(time.Second))
}

// Sync starts the run when it is new to this process (rebuilding it from run.Recorded after a restart: actions
// that ended are never run again), starts what became ready, and reports the run.
func (e *Engine) Sync(ctx context.Context, run *engine.Run) (engine.RunStatus, error) {
	key := keyOf(run)
	e.mu.Lock()
	e.evictFinishedLocked()
	s := e.runs[key]
	e.mu.Unlock()
	if s == nil {
		ir, err := run.BuildIR()
		if err != nil {
			return e.cannotBuild(run, err), nil
		}
		fresh := newRunState(key, run, ir, e.now())
		e.mu.Lock()
		if s = e.runs[key]; s == nil {
			s = fresh
			s.ctx, s.cancel = context.WithCancel(e.base)
			e.runs[key] = s
		}
		e.mu.Unlock()
	}
	s.mu.Lock()
	s.paused = run.Paused
	approved := append([]string{}, run.Approved...)
	e.endApprovalsLocked(s, approved, v1alpha1.ActionSucceeded, "approved")
	e.expireApprovalsLocked(s)
	e.scheduleLocked(s)
	// An approval that started just now may be approved already: after a restart a recorded waiting approval
	// starts again here, and an approval given while no operator ran brings no later event to end it.
	if e.endApprovalsLocked(s, approved, v1alpha1.ActionSucceeded, "approved") {
		e.scheduleLocked(s)
	}
	snap := s.snapshotLocked()
	s.mu.Unlock()
	st := snap.status()
	if st.Phase.IsTerminal() && st.Phase != v1alpha1.ExecutionCanceled && !recordedRunning(run) {
		// The reconciler takes a terminal status on a run's first Sync for "could not start"; report the
		// first observation as Running and look again at once.
		st.Phase, st.CompletionTime, st.Message = v1alpha1.ExecutionRunning, nil, ""
		go e.notify(s.exec)
	}
	return st, nil
}

// Cancel stops scheduling, cancels in-flight HTTP calls and deletes the run's running Jobs. It works without
// any memory of the run (after a restart) from the Jobs recorded in run.Recorded.
func (e *Engine) Cancel(ctx context.Context, run *engine.Run) error {
	key := keyOf(run)
	e.mu.Lock()
	s := e.runs[key]
	if s == nil {
		// Remember the cancel so that a late Sync does not start the run again.
		s = newRunState(key, run, nil, e.now())
		s.ctx, s.cancel = context.WithCancel(e.base)
		e.runs[key] = s
	}
	e.mu.Unlock()

	s.mu.Lock()
	s.canceled = true
	s.cancel()
	e.endApprovalsLocked(s, nil, v1alpha1.ActionCanceled, msgCanceled)
	jobs := s.runningJobsLocked()
	sa := s.serviceAccount
	e.scheduleLocked(s)
	s.mu.Unlock()

	if sa.Name == "" {
		sa = e.serviceAccountOf(ctx, run)
	}
	var firstErr error
	for _, ref := range jobs {
		if err := e.deleteJob(ctx, sa, ref); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

// evictFinishedLocked forgets runs that ended a while ago: by then the reconciler has recorded them.
func (e *Engine) evictFinishedLocked() {
	cutoff := e.opts.Now().Add(-finishedRetention)
	for k, s := range e.runs {
		if s.isFinishedBefore(cutoff) {
			delete(e.runs, k)
		}
	}
}

// finishedRetention is how long a finished run stays in memory (a later Sync must not rebuild it from a
// status that was not yet written).
const finishedRetention = 10 * time.Minute

// cannotBuild reports a run whose IR cannot be built. A run that was already going (its DRWorkflow deleted
// or changed after a restart) fails with what it had.
func (e *Engine) cannotBuild(run *engine.Run, err error) engine.RunStatus {
	now := e.now()
	st := engine.RunStatus{Phase: v1alpha1.ExecutionFailed, Message: "building the run: " + err.Error(), CompletionTime: &now}
	if rec := run.Recorded; rec != nil {
		for i := range rec.ActionStatuses {
			a := *rec.ActionStatuses[i].DeepCopy()
			if !a.Phase.IsTerminal() {
				a.Phase, a.Message = v1alpha1.ActionCanceled, "the run could not be rebuilt"
			}
			st.Actions = append(st.Actions, a)
		}
	}
	return st
}

func recordedRunning(run *engine.Run) bool {
	return run.Recorded != nil && run.Recorded.Phase == v1alpha1.ExecutionRunning
}
