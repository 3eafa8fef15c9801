package integration

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"
)

// The operator binary as `make run` starts it when no cluster is reachable: it brings up its own
// kube-apiserver and etcd, installs the CRDs and webhooks, and tells how to point kubectl at them.
var _ = Describe("The manager's embedded control plane (make run without a cluster)", func() {
	It("serves the API with the CRDs and webhooks, runs the reconcilers, answers kubectl, and stops cleanly", func() {
		bin, err := gexec.Build("github.com/drplan/drplan-operator/cmd/manager")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(gexec.CleanupBuildArtifacts)

		state := GinkgoT().TempDir()
		probe := freeAddr()
		cmd := commandIn(repoRoot, bin,
			"--local-control-plane=auto", "--crd-dir=config/crd/bases", "--local-state-dir="+state,
			"--health-probe-bind-address="+probe, "--metrics-bind-address=0")
		// No kubeconfig anywhere: auto must start the embedded control plane.
		cmd.Env = append(os.Environ(), "KUBEBUILDER_ASSETS="+assetsDir, "ARGO_CRD_DIR="+argoCRDDir(),
			"KUBECONFIG=", "KUBERNETES_SERVICE_HOST=", "HOME="+GinkgoT().TempDir())
		session, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { session.Kill().Wait(10 * time.Second) })

		kubeconfig := filepath.Join(state, "kubeconfig")
		Eventually(session.Err, 90*time.Second).Should(gbytes.Say("export KUBECONFIG=" + kubeconfig))
		Expect(kubeconfig).To(BeAnExistingFile())
		Eventually(func() (int, error) {
			resp, err := http.Get("http://" + probe + "/readyz")
			if err != nil {
				return 0, err
			}
			resp.Body.Close()
			return resp.StatusCode, nil
		}, 30*time.Second).Should(Equal(http.StatusOK))

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
