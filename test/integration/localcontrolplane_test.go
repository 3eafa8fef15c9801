package integration

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"
)

// The shipped operator binary (go build ./cmd/manager, as in the image) with --local-control-plane=auto.
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

	It("without a cluster says that the shipped binary has no local stack, and how to get one", func() {
		// The local stack (make run) is built only with -tags localdev and tested in test/localrun; the binary
		// of the image must not start one, nor link envtest to do so.
		cmd := commandIn(repoRoot, bin, "--local-control-plane=auto", "--health-probe-bind-address="+freeAddr(),
			"--metrics-bind-address=0")
		cmd.Env = append(os.Environ(), "KUBECONFIG=", "KUBERNETES_SERVICE_HOST=", "HOME="+GinkgoT().TempDir())
		session, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { session.Kill().Wait(10 * time.Second) })
		Eventually(session, timeout).Should(gexec.Exit(1))
		Expect(string(session.Err.Contents())).To(ContainSubstring("has no embedded local stack"))
		Expect(string(session.Err.Contents())).To(ContainSubstring("make run"))
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
