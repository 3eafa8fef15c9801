package nativeexec

import (
	"fmt"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// BenchmarkHTTPDAG runs a 200-action HTTP DAG of width 20 (10 layers, each action depending on the whole
// previous layer) against a local server answering in 10ms, and reports the wall time of a run against the
// critical path, two ways:
//
//   - x-critical-path: against the nominal critical path, 10 layers x 10ms;
//   - x-measured-critical-path: against the sum over the layers of the slowest response of the layer, timed
//     in the server's handler (the sleep and how late the handler's goroutine wakes on a busy machine). No
//     engine can end a layer before its slowest response, so what is left over is the engine's own time
//     (and the HTTP round trips on loopback).
//
// cpu-ms/run is the CPU the process spent per run (engine, HTTP client and server together), a figure that
// depends less on the machine's load than wall time. The latency=0 variant has the server answer at once: its
// ms/layer is the engine's cost of ending a layer and starting the next (response, scheduling, 20 new
// requests), the overhead the 10ms variant pays on top of its responses. The engine is driven as the
// reconciler drives it (driveToEnd).
func BenchmarkHTTPDAG(b *testing.B) {
	b.Run("latency=10ms", func(b *testing.B) { benchHTTPDAG(b, 10*time.Millisecond) })
	b.Run("latency=0", func(b *testing.B) { benchHTTPDAG(b, 0) })
}

func benchHTTPDAG(b *testing.B, latency time.Duration) {
	const layers, width = 10, 20
	srv := newHookServer(&testing.T{}, nil)
	srv.handlers = map[string]http.HandlerFunc{}
	var mu sync.Mutex
	slowest := make([]time.Duration, layers) // per layer, in the current run
	var actions []v1alpha1.Action
	for l := range layers {
		for w := range width {
			name := fmt.Sprintf("l%d-w%d", l, w)
			srv.handlers["/"+name] = func(http.ResponseWriter, *http.Request) {
				began := time.Now()
				if latency > 0 {
					time.Sleep(latency)
				}
				d := time.Since(began)
				mu.Lock()
				slowest[l] = max(slowest[l], d)
				mu.Unlock()
			}
			var deps []string
			if l > 0 {
				for p := range width {
					deps = append(deps, fmt.Sprintf("l%d-w%d", l-1, p))
				}
			}
			actions = append(actions, httpAction(name, srv.URL+"/"+name, deps...))
		}
	}
	e, notified := testEngine(&testing.T{})
	t := &testing.T{}
	var total, measured time.Duration
	cpuBefore := cpuTime()
	for b.Loop() {
		mu.Lock()
		clear(slowest)
		mu.Unlock()
		run := testRun(testWorkflow("", actions...))
		began := time.Now()
		st := driveToEnd(t, e, run, notified)
		total += time.Since(began)
		if st.Phase != v1alpha1.ExecutionSucceeded {
			b.Fatalf("run ended %s: %s", st.Phase, st.Message)
		}
		mu.Lock()
		for _, d := range slowest {
			measured += d
		}
		mu.Unlock()
	}
	b.ReportMetric(float64((cpuTime()-cpuBefore).Microseconds())/1000/float64(b.N), "cpu-ms/run")
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/run")
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N*layers), "ms/layer")
	if latency == 0 {
		return
	}
	critical := time.Duration(layers) * latency
	b.ReportMetric(float64(total)/float64(b.N)/float64(critical), "x-critical-path")
	b.ReportMetric(float64(measured.Microseconds())/1000/float64(b.N), "measured-critical-ms/run")
	b.ReportMetric(float64(total)/float64(measured), "x-measured-critical-path")
}

// cpuTime is the CPU time (user and system) the process used so far: the engine's and the local server's,
// less sensitive than wall time to what else runs on the machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
