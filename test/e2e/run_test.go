//go:build e2e

package e2e

import (
	"net/http"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/translator"
)

// Every spec runs a DR plan through the operator and the real workflow-controller and checks what a user sees
// (the DRPlanExecution's status) and what really happened (objects, HTTP requests, Jobs and pods).
var _ = Describe("DR plans on the real Argo workflow-controller", func() {

	It("runs a sequential workflow of resource and HTTP actions to Succeeded, with the outputs synced", func() {
		ns := newNamespace(configMapRule)
		hooks.On("/"+ns+"/notify", hookBehaviour{Body: `{"accepted":true}`})
		createWorkflow(ns, "seq", "", nil,
			resourceAction("mark", drv1.OperationCreate, configMapManifest("dr-marker", ns)),
			hookAction(ns, "notify"),
			resourceAction("stamp", drv1.OperationApply, configMapManifest("dr-stamp", ns)))
		createPlan(ns, "p", "seq")
		execute(ns, "run", "p")

		ex := waitPhase(ns, "run", drv1.ExecutionSucceeded)
		Expect(*ex.Status.Summary).To(Equal(drv1.ExecutionSummary{Total: 3, Succeeded: 3}))
		Expect(ex.Status.Progress).To(Equal("3/3"))
		Expect(completed(ex)).To(And(HaveField("Status", metav1.ConditionTrue), HaveField("Reason", drv1.ReasonSucceeded)))
		Expect(ex.Status.StartTime).NotTo(BeNil())
		Expect(ex.Status.CompletionTime).NotTo(BeNil())
		e := entry(ex)
		Expect(e.Engine).To(Equal(drv1.ExecutorArgo))
		Expect(e.ArgoWorkflow.Name).To(Equal(translator.WorkflowName("run", "main", 0, "seq", false)))
		Expect(actionNames(e)).To(Equal([]string{"mark", "notify", "stamp"}))
		for i, a := range e.ActionStatuses {
			Expect(a.Phase).To(Equal(drv1.ActionSucceeded), a.Name)
			Expect(a.StartTime).NotTo(BeNil(), a.Name)
			Expect(a.CompletionTime).NotTo(BeNil(), a.Name)
			Expect(a.RetryCount).To(BeZero(), a.Name)
			if i > 0 {
				prev := e.ActionStatuses[i-1]
				Expect(a.StartTime.Before(prev.CompletionTime)).To(BeFalse(), "sequential: %s starts after %s ends", a.Name, prev.Name)
			}
		}

		// The ConfigMap argoexec created (as the executor) is the one the outputs name, uid and all.
		cm := configMap(ns, "dr-marker")
		Expect(cm).NotTo(BeNil(), "the resource action created the ConfigMap")
		Expect(cm.Data).To(Equal(map[string]string{"plan": "p", "execution": "run"}))
		ref := action(e, "mark").Outputs.ResourceRef
		Expect(ref).NotTo(BeNil())
		Expect(*ref).To(Equal(drv1.ResourceRef{APIVersion: "v1", Kind: "ConfigMap", Namespace: ns, Name: "dr-marker", UID: cm.UID, Created: true}))
		stamp := configMap(ns, "dr-stamp")
		Expect(stamp).NotTo(BeNil())
		Expect(action(e, "stamp").Outputs.ResourceRef.UID).To(Equal(stamp.UID))

		// The HTTP call really happened, once, with the idempotency key, and its body is the action's output.
		req := hooks.Only("/" + ns + "/notify")
		Expect(req.Method).To(Equal(http.MethodPost))
		Expect(req.IdempotencyKey).To(Equal(string(ex.UID) + "/seq/notify"))
		Expect(req.Body).To(Equal(`{"plan":"p","action":"notify"}`))
		Expect(action(e, "notify").Outputs.HTTPResponse.Body).To(Equal(`{"accepted":true}`))

		wf := argoWorkflow(ns, e)
		Expect(wf.Status.Phase).To(Equal(wfv1.WorkflowSucceeded))
		Expect(wf.OwnerReferences).To(ContainElement(HaveField("UID", ex.UID)))
		checkMapping(wf)
	})

	It("runs DAG branches in parallel and in dependency order", func() {
		ns := newNamespace()
		// The branches answer slowly, so they overlap only if Argo started them together.
		hooks.On("/"+ns+"/left", hookBehaviour{Delay: 2 * time.Second})
		hooks.On("/"+ns+"/right", hookBehaviour{Delay: 2 * time.Second})
		createWorkflow(ns, "dag", "", nil, hookAction(ns, "start"), hookAction(ns, "left", "start"),
			hookAction(ns, "right", "start"), hookAction(ns, "join", "left", "right"))
		createPlan(ns, "p", "dag")
		execute(ns, "run", "p")

		ex := waitPhase(ns, "run", drv1.ExecutionSucceeded)
		e := entry(ex)
		Expect(actionPhases(e)).To(Equal(map[string]drv1.ActionPhase{"start": drv1.ActionSucceeded,
			"left": drv1.ActionSucceeded, "right": drv1.ActionSucceeded, "join": drv1.ActionSucceeded}))
		Expect(ex.Status.Summary.Succeeded).To(Equal(int32(4)))

		start, left, right, join := hooks.Only("/"+ns+"/start"), hooks.Only("/"+ns+"/left"), hooks.Only("/"+ns+"/right"), hooks.Only("/"+ns+"/join")
		Expect(left.Arrived).To(BeTemporally(">=", start.Answered), "left after start")
		Expect(right.Arrived).To(BeTemporally(">=", start.Answered), "right after start")
		Expect(left.Arrived).To(BeTemporally("<", right.Answered), "left and right overlap")
		Expect(right.Arrived).To(BeTemporally("<", left.Answered), "left and right overlap")
		Expect(join.Arrived).To(BeTemporally(">=", left.Answered), "join after left")
		Expect(join.Arrived).To(BeTemporally(">=", right.Answered), "join after right")
		Expect(action(e, "join").StartTime.Before(action(e, "left").CompletionTime)).To(BeFalse())
		checkMapping(argoWorkflow(ns, e))
	})

	It("retries a failing HTTP action by its retryPolicy and shows the retry count", func() {
		ns := newNamespace()
		hooks.On("/"+ns+"/flaky", hookBehaviour{FailFirst: 2, FailStatus: http.StatusServiceUnavailable, Body: `{"third":"time lucky"}`})
		createWorkflow(ns, "retry", "", nil, withRetry(hookAction(ns, "flaky"), 3), hookAction(ns, "after"))
		createPlan(ns, "p", "retry")
		execute(ns, "run", "p")

		ex := waitPhase(ns, "run", drv1.ExecutionSucceeded)
		e := entry(ex)
		flaky := action(e, "flaky")
		Expect(flaky.Phase).To(Equal(drv1.ActionSucceeded))
		Expect(flaky.RetryCount).To(Equal(int32(2)))
		Expect(flaky.Outputs.HTTPResponse.Body).To(Equal(`{"third":"time lucky"}`))
		Expect(action(e, "after").Phase).To(Equal(drv1.ActionSucceeded))
		reqs := hooks.Requests("/" + ns + "/flaky")
		Expect(reqs).To(HaveLen(3))
		for i, r := range reqs {
			Expect(r.IdempotencyKey).To(Equal(string(ex.UID)+"/retry/flaky"), "every attempt carries the same key")
			if i < 2 {
				Expect(r.Status).To(Equal(http.StatusServiceUnavailable))
			}
		}
		Expect(reqs[2].Status).To(Equal(http.StatusOK))
		checkMapping(argoWorkflow(ns, e))
	})

	It("gives up after retryPolicy.limit retries: a failing Job and a failing HTTP action end Failed with their retry counts", func() {
		ns := newNamespace()
		hooks.On("/"+ns+"/doomed", hookBehaviour{FailFirst: 100, FailStatus: http.StatusBadGateway})
		// A DAG (after depends on check) so that check and doomed both start; Continue so neither stops the other.
		createWorkflow(ns, "w", drv1.WorkflowContinue, nil, withRetry(jobAction("check", ns, true), 1),
			withRetry(hookAction(ns, "doomed"), 1), hookAction(ns, "after", "check"))
		createPlan(ns, "p", "w")
		execute(ns, "run", "p")

		ex := waitPhase(ns, "run", drv1.ExecutionFailed)
		e := entry(ex)
		check, doomed := action(e, "check"), action(e, "doomed")
		Expect(check.Phase).To(Equal(drv1.ActionFailed))
		Expect(check.RetryCount).To(Equal(int32(1)))
		Expect(check.Message).To(ContainSubstring("failure condition"))
		Expect(doomed.Phase).To(Equal(drv1.ActionFailed))
		Expect(doomed.RetryCount).To(Equal(int32(1)))
		// Without successCodes the translator writes no successCondition: Argo's agent then names the code it
		// received, the only place Argo records it, and argoexec reads it from there.
		Expect(doomed.Message).To(Equal("No more retries left: received non-2xx response code: 502"))
		Expect(doomed.Outputs.HTTPResponse.StatusCode).To(Equal(int32(502)))
		Expect(doomed.Outputs.HTTPResponse.Body).To(Equal(`{"ok":false}`))
		Expect(action(e, "after").Phase).To(Equal(drv1.ActionSkipped))
		Expect(hooks.Requests("/" + ns + "/doomed")).To(HaveLen(2))
		Expect(hooks.Requests("/" + ns + "/after")).To(BeEmpty())
		// Each attempt ran a Job of its own (translator.JobAttemptName), and both failed.
		jobs := &batchv1.JobList{}
		Expect(k8sClient.List(ctx, jobs, client.InNamespace(ns))).To(Succeed())
		stem := translator.JobName("run", "main", 0, "w", "check")
		Expect(jobs.Items).To(ConsistOf(
			And(HaveField("Name", translator.JobAttemptName(stem, 0)), HaveField("Status.Failed", BeNumerically(">=", 1))),
			And(HaveField("Name", translator.JobAttemptName(stem, 1)), HaveField("Status.Failed", BeNumerically(">=", 1)))))
		checkMapping(argoWorkflow(ns, e))
	})

	It("retries a Job action with a Job per attempt: the first attempt's Job fails, the second's succeeds, retryCount 1", func() {
		ns := newNamespace()
		job := withRetry(jobAction("check", ns, false), 1)
		// kwok fails the pod of the first attempt's Job only (test/stack/kwok-stages.yaml).
		job.Job.Template.Spec.Raw = []byte(`{"backoffLimit":0,"template":{"metadata":{"annotations":{"drplan.e2e/fail-first-attempt":"true"}},` +
			`"spec":{"restartPolicy":"Never","containers":[{"name":"main","image":"registry.example/dr/check:1","command":["check"]}]}}}`)
		createWorkflow(ns, "w", "", nil, job, hookAction(ns, "after", "check"))
		createPlan(ns, "p", "w")
		execute(ns, "run", "p")
		e := entry(waitPhase(ns, "run", drv1.ExecutionSucceeded))
		check := action(e, "check")
		Expect(check.Phase).To(Equal(drv1.ActionSucceeded))
		Expect(check.RetryCount).To(Equal(int32(1)))
		stem := translator.JobName("run", "main", 0, "w", "check")
		Expect(check.Outputs.JobRef.Name).To(Equal(translator.JobAttemptName(stem, 1)))
		first, second := &batchv1.Job{}, &batchv1.Job{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: translator.JobAttemptName(stem, 0)}, first)).To(Succeed())
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: translator.JobAttemptName(stem, 1)}, second)).To(Succeed())
		Expect(first.Status.Failed).To(BeNumerically(">=", 1), "attempt 0 failed")
		Expect(second.Status.Succeeded).To(BeNumerically(">=", 1), "attempt 1 succeeded")
		Expect(check.Outputs.JobRef.UID).To(Equal(second.UID))
		Expect(action(e, "after").Phase).To(Equal(drv1.ActionSucceeded))
	})

	It("fails a Job action whose pod fails, with a clear message, and runs nothing after it", func() {
		ns := newNamespace()
		createWorkflow(ns, "verify", "", nil, jobAction("check", ns, true), hookAction(ns, "after"))
		createPlan(ns, "p", "verify")
		execute(ns, "run", "p")

		ex := waitPhase(ns, "run", drv1.ExecutionFailed)
		Expect(completed(ex).Reason).To(Equal(drv1.ReasonFailed))
		e := entry(ex)
		check := action(e, "check")
		Expect(check.Phase).To(Equal(drv1.ActionFailed))
		// argoexec's failureCondition on the Job, as the pod runner reports it.
		Expect(check.Message).To(ContainSubstring("failure condition"))
		Expect(ex.Status.Message).To(ContainSubstring("check"))
		Expect(action(e, "after").Phase).To(Equal(drv1.ActionSkipped))
		Expect(hooks.Requests("/" + ns + "/after")).To(BeEmpty())
		Expect(ex.Status.Summary.Failed).To(Equal(int32(1)))

		// The real Job: created by argoexec as the executor, failed by the Job controller because kwok failed its pod.
		jobs := &batchv1.JobList{}
		Expect(k8sClient.List(ctx, jobs, client.InNamespace(ns))).To(Succeed())
		Expect(jobs.Items).To(HaveLen(1))
		job := jobs.Items[0]
		Expect(job.Status.Failed).To(BeNumerically(">=", 1))
		Expect(job.Status.Conditions).To(ContainElement(And(HaveField("Type", batchv1.JobFailed), HaveField("Status", corev1.ConditionTrue))))
		pods := &corev1.PodList{}
		Expect(k8sClient.List(ctx, pods, client.InNamespace(ns), client.MatchingLabels{"job-name": job.Name})).To(Succeed())
		Expect(pods.Items).NotTo(BeEmpty())
		Expect(pods.Items[0].Status.Phase).To(Equal(corev1.PodFailed))
		checkMapping(argoWorkflow(ns, e))
	})

	It("skips an action whose when renders false, and runs what depends on it", func() {
		ns := newNamespace()
		gated := hookAction(ns, "gated")
		gated.When = `{{ ne .params.mode "dry" }}`
		createWorkflow(ns, "w", "", []drv1.Parameter{{Name: "mode", Type: drv1.ParameterTypeString}},
			hookAction(ns, "first"), gated, hookAction(ns, "after"))
		createPlan(ns, "p", "w")
		execute(ns, "run", "p", drv1.ParamValue{Name: "mode", Value: "dry"})

		ex := waitPhase(ns, "run", drv1.ExecutionSucceeded)
		e := entry(ex)
		Expect(actionPhases(e)).To(Equal(map[string]drv1.ActionPhase{"first": drv1.ActionSucceeded,
			"gated": drv1.ActionSkipped, "after": drv1.ActionSucceeded}))
		Expect(action(e, "gated").Message).To(ContainSubstring("evaluated false"))
		Expect(ex.Status.Summary.Skipped).To(Equal(int32(1)))
		Expect(hooks.Requests("/" + ns + "/gated")).To(BeEmpty())
		Expect(hooks.Paths("/" + ns + "/")).To(Equal([]string{"/" + ns + "/first", "/" + ns + "/after"}))
		checkMapping(argoWorkflow(ns, e))
	})

	DescribeTable("workflow failurePolicy on a failing action in a DAG",
		func(policy drv1.WorkflowFailurePolicy) {
			// "clash" creates a ConfigMap that exists (argoexec fails: AlreadyExists) while "slow" is held;
			// "after" depends only on "slow".
			ns := newNamespace(configMapRule)
			Expect(k8sClient.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "taken", Namespace: ns}})).To(Succeed())
			release := make(chan struct{})
			DeferCleanup(func() { closeOnce(release) })
			hooks.On("/"+ns+"/slow", hookBehaviour{Hold: release})
			createWorkflow(ns, "w", policy, nil,
				resourceAction("clash", drv1.OperationCreate, configMapManifest("taken", ns)),
				hookAction(ns, "slow"), hookAction(ns, "after", "slow"))
			createPlan(ns, "p", "w")
			execute(ns, "run", "p")

			Eventually(func(g Gomega) drv1.ActionPhase {
				ex := getExecution(ns, "run")
				g.Expect(ex.Status.StageStatuses).NotTo(BeEmpty())
				return action(entry(ex), "clash").Phase
			}).Should(Equal(drv1.ActionFailed))
			Expect(hooks.Requests("/" + ns + "/slow")).To(HaveLen(1))
			closeOnce(release)

			ex := waitPhase(ns, "run", drv1.ExecutionFailed)
			e := entry(ex)
			clash := action(e, "clash")
			Expect(clash.Phase).To(Equal(drv1.ActionFailed))
			Expect(clash.Message).To(ContainSubstring("already exists"))
			// "slow" was running when "clash" failed: it finishes, under FailFast too (its result read from the
			// task set, where the agent wrote it while the operator held the Workflow).
			Expect(action(e, "slow").Phase).To(Equal(drv1.ActionSucceeded))
			wf := argoWorkflow(ns, e)
			if policy == drv1.WorkflowFailFast {
				// Argo alone starts "after" (it reads the DAG's failFast only when it assesses the DAG's phase);
				// the operator held the Workflow with spec.suspend once "clash" failed and ended it when nothing
				// ran any more. "after" never started and says so as on the native engine.
				Expect(action(e, "after").Phase).To(Equal(drv1.ActionSkipped))
				Expect(action(e, "after").Message).To(Equal("not run: the workflow stopped after a failure"))
				Expect(hooks.Requests("/" + ns + "/after")).To(BeEmpty())
				Expect(wf.Annotations).To(HaveKeyWithValue(drv1.AnnotationFailFastHold, "clash"))
				Expect(wf.Annotations).To(HaveKey(drv1.AnnotationFailFastEnded))
				Expect(wf.Spec.Shutdown).To(Equal(wfv1.ShutdownStrategyTerminate))
			} else {
				Expect(action(e, "after").Phase).To(Equal(drv1.ActionSucceeded))
				Expect(hooks.Requests("/" + ns + "/after")).To(HaveLen(1))
			}
			Expect(ex.Status.Message).To(ContainSubstring("action clash failed"))
			Expect(completed(ex).Reason).To(Equal(drv1.ReasonFailed))
			checkMapping(wf)
		},
		Entry("FailFast starts nothing after the failure; the running action finishes", drv1.WorkflowFailFast),
		Entry("Continue runs what does not depend on the failure", drv1.WorkflowContinue),
	)

	It("reverts a Succeeded run: rollbacks in reverse order, the created ConfigMap deleted", func() {
		ns := newNamespace(configMapRule)
		notify := hookAction(ns, "notify")
		notify.Rollback = &drv1.RollbackAction{Name: "unnotify", ActionBody: drv1.ActionBody{Type: drv1.ActionTypeHTTP,
			HTTP: &drv1.HTTPAction{URL: hooks.URL("/" + ns + "/unnotify"), Method: http.MethodPost}}}
		createWorkflow(ns, "w", "", nil,
			resourceAction("mark", drv1.OperationCreate, configMapManifest("dr-marker", ns)), notify, hookAction(ns, "fin"))
		createPlan(ns, "p", "w")
		execute(ns, "run", "p")
		first := waitPhase(ns, "run", drv1.ExecutionSucceeded)
		created := configMap(ns, "dr-marker")
		Expect(created).NotTo(BeNil())
		Expect(action(entry(first), "mark").Outputs.ResourceRef.UID).To(Equal(created.UID))

		revert(ns, "undo", "p", "run")
		ex := waitPhase(ns, "undo", drv1.ExecutionSucceeded)
		e := entry(ex)
		Expect(e.ArgoWorkflow.Name).To(Equal(translator.WorkflowName("undo", "main", 0, "w", true)))
		// fin is HTTP without a rollback (skipped), notify's custom rollback runs before mark's inverse.
		Expect(actionNames(e)).To(Equal([]string{"fin", "unnotify", "mark"}))
		Expect(actionPhases(e)).To(Equal(map[string]drv1.ActionPhase{"fin": drv1.ActionSkipped,
			"unnotify": drv1.ActionSucceeded, "mark": drv1.ActionSucceeded}))
		Expect(action(e, "mark").StartTime.Before(action(e, "unnotify").CompletionTime)).To(BeFalse(), "reverse order")
		Expect(configMap(ns, "dr-marker")).To(BeNil(), "the revert deleted the ConfigMap the run created")
		undo := hooks.Only("/" + ns + "/unnotify")
		Expect(undo.IdempotencyKey).To(Equal(string(ex.UID) + "/w/unnotify"))
		Expect(hooks.Requests("/"+ns+"/fin")).To(HaveLen(1), "fin ran once, in the forward run only")
		wf := argoWorkflow(ns, e)
		Expect(wf.Labels).To(HaveKeyWithValue(drv1.LabelOperation, string(drv1.OperationRevert)))
		checkMapping(wf)
	})

	It("reverts Applies: the object the run's Apply created is deleted, a pre-existing one applied over is kept", func() {
		ns := newNamespace(configMapRule)
		before := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "dr-existing", Namespace: ns}, Data: map[string]string{"owner": "platform"}}
		Expect(k8sClient.Create(ctx, before)).To(Succeed())
		createWorkflow(ns, "w", "", nil,
			resourceAction("over", drv1.OperationApply, configMapManifest("dr-existing", ns)),
			resourceAction("fresh", drv1.OperationApply, configMapManifest("dr-fresh", ns)))
		createPlan(ns, "p", "w")
		execute(ns, "run", "p")
		first := entry(waitPhase(ns, "run", drv1.ExecutionSucceeded))
		over, fresh := action(first, "over").Outputs.ResourceRef, action(first, "fresh").Outputs.ResourceRef
		Expect(over.UID).To(Equal(before.UID))
		Expect(over.Created).To(BeFalse(), "applied over an object that existed before the run")
		Expect(fresh.Created).To(BeTrue(), "the Apply created dr-fresh")
		Expect(fresh.UID).To(Equal(configMap(ns, "dr-fresh").UID))
		Expect(configMap(ns, "dr-existing").Data).To(HaveKeyWithValue("plan", "p"), "the Apply changed the existing object")

		revert(ns, "undo", "p", "run")
		e := entry(waitPhase(ns, "undo", drv1.ExecutionSucceeded))
		Expect(actionPhases(e)).To(Equal(map[string]drv1.ActionPhase{"fresh": drv1.ActionSucceeded, "over": drv1.ActionSkipped}))
		Expect(configMap(ns, "dr-fresh")).To(BeNil(), "the revert deleted the ConfigMap the run's Apply created")
		kept := configMap(ns, "dr-existing")
		Expect(kept).NotTo(BeNil(), "the revert kept the ConfigMap that existed before the run")
		Expect(kept.UID).To(Equal(before.UID))
	})

	It("cancels a run during a slow HTTP action: Canceled, later actions never run, Argo's Workflow stopped", func() {
		ns := newNamespace()
		release := make(chan struct{})
		DeferCleanup(func() { closeOnce(release) })
		hooks.On("/"+ns+"/wait", hookBehaviour{Hold: release})
		createWorkflow(ns, "w", "", nil, hookAction(ns, "first"), hookAction(ns, "wait"), hookAction(ns, "never"))
		createPlan(ns, "p", "w")
		execute(ns, "run", "p")
		Eventually(func() []hookRequest { return hooks.Requests("/" + ns + "/wait") }).Should(HaveLen(1))

		Expect(k8sClient.Patch(ctx, getExecution(ns, "run"), rawMerge(`{"metadata":{"annotations":{"`+drv1.AnnotationCancel+`":"true"}}}`))).To(Succeed())
		ex := waitPhase(ns, "run", drv1.ExecutionCanceled)
		Expect(completed(ex).Reason).To(Equal(drv1.ReasonCanceled))
		e := entry(ex)
		Expect(actionPhases(e)).To(Equal(map[string]drv1.ActionPhase{"first": drv1.ActionSucceeded,
			"wait": drv1.ActionCanceled, "never": drv1.ActionCanceled}))
		Expect(ex.Status.Summary.Canceled).To(Equal(int32(2)))

		wf := argoWorkflow(ns, e)
		Expect(wf.Spec.Shutdown).To(Equal(wfv1.ShutdownStrategyTerminate))
		Eventually(func(g Gomega) wfv1.WorkflowPhase {
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(wf), wf)).To(Succeed())
			return wf.Status.Phase
		}).Should(Equal(wfv1.WorkflowFailed))
		Expect(wf.Status.Message).To(ContainSubstring("Stopped with strategy 'Terminate'"))
		closeOnce(release)
		Consistently(func() []hookRequest { return hooks.Requests("/" + ns + "/never") }, "3s").Should(BeEmpty())
		Eventually(func(g Gomega) *drv1.ObjectReference {
			p := &drv1.DRPlan{}
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "p"}, p)).To(Succeed())
			return p.Status.CurrentExecution
		}).Should(BeNil(), "the plan is released")
		checkMapping(wf)
	})

	It("cancels a run during a Job action: the Job is deleted as the executor ServiceAccount, the action Canceled", func() {
		ns := newNamespace()
		startHeldJobRun(ns)

		// Argo's shutdown stops the resource step's pod, not the Job it created: the operator deletes the Job,
		// as the executor ServiceAccount (the operator's own Role may not delete Jobs).
		Expect(k8sClient.Patch(ctx, getExecution(ns, "run"), rawMerge(`{"metadata":{"annotations":{"`+drv1.AnnotationCancel+`":"true"}}}`))).To(Succeed())
		ex := waitPhase(ns, "run", drv1.ExecutionCanceled)
		Expect(actionPhases(entry(ex))).To(Equal(map[string]drv1.ActionPhase{"check": drv1.ActionCanceled, "never": drv1.ActionCanceled}))
		Eventually(func(g Gomega) []batchv1.Job { return jobsIn(g, ns) }).Should(BeEmpty(), "the canceled run's Job is deleted")
		wf := argoWorkflow(ns, entry(ex))
		Eventually(func(g Gomega) wfv1.WorkflowPhase {
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(wf), wf)).To(Succeed())
			return wf.Status.Phase
		}).Should(Equal(wfv1.WorkflowFailed))
		Expect(hooks.Requests("/" + ns + "/never")).To(BeEmpty())
		checkMapping(wf)
	})

	It("maps a Workflow stopped with `argo terminate` during a Job action to a Canceled run, and deletes the Job", func() {
		ns := newNamespace()
		e := startHeldJobRun(ns)

		// What `argo terminate` does: people debug runs with the argo CLI, the operator must read the result.
		wf := argoWorkflow(ns, e)
		Expect(k8sClient.Patch(ctx, wf, rawMerge(`{"spec":{"shutdown":"Terminate"}}`))).To(Succeed())
		var ex *drv1.DRPlanExecution
		Eventually(func(g Gomega) bool {
			ex = getExecution(ns, "run")
			return ex.Status.Phase.IsTerminal()
		}).Should(BeTrue(), func() string { return describeRun(ns, ex) })
		e = entry(ex)
		// Argo fails the pod node with "workflow shutdown with strategy:  Terminate" and omits "never": both
		// were canceled, neither failed. The execution was not canceled by its owner, so it did not succeed:
		// Failed, naming the workflow that was stopped.
		Expect(actionPhases(e)).To(Equal(map[string]drv1.ActionPhase{"check": drv1.ActionCanceled, "never": drv1.ActionCanceled}))
		Expect(e.Phase).To(Equal(drv1.ExecutionCanceled))
		Expect(ex.Status.StageStatuses[0].Phase).To(Equal(drv1.ExecutionCanceled))
		Expect(ex.Status.Summary.Failed).To(BeZero())
		Expect(ex.Status.Phase).To(Equal(drv1.ExecutionFailed))
		Expect(ex.Status.Message).To(MatchRegexp(`^failed: stage \S+, workflow \S+ was canceled: .+`))
		Expect(hooks.Requests("/" + ns + "/never")).To(BeEmpty())
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(wf), wf)).To(Succeed())
		Expect(wf.Status.Phase).To(Equal(wfv1.WorkflowFailed))
		// Stopped from Argo, the run's Job is stopped as on a cancel by the operator.
		Eventually(func(g Gomega) []batchv1.Job { return jobsIn(g, ns) }).Should(BeEmpty(), "the stopped run's Job is deleted")
		checkMapping(wf)
	})

	It("cannot change what the executor ServiceAccount may not: the action fails Forbidden, the object untouched", func() {
		ns := newNamespace(configMapRule)
		// Another namespace with a ConfigMap the plan tries to overwrite; the executor has no Role there.
		other := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "e2e-other-"}}
		Expect(k8sClient.Create(ctx, other)).To(Succeed())
		guarded := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "guarded", Namespace: other.Name}, Data: map[string]string{"owner": "platform"}}
		Expect(k8sClient.Create(ctx, guarded)).To(Succeed())
		// A DAG (done depends on plant), so intrude and plant both start.
		createWorkflow(ns, "w", drv1.WorkflowContinue, nil,
			// Retries allowed, but a Forbidden is not worth retrying (both engines give up at once).
			withRetry(resourceAction("intrude", drv1.OperationApply, configMapManifest("guarded", other.Name)), 2),
			// A kind the executor's Role does not list, in its own namespace.
			withRetry(resourceAction("plant", drv1.OperationCreate, "apiVersion: v1\nkind: Secret\nmetadata:\n  name: planted\n  namespace: "+ns+"\nstringData:\n  k: v\n"), 2),
			hookAction(ns, "done", "plant"))
		createPlan(ns, "p", "w")
		execute(ns, "run", "p")

		ex := waitPhase(ns, "run", drv1.ExecutionFailed)
		e := entry(ex)
		for _, name := range []string{"intrude", "plant"} {
			a := action(e, name)
			Expect(a.Phase).To(Equal(drv1.ActionFailed), name)
			// Argo's message is argoexec's error; the stack's pod runner passes on its first line only, which
			// says Forbidden but not who (a kubelet would pass the whole termination message, naming the account).
			Expect(a.Message).To(ContainSubstring("Forbidden"), name)
			Expect(a.RetryCount).To(BeZero(), name)
		}
		after := configMap(other.Name, "guarded")
		Expect(after.Data).To(Equal(map[string]string{"owner": "platform"}))
		Expect(after.ResourceVersion).To(Equal(guarded.ResourceVersion), "the ConfigMap was not written at all")
		err := k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "planted"}, &corev1.Secret{})
		Expect(apierrors.IsNotFound(err)).To(BeTrue(), "no Secret was planted: %v", err)
		Expect(action(e, "done").Phase).To(Equal(drv1.ActionSkipped))
		checkMapping(argoWorkflow(ns, e))
	})
})

