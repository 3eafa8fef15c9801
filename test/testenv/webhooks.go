package testenv

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"path/filepath"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	drwebhook "github.com/drplan/drplan-operator/internal/webhook"
)

// WebhookEnv is a real kube-apiserver and etcd with the operator's CRDs and its ValidatingWebhookConfiguration
// (config/webhook/manifests.yaml), calling the operator's webhooks served by a manager in this process. No
// reconciler runs.
type WebhookEnv struct {
	Env    *envtest.Environment
	Config *rest.Config
	stop   context.CancelFunc
	done   chan error
}

// StartWebhookEnv starts the API server and the webhook server and returns once the webhook server answers TLS.
func StartWebhookEnv(scheme *runtime.Scheme) (*WebhookEnv, error) {
	assets, err := AssetsDir()
	if err != nil {
		return nil, err
	}
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	w := &WebhookEnv{Env: &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     []string{filepath.Join(root, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		WebhookInstallOptions: envtest.WebhookInstallOptions{
			// The file, not the directory: config/webhook also holds kustomize files.
			Paths: []string{filepath.Join(root, "config", "webhook", "manifests.yaml")},
		},
	}}
	if w.Config, err = w.Env.Start(); err != nil {
		return nil, err
	}
	wio := &w.Env.WebhookInstallOptions
	mgr, err := ctrl.NewManager(w.Config, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		WebhookServer: webhook.NewServer(webhook.Options{
			Host: wio.LocalServingHost, Port: wio.LocalServingPort, CertDir: wio.LocalServingCertDir,
		}),
	})
	if err == nil {
		err = drwebhook.SetupWebhooks(mgr)
	}
	if err != nil {
		_ = w.Env.Stop()
		return nil, err
	}
	var ctx context.Context
	ctx, w.stop = context.WithCancel(context.Background())
	w.done = make(chan error, 1)
	go func() { w.done <- mgr.Start(ctx) }()

	addr := net.JoinHostPort(wio.LocalServingHost, fmt.Sprint(wio.LocalServingPort))
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: time.Second}, "tcp", addr,
			&tls.Config{InsecureSkipVerify: true}) //nolint:gosec // test only: reachability of the local server
		if err == nil {
			_ = conn.Close()
			return w, nil
		}
		if time.Now().After(deadline) {
			w.Stop()
			return nil, fmt.Errorf("the webhook server on %s did not answer: %w", addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop stops the webhook server, then the API server.
func (w *WebhookEnv) Stop() error {
	w.stop()
	select {
	case err := <-w.done:
		if err != nil {
			return err
		}
	case <-time.After(30 * time.Second):
		return fmt.Errorf("the webhook manager did not stop within 30s")
	}
	return w.Env.Stop()
}
