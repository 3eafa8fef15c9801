//go:build e2e

package e2e

import (
	"encoding/json"
	"io"
	"net/http"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// The Argo Server serves the operator's Workflows to the Argo UI and to the CLI (ARGO_SERVER). The UI itself is not
// built here (docs/e2e.md says why); the server's API, which the UI reads, is.
var _ = Describe("The Argo Server on the operator's Workflows", func() {
	It("lists a plan's runs by label and serves one run's nodes, named after the actions, through its API and to the CLI", func() {
		base := theStack.ArgoServerURL // the stack runs it (stack.Options.ArgoServer), as make demo does
		Expect(base).NotTo(BeEmpty())
		ns := newNamespace()
		hooks.On("/"+ns+"/notify", hookBehaviour{})
		createWorkflow(ns, "checks", "", nil, hookAction(ns, "notify"), jobAction("verify", ns, false, "notify"))
		createPlan(ns, "p", "checks")
		execute(ns, "run", "p")
		wf := entry(waitPhase(ns, "run", drv1.ExecutionSucceeded)).ArgoWorkflow.Name

		// What the UI's workflow list asks for, filtered by the plan label.
		resp, err := http.Get(base + "/api/v1/workflows/" + ns + "?listOptions.labelSelector=" + drv1.LabelPlan + "%3Dp")
		Expect(err).NotTo(HaveOccurred())
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusOK), string(body))
		var list wfv1.WorkflowList
		Expect(json.Unmarshal(body, &list)).To(Succeed())
		Expect(list.Items).To(HaveLen(1))
		Expect(list.Items[0].Name).To(Equal(wf))

		// What the UI's workflow page reads: the title, and the DAG's nodes with the action names and phases.
		resp, err = http.Get(base + "/api/v1/workflows/" + ns + "/" + wf)
		Expect(err).NotTo(HaveOccurred())
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusOK), string(body))
		var got wfv1.Workflow
		Expect(json.Unmarshal(body, &got)).To(Succeed())
		Expect(got.Annotations).To(HaveKeyWithValue("workflows.argoproj.io/title", "p / main / checks"))
		phases := map[string]wfv1.NodePhase{}
		for _, n := range got.Status.Nodes {
			phases[n.DisplayName] = n.Phase
		}
		Expect(phases).To(HaveKeyWithValue("notify", wfv1.NodeSucceeded))
		Expect(phases).To(HaveKeyWithValue("verify", wfv1.NodeSucceeded))

		// The CLI through the server, as with ARGO_SERVER set. It sends a token, which a server in
		// --auth-mode=server does not check (the stack's kubeconfig has client certificates, no token).
		out, err := argoCLIWith([]string{"ARGO_TOKEN=Bearer unused"}, "list", "-n", ns, "-l", drv1.LabelPlan+"=p", "-o", "name",
			"--argo-server", base[len("http://"):], "--secure=false")
		Expect(err).NotTo(HaveOccurred(), out)
		Expect(names(out)).To(ConsistOf(wf))

		// The UI page: the placeholder the CLI build embeds instead of Argo's UI bundle.
		resp, err = http.Get(base + "/")
		Expect(err).NotTo(HaveOccurred())
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		Expect(string(body)).To(ContainSubstring("Argo UI not built"))
	})
})
