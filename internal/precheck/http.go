package precheck

import (
	"context"
	"crypto/tls"
	"net"
	"net/url"

	"golang.org/x/net/http/httpproxy"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/drplan/drplan-operator/translator"
)

var secretGVR = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}

// checkHTTP reads the Secrets of the request's headers as the executor ServiceAccount (their values are
// dropped at once), resolves the URL's host and opens a TCP connection (a TLS handshake for https, verified
// unless the action opted out), then closes it: the request itself is never sent.
func (c *Checker) checkHTTP(ctx context.Context, sa saRef, h *translator.HTTPRequest) verdict {
	for _, hd := range h.Headers {
		if hd.SecretKeyRef == nil {
			continue
		}
		if v := c.checkSecretKey(ctx, sa, hd.Name, hd.SecretKeyRef.Name, hd.SecretKeyRef.Key, hd.SecretKeyRef.Optional); v != nil {
			return *v
		}
	}
	u, err := url.Parse(h.URL)
	if err != nil || u.Host == "" {
		return failed("URL %q does not parse to a host", h.URL)
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"https": "443", "http": "80"}[u.Scheme]
	}
	if port == "" {
		return failed("URL %s: scheme %q is not http or https", h.URL, u.Scheme)
	}
	// The run goes through the operator's proxy when the environment names one (the native engine's transport
	// does, and Argo's agent reads the same variables): then the proxy is what must answer.
	// (httpproxy reads the environment on each call; net/http caches it for the process.)
	if proxy, _ := httpproxy.FromEnvironment().ProxyFunc()(u); proxy != nil {
		return c.checkProxy(ctx, u, proxy)
	}
	addrs, err := net.DefaultResolver.LookupHost(ctx, u.Hostname())
	if err != nil {
		return failed("host %s of %s does not resolve: %v", u.Hostname(), h.URL, err)
	}
	addr := net.JoinHostPort(u.Hostname(), port)
	var conn net.Conn
	if u.Scheme == "https" {
		d := &tls.Dialer{Config: &tls.Config{ServerName: u.Hostname(), InsecureSkipVerify: h.InsecureSkipVerify, MinVersion: tls.VersionTLS12}} //nolint:gosec // opt-in per action
		conn, err = d.DialContext(ctx, "tcp", addr)
	} else {
		conn, err = (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return failed("connecting to %s (%s, resolved to %v): %v", addr, u.Scheme, addrs, err)
	}
	_ = conn.Close()
	what := "a TCP connection"
	if u.Scheme == "https" {
		what = "a TLS connection"
	}
	return passed("%s resolved and %s to %s opened (the request was not sent)", u.Hostname(), what, addr)
}

// checkSecretKey reads Secret name in the run's namespace and checks that it holds key; nil when it does, or
// when the reference is optional and the Secret or key is absent. The value never leaves this function.
func (c *Checker) checkSecretKey(ctx context.Context, sa saRef, header, name, key string, optional *bool) *verdict {
	opt := optional != nil && *optional
	cl, err := c.client(sa)
	if err != nil {
		v := failed("%v", err)
		return &v
	}
	obj, err := cl.Resource(secretGVR).Namespace(sa.Namespace).Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err) && opt:
		return nil
	case apierrors.IsForbidden(err):
		v := failed("header %s: ServiceAccount %s may not get Secret %s/%s (Forbidden)", header, sa, sa.Namespace, name)
		return &v
	case err != nil:
		v := failed("header %s: reading Secret %s/%s: %s", header, sa.Namespace, name, apierrors.ReasonForError(err))
		return &v
	}
	if _, found, _ := unstructured.NestedString(obj.Object, "data", key); !found && !opt {
		v := failed("header %s: Secret %s/%s has no key %q", header, sa.Namespace, name, key)
		return &v
	}
	return nil
}

// checkProxy opens a TCP connection to the proxy the run would use for u, and closes it.
func (c *Checker) checkProxy(ctx context.Context, u, proxy *url.URL) verdict {
	port := proxy.Port()
	if port == "" {
		port = map[string]string{"https": "443", "http": "80"}[proxy.Scheme]
	}
	addr := net.JoinHostPort(proxy.Hostname(), port)
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return failed("connecting to the proxy %s the run would use for %s: %v", addr, u.Host, err)
	}
	_ = conn.Close()
	return passed("the proxy %s the run would use for %s answered (the endpoint itself was not contacted, the request was not sent)", addr, u.Host)
}
