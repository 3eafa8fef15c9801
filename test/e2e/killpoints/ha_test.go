//go:build e2e

package killpoints

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/test/managerproc"
	"github.com/drplan/drplan-operator/test/testenv"
)

// acquiredLease is what client-go's leader election logs when this process becomes the leader.
const acquiredLease = "successfully acquired lease"

func acquired(log string) bool {
	b, _ := os.ReadFile(log)
	return strings.Contains(strings.ToLower(string(b)), acquiredLease)
}

var _ = Describe("two bin/manager replicas with leader election", func() {
	It("the standby takes over a run when the leader is SIGKILLed, and nothing is done twice", func() {
		// The leader election Role of config/rbac, in the operator's namespace, bound to its ServiceAccount.
		raw, err := os.ReadFile(filepath.Join(repoRoot, "config", "rbac", "leader_election_role.yaml"))
		Expect(err).NotTo(HaveOccurred())
		role := &rbacv1.Role{}
		Expect(yaml.Unmarshal(raw, role)).To(Succeed())
		role.ObjectMeta = metav1.ObjectMeta{Name: "leader-election", Namespace: operator.Namespace}
		Expect(k8sClient.Create(ctx, role)).To(Succeed())
		Expect(k8sClient.Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "leader-election", Namespace: operator.Namespace},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
			Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: operator.ServiceAccount, Namespace: operator.Namespace}}})).To(Succeed())

		kubeconfig := filepath.Join(artifactsDir, "operator.kubeconfig")
		Expect(managerproc.WriteKubeconfig(kubeconfig, opConfig)).To(Succeed())
		var procs [2]*managerproc.Process
		var logs [2]string
		for i := range procs {
			logs[i] = filepath.Join(artifactsDir, fmt.Sprintf("replica-%d.log", i))
			procs[i], err = managerproc.Start(managerBinary, logs[i], "--kubeconfig", kubeconfig, "--enable-webhooks=false",
				"--default-executor=argo", "--health-probe-bind-address=0", "--metrics-bind-address=0",
				"--leader-elect", "--leader-election-namespace", operator.Namespace)
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(procs[i].Kill)
		}
		leader := -1
		Eventually(func() int {
			for i := range logs {
				if acquired(logs[i]) {
					leader = i
				}
			}
			return leader
		}).ShouldNot(Equal(-1), "a leader (logs %v)", logs)
		standby := 1 - leader
		Expect(acquired(logs[standby])).To(BeFalse(), "one leader at a time")

		var runs []*run
		for _, e := range []drv1.ExecutorType{drv1.ExecutorArgo, drv1.ExecutorNative} {
			r := &run{kind: kindExecute, engine: e, ns: newNamespace("ha")}
			createPlan(r.ns, e, "", undoable(r.ns, "a"), jobAction("j", r.ns, "a"), undoable(r.ns, "b", "j"))
			Expect(k8sClient.Create(ctx, testenv.Execution(r.ns, "run", "p"))).To(Succeed())
			runs = append(runs, r)
		}
		// Kill the leader while the Argo run's Job runs.
		Eventually(func() string { return state(runs[0]) }).Should(ContainSubstring("j=Running"))
		procs[leader].Kill()
		killed := time.Now()
		Eventually(func() bool { return acquired(logs[standby]) }, 2*time.Minute, 50*time.Millisecond).Should(BeTrue())
		takeover := time.Since(killed)
		AddReportEntry("leader takeover", takeover.Round(100*time.Millisecond).String())
		fmt.Fprintf(GinkgoWriter, "leader takeover after SIGKILL: %s\n", takeover.Round(100*time.Millisecond))

		d := &driver{}
		Eventually(func() bool { d.step(runs); return allDone(runs) }).Should(BeTrue(), func() string {
			return state(runs[0]) + "; " + state(runs[1])
		})
		for _, r := range runs {
			d.check(r)
		}
	})
})
