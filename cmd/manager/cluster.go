package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
)

// Values of --local-control-plane.
const (
	localAuto   = "auto"
	localNever  = "never"
	localAlways = "always"
)

func defaultLocalStateDir() string {
	if dir, err := os.UserCacheDir(); err == nil {
		return filepath.Join(dir, "drplan", "local")
	}
	return filepath.Join(os.TempDir(), "drplan-local")
}

// kubeconfigConfigured reports whether any source ctrl.GetConfig reads is there: --kubeconfig, $KUBECONFIG,
// the in-cluster environment or ~/.kube/config. (Asking ctrl.GetConfig without one logs a misleading error.)
func kubeconfigConfigured() bool {
	if f := flag.Lookup("kubeconfig"); f != nil && f.Value.String() != "" {
		return true
	}
	if os.Getenv("KUBECONFIG") != "" || os.Getenv("KUBERNETES_SERVICE_HOST") != "" {
		return true
	}
	if home, err := os.UserHomeDir(); err == nil {
		if _, err := os.Stat(filepath.Join(home, ".kube", "config")); err == nil {
			return true
		}
	}
	return false
}

// webhookCertDirOr returns dir, or controller-runtime's default webhook certificate directory.
func webhookCertDirOr(dir string) string {
	if dir != "" {
		return dir
	}
	return filepath.Join(os.TempDir(), "k8s-webhook-server", "serving-certs")
}

// webhookCertPresent reports whether the webhook server would find its certificate and key.
func webhookCertPresent(dir string) bool {
	dir = webhookCertDirOr(dir)
	for _, f := range []string{"tls.crt", "tls.key"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return false
		}
	}
	return true
}

// probeCluster asks the API server for its version, giving up after timeout.
func probeCluster(ctx context.Context, cfg *rest.Config, timeout time.Duration) error {
	c := rest.CopyConfig(cfg)
	c.Timeout = timeout
	dc, err := discovery.NewDiscoveryClientForConfig(c)
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { _, err := dc.ServerVersion(); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("cluster at %s is not reachable: %w", cfg.Host, err)
		}
		return nil
	case <-time.After(timeout):
		return fmt.Errorf("cluster at %s did not answer within %s", cfg.Host, timeout)
	case <-ctx.Done():
		return ctx.Err()
	}
}
