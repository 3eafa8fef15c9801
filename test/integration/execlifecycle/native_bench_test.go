package execlifecycle

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/internal/controller"
	"github.com/drplan/drplan-operator/test/testenv"
)

// The native engine benchmarks run the operator's execution reconciler (controller.NewExecutionReconciler on
// testenv.Engines, the engines as the manager builds them: completions reach the reconciler through the
// native engine's Source, Jobs are watched through the manager's cache) against this package's envtest control plane. Every workflow sets
// spec.executor.type Native. The manager uses envtest's admin rest.Config, so the engine can impersonate the
// executor ServiceAccount (drplan-executor) of each namespace; each namespace gets that ServiceAccount and a
// Role with only what its actions need (Jobs, or ConfigMaps), as an installation would.
//
//	go test ./test/integration/execlifecycle -run '^$' -bench Native -benchtime 1x

// BenchmarkNativeExecutionsConcurrent starts 100 executions at once, one per plan, each running a native
// workflow of three actions in sequence (HTTP POST against a local httptest server answering after 50ms,
// Create of a ConfigMap as the executor ServiceAccount, HTTP POST again), and waits until all have ended. It
// reports the operator's memory while they run: the peak of the Go heap in use and of the process RSS
// (runtime.ReadMemStats and /proc/self/status VmRSS sampled every 20ms), VmHWM at the end (the peak RSS of the
// whole process life, envtest's clients included; kube-apiserver and etcd are separate processes), and
// failures (executions not Succeeded with 3/3 actions Succeeded; must be 0).
//
// It is declared first so that, under -bench Native, VmHWM is not raised by the other benchmarks.
func BenchmarkNativeExecutionsConcurrent(b *testing.B) {
	const concurrency = 100
	if err := startEnv(); err != nil {
		b.Fatal(err)
	}
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		time.Sleep(50 * time.Millisecond)
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	ctx, stop := startNativeReconciler(b)
	defer stop()

	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	baseRSS := procStatusKB("VmRSS")
	sampler := startMemSampler(20 * time.Millisecond)

	failures, n := 0, 0
	var wall time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ns := fmt.Sprintf("native-mem-%d-%d", time.Now().UnixNano()%100000, i)
		createNamespace(b, ctx, ns, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps"},
			Verbs: []string{"get", "create", "delete"}})
		nr := watchNative(b, ctx, ns)
		began := time.Now()
		for p := 0; p < concurrency; p++ {
			plan := fmt.Sprintf("p%d", p)
			createNativePlan(b, ctx, ns, plan,
				drv1.Action{Name: "notify", ActionBody: drv1.ActionBody{Type: drv1.ActionTypeHTTP,
					HTTP: &drv1.HTTPAction{URL: srv.URL + "/notify", Method: http.MethodPost, Body: `{"plan":"{{ .planName }}"}`}}},
				drv1.Action{Name: "record", ActionBody: drv1.ActionBody{Type: drv1.ActionTypeKubernetesResource,
					Resource: &drv1.ResourceAction{Operation: drv1.OperationCreate, Manifest: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n" +
						"  name: \"cm-{{ .planName }}\"\n  namespace: " + ns + "\ndata:\n  plan: \"{{ .planName }}\"\n"}}},
				drv1.Action{Name: "verify", ActionBody: drv1.ActionBody{Type: drv1.ActionTypeHTTP,
					HTTP: &drv1.HTTPAction{URL: srv.URL + "/verify", Method: http.MethodPost}}})
		}
		for p := 0; p < concurrency; p++ {
			createNativeExecution(b, ctx, ns, fmt.Sprintf("run%d", p), fmt.Sprintf("p%d", p))
		}
		final := nr.waitFinal(b, concurrency, 5*time.Minute)
		wall += time.Since(began)
		nr.stop()
		n += concurrency
		for _, ex := range final {
			if !nativeSucceeded(ex, 3) {
				failures++
				b.Logf("execution %s: %s %s %s", ex.Name, ex.Status.Phase, ex.Status.Progress, ex.Status.Message)
			}
		}
		cms := &corev1.ConfigMapList{}
		if err := k8sClient.List(ctx, cms, client.InNamespace(ns)); err != nil {
			b.Fatal(err)
		}
		created := 0
		for _, cm := range cms.Items {
			if strings.HasPrefix(cm.Name, "cm-p") {
				created++
			}
		}
		if created != concurrency {
			failures++
			b.Logf("%d ConfigMaps created, want %d", created, concurrency)
		}
	}
	b.StopTimer()
	peak := sampler.stop()
	hwm := procStatusKB("VmHWM")
	mb := func(bytes uint64) float64 { return float64(bytes) / (1 << 20) }
	b.ReportMetric(mb(peak.heapInuse), "peak-heap-inuse-MB")
	b.ReportMetric(mb(peak.heapInuse-min(peak.heapInuse, base.HeapInuse)), "heap-growth-MB")
	b.ReportMetric(float64(peak.rssKB)/1024, "peak-rss-MB")
	b.ReportMetric(float64(hwm)/1024, "VmHWM-MB")
	b.ReportMetric(float64(failures), "failures")
	b.ReportMetric(wall.Seconds()/float64(b.N), "wall-s")
	b.Logf("%d native executions (%d at once, 3 actions each, %d HTTP calls served): wall %.1fs per batch; failures %d; "+
		"heap in use %.1f MB before, peak %.1f MB (peak heap alloc %.1f MB, peak Go Sys %.1f MB, %d samples); "+
		"RSS %.1f MB before, peak %.1f MB; VmHWM %.1f MB; max goroutines %d",
		n, concurrency, calls.Load(), wall.Seconds()/float64(b.N), failures, mb(base.HeapInuse), mb(peak.heapInuse),
		mb(peak.heapAlloc), mb(peak.sys), peak.samples, float64(baseRSS)/1024, float64(peak.rssKB)/1024, float64(hwm)/1024, peak.goroutines)
}

