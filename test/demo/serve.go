package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/drplan/drplan-operator/internal/controller"
	"github.com/drplan/drplan-operator/test/stack"
	"github.com/drplan/drplan-operator/test/testenv"
)

const (
	// startTimeout bounds the start of the stack and of the operator (the stack bounds its own wait at 3 min).
	startTimeout = 4 * time.Minute
	// managerStopTimeout bounds the operator's shutdown, so a stuck reconciler cannot keep the stack alive.
	managerStopTimeout = 15 * time.Second
	// stepPrefix marks the lines of serve.log that `up` relays while it waits.
	stepPrefix = "demo: "
)

// readyInfo is the content of the ready marker.
type readyInfo struct {
	PID        int       `json:"pid"`
	Kubeconfig string    `json:"kubeconfig"`
	Logs       string    `json:"logs"`
	Started    time.Time `json:"started"`
	Expires    time.Time `json:"expires"`
	// ArgoServer is the Argo Server's base URL (its API; the UI is not built here).
	ArgoServer string `json:"argoServer"`
}

// step writes one progress line for `up` to relay (serve's stdout is serve.log).
func step(format string, args ...any) {
	fmt.Printf("%s%s %s\n", stepPrefix, time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// serve runs the stack and the operator until SIGTERM/SIGINT or the end of lifetime.
func serve(p paths, lifetime time.Duration) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	err := serveUntilDone(ctx, p, lifetime)
	if err != nil {
		step("failed: %v", err)
	}
	return err
}

func serveUntilDone(ctx context.Context, p paths, lifetime time.Duration) error {
	started := time.Now()
	s, err := startStack(ctx, p, lifetime)
	if err != nil {
		return err
	}
	defer stopStack(s)

	mgrCtx, cancelMgr := context.WithCancel(context.Background())
	mgrDone, err := startOperator(ctx, mgrCtx, s.Config, p, s.ArgoServerURL)
	if err != nil {
		cancelMgr()
		return err
	}
	defer stopOperator(cancelMgr, mgrDone)

	if err := prepareDemoNamespace(ctx, s.Config); err != nil {
		return err
	}
	if err := markReady(p, s.Kubeconfig, s.ArgoServerURL, started, lifetime); err != nil {
		return err
	}
	defer os.Remove(p.ready) // before the stack stops: no `up` should pick a stopping stack
	step("ready: the stack and the operator run (started in %s)", time.Since(started).Round(100*time.Millisecond))
	return waitForEnd(ctx, lifetime-time.Since(started), mgrDone)
}

// startStack starts test/stack with its logs under the demo directory.
func startStack(ctx context.Context, p paths, lifetime time.Duration) (*stack.Stack, error) {
	root, err := testenv.RepoRoot()
	if err != nil {
		return nil, err
	}
	o, err := stack.OptionsFromEnv(root)
	if err != nil {
		return nil, err
	}
	o.ArtifactsDir = p.logs
	o.Lifetime = lifetime
	o.ArgoServer = true
	step("starting the stack: etcd, kube-apiserver, kube-scheduler, kube-controller-manager, kwok, "+
		"workflow-controller, pod runner, Argo Server (logs in %s)", p.logs)
	startCtx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	s, err := stack.Start(startCtx, o)
	if err != nil {
		return nil, fmt.Errorf("starting the stack (logs in %s): %w", p.logs, err)
	}
	step("stack running; API server %s, Argo Server %s", s.Config.Host, s.ArgoServerURL)
	return s, nil
}

func stopStack(s *stack.Stack) {
	step("stopping the stack")
	if err := s.Stop(); err != nil {
		step("stopping the stack: %v", err)
		return
	}
	step("stack stopped")
}

// startOperator runs the operator's reconcilers (the Argo engine by default, as in a cluster with Argo) in this
// process, as the operator's own ServiceAccount, and returns once its caches have synced. The manager runs
// under mgrCtx; startCtx bounds only the start. The admission webhooks are not served: nothing would call them
// without a Service, and the reconcilers validate everything again.
func startOperator(startCtx, mgrCtx context.Context, admin *rest.Config, p paths, argoServer string) (<-chan error, error) {
	logFile, err := os.OpenFile(filepath.Join(p.logs, "operator.log"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("creating the operator log: %w", err)
	}
	ctrl.SetLogger(zap.New(zap.WriteTo(logFile), zap.UseDevMode(true)))
	cfg, err := operatorConfig(startCtx, admin)
	if err != nil {
		return nil, err
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 controller.NewScheme(),
		Metrics:                metricsserver.Options{BindAddress: "0"}, // no fixed ports: other stacks share the machine
		HealthProbeBindAddress: "0",
	})
	if err != nil {
		return nil, fmt.Errorf("creating the operator's manager: %w", err)
	}
	engines, err := testenv.Engines(mgr, controller.ExecutorArgoDefault)
	if err != nil {
		return nil, fmt.Errorf("setting up the engines: %w", err)
	}
	// Each run's status links to its Workflow on the Argo Server (argoWorkflow.url), as --argo-ui-url does.
	if err := controller.SetupReconcilers(mgr, controller.Options{Engines: engines, ArgoUIURL: argoServer}); err != nil {
		return nil, fmt.Errorf("setting up the reconcilers: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(mgrCtx) }()
	syncCtx, cancel := context.WithTimeout(startCtx, startTimeout)
	defer cancel()
	if !mgr.GetCache().WaitForCacheSync(syncCtx) {
		return nil, fmt.Errorf("the operator's caches did not sync (log: %s)", logFile.Name())
	}
	step("operator running (default executor: Argo; log: %s)", logFile.Name())
	return done, nil
}

func stopOperator(cancel context.CancelFunc, done <-chan error) {
	cancel()
	select {
	case err := <-done:
		if err != nil {
			step("operator stopped: %v", err)
		}
	case <-time.After(managerStopTimeout):
		step("operator did not stop within %s; stopping the stack anyway", managerStopTimeout)
	}
}

// markReady copies the admin kubeconfig to its well-known place and writes the ready marker.
func markReady(p paths, kubeconfig, argoServer string, started time.Time, lifetime time.Duration) error {
	kc, err := os.ReadFile(kubeconfig)
	if err != nil {
		return fmt.Errorf("reading the stack's kubeconfig: %w", err)
	}
	if err := os.WriteFile(p.kubeconfig, kc, 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", p.kubeconfig, err)
	}
	info, err := json.Marshal(readyInfo{PID: os.Getpid(), Kubeconfig: p.kubeconfig, Logs: p.logs,
		Started: started, Expires: started.Add(lifetime), ArgoServer: argoServer})
	if err != nil {
		return err
	}
	return os.WriteFile(p.ready, info, 0o644)
}

// waitForEnd blocks until a signal, the end of the lifetime, or the operator's exit.
func waitForEnd(ctx context.Context, remaining time.Duration, mgrDone <-chan error) error {
	timer := time.NewTimer(remaining)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		step("signalled; shutting down")
		return nil
	case <-timer.C:
		step("lifetime over; shutting down")
		return nil
	case err := <-mgrDone:
		if err == nil {
			err = errors.New("the operator's manager returned")
		}
		return fmt.Errorf("operator stopped: %w", err)
	}
}

// adminClient is a direct (uncached) client with the operator's scheme.
func adminClient(cfg *rest.Config) (client.WithWatch, error) {
	c, err := client.NewWithWatch(cfg, client.Options{Scheme: controller.NewScheme()})
	if err != nil {
		return nil, fmt.Errorf("creating a client for %s: %w", cfg.Host, err)
	}
	return c, nil
}
