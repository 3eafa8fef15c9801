package nativeexec

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/internal/engine"
)

func fail500(w http.ResponseWriter, _ *http.Request) {
	http.Error(w, "boom", http.StatusInternalServerError)
}

func TestSequentialActionsRunInListOrder(t *testing.T) {
	g := NewWithT(t)
	srv := newHookServer(t, map[string]http.HandlerFunc{
		"/a": func(w http.ResponseWriter, _ *http.Request) {
			time.Sleep(50 * time.Millisecond)
			fmt.Fprint(w, "slow ok")
		},
	})
	e, notified := testEngine(t)
	run := testRun(testWorkflow("", httpAction("a", srv.URL+"/a"), httpAction("b", srv.URL+"/b"), httpAction("c", srv.URL+"/c")))
	st := driveToEnd(t, e, run, notified)
	g.Expect(st.Phase).To(Equal(v1alpha1.ExecutionSucceeded))
	g.Expect(srv.order()).To(Equal([]string{"/a", "/b", "/c"}))
	g.Expect(phases(st)).To(Equal(map[string]v1alpha1.ActionPhase{"a": v1alpha1.ActionSucceeded, "b": v1alpha1.ActionSucceeded, "c": v1alpha1.ActionSucceeded}))
	g.Expect(actionNamed(t, st, "a").Outputs.HTTPResponse).To(Equal(&v1alpha1.HTTPResponse{StatusCode: 200, Body: "slow ok"}))
	g.Expect(st.CompletionTime).NotTo(BeNil())
}

func TestDAGRunsIndependentActionsInParallel(t *testing.T) {
	g := NewWithT(t)
	// b and c each wait until the other has arrived: only a parallel start lets both finish.
	var arrived sync.WaitGroup
	arrived.Add(2)
	barrier := func(w http.ResponseWriter, _ *http.Request) {
		arrived.Done()
		done := make(chan struct{})
		go func() { arrived.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			http.Error(w, "sibling never came", http.StatusInternalServerError)
		}
	}
	srv := newHookServer(t, map[string]http.HandlerFunc{"/b": barrier, "/c": barrier})
	e, notified := testEngine(t)
	run := testRun(testWorkflow("", httpAction("a", srv.URL+"/a"), httpAction("b", srv.URL+"/b", "a"),
		httpAction("c", srv.URL+"/c", "a"), httpAction("d", srv.URL+"/d", "b", "c")))
	st := driveToEnd(t, e, run, notified)
	g.Expect(st.Phase).To(Equal(v1alpha1.ExecutionSucceeded), st.Message)
	order := srv.order()
	g.Expect(order[0]).To(Equal("/a"))
	g.Expect(order[3]).To(Equal("/d"))
}

func TestWhenFalseSkipsAndCountsAsSatisfied(t *testing.T) {
	g := NewWithT(t)
	srv := newHookServer(t, nil)
	skipped := httpAction("a", srv.URL+"/a")
	skipped.When = `{{ eq .planName "other" }}`
	e, notified := testEngine(t)
	run := testRun(testWorkflow("", skipped, httpAction("b", srv.URL+"/b")))
	st := driveToEnd(t, e, run, notified)
	g.Expect(st.Phase).To(Equal(v1alpha1.ExecutionSucceeded))
	g.Expect(phases(st)).To(Equal(map[string]v1alpha1.ActionPhase{"a": v1alpha1.ActionSkipped, "b": v1alpha1.ActionSucceeded}))
	g.Expect(srv.order()).To(Equal([]string{"/b"}))
}

// A completion starts what it unblocks by itself: after the one Sync that starts a, nothing drives the engine,
// yet when a ends the when-false d settles Skipped, which makes c ready, and c's end starts b.
func TestCompletionStartsDependentsWithoutASync(t *testing.T) {
	g := NewWithT(t)
	srv := newHookServer(t, nil)
	skipped := httpAction("d", srv.URL+"/d", "a")
	skipped.When = "false"
	e, notified := testEngine(t)
	run := testRun(testWorkflow("", httpAction("a", srv.URL+"/a"), httpAction("b", srv.URL+"/b", "c"), skipped,
		httpAction("c", srv.URL+"/c", "d")))
	st, err := e.Sync(context.Background(), run)
	g.Expect(err).NotTo(HaveOccurred())
	record(run, st)
	g.Eventually(srv.order, 10*time.Second).Should(Equal([]string{"/a", "/c", "/b"}))
	st = driveToEnd(t, e, run, notified)
	g.Expect(st.Phase).To(Equal(v1alpha1.ExecutionSucceeded), st.Message)
	g.Expect(phases(st)).To(Equal(map[string]v1alpha1.ActionPhase{"a": v1alpha1.ActionSucceeded, "b": v1alpha1.ActionSucceeded,
		"c": v1alpha1.ActionSucceeded, "d": v1alpha1.ActionSkipped}))
}

