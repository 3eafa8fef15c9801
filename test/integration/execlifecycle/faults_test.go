package execlifecycle

import (
	"bytes"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/translator"
)

// faultyAPI sits between the operator and the API server (a RoundTripper on the manager's rest.Config, so the
// client, the caches' lists and watches, and both engines' API calls all go through it) and injects, from a
// seeded random source: 503s and 409s that never reach the server, writes the server applies but whose answer
// is lost (the client sees a broken connection), and watches cut after a short while.
type faultyAPI struct {
	mu       sync.Mutex
	rng      *rand.Rand
	on       bool
	rejected int // 503 or 409 before the server
	lost     int // applied, answer lost
	cut      int // watches cut
	calls    int
}

const (
	rejectRate = 0.10
	lostRate   = 0.05
)

func (f *faultyAPI) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripper(func(req *http.Request) (*http.Response, error) {
		f.mu.Lock()
		on, draw, cutAfter := f.on, f.rng.Float64(), time.Duration(500+f.rng.Intn(2500))*time.Millisecond
		if on {
			f.calls++
		}
		f.mu.Unlock()
		if !on {
			return rt.RoundTrip(req)
		}
		if req.URL.Query().Get("watch") == "true" {
			resp, err := rt.RoundTrip(req)
			if err == nil {
				f.count(&f.cut)
				resp.Body = &cutBody{ReadCloser: resp.Body, deadline: time.Now().Add(cutAfter)}
			}
			return resp, err
		}
		write := req.Method != http.MethodGet
		switch {
		case draw < rejectRate:
			f.count(&f.rejected)
			if write && draw < rejectRate/2 {
				return status(req, http.StatusConflict, "Conflict", "injected: the object has been modified"), nil
			}
			return status(req, http.StatusServiceUnavailable, "ServiceUnavailable", "injected: the server is unavailable"), nil
		case write && draw < rejectRate+lostRate:
			resp, err := rt.RoundTrip(req)
			if err != nil {
				return nil, err
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			f.count(&f.lost)
			return nil, fmt.Errorf("injected: connection reset after the server answered %d", resp.StatusCode)
		}
		return rt.RoundTrip(req)
	})
}

func (f *faultyAPI) count(n *int) {
	f.mu.Lock()
	*n++
	f.mu.Unlock()
}

func (f *faultyAPI) set(on bool) {
	f.mu.Lock()
	f.on = on
	f.mu.Unlock()
}

type roundTripper func(*http.Request) (*http.Response, error)

func (r roundTripper) RoundTrip(req *http.Request) (*http.Response, error) { return r(req) }

// status is an API server error answer, as client-go decodes it.
func status(req *http.Request, code int, reason, msg string) *http.Response {
	body := fmt.Sprintf(`{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":%q,"reason":%q,"code":%d}`, msg, reason, code)
	return &http.Response{StatusCode: code, Status: strconv.Itoa(code) + " " + http.StatusText(code), Request: req,
		Header: http.Header{"Content-Type": []string{"application/json"}}, Body: io.NopCloser(bytes.NewBufferString(body))}
}

// cutBody ends a watch stream at its deadline, as a dropped connection does.
type cutBody struct {
	io.ReadCloser
	deadline time.Time
}

func (c *cutBody) Read(p []byte) (int, error) {
	if time.Now().After(c.deadline) {
		_ = c.ReadCloser.Close()
		return 0, io.ErrUnexpectedEOF
	}
	return c.ReadCloser.Read(p)
}

// hookCounter counts the HTTP calls the native engine makes, by path and idempotency key.
type hookCounter struct {
	mu    sync.Mutex
	calls map[string]map[string]int
}

func (h *hookCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.calls[r.URL.Path] == nil {
		h.calls[r.URL.Path] = map[string]int{}
	}
	h.calls[r.URL.Path][r.Header.Get(translator.IdempotencyHeader)]++
}

