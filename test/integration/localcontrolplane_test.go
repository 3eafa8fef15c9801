package integration

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/drplan/drplan-operator/test/testenv"
)

// The operator binary as `make run` starts it when no cluster is reachable: it brings up its own
// kube-apiserver and etcd, installs the CRDs and webhooks, and tells how to point kubectl at them.
var _ = Describe("The manager binary (make run)", Ordered, func() {
	var bin string
	BeforeAll(func() {
		var err error
		bin, err = gexec.Build("github.com/drplan/drplan-operator/cmd/manager")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(gexec.CleanupBuildArtifacts)
	})

	It("uses a reachable cluster as it is, without webhooks when it has no certificate for them", func() {
		probe := freeAddr()
		cmd := commandIn(repoRoot, bin, "--local-control-plane=auto", "--health-probe-bind-address="+probe,
			"--metrics-bind-address=0", "--webhook-cert-dir="+GinkgoT().TempDir())
		cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfigPath, "KUBEBUILDER_ASSETS=")
		session, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { session.Kill().Wait(10 * time.Second) })

		Eventually(session.Err, timeout).Should(gbytes.Say("not serving the admission webhooks"))
		Eventually(session.Err, timeout).Should(gbytes.Say(`starting the manager.*` + regexpQuote(strings.TrimSuffix(cfg.Host, "/"))))
		Eventually(func() (int, error) { return httpStatus("http://" + probe + "/readyz") }, timeout).Should(Equal(http.StatusOK))
		Expect(string(session.Err.Contents())).NotTo(ContainSubstring("embedded control plane"))
		session.Terminate()
		Eventually(session, timeout).Should(gexec.Exit(0))
	})

	It("without a cluster, starts an embedded control plane with the CRDs and webhooks, runs the reconcilers, answers kubectl, and stops cleanly", func() {
		state := GinkgoT().TempDir()
		probe := freeAddr()
		cmd := commandIn(repoRoot, bin,
			"--local-control-plane=auto", "--crd-dir=config/crd/bases", "--local-state-dir="+state,
			"--health-probe-bind-address="+probe, "--metrics-bind-address=0")
		argoCRDs, err := testenv.ArgoCRDDir()
		Expect(err).NotTo(HaveOccurred())
		// No kubeconfig anywhere: auto must start the embedded control plane.
		cmd.Env = append(os.Environ(), "KUBEBUILDER_ASSETS="+assetsDir, "ARGO_CRD_DIR="+argoCRDs,
			"KUBECONFIG=", "KUBERNETES_SERVICE_HOST=", "HOME="+GinkgoT().TempDir())
		session, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { session.Kill().Wait(10 * time.Second) })

		kubeconfig := filepath.Join(state, "kubeconfig")
		Eventually(session.Err, 90*time.Second).Should(gbytes.Say("export KUBECONFIG=" + kubeconfig))
		Expect(kubeconfig).To(BeAnExistingFile())
		Eventually(func() (int, error) { return httpStatus("http://" + probe + "/readyz") }, timeout).Should(Equal(http.StatusOK))

		kc := func(args ...string) (string, error) { return kubectlWith(kubeconfig, args...) }
		out, err := kc("apply", "-f", "config/samples/dr_v1alpha1_drworkflow.yaml")
		Expect(err).NotTo(HaveOccurred(), out)
		Eventually(func() (string, error) { return kc("get", "dr") }, timeout).
			Should(MatchRegexp(`drworkflow.dr.bkbcs.tencent.com/shop-failover\s+3\s+Ready`))
		// The webhooks are installed and served by the process: an execution of a missing plan is refused at
		// admission (the CRD schema alone would accept it).
		out, err = kc("create", "-f", "config/samples/dr_v1alpha1_drplanexecution.yaml")
		Expect(err).To(HaveOccurred(), "an execution of a missing plan was admitted: %s", out)
		Expect(out).To(ContainSubstring("DRPlan default/shop-dr does not exist"))
		Eventually(func() (string, error) { return kc("explain", "drplan.spec.stages") }, timeout).
			Should(ContainSubstring("stages of the plan, at least one"))
		out, err = kc("get", "crd", "workflows.argoproj.io", "localizations.apps.clusternet.io", "subscriptions.apps.clusternet.io")
		Expect(err).NotTo(HaveOccurred(), out)

		session.Terminate()
		Eventually(session, 60*time.Second).Should(gexec.Exit(0))
		Expect(session.Err).To(gbytes.Say("stopping the embedded control plane"))
		Expect(kubeconfig).NotTo(BeAnExistingFile())
	})
})

// freeAddr returns a loopback address with a port nobody listens on right now.
func freeAddr() string {
	GinkgoHelper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	defer l.Close()
	return fmt.Sprintf("127.0.0.1:%d", l.Addr().(*net.TCPAddr).Port)
}

func httpStatus(url string) (int, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func regexpQuote(s string) string { return regexp.QuoteMeta(s) }
