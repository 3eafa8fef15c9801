// Package integration is the operator's integration suite: a real kube-apiserver and etcd (envtest) with the
// CRDs of config/crd/bases, Argo's minimal CRDs from the pinned argo-workflows module and the Clusternet test
// CRDs of test/fixtures/clusternet, and the operator's manager running every reconciler of
// controller.SetupReconcilers in this process.
//
// Spec files of this package share the suite's environment through the package variables below and the
// helpers in helpers_test.go (newNamespace, loadObjects, kubectl, ...).
//
// Needs KUBEBUILDER_ASSETS (kube-apiserver, etcd, kubectl): `make test` sets it; without it the suite looks in
// ~/.cache/drplan/k8s-1.37.2, where `make envtest-assets` builds them. ARGO_CRD_DIR is set by the Makefile;
// without it the suite asks `go list` where the argo-workflows module is.
package integration

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/drplan/drplan-operator/internal/controller"
	"github.com/drplan/drplan-operator/test/testenv"
)

// The suite's shared environment, set up in BeforeSuite.
var (
	// ctx is cancelled at the end of the suite; it stops the manager.
	ctx    context.Context
	cancel context.CancelFunc

	testEnv *envtest.Environment
	// cfg connects to the API server as an administrator.
	cfg *rest.Config
	// scheme knows client-go's kinds, this API, Argo's kinds and CRDs (apiextensions/v1).
	scheme *runtime.Scheme
	// k8sClient reads and writes directly (no cache): what a spec reads is what the API server has.
	k8sClient client.Client
	// mgr is the running operator manager (controller.SetupReconcilers). It acts as the operator's
	// ServiceAccount, bound to the ClusterRole that `make manifests` generates from the RBAC markers, so a
	// reconciler that needs a verb its markers do not grant fails here as it would in a cluster.
	mgr ctrl.Manager

	// repoRoot is the repository's top directory.
	repoRoot string
	// assetsDir holds kube-apiserver, etcd and kubectl.
	assetsDir string
	// kubeconfigPath is an admin kubeconfig for the API server, for kubectl.
	kubeconfigPath string
	// metricsURL is the manager's /metrics endpoint (plain http on 127.0.0.1), scraped by metrics_test.go.
	metricsURL string
)

// Timeouts of Eventually in this suite: reconcilers answer within a second or two on a loaded machine.
const (
	timeout  = 30 * time.Second
	interval = 100 * time.Millisecond
)

func TestIntegration(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Integration Suite")
}

var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	SetDefaultEventuallyTimeout(timeout)
	SetDefaultEventuallyPollingInterval(interval)
	ctx, cancel = context.WithCancel(context.Background())

	var err error
	repoRoot, err = testenv.RepoRoot()
	Expect(err).NotTo(HaveOccurred())
	testEnv, err = testenv.New(repoRoot)
	Expect(err).NotTo(HaveOccurred())
	assetsDir = testEnv.BinaryAssetsDirectory
	cfg, err = testEnv.Start()
	Expect(err).NotTo(HaveOccurred(), "starting kube-apiserver and etcd from %s", assetsDir)

	scheme = controller.NewScheme()
	utilruntime.Must(apiextensionsv1.AddToScheme(scheme))
	k8sClient, err = client.New(cfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())

	admin, err := testEnv.AddUser(envtest.User{Name: "suite-admin", Groups: []string{"system:masters"}}, nil)
	Expect(err).NotTo(HaveOccurred())
	kc, err := admin.KubeConfig()
	Expect(err).NotTo(HaveOccurred())
	dir, err := os.MkdirTemp("", "drplan-integration-")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(os.RemoveAll, dir)
	kubeconfigPath = filepath.Join(dir, "kubeconfig")
	Expect(os.WriteFile(kubeconfigPath, kc, 0o600)).To(Succeed())

	metricsAddr := freeLocalAddr()
	metricsURL = "http://" + metricsAddr + "/metrics"
	mgr, err = ctrl.NewManager(operatorConfig(), ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: metricsAddr},
		HealthProbeBindAddress: "0",
	})
	Expect(err).NotTo(HaveOccurred())
	Expect(testenv.Reconcilers(mgr, controller.ExecutorAuto)).To(Succeed())
	go func() {
		defer GinkgoRecover()
		Expect(mgr.Start(ctx)).To(Succeed())
	}()
	Expect(mgr.GetCache().WaitForCacheSync(ctx)).To(BeTrue())
})

var _ = AfterSuite(func() {
	if cancel != nil {
		cancel()
	}
	if testEnv != nil {
		Expect(testEnv.Stop()).To(Succeed())
	}
})

// operator is the identity the suite's manager runs as: a ServiceAccount bound to the ClusterRole that `make
// manifests` generates from the RBAC markers.
var operator = testenv.Operator{Namespace: "drplan-suite", ServiceAccount: "controller-manager", ClusterRole: "drplan-suite-manager-role"}

// freeLocalAddr is a 127.0.0.1 address with a port free now (the manager cannot report the port of ":0").
func freeLocalAddr() string {
	GinkgoHelper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	defer l.Close()
	return l.Addr().String()
}

// operatorConfig returns cfg impersonating the operator's ServiceAccount (testenv.OperatorConfig).
func operatorConfig() *rest.Config {
	GinkgoHelper()
	c, err := testenv.OperatorConfig(ctx, k8sClient, cfg, repoRoot, operator)
	Expect(err).NotTo(HaveOccurred())
	return c
}
