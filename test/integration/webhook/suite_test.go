// Package webhook_test is the integration suite of the admission webhooks: a real kube-apiserver and etcd
// (envtest) with the CRDs of config/crd/bases and the ValidatingWebhookConfiguration generated into
// config/webhook/manifests.yaml, calling the webhooks served by a controller-runtime manager in this
// process. No reconciler runs: the specs write execution status themselves, so every rejection is
// deterministic.
//
// Needs KUBEBUILDER_ASSETS (kube-apiserver, etcd); `make test` sets it, and without it the suite looks in
// ~/.cache/drplan/k8s-1.37.2 where `make envtest-assets` builds them.
package webhook_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/test/testenv"
)

var (
	env       *testenv.WebhookEnv
	cfg       *rest.Config
	k8sClient client.Client
	scheme    = runtime.NewScheme()
)

func TestWebhooks(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Webhook integration suite")
}

var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	Expect(clientgoscheme.AddToScheme(scheme)).To(Succeed())
	Expect(drv1.AddToScheme(scheme)).To(Succeed())

	var err error
	env, err = testenv.StartWebhookEnv(scheme)
	Expect(err).NotTo(HaveOccurred())
	cfg = env.Config
	k8sClient, err = client.New(cfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())
})

var _ = AfterSuite(func() {
	if env != nil {
		Expect(env.Stop()).To(Succeed())
	}
})
