package nativeexec

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/client-go/rest"

	"github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/internal/engine"
)

// testEngine is an engine without an API server: enough for HTTP actions without secret headers.
func testEngine(t *testing.T) (*Engine, <-chan types.NamespacedName) {
	t.Helper()
	notified := make(chan types.NamespacedName, 4096)
	e, err := New(Options{
		Config: &rest.Config{Host: "https://127.0.0.1:1"},
		Notify: func(n types.NamespacedName) {
			select {
			case notified <- n:
			default:
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return e, notified
}

func httpAction(name, url string, deps ...string) v1alpha1.Action {
	return v1alpha1.Action{Name: name, DependsOn: deps, ActionBody: v1alpha1.ActionBody{Type: v1alpha1.ActionTypeHTTP,
		HTTP: &v1alpha1.HTTPAction{URL: url, Method: http.MethodPost, Body: `{"plan":"{{ .planName }}"}`}}}
}

func withRetry(a v1alpha1.Action, limit int32, interval time.Duration) v1alpha1.Action {
	a.RetryPolicy = &v1alpha1.RetryPolicy{Limit: limit, Interval: &metav1.Duration{Duration: interval}, BackoffMultiplier: "2"}
	return a
}

func withTimeoutOf(a v1alpha1.Action, d time.Duration) v1alpha1.Action {
	a.Timeout = &metav1.Duration{Duration: d}
	return a
}

func testWorkflow(policy v1alpha1.WorkflowFailurePolicy, actions ...v1alpha1.Action) *v1alpha1.DRWorkflow {
	return &v1alpha1.DRWorkflow{ObjectMeta: metav1.ObjectMeta{Name: "wf", Namespace: "ns"},
		Spec: v1alpha1.DRWorkflowSpec{FailurePolicy: policy, Actions: actions}}
}

func testRun(wf *v1alpha1.DRWorkflow) *engine.Run {
	ex := &v1alpha1.DRPlanExecution{ObjectMeta: metav1.ObjectMeta{Name: "ex", Namespace: "ns", UID: uuid.NewUUID()},
		Spec: v1alpha1.DRPlanExecutionSpec{PlanRef: "plan", OperationType: v1alpha1.OperationExecute}}
	return &engine.Run{Execution: ex, PlanName: "plan", StageName: "s", Direction: engine.Forward, Workflow: wf}
}

// record stores a status the way the execution reconciler does: what Sync returned becomes run.Recorded.
func record(run *engine.Run, st engine.RunStatus) {
	phase := st.Phase
	if phase == v1alpha1.ExecutionPending {
		phase = v1alpha1.ExecutionRunning
	}
	run.Recorded = &v1alpha1.WorkflowExecutionStatus{Phase: phase, StartTime: st.StartTime, ActionStatuses: st.Actions}
}

// driveToEnd plays the reconciler: Sync, record, wait for a notification, until the run is terminal.
// Notifications that piled up meanwhile are taken as one, as the reconciler's work queue holds a key once.
func driveToEnd(t *testing.T, e *Engine, run *engine.Run, notified <-chan types.NamespacedName) engine.RunStatus {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		st, err := e.Sync(context.Background(), run)
		if err != nil {
			t.Fatalf("Sync: %v", err)
		}
		record(run, st)
		if st.Phase.IsTerminal() {
			return st
		}
		select {
		case <-notified:
		case <-time.After(200 * time.Millisecond): // a notification may have been drained by an earlier round
		case <-deadline:
			t.Fatalf("run did not end: %+v", st)
		}
		for drained := false; !drained; {
			select {
			case <-notified:
			default:
				drained = true
			}
		}
	}
}

func phases(st engine.RunStatus) map[string]v1alpha1.ActionPhase {
	out := map[string]v1alpha1.ActionPhase{}
	for _, a := range st.Actions {
		out[a.Name] = a.Phase
	}
	return out
}

func actionNamed(t *testing.T, st engine.RunStatus, name string) v1alpha1.ActionStatus {
	t.Helper()
	for _, a := range st.Actions {
		if a.Name == name {
			return a
		}
	}
	t.Fatalf("no action %s in %+v", name, st.Actions)
	return v1alpha1.ActionStatus{}
}

// hookServer records the order of calls by path; handlers by path decide the responses (default 200 "ok").
type hookServer struct {
	*httptest.Server
	mu       sync.Mutex
	calls    []string
	handlers map[string]http.HandlerFunc
}

func newHookServer(t *testing.T, handlers map[string]http.HandlerFunc) *hookServer {
	h := &hookServer{handlers: handlers}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.calls = append(h.calls, r.URL.Path)
		fn := h.handlers[r.URL.Path]
		h.mu.Unlock()
		if fn != nil {
			fn(w, r)
			return
		}
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookServer) callsTo(path string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, c := range h.calls {
		if c == path {
			n++
		}
	}
	return n
}

func (h *hookServer) order() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.calls...)
}
