//go:build e2e

package e2e

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/yaml"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/argoexec"
	"github.com/drplan/drplan-operator/test/argostandin"
)

// The mapping check: argoexec maps Argo's node status to action statuses, and the integration suite tests that
// mapping against test/argostandin. Here, for a Workflow the real controller ran, the stand-in replays the same
// compiled Workflow with the outcomes the real run had (which attempt failed, with which message, what each
// task returned), and both node statuses are compared field by field, and so are the action statuses argoexec
// maps them to. A difference means the integration suite tests against node shapes Argo does not write.

// checkMapping compares the real Workflow's nodes with the stand-in's replay of it: nodes by name (type,
// displayName, templateName, boundary, children, phase, message, outputs, retried flag), and argoexec's
// RunStatus of both. It records the real nodes in the report.
func checkMapping(real *wfv1.Workflow) {
	GinkgoHelper()
	Expect(real.Status.Phase.Completed()).To(BeTrue(), "the real Workflow %s has completed", real.Name)
	AddReportEntry("real argo nodes of "+real.Name, nodeTable(real))
	fake := replay(real)
	AddReportEntry("stand-in nodes of "+real.Name, nodeTable(fake))
	Expect(nodeDiffs(real, fake)).To(BeEmpty(), "node status of the stand-in differs from the real controller's\nreal:\n%s\nstand-in:\n%s",
		nodeTable(real), nodeTable(fake))

	realSt, err := argoexec.RunStatus(real)
	Expect(err).NotTo(HaveOccurred())
	fakeSt, err := argoexec.RunStatus(fake)
	Expect(err).NotTo(HaveOccurred())
	Expect(fakeSt.Phase).To(Equal(realSt.Phase), "run phase")
	Expect(fakeSt.Message).To(Equal(realSt.Message), "run message")
	Expect(comparableActions(fakeSt.Actions)).To(Equal(comparableActions(realSt.Actions)), "action statuses argoexec maps")
}

// comparableActions drops what cannot match between two runs: times (present or not is kept) and the uid the
// stand-in generates when the real run recorded none.
func comparableActions(in []drv1.ActionStatus) []drv1.ActionStatus {
	out := make([]drv1.ActionStatus, len(in))
	for i := range in {
		a := *in[i].DeepCopy()
		a.StartTime, a.CompletionTime = nil, nil
		out[i] = a
	}
	return out
}

var responseCode = regexp.MustCompile(`response code: (\d{3})`)

