package integration

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/argoexec"
	"github.com/drplan/drplan-operator/internal/engine"
	"github.com/drplan/drplan-operator/nativeexec"
	"github.com/drplan/drplan-operator/test/argostandin"
	"github.com/drplan/drplan-operator/translator"
)

// The engine contract: the same workflow with the same action outcomes gives the same action statuses (phase,
// retries) and run phase on both engines. Argo runs through the stand-in (outcomes scripted by action name);
// the native engine calls an httptest server whose answers follow the same script.
var _ = Describe("Engine contract", Ordered, func() {
	var (
		argo    *argostandin.StandIn
		argoEng *argoexec.Engine
	)
	BeforeAll(func() {
		argo = argoStandIn()
		argoEng = &argoexec.Engine{Client: k8sClient, APIReader: k8sClient, Compiler: argoexec.TranslatorCompiler{}}
	})

	type scenario struct {
		policy   drv1.WorkflowFailurePolicy
		actions  []drv1.Action
		outcomes map[string]argostandin.Outcome
		want     drv1.ExecutionPhase
		// reverted, when set, makes the run a reverse run undoing these recorded statuses.
		reverted []drv1.ActionStatus
	}

	DescribeTable("both engines report the same run",
		func(sc scenario) {
			ns := newNamespace()
			srv := scriptedServer(sc.outcomes)
			DeferCleanup(srv.Close)
			actions := make([]drv1.Action, len(sc.actions))
			for i, a := range sc.actions {
				a.HTTP = &drv1.HTTPAction{URL: srv.URL + "/" + a.Name, Method: http.MethodPost}
				if a.Rollback != nil {
					rb := *a.Rollback
					rb.HTTP = &drv1.HTTPAction{URL: srv.URL + "/" + rb.Name, Method: http.MethodPost}
					a.Rollback = &rb
				}
				actions[i] = a
			}

			asReverse := func(run *engine.Run) *engine.Run {
				if sc.reverted != nil {
					run.Direction, run.Reverted = engine.Reverse, sc.reverted
				}
				return run
			}
			argo.SetScript(exOutcomes(sc.outcomes))
			argoRun := asReverse(nativeRun(ns, sc.policy, actions...))
			argoRun.Execution.Name = "argo-ex"
			var argoSt engine.RunStatus
			Eventually(func(g Gomega) bool {
				st, err := argoEng.Sync(ctx, argoRun)
				g.Expect(err).NotTo(HaveOccurred())
				argoSt = st
				return st.Phase.IsTerminal()
			}).Should(BeTrue())

			nativeEng, notified := contractNativeEngine()
			nativeSt := driveNative(nativeEng, asReverse(nativeRun(ns, sc.policy, actions...)), notified)

			Expect(argoSt.Phase).To(Equal(sc.want), argoSt.Message)
			Expect(nativeSt.Phase).To(Equal(sc.want), nativeSt.Message)
			Expect(comparable(nativeSt)).To(Equal(comparable(argoSt)))
		},
		Entry("sequential", scenario{actions: contractActions("a", "b", "c"), want: drv1.ExecutionSucceeded}),
		Entry("DAG", scenario{actions: contractDAG(), want: drv1.ExecutionSucceeded}),
		Entry("when false skips, and the skipped action satisfies its dependent", scenario{
			actions: whenFalse(contractActions("a", "b"), "a"), want: drv1.ExecutionSucceeded}),
		Entry("a run-time when on an earlier result holds: the action runs", scenario{
			actions:  runtimeWhen(contractActions("a", "b", "c"), "b", readyGate),
			outcomes: map[string]argostandin.Outcome{"a": {Result: `{"state":"ready"}`}}, want: drv1.ExecutionSucceeded}),
		Entry("a run-time when on an earlier result does not hold: skipped, its dependent runs", scenario{
			actions:  runtimeWhen(contractActions("a", "b", "c"), "b", readyGate),
			outcomes: map[string]argostandin.Outcome{"a": {Result: `{"state":"busy","x":"'}} || true"}`}}, want: drv1.ExecutionSucceeded}),
		Entry("a run-time when reads a skipped action's phase, transitively", scenario{
			actions: runtimeWhen(whenFalse(contractActions("a", "b", "c"), "a"), "c", "{{ .outputs.a.phase == 'Skipped' }}"),
			want:    drv1.ExecutionSucceeded}),
		Entry("retries until success", scenario{
			actions:  retried(contractActions("a", "b"), "a", 2),
			outcomes: map[string]argostandin.Outcome{"a": {FailAttempts: 1}}, want: drv1.ExecutionSucceeded}),
		Entry("retries exhausted", scenario{
			actions:  retried(contractActions("a"), "a", 1),
			outcomes: map[string]argostandin.Outcome{"a": {Fail: true}}, want: drv1.ExecutionFailed}),
		Entry("FailFast stops after the failure", scenario{policy: drv1.WorkflowFailFast,
			actions:  contractActions("a", "b", "c"),
			outcomes: map[string]argostandin.Outcome{"b": {Fail: true}}, want: drv1.ExecutionFailed}),
		Entry("Continue runs what does not depend on the failure", scenario{policy: drv1.WorkflowContinue,
			actions:  contractDAG(),
			outcomes: map[string]argostandin.Outcome{"b": {Fail: true}}, want: drv1.ExecutionFailed}),
		// a -> b -> c: b is omitted behind a's failure, and c behind b (an Omitted dependency is neither
		// Succeeded nor Skipped for Argo's depends), so neither runs.
		Entry("Continue omits what depends on the failure, transitively", scenario{policy: drv1.WorkflowContinue,
			actions:  contractActions("a", "b", "c"),
			outcomes: map[string]argostandin.Outcome{"a": {Fail: true}}, want: drv1.ExecutionFailed}),
		// Argo evaluates depends before when: a when-false b behind a failure is omitted, not skipped, and
		// keeps c from running.
		Entry("Continue omits a when-false action behind the failure and what depends on it", scenario{
			policy: drv1.WorkflowContinue, actions: whenFalse(contractActions("a", "b", "c"), "b"),
			outcomes: map[string]argostandin.Outcome{"a": {Fail: true}}, want: drv1.ExecutionFailed}),
		Entry("revert runs rollbacks in reverse order and skips HTTP without one", scenario{
			actions: withRollback(contractDAG(), "b", "undo-b"),
			reverted: []drv1.ActionStatus{{Name: "a", Phase: drv1.ActionSucceeded}, {Name: "b", Phase: drv1.ActionSucceeded},
				{Name: "c", Phase: drv1.ActionFailed}, {Name: "d", Phase: drv1.ActionSkipped}, {Name: "e", Phase: drv1.ActionSucceeded}},
			want: drv1.ExecutionSucceeded}),
		Entry("a failing rollback fails the revert", scenario{
			actions:  withRollback(contractActions("a", "b"), "a", "undo-a"),
			reverted: []drv1.ActionStatus{{Name: "a", Phase: drv1.ActionSucceeded}, {Name: "b", Phase: drv1.ActionSucceeded}},
			outcomes: map[string]argostandin.Outcome{"undo-a": {Fail: true}}, want: drv1.ExecutionFailed}),
	)
})

