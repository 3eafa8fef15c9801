package nativeexec

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/translator"
)

// Hostile endpoints: every server here listens on 127.0.0.1 and misbehaves in one way. The engine must end
// each action with a status that says what happened, within the action's timeout, holding no more of the
// response than the status keeps.

func TestHostileServerErrorIsRetriedWithOneKeyThenFails(t *testing.T) {
	g := NewWithT(t)
	var mu sync.Mutex
	var keys []string
	srv := newHookServer(t, map[string]http.HandlerFunc{"/500": func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		keys = append(keys, r.Header.Get(translator.IdempotencyHeader))
		mu.Unlock()
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, "database is down")
	}})
	e, notified := testEngine(t)
	run := testRun(testWorkflow("", withRetry(httpAction("notify", srv.URL+"/500"), 2, 10*time.Millisecond)))
	st := driveToEnd(t, e, run, notified)

	n := actionNamed(t, st, "notify")
	g.Expect(n.Phase).To(Equal(v1alpha1.ActionFailed))
	g.Expect(n.Message).To(Equal("no more retries left after 3 attempts: received response code 500, want 2xx"))
	g.Expect(n.RetryCount).To(Equal(int32(2)))
	g.Expect(n.Outputs.HTTPResponse).To(Equal(&v1alpha1.HTTPResponse{StatusCode: 500, Body: "database is down"}))
	g.Expect(srv.callsTo("/500")).To(Equal(3), "retries + 1 calls")
	g.Expect(keys).To(HaveEach(string(run.Execution.UID) + "/wf/notify"))
}

func TestHostileConnectionResetIsRetriedAndNamed(t *testing.T) {
	g := NewWithT(t)
	var calls atomic.Int32
	srv := newHookServer(t, map[string]http.HandlerFunc{"/reset": func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		_ = conn.(*net.TCPConn).SetLinger(0) // close with a RST, not a FIN
		_ = conn.Close()
	}})
	e, notified := testEngine(t)
	st := driveToEnd(t, e, testRun(testWorkflow("", withRetry(httpAction("notify", srv.URL+"/reset"), 1, 10*time.Millisecond))), notified)

	n := actionNamed(t, st, "notify")
	g.Expect(n.Phase).To(Equal(v1alpha1.ActionFailed))
	g.Expect(n.Message).To(HavePrefix("no more retries left after 2 attempts: POST " + srv.URL + "/reset: "))
	g.Expect(n.Message).To(Or(ContainSubstring("connection reset by peer"), ContainSubstring("EOF")))
	g.Expect(calls.Load()).To(Equal(int32(2)), "retries + 1 calls")
	g.Expect(n.Outputs).To(BeNil(), "no response, so no httpResponse")
}

func TestHostileConnectionRefusedIsNamed(t *testing.T) {
	g := NewWithT(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	g.Expect(err).NotTo(HaveOccurred())
	addr := l.Addr().String()
	g.Expect(l.Close()).To(Succeed()) // nothing listens there now
	e, notified := testEngine(t)
	st := driveToEnd(t, e, testRun(testWorkflow("", httpAction("notify", "http://"+addr+"/x"))), notified)
	g.Expect(actionNamed(t, st, "notify").Message).To(And(HavePrefix("POST http://"+addr+"/x: "), ContainSubstring("connection refused")))
}

func TestHostileSlowBodyIsCutByTheActionTimeout(t *testing.T) {
	g := NewWithT(t)
	srv := newHookServer(t, map[string]http.HandlerFunc{"/slow": func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK) // headers at once, then a byte every 100ms
		for range 100 {
			if _, err := io.WriteString(w, "."); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}})
	e, notified := testEngine(t)
	began := time.Now()
	st := driveToEnd(t, e, testRun(testWorkflow("", withTimeoutOf(httpAction("slow", srv.URL+"/slow"), 500*time.Millisecond))), notified)
	g.Expect(time.Since(began)).To(BeNumerically("<", 5*time.Second), "the 10s body is not waited for")
	n := actionNamed(t, st, "slow")
	g.Expect(n.Phase).To(Equal(v1alpha1.ActionFailed))
	g.Expect(n.Message).To(And(HavePrefix("timed out after 500ms"), ContainSubstring("reading the response of POST "+srv.URL+"/slow")))
	g.Expect(n.Outputs.HTTPResponse.StatusCode).To(Equal(int32(200)))
	g.Expect(n.Outputs.HTTPResponse.Body).To(MatchRegexp(`^\.+$`), "what arrived before the timeout is kept")
}

