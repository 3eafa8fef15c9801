//go:build e2e

package e2e

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// How the engine contract (contract_test.go) runs a scenario on both engines and compares what they report.

// contractScenario is one behaviour both engines promise alike.
type contractScenario struct {
	// policy is the workflow's failurePolicy; planPolicy the plan's.
	policy     drv1.WorkflowFailurePolicy
	planPolicy drv1.PlanFailurePolicy
	// rules are granted to the executor in the run's namespace, on top of config/executor.
	rules []rbacv1.PolicyRule
	// setup prepares the namespace (objects that exist before the run).
	setup func(ns string)
	// hooks answer the HTTP actions, by action name.
	hooks map[string]hookBehaviour
	// actions of the workflow "w", for namespace ns.
	actions func(ns string) []drv1.Action
	// params of the execution (declared by the workflow as strings).
	params []drv1.ParamValue
	// want is the phase the execution ends in; revert, when set, the phase of a Revert of it.
	want, revert drv1.ExecutionPhase
	// differs lists report fields the engines fill differently in this scenario, with what each writes.
	differs map[string]engineValues
	// effects checks what really happened, for each engine's namespace.
	effects func(ns string, r contractRuns)
}

// engineValues are patterns the value of a report field matches on each engine.
type engineValues struct{ argo, native string }

// contractRuns are one engine's execution and its Revert (nil when the scenario has none).
type contractRuns struct{ run, undo *drv1.DRPlanExecution }

var contractEngines = []drv1.ExecutorType{drv1.ExecutorArgo, drv1.ExecutorNative}

// runContract runs the scenario on both engines at once, then compares what they report.
func runContract(sc contractScenario) {
	GinkgoHelper()
	namespaces := map[drv1.ExecutorType]string{}
	for _, eng := range contractEngines {
		ns := newNamespace(sc.rules...)
		namespaces[eng] = ns
		if sc.setup != nil {
			sc.setup(ns)
		}
		for name, b := range sc.hooks {
			hooks.On("/"+ns+"/"+name, b)
		}
		var params []drv1.Parameter
		for _, p := range sc.params {
			params = append(params, drv1.Parameter{Name: p.Name, Type: drv1.ParameterTypeString})
		}
		wf := &drv1.DRWorkflow{ObjectMeta: metav1.ObjectMeta{Name: "w", Namespace: ns},
			Spec: drv1.DRWorkflowSpec{FailurePolicy: sc.policy, Actions: sc.actions(ns), Parameters: params,
				Executor: &drv1.ExecutorSpec{Type: eng}}}
		Expect(k8sClient.Create(ctx, wf)).To(Succeed())
		createPlanWithPolicy(ns, "p", sc.planPolicy, "w")
	}
	runs := map[drv1.ExecutorType]contractRuns{}
	for _, eng := range contractEngines {
		execute(namespaces[eng], "run", "p", sc.params...)
	}
	for _, eng := range contractEngines {
		ns := namespaces[eng]
		ex := waitPhase(ns, "run", sc.want)
		Expect(entry(ex).Engine).To(Equal(eng))
		runs[eng] = contractRuns{run: ex}
	}
	if sc.revert != "" {
		for _, eng := range contractEngines {
			revert(namespaces[eng], "undo", "p", "run")
		}
		for _, eng := range contractEngines {
			r := runs[eng]
			r.undo = waitPhase(namespaces[eng], "undo", sc.revert)
			runs[eng] = r
		}
	}

	reports := map[drv1.ExecutorType]map[string]string{}
	for _, eng := range contractEngines {
		ns, r := namespaces[eng], runs[eng]
		rep := contractReport(ns, "", r.run)
		if r.undo != nil {
			for k, v := range contractReport(ns, "revert ", r.undo) {
				rep[k] = v
			}
		}
		reports[eng] = rep
		AddReportEntry(fmt.Sprintf("contract report, %s engine", eng), formatReport(rep))
	}
	Expect(contractDiffs(reports[drv1.ExecutorArgo], reports[drv1.ExecutorNative], sc.differs)).To(BeEmpty(),
		"Argo and Native differ\nargo:\n%s\nnative:\n%s", formatReport(reports[drv1.ExecutorArgo]), formatReport(reports[drv1.ExecutorNative]))
	// The integration suite's contract runs the Argo side on test/argostandin: the real Workflows of these runs
	// must map as the stand-in's replay of them does.
	for _, ex := range []*drv1.DRPlanExecution{runs[drv1.ExecutorArgo].run, runs[drv1.ExecutorArgo].undo} {
		if ex == nil {
			continue
		}
		for _, st := range append(append([]drv1.StageStatus(nil), ex.Status.StageStatuses...), ex.Status.RollbackStageStatuses...) {
			for _, e := range st.WorkflowExecutions {
				checkMapping(argoWorkflow(namespaces[drv1.ExecutorArgo], e))
			}
		}
	}
	if sc.effects != nil {
		for _, eng := range contractEngines {
			By("the real effects of the " + string(eng) + " engine's run")
			sc.effects(namespaces[eng], runs[eng])
		}
	}
}

