package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

const goodYAML = `
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: wf}
spec:
  parameters: [{name: target, required: true}]
  actions:
  - {name: call, type: HTTP, http: {url: "https://x.example/{{ .params.target }}"}}
---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: p}
spec:
  globalParams: [{name: target, value: a}]
  stages: [{name: s, workflows: [{workflowRef: {name: wf}}, {workflowRef: {name: wf}}]}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: ignored}
---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlanExecution
metadata: {name: run}
spec: {planRef: p}
`

func runCmd(stdin string, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "in.yaml")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTranslatePrintsOneWorkflowPerEntry(t *testing.T) {
	g := NewWithT(t)
	code, out, errOut := runCmd("", "translate", "-f", writeFile(t, goodYAML))
	g.Expect(errOut).To(BeEmpty())
	g.Expect(code).To(Equal(0))
	g.Expect(strings.Count(out, "kind: Workflow\n")).To(Equal(2))
	g.Expect(strings.Count(out, "\n---\n")).To(Equal(1))
	g.Expect(out).To(ContainSubstring("url: https://x.example/a"))
}

func TestTranslateReadsStdin(t *testing.T) {
	g := NewWithT(t)
	code, out, _ := runCmd(goodYAML, "translate", "-f", "-")
	g.Expect(code).To(Equal(0))
	g.Expect(out).To(ContainSubstring("kind: Workflow"))
}

func TestTranslateRevertWithoutRecordedRun(t *testing.T) {
	g := NewWithT(t)
	in := goodYAML + "---\napiVersion: dr.bkbcs.tencent.com/v1alpha1\nkind: DRPlanExecution\nmetadata: {name: undo}\nspec: {planRef: p, operationType: Revert, revertExecutionRef: old}\n"
	code, out, errOut := runCmd(in, "translate", "-f", "-")
	g.Expect(errOut).To(BeEmpty())
	g.Expect(code).To(Equal(0))
	g.Expect(strings.Count(out, "kind: Workflow\n")).To(Equal(4))
	g.Expect(out).To(ContainSubstring("dr.bkbcs.tencent.com/operation: Revert"))
	g.Expect(out).To(ContainSubstring(`when: "false"`)) // an HTTP action has no inverse: skipped
}

func TestTranslateFailsOnProblems(t *testing.T) {
	g := NewWithT(t)
	bad := strings.Replace(goodYAML, "globalParams: [{name: target, value: a}]", "globalParams: []", 1)
	code, out, errOut := runCmd(bad, "translate", "-f", "-")
	g.Expect(code).To(Equal(1))
	g.Expect(out).To(BeEmpty())
	g.Expect(errOut).To(ContainSubstring("DRPlanExecution default/run"))
	g.Expect(errOut).To(ContainSubstring("params[target]"))
}

func TestValidateReportsEveryProblemOnePerLine(t *testing.T) {
	g := NewWithT(t)
	bad := strings.Replace(goodYAML, `{name: call, type: HTTP, http: {url: "https://x.example/{{ .params.target }}"}}`,
		`{name: Call, type: HTTP, dependsOn: [ghost], http: {url: "{{workflow.name}}"}}`, 1)
	code, out, _ := runCmd(bad, "validate", "-f", "-")
	g.Expect(code).To(Equal(1))
	lines := strings.Split(strings.TrimSpace(out), "\n")
	g.Expect(lines).To(ContainElement(HavePrefix("DRWorkflow default/wf: spec.actions[0].name: Invalid value")))
	g.Expect(lines).To(ContainElement(HavePrefix("DRWorkflow default/wf: spec.actions[0].dependsOn[0]: Not found")))
	g.Expect(lines).To(ContainElement(ContainSubstring("spec.actions[0].http.url")))
	// The execution using the broken workflow does not repeat the workflow's problems.
	g.Expect(lines).NotTo(ContainElement(HavePrefix("DRPlanExecution")))
	g.Expect(lines).To(HaveLen(3))
}

func TestValidateAcceptsGoodInput(t *testing.T) {
	g := NewWithT(t)
	code, out, errOut := runCmd(goodYAML, "validate", "-f", "-")
	g.Expect(code).To(Equal(0))
	g.Expect(out).To(BeEmpty())
	g.Expect(errOut).To(ContainSubstring("ok: 1 DRWorkflow(s), 1 DRPlan(s), 1 DRPlanExecution(s)"))
}

func TestValidateReportsMissingWorkflow(t *testing.T) {
	g := NewWithT(t)
	in := strings.Replace(goodYAML, "workflowRef: {name: wf}}, {", "workflowRef: {name: nope}}, {", 1)
	code, out, _ := runCmd(in, "validate", "-f", "-")
	g.Expect(code).To(Equal(1))
	g.Expect(out).To(ContainSubstring("DRPlan default/p: spec.stages[0].workflows[0].workflowRef: Not found"))
}

func TestUsageErrors(t *testing.T) {
	g := NewWithT(t)
	code, _, _ := runCmd("")
	g.Expect(code).To(Equal(2))
	code, _, errOut := runCmd("", "translate")
	g.Expect(code).To(Equal(2))
	g.Expect(errOut).To(ContainSubstring("no input"))
	code, _, _ = runCmd("", "frobnicate", "-f", "-")
	g.Expect(code).To(Equal(2))
	code, _, errOut = runCmd("", "validate", "-f", "/does/not/exist.yaml")
	g.Expect(code).To(Equal(1))
	g.Expect(errOut).To(ContainSubstring("exist.yaml"))
	code, _, errOut = runCmd("kind: [", "validate", "-f", "-")
	g.Expect(code).To(Equal(1))
	g.Expect(errOut).To(ContainSubstring("<stdin>"))
}

func TestTranslateExamples(t *testing.T) {
	g := NewWithT(t)
	files, _ := filepath.Glob("../../examples/*/*.yaml")
	if len(files) == 0 {
		t.Fatal("no examples")
	}
	args := append([]string{"translate"}, append([]string{"-f"}, files...)...)
	code, out, errOut := runCmd("", args...)
	g.Expect(errOut).To(BeEmpty())
	g.Expect(code).To(Equal(0))
	g.Expect(out).To(ContainSubstring("kind: Workflow"))
}