func TestHostileHugeBodyIsReadBoundedAndTruncated(t *testing.T) {
	g := NewWithT(t)
	const offered = 256 << 20 // the server would send 256 MiB
	var sent atomic.Int64
	chunk := []byte(strings.Repeat("a", 64<<10))
	srv := newHookServer(t, map[string]http.HandlerFunc{"/huge": func(w http.ResponseWriter, _ *http.Request) {
		for sent.Load() < offered {
			n, err := w.Write(chunk)
			sent.Add(int64(n))
			if err != nil {
				return
			}
		}
	}})
	e, notified := testEngine(t)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	st := driveToEnd(t, e, testRun(testWorkflow("", httpAction("huge", srv.URL+"/huge"))), notified)
	runtime.ReadMemStats(&after)

	n := actionNamed(t, st, "huge")
	g.Expect(n.Phase).To(Equal(v1alpha1.ActionSucceeded), n.Message)
	g.Expect(n.Outputs.HTTPResponse.Body).To(HaveLen(v1alpha1.HTTPResponseBodyLimit))
	// The engine reads the kept part and drains at most 1 MiB more; the rest is left in the socket buffers.
	g.Eventually(sent.Load).Should(BeNumerically("<", 16<<20), "bytes the server managed to send")
	g.Expect(after.TotalAlloc-before.TotalAlloc).To(BeNumerically("<", 32<<20), "bytes allocated during the run")
}

func TestHostileRedirectLoopStops(t *testing.T) {
	g := NewWithT(t)
	var srv *hookServer
	srv = newHookServer(t, map[string]http.HandlerFunc{"/loop": func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, srv.URL+"/loop", http.StatusFound)
	}})
	e, notified := testEngine(t)
	st := driveToEnd(t, e, testRun(testWorkflow("", httpAction("loop", srv.URL+"/loop"))), notified)
	g.Expect(actionNamed(t, st, "loop").Message).To(ContainSubstring("stopped after 10 redirects"))
	g.Expect(srv.callsTo("/loop")).To(Equal(10))
}

func TestHostileTLSErrorsAreNamed(t *testing.T) {
	g := NewWithT(t)
	selfSigned := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	t.Cleanup(selfSigned.Close)
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	t.Cleanup(plain.Close)
	e, notified := testEngine(t)

	st := driveToEnd(t, e, testRun(testWorkflow("", httpAction("tls", selfSigned.URL+"/x"))), notified)
	g.Expect(actionNamed(t, st, "tls").Message).To(And(HavePrefix("POST "+selfSigned.URL+"/x: "),
		ContainSubstring("x509: certificate signed by unknown authority")))

	st = driveToEnd(t, e, testRun(testWorkflow("", httpAction("plain", strings.Replace(plain.URL, "http://", "https://", 1)+"/x"))), notified)
	g.Expect(actionNamed(t, st, "plain").Message).To(ContainSubstring("server gave HTTP response to HTTPS client"))
}

// The end-to-end check, with headers read from a real Secret, is in test/integration; this one holds the
// transport to the rule for any header the request marks as secret.
func TestHostileRedirectKeepsSecretHeadersAtTheirOrigin(t *testing.T) {
	g := NewWithT(t)
	type seen struct{ auth, key, plain string }
	var mu sync.Mutex
	got := map[string]seen{}
	record := func(name string) http.HandlerFunc {
		return func(_ http.ResponseWriter, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			got[name] = seen{r.Header.Get("Authorization"), r.Header.Get("X-Api-Key"), r.Header.Get("X-Trace")}
		}
	}
	other := newHookServer(t, map[string]http.HandlerFunc{"/land": record("other server")})
	// "localhost" is another host name for the same loopback address.
	otherHost := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	var origin *hookServer
	origin = newHookServer(t, map[string]http.HandlerFunc{
		"/same": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, origin.URL+"/land", http.StatusFound)
		},
		"/other-port": func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, other.URL+"/land", http.StatusFound) },
		"/other-host": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, otherHost+"/land", http.StatusTemporaryRedirect)
		},
		"/land": record("same origin"),
	})
	e, _ := testEngine(t)
	call := func(path string) {
		ctx := context.WithValue(context.Background(), secretHeadersKey{}, []string{"Authorization", "X-Api-Key"})
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, origin.URL+path, strings.NewReader("{}"))
		g.Expect(err).NotTo(HaveOccurred())
		req.Header.Set("Authorization", "Bearer s3cr3t")
		req.Header.Set("X-Api-Key", "k3y")
		req.Header.Set("X-Trace", "t1")
		resp, err := e.http.verifying.Do(req)
		g.Expect(err).NotTo(HaveOccurred())
		_ = resp.Body.Close()
	}
	call("/same")
	g.Expect(got["same origin"]).To(Equal(seen{"Bearer s3cr3t", "k3y", "t1"}))
	call("/other-port")
	g.Expect(got["other server"]).To(Equal(seen{"", "", "t1"}), "net/http alone would send both: same host name")
	delete(got, "other server")
	call("/other-host")
	g.Expect(got["other server"]).To(Equal(seen{"", "", "t1"}), "net/http alone would send X-Api-Key")
}
