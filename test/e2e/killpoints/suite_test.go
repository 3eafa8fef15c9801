//go:build e2e

// Package killpoints kills the shipped operator (bin/manager, a real process) with SIGKILL at seeded points of
// runs on both engines and starts it again (issue 15 item 1). test/stack runs the cluster (envtest's
// kube-apiserver and etcd, kwok as the kubelet, the real Argo workflow-controller and argoexec); nothing else
// reconciles DR objects here, so every side effect is the operator's or Argo's.
//
// DRPLAN_KILL_SEED fixes the seed (a failure message names the one it ran with).
package killpoints

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/drplan/drplan-operator/internal/controller"
	"github.com/drplan/drplan-operator/test/stack"
	"github.com/drplan/drplan-operator/test/testenv"
)

var (
	ctx    context.Context
	cancel context.CancelFunc

	theStack     *stack.Stack
	artifactsDir string
	k8sClient    client.Client
	// managerBinary is bin/manager built from this tree; opConfig the operator's identity for its kubeconfig.
	managerBinary string
	opConfig      *rest.Config
	hooks         *hookServer
	effects       *sideEffects
	repoRoot      string
	failed        bool
)

const (
	timeout  = 3 * time.Minute
	interval = 250 * time.Millisecond
)

func TestKillPoints(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Kill points (bin/manager SIGKILLed, real Argo workflow-controller)")
}

var operator = testenv.Operator{Namespace: "drplan-kill", ServiceAccount: "controller-manager", ClusterRole: "drplan-kill-manager-role"}

var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	SetDefaultEventuallyTimeout(timeout)
	SetDefaultEventuallyPollingInterval(interval)
	ctx, cancel = context.WithCancel(context.Background())
	var err error
	repoRoot, err = testenv.RepoRoot()
	Expect(err).NotTo(HaveOccurred())
	opts, err := stack.OptionsFromEnv(repoRoot)
	Expect(err).NotTo(HaveOccurred(), "the e2e stack needs its binaries: run `make e2e-tools`")
	opts.ArtifactsDir = filepath.Join(opts.ArtifactsDir, "killpoints")
	artifactsDir = opts.ArtifactsDir
	Expect(os.RemoveAll(artifactsDir)).To(Succeed())
	Expect(os.MkdirAll(artifactsDir, 0o755)).To(Succeed())

	// The binary a cluster runs, built as `make build` builds it.
	managerBinary = filepath.Join(artifactsDir, "manager")
	build := exec.Command("go", "build", "-o", managerBinary, "./cmd/manager")
	build.Dir = repoRoot
	out, err := build.CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "go build ./cmd/manager: %s", out)

	startCtx, startCancel := context.WithTimeout(ctx, 3*time.Minute)
	defer startCancel()
	theStack, err = stack.Start(startCtx, opts)
	Expect(err).NotTo(HaveOccurred(), "starting the e2e stack; logs in %s", artifactsDir)
	k8sClient, err = client.New(theStack.Config, client.Options{Scheme: controller.NewScheme()})
	Expect(err).NotTo(HaveOccurred())
	opConfig, err = testenv.OperatorConfig(ctx, k8sClient, theStack.Config, repoRoot, operator)
	Expect(err).NotTo(HaveOccurred())
	hooks = newHookServer()
	effects, err = watchSideEffects(ctx, theStack.Config)
	Expect(err).NotTo(HaveOccurred())
})

var _ = ReportAfterEach(func(r SpecReport) {
	if r.Failed() {
		failed = true
	}
})

var _ = AfterSuite(func() {
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
	if artifactsDir != "" && !failed && stopErr == nil {
		Expect(os.RemoveAll(artifactsDir)).To(Succeed())
	} else if artifactsDir != "" {
		AddReportEntry("artifacts", artifactsDir)
	}
	Expect(stopErr).NotTo(HaveOccurred())
})