// closeOnce closes a release channel unless it is closed already.
func closeOnce(c chan struct{}) {
	select {
	case <-c:
	default:
		close(c)
	}
}

// startHeldJobRun runs, in ns, a workflow of a Job action "check" and an HTTP action "never" after it, and
// returns the entry's status once "check" is Running and its Job exists. The Job's pod can be scheduled
// nowhere, so the Job stays active and Argo's resource step keeps waiting.
func startHeldJobRun(ns string) drv1.WorkflowExecutionStatus {
	GinkgoHelper()
	job := jobAction("check", ns, false)
	job.Job.Template.Spec.Raw = []byte(`{"backoffLimit":0,"template":{"spec":{"restartPolicy":"Never",` +
		`"nodeSelector":{"drplan.e2e/nowhere":"true"},"containers":[{"name":"main","image":"registry.example/dr/check:1"}]}}}`)
	createWorkflow(ns, "w", "", nil, job, hookAction(ns, "never"))
	createPlan(ns, "p", "w")
	execute(ns, "run", "p")
	var e drv1.WorkflowExecutionStatus
	Eventually(func(g Gomega) drv1.ActionPhase {
		ex := getExecution(ns, "run")
		g.Expect(ex.Status.StageStatuses).NotTo(BeEmpty())
		e = entry(ex)
		return action(e, "check").Phase
	}).Should(Equal(drv1.ActionRunning))
	Eventually(func(g Gomega) []batchv1.Job { return jobsIn(g, ns) }).Should(HaveLen(1))
	return e
}

func jobsIn(g Gomega, ns string) []batchv1.Job {
	list := &batchv1.JobList{}
	g.Expect(k8sClient.List(ctx, list, client.InNamespace(ns))).To(Succeed())
	return list.Items
}
