package drplanctl

import (
	"encoding/json"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"sigs.k8s.io/yaml"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

func lines(s string) []string { return strings.Split(strings.TrimRight(s, "\n"), "\n") }

func TestGetListsExecutionsOfNamespaceAndPlan(t *testing.T) {
	g := NewWithT(t)
	code, out, errOut := drplanctl("get", "-n", ns)
	g.Expect(code).To(Equal(0), errOut)
	l := lines(out)
	g.Expect(l[0]).To(MatchRegexp(`^NAME +PLAN +OPERATION +PHASE +PROGRESS +DURATION +AGE +MESSAGE$`))
	g.Expect(l).To(ContainElement(MatchRegexp(`^run-1 +failover +Execute +Failed +2/4 +2m +\S+ +stage dns: action switch failed: status code 503$`)))
	g.Expect(l).To(ContainElement(MatchRegexp(`^run-2 +other +Execute +Running +0/4 +`)))

	code, out, _ = drplanctl("get", "-n", ns, "-p", "failover")
	g.Expect(code).To(Equal(0))
	g.Expect(out).To(ContainSubstring("run-1"))
	g.Expect(out).NotTo(ContainSubstring("run-2"))

	code, _, errOut = drplanctl("get", "-n", "empty-namespace")
	g.Expect(code).To(Equal(0))
	g.Expect(errOut).To(Equal("No DRPlanExecutions in namespace empty-namespace.\n"))
}

func TestGetShowsTheTree(t *testing.T) {
	g := NewWithT(t)
	code, out, errOut := drplanctl("get", "-n", ns, "run-1")
	g.Expect(code).To(Equal(0), errOut)
	l := lines(out)
	g.Expect(l[0]).To(MatchRegexp(`^NAME +PHASE +DURATION +RETRIES +ARGO WORKFLOW +MESSAGE$`))
	g.Expect(l[1]).To(MatchRegexp(`^run-1 \(Execute failover\) +Failed +2m +- +- +stage dns: action switch failed: status code 503$`))
	g.Expect(l[2]).To(MatchRegexp(`^├─ stage traffic +Succeeded +60s +- +- *$`))
	g.Expect(l[3]).To(MatchRegexp(`^│  └─ shift \[0\] 2/2 +Succeeded +60s +- +run-1-traffic-0-shift *$`))
	g.Expect(l[4]).To(MatchRegexp(`^│     ├─ notify +Succeeded +10s +2 +- *$`))
	g.Expect(l[5]).To(MatchRegexp(`^│     └─ promote +Succeeded +50s +- +- *$`))
	g.Expect(l[7]).To(MatchRegexp(`^│  └─ dns \[0\] 1/2 +Failed +- +- +run-1-dns-0-dns +action switch failed$`))
	g.Expect(l[8]).To(MatchRegexp(`^│     ├─ switch +Failed +60s +- +- +status code 503$`))
	g.Expect(l[9]).To(MatchRegexp(`^│     └─ verify +Pending +`))
	g.Expect(l[10]).To(MatchRegexp(`^└─ rollback `))
	g.Expect(l[12]).To(MatchRegexp(`^      └─ shift \[0\] +Succeeded +- +- +run-1-traffic-0-shift-revert *$`))
	g.Expect(l).To(HaveLen(14))
	// Not a terminal: no colour codes.
	g.Expect(out).NotTo(ContainSubstring("\x1b["))
}

func TestGetPrintsObjects(t *testing.T) {
	g := NewWithT(t)
	code, out, errOut := drplanctl("get", "-n", ns, "run-1", "-o", "json")
	g.Expect(code).To(Equal(0), errOut)
	var ex drv1.DRPlanExecution
	g.Expect(json.Unmarshal([]byte(out), &ex)).To(Succeed())
	g.Expect(ex.Kind).To(Equal("DRPlanExecution"))
	g.Expect(ex.APIVersion).To(Equal("dr.bkbcs.tencent.com/v1alpha1"))
	g.Expect(ex.Status.StageStatuses[0].WorkflowExecutions[0].ActionStatuses[0].RetryCount).To(Equal(int32(2)))

	code, out, _ = drplanctl("get", "-n", ns, "-p", "failover", "-o", "yaml")
	g.Expect(code).To(Equal(0))
	var list drv1.DRPlanExecutionList
	g.Expect(yaml.Unmarshal([]byte(out), &list)).To(Succeed())
	g.Expect(list.Items).To(HaveLen(1))
	g.Expect(list.Items[0].Name).To(Equal("run-1"))

	code, _, errOut = drplanctl("get", "-n", ns, "run-1", "-o", "xml")
	g.Expect(code).To(Equal(2))
	g.Expect(errOut).To(ContainSubstring("xml"))
}

func TestGetNamesWhatIsMissing(t *testing.T) {
	g := NewWithT(t)
	code, out, errOut := drplanctl("get", "-n", ns, "nope")
	g.Expect(code).To(Equal(1))
	g.Expect(out).To(BeEmpty())
	g.Expect(errOut).To(ContainSubstring("DRPlanExecution shop/nope"))
	g.Expect(errOut).To(ContainSubstring("not found"))
}

func TestDescribe(t *testing.T) {
	g := NewWithT(t)
	code, out, errOut := drplanctl("describe", "-n", ns, "run-1")
	g.Expect(code).To(Equal(0), errOut)
	g.Expect(out).To(MatchRegexp(`(?m)^Name: +run-1$`))
	g.Expect(out).To(MatchRegexp(`(?m)^Phase: +Failed$`))
	g.Expect(out).To(MatchRegexp(`(?m)^Actions: +4 total, 2 succeeded, 1 failed, 0 running, 1 pending, 0 skipped, 0 canceled$`))
	g.Expect(out).To(MatchRegexp(`(?m)^Param toCluster: +clusternet-ab12c$`))
	g.Expect(out).To(MatchRegexp(`(?m)^  Completed +True +Failed +\S+ +stage dns: action switch failed$`))
	g.Expect(out).To(MatchRegexp(`(?m)^  RolledBack +True +RolledBack +\S+ +stage traffic rolled back$`))
	g.Expect(out).To(MatchRegexp(`(?m)^  traffic/shift/notify +http: 202 \{"accepted":true\}$`))
	g.Expect(out).To(MatchRegexp(`(?m)^  traffic/shift/promote +job: Job shop/run-1-promote$`))
	g.Expect(out).To(MatchRegexp(`(?m)^  Normal +Running +\S+ +drplan-operator +execution started$`))
	g.Expect(out).To(MatchRegexp(`(?m)^  Warning +Failed +\S+ +drplan-operator +stage dns: action switch failed$`))
}

func TestHistory(t *testing.T) {
	g := NewWithT(t)
	code, out, errOut := drplanctl("history", "-n", ns, "failover")
	g.Expect(code).To(Equal(0), errOut)
	l := lines(out)
	g.Expect(l).To(HaveLen(3))
	g.Expect(l[0]).To(MatchRegexp(`^EXECUTION +OPERATION +PHASE +STARTED +COMPLETED +DURATION$`))
	g.Expect(l[1]).To(MatchRegexp(`^run-undo +Revert +Succeeded +\d{4}-\d\d-\d\dT[\d:]+Z +\d{4}-\d\d-\d\dT[\d:]+Z +60s$`))
	g.Expect(l[2]).To(MatchRegexp(`^run-1 +Execute +Failed +\S+ +\S+ +2m$`))

	code, out, _ = drplanctl("history", "-n", ns, "other")
	g.Expect(code).To(Equal(0))
	g.Expect(out).To(ContainSubstring("(no execution of plan other yet)"))
}

func TestUsage(t *testing.T) {
	g := NewWithT(t)
	code, _, errOut := drplanctl("watch")
	g.Expect(code).To(Equal(2))
	g.Expect(errOut).NotTo(ContainSubstring("no input"))
	g.Expect(errOut).To(ContainSubstring("give an execution name or -p PLAN"))

	code, _, errOut = drplanctl("frobnicate")
	g.Expect(code).To(Equal(2))
	g.Expect(errOut).To(ContainSubstring(`unknown command "frobnicate"`))

	for _, cmd := range []string{"get", "describe", "watch", "history", "translate", "validate"} {
		code, out, _ := drplanctl(cmd, "--help")
		g.Expect(code).To(Equal(0), cmd)
		g.Expect(out).To(ContainSubstring("drplanctl "+cmd), cmd)
		g.Expect(out).To(ContainSubstring("--kubeconfig"), cmd)
	}
}

func TestCompletion(t *testing.T) {
	g := NewWithT(t)
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		code, out, _ := drplanctl("completion", shell)
		g.Expect(code).To(Equal(0), shell)
		g.Expect(out).To(ContainSubstring("drplanctl"), shell)
	}
	// Names are completed from the cluster.
	code, out, _ := drplanctl("-n", ns, "__complete", "describe", "run-")
	g.Expect(code).To(Equal(0))
	g.Expect(lines(out)).To(ContainElements("run-1", "run-2"))
	code, out, _ = drplanctl("-n", ns, "__complete", "history", "")
	g.Expect(code).To(Equal(0))
	g.Expect(lines(out)).To(ContainElements("failover", "other"))
}