// The cancel contract runs a, b in sequence, holds a until the run is canceled, and checks both engines report
// the same canceled run.
var _ = Describe("Engine contract on cancel", Ordered, func() {
	It("cancels the running and the pending actions alike", func() {
		ns := newNamespace()
		held := map[string]argostandin.Outcome{"a": {Hold: true}}
		srv := scriptedServer(held)
		DeferCleanup(srv.Close)
		actions := contractActions("a", "b")
		for i := range actions {
			actions[i].HTTP = &drv1.HTTPAction{URL: srv.URL + "/" + actions[i].Name, Method: http.MethodPost}
		}

		argo := argoStandIn()
		argo.SetScript(exOutcomes(held))
		argoEng := &argoexec.Engine{Client: k8sClient, APIReader: k8sClient, Compiler: argoexec.TranslatorCompiler{}}
		argoRun := nativeRun(ns, drv1.WorkflowFailFast, actions...)
		argoRun.Execution.Name = "argo-ex"
		Eventually(func(g Gomega) drv1.ActionPhase {
			st, err := argoEng.Sync(ctx, argoRun)
			g.Expect(err).NotTo(HaveOccurred())
			return nativeAction(st, "a").Phase
		}).Should(Equal(drv1.ActionRunning))
		Expect(argoEng.Cancel(ctx, argoRun)).To(Succeed())
		var argoSt engine.RunStatus
		Eventually(func(g Gomega) bool {
			st, err := argoEng.Sync(ctx, argoRun)
			g.Expect(err).NotTo(HaveOccurred())
			argoSt = st
			return st.Phase.IsTerminal()
		}).Should(BeTrue())

		nativeEng, notified := contractNativeEngine()
		nativeRunning := nativeRun(ns, drv1.WorkflowFailFast, actions...)
		Eventually(func() drv1.ActionPhase { return nativeAction(syncNative(nativeEng, nativeRunning), "a").Phase }).
			Should(Equal(drv1.ActionRunning))
		Expect(nativeEng.Cancel(ctx, nativeRunning)).To(Succeed())
		nativeSt := driveNative(nativeEng, nativeRunning, notified)

		Expect(argoSt.Phase).To(Equal(drv1.ExecutionCanceled), argoSt.Message)
		Expect(nativeSt.Phase).To(Equal(drv1.ExecutionCanceled), nativeSt.Message)
		Expect(comparable(nativeSt)).To(Equal(comparable(argoSt)))
	})
})

