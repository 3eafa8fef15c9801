//go:build e2e

package e2e

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/translator"
)

// The engine contract on the real controller: each scenario runs the same DRWorkflow twice on the e2e stack,
// once with executor.type Argo (the real workflow-controller and argoexec) and once Native (the operator's
// in-process engine), each in a namespace of its own, through a DRPlanExecution (and its Revert where the
// scenario asks). Both executions' statuses are compared field by field (contractReport: run phase, message,
// conditions, summary; per action phase, retryCount, message, outputs), and each engine's run must have had
// the scenario's real effects (objects created and deleted, hooks called). Where the engines word the same
// event differently, engineWording says how; a field a scenario expects to differ is in its differs, with
// what each engine writes. Both lists are in docs/e2e.md with the reason.
var _ = Describe("Engine contract on the real Argo controller", func() {
	DescribeTable("Argo and Native report the same run",
		func(sc contractScenario) { runContract(sc) },

		// --- every action type -----------------------------------------------------------------------------
		Entry("HTTP: a sequence of calls succeeds, each response body is the action's output", contractScenario{
			hooks: map[string]hookBehaviour{"notify": {Body: `{"accepted":true}`}},
			actions: func(ns string) []drv1.Action {
				return []drv1.Action{hookAction(ns, "notify"), hookAction(ns, "confirm")}
			},
			want: drv1.ExecutionSucceeded,
			effects: func(ns string, _ contractRuns) {
				Expect(hooks.Only("/" + ns + "/notify").Body).To(Equal(`{"plan":"p","action":"notify"}`))
				hooks.Only("/" + ns + "/confirm")
			},
		}),
		Entry("KubernetesResource: Create and Apply record the object, and whether the run created it", contractScenario{
			rules: []rbacv1.PolicyRule{configMapRule},
			setup: func(ns string) {
				Expect(k8sClient.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "dr-existing", Namespace: ns}})).To(Succeed())
			},
			actions: func(ns string) []drv1.Action {
				return []drv1.Action{
					resourceAction("mark", drv1.OperationCreate, configMapManifest("dr-marker", ns)),
					resourceAction("fresh", drv1.OperationApply, configMapManifest("dr-fresh", ns)),
					resourceAction("over", drv1.OperationApply, configMapManifest("dr-existing", ns)),
				}
			},
			want: drv1.ExecutionSucceeded,
			effects: func(ns string, r contractRuns) {
				e := entry(r.run)
				for action, name := range map[string]string{"mark": "dr-marker", "fresh": "dr-fresh", "over": "dr-existing"} {
					cm := configMap(ns, name)
					Expect(cm).NotTo(BeNil(), name)
					Expect(cm.Data).To(HaveKeyWithValue("plan", "p"), name)
					Expect(outputRef(e, action).UID).To(Equal(cm.UID), action)
				}
			},
		}),
		Entry("Job: the Job runs to completion, jobRef names it", contractScenario{
			actions: func(ns string) []drv1.Action { return []drv1.Action{jobAction("check", ns, false)} },
			want:    drv1.ExecutionSucceeded,
			effects: func(ns string, r contractRuns) {
				ref := outputRef(entry(r.run), "check")
				job := &batchv1.Job{}
				Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: ref.Name}, job)).To(Succeed())
				Expect(job.UID).To(Equal(ref.UID))
				Expect(job.Status.Succeeded).To(BeNumerically(">=", 1))
			},
		}),
		Entry("Localization and Subscription: created in the cluster, their refs recorded", contractScenario{
			rules: []rbacv1.PolicyRule{clusternetRule},
			actions: func(ns string) []drv1.Action {
				return []drv1.Action{localizationAction("promote", ns), subscriptionAction("subscribe", ns)}
			},
			want: drv1.ExecutionSucceeded,
			effects: func(ns string, r contractRuns) {
				e := entry(r.run)
				Expect(outputRef(e, "promote").UID).To(Equal(clusternetObject("Localization", ns, "dr-promote").GetUID()))
				Expect(outputRef(e, "subscribe").UID).To(Equal(clusternetObject("Subscription", ns, "dr-subscribe").GetUID()))
			},
		}),

		// --- retries and timeouts -------------------------------------------------------------------------
		Entry("retries: an HTTP call failing once, then answering, Succeeded with retryCount 1", contractScenario{
			hooks: map[string]hookBehaviour{"flaky": {FailFirst: 1, Body: `{"second":"time"}`}},
			actions: func(ns string) []drv1.Action {
				return []drv1.Action{withRetry(hookAction(ns, "flaky"), 2), hookAction(ns, "after")}
			},
			want: drv1.ExecutionSucceeded,
			effects: func(ns string, _ contractRuns) {
				Expect(hooks.Requests("/" + ns + "/flaky")).To(HaveLen(2))
			},
		}),
		Entry("retries: a Job whose first attempt fails gets a new Job, Succeeded with retryCount 1", contractScenario{
			actions: func(ns string) []drv1.Action { return []drv1.Action{withRetry(failFirstJob("check", ns), 1)} },
			want:    drv1.ExecutionSucceeded,
			effects: func(ns string, r contractRuns) {
				stem := translator.JobName("run", "main", 0, "w", "check")
				Expect(outputRef(entry(r.run), "check").Name).To(Equal(translator.JobAttemptName(stem, 1)))
				Eventually(func(g Gomega) []string { return jobNames(g, ns) }).Should(ConsistOf(
					translator.JobAttemptName(stem, 0), translator.JobAttemptName(stem, 1)))
			},
		}),
		Entry("retries exhausted: an HTTP call answering 503 twice, Failed with retryCount 1 and the status code", contractScenario{
			policy: drv1.WorkflowContinue,
			hooks:  map[string]hookBehaviour{"doomed": {FailFirst: 100}},
			actions: func(ns string) []drv1.Action {
				return []drv1.Action{withRetry(hookAction(ns, "doomed"), 1)}
			},
			want: drv1.ExecutionFailed,
			effects: func(ns string, _ contractRuns) {
				Expect(hooks.Requests("/" + ns + "/doomed")).To(HaveLen(2))
			},
		}),
		Entry("retries exhausted: a Job failing every attempt, Failed with retryCount 1, a Job per attempt", contractScenario{
			policy:  drv1.WorkflowContinue,
			actions: func(ns string) []drv1.Action { return []drv1.Action{withRetry(jobAction("check", ns, true), 1)} },
			want:    drv1.ExecutionFailed,
			effects: func(ns string, _ contractRuns) {
				stem := translator.JobName("run", "main", 0, "w", "check")
				Expect(jobNames(Default, ns)).To(ConsistOf(translator.JobAttemptName(stem, 0), translator.JobAttemptName(stem, 1)))
			},
		}),
		Entry("timeouts: an HTTP call answered after the action's timeout fails", contractScenario{
			policy: drv1.WorkflowContinue,
			hooks:  map[string]hookBehaviour{"slow": {Delay: 20 * time.Second}},
			actions: func(ns string) []drv1.Action {
				slow := hookAction(ns, "slow")
				slow.Timeout = &metav1.Duration{Duration: 2 * time.Second}
				return []drv1.Action{slow}
			},
			want: drv1.ExecutionFailed,
			standInGap: "the stand-in records an empty body (outputs.result \"\") for an http call that got no answer; " +
				"Argo's agent records no outputs",
			// How each engine says it gave up; see docs/e2e.md (Engine contract).
			differs: map[string]engineValues{
				"main/w/slow.message": {argo: `^Post "http://127\.0\.0\.1:\d+/NS/slow": context deadline exceeded$`,
					native: `^timed out after 2s: POST http://127\.0\.0\.1:\d+/NS/slow: timed out after 2s$`},
				"main/w.message": {argo: `action slow failed: Post .*deadline exceeded`, native: `action slow failed: timed out after 2s: `},
				"run.message":    {argo: `action slow failed: Post .*deadline exceeded`, native: `action slow failed: timed out after 2s: `},
			},
		}),

		// --- failure policy Continue, and static when ---------------------------------------------------
		Entry("Continue: a failing Job omits its dependents, transitively; the independent branch runs", contractScenario{
			policy: drv1.WorkflowContinue,
			actions: func(ns string) []drv1.Action {
				return []drv1.Action{jobAction("check", ns, true), hookAction(ns, "next", "check"),
					hookAction(ns, "last", "next"), hookAction(ns, "aside")}
			},
			want: drv1.ExecutionFailed,
			effects: func(ns string, _ contractRuns) {
				Expect(hooks.Paths("/" + ns + "/")).To(Equal([]string{"/" + ns + "/aside"}))
			},
		}),
		Entry("when false (static): the action is skipped and its dependent runs", contractScenario{
			actions: func(ns string) []drv1.Action {
				gated := hookAction(ns, "gated")
				gated.When = `{{ ne .params.mode "dry" }}`
				return []drv1.Action{hookAction(ns, "first"), gated, hookAction(ns, "after")}
			},
			params: []drv1.ParamValue{{Name: "mode", Value: "dry"}},
			want:   drv1.ExecutionSucceeded,
			effects: func(ns string, _ contractRuns) {
				Expect(hooks.Paths("/" + ns + "/")).To(Equal([]string{"/" + ns + "/first", "/" + ns + "/after"}))
			},
		}),
		Entry("Continue: a when-false action behind a failure is omitted, and so is what depends on it", contractScenario{
			policy: drv1.WorkflowContinue,
			hooks:  map[string]hookBehaviour{"boom": {FailFirst: 100, FailStatus: http.StatusInternalServerError}},
			actions: func(ns string) []drv1.Action {
				gated := hookAction(ns, "gated", "boom")
				gated.When = `{{ ne .params.mode "dry" }}`
				return []drv1.Action{hookAction(ns, "boom"), gated, hookAction(ns, "after", "gated")}
			},
			params: []drv1.ParamValue{{Name: "mode", Value: "dry"}},
			want:   drv1.ExecutionFailed,
		}),

		// --- rollback and revert ----------------------------------------------------------------------------
		Entry("revert: custom HTTP rollback and automatic inverses in reverse order, what the run created deleted", contractScenario{
			rules: []rbacv1.PolicyRule{configMapRule, clusternetRule},
			actions: func(ns string) []drv1.Action {
				notify := hookAction(ns, "notify")
				notify.Rollback = &drv1.RollbackAction{Name: "unnotify", ActionBody: hookAction(ns, "unnotify").ActionBody}
				return []drv1.Action{
					resourceAction("mark", drv1.OperationCreate, configMapManifest("dr-marker", ns)),
					localizationAction("promote", ns), subscriptionAction("subscribe", ns),
					jobAction("check", ns, false), notify, hookAction(ns, "fin"),
				}
			},
			want:   drv1.ExecutionSucceeded,
			revert: drv1.ExecutionSucceeded,
			effects: func(ns string, r contractRuns) {
				Expect(configMap(ns, "dr-marker")).To(BeNil(), "the revert deleted the ConfigMap")
				for kind, name := range map[string]string{"Localization": "dr-promote", "Subscription": "dr-subscribe"} {
					err := k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, clusternetStub(kind))
					Expect(apierrors.IsNotFound(err)).To(BeTrue(), "the revert deleted %s %s: %v", kind, name, err)
				}
				Eventually(func(g Gomega) []string { return jobNames(g, ns) }).Should(BeEmpty(), "the revert deleted the Job")
				Expect(hooks.Only("/" + ns + "/unnotify").IdempotencyKey).To(Equal(string(r.undo.UID) + "/w/unnotify"))
				Expect(hooks.Requests("/"+ns+"/fin")).To(HaveLen(1), "fin ran in the forward run only")
				u := entry(r.undo)
				Expect(action(u, "mark").StartTime.Before(action(u, "unnotify").CompletionTime)).To(BeFalse(), "reverse order")
			},
		}),
		Entry("revert: an Apply over an object that existed is left in place", contractScenario{
			rules: []rbacv1.PolicyRule{configMapRule},
			setup: func(ns string) {
				Expect(k8sClient.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "dr-existing", Namespace: ns}})).To(Succeed())
			},
			actions: func(ns string) []drv1.Action {
				return []drv1.Action{resourceAction("over", drv1.OperationApply, configMapManifest("dr-existing", ns)),
					resourceAction("fresh", drv1.OperationApply, configMapManifest("dr-fresh", ns))}
			},
			want:   drv1.ExecutionSucceeded,
			revert: drv1.ExecutionSucceeded,
			effects: func(ns string, _ contractRuns) {
				Expect(configMap(ns, "dr-existing")).NotTo(BeNil(), "kept")
				Expect(configMap(ns, "dr-fresh")).To(BeNil(), "deleted")
			},
		}),
		Entry("revert: a Localization Patch is undone by its custom rollback, a Patch", contractScenario{
			rules: []rbacv1.PolicyRule{clusternetRule},
			setup: func(ns string) {
				base := clusternetStub("Localization")
				base.SetNamespace(ns)
				base.SetName("dr-baseline")
				Expect(unstructured.SetNestedField(base.Object, map[string]any{"priority": int64(500), "overridePolicy": "ApplyNow",
					"feed":      map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "name": "api", "namespace": "shop"},
					"overrides": []any{scaleOverride(3)}}, "spec")).To(Succeed())
				Expect(k8sClient.Create(ctx, base)).To(Succeed())
			},
			actions: func(ns string) []drv1.Action {
				drain := scalePatch("drain", ns, 0)
				restore := scalePatch("restore", ns, 3)
				drain.Rollback = &drv1.RollbackAction{Name: restore.Name, ActionBody: restore.ActionBody}
				return []drv1.Action{drain}
			},
			want:   drv1.ExecutionSucceeded,
			revert: drv1.ExecutionSucceeded,
			effects: func(ns string, _ contractRuns) {
				Expect(overrideValue(ns, "dr-baseline")).To(Equal(`{"spec":{"replicas":3}}`), "the rollback restored it")
			},
		}),
		Entry("revert: a failing rollback fails the revert", contractScenario{
			hooks: map[string]hookBehaviour{"unnotify": {FailFirst: 100, FailStatus: http.StatusInternalServerError}},
			actions: func(ns string) []drv1.Action {
				notify := hookAction(ns, "notify")
				notify.Rollback = &drv1.RollbackAction{Name: "unnotify", ActionBody: hookAction(ns, "unnotify").ActionBody}
				return []drv1.Action{notify}
			},
			want:   drv1.ExecutionSucceeded,
			revert: drv1.ExecutionFailed,
		}),
		Entry("plan Rollback: after a failure what succeeded is undone, the run Failed and RolledBack", contractScenario{
			planPolicy: drv1.PlanRollback,
			rules:      []rbacv1.PolicyRule{configMapRule},
			hooks:      map[string]hookBehaviour{"boom": {FailFirst: 100, FailStatus: http.StatusInternalServerError}},
			actions: func(ns string) []drv1.Action {
				notify := hookAction(ns, "notify")
				notify.Rollback = &drv1.RollbackAction{Name: "unnotify", ActionBody: hookAction(ns, "unnotify").ActionBody}
				return []drv1.Action{resourceAction("mark", drv1.OperationCreate, configMapManifest("dr-marker", ns)),
					notify, hookAction(ns, "boom")}
			},
			want: drv1.ExecutionFailed,
			effects: func(ns string, r contractRuns) {
				Expect(meta.IsStatusConditionTrue(r.run.Status.Conditions, drv1.ConditionRolledBack)).To(BeTrue())
				Expect(configMap(ns, "dr-marker")).To(BeNil(), "the rollback deleted the ConfigMap")
				hooks.Only("/" + ns + "/unnotify")
			},
		}),
	)
})

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
	// standInGap, when set, says how test/argostandin's replay of the scenario's real Workflow differs from it
	// (the mapping is then not compared; the gap must still show).
	standInGap string
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
				wf := argoWorkflow(namespaces[drv1.ExecutorArgo], e)
				if sc.standInGap == "" {
					checkMapping(wf)
					continue
				}
				// A known gap of the stand-in: it must still be there, else the scenario should check the mapping.
				Expect(nodeDiffs(wf, replay(wf))).NotTo(BeEmpty(), "the stand-in's gap %q is closed: drop standInGap", sc.standInGap)
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

