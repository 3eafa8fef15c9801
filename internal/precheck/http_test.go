package precheck

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/translator"
)

// TestCheckHTTP checks endpoints on real local listeners: reachable ones pass and receive no request.
func TestCheckHTTP(t *testing.T) {
	var requests atomic.Int32
	count := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { requests.Add(1) })
	plain := httptest.NewServer(count)
	defer plain.Close()
	tlsSrv := httptest.NewTLSServer(count)
	defer tlsSrv.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/hook"
	_ = l.Close()

	c := &Checker{}
	for _, tc := range []struct {
		name     string
		req      translator.HTTPRequest
		phase    v1alpha1.ActionPhase
		contains string
	}{
		{"reachable http", translator.HTTPRequest{Method: "POST", URL: plain.URL + "/failover"}, v1alpha1.ActionSucceeded, "a TCP connection"},
		{"reachable https, verification opted out", translator.HTTPRequest{Method: "POST", URL: tlsSrv.URL, InsecureSkipVerify: true}, v1alpha1.ActionSucceeded, "a TLS connection"},
		{"https with an untrusted certificate", translator.HTTPRequest{Method: "POST", URL: tlsSrv.URL}, v1alpha1.ActionFailed, "certificate"},
		{"nothing listens", translator.HTTPRequest{Method: "GET", URL: closed}, v1alpha1.ActionFailed, "connection refused"},
		{"host does not resolve", translator.HTTPRequest{Method: "GET", URL: "http://no-such-host.invalid/x"}, v1alpha1.ActionFailed, "does not resolve"},
		{"not http", translator.HTTPRequest{Method: "GET", URL: "ftp://example.com/x"}, v1alpha1.ActionFailed, "is not http or https"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5e9)
			defer cancel()
			v := c.checkHTTP(ctx, saRef{"ns", "sa"}, &tc.req)
			if v.phase != tc.phase || !strings.Contains(v.message, tc.contains) {
				t.Fatalf("got %s %q, want %s containing %q", v.phase, v.message, tc.phase, tc.contains)
			}
		})
	}
	if n := requests.Load(); n != 0 {
		t.Fatalf("the endpoints received %d requests, want none", n)
	}
}

// TestCheckHTTPThroughProxy: with a proxy in the environment the proxy is what must answer; the endpoint
// (here a name that does not resolve) is not contacted.
func TestCheckHTTPThroughProxy(t *testing.T) {
	var requests atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { requests.Add(1) }))
	defer proxy.Close()
	t.Setenv("HTTP_PROXY", proxy.URL)
	t.Setenv("http_proxy", proxy.URL)
	t.Setenv("NO_PROXY", "")
	t.Setenv("no_proxy", "")
	v := (&Checker{}).checkHTTP(context.Background(), saRef{"ns", "sa"}, &translator.HTTPRequest{Method: "POST", URL: "http://hooks.example.invalid/x"})
	if v.phase != v1alpha1.ActionSucceeded || !strings.Contains(v.message, "the proxy "+strings.TrimPrefix(proxy.URL, "http://")) {
		t.Fatalf("got %s %q", v.phase, v.message)
	}
	if requests.Load() != 0 {
		t.Fatal("the proxy received a request")
	}
}
