package nativeexec

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/translator"
)

// jobWatcher wakes the actions waiting on a Job when the manager's informer sees it change: Job actions
// wait on a channel, never in a polling loop.
type jobWatcher struct {
	cache  cache.Cache
	reader client.Reader

	registerMu sync.Mutex
	registered bool

	mu      sync.Mutex
	waiters map[types.NamespacedName]map[chan struct{}]struct{}
}

func newJobWatcher(c cache.Cache, r client.Reader) *jobWatcher {
	return &jobWatcher{cache: c, reader: r, waiters: map[types.NamespacedName]map[chan struct{}]struct{}{}}
}

// ensure registers the event handler on the Job informer once (lazily: the cache is started by then).
func (w *jobWatcher) ensure(ctx context.Context) error {
	w.registerMu.Lock()
	defer w.registerMu.Unlock()
	if w.registered {
		return nil
	}
	if w.cache == nil || w.reader == nil {
		return permanent(fmt.Errorf("the native engine has no cache to watch Jobs through"))
	}
	inf, err := w.cache.GetInformer(ctx, &batchv1.Job{})
	if err != nil {
		return fmt.Errorf("watching Jobs: %w", err)
	}
	if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    w.poke,
		UpdateFunc: func(_, obj any) { w.poke(obj) },
		DeleteFunc: w.poke,
	}); err != nil {
		return fmt.Errorf("watching Jobs: %w", err)
	}
	w.registered = true
	return nil
}

func (w *jobWatcher) poke(obj any) {
	if tomb, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	o, ok := obj.(client.Object)
	if !ok {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for ch := range w.waiters[types.NamespacedName{Namespace: o.GetNamespace(), Name: o.GetName()}] {
		select {
		case ch <- struct{}{}:
		default: // a wake-up is already pending
		}
	}
}

// subscribe returns a channel that receives a value whenever the Job changes.
func (w *jobWatcher) subscribe(key types.NamespacedName) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	w.mu.Lock()
	if w.waiters[key] == nil {
		w.waiters[key] = map[chan struct{}]struct{}{}
	}
	w.waiters[key][ch] = struct{}{}
	w.mu.Unlock()
	return ch, func() {
		w.mu.Lock()
		delete(w.waiters[key], ch)
		if len(w.waiters[key]) == 0 {
			delete(w.waiters, key)
		}
		w.mu.Unlock()
	}
}

// jobAttempt creates the Job of attempt n under its deterministic name (translator.JobAttemptName when the
// action is retried: each attempt its own Job; one that exists with this run's labels is adopted, so a
// restarted operator re-attaches to it), records jobRef at once (a cancel can then find it), and waits for
// the informer to show it Complete or Failed. On timeout the Job is deleted.
func (e *Engine) jobAttempt(runCtx context.Context, s *runState, a *translator.Action, n int32, progress progressFunc) (*v1alpha1.ActionOutputs, error) {
	ctx, cancel := withTimeout(runCtx, a.Timeout)
	defer cancel()
	t, err := e.resolve(s, a.Resource)
	if err != nil {
		return nil, err
	}
	if t.req.PerAttempt {
		t.name = translator.JobAttemptName(t.req.Name, int(n))
	}
	if err := e.jobs.ensure(ctx); err != nil {
		return nil, err
	}
	key := types.NamespacedName{Namespace: t.namespace, Name: t.name}
	wake, unsubscribe := e.jobs.subscribe(key)
	defer unsubscribe()

	manifest := t.object()
	manifest.SetName(t.name)
	obj, err := t.client.Create(ctx, manifest, metav1.CreateOptions{FieldManager: FieldManager})
	if apierrors.IsAlreadyExists(err) {
		obj, err = t.client.Get(ctx, t.name, metav1.GetOptions{})
		if err == nil && !sameRunLabels(obj, t.req.Object) {
			return nil, permanent(fmt.Errorf("job %s exists but was not created by this run (its %s labels differ); refusing to adopt it", key, labelPrefix))
		}
	}
	if err != nil {
		if apierrors.IsInvalid(err) || apierrors.IsBadRequest(err) {
			return nil, permanent(fmt.Errorf("creating Job %s: %w", key, err))
		}
		return nil, timeoutErr(ctx, forbidden(fmt.Errorf("creating Job %s: %w", key, err), t.sa, "create", "Job "+key.String()))
	}
	out := outputsFor(t, obj, true)
	progress(func(st *v1alpha1.ActionStatus) { st.Outputs = out.DeepCopy() })

	seen := false
	for {
		job := &batchv1.Job{}
		err := e.jobs.reader.Get(ctx, key, job)
		switch {
		case err == nil && job.UID == obj.GetUID():
			seen = true
			if done, failure := jobOutcome(job, t.req.JobBackoffLimit); done {
				if failure != "" {
					// Retryable like Argo's attempt: the next attempt creates a Job of its own.
					return out, fmt.Errorf("job %s failed: %s", key, failure)
				}
				return out, nil
			}
		case err == nil || apierrors.IsNotFound(err):
			if seen {
				return out, permanent(fmt.Errorf("job %s was deleted before it completed", key))
			}
			// The cache has not shown our Job yet; its Add event wakes us.
		case ctx.Err() == nil:
			return out, fmt.Errorf("reading Job %s: %w", key, err)
		}
		select {
		case <-wake:
		case <-ctx.Done():
			if runCtx.Err() != nil {
				return out, runCtx.Err() // canceled or the operator stops: Cancel deletes Jobs, a restart re-attaches
			}
			msg := fmt.Sprintf("timed out after %s: job %s did not complete", a.Timeout, key)
			if err := e.deleteJob(context.WithoutCancel(runCtx), s.serviceAccount, *out.JobRef); err != nil {
				msg += "; deleting it failed: " + err.Error()
			} else {
				msg += "; deleted it"
			}
			return out, permanent(fmt.Errorf("%s", msg))
		}
	}
}