func TestFailFastStopsScheduling(t *testing.T) {
	g := NewWithT(t)
	srv := newHookServer(t, map[string]http.HandlerFunc{"/b": fail500})
	e, notified := testEngine(t)
	run := testRun(testWorkflow(v1alpha1.WorkflowFailFast, httpAction("a", srv.URL+"/a"), httpAction("b", srv.URL+"/b"), httpAction("c", srv.URL+"/c")))
	st := driveToEnd(t, e, run, notified)
	g.Expect(st.Phase).To(Equal(v1alpha1.ExecutionFailed))
	g.Expect(st.Message).To(ContainSubstring("action b failed: received response code 500"))
	g.Expect(phases(st)).To(Equal(map[string]v1alpha1.ActionPhase{"a": v1alpha1.ActionSucceeded, "b": v1alpha1.ActionFailed, "c": v1alpha1.ActionSkipped}))
	g.Expect(actionNamed(t, st, "c").Message).To(Equal(msgNotRun))
	g.Expect(actionNamed(t, st, "b").Outputs.HTTPResponse.Body).To(Equal("boom\n"))
	g.Expect(srv.callsTo("/c")).To(BeZero())
}

// The scenario the Argo engine is held to on the real controller (test/e2e): "bad" fails while "slow" runs;
// "after" depends only on "slow". Under FailFast "slow" finishes and "after" never starts.
func TestFailFastInADAGLetsRunningActionsFinishAndStartsNothing(t *testing.T) {
	g := NewWithT(t)
	release := make(chan struct{})
	srv := newHookServer(t, map[string]http.HandlerFunc{
		"/bad":  fail500,
		"/slow": func(w http.ResponseWriter, _ *http.Request) { <-release; fmt.Fprint(w, "done") },
	})
	e, notified := testEngine(t)
	run := testRun(testWorkflow(v1alpha1.WorkflowFailFast, httpAction("bad", srv.URL+"/bad"), httpAction("slow", srv.URL+"/slow"),
		httpAction("after", srv.URL+"/after", "slow")))
	g.Eventually(func() v1alpha1.ActionPhase {
		st, err := e.Sync(context.Background(), run)
		g.Expect(err).NotTo(HaveOccurred())
		record(run, st)
		return actionNamed(t, st, "bad").Phase
	}, 10*time.Second).Should(Equal(v1alpha1.ActionFailed))
	close(release) // slow ends after the failure, as in the e2e scenario
	st := driveToEnd(t, e, run, notified)
	g.Expect(st.Phase).To(Equal(v1alpha1.ExecutionFailed))
	g.Expect(phases(st)).To(Equal(map[string]v1alpha1.ActionPhase{"bad": v1alpha1.ActionFailed, "slow": v1alpha1.ActionSucceeded,
		"after": v1alpha1.ActionSkipped}))
	g.Expect(actionNamed(t, st, "after").Message).To(Equal(msgNotRun))
	g.Expect(srv.callsTo("/after")).To(BeZero())
}

func TestContinueRunsWhatDoesNotDependOnTheFailure(t *testing.T) {
	g := NewWithT(t)
	srv := newHookServer(t, map[string]http.HandlerFunc{"/a": fail500})
	e, notified := testEngine(t)
	run := testRun(testWorkflow(v1alpha1.WorkflowContinue, httpAction("a", srv.URL+"/a"), httpAction("b", srv.URL+"/b", "a"),
		httpAction("c", srv.URL+"/c", "d"), httpAction("d", srv.URL+"/d")))
	st := driveToEnd(t, e, run, notified)
	g.Expect(st.Phase).To(Equal(v1alpha1.ExecutionFailed))
	g.Expect(phases(st)).To(Equal(map[string]v1alpha1.ActionPhase{"a": v1alpha1.ActionFailed, "b": v1alpha1.ActionSkipped,
		"c": v1alpha1.ActionSucceeded, "d": v1alpha1.ActionSucceeded}))
	g.Expect(actionNamed(t, st, "b").Message).To(Equal(msgOmitted + " (action a failed)"))
}