// replay runs the real Workflow's spec through the stand-in, in memory, with each task's (and attempt's)
// outcome read from the real node status. Tasks the real controller stopped with spec.shutdown are held
// until the stand-in has nothing else to do, then the replay sets the same shutdown. Suspend nodes (Approval
// gates) the real run ended (resumed, refused, timed out) are ended the same way when the stand-in waits on them.
func replay(real *wfv1.Workflow) *wfv1.Workflow {
	GinkgoHelper()
	realNodes, err := argoexec.Nodes(real)
	Expect(err).NotTo(HaveOccurred())
	byName := map[string]wfv1.NodeStatus{}
	for _, n := range realNodes {
		byName[n.Name] = n
	}
	attempts := func(n wfv1.NodeStatus) []wfv1.NodeStatus {
		var out []wfv1.NodeStatus
		for _, id := range n.Children {
			if c, ok := realNodes[id]; ok && c.NodeFlag != nil && c.NodeFlag.Retried {
				out = append(out, c)
			}
		}
		return out
	}
	stopped := func(n wfv1.NodeStatus) bool {
		return real.Spec.Shutdown != "" && strings.Contains(n.Message, "with strategy")
	}

	fake := &wfv1.Workflow{TypeMeta: real.TypeMeta, ObjectMeta: *real.ObjectMeta.DeepCopy(), Spec: *real.Spec.DeepCopy()}
	fake.Spec.Shutdown = ""
	_, held := real.Annotations[drv1.AnnotationFailFastHold]
	_, released := real.Annotations[drv1.AnnotationFailFastEnded]
	if held && !released {
		// The operator held a FailFast Workflow whose last node had already failed: the real controller
		// completed it under spec.suspend (nothing was left to start), so the hold changed nothing. The replay
		// runs it unheld; the stand-in does not end a suspended Workflow.
		fake.Spec.Suspend = nil
	}
	si := argostandin.New(nil)
	si.SetScript(func(t argostandin.Task) argostandin.Outcome {
		n, ok := byName[real.Name+"."+t.Name]
		if !ok {
			return argostandin.Outcome{} // the real controller never ran it: the node diff shows it
		}
		target := n
		if n.Type == wfv1.NodeTypeRetry {
			if as := attempts(n); t.Attempt < len(as) {
				target = as[t.Attempt]
			}
		}
		if stopped(target) || stopped(n) {
			return argostandin.Outcome{Hold: true}
		}
		o := argostandin.Outcome{Fail: target.Phase.FailedOrError(), Message: target.Message}
		if target.Outputs != nil {
			if target.Outputs.Result != nil {
				o.Result = *target.Outputs.Result
			}
			o.Params = map[string]string{}
			for _, p := range target.Outputs.Parameters {
				if p.Value != nil {
					o.Params[p.Name] = p.Value.String()
				}
			}
		}
		if target.Type == wfv1.NodeTypeHTTP && target.Phase.FailedOrError() && (target.Outputs == nil || target.Outputs.Result == nil) {
			o.NoResponse = true // no answer (its timeout): the agent recorded no body
		}
		if m := responseCode.FindStringSubmatch(target.Message); m != nil {
			o.StatusCode, _ = strconv.Atoi(m[1])
		}
		return o
	})
	idle := 0
	for i := 0; i < 500 && !fake.Status.Phase.Completed(); i++ {
		if si.Step(fake) {
			idle = 0
			continue
		}
		idle++
		// Approval gates: end the suspend nodes the real run ended as it did (approved or timed out with Continue:
		// Succeeded; refused or timed out with Fail: Failed).
		for id, n := range fake.Status.Nodes {
			if r, ok := byName[n.Name]; ok && n.IsActiveSuspendNode() && (r.Phase == wfv1.NodeSucceeded || r.Phase == wfv1.NodeFailed) {
				n.Phase, n.Message, n.FinishedAt = r.Phase, r.Message, r.FinishedAt
				fake.Status.Nodes[id] = n
				idle = 0
			}
		}
		if idle > 2 && real.Spec.Shutdown != "" && fake.Spec.Shutdown == "" {
			fake.Spec.Shutdown = real.Spec.Shutdown
		}
		Expect(idle).To(BeNumerically("<", 10), "the stand-in's replay of %s is stuck:\n%s\n(real spec.suspend %v, annotations %v)",
			real.Name, nodeTable(fake), real.Spec.Suspend, real.Annotations)
	}
	Expect(fake.Status.Phase.Completed()).To(BeTrue(), "the stand-in's replay of %s completed", real.Name)
	return fake
}

// nodeView is what the comparison looks at in a node: the fields argoexec reads or that shape the graph it
// walks. IDs are replaced by node names (both sides derive IDs from names, but names read better).
type nodeView struct {
	Type, DisplayName, TemplateName, Boundary, Phase, Message string
	Children                                                  []string
	Retried                                                   bool
	TaskResultSynced                                          *bool
	Result                                                    *string
	Params                                                    map[string]string
}