// BenchmarkNativeJobLatency runs 25 executions one after another, each a native workflow of two Job actions
// in sequence, and measures Job status change -> execution status latency: from the moment the benchmark
// starts writing a Job's status subresource (Succeeded: 1) to the first DRPlanExecution watch event whose
// status.stageStatuses[].workflowExecutions[].actionStatuses shows the action Succeeded. envtest runs no Job
// controller (no kube-controller-manager, no kubelet): the benchmark plays it and writes the Job status
// itself, after the execution status shows the action Running with its jobRef and 100ms more (a Job that
// runs a little while). The latency therefore covers the status write, the engine's Job informer (manager
// cache), the engine's notification, the reconcile and the status patch, and the watch delivering it.
// BenchmarkNativeJobLatencyConcurrent does the same for 50 executions at once, completing their Jobs in a
// burst.
func BenchmarkNativeJobLatency(b *testing.B) { benchNativeJobs(b, 1, 25, 2) }

func BenchmarkNativeJobLatencyConcurrent(b *testing.B) { benchNativeJobs(b, 50, 1, 2) }

func benchNativeJobs(b *testing.B, concurrency, rounds, jobs int) {
	if err := startEnv(); err != nil {
		b.Fatal(err)
	}
	ctx, stop := startNativeReconciler(b)
	defer stop()

	var lat, writeRTT []time.Duration
	failures := 0
	start := time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k := 0; k < rounds; k++ {
			ns := fmt.Sprintf("native-job-%d-%d-%d-%d", concurrency, time.Now().UnixNano()%100000, i, k)
			createNamespace(b, ctx, ns, rbacv1.PolicyRule{APIGroups: []string{"batch"}, Resources: []string{"jobs"},
				Verbs: []string{"get", "create", "delete"}})
			nr := watchNative(b, ctx, ns)
			var actions []drv1.Action
			for j := 0; j < jobs; j++ {
				actions = append(actions, benchJob(fmt.Sprintf("job%d", j), ns))
			}
			var execs []string
			for p := 0; p < concurrency; p++ {
				createNativePlan(b, ctx, ns, fmt.Sprintf("p%d", p), actions...)
			}
			for p := 0; p < concurrency; p++ {
				execs = append(execs, fmt.Sprintf("run%d", p))
				createNativeExecution(b, ctx, ns, execs[p], fmt.Sprintf("p%d", p))
			}
			for j := 0; j < jobs; j++ {
				action := fmt.Sprintf("job%d", j)
				refs := nr.waitJobsRunning(b, execs, action, 2*time.Minute)
				time.Sleep(100 * time.Millisecond)
				written := map[string]time.Time{}
				for _, ex := range execs {
					t0, rtt := completeJob(b, ctx, refs[ex])
					written[ex] = t0
					writeRTT = append(writeRTT, rtt)
				}
				seen := nr.waitPhase(b, execs, action, drv1.ActionSucceeded, 2*time.Minute)
				for _, ex := range execs {
					d := seen[ex].Sub(written[ex])
					if d < 0 {
						d = 0
					}
					lat = append(lat, d)
				}
			}
			final := nr.waitFinal(b, concurrency, 2*time.Minute)
			nr.stop()
			for _, ex := range final {
				if !nativeSucceeded(ex, int32(jobs)) {
					failures++
					b.Logf("execution %s: %s %s %s", ex.Name, ex.Status.Phase, ex.Status.Progress, ex.Status.Message)
				}
			}
		}
	}
	b.StopTimer()
	sortDurations(lat)
	sortDurations(writeRTT)
	b.ReportMetric(float64(pct(lat, 0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(pct(lat, 0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(pct(lat, 1).Microseconds())/1000, "max-ms")
	b.ReportMetric(float64(failures), "failures")
	b.Logf("%d executions (%d at once) x %d Jobs: %d Job completions measured; Job status write -> execution status "+
		"latency p50 %v p90 %v p99 %v max %v (of which the status write itself: p50 %v p99 %v); failures %d; %.1fs in all",
		b.N*concurrency*rounds, concurrency, jobs, len(lat), pct(lat, 0.5), pct(lat, 0.9), pct(lat, 0.99), pct(lat, 1),
		pct(writeRTT, 0.5), pct(writeRTT, 0.99), failures, time.Since(start).Seconds())
}

// BenchmarkNativeHTTPDAG runs the DAG of nativeexec's BenchmarkHTTPDAG through the operator: 200 HTTP actions in
// 10 layers of width 20, every action depending on the whole previous layer, against a local httptest server
// answering after 10ms; 5 executions of one plan one after another per iteration. Where the nativeexec
// benchmark drives the engine alone, here the execution reconciler drives it and writes the execution's status
// to a real API server while the DAG runs (both share the machine's CPU with the engine). It reports:
//
//   - dag-x-critical-path: the DAG's wall time, from the first request of layer 0 arriving at the server to the
//     last response of layer 9 (both timed in the handler), against the nominal critical path (10 x 10ms);
//   - dag-x-measured-critical-path: the same against the sum over the layers of the slowest response of the
//     layer (the sleep and how late the handler wakes on a busy machine);
//   - end-to-end-ms: from creating the DRPlanExecution to the watch event that shows it Succeeded (the plan
//     lock, the first reconciles and the last status write included), split into start-ms (creation to the
//     first request at the server) and finish-ms (last response to that watch event);
//   - writes/exec: the execution's Modified watch events (status and metadata writes).
func BenchmarkNativeHTTPDAG(b *testing.B) {
	const layers, width, latency, rounds = 10, 20, 10 * time.Millisecond, 5
	if err := startEnv(); err != nil {
		b.Fatal(err)
	}
	type span struct{ first, last time.Time }
	var mu sync.Mutex
	var dag span                             // of the current execution
	slowest := make([]time.Duration, layers) // per layer, of the current execution
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		began := time.Now()
		time.Sleep(latency)
		ended := time.Now()
		var l, wi int
		if _, err := fmt.Sscanf(r.URL.Path, "/l%d-w%d", &l, &wi); err != nil || l < 0 || l >= layers {
			http.Error(w, "unknown action", http.StatusNotFound)
			return
		}
		mu.Lock()
		if dag.first.IsZero() || began.Before(dag.first) {
			dag.first = began
		}
		if ended.After(dag.last) {
			dag.last = ended
		}
		slowest[l] = max(slowest[l], ended.Sub(began))
		mu.Unlock()
	}))
	defer srv.Close()
	var actions []drv1.Action
	for l := range layers {
		for wi := range width {
			name := fmt.Sprintf("l%d-w%d", l, wi)
			a := drv1.Action{Name: name, ActionBody: drv1.ActionBody{Type: drv1.ActionTypeHTTP,
				HTTP: &drv1.HTTPAction{URL: srv.URL + "/" + name, Method: http.MethodPost}}}
			if l > 0 {
				for p := range width {
					a.DependsOn = append(a.DependsOn, fmt.Sprintf("l%d-w%d", l-1, p))
				}
			}
			actions = append(actions, a)
		}
	}
	ctx, stop := startNativeReconciler(b)
	defer stop()

	var dagWall, measured, endToEnd, startLag, finishLag time.Duration
	writes, n, failures := 0, 0, 0
	var perRun []string
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ns := fmt.Sprintf("native-dag-%d-%d", time.Now().UnixNano()%100000, i)
		createNamespace(b, ctx, ns)
		nr := watchNative(b, ctx, ns)
		createNativePlan(b, ctx, ns, "dag", actions...)
		for k := 0; k < rounds; k++ {
			mu.Lock()
			dag = span{}
			clear(slowest)
			mu.Unlock()
			name := fmt.Sprintf("run%d", k)
			began := time.Now()
			createNativeExecution(b, ctx, ns, name, "dag")
			final := nr.waitFinal(b, k+1, 2*time.Minute)
			ex := final[name]
			if ex == nil {
				b.Fatalf("execution %s did not end", name)
			}
			nr.mu.Lock()
			ended := nr.endedAt[name]
			writes += nr.modified[name]
			nr.mu.Unlock()
			n++
			if !nativeSucceeded(ex, layers*width) {
				failures++
				b.Logf("execution %s: %s %s %s", ex.Name, ex.Status.Phase, ex.Status.Progress, ex.Status.Message)
				continue
			}
			mu.Lock()
			w := dag.last.Sub(dag.first)
			startLag += dag.first.Sub(began)
			finishLag += ended.Sub(dag.last)
			var m time.Duration
			for _, d := range slowest {
				m += d
			}
			mu.Unlock()
			dagWall += w
			measured += m
			endToEnd += ended.Sub(began)
			perRun = append(perRun, fmt.Sprintf("%.0fms (%.2fx, %.2fx measured)", float64(w.Microseconds())/1000,
				float64(w)/float64(layers*latency), float64(w)/float64(m)))
		}
		nr.stop()
	}
	b.StopTimer()
	ok := n - failures
	if ok == 0 {
		b.Fatalf("no execution succeeded")
	}
	critical := time.Duration(layers) * latency
	b.ReportMetric(float64(dagWall.Microseconds())/1000/float64(ok), "dag-ms")
	b.ReportMetric(float64(dagWall)/float64(ok)/float64(critical), "dag-x-critical-path")
	b.ReportMetric(float64(dagWall)/float64(measured), "dag-x-measured-critical-path")
	b.ReportMetric(float64(endToEnd.Microseconds())/1000/float64(ok), "end-to-end-ms")
	b.ReportMetric(float64(startLag.Microseconds())/1000/float64(ok), "start-ms")
	b.ReportMetric(float64(finishLag.Microseconds())/1000/float64(ok), "finish-ms")
	b.ReportMetric(float64(writes)/float64(n), "writes/exec")
	b.ReportMetric(float64(failures), "failures")
	b.Logf("%d executions of a 200-action HTTP DAG (10 layers of 20, 10ms responses): DAG wall per run %s; "+
		"mean DAG wall %.1fms against a measured critical path of %.1fms; end to end %.1fms; %.1f execution writes each; failures %d",
		n, strings.Join(perRun, ", "), float64(dagWall.Microseconds())/1000/float64(ok),
		float64(measured.Microseconds())/1000/float64(ok), float64(endToEnd.Microseconds())/1000/float64(ok), float64(writes)/float64(n), failures)
}

