//go:build e2e

package e2e

import (
	"net/http"
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
			// How each engine says it gave up; see docs/e2e.md (Engine contract).
			differs: map[string]engineValues{
				"main/w/slow.message": {argo: `^timed out after 2s: Post "http://127\.0\.0\.1:\d+/NS/slow": context deadline exceeded$`,
					native: `^timed out after 2s: POST http://127\.0\.0\.1:\d+/NS/slow$`},
				"main/w.message": {argo: `action slow failed: timed out after 2s: Post .*deadline exceeded`, native: `action slow failed: timed out after 2s: POST `},
				"run.message":    {argo: `action slow failed: timed out after 2s: Post .*deadline exceeded`, native: `action slow failed: timed out after 2s: POST `},
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

		Entry("FailFast: after a failure nothing new starts, the running call finishes, what never ran is Skipped", contractScenario{
			policy: drv1.WorkflowFailFast,
			hooks: map[string]hookBehaviour{
				"boom": {FailFirst: 100, FailStatus: http.StatusInternalServerError},
				"slow": {Delay: 3 * time.Second},
			},
			actions: func(ns string) []drv1.Action {
				return []drv1.Action{hookAction(ns, "boom"), hookAction(ns, "slow"), hookAction(ns, "after", "slow")}
			},
			want: drv1.ExecutionFailed,
			effects: func(ns string, _ contractRuns) {
				Expect(hooks.Requests("/" + ns + "/slow")).To(HaveLen(1))
				Expect(hooks.Requests("/"+ns+"/after")).To(BeEmpty(), "nothing starts after the failure")
			},
		}),
		Entry("when at run time: an earlier action's phase and body decide, one way and the other", contractScenario{
			hooks: map[string]hookBehaviour{"probe": {Body: `{"standby":"ready"}`}},
			actions: func(ns string) []drv1.Action {
				switchOver := hookAction(ns, "switch", "probe")
				switchOver.When = `{{ .outputs.probe.phase == 'Succeeded' && .outputs.probe.httpResponse.body contains 'ready' }}`
				hold := hookAction(ns, "hold", "probe")
				hold.When = `{{ .outputs.probe.httpResponse.body contains 'degraded' }}`
				return []drv1.Action{hookAction(ns, "probe"), switchOver, hold, hookAction(ns, "after", "switch", "hold")}
			},
			want: drv1.ExecutionSucceeded,
			effects: func(ns string, _ contractRuns) {
				Expect(hooks.Paths("/" + ns + "/")).To(ConsistOf("/"+ns+"/probe", "/"+ns+"/switch", "/"+ns+"/after"))
			},
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