func viewNodes(wf *wfv1.Workflow) map[string]nodeView {
	GinkgoHelper()
	nodes, err := argoexec.Nodes(wf)
	Expect(err).NotTo(HaveOccurred())
	name := func(id string) string {
		if n, ok := nodes[id]; ok {
			return n.Name
		}
		return id
	}
	out := map[string]nodeView{}
	for _, n := range nodes {
		v := nodeView{Type: string(n.Type), DisplayName: n.DisplayName, TemplateName: n.TemplateName,
			Boundary: name(n.BoundaryID), Phase: string(n.Phase), Message: n.Message,
			Retried: n.NodeFlag != nil && n.NodeFlag.Retried, TaskResultSynced: n.TaskResultSynced}
		for _, c := range n.Children {
			v.Children = append(v.Children, name(c))
		}
		sort.Strings(v.Children)
		if n.Outputs != nil {
			v.Result = n.Outputs.Result
			for _, p := range n.Outputs.Parameters {
				if v.Params == nil {
					v.Params = map[string]string{}
				}
				if p.Value != nil {
					v.Params[p.Name] = p.Value.String()
				}
			}
		}
		out[n.Name] = v
	}
	return out
}

// nodeDiffs lists, by node name, every field where the stand-in's node differs from the real one.
func nodeDiffs(real, fake *wfv1.Workflow) []string {
	r, f := viewNodes(real), viewNodes(fake)
	var names []string
	for n := range r {
		names = append(names, n)
	}
	for n := range f {
		if _, ok := r[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var diffs []string
	for _, n := range names {
		rv, inReal := r[n]
		fv, inFake := f[n]
		switch {
		case !inReal:
			diffs = append(diffs, fmt.Sprintf("%s: only in the stand-in (%s %s %q)", n, fv.Type, fv.Phase, fv.Message))
			continue
		case !inFake:
			diffs = append(diffs, fmt.Sprintf("%s: only in the real controller (%s %s %q)", n, rv.Type, rv.Phase, rv.Message))
			continue
		}
		if !equality.Semantic.DeepEqual(rv, fv) {
			ry, _ := yaml.Marshal(rv)
			fy, _ := yaml.Marshal(fv)
			diffs = append(diffs, fmt.Sprintf("%s:\n  real:     %s\n  stand-in: %s", n,
				strings.ReplaceAll(strings.TrimSpace(string(ry)), "\n", "; "), strings.ReplaceAll(strings.TrimSpace(string(fy)), "\n", "; ")))
		}
	}
	return diffs
}

// nodeTable renders a Workflow's nodes one per line, sorted by name, for messages and the report.
func nodeTable(wf *wfv1.Workflow) string {
	nodes, err := argoexec.Nodes(wf)
	if err != nil {
		return err.Error()
	}
	name := func(id string) string {
		if n, ok := nodes[id]; ok {
			if n.Name == wf.Name {
				return "<root>"
			}
			return strings.TrimPrefix(n.Name, wf.Name)
		}
		return id
	}
	var lines []string
	for _, n := range nodes {
		var children []string
		for _, c := range n.Children {
			children = append(children, name(c))
		}
		out := ""
		if n.Outputs != nil {
			if n.Outputs.Result != nil {
				out += " result=" + strconv.Quote(*n.Outputs.Result)
			}
			for _, p := range n.Outputs.Parameters {
				if p.Value != nil {
					out += " " + p.Name + "=" + p.Value.String()
				}
			}
		}
		flag := ""
		if n.NodeFlag != nil && n.NodeFlag.Retried {
			flag = " retried"
		}
		synced := ""
		if n.TaskResultSynced != nil {
			synced = fmt.Sprintf(" taskResultSynced=%v", *n.TaskResultSynced)
		}
		lines = append(lines, fmt.Sprintf("  %-28s type=%-7s display=%-20s tmpl=%-14s boundary=%-6s phase=%-9s children=[%s]%s%s msg=%q%s",
			name(n.ID), n.Type, n.DisplayName, n.TemplateName, name(n.BoundaryID), n.Phase, strings.Join(children, ","), flag, synced, n.Message, out))
	}
	sort.Strings(lines)
	return fmt.Sprintf("workflow %s phase=%s message=%q shutdown=%q\n%s\n", wf.Name, wf.Status.Phase, wf.Status.Message,
		wf.Spec.Shutdown, strings.Join(lines, "\n"))
}
