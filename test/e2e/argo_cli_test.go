//go:build e2e

package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/test/stack"
)

// argoCLI runs the real argo CLI (built by test/tools/build-e2e-tools.sh from the pinned module) against the
// stack, as a person debugging a run would: straight to the API server with the kubeconfig (no Argo Server).
func argoCLI(args ...string) (string, error) {
	GinkgoHelper()
	return argoCLIWith(nil, args...)
}

// argoCLIWith is argoCLI with more environment variables.
func argoCLIWith(env []string, args ...string) (string, error) {
	GinkgoHelper()
	opts, err := stack.OptionsFromEnv(repoRoot)
	Expect(err).NotTo(HaveOccurred())
	bin := filepath.Join(opts.ToolsDir, "argo")
	_, err = os.Stat(bin)
	Expect(err).NotTo(HaveOccurred(), "no argo CLI in %s: run `make e2e-tools`", opts.ToolsDir)
	cmd := exec.Command(bin, append([]string{"--kubeconfig", theStack.Kubeconfig}, args...)...)
	// ARGO_SERVER would send the CLI to an Argo Server; this stack has none.
	cmd.Env = append(append(os.Environ(), "ARGO_SERVER=", "KUBECONFIG="+theStack.Kubeconfig), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// names splits `argo list -o name` output; the CLI says "No workflows found" when there are none.
func names(out string) []string {
	if strings.TrimSpace(out) == "No workflows found" {
		return nil
	}
	return strings.Fields(out)
}

// The argo CLI finds, shows and reads the Workflows the operator created, by the labels and names the user guide's
// debugging section gives.
var _ = Describe("The argo CLI on the operator's Workflows", func() {
	It("lists a plan's runs by plan, execution, stage and operation; get shows one node per action; the title is on the Workflow", func() {
		ns := newNamespace()
		hooks.On("/"+ns+"/notify", hookBehaviour{Body: `{"accepted":true}`})
		createWorkflow(ns, "checks", "", nil, hookAction(ns, "notify"), jobAction("verify", ns, false, "notify"))
		createPlan(ns, "p", "checks")
		execute(ns, "run", "p")
		fwd := entry(waitPhase(ns, "run", drv1.ExecutionSucceeded)).ArgoWorkflow.Name
		revert(ns, "undo", "p", "run")
		rev := entry(waitPhase(ns, "undo", drv1.ExecutionSucceeded)).ArgoWorkflow.Name
		Expect(rev).NotTo(Equal(fwd))

		list := func(selector string) []string {
			out, err := argoCLI("list", "-n", ns, "-l", selector, "-o", "name")
			Expect(err).NotTo(HaveOccurred(), out)
			return names(out)
		}
		Expect(list(drv1.LabelPlan + "=p")).To(ConsistOf(fwd, rev))
		Expect(list(drv1.LabelExecution + "=run")).To(ConsistOf(fwd))
		Expect(list(drv1.LabelExecution + "=undo")).To(ConsistOf(rev))
		Expect(list(drv1.LabelStage + "=main")).To(ConsistOf(fwd, rev))
		Expect(list(drv1.LabelOperation + "=Execute")).To(ConsistOf(fwd))
		Expect(list(drv1.LabelOperation + "=Revert")).To(ConsistOf(rev))
		Expect(list(drv1.LabelPlan + "=other")).To(BeEmpty())

		// The table a person reads.
		out, err := argoCLI("list", "-n", ns, "-l", drv1.LabelPlan+"=p")
		Expect(err).NotTo(HaveOccurred(), out)
		Expect(out).To(MatchRegexp(`(?m)^NAME +STATUS +AGE +DURATION +PRIORITY +MESSAGE`))
		Expect(out).To(MatchRegexp(`(?m)^` + fwd + ` +Succeeded `))
		Expect(out).To(MatchRegexp(`(?m)^` + rev + ` +Succeeded `))

		// argo get: the run's nodes, one per action, named after it.
		out, err = argoCLI("get", "-n", ns, fwd, "--no-color")
		Expect(err).NotTo(HaveOccurred(), out)
		Expect(out).To(MatchRegexp(`(?m)^Name: +` + fwd + `$`))
		Expect(out).To(MatchRegexp(`(?m)^Status: +Succeeded$`))
		Expect(out).To(MatchRegexp(`(?m)^ServiceAccount: +drplan-executor$`))
		Expect(out).To(MatchRegexp(`(?m)^STEP +TEMPLATE +PODNAME +DURATION +MESSAGE$`))
		Expect(out).To(MatchRegexp(`(?m)^ ✔ ` + fwd + ` +main\s*$`))
		Expect(out).To(MatchRegexp(`(?m)^ ├─✔ notify +notify\s*$`))
		Expect(out).To(MatchRegexp(`(?m)^ └─✔ verify +verify +` + fwd + `-verify-\d+ +\d+s\s*$`))

		// The title and description the Argo UI shows are on the Workflow (argo get prints them with -o json;
		// its text view has no line for them).
		out, err = argoCLI("get", "-n", ns, fwd, "-o", "json")
		Expect(err).NotTo(HaveOccurred(), out)
		var wf wfv1.Workflow
		Expect(json.Unmarshal([]byte(out), &wf)).To(Succeed())
		Expect(wf.Annotations).To(HaveKeyWithValue("workflows.argoproj.io/title", "p / main / checks"))
		Expect(wf.Annotations).To(HaveKeyWithValue("workflows.argoproj.io/description", ContainSubstring("execution run (Execute)")))

	})

	// What argo logs can show here, and why not more (docs/e2e.md): it finds the pods of a Workflow's steps, the
	// HTTP step's agent pod while it runs and the Job step's resource pod, and asks the API server for their logs,
	// which the API server fetches from the node's kubelet. kwok, the kubelet of this stack, serves no kubelet
	// API, so the API server cannot connect and argo logs reports that per pod. The output those pods' argoexec
	// really produced is in the stack's artifacts, and is checked here, so the claim is tested, not assumed.
	It("argo logs finds the HTTP step's agent pod and the Job step's pod; their output is argoexec's, which this stack's kubelet cannot serve", func() {
		ns := newNamespace()
		release := make(chan struct{})
		hooks.On("/"+ns+"/notify", hookBehaviour{Hold: release})
		createWorkflow(ns, "checks", "", nil, hookAction(ns, "notify"), jobAction("verify", ns, false, "notify"))
		createPlan(ns, "p", "checks")
		execute(ns, "run", "p")
		var wf string
		Eventually(func(g Gomega) {
			st := getExecution(ns, "run").Status
			g.Expect(st.StageStatuses).NotTo(BeEmpty())
			g.Expect(st.StageStatuses[0].WorkflowExecutions).NotTo(BeEmpty())
			e := st.StageStatuses[0].WorkflowExecutions[0]
			g.Expect(e.ArgoWorkflow).NotTo(BeNil())
			g.Expect(e.ActionStatuses).To(ContainElement(And(HaveField("Name", "notify"), HaveField("Phase", drv1.ActionRunning))))
			wf = e.ArgoWorkflow.Name
		}).Should(Succeed())
		agent := agentPod(ns, wf)

		// While the HTTP call is held: the agent pod is the Workflow's one pod, and argo logs asks for its log.
		out, err := argoCLI("logs", "-n", ns, wf)
		Expect(err).NotTo(HaveOccurred(), out)
		Expect(out).To(ContainSubstring("containerLogs/" + ns + "/" + agent + "/main"))
		Expect(out).To(ContainSubstring("podName=" + agent))
		Expect(out).To(ContainSubstring("connect: connection refused"), "no kubelet API on the kwok node")
		close(release)

		ex := waitPhase(ns, "run", drv1.ExecutionSucceeded)
		job := action(entry(ex), "verify").Outputs.JobRef.Name
		out, err = argoCLI("logs", "-n", ns, wf)
		Expect(err).NotTo(HaveOccurred(), out)
		// Argo deletes the agent pod when the Workflow completes: only the Job step's pod is left to ask.
		Expect(out).NotTo(ContainSubstring(agent))
		verify := stepPod(ns, wf, "verify")
		Expect(out).To(ContainSubstring("containerLogs/" + ns + "/" + verify + "/main"))
		Expect(out).To(ContainSubstring("connect: connection refused"))

		// What a kubelet would have served: argoexec's output of each pod, as the pod runner recorded it.
		Expect(argoexecLog(ns, agent)).To(ContainSubstring(`msg="Starting Agent"`))
		Expect(argoexecLog(ns, agent)).To(MatchRegexp(`msg="Sending result" message= nodeID=` + wf + `-\d+ phase=Succeeded`))
		Expect(argoexecLog(ns, verify)).To(ContainSubstring(`msg="Resource: ` + ns + `/job.batch/` + job + `.`))
		Expect(argoexecLog(ns, verify)).To(ContainSubstring(`msg="Waiting for conditions: status.succeeded>0"`))
	})
})

// agentPod is the name of the running agent pod of Workflow wf (Argo runs a Workflow's http steps in it).
func agentPod(ns, wf string) string {
	GinkgoHelper()
	var name string
	Eventually(func(g Gomega) {
		pods := &corev1.PodList{}
		g.Expect(k8sClient.List(ctx, pods, client.InNamespace(ns), client.MatchingLabels{
			"workflows.argoproj.io/workflow": wf, "workflows.argoproj.io/component": "agent"})).To(Succeed())
		g.Expect(pods.Items).To(HaveLen(1))
		name = pods.Items[0].Name
	}).Should(Succeed())
	return name
}

// stepPod is the name of the pod of a step (task) of Workflow wf, from the Workflow's node status.
func stepPod(ns, wf, task string) string {
	GinkgoHelper()
	pods := &corev1.PodList{}
	Expect(k8sClient.List(ctx, pods, client.InNamespace(ns), client.MatchingLabels{"workflows.argoproj.io/workflow": wf})).To(Succeed())
	for _, p := range pods.Items {
		if p.Annotations["workflows.argoproj.io/node-name"] == wf+"."+task {
			return p.Name
		}
	}
	Fail("no pod for step " + task + " of " + wf)
	return ""
}

// argoexecLog is the output of the pod's argoexec run, as the stack's pod runner recorded it.
func argoexecLog(ns, pod string) string {
	GinkgoHelper()
	b, err := os.ReadFile(filepath.Join(artifactsDir, "argoexec", ns+"."+pod+".log"))
	Expect(err).NotTo(HaveOccurred())
	return string(b)
}
