package nativeexec

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/translator"
)

// HTTPOptions tune the HTTP transport. The overall bound of one attempt is the action's timeout.
type HTTPOptions struct {
	// DialTimeout bounds opening a TCP connection (default 10s).
	DialTimeout time.Duration
	// TLSHandshakeTimeout bounds the TLS handshake (default 10s).
	TLSHandshakeTimeout time.Duration
	// ResponseHeaderTimeout bounds the wait for response headers once the request is sent (default 60s).
	ResponseHeaderTimeout time.Duration
	// MaxIdleConnsPerHost kept for reuse (default 32: DAGs call the same hook in parallel).
	MaxIdleConnsPerHost int
}

func (o HTTPOptions) withDefaults() HTTPOptions {
	if o.DialTimeout == 0 {
		o.DialTimeout = 10 * time.Second
	}
	if o.TLSHandshakeTimeout == 0 {
		o.TLSHandshakeTimeout = 10 * time.Second
	}
	if o.ResponseHeaderTimeout == 0 {
		o.ResponseHeaderTimeout = 60 * time.Second
	}
	if o.MaxIdleConnsPerHost == 0 {
		o.MaxIdleConnsPerHost = 32
	}
	return o
}

// httpCaller holds two long-lived clients (connections are reused across actions and runs): one verifying
// TLS, one for actions that opted out with insecureSkipVerify.
type httpCaller struct {
	verifying, insecure *http.Client
}

func newHTTPCaller(o HTTPOptions) *httpCaller {
	o = o.withDefaults()
	transport := func(insecure bool) *http.Transport {
		return &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: o.DialTimeout, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   o.TLSHandshakeTimeout,
			ResponseHeaderTimeout: o.ResponseHeaderTimeout,
			MaxIdleConns:          256,
			MaxIdleConnsPerHost:   o.MaxIdleConnsPerHost,
			IdleConnTimeout:       90 * time.Second,
			ForceAttemptHTTP2:     true,
			TLSClientConfig:       &tls.Config{InsecureSkipVerify: insecure, MinVersion: tls.VersionTLS12}, //nolint:gosec // opt-in per action
		}
	}
	limitRedirects := func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return fmt.Errorf("stopped after 10 redirects")
		}
		dropSecretHeaders(req, via[0])
		return nil
	}
	return &httpCaller{
		verifying: &http.Client{Transport: transport(false), CheckRedirect: limitRedirects},
		insecure:  &http.Client{Transport: transport(true), CheckRedirect: limitRedirects},
	}
}

// httpAttempt makes one call. Secret headers are read now, as the executor ServiceAccount, and live only in
// the request: never in status, events, logs or errors.
func (e *Engine) httpAttempt(ctx context.Context, sa serviceAccountRef, a *translator.Action) (*v1alpha1.ActionOutputs, error) {
	h := a.HTTP
	ctx, cancel := withTimeout(ctx, a.Timeout)
	defer cancel()
	var body io.Reader
	if h.Body != "" {
		body = strings.NewReader(h.Body)
	}
	req, err := http.NewRequestWithContext(ctx, h.Method, h.URL, body)
	if err != nil {
		return nil, permanent(fmt.Errorf("building the request: %w", err))
	}
	var secretHeaders []string
	for _, hd := range h.Headers {
		value := hd.Value
		if hd.SecretKeyRef != nil {
			secretHeaders = append(secretHeaders, hd.Name)
			v, ok, err := e.secretValue(ctx, sa, hd.SecretKeyRef)
			if err != nil {
				return nil, fmt.Errorf("header %s: %w", hd.Name, err)
			}
			if !ok {
				continue // optional and absent
			}
			value = v
		}
		req.Header.Set(hd.Name, value)
	}
	if len(secretHeaders) > 0 {
		req = req.WithContext(context.WithValue(req.Context(), secretHeadersKey{}, secretHeaders))
	}
	cl := e.http.verifying
	if h.InsecureSkipVerify {
		cl = e.http.insecure
	}
	resp, err := cl.Do(req)
	if err != nil {
		return nil, timeoutErr(ctx, fmt.Errorf("%s %s: %w", h.Method, h.URL, scrubURLError(err)))
	}
	defer resp.Body.Close()
	captured, readErr := io.ReadAll(io.LimitReader(resp.Body, v1alpha1.HTTPResponseBodyLimit))
	// Drain a bounded rest so the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	out := &v1alpha1.ActionOutputs{HTTPResponse: &v1alpha1.HTTPResponse{StatusCode: int32(resp.StatusCode), Body: truncate(string(captured), v1alpha1.HTTPResponseBodyLimit)}}
	if readErr != nil {
		return out, timeoutErr(ctx, fmt.Errorf("reading the response of %s %s: %w", h.Method, h.URL, readErr))
	}
	if !successful(int32(resp.StatusCode), h.SuccessCodes) {
		return out, fmt.Errorf("received response code %d, want %s", resp.StatusCode, describeCodes(h.SuccessCodes))
	}
	return out, nil
}

