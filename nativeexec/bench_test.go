package nativeexec

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// BenchmarkHTTPDAG runs a 200-action HTTP DAG of width 20 (10 layers, each action depending on the whole
// previous layer) against a local server answering in 10ms, and reports the wall time of a run against the
// critical path (10 layers x 10ms). The engine is driven as the reconciler drives it.
func BenchmarkHTTPDAG(b *testing.B) {
	const layers, width, latency = 10, 20, 10 * time.Millisecond
	srv := newHookServer(&testing.T{}, nil)
	srv.handlers = map[string]http.HandlerFunc{}
	var actions []v1alpha1.Action
	for l := range layers {
		for w := range width {
			name := fmt.Sprintf("l%d-w%d", l, w)
			srv.handlers["/"+name] = func(http.ResponseWriter, *http.Request) { time.Sleep(latency) }
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
	var total time.Duration
	for b.Loop() {
		run := testRun(testWorkflow("", actions...))
		began := time.Now()
		st := driveToEnd(t, e, run, notified)
		total += time.Since(began)
		if st.Phase != v1alpha1.ExecutionSucceeded {
			b.Fatalf("run ended %s: %s", st.Phase, st.Message)
		}
	}
	critical := time.Duration(layers) * latency
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/run")
	b.ReportMetric(float64(total)/float64(b.N)/float64(critical), "x-critical-path")
}
