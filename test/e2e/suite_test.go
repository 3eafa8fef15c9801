//go:build e2e

// Package e2e runs DR plans end to end through the real Argo workflow-controller: test/stack starts a local
// cluster (envtest's kube-apiserver and etcd, kube-scheduler, kube-controller-manager with the Job and garbage
// collector controllers, kwok as the kubelet, the real workflow-controller, and a pod runner that runs the real
// argoexec for Argo's agent and resource pods), and this suite runs the operator's reconcilers in-process
// against it, exactly as the integration suite does, with the Argo engine as the default.
//
// What is real and what is faked is written down in docs/e2e.md. In short: every API object, every
// Argo decision (scheduling, retries, when, failFast, shutdown, node status), every HTTP request (to an
// httptest server of this process) and every object an action creates are real; pods do not run containers
// (kwok completes them, or fails the ones annotated drplan.e2e/fail), except Argo's agent and resource pods, whose
// argoexec runs as a local process as the pod's ServiceAccount.
//
// Run with `make test-e2e` (tags e2e). Missing binaries fail the suite with a message naming `make e2e-tools`.
package e2e

import (
	"context"
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/drplan/drplan-operator/internal/controller"
	"github.com/drplan/drplan-operator/test/stack"
	"github.com/drplan/drplan-operator/test/testenv"
)

// The suite's shared environment, set up in BeforeSuite.
var (
	// ctx is cancelled at the end of the suite; it stops the manager.
	ctx    context.Context
	cancel context.CancelFunc

	theStack *stack.Stack
	// artifactsDir holds the logs of every process of the stack; kept when a spec failed.
	artifactsDir string
	// k8sClient reads and writes as an administrator, without a cache.
	k8sClient client.Client
	scheme    *runtime.Scheme
	// mgr is the operator, as its ServiceAccount bound to config/rbac/role.yaml, Argo as the default engine.
	mgr ctrl.Manager
	// hooks is the HTTP endpoint of every HTTP action of the specs.
	hooks *hookServer

	repoRoot string

	// suiteReady is set at the end of BeforeSuite; specFailed when any spec failed. Either keeps the artifacts.
	suiteReady bool
	specFailed bool
)

// Timeouts of Eventually: the real workflow-controller requeues every second and argoexec runs as a process, so
// a run takes seconds, not the milliseconds of the stand-in; 60 s leaves room on a loaded 2-core machine.
const (
	timeout  = 60 * time.Second
	interval = 250 * time.Millisecond
)

func TestE2E(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "E2E Suite (real Argo workflow-controller)")
}

var _ = BeforeSuite(func() {
	// The operator's log is kept too, for the secret scan at the end (secrets_test.go).
	logf.SetLogger(zap.New(zap.WriteTo(io.MultiWriter(GinkgoWriter, &operatorLog)), zap.UseDevMode(true)))
	SetDefaultEventuallyTimeout(timeout)
	SetDefaultEventuallyPollingInterval(interval)
	ctx, cancel = context.WithCancel(context.Background())

	var err error
	repoRoot, err = testenv.RepoRoot()
	Expect(err).NotTo(HaveOccurred())
	opts, err := stack.OptionsFromEnv(repoRoot)
	// Never skip: a suite that silently passes without its binaries tests nothing.
	Expect(err).NotTo(HaveOccurred(), "the e2e stack needs its binaries: run `make e2e-tools` (or `make test-e2e`, which builds them)")
	artifactsDir = opts.ArtifactsDir
	opts.ArgoServer = true // what the Argo UI and `ARGO_SERVER=... argo` read; argo_server_test.go
	// A previous run's logs would mix with this run's.
	Expect(os.RemoveAll(artifactsDir)).To(Succeed())

	startCtx, startCancel := context.WithTimeout(ctx, 3*time.Minute)
	defer startCancel()
	theStack, err = stack.Start(startCtx, opts)
	Expect(err).NotTo(HaveOccurred(), "starting the e2e stack; process logs in %s (tools: `make e2e-tools`)", artifactsDir)

	scheme = controller.NewScheme()
	k8sClient, err = client.New(theStack.Config, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())

	mgr, err = ctrl.NewManager(operatorConfig(), ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	Expect(err).NotTo(HaveOccurred())
	Expect(testenv.Reconcilers(mgr, controller.ExecutorArgoDefault)).To(Succeed())
	go func() {
		defer GinkgoRecover()
		Expect(mgr.Start(ctx)).To(Succeed())
	}()
	Expect(mgr.GetCache().WaitForCacheSync(ctx)).To(BeTrue())

	hooks = newHookServer()
	suiteReady = true
})

var _ = ReportAfterEach(func(r SpecReport) {
	if r.Failed() {
		specFailed = true
	}
})

var _ = AfterSuite(func() {
	var leaked []string
	var scanErr error
	if suiteReady {
		leaked, scanErr = scanStoredAndLogged() // before the stack stops: it reads the stored objects
	}
	if hooks != nil {
		hooks.Close()
	}
	if cancel != nil {
		cancel()
	}
	var stopErr error
	if theStack != nil {
		stopErr = theStack.Stop()
	}
	if artifactsDir != "" {
		if specFailed || !suiteReady || stopErr != nil || scanErr != nil || len(leaked) > 0 {
			fmt.Fprintf(GinkgoWriter, "e2e: process logs kept in %s\n", artifactsDir)
			AddReportEntry("artifacts", artifactsDir)
		} else {
			Expect(os.RemoveAll(artifactsDir)).To(Succeed())
		}
	}
	Expect(stopErr).NotTo(HaveOccurred())
	Expect(scanErr).NotTo(HaveOccurred(), "scanning for the suite's Secret values")
	Expect(leaked).To(BeEmpty(), "Secret values the suite used were stored or logged")
})

// operator is the operator's identity: a ServiceAccount bound to the ClusterRole `make manifests` generates, so a
// reconciler needing a verb its RBAC markers do not grant fails here as it would in a cluster.
var operator = testenv.Operator{Namespace: "drplan-e2e", ServiceAccount: "controller-manager", ClusterRole: "drplan-e2e-manager-role"}

// operatorConfig returns the stack's admin config impersonating the operator's ServiceAccount.
func operatorConfig() *rest.Config {
	GinkgoHelper()
	c, err := testenv.OperatorConfig(ctx, k8sClient, theStack.Config, repoRoot, operator)
	Expect(err).NotTo(HaveOccurred())
	return c
}