// createPlanWithPolicy is createPlan with the plan's failurePolicy.
func createPlanWithPolicy(ns, name string, policy drv1.PlanFailurePolicy, workflows ...string) {
	GinkgoHelper()
	st := drv1.Stage{Name: "main"}
	for _, w := range workflows {
		st.Workflows = append(st.Workflows, drv1.WorkflowEntry{WorkflowRef: drv1.ObjectReference{Name: w}})
	}
	p := &drv1.DRPlan{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: drv1.DRPlanSpec{FailurePolicy: policy, Stages: []drv1.Stage{st}}}
	Expect(k8sClient.Create(ctx, p)).To(Succeed())
	Eventually(func(g Gomega) bool {
		g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(p), p)).To(Succeed())
		return meta.IsStatusConditionTrue(p.Status.Conditions, drv1.ConditionReady)
	}).Should(BeTrue(), "plan %s/%s Ready", ns, name)
}

// contractReport is what the contract compares of an execution, as "field" -> value, with the run's namespace
// written NS. Times and uids differ between any two runs: a uid is compared as present or not (effects
// check it is the real object's).
func contractReport(ns, prefix string, ex *drv1.DRPlanExecution) map[string]string {
	r := map[string]string{}
	put := func(k, v string) { r[prefix+k] = strings.ReplaceAll(v, ns, "NS") }
	put("run.phase", string(ex.Status.Phase))
	put("run.message", ex.Status.Message)
	for _, c := range ex.Status.Conditions {
		put("run.condition."+c.Type, fmt.Sprintf("%s %s", c.Status, c.Reason))
	}
	if s := ex.Status.Summary; s != nil {
		put("run.summary", fmt.Sprintf("%+v", *s))
	}
	lists := []struct {
		name   string
		stages []drv1.StageStatus
	}{{"", ex.Status.StageStatuses}, {"rollback ", ex.Status.RollbackStageStatuses}}
	for _, l := range lists {
		for _, st := range l.stages {
			put(l.name+st.Name+".phase", string(st.Phase))
			for _, e := range st.WorkflowExecutions {
				p := l.name + st.Name + "/" + e.WorkflowRef.Name
				put(p+".phase", string(e.Phase))
				put(p+".message", e.Message)
				put(p+".progress", e.Progress)
				put(p+".actions", strings.Join(actionNames(e), ","))
				for _, a := range e.ActionStatuses {
					reportAction(put, p+"/"+a.Name, a)
				}
			}
		}
	}
	return r
}

func reportAction(put func(k, v string), p string, a drv1.ActionStatus) {
	put(p+".phase", string(a.Phase))
	put(p+".retryCount", fmt.Sprint(a.RetryCount))
	put(p+".message", a.Message)
	o := a.Outputs
	if o == nil {
		return
	}
	if h := o.HTTPResponse; h != nil {
		put(p+".outputs.httpResponse.statusCode", fmt.Sprint(h.StatusCode))
		put(p+".outputs.httpResponse.body", h.Body)
	}
	refs := map[string]*drv1.ResourceRef{"jobRef": o.JobRef, "localizationRef": o.LocalizationRef,
		"subscriptionRef": o.SubscriptionRef, "resourceRef": o.ResourceRef}
	for name, ref := range refs {
		if ref == nil {
			continue
		}
		put(p+".outputs."+name, fmt.Sprintf("%s %s %s/%s created=%t uid=%t", ref.APIVersion, ref.Kind, ref.Namespace,
			ref.Name, ref.Created, ref.UID != ""))
	}
}