// Under Continue an action behind a failure is omitted, and so is everything behind it: Argo's depends
// `(b.Succeeded || b.Skipped)` does not hold for an Omitted b, so c is omitted too, not run.
func TestContinueOmitsWhatDependsOnTheFailureTransitively(t *testing.T) {
	g := NewWithT(t)
	srv := newHookServer(t, map[string]http.HandlerFunc{"/a": fail500})
	e, notified := testEngine(t)
	run := testRun(testWorkflow(v1alpha1.WorkflowContinue, httpAction("a", srv.URL+"/a"), httpAction("b", srv.URL+"/b"),
		httpAction("c", srv.URL+"/c")))
	st := driveToEnd(t, e, run, notified)
	g.Expect(st.Phase).To(Equal(v1alpha1.ExecutionFailed))
	g.Expect(phases(st)).To(Equal(map[string]v1alpha1.ActionPhase{"a": v1alpha1.ActionFailed, "b": v1alpha1.ActionSkipped,
		"c": v1alpha1.ActionSkipped}))
	g.Expect(actionNamed(t, st, "b").Message).To(Equal(msgOmitted + " (action a failed)"))
	g.Expect(actionNamed(t, st, "c").Message).To(Equal(msgOmitted+" (action a failed)"), "c names the failure behind b")
	g.Expect(srv.order()).To(Equal([]string{"/a"}), "neither b nor c started")
}

// A dependency skipped by its own `when` satisfies its dependents; one that is when-false but behind a failure
// is omitted (depends is evaluated before when, as Argo does) and blocks them.
func TestWhenSkippedDependencySatisfiesUnlessItIsBehindAFailure(t *testing.T) {
	for _, tc := range []struct {
		name   string
		aFails bool
		want   map[string]v1alpha1.ActionPhase
		calls  []string
	}{
		{name: "a succeeds", want: map[string]v1alpha1.ActionPhase{"a": v1alpha1.ActionSucceeded, "b": v1alpha1.ActionSkipped,
			"c": v1alpha1.ActionSucceeded}, calls: []string{"/a", "/c"}},
		{name: "a fails", aFails: true, want: map[string]v1alpha1.ActionPhase{"a": v1alpha1.ActionFailed, "b": v1alpha1.ActionSkipped,
			"c": v1alpha1.ActionSkipped}, calls: []string{"/a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			handlers := map[string]http.HandlerFunc{}
			if tc.aFails {
				handlers["/a"] = fail500
			}
			srv := newHookServer(t, handlers)
			b := httpAction("b", srv.URL+"/b")
			b.When = `{{ eq .planName "other" }}`
			e, notified := testEngine(t)
			run := testRun(testWorkflow(v1alpha1.WorkflowContinue, httpAction("a", srv.URL+"/a"), b, httpAction("c", srv.URL+"/c")))
			st := driveToEnd(t, e, run, notified)
			g.Expect(phases(st)).To(Equal(tc.want))
			g.Expect(srv.order()).To(Equal(tc.calls))
			if tc.aFails {
				g.Expect(actionNamed(t, st, "b").Message).To(Equal(msgOmitted + " (action a failed)"))
				g.Expect(actionNamed(t, st, "c").Message).To(Equal(msgOmitted + " (action a failed)"))
			} else {
				g.Expect(actionNamed(t, st, "b").Message).To(Equal("when rendered false"))
			}
		})
	}
}

