//go:build e2e

package killpoints

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/gomega"

	"github.com/drplan/drplan-operator/translator"
)

// hookServer is the endpoint of every HTTP action, on 127.0.0.1 (Argo's agent runs as a local process). It holds
// each answer for hookDelay, so that kills land while requests are in flight, answers 500 to paths ending in
// /boom, and records every request's path and idempotency key.
type hookServer struct {
	srv    *httptest.Server
	closed chan struct{}

	mu   sync.Mutex
	keys map[string][]string // path -> X-DR-Idempotency-Key of each request, in order
	// aborted counts, per path, the requests whose client went away before the answer (the native engine's
	// operator killed while it waited): the caller never learned the outcome.
	aborted map[string]int
}

const hookDelay = time.Second

func newHookServer() *hookServer {
	h := &hookServer{keys: map[string][]string{}, aborted: map[string]int{}, closed: make(chan struct{})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	h.srv = &httptest.Server{Listener: l, Config: &http.Server{Handler: http.HandlerFunc(h.serve)}}
	h.srv.Start()
	return h
}

func (h *hookServer) Close() {
	close(h.closed)
	h.srv.Close()
}

func (h *hookServer) URL(path string) string { return h.srv.URL + path }

func (h *hookServer) serve(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	h.mu.Lock()
	h.keys[r.URL.Path] = append(h.keys[r.URL.Path], r.Header.Get(translator.IdempotencyHeader))
	h.mu.Unlock()
	select {
	case <-time.After(hookDelay):
	case <-r.Context().Done():
		h.mu.Lock()
		h.aborted[r.URL.Path]++
		h.mu.Unlock()
		return
	case <-h.closed:
	}
	status := http.StatusOK
	if strings.HasSuffix(r.URL.Path, "/boom") {
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`{"ok":true}`))
}

// Keys returns the idempotency keys of the requests to path, one per request.
func (h *hookServer) Keys(path string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.keys[path]...)
}

// Aborted is the number of requests to path whose client went away before the answer.
func (h *hookServer) Aborted(path string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.aborted[path]
}