// startNativeReconciler starts a manager with the execution reconciler only (native engine included) and
// returns a context that ends with it.
func startNativeReconciler(b *testing.B) (context.Context, func()) {
	b.Helper()
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{Scheme: controller.NewScheme(), Metrics: metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0", Controller: config.Controller{SkipNameValidation: ptr.To(true)}})
	if err != nil {
		b.Fatal(err)
	}
	engines, err := testenv.Engines(mgr, controller.ExecutorNativeDefault)
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
	done := make(chan struct{})
	go func() { defer close(done); _ = mgr.Start(ctx) }()
	mgr.GetCache().WaitForCacheSync(ctx)
	return ctx, func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
		}
	}
}

// createNamespace creates ns with the executor ServiceAccount and a Role of rules bound to it.
func createNamespace(b *testing.B, ctx context.Context, ns string, rules ...rbacv1.PolicyRule) {
	b.Helper()
	sa := drv1.DefaultExecutorServiceAccount
	for _, obj := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa, Namespace: ns}},
		&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: sa, Namespace: ns}, Rules: rules},
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: sa, Namespace: ns},
			RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: sa},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: sa, Namespace: ns}}},
	} {
		if err := k8sClient.Create(ctx, obj); err != nil {
			b.Fatal(err)
		}
	}
}

