package nativeexec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/translator"
)

func TestHTTPSendsRenderedRequestWithIdempotencyKey(t *testing.T) {
	g := NewWithT(t)
	var got *http.Request
	var body string
	srv := newHookServer(t, map[string]http.HandlerFunc{"/hook": func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got, body = r.Clone(context.Background()), string(b)
		w.WriteHeader(http.StatusAccepted)
	}})
	a := httpAction("notify", srv.URL+"/hook")
	a.HTTP.Headers = map[string]string{"Content-Type": "application/json"}
	a.HTTP.SuccessCodes = []int32{200, 202}
	e, notified := testEngine(t)
	run := testRun(testWorkflow("", a))
	st := driveToEnd(t, e, run, notified)
	g.Expect(st.Phase).To(Equal(v1alpha1.ExecutionSucceeded), st.Message)
	g.Expect(got.Method).To(Equal(http.MethodPost))
	g.Expect(body).To(Equal(`{"plan":"plan"}`))
	g.Expect(got.Header.Get("Content-Type")).To(Equal("application/json"))
	g.Expect(got.Header.Get(translator.IdempotencyHeader)).To(Equal(string(run.Execution.UID) + "/wf/notify"))
	g.Expect(actionNamed(t, st, "notify").Outputs.HTTPResponse.StatusCode).To(Equal(int32(202)))
}

func TestHTTPCodeOutsideSuccessCodesFails(t *testing.T) {
	g := NewWithT(t)
	srv := newHookServer(t, map[string]http.HandlerFunc{"/hook": func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusAccepted) }})
	a := httpAction("notify", srv.URL+"/hook")
	a.HTTP.SuccessCodes = []int32{200}
	e, notified := testEngine(t)
	st := driveToEnd(t, e, testRun(testWorkflow("", a)), notified)
	n := actionNamed(t, st, "notify")
	g.Expect(n.Phase).To(Equal(v1alpha1.ActionFailed))
	g.Expect(n.Message).To(Equal("received response code 202, want [200]"))
	g.Expect(n.Outputs.HTTPResponse.StatusCode).To(Equal(int32(202)))
}

func TestHTTPBodyIsTruncated(t *testing.T) {
	g := NewWithT(t)
	long := strings.Repeat("é", v1alpha1.HTTPResponseBodyLimit) // two bytes a rune: the cut falls inside one
	srv := newHookServer(t, map[string]http.HandlerFunc{"/big": func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "x"+long) }})
	e, notified := testEngine(t)
	st := driveToEnd(t, e, testRun(testWorkflow("", httpAction("big", srv.URL+"/big"))), notified)
	b := actionNamed(t, st, "big").Outputs.HTTPResponse.Body
	g.Expect(len(b)).To(BeNumerically("<=", v1alpha1.HTTPResponseBodyLimit))
	g.Expect(len(b)).To(BeNumerically(">=", v1alpha1.HTTPResponseBodyLimit-1))
	g.Expect(b).To(HavePrefix("xéé"))
	g.Expect(strings.ToValidUTF8(b, "?")).To(Equal(b))
}

func TestHTTPVerifiesTLSUnlessTheActionOptsOut(t *testing.T) {
	g := NewWithT(t)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "secure") }))
	t.Cleanup(srv.Close)
	e, notified := testEngine(t)

	st := driveToEnd(t, e, testRun(testWorkflow("", httpAction("verify", srv.URL+"/x"))), notified)
	g.Expect(st.Phase).To(Equal(v1alpha1.ExecutionFailed))
	g.Expect(actionNamed(t, st, "verify").Message).To(ContainSubstring("certificate"))

	insecure := httpAction("trust", srv.URL+"/x")
	insecure.HTTP.InsecureSkipVerify = true
	st = driveToEnd(t, e, testRun(testWorkflow("", insecure)), notified)
	g.Expect(st.Phase).To(Equal(v1alpha1.ExecutionSucceeded), st.Message)
	g.Expect(actionNamed(t, st, "trust").Outputs.HTTPResponse.Body).To(Equal("secure"))
}

func TestHTTPAttemptIsBoundedByTheActionTimeout(t *testing.T) {
	g := NewWithT(t)
	srv := newHookServer(t, map[string]http.HandlerFunc{"/hang": func(_ http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}})
	e, notified := testEngine(t)
	began := time.Now()
	st := driveToEnd(t, e, testRun(testWorkflow("", withTimeoutOf(httpAction("hang", srv.URL+"/hang"), 300*time.Millisecond))), notified)
	g.Expect(time.Since(began)).To(BeNumerically("<", 5*time.Second))
	g.Expect(actionNamed(t, st, "hang").Message).To(HavePrefix("timed out after 300ms"))
}

func TestBackoffGrowsExponentiallyWithJitter(t *testing.T) {
	g := NewWithT(t)
	r := translator.Retry{Limit: 5, Interval: time.Second, BackoffFactor: 2}
	for n, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second} {
		for range 20 {
			d := backoff(r, int32(n))
			g.Expect(d).To(BeNumerically(">=", want*9/10))
			g.Expect(d).To(BeNumerically("<=", want*11/10))
		}
	}
	g.Expect(backoff(translator.Retry{Interval: time.Hour, BackoffFactor: 10}, 5)).To(Equal(maxBackoff))
	g.Expect(backoff(translator.Retry{Interval: time.Second}, 3)).To(BeNumerically("<=", 1100*time.Millisecond), "factor below 1 means constant")
}

func TestTimeoutErrNamesTheTimeoutOnce(t *testing.T) {
	g := NewWithT(t)
	ctx, cancel := withTimeout(context.Background(), time.Millisecond)
	defer cancel()
	<-ctx.Done()
	inner := fmt.Errorf("POST http://x.example/a: %w", context.Cause(ctx))
	err := timeoutErr(ctx, inner)
	g.Expect(err).To(MatchError("timed out after 1ms: POST http://x.example/a"))
	g.Expect(errors.Is(err, inner)).To(BeTrue(), "still the same error underneath")

	other := errors.New("reading the response of POST http://x.example/a: unexpected EOF")
	g.Expect(timeoutErr(ctx, other)).To(MatchError("timed out after 1ms: reading the response of POST http://x.example/a: unexpected EOF"))
	g.Expect(timeoutErr(context.Background(), other)).To(Equal(other), "not a timeout")
}