// In a DAG under Continue, everything downstream of the failure is omitted, through every path (b and d after
// a, f after both), while the independent e runs.
func TestContinueOmitsTheFailuresDownstreamInADAG(t *testing.T) {
	g := NewWithT(t)
	srv := newHookServer(t, map[string]http.HandlerFunc{"/a": fail500})
	e, notified := testEngine(t)
	run := testRun(testWorkflow(v1alpha1.WorkflowContinue, httpAction("a", srv.URL+"/a"), httpAction("b", srv.URL+"/b", "a"),
		httpAction("d", srv.URL+"/d", "a"), httpAction("f", srv.URL+"/f", "b", "d"), httpAction("e", srv.URL+"/e")))
	st := driveToEnd(t, e, run, notified)
	g.Expect(st.Phase).To(Equal(v1alpha1.ExecutionFailed))
	g.Expect(phases(st)).To(Equal(map[string]v1alpha1.ActionPhase{"a": v1alpha1.ActionFailed, "b": v1alpha1.ActionSkipped,
		"d": v1alpha1.ActionSkipped, "f": v1alpha1.ActionSkipped, "e": v1alpha1.ActionSucceeded}))
	g.Expect(actionNamed(t, st, "f").Message).To(Equal(msgOmitted + " (action a failed)"))
	g.Expect(srv.callsTo("/b") + srv.callsTo("/d") + srv.callsTo("/f")).To(BeZero())
	g.Expect(srv.callsTo("/e")).To(Equal(1))
}

// After a restart, whether a recorded Skipped dependency blocks is derived from the IR and the recorded phases:
// b omitted behind a's failure keeps c from running; b skipped by its `when` lets c run.
func TestRestartDerivesOmittedDependenciesFromTheRecord(t *testing.T) {
	for _, tc := range []struct {
		name   string
		aPhase v1alpha1.ActionPhase
		bWhen  bool
		want   v1alpha1.ActionPhase
		calls  []string
	}{
		{name: "b omitted behind a failure", aPhase: v1alpha1.ActionFailed, want: v1alpha1.ActionSkipped},
		{name: "b skipped by when", aPhase: v1alpha1.ActionSucceeded, bWhen: true, want: v1alpha1.ActionSucceeded, calls: []string{"/c"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			srv := newHookServer(t, nil)
			b := httpAction("b", srv.URL+"/b")
			if tc.bWhen {
				b.When = `{{ eq .planName "other" }}`
			}
			run := testRun(testWorkflow(v1alpha1.WorkflowContinue, httpAction("a", srv.URL+"/a"), b, httpAction("c", srv.URL+"/c")))
			run.Recorded = &v1alpha1.WorkflowExecutionStatus{Phase: v1alpha1.ExecutionRunning, ActionStatuses: []v1alpha1.ActionStatus{
				{Name: "a", Phase: tc.aPhase}, {Name: "b", Phase: v1alpha1.ActionSkipped}, {Name: "c", Phase: v1alpha1.ActionPending}}}
			e, notified := testEngine(t)
			st := driveToEnd(t, e, run, notified)
			g.Expect(actionNamed(t, st, "c").Phase).To(Equal(tc.want))
			g.Expect(srv.order()).To(Equal(tc.calls))
			if tc.want == v1alpha1.ActionSkipped {
				g.Expect(actionNamed(t, st, "c").Message).To(Equal(msgOmitted + " (action a failed)"))
			}
		})
	}
}

func TestRetriesUntilSuccess(t *testing.T) {
	g := NewWithT(t)
	var mu sync.Mutex
	calls := 0
	srv := newHookServer(t, map[string]http.HandlerFunc{"/flaky": func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n < 3 {
			fail500(w, r)
		}
	}})
	e, notified := testEngine(t)
	run := testRun(testWorkflow("", withRetry(httpAction("flaky", srv.URL+"/flaky"), 3, 10*time.Millisecond)))
	st := driveToEnd(t, e, run, notified)
	g.Expect(st.Phase).To(Equal(v1alpha1.ExecutionSucceeded))
	g.Expect(actionNamed(t, st, "flaky").RetryCount).To(Equal(int32(2)))
	g.Expect(srv.callsTo("/flaky")).To(Equal(3))
}

func TestRetriesExhausted(t *testing.T) {
	g := NewWithT(t)
	srv := newHookServer(t, map[string]http.HandlerFunc{"/down": fail500})
	e, notified := testEngine(t)
	run := testRun(testWorkflow("", withRetry(httpAction("down", srv.URL+"/down"), 2, 5*time.Millisecond)))
	st := driveToEnd(t, e, run, notified)
	a := actionNamed(t, st, "down")
	g.Expect(a.Phase).To(Equal(v1alpha1.ActionFailed))
	g.Expect(a.RetryCount).To(Equal(int32(2)))
	g.Expect(a.Message).To(HavePrefix("no more retries left after 3 attempts: received response code 500"))
	g.Expect(srv.callsTo("/down")).To(Equal(3))
}