func createNativePlan(b *testing.B, ctx context.Context, ns, plan string, actions ...drv1.Action) {
	b.Helper()
	wf, p := oneStagePlan(ns, plan, drv1.ExecutorNative, actions...)
	if err := k8sClient.Create(ctx, wf); err != nil {
		b.Fatal(err)
	}
	if err := k8sClient.Create(ctx, p); err != nil {
		b.Fatal(err)
	}
}

func createNativeExecution(b *testing.B, ctx context.Context, ns, name, plan string) {
	b.Helper()
	if err := k8sClient.Create(ctx, executeRequest(ns, name, plan)); err != nil {
		b.Fatal(err)
	}
}

func benchJob(name, ns string) drv1.Action {
	spec := `{"backoffLimit":1,"template":{"spec":{"containers":[{"name":"check","image":"busybox","command":["true"]}]}}}`
	return drv1.Action{Name: name, ActionBody: drv1.ActionBody{Type: drv1.ActionTypeJob, Timeout: &metav1.Duration{Duration: 5 * time.Minute},
		Job: &drv1.JobAction{Namespace: ns, Template: drv1.JobTemplate{Spec: k8sruntime.RawExtension{Raw: []byte(spec)}}}}}
}

// completeJob plays the Job controller: it writes Succeeded: 1 to the Job's status subresource. It returns
// when the write started (after reading the Job) and how long the write took.
func completeJob(b *testing.B, ctx context.Context, ref drv1.ResourceRef) (time.Time, time.Duration) {
	b.Helper()
	for attempt := 0; ; attempt++ {
		job := &batchv1.Job{}
		if err := k8sClient.Get(ctx, types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}, job); err != nil {
			b.Fatal(err)
		}
		now := metav1.Now()
		if job.Status.StartTime == nil {
			job.Status.StartTime = &now
		}
		job.Status.Succeeded = 1
		t0 := time.Now()
		err := k8sClient.Status().Update(ctx, job)
		if err == nil {
			return t0, time.Since(t0)
		}
		if attempt == 5 {
			b.Fatalf("writing the status of Job %s/%s: %v", ref.Namespace, ref.Name, err)
		}
	}
}