// TestAPIFaultsLoseNothing runs executions on both engines while every API call of the operator may fail
// (rejected, applied with the answer lost, watches cut): each execution ends Succeeded with every action
// recorded once, one Workflow per Argo run, and each native HTTP call made exactly once with one idempotency
// key. DRPLAN_FAULT_SEED reproduces a run.
func TestAPIFaultsLoseNothing(t *testing.T) {
	g := NewWithT(t)
	g.SetDefaultEventuallyTimeout(3 * time.Minute)
	g.SetDefaultEventuallyPollingInterval(200 * time.Millisecond)
	g.Expect(startEnv()).To(Succeed())

	seed := time.Now().UnixNano()
	if s := os.Getenv("DRPLAN_FAULT_SEED"); s != "" {
		var err error
		seed, err = strconv.ParseInt(s, 10, 64)
		g.Expect(err).NotTo(HaveOccurred())
	}
	t.Logf("fault seed %d (DRPLAN_FAULT_SEED=%d reproduces it)", seed, seed)
	faults := &faultyAPI{rng: rand.New(rand.NewSource(seed))}
	faulty := rest.CopyConfig(cfg)
	faulty.WrapTransport = faults.wrap

	hooks := &hookCounter{calls: map[string]map[string]int{}}
	srv := httptest.NewServer(hooks)
	defer srv.Close()

	faults.set(true)
	op, err := startOperatorWith(faulty)
	g.Expect(err).NotTo(HaveOccurred())
	defer func() { _ = op.stop() }()

	const runs = 6
	ns := "faults"
	_ = k8sClient.Create(envCtx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	native := func(name string, deps ...string) drv1.Action {
		return drv1.Action{Name: name, DependsOn: deps, ActionBody: drv1.ActionBody{Type: drv1.ActionTypeHTTP,
			HTTP: &drv1.HTTPAction{URL: srv.URL + "/" + name, Method: http.MethodPost}}}
	}
	for i := 0; i < runs; i++ {
		engine, actions := drv1.ExecutorArgo, []drv1.Action{httpAction("a"), httpAction("b", "a"), httpAction("c", "a"), httpAction("d", "b", "c")}
		if i%2 == 1 {
			p := fmt.Sprintf("n%d-", i)
			engine, actions = drv1.ExecutorNative, []drv1.Action{native(p + "a"), native(p+"b", p+"a"), native(p+"c", p+"a"), native(p+"d", p+"b", p+"c")}
		}
		wf, plan := oneStagePlan(ns, fmt.Sprintf("p%d", i), engine, actions...)
		g.Expect(k8sClient.Create(envCtx, wf)).To(Succeed())
		g.Expect(k8sClient.Create(envCtx, plan)).To(Succeed())
		g.Expect(k8sClient.Create(envCtx, executeRequest(ns, fmt.Sprintf("run%d", i), plan.Name))).To(Succeed())
	}

	for i := 0; i < runs; i++ {
		name := fmt.Sprintf("run%d", i)
		var ex *drv1.DRPlanExecution
		g.Eventually(func(g Gomega) bool {
			ex = getExecution(g, ns, name)
			return ex.Status.Phase.IsTerminal()
		}).Should(BeTrue(), name)
		g.Expect(ex.Status.Phase).To(Equal(drv1.ExecutionSucceeded), "%s: %s\n%+v", name, ex.Status.Message, ex.Status.StageStatuses)
		g.Expect(ex.Status.Progress).To(Equal("4/4"), name)
		e := ex.Status.StageStatuses[0].WorkflowExecutions[0]
		for _, a := range e.ActionStatuses {
			g.Expect(a.Phase).To(Equal(drv1.ActionSucceeded), "%s %s", name, a.Name)
			g.Expect(a.RetryCount).To(BeZero(), "%s %s", name, a.Name)
		}
		if e.Engine == drv1.ExecutorArgo {
			list := &wfv1.WorkflowList{}
			g.Expect(k8sClient.List(envCtx, list, client.InNamespace(ns), client.MatchingLabels{drv1.LabelExecution: name})).To(Succeed())
			g.Expect(list.Items).To(HaveLen(1), "%s: one Workflow", name)
			g.Expect(list.Items[0].UID).To(Equal(e.ArgoWorkflow.UID))
		}
	}
	faults.set(false)
	hooks.mu.Lock()
	defer hooks.mu.Unlock()
	g.Expect(hooks.calls).To(HaveLen(4 * runs / 2))
	for path, keys := range hooks.calls {
		g.Expect(keys).To(HaveLen(1), "%s: one idempotency key", path)
		for key, n := range keys {
			g.Expect(n).To(Equal(1), "%s called once (key %s)", path, key)
			g.Expect(key).NotTo(BeEmpty())
		}
	}
	faults.mu.Lock()
	t.Logf("API calls %d: rejected %d (503/409), applied with the answer lost %d, watches cut %d",
		faults.calls, faults.rejected, faults.lost, faults.cut)
	faults.mu.Unlock()
	g.Expect(faults.rejected+faults.lost).To(BeNumerically(">", 0), "faults were injected")
}
