//go:build e2e

package e2e

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

// hookServer is the HTTP endpoint of the specs' HTTP actions, on 127.0.0.1 (Argo's agent runs as a local
// process, so it reaches it). It records every request with the time it arrived and was answered, and answers per
// path as a spec asks: fail the first N requests, answer slowly, or hold the request until released.
type hookServer struct {
	srv *httptest.Server

	mu        sync.Mutex
	requests  []*hookRequest
	behaviour map[string]hookBehaviour
	// closed unblocks held and slow requests when the suite ends.
	closed chan struct{}
}

// hookRequest is one request the server received.
type hookRequest struct {
	Path, Method, Body string
	// IdempotencyKey is the X-DR-Idempotency-Key header.
	IdempotencyKey string
	// Header holds every header of the request.
	Header http.Header
	// Status is what the server answered (0 while the request is held).
	Status int
	// Arrived and Answered bound the request's time in the server (Answered is zero while it is held).
	Arrived, Answered time.Time
}

// hookBehaviour says how to answer the requests of one path.
type hookBehaviour struct {
	// FailFirst answers the first FailFirst requests with FailStatus (default 503).
	FailFirst  int
	FailStatus int
	// Delay holds every answer this long.
	Delay time.Duration
	// Hold holds every answer until the channel is closed (or the client goes away).
	Hold <-chan struct{}
	// Body is the answer's body on success (default {"ok":true}).
	Body string
	// Redirect answers 307 Temporary Redirect to this URL instead.
	Redirect string
}

func newHookServer() *hookServer {
	h := &hookServer{behaviour: map[string]hookBehaviour{}, closed: make(chan struct{})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	h.srv = &httptest.Server{Listener: l, Config: &http.Server{Handler: http.HandlerFunc(h.serve)}}
	h.srv.Start()
	return h
}

// Close unblocks every held request and stops the server.
func (h *hookServer) Close() {
	close(h.closed)
	h.srv.Close()
}

// URL of a path on the server.
func (h *hookServer) URL(path string) string { return h.srv.URL + path }

// On sets how requests to path are answered.
func (h *hookServer) On(path string, b hookBehaviour) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.behaviour[path] = b
}

func (h *hookServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := hookRequest{Path: r.URL.Path, Method: r.Method, Body: string(body),
		IdempotencyKey: r.Header.Get(translator.IdempotencyHeader), Header: r.Header.Clone(), Arrived: time.Now()}
	h.mu.Lock()
	b := h.behaviour[r.URL.Path]
	seen := 0
	for _, p := range h.requests {
		if p.Path == r.URL.Path {
			seen++
		}
	}
	rec := &req
	h.requests = append(h.requests, rec)
	h.mu.Unlock()

	if b.Delay > 0 {
		select {
		case <-time.After(b.Delay):
		case <-r.Context().Done():
		case <-h.closed:
		}
	}
	if b.Hold != nil {
		select {
		case <-b.Hold:
		case <-r.Context().Done():
		case <-h.closed:
		}
	}
	if b.Redirect != "" {
		h.mu.Lock()
		rec.Status, rec.Answered = http.StatusTemporaryRedirect, time.Now()
		h.mu.Unlock()
		http.Redirect(w, r, b.Redirect, http.StatusTemporaryRedirect)
		return
	}
	status := http.StatusOK
	answer := b.Body
	if answer == "" {
		answer = `{"ok":true}`
	}
	if seen < b.FailFirst {
		status = b.FailStatus
		if status == 0 {
			status = http.StatusServiceUnavailable
		}
		answer = `{"ok":false}`
	}
	h.mu.Lock()
	rec.Status, rec.Answered = status, time.Now()
	h.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(answer))
}

// Requests returns the requests whose path starts with prefix, answered or not, in the order they arrived.
func (h *hookServer) Requests(prefix string) []hookRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []hookRequest
	for _, r := range h.requests {
		if strings.HasPrefix(r.Path, prefix) {
			out = append(out, *r)
		}
	}
	return out
}

// Paths lists the paths of Requests(prefix) in order.
func (h *hookServer) Paths(prefix string) []string {
	var out []string
	for _, r := range h.Requests(prefix) {
		out = append(out, r.Path)
	}
	return out
}

// Only returns the one request of path, failing when there is not exactly one.
func (h *hookServer) Only(path string) hookRequest {
	reqs := h.Requests(path)
	ExpectWithOffset(1, reqs).To(HaveLen(1), "requests to %s", path)
	return reqs[0]
}