type nativeKey struct{ execution, action string }

// nativeRecorder times, on its own goroutine, the first watch event of each execution that shows an action in
// a phase, and keeps the executions that ended.
type nativeRecorder struct {
	w     watch.Interface
	mu    sync.Mutex
	seen  map[nativeKey]map[drv1.ActionPhase]time.Time
	jobs  map[nativeKey]drv1.ResourceRef
	final map[string]*drv1.DRPlanExecution
	// endedAt is when the first event showing each execution ended arrived; modified counts its Modified events.
	endedAt  map[string]time.Time
	modified map[string]int
	changed  chan struct{}
	closed   chan struct{}
}

func watchNative(b *testing.B, ctx context.Context, ns string) *nativeRecorder {
	b.Helper()
	w, err := k8sClient.Watch(ctx, &drv1.DRPlanExecutionList{}, client.InNamespace(ns))
	if err != nil {
		b.Fatal(err)
	}
	r := &nativeRecorder{w: w, seen: map[nativeKey]map[drv1.ActionPhase]time.Time{}, jobs: map[nativeKey]drv1.ResourceRef{},
		final: map[string]*drv1.DRPlanExecution{}, endedAt: map[string]time.Time{}, modified: map[string]int{},
		changed: make(chan struct{}, 1), closed: make(chan struct{})}
	go func() {
		defer close(r.closed)
		for ev := range w.ResultChan() {
			if ev.Type != watch.Modified && ev.Type != watch.Added {
				continue
			}
			if ex, ok := ev.Object.(*drv1.DRPlanExecution); ok {
				if ev.Type == watch.Modified {
					r.mu.Lock()
					r.modified[ex.Name]++
					r.mu.Unlock()
				}
				r.record(ex, time.Now())
			}
		}
	}()
	return r
}