// secretHeadersKey is the request context key under which httpAttempt lists the headers it read from Secrets.
type secretHeadersKey struct{}

// dropSecretHeaders removes the headers read from Secrets from a redirected request that leaves the origin
// (scheme, host and port) of the first one. net/http itself drops only Authorization, Cookie and
// WWW-Authenticate, and only when the host name changes, so a token sent as X-Api-Key, or to another port,
// would follow the redirect to wherever the endpoint points.
func dropSecretHeaders(req, first *http.Request) {
	names, _ := first.Context().Value(secretHeadersKey{}).([]string)
	if len(names) == 0 || (req.URL.Scheme == first.URL.Scheme && req.URL.Host == first.URL.Host) {
		return
	}
	for _, name := range names {
		req.Header.Del(name)
	}
}

// successful: the code is one of codes, or 2xx when none are given.
func successful(code int32, codes []int32) bool {
	if len(codes) == 0 {
		return code >= 200 && code < 300
	}
	return slices.Contains(codes, code)
}

func describeCodes(codes []int32) string {
	if len(codes) == 0 {
		return "2xx"
	}
	return fmt.Sprint(codes)
}

// scrubURLError keeps net/http's reason without repeating the method and URL (the caller names them once).
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}

var secretGVR = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}

// secretValue reads one key of a Secret in the run's namespace as the executor ServiceAccount. ok is false
// for an optional reference whose Secret or key is absent.
func (e *Engine) secretValue(ctx context.Context, sa serviceAccountRef, ref *corev1.SecretKeySelector) (string, bool, error) {
	optional := ref.Optional != nil && *ref.Optional
	cl, err := e.clients.forServiceAccount(sa)
	if err != nil {
		return "", false, err
	}
	what := fmt.Sprintf("Secret %s/%s", sa.Namespace, ref.Name)
	obj, err := cl.Resource(secretGVR).Namespace(sa.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) && optional {
		return "", false, nil
	}
	if err != nil {
		return "", false, forbidden(fmt.Errorf("reading %s: %w", what, err), sa, "get", what)
	}
	encoded, found, _ := unstructured.NestedString(obj.Object, "data", ref.Key)
	if !found {
		if optional {
			return "", false, nil
		}
		return "", false, fmt.Errorf("%s has no key %q", what, ref.Key)
	}
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return "", false, fmt.Errorf("%s key %q is not base64", what, ref.Key)
	}
	return string(raw), true, nil
}

// truncate cuts s to at most n bytes without splitting a rune, and keeps the result valid UTF-8 (status is
// JSON): a rune cut by the read limit is dropped, invalid bytes become '?'.
func truncate(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	for i := 1; i < utf8.UTFMax && i <= len(s); i++ {
		if utf8.RuneStart(s[len(s)-i]) {
			if !utf8.FullRuneInString(s[len(s)-i:]) {
				s = s[:len(s)-i]
			}
			break
		}
	}
	return strings.ToValidUTF8(s, "?")
}
