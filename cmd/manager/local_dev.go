//go:build localdev

// The embedded local stack of `make run`. It is test tooling (envtest and test/stack), so it is built only
// with -tags localdev: the operator's image (go build ./cmd/manager) links none of it (see local_prod.go).

package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/drplan/drplan-operator/internal/controller"
	"github.com/drplan/drplan-operator/test/stack"
	"github.com/drplan/drplan-operator/test/testenv"
)

const (
	// localLifetime bounds every process of the stack even if this one is killed without a chance to stop
	// them (kill -9); Ctrl-C stops them at once.
	localLifetime = 12 * time.Hour
	// localStartTimeout bounds the stack's start (it bounds its own readiness wait at 3 minutes).
	localStartTimeout = 4 * time.Minute
	// quickstartNamespace is where `kubectl apply -f examples/quickstart/` puts the quickstart.
	quickstartNamespace = "default"
)

// localOperator is the operator's identity on the local stack, as config/default names it: the operator runs
// with exactly the rights of config/rbac/role.yaml, not an administrator's.
var localOperator = testenv.Operator{Namespace: "drplan-system", ServiceAccount: "drplan-controller-manager",
	ClusterRole: "drplan-manager-role"}

// localControlPlane is the test/stack cluster: etcd, kube-apiserver, kube-scheduler, kube-controller-manager,
// kwok, Argo's workflow-controller and the pod runner that runs argoexec.
type localControlPlane struct {
	stack      *stack.Stack
	config     *rest.Config // the operator's identity
	kubeconfig string       // admin, for people
	webhooks   bool
}

// signalContext is cancelled by the first SIGINT or SIGTERM. Later signals do not cut the shutdown short
// (controller-runtime's handler would exit at the second one, leaving the stack's processes behind): the
// stack stops within seconds.
func signalContext() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-ch
		cancel()
		for range ch {
			fmt.Fprintln(os.Stderr, "still stopping the local stack; it takes a few seconds")
		}
	}()
	return ctx
}

// startLocalControlPlane starts the local stack with the CRDs of crdDir, Argo's and the Clusternet test CRDs,
// the webhook configurations of webhookDir (unless empty) pointing at this process, prepares the quickstart's
// namespace and the operator's identity, and writes an admin kubeconfig into stateDir.
func startLocalControlPlane(ctx context.Context, crdDir, webhookDir, stateDir string) (*localControlPlane, error) {
	root, err := testenv.RepoRoot()
	if err != nil {
		return nil, fmt.Errorf("the local stack runs from a clone of the repository: %w", err)
	}
	o, err := stack.OptionsFromEnv(root)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(crdDir); err != nil {
		return nil, fmt.Errorf("--crd-dir: %w", err)
	}
	o.CRDDirs[0] = crdDir // config/crd/bases by default
	o.ArtifactsDir = filepath.Join(stateDir, "logs")
	o.Lifetime = localLifetime
	if webhookDir != "" {
		if _, err := os.Stat(webhookDir); err != nil {
			return nil, fmt.Errorf("--webhook-dir: %w (or run with --enable-webhooks=false)", err)
		}
		o.WebhookPaths = []string{webhookDir}
	}
	log := ctrl.Log.WithName("local-stack")
	log.Info("starting the local stack: etcd, kube-apiserver, kube-scheduler, kube-controller-manager, kwok, "+
		"Argo's workflow-controller, argoexec pod runner", "logs", o.ArtifactsDir)
	startCtx, cancel := context.WithTimeout(ctx, localStartTimeout)
	defer cancel()
	s, err := stack.Start(startCtx, o)
	if err != nil {
		return nil, fmt.Errorf("starting the local stack (logs in %s): %w", o.ArtifactsDir, err)
	}
	l := &localControlPlane{stack: s, webhooks: webhookDir != ""}
	if err := l.prepare(startCtx, root, stateDir); err != nil {
		l.stop()
		return nil, err
	}
	return l, nil
}

// prepare gives the operator its identity, readies the quickstart's namespace and writes the kubeconfig.
func (l *localControlPlane) prepare(ctx context.Context, root, stateDir string) error {
	c, err := client.New(l.stack.Config, client.Options{Scheme: controller.NewScheme()})
	if err != nil {
		return err
	}
	if l.config, err = testenv.OperatorConfig(ctx, c, l.stack.Config, root, localOperator); err != nil {
		return err
	}
	if err := testenv.WaitAllowed(ctx, c, localOperator.User(), localOperator.Groups(), "", "dr.bkbcs.tencent.com",
		"drplanexecutions", "watch"); err != nil {
		return err
	}
	if err := testenv.PrepareQuickstartNamespace(ctx, c, root, "drplan-make-run", quickstartNamespace); err != nil {
		return err
	}
	kc, err := os.ReadFile(l.stack.Kubeconfig)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return err
	}
	l.kubeconfig = filepath.Join(stateDir, "kubeconfig")
	return os.WriteFile(l.kubeconfig, kc, 0o600)
}

// webhookServerOptions are the webhook server's options: those envtest chose for the local stack, else
// certDir (empty: controller-runtime's default).
func (l *localControlPlane) webhookServerOptions(certDir string, port int, tlsOpts []func(*tls.Config)) webhook.Options {
	if l == nil || !l.webhooks {
		return webhook.Options{CertDir: certDir, Port: port, TLSOpts: tlsOpts}
	}
	w := l.stack.Env.WebhookInstallOptions
	return webhook.Options{Host: w.LocalServingHost, Port: w.LocalServingPort, CertDir: w.LocalServingCertDir, TLSOpts: tlsOpts}
}

// providesWebhookCerts is true when the local stack made the webhooks' certificate itself.
func (l *localControlPlane) providesWebhookCerts() bool { return l != nil && l.webhooks }

func (l *localControlPlane) stop() {
	if l == nil {
		return
	}
	log := ctrl.Log.WithName("local-stack")
	log.Info("stopping the local stack")
	if err := l.stack.Stop(); err != nil {
		log.Error(err, "stopping the local stack")
	}
	if l.kubeconfig != "" {
		_ = os.Remove(l.kubeconfig)
	}
	log.Info("local stack stopped")
}

func (l *localControlPlane) printUsage(w io.Writer) {
	line := strings.Repeat("=", 78)
	webhooks := "off"
	if l.webhooks {
		wo := l.stack.Env.WebhookInstallOptions
		webhooks = fmt.Sprintf("served by this process on %s:%d", wo.LocalServingHost, wo.LocalServingPort)
	}
	fmt.Fprintf(w, `
%s
 drplan-operator is running on a local stack: kube-apiserver + etcd, kube-scheduler,
 kube-controller-manager, kwok (a fake node), Argo's workflow-controller and argoexec.
 API server: %s
 Webhooks:   %s
 Logs:       %s
 Namespace %q has the executor ServiceAccount %s, allowed to manage ConfigMaps.

 In another shell:
   export KUBECONFIG=%s
   kubectl apply -f examples/quickstart/     # runs on Argo; Succeeded within seconds
   kubectl get dr                            # DRWorkflows, DRPlans and DRPlanExecutions
   kubectl get workflows                     # the Argo Workflows the operator compiled

 Stop with Ctrl-C; the stack and its data go away with the operator.
%s

`, line, l.stack.Config.Host, webhooks, l.stack.ArtifactsDir(), quickstartNamespace, "drplan-executor", l.kubeconfig, line)
}