func (r *nativeRecorder) record(ex *drv1.DRPlanExecution, now time.Time) {
	r.mu.Lock()
	for _, st := range ex.Status.StageStatuses {
		for _, e := range st.WorkflowExecutions {
			if e.Engine != drv1.ExecutorNative {
				continue
			}
			for _, a := range e.ActionStatuses {
				k := nativeKey{ex.Name, a.Name}
				if r.seen[k] == nil {
					r.seen[k] = map[drv1.ActionPhase]time.Time{}
				}
				if _, ok := r.seen[k][a.Phase]; !ok {
					r.seen[k][a.Phase] = now
				}
				if a.Outputs != nil && a.Outputs.JobRef != nil {
					r.jobs[k] = *a.Outputs.JobRef
				}
			}
		}
	}
	if ex.Status.Phase.IsTerminal() {
		if r.final[ex.Name] == nil {
			r.endedAt[ex.Name] = now
		}
		r.final[ex.Name] = ex
	}
	r.mu.Unlock()
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

func (r *nativeRecorder) stop() {
	r.w.Stop()
	<-r.closed
}

// waitUntil calls cond under the lock whenever the recorder saw a change, until it returns true.
func (r *nativeRecorder) waitUntil(b *testing.B, timeout time.Duration, what string, cond func() bool) {
	b.Helper()
	deadline := time.After(timeout)
	for {
		r.mu.Lock()
		ok := cond()
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-r.changed:
		case <-r.closed:
			b.Fatalf("watch closed while waiting for %s", what)
		case <-deadline:
			b.Fatalf("%s: not within %v", what, timeout)
		}
	}
}

