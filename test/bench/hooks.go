//go:build bench

package main

import (
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// hookServer is the endpoint of every HTTP action, on 127.0.0.1 (Argo's agent runs as a local process, the
// native engine in the operator's). A request to /<run>/<action> is answered 200 after delay; the server keeps,
// per run, when its first request arrived and how many arrived.
type hookServer struct {
	srv   *http.Server
	url   string
	delay time.Duration

	mu    sync.Mutex
	first map[string]time.Time
	count map[string]int
}

func startHookServer(delay time.Duration) (*hookServer, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	h := &hookServer{url: "http://" + l.Addr().String(), delay: delay, first: map[string]time.Time{}, count: map[string]int{}}
	h.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = h.srv.Serve(l) }()
	return h, nil
}

func (h *hookServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	_, _ = io.Copy(io.Discard, r.Body)
	run, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	h.mu.Lock()
	if _, ok := h.first[run]; !ok {
		h.first[run] = now
	}
	h.count[run]++
	h.mu.Unlock()
	select {
	case <-time.After(h.delay):
	case <-r.Context().Done():
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"ok":true}`))
}

// requests returns when the first request of run arrived and how many did.
func (h *hookServer) requests(run string) (time.Time, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.first[run], h.count[run]
}

func (h *hookServer) close() { _ = h.srv.Close() }
