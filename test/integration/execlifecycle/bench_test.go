package execlifecycle

import (
	"context"
	"fmt"
	"math"
	"sort"
	"sync"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/argoexec"
	"github.com/drplan/drplan-operator/internal/controller"
	"github.com/drplan/drplan-operator/test/testenv"
)

type transitionKey struct {
	workflow, action string
	phase            drv1.ActionPhase
}

// recorder pairs node changes written by the Argo stand-in with the first execution status that shows them.
type recorder struct {
	mu        sync.Mutex
	last      map[string]map[string]drv1.ActionPhase // workflow -> action -> phase as written
	written   map[transitionKey]time.Time
	seen      map[transitionKey]time.Time
	wfWrites  map[string]int // workflow -> status writes by the stand-in
	exUpdates map[string]int // execution -> watch events (API writes on it)
}

func newRecorder() *recorder {
	return &recorder{last: map[string]map[string]drv1.ActionPhase{}, written: map[transitionKey]time.Time{},
		seen: map[transitionKey]time.Time{}, wfWrites: map[string]int{}, exUpdates: map[string]int{}}
}

func (r *recorder) onWorkflowWrite(wf *wfv1.Workflow) {
	now := time.Now()
	actions, err := argoexec.ActionStatuses(wf)
	if err != nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.wfWrites[wf.Name]++
	prev := r.last[wf.Namespace+"/"+wf.Name]
	if prev == nil {
		prev = map[string]drv1.ActionPhase{}
		r.last[wf.Namespace+"/"+wf.Name] = prev
	}
	for _, a := range actions {
		if prev[a.Name] != a.Phase {
			prev[a.Name] = a.Phase
			k := transitionKey{wf.Namespace + "/" + wf.Name, a.Name, a.Phase}
			if _, ok := r.written[k]; !ok {
				r.written[k] = now
			}
		}
	}
}

func (r *recorder) onExecution(ex *drv1.DRPlanExecution) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.exUpdates[ex.Name]++
	for _, st := range ex.Status.StageStatuses {
		for _, e := range st.WorkflowExecutions {
			if e.ArgoWorkflow == nil {
				continue
			}
			for _, a := range e.ActionStatuses {
				k := transitionKey{ex.Namespace + "/" + e.ArgoWorkflow.Name, a.Name, a.Phase}
				if _, ok := r.seen[k]; !ok {
					r.seen[k] = now
				}
			}
		}
	}
}

// latencies returns node-change -> status latencies, and how many node changes never showed because a later
// change of the same action reached status first (coalesced).
func (r *recorder) latencies() ([]time.Duration, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []time.Duration
	coalesced := 0
	for k, t0 := range r.written {
		if k.phase == drv1.ActionPending {
			continue
		}
		t1, ok := r.seen[k]
		if !ok {
			coalesced++
			continue
		}
		d := t1.Sub(t0)
		if d < 0 {
			d = 0 // the status showed it before the stand-in's Update call returned
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, coalesced
}

// slowest lists the slowest node changes by action and phase, to show where a tail comes from.
func (r *recorder) slowest(n int) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	type item struct {
		k transitionKey
		d time.Duration
	}
	var items []item
	for k, t0 := range r.written {
		if t1, ok := r.seen[k]; ok {
			items = append(items, item{k, t1.Sub(t0)})
		}
	}
	sort.Slice(items, func(i, j int) bool { return items[i].d > items[j].d })
	byKind := map[string]int{}
	for i := 0; i < len(items) && i < n; i++ {
		byKind[items[i].k.action+"->"+string(items[i].k.phase)]++
	}
	return fmt.Sprint(byKind)
}

// histogramQuantile estimates quantile q of a histogram of controller-runtime's metrics registry whose
// labels include label=value (upper bound of the bucket that holds it), and returns the sample count.
func histogramQuantile(name, label, value string, q float64) (float64, uint64) {
	families, err := crmetrics.Registry.Gather()
	if err != nil {
		return 0, 0
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			match := false
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					match = true
				}
			}
			h := m.GetHistogram()
			if !match || h == nil || h.GetSampleCount() == 0 {
				continue
			}
			want := uint64(math.Ceil(q * float64(h.GetSampleCount())))
			for _, b := range h.GetBucket() {
				if b.GetCumulativeCount() >= want {
					return b.GetUpperBound(), h.GetSampleCount()
				}
			}
			return math.Inf(1), h.GetSampleCount()
		}
	}
	return 0, 0
}

func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	i := int(float64(len(d)-1) * p)
	return d[i]
}

// BenchmarkExecutionsConcurrent runs 100 executions of a three-action plan at once (one per plan) through
// the execution reconciler and the Argo stand-in, per iteration; BenchmarkExecutionLatency runs 20 of them one
// after another. Both report: node change -> execution status latency (p50, p99), API writes per execution by
// the reconciler (status, finalizer, plan lock) against Workflow status writes (node transitions) per
// execution, and failures (must be 0). Run them with
//
//	go test ./test/integration/execlifecycle -run '^$' -bench . -benchtime 1x
func BenchmarkExecutionsConcurrent(b *testing.B) { benchExecutions(b, 100, 1) }

func BenchmarkExecutionLatency(b *testing.B) { benchExecutions(b, 1, 20) }