// waitJobsRunning waits until every execution shows action Running with its jobRef, and returns the refs.
func (r *nativeRecorder) waitJobsRunning(b *testing.B, execs []string, action string, timeout time.Duration) map[string]drv1.ResourceRef {
	b.Helper()
	refs := map[string]drv1.ResourceRef{}
	r.waitUntil(b, timeout, "Jobs of "+action+" running", func() bool {
		for _, ex := range execs {
			k := nativeKey{ex, action}
			ref, ok := r.jobs[k]
			if _, running := r.seen[k][drv1.ActionRunning]; !ok || !running {
				return false
			}
			refs[ex] = ref
		}
		return true
	})
	return refs
}

// waitPhase waits until every execution showed action in phase, and returns when each first did.
func (r *nativeRecorder) waitPhase(b *testing.B, execs []string, action string, phase drv1.ActionPhase, timeout time.Duration) map[string]time.Time {
	b.Helper()
	at := map[string]time.Time{}
	failed := ""
	r.waitUntil(b, timeout, action+" "+string(phase), func() bool {
		for _, ex := range execs {
			t, ok := r.seen[nativeKey{ex, action}][phase]
			if !ok {
				if f := r.final[ex]; f != nil {
					failed = fmt.Sprintf("execution %s ended %s before %s was %s: %s", ex, f.Status.Phase, action, phase, f.Status.Message)
					return true
				}
				return false
			}
			at[ex] = t
		}
		return true
	})
	if failed != "" {
		b.Fatal(failed)
	}
	return at
}

func (r *nativeRecorder) waitFinal(b *testing.B, n int, timeout time.Duration) map[string]*drv1.DRPlanExecution {
	b.Helper()
	r.waitUntil(b, timeout, fmt.Sprintf("%d executions ended", n), func() bool { return len(r.final) >= n })
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]*drv1.DRPlanExecution{}
	for k, v := range r.final {
		out[k] = v
	}
	return out
}

// nativeSucceeded: the execution Succeeded, every one of its actions Succeeded on the native engine.
func nativeSucceeded(ex *drv1.DRPlanExecution, actions int32) bool {
	if ex.Status.Phase != drv1.ExecutionSucceeded || ex.Status.Summary == nil || ex.Status.Summary.Succeeded != actions ||
		ex.Status.Progress != fmt.Sprintf("%d/%d", actions, actions) || ex.Status.CompletionTime == nil {
		return false
	}
	for _, st := range ex.Status.StageStatuses {
		for _, e := range st.WorkflowExecutions {
			if e.Engine != drv1.ExecutorNative {
				return false
			}
			for _, a := range e.ActionStatuses {
				if a.Phase != drv1.ActionSucceeded {
					return false
				}
			}
		}
	}
	return true
}

func sortDurations(d []time.Duration) { sort.Slice(d, func(i, j int) bool { return d[i] < d[j] }) }

type memPeak struct {
	heapInuse, heapAlloc, sys uint64
	rssKB                     int64
	goroutines, samples       int
}

type memSampler struct {
	done chan struct{}
	out  chan memPeak
}

// startMemSampler samples runtime.ReadMemStats and /proc/self/status VmRSS every interval and keeps the peaks.
func startMemSampler(interval time.Duration) *memSampler {
	s := &memSampler{done: make(chan struct{}), out: make(chan memPeak, 1)}
	go func() {
		var p memPeak
		t := time.NewTicker(interval)
		defer t.Stop()
		sample := func() {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			p.heapInuse = max(p.heapInuse, m.HeapInuse)
			p.heapAlloc = max(p.heapAlloc, m.HeapAlloc)
			p.sys = max(p.sys, m.Sys)
			p.rssKB = max(p.rssKB, procStatusKB("VmRSS"))
			p.goroutines = max(p.goroutines, runtime.NumGoroutine())
			p.samples++
		}
		for {
			sample()
			select {
			case <-t.C:
			case <-s.done:
				sample()
				s.out <- p
				return
			}
		}
	}()
	return s
}

func (s *memSampler) stop() memPeak {
	close(s.done)
	return <-s.out
}

// procStatusKB reads a "kB" field of /proc/self/status (0 where there is none).
func procStatusKB(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		v, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		return v
	}
	return 0
}