func TestRestartNeverRerunsEndedActions(t *testing.T) {
	g := NewWithT(t)
	srv := newHookServer(t, nil)
	wf := testWorkflow("", httpAction("a", srv.URL+"/a"), httpAction("b", srv.URL+"/b"), httpAction("c", srv.URL+"/c"))
	run := testRun(wf)
	// What an earlier operator recorded before it stopped: a done, b in flight.
	run.Recorded = &v1alpha1.WorkflowExecutionStatus{Phase: v1alpha1.ExecutionRunning, ActionStatuses: []v1alpha1.ActionStatus{
		{Name: "a", Phase: v1alpha1.ActionSucceeded, Outputs: &v1alpha1.ActionOutputs{HTTPResponse: &v1alpha1.HTTPResponse{StatusCode: 201}}},
		{Name: "b", Phase: v1alpha1.ActionRunning},
		{Name: "c", Phase: v1alpha1.ActionPending},
	}}
	e, notified := testEngine(t)
	st := driveToEnd(t, e, run, notified)
	g.Expect(st.Phase).To(Equal(v1alpha1.ExecutionSucceeded))
	g.Expect(srv.order()).To(Equal([]string{"/b", "/c"}))
	g.Expect(actionNamed(t, st, "a").Outputs.HTTPResponse.StatusCode).To(Equal(int32(201)))
}

func TestRestartKeepsARecordedFailure(t *testing.T) {
	g := NewWithT(t)
	srv := newHookServer(t, nil)
	run := testRun(testWorkflow("", httpAction("a", srv.URL+"/a"), httpAction("b", srv.URL+"/b")))
	run.Recorded = &v1alpha1.WorkflowExecutionStatus{Phase: v1alpha1.ExecutionRunning, ActionStatuses: []v1alpha1.ActionStatus{
		{Name: "a", Phase: v1alpha1.ActionFailed, Message: "earlier"}, {Name: "b", Phase: v1alpha1.ActionPending}}}
	e, notified := testEngine(t)
	st := driveToEnd(t, e, run, notified)
	g.Expect(st.Phase).To(Equal(v1alpha1.ExecutionFailed))
	g.Expect(phases(st)).To(Equal(map[string]v1alpha1.ActionPhase{"a": v1alpha1.ActionFailed, "b": v1alpha1.ActionSkipped}))
	g.Expect(srv.order()).To(BeEmpty())
}

func TestCancelStopsInFlightHTTPAndScheduling(t *testing.T) {
	g := NewWithT(t)
	started := make(chan struct{})
	released := make(chan bool, 1)
	srv := newHookServer(t, map[string]http.HandlerFunc{"/slow": func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // the server notices a closed connection only once the body is read
		close(started)
		select { // held until the engine drops the connection
		case <-r.Context().Done():
			released <- true
		case <-time.After(10 * time.Second):
			released <- false
		}
	}})
	e, notified := testEngine(t)
	run := testRun(testWorkflow("", httpAction("slow", srv.URL+"/slow"), httpAction("next", srv.URL+"/next")))
	st, err := e.Sync(context.Background(), run)
	g.Expect(err).NotTo(HaveOccurred())
	record(run, st)
	g.Eventually(started).Should(BeClosed())
	g.Expect(e.Cancel(context.Background(), run)).To(Succeed())
	st = driveToEnd(t, e, run, notified)
	g.Expect(st.Phase).To(Equal(v1alpha1.ExecutionCanceled))
	g.Expect(phases(st)).To(Equal(map[string]v1alpha1.ActionPhase{"slow": v1alpha1.ActionCanceled, "next": v1alpha1.ActionCanceled}))
	g.Eventually(released).Should(Receive(BeTrue()), "the in-flight request was aborted")
	g.Expect(srv.callsTo("/next")).To(BeZero())
	g.Expect(e.Cancel(context.Background(), run)).To(Succeed(), "Cancel is idempotent")
}