// --- actions and objects of the contract ----------------------------------------------------------------

// clusternetRule lets the executor manage the Clusternet objects of the contract in its own namespace.
var clusternetRule = rbacv1.PolicyRule{APIGroups: []string{"apps.clusternet.io"},
	Resources: []string{"localizations", "subscriptions"}, Verbs: []string{"*"}}

// localizationAction creates the Localization dr-<name> in ns (ApplyNow, so deleting it is a clean inverse).
func localizationAction(name, ns string) drv1.Action {
	spec := `{"priority":800,"overridePolicy":"ApplyNow","feed":{"apiVersion":"apps/v1","kind":"Deployment","name":"api","namespace":"shop"},` +
		`"overrides":[{"name":"scale","type":"MergePatch","value":"{\"spec\":{\"replicas\":4}}"}]}`
	return drv1.Action{Name: name, ActionBody: drv1.ActionBody{Type: drv1.ActionTypeLocalization,
		Localization: &drv1.LocalizationAction{Operation: drv1.OperationCreate, Name: "dr-" + name, Namespace: ns,
			Spec: &runtime.RawExtension{Raw: []byte(spec)}}}}
}

// subscriptionAction applies the Subscription dr-<name> in ns (not waiting for a binding: no Clusternet
// controller runs here).
func subscriptionAction(name, ns string) drv1.Action {
	spec := `{"subscribers":[{"clusterAffinity":{"matchLabels":{"clusters.clusternet.io/cluster-name":"standby"}}}],` +
		`"feeds":[{"apiVersion":"apps/v1","kind":"Deployment","name":"api","namespace":"shop"}]}`
	return drv1.Action{Name: name, ActionBody: drv1.ActionBody{Type: drv1.ActionTypeSubscription,
		Subscription: &drv1.SubscriptionAction{Operation: drv1.SubscriptionOperation(drv1.OperationApply), Name: "dr-" + name,
			Namespace: ns, Spec: &runtime.RawExtension{Raw: []byte(spec)}}}}
}

