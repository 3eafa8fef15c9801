package nativeexec

import (
	"context"
	"net/http"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// A pause lets the running action finish, starts nothing after it and does not end the run; a resume
// starts the rest.
func TestPauseHoldsNewActionsAndResumeRunsThem(t *testing.T) {
	g := NewWithT(t)
	release := make(chan struct{})
	srv := newHookServer(t, map[string]http.HandlerFunc{"/a": func(w http.ResponseWriter, _ *http.Request) { <-release }})
	e, notified := testEngine(t)
	run := testRun(testWorkflow("", httpAction("a", srv.URL+"/a"), httpAction("b", srv.URL+"/b")))
	st, err := e.Sync(context.Background(), run)
	g.Expect(err).NotTo(HaveOccurred())
	record(run, st)
	g.Eventually(func() int { return srv.callsTo("/a") }).Should(Equal(1))

	run.Paused = true
	_, err = e.Sync(context.Background(), run)
	g.Expect(err).NotTo(HaveOccurred())
	close(release)
	g.Eventually(func() v1alpha1.ActionPhase {
		st, _ := e.Sync(context.Background(), run)
		record(run, st)
		return actionNamed(t, st, "a").Phase
	}, 5*time.Second).Should(Equal(v1alpha1.ActionSucceeded), "the running action finishes while paused")
	g.Consistently(func() runAndAction {
		st, _ := e.Sync(context.Background(), run)
		return runAndAction{st.Phase, actionNamed(t, st, "b").Phase}
	}, 500*time.Millisecond).Should(Equal(runAndAction{v1alpha1.ExecutionRunning, v1alpha1.ActionPending}))
	g.Expect(srv.callsTo("/b")).To(BeZero())

	run.Paused = false
	st = driveToEnd(t, e, run, notified)
	g.Expect(st.Phase).To(Equal(v1alpha1.ExecutionSucceeded))
	g.Expect(srv.order()).To(Equal([]string{"/a", "/b"}))
}

// A cancel wins over a pause: the paused run ends Canceled.
func TestCancelEndsAPausedRun(t *testing.T) {
	g := NewWithT(t)
	srv := newHookServer(t, nil)
	e, notified := testEngine(t)
	run := testRun(testWorkflow("", httpAction("a", srv.URL+"/a")))
	run.Paused = true
	st, err := e.Sync(context.Background(), run)
	g.Expect(err).NotTo(HaveOccurred())
	record(run, st)
	g.Expect(e.Cancel(context.Background(), run)).To(Succeed())
	st = driveToEnd(t, e, run, notified)
	g.Expect(st.Phase).To(Equal(v1alpha1.ExecutionCanceled))
	g.Expect(srv.callsTo("/a")).To(BeZero(), "nothing started while paused")
}

type runAndAction struct {
	Run    v1alpha1.ExecutionPhase
	Action v1alpha1.ActionPhase
}