// contractNativeEngine is a native engine for HTTP-only runs.
func contractNativeEngine() (*nativeexec.Engine, chan types.NamespacedName) {
	GinkgoHelper()
	notified := make(chan types.NamespacedName, 1024)
	e, err := nativeexec.New(nativeexec.Options{Config: rest.CopyConfig(cfg), Mapper: mgr.GetRESTMapper(),
		Notify: func(n types.NamespacedName) {
			select {
			case notified <- n:
			default:
			}
		}})
	Expect(err).NotTo(HaveOccurred())
	return e, notified
}

// scriptedServer answers POST /<action> as the stand-in's script says: 500 for a failing attempt, else 200.
func scriptedServer(outcomes map[string]argostandin.Outcome) *httptest.Server {
	var mu sync.Mutex
	attempts := map[string]int{}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		action := strings.TrimPrefix(r.URL.Path, "/")
		mu.Lock()
		n := attempts[action]
		attempts[action]++
		mu.Unlock()
		o := outcomes[action]
		if o.Hold { // until the engine drops the request
			_, _ = io.ReadAll(r.Body)
			<-r.Context().Done()
			return
		}
		if o.Fail || n < o.FailAttempts {
			http.Error(w, "scripted failure", http.StatusInternalServerError)
			return
		}
		if o.Result != "" {
			fmt.Fprint(w, o.Result)
			return
		}
		fmt.Fprint(w, "ok")
	}))
}

// comparable keeps what both engines must agree on: per action, its phase and retry count.
func comparable(st engine.RunStatus) map[string]string {
	out := map[string]string{}
	for _, a := range st.Actions {
		out[a.Name] = fmt.Sprintf("%s retries=%d", a.Phase, a.RetryCount)
		if a.Message == translator.WhenFalseMessage { // skipped by a run-time when: the same words on both
			out[a.Name] += " " + a.Message
		}
	}
	return out
}

func contractActions(names ...string) []drv1.Action {
	out := make([]drv1.Action, len(names))
	for i, n := range names {
		out[i] = drv1.Action{Name: n, ActionBody: drv1.ActionBody{Type: drv1.ActionTypeHTTP}}
	}
	return out
}

// contractDAG: a; b and c after a; d after b and c; e on its own.
func contractDAG() []drv1.Action {
	as := contractActions("a", "b", "c", "d", "e")
	as[1].DependsOn = []string{"a"}
	as[2].DependsOn = []string{"a"}
	as[3].DependsOn = []string{"b", "c"}
	return as
}

// readyGate holds when action a succeeded and answered {"state":"ready"}.
const readyGate = `{{ .outputs.a.phase == 'Succeeded' && .outputs.a.httpResponse.body contains '"state":"ready"' }}`

// runtimeWhen gives the named action a run-time `when`.
func runtimeWhen(as []drv1.Action, name, when string) []drv1.Action {
	for i := range as {
		if as[i].Name == name {
			as[i].When = when
		}
	}
	return as
}

func whenFalse(as []drv1.Action, name string) []drv1.Action {
	for i := range as {
		if as[i].Name == name {
			as[i].When = `{{ eq .planName "another-plan" }}`
		}
	}
	return as
}

func retried(as []drv1.Action, name string, limit int32) []drv1.Action {
	for i := range as {
		if as[i].Name == name {
			as[i].RetryPolicy = &drv1.RetryPolicy{Limit: limit, Interval: drv1.Duration(200 * time.Millisecond)}
		}
	}
	return as
}

func withRollback(as []drv1.Action, name, rollback string) []drv1.Action {
	for i := range as {
		if as[i].Name == name {
			as[i].Rollback = &drv1.RollbackAction{Name: rollback, ActionBody: drv1.ActionBody{Type: drv1.ActionTypeHTTP}}
		}
	}
	return as
}