// jobOutcome maps a Job's status: Complete (or succeeded > 0) -> done; Failed (or failed > backoffLimit, the
// rule the Argo form uses) -> done with the reason; anything else (active pods, none yet) -> still running.
func jobOutcome(job *batchv1.Job, backoffLimit int32) (done bool, failure string) {
	for _, c := range job.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		switch c.Type {
		case batchv1.JobComplete:
			return true, ""
		case batchv1.JobFailed:
			return true, strings.TrimSpace(c.Reason + ": " + c.Message)
		}
	}
	if job.Status.Succeeded > 0 {
		return true, ""
	}
	if job.Status.Failed > backoffLimit {
		return true, fmt.Sprintf("%d pods failed (backoffLimit %d)", job.Status.Failed, backoffLimit)
	}
	return false, ""
}

const labelPrefix = "dr.bkbcs.tencent.com/"

// sameRunLabels: every label of ours the translator put on the Job is on the existing one with the same value.
func sameRunLabels(existing *unstructured.Unstructured, wanted map[string]any) bool {
	labels, _, _ := unstructured.NestedStringMap(wanted, "metadata", "labels")
	have := existing.GetLabels()
	mine := 0
	for k, v := range labels {
		if !strings.HasPrefix(k, labelPrefix) {
			continue
		}
		mine++
		if have[k] != v {
			return false
		}
	}
	return mine > 0
}

var jobGVR = schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "jobs"}

// deleteJob deletes a Job and, through background propagation, its pods, as the executor ServiceAccount.
// A Job already gone is fine.
func (e *Engine) deleteJob(ctx context.Context, sa serviceAccountRef, ref v1alpha1.ResourceRef) error {
	cl, err := e.clients.forServiceAccount(sa)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	bg := metav1.DeletePropagationBackground
	opts := metav1.DeleteOptions{PropagationPolicy: &bg}
	if ref.UID != "" {
		opts.Preconditions = &metav1.Preconditions{UID: &ref.UID}
	}
	err = cl.Resource(jobGVR).Namespace(ref.Namespace).Delete(ctx, ref.Name, opts)
	if err == nil || apierrors.IsNotFound(err) || apierrors.IsConflict(err) { // Conflict: a different Job now has the name
		return nil
	}
	what := fmt.Sprintf("Job %s/%s", ref.Namespace, ref.Name)
	return forbidden(fmt.Errorf("deleting %s: %w", what, err), sa, "delete", what)
}