// scaleOverride is the Localization override setting the feed's replicas.
func scaleOverride(replicas int) map[string]any {
	return map[string]any{"name": "scale", "type": "MergePatch", "value": fmt.Sprintf(`{"spec":{"replicas":%d}}`, replicas)}
}

// scalePatch patches the Localization dr-baseline of ns to the replicas.
func scalePatch(name, ns string, replicas int) drv1.Action {
	spec := fmt.Sprintf(`{"overrides":[{"name":"scale","type":"MergePatch","value":"{\"spec\":{\"replicas\":%d}}"}]}`, replicas)
	return drv1.Action{Name: name, ActionBody: drv1.ActionBody{Type: drv1.ActionTypeLocalization,
		Localization: &drv1.LocalizationAction{Operation: drv1.OperationPatch, Name: "dr-baseline", Namespace: ns,
			Spec: &runtime.RawExtension{Raw: []byte(spec)}}}}
}

// failFirstJob is a Job action whose first attempt's pod kwok fails (test/stack/kwok-stages.yaml).
func failFirstJob(name, ns string) drv1.Action {
	a := jobAction(name, ns, false)
	a.Job.Template.Spec.Raw = []byte(`{"backoffLimit":0,"template":{"metadata":{"annotations":{"drplan.e2e/fail-first-attempt":"true"}},` +
		`"spec":{"restartPolicy":"Never","containers":[{"name":"main","image":"registry.example/dr/check:1","command":["check"]}]}}}`)
	return a
}

func clusternetStub(kind string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(schema.GroupVersionKind{Group: "apps.clusternet.io", Version: "v1alpha1", Kind: kind})
	return u
}

func clusternetObject(kind, ns, name string) *unstructured.Unstructured {
	GinkgoHelper()
	u := clusternetStub(kind)
	Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, u)).To(Succeed())
	return u
}

// outputRef is the object an action's outputs name, whichever ref holds it.
func outputRef(e drv1.WorkflowExecutionStatus, name string) drv1.ResourceRef {
	GinkgoHelper()
	o := action(e, name).Outputs
	Expect(o).NotTo(BeNil(), "outputs of %s", name)
	for _, ref := range []*drv1.ResourceRef{o.JobRef, o.LocalizationRef, o.SubscriptionRef, o.ResourceRef} {
		if ref != nil {
			return *ref
		}
	}
	Fail("no object in the outputs of " + name)
	return drv1.ResourceRef{}
}

func jobNames(g Gomega, ns string) []string {
	var out []string
	for _, j := range jobsIn(g, ns) {
		if j.DeletionTimestamp == nil {
			out = append(out, j.Name)
		}
	}
	return out
}