// engineWording is how each engine words the same event, rewritten to one form before messages are compared
// (docs/e2e.md, "Engine contract"): Argo's messages are Argo's own, the native engine's its own.
var engineWording = map[drv1.ExecutorType][]struct {
	from *regexp.Regexp
	to   string
}{
	drv1.ExecutorArgo: {
		{regexp.MustCompile(`No more retries left: `), "<retries exhausted>: "},
		{regexp.MustCompile(`received non-2xx response code: (\d+)`), "<HTTP $1, not 2xx>"},
		// Argo writes the same text for every task it skips by `when`, whatever the reason the translator had.
		{regexp.MustCompile(`when 'false' evaluated false`), "<skipped>"},
		{regexp.MustCompile(`failure condition '\{status\.failed gt \[0\]\}' evaluated true.*$`), "<job failed>"},
	},
	drv1.ExecutorNative: {
		{regexp.MustCompile(`no more retries left after \d+ attempts: `), "<retries exhausted>: "},
		{regexp.MustCompile(`received response code (\d+), want 2xx`), "<HTTP $1, not 2xx>"},
		{regexp.MustCompile(`when rendered false|(an HTTP action|an Approval|a Delete) has no automatic inverse|Apply did not report creating the object, so it is left in place`), "<skipped>"},
		// The native engine adds which failure kept an omitted action from running.
		{regexp.MustCompile(`(omitted: depends condition not met) \(action \S+ (failed|canceled)\)`), "$1"},
		{regexp.MustCompile(`job NS/\S+ failed: .*$`), "<job failed>"},
	},
}

// inherentDifferences are report fields one engine cannot fill as the other does (docs/e2e.md); applies says
// whether one explains the difference in field k of the two reports.
var inherentDifferences = []struct {
	why     string
	applies func(k string, argo, native map[string]string) bool
}{
	{"Argo's http template records no status code for a response it accepted", func(k string, argo, native map[string]string) bool {
		return strings.HasSuffix(k, ".outputs.httpResponse.statusCode") && argo[k] == "0" && regexp.MustCompile(`^2\d\d$`).MatchString(native[k])
	}},
	{"Argo's resource step writes its output parameters only once its success condition holds: a failed Job action has no jobRef", func(k string, argo, native map[string]string) bool {
		action, ok := strings.CutSuffix(k, ".outputs.jobRef")
		_, onArgo := argo[k]
		return ok && !onArgo && argo[action+".phase"] == "Failed" && native[action+".phase"] == "Failed"
	}},
	{"Argo's resource delete (an automatic inverse, a Delete) has no outputs; the native engine names the object it deleted", func(k string, argo, native map[string]string) bool {
		_, onArgo := argo[k]
		return outputRefField.MatchString(k) && !onArgo && strings.HasSuffix(native[k], " created=false uid=false")
	}},
}

var outputRefField = regexp.MustCompile(`\.outputs\.(jobRef|resourceRef|localizationRef|subscriptionRef)$`)

// contractDiffs lists the fields whose values differ between the engines' reports, other than the wording
// engineWording lists, the inherent differences and the scenario's differs (whose patterns must match).
func contractDiffs(argo, native map[string]string, differs map[string]engineValues) []string {
	keys := map[string]bool{}
	for k := range argo {
		keys[k] = true
	}
	for k := range native {
		keys[k] = true
	}
	var diffs []string
	for k := range keys {
		a, aok := argo[k]
		n, nok := native[k]
		if d, ok := differs[k]; ok {
			if !regexp.MustCompile(d.argo).MatchString(a) || !regexp.MustCompile(d.native).MatchString(n) {
				diffs = append(diffs, fmt.Sprintf("%s: argo %q (want /%s/), native %q (want /%s/)", k, a, d.argo, n, d.native))
			}
			continue
		}
		if aok && nok && strings.HasSuffix(k, "message") {
			a, n = reword(drv1.ExecutorArgo, a), reword(drv1.ExecutorNative, n)
		}
		if aok == nok && a == n {
			continue
		}
		inherent := false
		for _, d := range inherentDifferences {
			inherent = inherent || d.applies(k, argo, native)
		}
		if !inherent {
			diffs = append(diffs, fmt.Sprintf("%s: argo %s, native %s", k, present(a, aok), present(n, nok)))
		}
	}
	sort.Strings(diffs)
	return diffs
}

// reword rewrites the engine's wording of each event in msg to the common form, wherever it occurs (run and
// workflow messages quote the failed action's).
func reword(eng drv1.ExecutorType, msg string) string {
	for _, w := range engineWording[eng] {
		msg = w.from.ReplaceAllString(msg, w.to)
	}
	return msg
}

func present(v string, ok bool) string {
	if !ok {
		return "(none)"
	}
	return fmt.Sprintf("%q", v)
}

func formatReport(r map[string]string) string {
	keys := make([]string, 0, len(r))
	for k := range r {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "  %s = %q\n", k, r[k])
	}
	return b.String()
}
