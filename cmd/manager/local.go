package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
)

// Values of --local-control-plane.
const (
	localAuto   = "auto"
	localNever  = "never"
	localAlways = "always"
)

// clusternetCRDDir holds the Clusternet test CRDs; installed into an embedded control plane when present
// (that is, when the manager runs from a clone of the repository).
const clusternetCRDDir = "test/fixtures/clusternet"

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

// localControlPlane is an embedded kube-apiserver + etcd (envtest) with the operator's CRDs installed.
type localControlPlane struct {
	env        *envtest.Environment
	config     *rest.Config
	kubeconfig string
	crdDirs    []string
	webhooks   bool
}

// webhookServerOptions are the webhook server's options: those envtest chose for an embedded control plane,
// else certDir (empty: controller-runtime's default).
func (l *localControlPlane) webhookServerOptions(certDir string, tlsOpts []func(*tls.Config)) webhook.Options {
	if l == nil || !l.webhooks {
		return webhook.Options{CertDir: certDir, TLSOpts: tlsOpts}
	}
	w := l.env.WebhookInstallOptions
	return webhook.Options{Host: w.LocalServingHost, Port: w.LocalServingPort, CertDir: w.LocalServingCertDir, TLSOpts: tlsOpts}
}

// startLocalControlPlane starts kube-apiserver and etcd from $KUBEBUILDER_ASSETS, installs the CRDs of crdDir,
// of $ARGO_CRD_DIR (Argo's minimal CRDs, when set) and the Clusternet test CRDs (when present), installs the
// webhook configurations of webhookDir (unless empty) pointing at this process, and writes an admin
// kubeconfig into stateDir.
func startLocalControlPlane(crdDir, webhookDir, stateDir string) (*localControlPlane, error) {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		return nil, errors.New("an embedded control plane needs KUBEBUILDER_ASSETS pointing at kube-apiserver and etcd " +
			"(`make run` sets it; `make envtest-assets` builds them)")
	}
	if _, err := os.Stat(crdDir); err != nil {
		return nil, fmt.Errorf("--crd-dir: %w", err)
	}
	dirs := []string{crdDir}
	if argo := os.Getenv("ARGO_CRD_DIR"); argo != "" {
		if _, err := os.Stat(argo); err != nil {
			return nil, fmt.Errorf("ARGO_CRD_DIR: %w", err)
		}
		dirs = append(dirs, argo)
	}
	if _, err := os.Stat(clusternetCRDDir); err == nil {
		dirs = append(dirs, clusternetCRDDir)
	}

	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     dirs,
		ErrorIfCRDPathMissing: true,
	}
	if webhookDir != "" {
		if _, err := os.Stat(webhookDir); err != nil {
			return nil, fmt.Errorf("--webhook-dir: %w (or run with --enable-webhooks=false)", err)
		}
		// envtest points the configurations at a local port with a certificate of its own.
		env.WebhookInstallOptions = envtest.WebhookInstallOptions{Paths: []string{webhookDir}}
	}
	if _, err := env.Start(); err != nil {
		return nil, fmt.Errorf("starting the embedded control plane: %w", err)
	}
	lcp := &localControlPlane{env: env, crdDirs: dirs, webhooks: webhookDir != ""}
	admin, err := env.AddUser(envtest.User{Name: "drplan-admin", Groups: []string{"system:masters"}}, nil)
	if err == nil {
		lcp.config = admin.Config()
		lcp.kubeconfig, err = writeKubeconfig(admin, stateDir)
	}
	if err != nil {
		lcp.stop()
		return nil, err
	}
	return lcp, nil
}

func writeKubeconfig(admin *envtest.AuthenticatedUser, stateDir string) (string, error) {
	data, err := admin.KubeConfig()
	if err != nil {
		return "", fmt.Errorf("rendering the admin kubeconfig: %w", err)
	}
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return "", err
	}
	path := filepath.Join(stateDir, "kubeconfig")
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", err
	}
	return path, nil
}

func (l *localControlPlane) stop() {
	if l == nil {
		return
	}
	log := ctrl.Log.WithName("local-control-plane")
	log.Info("stopping the embedded control plane")
	if err := l.env.Stop(); err != nil {
		log.Error(err, "stopping the embedded control plane")
	}
	if l.kubeconfig != "" {
		_ = os.Remove(l.kubeconfig)
	}
}

func (l *localControlPlane) printUsage(w io.Writer) {
	line := strings.Repeat("=", 78)
	fmt.Fprintf(w, `
%s
 drplan-operator is running on an embedded control plane (kube-apiserver + etcd, no nodes).
 API server: %s
 CRDs from:  %s
 Webhooks:   %s

 In another shell:
   export KUBECONFIG=%s
   kubectl get dr                        # DRWorkflows, DRPlans and DRPlanExecutions
   kubectl explain drplan.spec.stages    # field documentation
   kubectl apply -f examples/quickstart/ # then: kubectl get dr

 Stop with Ctrl-C; the control plane and its data go away with the operator.
%s

`, line, l.config.Host, strings.Join(l.crdDirs, ", "), l.webhookState(), l.kubeconfig, line)
}

func (l *localControlPlane) webhookState() string {
	if !l.webhooks {
		return "off"
	}
	w := l.env.WebhookInstallOptions
	return fmt.Sprintf("served by this process on %s:%d", w.LocalServingHost, w.LocalServingPort)
}