func TestCancelWithoutStateRemembersIt(t *testing.T) {
	g := NewWithT(t)
	srv := newHookServer(t, nil)
	run := testRun(testWorkflow("", httpAction("a", srv.URL+"/a")))
	run.Recorded = &v1alpha1.WorkflowExecutionStatus{Phase: v1alpha1.ExecutionRunning,
		ActionStatuses: []v1alpha1.ActionStatus{{Name: "a", Phase: v1alpha1.ActionRunning}}}
	e, _ := testEngine(t)
	g.Expect(e.Cancel(context.Background(), run)).To(Succeed())
	st, err := e.Sync(context.Background(), run)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st.Phase).To(Equal(v1alpha1.ExecutionCanceled))
	g.Expect(srv.order()).To(BeEmpty())
}

func TestFirstSyncReportsRunningEvenWhenNothingRuns(t *testing.T) {
	g := NewWithT(t)
	a := httpAction("a", "https://hooks.example/a")
	a.When = "false"
	e, notified := testEngine(t)
	run := testRun(testWorkflow("", a))
	st, err := e.Sync(context.Background(), run)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st.Phase).To(Equal(v1alpha1.ExecutionRunning), "the reconciler reads a terminal first Sync as 'could not start'")
	g.Eventually(notified).Should(Receive())
	record(run, st)
	st, _ = e.Sync(context.Background(), run)
	g.Expect(st.Phase).To(Equal(v1alpha1.ExecutionSucceeded))
	g.Expect(phases(st)).To(Equal(map[string]v1alpha1.ActionPhase{"a": v1alpha1.ActionSkipped}))
}

func TestInvalidWorkflowFailsWithTheReason(t *testing.T) {
	g := NewWithT(t)
	e, _ := testEngine(t)
	run := testRun(testWorkflow("", httpAction("a", "https://hooks.example/{{ .params.missing }}")))
	st, err := e.Sync(context.Background(), run)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st.Phase).To(Equal(v1alpha1.ExecutionFailed))
	g.Expect(st.Message).To(ContainSubstring("missing"))
}

func TestReverseRunsRollbacksAndSkipsHTTPWithoutOne(t *testing.T) {
	g := NewWithT(t)
	srv := newHookServer(t, nil)
	undo := httpAction("undo-b", srv.URL+"/undo-b")
	b := httpAction("b", srv.URL+"/b", "a")
	b.Rollback = &v1alpha1.RollbackAction{Name: undo.Name, ActionBody: undo.ActionBody}
	run := testRun(testWorkflow("", httpAction("a", srv.URL+"/a"), b))
	run.Direction = engine.Reverse
	run.Reverted = []v1alpha1.ActionStatus{{Name: "a", Phase: v1alpha1.ActionSucceeded}, {Name: "b", Phase: v1alpha1.ActionSucceeded}}
	e, notified := testEngine(t)
	st := driveToEnd(t, e, run, notified)
	g.Expect(st.Phase).To(Equal(v1alpha1.ExecutionSucceeded))
	g.Expect(phases(st)).To(Equal(map[string]v1alpha1.ActionPhase{"undo-b": v1alpha1.ActionSucceeded, "a": v1alpha1.ActionSkipped}))
	g.Expect(srv.order()).To(Equal([]string{"/undo-b"}))
	g.Expect(strings.ToLower(actionNamed(t, st, "a").Message)).To(ContainSubstring("no automatic inverse"))
}

// Under FailFast a retry is new work after a failure: an action waiting to retry when another failed for good
// is not retried (on Argo the held Workflow starts no new attempt either).
func TestFailFastStopsRetries(t *testing.T) {
	g := NewWithT(t)
	srv := newHookServer(t, map[string]http.HandlerFunc{"/bad": fail500, "/flaky": fail500})
	e, notified := testEngine(t)
	run := testRun(testWorkflow(v1alpha1.WorkflowFailFast, httpAction("bad", srv.URL+"/bad"),
		withRetry(httpAction("flaky", srv.URL+"/flaky"), 3, 500*time.Millisecond), httpAction("after", srv.URL+"/after", "bad")))
	st := driveToEnd(t, e, run, notified)
	g.Expect(st.Phase).To(Equal(v1alpha1.ExecutionFailed))
	flaky := actionNamed(t, st, "flaky")
	g.Expect(flaky.Phase).To(Equal(v1alpha1.ActionFailed))
	g.Expect(flaky.Message).To(Equal(msgNotRetried + "received response code 500, want 2xx"))
	g.Expect(flaky.RetryCount).To(BeZero())
	g.Expect(srv.callsTo("/flaky")).To(Equal(1))
}
