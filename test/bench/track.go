//go:build bench

package main

import (
	"context"
	"encoding/json"
	"log"
	"sync"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/argoexec"
	"github.com/drplan/drplan-operator/test/bench/report"
)

// runLabel marks the ConfigMaps of the resource actions with the run (execution) that created them.
const runLabel = "drplan-bench/run"

// tracker records, from cluster-wide watches, what the figures measure: each run is keyed by its execution's
// name (for a Workflow straight on Argo, the name of the execution it was compiled for), unique in the harness.
type tracker struct {
	mu    sync.Mutex
	runs  map[string]*runTrack
	plans map[string]int // plan name -> Modified events
}

// runTrack is what the watches saw of one run. Times are when the harness received the event.
type runTrack struct {
	// Workflow (Argo): first event, first event with every action ended, first event with its phase completed.
	wfFirst, wfNodesDone, wfDone time.Time
	wfPhase                      wfv1.WorkflowPhase
	wfShown                      map[report.Change]time.Time
	wfBytes                      int
	compressed                   bool
	// Execution: Modified events, first terminal event and its phase, first event showing each change.
	exWrites  int
	exDone    time.Time
	exPhase   drv1.ExecutionPhase
	exMessage string
	exSeen    map[report.Change]time.Time
	exBytes   int
	// Effects: ConfigMaps created (first at cmFirst); HTTP requests are counted by the hook server.
	cmFirst time.Time
	cms     map[string]bool
	cmCount int // len(cms), in snapshots
}

func newTracker() *tracker { return &tracker{runs: map[string]*runTrack{}, plans: map[string]int{}} }

func (t *tracker) run(name string) *runTrack {
	r := t.runs[name]
	if r == nil {
		r = &runTrack{wfShown: map[report.Change]time.Time{}, exSeen: map[report.Change]time.Time{}, cms: map[string]bool{}}
		t.runs[name] = r
	}
	return r
}

// snapshot copies a run's record (the maps too), for reading outside the lock.
func (t *tracker) snapshot(name string) runTrack {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := *t.run(name)
	r.wfShown = copyMap(r.wfShown)
	r.exSeen = copyMap(r.exSeen)
	r.cms = nil // only its size is read
	r.cmCount = len(t.run(name).cms)
	return r
}

func (t *tracker) planWrites(name string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.plans[name]
}

func copyMap(m map[report.Change]time.Time) map[report.Change]time.Time {
	out := make(map[report.Change]time.Time, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (t *tracker) onWorkflow(now time.Time, typ watch.EventType, wf *wfv1.Workflow) {
	run := wf.Labels[drv1.LabelExecution]
	if run == "" || typ == watch.Deleted {
		return
	}
	actions, err := argoexec.ActionStatuses(wf)
	size := jsonSize(wf)
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.run(run)
	if r.wfFirst.IsZero() {
		r.wfFirst = now
	}
	r.wfBytes = max(r.wfBytes, size)
	if wf.Status.CompressedNodes != "" {
		r.compressed = true
	}
	if err == nil {
		ended := len(actions) > 0
		for _, a := range actions {
			k := report.Change{Action: a.Name, Phase: string(a.Phase)}
			if _, ok := r.wfShown[k]; !ok {
				r.wfShown[k] = now
			}
			ended = ended && a.Phase.IsTerminal()
		}
		if ended && r.wfNodesDone.IsZero() {
			r.wfNodesDone = now
		}
	}
	if wf.Status.Phase.Completed() && r.wfDone.IsZero() {
		r.wfDone, r.wfPhase = now, wf.Status.Phase
	}
}

func (t *tracker) onExecution(now time.Time, typ watch.EventType, ex *drv1.DRPlanExecution) {
	size := jsonSize(ex)
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.run(ex.Name)
	if typ == watch.Modified {
		r.exWrites++
	}
	r.exBytes = max(r.exBytes, size)
	for _, st := range ex.Status.StageStatuses {
		for _, w := range st.WorkflowExecutions {
			for _, a := range w.ActionStatuses {
				k := report.Change{Action: a.Name, Phase: string(a.Phase)}
				if _, ok := r.exSeen[k]; !ok {
					r.exSeen[k] = now
				}
			}
		}
	}
	if ex.Status.Phase.IsTerminal() && r.exDone.IsZero() {
		r.exDone, r.exPhase, r.exMessage = now, ex.Status.Phase, ex.Status.Message
	}
}

func (t *tracker) onConfigMap(now time.Time, typ watch.EventType, cm *corev1.ConfigMap) {
	run := cm.Labels[runLabel]
	if run == "" || typ != watch.Added {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.run(run)
	if r.cmFirst.IsZero() {
		r.cmFirst = now
	}
	r.cms[cm.Name] = true // a restarted watch may show it again
}

func (t *tracker) onPlan(typ watch.EventType, p *drv1.DRPlan) {
	if typ != watch.Modified {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.plans[p.Name]++
}

func jsonSize(obj any) int {
	b, err := json.Marshal(obj)
	if err != nil {
		return 0
	}
	return len(b)
}

// watchAll runs the four cluster-wide watches until ctx ends, restarting any the API server closes from the
// last resourceVersion seen (a watch ends after a while by design).
func (t *tracker) watchAll(ctx context.Context, c client.WithWatch) {
	go keepWatching(ctx, c, &wfv1.WorkflowList{}, func(now time.Time, e watch.Event) {
		if wf, ok := e.Object.(*wfv1.Workflow); ok {
			t.onWorkflow(now, e.Type, wf)
		}
	})
	go keepWatching(ctx, c, &drv1.DRPlanExecutionList{}, func(now time.Time, e watch.Event) {
		if ex, ok := e.Object.(*drv1.DRPlanExecution); ok {
			t.onExecution(now, e.Type, ex)
		}
	})
	go keepWatching(ctx, c, &corev1.ConfigMapList{}, func(now time.Time, e watch.Event) {
		if cm, ok := e.Object.(*corev1.ConfigMap); ok {
			t.onConfigMap(now, e.Type, cm)
		}
	})
	go keepWatching(ctx, c, &drv1.DRPlanList{}, func(_ time.Time, e watch.Event) {
		if p, ok := e.Object.(*drv1.DRPlan); ok {
			t.onPlan(e.Type, p)
		}
	})
}

func keepWatching(ctx context.Context, c client.WithWatch, list client.ObjectList, handle func(time.Time, watch.Event)) {
	rv := ""
	for ctx.Err() == nil {
		w, err := c.Watch(ctx, list, &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: rv, AllowWatchBookmarks: true}})
		if err != nil {
			log.Printf("watch %T: %v; retrying", list, err)
			rv = "" // e.g. 410 Gone: start over from now
			time.Sleep(time.Second)
			continue
		}
		for e := range w.ResultChan() {
			now := time.Now()
			if e.Type == watch.Error {
				rv = ""
				break
			}
			if o, ok := e.Object.(client.Object); ok {
				rv = o.GetResourceVersion()
			}
			if e.Type != watch.Bookmark {
				handle(now, e)
			}
		}
		w.Stop()
	}
}