func benchExecutions(b *testing.B, concurrency, rounds int) {
	if err := startEnv(); err != nil {
		b.Fatal(err)
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{Scheme: controller.NewScheme(), Metrics: metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0", Controller: config.Controller{SkipNameValidation: ptr.To(true)}})
	if err != nil {
		b.Fatal(err)
	}
	engines, err := testenv.Engines(mgr, controller.ExecutorAuto)
	if err != nil {
		b.Fatal(err)
	}
	rec, err := controller.NewExecutionReconciler(mgr, controller.Options{Engines: engines})
	if err != nil {
		b.Fatal(err)
	}
	if err := rec.SetupWithManager(mgr); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(envCtx)
	defer cancel()
	go func() { _ = mgr.Start(ctx) }()
	mgr.GetCache().WaitForCacheSync(ctx)
	argo.SetScript(nil)

	r := newRecorder()
	argo.SetOnWrite(r.onWorkflowWrite)
	defer argo.SetOnWrite(nil)
	standInWrites0 := argo.Writes.Load()
	writes0 := rec.Writes()

	failures := 0
	start := time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k := 0; k < rounds; k++ {
			ns := fmt.Sprintf("bench-%d-%d-%d-%d", concurrency, time.Now().UnixNano()%100000, i, k)
			failures += runBatch(b, ctx, r, ns, concurrency)
		}
	}
	b.StopTimer()
	elapsed := time.Since(start)

	n := b.N * concurrency * rounds
	lat, coalesced := r.latencies()
	writes := float64(rec.Writes()-writes0) / float64(n)
	wfWrites := float64(argo.Writes.Load()-standInWrites0) / float64(n)
	b.ReportMetric(float64(pct(lat, 0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(pct(lat, 0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(writes, "writes/exec")
	b.ReportMetric(wfWrites, "wf-writes/exec")
	b.ReportMetric(float64(failures), "failures")
	qwait, reconciles := histogramQuantile("workqueue_queue_duration_seconds", "name", "drplanexecution", 0.99)
	rtime, _ := histogramQuantile("controller_runtime_reconcile_time_seconds", "controller", "drplanexecution", 0.99)
	b.Logf("process totals: %d reconciles, p99 wait in the work queue <= %gs, p99 reconcile time <= %gs", reconciles, qwait, rtime)
	b.Logf("%d executions (%d at once): %d node changes measured, %d coalesced; latency p50 %v p90 %v p99 %v max %v; "+
		"reconciler writes/exec %.2f (status + finalizer + plan lock), Workflow status writes/exec %.2f; failures %d; %.1fs in all; "+
		"slowest 5%% by action->phase: %s",
		n, concurrency, len(lat), coalesced, pct(lat, 0.5), pct(lat, 0.9), pct(lat, 0.99), pct(lat, 1), writes, wfWrites, failures, elapsed.Seconds(), r.slowest(len(lat)/20))
}

// runBatch creates benchConcurrency plans and one execution each, waits until all finished, and returns how
// many did not succeed with every action right.
func runBatch(b *testing.B, ctx context.Context, r *recorder, ns string, benchConcurrency int) int {
	if err := k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		b.Fatal(err)
	}
	w, err := k8sClient.Watch(ctx, &drv1.DRPlanExecutionList{}, client.InNamespace(ns))
	if err != nil {
		b.Fatal(err)
	}
	defer w.Stop()
	// Status changes are timed as they arrive, by their own goroutine: the creates below must not delay them.
	type done struct {
		final map[string]*drv1.DRPlanExecution
		err   string
	}
	result := make(chan done, 1)
	go func() {
		final := map[string]*drv1.DRPlanExecution{}
		deadline := time.After(5 * time.Minute)
		for len(final) < benchConcurrency {
			select {
			case ev, ok := <-w.ResultChan():
				if !ok {
					result <- done{err: "watch closed"}
					return
				}
				if ev.Type != watch.Modified && ev.Type != watch.Added {
					continue
				}
				ex := ev.Object.(*drv1.DRPlanExecution)
				r.onExecution(ex)
				if ex.Status.Phase.IsTerminal() {
					final[ex.Name] = ex
				}
			case <-deadline:
				result <- done{err: fmt.Sprintf("only %d of %d executions finished in 5m", len(final), benchConcurrency)}
				return
			}
		}
		result <- done{final: final}
	}()
	for i := 0; i < benchConcurrency; i++ {
		plan := fmt.Sprintf("p%d", i)
		wf, p := oneStagePlan(ns, plan, drv1.ExecutorArgo, httpAction("notify"), httpAction("shift"), httpAction("verify"))
		if err := k8sClient.Create(ctx, wf); err != nil {
			b.Fatal(err)
		}
		if err := k8sClient.Create(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < benchConcurrency; i++ {
		if err := k8sClient.Create(ctx, executeRequest(ns, fmt.Sprintf("run%d", i), fmt.Sprintf("p%d", i))); err != nil {
			b.Fatal(err)
		}
	}
	res := <-result
	if res.err != "" {
		b.Fatal(res.err)
	}
	final := res.final
	failures := 0
	for _, ex := range final {
		ok := ex.Status.Phase == drv1.ExecutionSucceeded && ex.Status.Progress == "3/3" && ex.Status.Summary != nil &&
			ex.Status.Summary.Succeeded == 3 && ex.Status.CompletionTime != nil
		if !ok {
			failures++
			b.Logf("execution %s: %s %s %s", ex.Name, ex.Status.Phase, ex.Status.Progress, ex.Status.Message)
		}
	}
	return failures
}
