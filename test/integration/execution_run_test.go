package integration

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/test/argostandin"
	"github.com/drplan/drplan-operator/test/testenv"
	"github.com/drplan/drplan-operator/translator"
)

var _ = Describe("DRPlanExecution on Argo", func() {
	var ns string
	var argo *argostandin.StandIn
	BeforeEach(func() {
		ns = newNamespace()
		argo = argoStandIn()
	})

	It("runs a sequential plan to Succeeded with every action status, time, retry and output right", func() {
		argo.SetScript(exOutcomes(map[string]argostandin.Outcome{
			"notify": {Result: `{"accepted":true}`},
			"check":  {FailAttempts: 1},
		}))
		exWorkflow(ns, "seq", "", exHTTP("notify"), exConfigMap("marker", "failover-marker"), exRetry(exHTTP("check"), 2))
		exPlan(ns, "p", "", exStage("one", false, nil, "seq"))
		exExecution(ns, "run", "p")

		ex := exWaitPhase(ns, "run", drv1.ExecutionSucceeded)
		st := ex.Status
		Expect(st.StartTime).NotTo(BeNil())
		Expect(st.CompletionTime).NotTo(BeNil())
		Expect(st.Progress).To(Equal("3/3"))
		Expect(*st.Summary).To(Equal(drv1.ExecutionSummary{Total: 3, Succeeded: 3}))
		Expect(meta.IsStatusConditionTrue(st.Conditions, drv1.ConditionCompleted)).To(BeTrue())
		Expect(meta.FindStatusCondition(st.Conditions, drv1.ConditionCompleted).Reason).To(Equal(drv1.ReasonSucceeded))
		Expect(st.StageStatuses).To(HaveLen(1))
		stg := st.StageStatuses[0]
		Expect(stg.Phase).To(Equal(drv1.ExecutionSucceeded))
		Expect(stg.StartTime).NotTo(BeNil())
		Expect(stg.CompletionTime).NotTo(BeNil())
		e := stg.WorkflowExecutions[0]
		Expect(e.Engine).To(Equal(drv1.ExecutorArgo))
		Expect(e.ArgoWorkflow.Name).To(Equal(translator.WorkflowName("run", "one", 0, "seq", false)))
		Expect(e.ArgoWorkflow.UID).NotTo(BeEmpty())
		Expect(e.Progress).To(Equal("3/3"))
		Expect(e.CurrentAction).To(BeEmpty())
		Expect([]string{e.ActionStatuses[0].Name, e.ActionStatuses[1].Name, e.ActionStatuses[2].Name}).
			To(Equal([]string{"notify", "marker", "check"}))
		for i, a := range e.ActionStatuses {
			Expect(a.Phase).To(Equal(drv1.ActionSucceeded), a.Name)
			Expect(a.StartTime).NotTo(BeNil(), a.Name)
			Expect(a.CompletionTime).NotTo(BeNil(), a.Name)
			Expect(a.CompletionTime.Before(a.StartTime)).To(BeFalse(), a.Name)
			if i > 0 {
				prev := e.ActionStatuses[i-1]
				Expect(a.StartTime.Before(prev.CompletionTime)).To(BeFalse(), "sequential: %s starts after %s ends", a.Name, prev.Name)
			}
		}
		Expect(exAction(e, "notify").Outputs.HTTPResponse.Body).To(Equal(`{"accepted":true}`))
		ref := exAction(e, "marker").Outputs.ResourceRef
		Expect(ref).NotTo(BeNil())
		Expect(ref.Kind).To(Equal("ConfigMap"))
		Expect(ref.Name).To(Equal("failover-marker"))
		Expect(ref.Namespace).To(Equal(ns))
		Expect(ref.UID).NotTo(BeEmpty())
		Expect(ref.Created).To(BeTrue())
		Expect(exAction(e, "check").RetryCount).To(Equal(int32(1)))
		Expect(exAction(e, "notify").RetryCount).To(Equal(int32(0)))

		wfs := exWorkflows(ns)
		Expect(wfs).To(HaveLen(1))
		Expect(wfs[0].OwnerReferences).To(ContainElement(HaveField("UID", ex.UID)))
		Expect(wfs[0].Labels).To(HaveKeyWithValue(drv1.LabelPlan, "p"))

		plan := exPlanAfter(ns, "p", "run")
		Expect(plan.Status.CurrentExecution).To(BeNil())
		Expect(plan.Status.LastExecutionTime).NotTo(BeNil())
		Expect(plan.Status.Phase).To(Equal(drv1.DRPlanExecuted))
		Expect(plan.Status.ExecutionHistory).To(HaveLen(1))
		Expect(plan.Status.ExecutionHistory[0].Phase).To(Equal(drv1.ExecutionSucceeded))
		Eventually(func(g Gomega) []string { return execEventReasons(g, ex) }).Should(ContainElements(drv1.ReasonRunning, drv1.ReasonSucceeded))
		Expect(metricValue("drplan_executions_total", map[string]string{"operation": "Execute", "result": "Succeeded"})).To(BeNumerically(">=", 1))
		Expect(metricValue("drplan_actions_total", map[string]string{"type": "HTTP", "result": "Succeeded"})).To(BeNumerically(">=", 2))
		Expect(metricValue("drplan_actions_total", map[string]string{"type": "KubernetesResource", "result": "Succeeded"})).To(BeNumerically(">=", 1))
		// The finalizer stays on a finished execution and goes at once when it is deleted.
		Expect(ex.Finalizers).To(ContainElement(drv1.FinalizerExecution))
		Expect(k8sClient.Delete(ctx, ex)).To(Succeed())
		Eventually(func() bool {
			return apierrors.IsNotFound(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "run"}, ex))
		}).Should(BeTrue())
	})

	It("runs DAG branches in parallel", func() {
		var release atomic.Bool
		argo.SetScript(func(t argostandin.Task) argostandin.Outcome {
			if (t.Action == "left" || t.Action == "right") && !release.Load() {
				return argostandin.Outcome{Hold: true}
			}
			return argostandin.Outcome{}
		})
		exWorkflow(ns, "dag", "", exHTTP("start"), exHTTP("left", "start"), exHTTP("right", "start"),
			exHTTP("join", "left", "right"))
		exPlan(ns, "p", "", exStage("one", false, nil, "dag"))
		exExecution(ns, "run", "p")
		Eventually(func(g Gomega) map[string]drv1.ActionPhase {
			ex := exGet(ns, "run")
			g.Expect(ex.Status.StageStatuses).NotTo(BeEmpty())
			return exActionPhases(ex.Status.StageStatuses[0].WorkflowExecutions[0])
		}).Should(Equal(map[string]drv1.ActionPhase{"start": drv1.ActionSucceeded, "left": drv1.ActionRunning,
			"right": drv1.ActionRunning, "join": drv1.ActionPending}))
		ex := exGet(ns, "run")
		Expect(ex.Status.StageStatuses[0].WorkflowExecutions[0].CurrentAction).To(Equal("left"))
		Expect(ex.Status.Summary.Running).To(Equal(int32(2)))
		release.Store(true)
		ex = exWaitPhase(ns, "run", drv1.ExecutionSucceeded)
		Expect(ex.Status.Summary.Succeeded).To(Equal(int32(4)))
	})

	It("orders stages by dependsOn (whatever their list order) and runs a parallel stage's workflows at once", func() {
		var release atomic.Bool
		argo.SetScript(func(t argostandin.Task) argostandin.Outcome {
			return argostandin.Outcome{Hold: (t.Action == "left" || t.Action == "right") && !release.Load()}
		})
		exWorkflow(ns, "l", "", exHTTP("left"))
		exWorkflow(ns, "r", "", exHTTP("right"))
		exWorkflow(ns, "f", "", exHTTP("final"))
		// "last" is listed first but depends on "both"; "both" runs two workflows in parallel.
		exPlan(ns, "p", "", exStage("last", false, []string{"both"}, "f"), exStage("both", true, nil, "l", "r"))
		exExecution(ns, "run", "p")
		Eventually(func(g Gomega) []drv1.ExecutionPhase {
			ex := exGet(ns, "run")
			g.Expect(ex.Status.StageStatuses).To(HaveLen(2))
			both := ex.Status.StageStatuses[1].WorkflowExecutions
			return []drv1.ExecutionPhase{ex.Status.StageStatuses[0].Phase, both[0].Phase, both[1].Phase}
		}).Should(Equal([]drv1.ExecutionPhase{drv1.ExecutionPending, drv1.ExecutionRunning, drv1.ExecutionRunning}))
		release.Store(true)
		ex := exWaitPhase(ns, "run", drv1.ExecutionSucceeded)
		last, both := ex.Status.StageStatuses[0], ex.Status.StageStatuses[1]
		Expect(last.StartTime.Before(both.CompletionTime)).To(BeFalse(), "last starts after both ended")
		Expect(both.WorkflowExecutions[1].WorkflowRef.Name).To(Equal("r"))
		Expect(ex.Status.Progress).To(Equal("3/3"))
	})

	It("runs a Native workflow through the native engine next to an Argo one", func() {
		var calls atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			w.WriteHeader(http.StatusAccepted)
			_, _ = w.Write([]byte(`{"via":"native"}`))
		}))
		DeferCleanup(srv.Close)
		native := &drv1.DRWorkflow{ObjectMeta: metav1.ObjectMeta{Name: "n", Namespace: ns}, Spec: drv1.DRWorkflowSpec{
			Executor: &drv1.ExecutorSpec{Type: drv1.ExecutorNative},
			Actions: []drv1.Action{{Name: "call", ActionBody: drv1.ActionBody{Type: drv1.ActionTypeHTTP,
				HTTP: &drv1.HTTPAction{URL: srv.URL + "/hook", Method: http.MethodPost}}}}}}
		Expect(k8sClient.Create(ctx, native)).To(Succeed())
		exWorkflow(ns, "a", "", exHTTP("argo-call"))
		exPlan(ns, "p", "", exStage("first", false, nil, "n"), exStage("second", false, nil, "a"))
		exExecution(ns, "run", "p")
		ex := exWaitPhase(ns, "run", drv1.ExecutionSucceeded)
		n := ex.Status.StageStatuses[0].WorkflowExecutions[0]
		Expect(n.Engine).To(Equal(drv1.ExecutorNative))
		Expect(n.ArgoWorkflow).To(BeNil())
		call := exAction(n, "call")
		Expect(call.Phase).To(Equal(drv1.ActionSucceeded))
		Expect(call.Outputs.HTTPResponse.StatusCode).To(Equal(int32(http.StatusAccepted)))
		Expect(calls.Load()).To(Equal(int32(1)))
		Expect(ex.Status.StageStatuses[1].WorkflowExecutions[0].Engine).To(Equal(drv1.ExecutorArgo))
		Expect(exWorkflows(ns)).To(HaveLen(1), "only the Argo entry has a Workflow")
		for _, st := range ex.Status.StageStatuses {
			Expect(st.WorkflowExecutions[0].WorkflowGeneration).To(Equal(int64(1)), "each engine's run records the generation it used")
		}
	})

	It("skips an action whose when renders false and counts a skipped dependency as satisfied", func() {
		gated := exHTTP("gated")
		gated.When = `{{ ne .params.mode "dry" }}`
		exWorkflowWithParams(ns, "w", "", []drv1.Parameter{{Name: "mode", Type: drv1.ParameterTypeString}},
			exHTTP("first"), gated, exHTTP("after"))
		exPlan(ns, "p", "", exStage("one", false, nil, "w"))
		exExecution(ns, "run", "p", drv1.ParamValue{Name: "mode", Value: "dry"})
		ex := exWaitPhase(ns, "run", drv1.ExecutionSucceeded)
		e := ex.Status.StageStatuses[0].WorkflowExecutions[0]
		Expect(exActionPhases(e)).To(Equal(map[string]drv1.ActionPhase{"first": drv1.ActionSucceeded,
			"gated": drv1.ActionSkipped, "after": drv1.ActionSucceeded}))
		Expect(exAction(e, "gated").Message).To(ContainSubstring("evaluated false"))
		Expect(e.Params).To(ContainElement(drv1.ParamValue{Name: "mode", Value: "dry"}))
		Expect(ex.Status.Summary.Skipped).To(Equal(int32(1)))
	})

	DescribeTable("workflow failurePolicy", func(policy drv1.WorkflowFailurePolicy, afterPhase drv1.ActionPhase) {
		// "bad" fails while "slow" still runs; "after" depends only on "slow". Under FailFast "slow" ends only
		// once the operator held the Workflow (spec.suspend), as in test/e2e, where the hook is released after
		// the execution shows "bad" failed.
		argo.SetScript(func(t argostandin.Task) argostandin.Outcome {
			switch t.Action {
			case "bad":
				return argostandin.Outcome{Fail: true, StatusCode: 503, Result: `{"error":"unavailable"}`}
			case "slow":
				n, ok := t.Workflow.Status.Nodes[t.Workflow.NodeID(t.Workflow.Name+".bad")]
				held := t.Workflow.Spec.Suspend != nil && *t.Workflow.Spec.Suspend
				return argostandin.Outcome{Hold: !ok || !n.Fulfilled() || (policy == drv1.WorkflowFailFast && !held), Result: "done"}
			}
			return argostandin.Outcome{}
		})
		exWorkflow(ns, "w", policy, exHTTP("bad"), exHTTP("slow"), exHTTP("after", "slow"))
		exPlan(ns, "p", "", exStage("one", false, nil, "w"))
		exExecution(ns, "run", "p")
		ex := exWaitPhase(ns, "run", drv1.ExecutionFailed)
		e := ex.Status.StageStatuses[0].WorkflowExecutions[0]
		Expect(exAction(e, "bad").Phase).To(Equal(drv1.ActionFailed))
		// Without successCodes the translator writes no successCondition, so Argo's agent names the code in its
		// message (checked against the real controller in test/e2e); argoexec reads it from there. The body is
		// Argo's output.
		Expect(exAction(e, "bad").Message).To(Equal("received non-2xx response code: 503"))
		Expect(exAction(e, "bad").Outputs.HTTPResponse.StatusCode).To(Equal(int32(503)))
		Expect(exAction(e, "bad").Outputs.HTTPResponse.Body).To(Equal(`{"error":"unavailable"}`))
		Expect(exAction(e, "slow").Phase).To(Equal(drv1.ActionSucceeded))
		Expect(exAction(e, "after").Phase).To(Equal(afterPhase))
		if policy == drv1.WorkflowFailFast {
			// Argo alone would start "after" (it reads the DAG's failFast only when it assesses the DAG's phase);
			// the operator held the Workflow (spec.suspend) while "slow" finished, then ended it. "slow"'s result
			// came from the task set, where the agent (the stand-in's) wrote it under the suspension.
			Expect(exAction(e, "after").Message).To(Equal("not run: the workflow stopped after a failure"))
			Expect(exAction(e, "slow").Outputs).NotTo(BeNil())
			wf := &wfv1.Workflow{}
			Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: e.ArgoWorkflow.Name}, wf)).To(Succeed())
			Expect(wf.Annotations).To(HaveKeyWithValue(drv1.AnnotationFailFastHold, "bad"))
			Expect(wf.Annotations).To(HaveKey(drv1.AnnotationFailFastEnded))
			Expect(wf.Spec.Shutdown).To(Equal(wfv1.ShutdownStrategyTerminate))
		}
		Expect(ex.Status.Message).To(ContainSubstring("action bad failed"))
		Expect(meta.FindStatusCondition(ex.Status.Conditions, drv1.ConditionCompleted).Reason).To(Equal(drv1.ReasonFailed))
	},
		Entry("FailFast starts nothing after the failure; what runs finishes", drv1.WorkflowFailFast, drv1.ActionSkipped),
		Entry("Continue runs what does not depend on it", drv1.WorkflowContinue, drv1.ActionSucceeded),
	)

	Context("plan failurePolicy", func() {
		// Stages a (ok, held until b failed) and b (fails) run at once; c depends on a.
		setupWith := func(policy drv1.PlanFailurePolicy, rollbackFails bool) {
			var failed atomic.Bool
			argo.SetScript(func(t argostandin.Task) argostandin.Outcome {
				switch t.Action {
				case "boom":
					failed.Store(true)
					return argostandin.Outcome{Fail: true, Message: "boom failed"}
				case "mark":
					if rollbackFails && t.Workflow.Name == translator.WorkflowName("run", "a", 0, "good", true) {
						return argostandin.Outcome{Fail: true, Message: "cannot delete marker"}
					}
					return argostandin.Outcome{Hold: !failed.Load()}
				}
				return argostandin.Outcome{}
			})
			ok := exHTTP("notify")
			ok.Rollback = &drv1.RollbackAction{Name: "unnotify", ActionBody: drv1.ActionBody{Type: drv1.ActionTypeHTTP,
				HTTP: &drv1.HTTPAction{URL: "https://hooks.example/undo"}}}
			exWorkflow(ns, "good", "", exConfigMap("mark", "marker"), ok)
			exWorkflow(ns, "bad", "", exHTTP("boom"))
			exWorkflow(ns, "later", "", exHTTP("tail"))
			exPlan(ns, "p", policy, exStage("a", false, nil, "good"), exStage("b", false, nil, "bad"), exStage("c", false, []string{"a"}, "later"))
			exExecution(ns, "run", "p")
		}
		setup := func(policy drv1.PlanFailurePolicy) { setupWith(policy, false) }

		It("Stop starts no stage after a failure", func() {
			setup(drv1.PlanStop)
			ex := exWaitPhase(ns, "run", drv1.ExecutionFailed)
			Expect(ex.Status.StageStatuses[0].Phase).To(Equal(drv1.ExecutionSucceeded))
			Expect(ex.Status.StageStatuses[1].Phase).To(Equal(drv1.ExecutionFailed))
			Expect(ex.Status.StageStatuses[2].Phase).To(Equal(drv1.ExecutionPending))
			Expect(ex.Status.StageStatuses[2].WorkflowExecutions[0].Message).To(ContainSubstring("not run"))
			Expect(ex.Status.Message).To(ContainSubstring("boom failed"))
			Expect(ex.Status.RollbackStageStatuses).To(BeEmpty())
		})

		It("Continue runs the stages that do not depend on the failed one", func() {
			setup(drv1.PlanContinue)
			ex := exWaitPhase(ns, "run", drv1.ExecutionFailed)
			Expect(ex.Status.StageStatuses[2].Phase).To(Equal(drv1.ExecutionSucceeded))
			Expect(ex.Status.Summary.Failed).To(Equal(int32(1)))
		})

		It("Rollback reverses what succeeded and ends Failed with RolledBack", func() {
			setup(drv1.PlanRollback)
			ex := exWaitPhase(ns, "run", drv1.ExecutionFailed)
			c := meta.FindStatusCondition(ex.Status.Conditions, drv1.ConditionRolledBack)
			Expect(c).NotTo(BeNil())
			Expect(c.Status).To(Equal(metav1.ConditionTrue))
			Expect(c.Reason).To(Equal(drv1.ReasonRolledBack))
			Expect(ex.Status.StageStatuses[2].Phase).To(Equal(drv1.ExecutionPending))
			rb := ex.Status.RollbackStageStatuses
			Expect(rb).To(HaveLen(1))
			Expect(rb[0].Name).To(Equal("a"))
			e := rb[0].WorkflowExecutions[0]
			Expect(e.Phase).To(Equal(drv1.ExecutionSucceeded))
			Expect(e.ArgoWorkflow.Name).To(Equal(translator.WorkflowName("run", "a", 0, "good", true)))
			// notify's custom rollback runs before the inverse of mark (reverse order).
			Expect(e.ActionStatuses).To(HaveLen(2))
			Expect(e.ActionStatuses[0].Name).To(Equal("unnotify"))
			Expect(e.ActionStatuses[1].Name).To(Equal("mark"))
			Expect(exActionPhases(e)).To(Equal(map[string]drv1.ActionPhase{"unnotify": drv1.ActionSucceeded, "mark": drv1.ActionSucceeded}))
			Eventually(func(g Gomega) []string { return execEventReasons(g, ex) }).Should(ContainElement(drv1.ReasonRolledBack))
		})

		It("Rollback that fails ends Failed with RolledBack False (RollbackFailed)", func() {
			setupWith(drv1.PlanRollback, true)
			ex := exWaitPhase(ns, "run", drv1.ExecutionFailed)
			c := meta.FindStatusCondition(ex.Status.Conditions, drv1.ConditionRolledBack)
			Expect(c).NotTo(BeNil())
			Expect(c.Status).To(Equal(metav1.ConditionFalse))
			Expect(c.Reason).To(Equal(drv1.ReasonRollbackFailed))
			Expect(ex.Status.Message).To(ContainSubstring("cannot delete marker"))
			Expect(ex.Status.Message).To(ContainSubstring("boom failed"))
			Expect(meta.FindStatusCondition(ex.Status.Conditions, drv1.ConditionCompleted).Reason).To(Equal(drv1.ReasonRollbackFailed))
		})
	})

	It("fails before anything runs when parameters do not resolve, naming every offender", func() {
		exWorkflowWithParams(ns, "w", "", []drv1.Parameter{{Name: "toCluster", Required: true},
			{Name: "replicas", Type: drv1.ParameterTypeNumber}}, exHTTP("a"))
		exPlan(ns, "p", "", exStage("one", false, nil, "w"))
		exExecution(ns, "run", "p", drv1.ParamValue{Name: "replicas", Value: "many"})
		ex := exWaitPhase(ns, "run", drv1.ExecutionFailed)
		Expect(meta.FindStatusCondition(ex.Status.Conditions, drv1.ConditionCompleted).Reason).To(Equal(drv1.ReasonParamsInvalid))
		Expect(ex.Status.Message).To(ContainSubstring("toCluster"))
		Expect(ex.Status.Message).To(ContainSubstring("replicas"))
		Expect(ex.Status.CompletionTime).NotTo(BeNil())
		Consistently(func() []wfv1.Workflow { return exWorkflows(ns) }, "1s").Should(BeEmpty())
		Eventually(func() *drv1.ObjectReference { return exGetPlan(ns, "p").Status.CurrentExecution }).Should(BeNil())
	})

	Context("Revert", func() {
		setup := func(failLast bool) {
			if failLast {
				argo.SetScript(exOutcomes(map[string]argostandin.Outcome{"fin": {Fail: true}}))
			}
			undo := exHTTP("notify")
			undo.Rollback = &drv1.RollbackAction{Name: "undo-notify", ActionBody: drv1.ActionBody{Type: drv1.ActionTypeHTTP,
				HTTP: &drv1.HTTPAction{URL: "https://hooks.example/undo"}}}
			exWorkflow(ns, "w", "", exConfigMap("mark", "marker"), undo, exHTTP("fin"))
			exPlan(ns, "p", "", exStage("one", false, nil, "w"))
			exExecution(ns, "run", "p")
		}

		It("reverts a Succeeded execution in reverse order with custom rollbacks and the recorded outputs", func() {
			setup(false)
			// The ConfigMap the run created is named by its outputs, which the revert must use.
			argo.SetScript(func(t argostandin.Task) argostandin.Outcome {
				if t.Action == "mark" {
					return argostandin.Outcome{Params: map[string]string{translator.OutputName: "marker-recorded"}}
				}
				return argostandin.Outcome{}
			})
			first := exWaitPhase(ns, "run", drv1.ExecutionSucceeded)
			Expect(exAction(first.Status.StageStatuses[0].WorkflowExecutions[0], "mark").Outputs.ResourceRef.Name).To(Equal("marker-recorded"))
			argo.SetScript(nil)

			exRevert(ns, "undo", "p", "run")
			ex := exWaitPhase(ns, "undo", drv1.ExecutionSucceeded)
			e := ex.Status.StageStatuses[0].WorkflowExecutions[0]
			Expect(e.ArgoWorkflow.Name).To(Equal(translator.WorkflowName("undo", "one", 0, "w", true)))
			names := []string{}
			for _, a := range e.ActionStatuses {
				names = append(names, a.Name)
			}
			// fin is HTTP without rollback: skipped; notify has a custom rollback; mark's inverse deletes it.
			Expect(names).To(Equal([]string{"fin", "undo-notify", "mark"}))
			Expect(exAction(e, "fin").Phase).To(Equal(drv1.ActionSkipped))
			Expect(exAction(e, "undo-notify").Phase).To(Equal(drv1.ActionSucceeded))
			Expect(exAction(e, "mark").Phase).To(Equal(drv1.ActionSucceeded))
			Expect(exAction(e, "mark").StartTime.Before(exAction(e, "undo-notify").CompletionTime)).To(BeFalse())

			wf := &wfv1.Workflow{}
			Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: e.ArgoWorkflow.Name}, wf)).To(Succeed())
			var manifest string
			for _, t := range wf.Spec.Templates {
				if t.Resource != nil {
					manifest = t.Resource.Manifest
					Expect(t.Resource.Action).To(Equal("delete"))
				}
			}
			Expect(manifest).To(ContainSubstring("marker-recorded"))
			Expect(exPlanAfter(ns, "p", "undo").Status.ExecutionHistory[0].Name).To(Equal("undo"))
		})

		It("reverts only what succeeded in a Failed execution", func() {
			setup(true)
			exWaitPhase(ns, "run", drv1.ExecutionFailed)
			argo.SetScript(nil)
			exRevert(ns, "undo", "p", "run")
			ex := exWaitPhase(ns, "undo", drv1.ExecutionSucceeded)
			e := ex.Status.StageStatuses[0].WorkflowExecutions[0]
			Expect(exActionPhases(e)).To(Equal(map[string]drv1.ActionPhase{"undo-notify": drv1.ActionSucceeded, "mark": drv1.ActionSucceeded}))
		})

		It("reverts stages in reverse order", func() {
			exWorkflow(ns, "w1", "", exConfigMap("c1", "m1"))
			exWorkflow(ns, "w2", "", exConfigMap("c2", "m2"))
			exPlan(ns, "p", "", exStage("one", false, nil, "w1"), exStage("two", false, nil, "w2"))
			exExecution(ns, "run", "p")
			exWaitPhase(ns, "run", drv1.ExecutionSucceeded)
			exRevert(ns, "undo", "p", "run")
			ex := exWaitPhase(ns, "undo", drv1.ExecutionSucceeded)
			Expect(ex.Status.StageStatuses).To(HaveLen(2))
			two, one := ex.Status.StageStatuses[0], ex.Status.StageStatuses[1]
			Expect([]string{two.Name, one.Name}).To(Equal([]string{"two", "one"}))
			Expect(one.StartTime.Before(two.CompletionTime)).To(BeFalse(), "stage one is undone after stage two")
			Expect(exAction(two.WorkflowExecutions[0], "c2").Phase).To(Equal(drv1.ActionSucceeded))
			Expect(exAction(one.WorkflowExecutions[0], "c1").Phase).To(Equal(drv1.ActionSucceeded))
			Expect(ex.Status.Progress).To(Equal("2/2"))
		})

		It("reverts stages in reverse dependency order when the plan lists a dependent stage first", func() {
			exWorkflow(ns, "w1", "", exConfigMap("c1", "m1"))
			exWorkflow(ns, "w2", "", exConfigMap("c2", "m2"))
			exWorkflow(ns, "w3", "", exConfigMap("c3", "m3"))
			// "last" is listed first and depends on "first"; "aside" depends on nothing.
			exPlan(ns, "p", "", exStage("last", false, []string{"first"}, "w2"), exStage("first", false, nil, "w1"),
				exStage("aside", false, nil, "w3"))
			exExecution(ns, "run", "p")
			exWaitPhase(ns, "run", drv1.ExecutionSucceeded)
			exRevert(ns, "undo", "p", "run")
			ex := exWaitPhase(ns, "undo", drv1.ExecutionSucceeded)
			byName := map[string]drv1.StageStatus{}
			var names []string
			for _, st := range ex.Status.StageStatuses {
				byName[st.Name] = st
				names = append(names, st.Name)
			}
			Expect(names).To(Equal([]string{"aside", "last", "first"}))
			last, first := byName["last"], byName["first"]
			Expect(first.StartTime.Before(last.CompletionTime)).To(BeFalse(), "first is undone after last, which depended on it")
			for _, st := range ex.Status.StageStatuses {
				Expect(st.Phase).To(Equal(drv1.ExecutionSucceeded), st.Name)
			}
		})

		It("refuses a Revert whose DRWorkflow changed since the run, naming both generations, unless the execution opts in", func() {
			wf := exWorkflow(ns, "w", "", exConfigMap("mark", "m1"))
			exPlan(ns, "p", "", exStage("one", false, nil, "w"))
			exExecution(ns, "run", "p")
			run := exWaitPhase(ns, "run", drv1.ExecutionSucceeded)
			Expect(run.Status.StageStatuses[0].WorkflowExecutions[0].WorkflowGeneration).To(Equal(int64(1)))
			Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(wf), wf)).To(Succeed())
			wf.Spec.Actions = append(wf.Spec.Actions, exHTTP("added-later"))
			Expect(k8sClient.Update(ctx, wf)).To(Succeed())
			Expect(wf.Generation).To(Equal(int64(2)))

			exRevert(ns, "undo", "p", "run")
			refused := exWaitPhase(ns, "undo", drv1.ExecutionFailed)
			Expect(refused.Status.Message).To(And(ContainSubstring("DRWorkflow "+ns+"/w changed"),
				ContainSubstring("used generation 1"), ContainSubstring("generation 2 now"),
				ContainSubstring(drv1.AnnotationAllowWorkflowChanges)))
			Expect(exWorkflows(ns)).To(HaveLen(1), "nothing of the refused Revert ran")

			optIn := testenv.Revert(ns, "undo-anyway", "p", "run")
			optIn.Annotations = map[string]string{drv1.AnnotationAllowWorkflowChanges: "true"}
			Expect(k8sClient.Create(ctx, optIn)).To(Succeed())
			undone := exWaitPhase(ns, "undo-anyway", drv1.ExecutionSucceeded)
			Expect(exAction(undone.Status.StageStatuses[0].WorkflowExecutions[0], "mark").Phase).To(Equal(drv1.ActionSucceeded))
			Expect(exWorkflows(ns)).To(HaveLen(2))
		})

		It("refuses a target that is not a finished Execute of the same plan", func() {
			exWorkflow(ns, "w", "", exHTTP("a"))
			exPlan(ns, "p", "", exStage("one", false, nil, "w"))
			exPlan(ns, "other", "", exStage("one", false, nil, "w"))
			exExecution(ns, "run", "other")
			exWaitPhase(ns, "run", drv1.ExecutionSucceeded)
			exRevert(ns, "undo", "p", "run")
			ex := exWaitPhase(ns, "undo", drv1.ExecutionFailed)
			Expect(meta.FindStatusCondition(ex.Status.Conditions, drv1.ConditionCompleted).Reason).To(Equal(drv1.ReasonRevertTargetInvalid))
			Expect(ex.Status.Message).To(ContainSubstring("ran plan other"))
		})
	})

	It("cancels on the cancel annotation: Workflow terminated, execution Canceled, plan released", func() {
		argo.SetScript(exOutcomes(map[string]argostandin.Outcome{"wait": {Hold: true}}))
		exWorkflow(ns, "w", "", exHTTP("first"), exHTTP("wait"), exHTTP("never"))
		exPlan(ns, "p", "", exStage("one", false, nil, "w"))
		exExecution(ns, "run", "p")
		Eventually(func(g Gomega) drv1.ActionPhase {
			ex := exGet(ns, "run")
			g.Expect(ex.Status.StageStatuses).NotTo(BeEmpty())
			return exAction(ex.Status.StageStatuses[0].WorkflowExecutions[0], "wait").Phase
		}).Should(Equal(drv1.ActionRunning))
		ex := exGet(ns, "run")
		patch := []byte(`{"metadata":{"annotations":{"` + drv1.AnnotationCancel + `":"true"}}}`)
		Expect(k8sClient.Patch(ctx, ex, rawMerge(patch))).To(Succeed())
		ex = exWaitPhase(ns, "run", drv1.ExecutionCanceled)
		e := ex.Status.StageStatuses[0].WorkflowExecutions[0]
		Expect(exActionPhases(e)).To(Equal(map[string]drv1.ActionPhase{"first": drv1.ActionSucceeded,
			"wait": drv1.ActionCanceled, "never": drv1.ActionCanceled}))
		Expect(ex.Status.CompletionTime).NotTo(BeNil())
		wf := &wfv1.Workflow{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: e.ArgoWorkflow.Name}, wf)).To(Succeed())
		Expect(wf.Spec.Shutdown).To(Equal(wfv1.ShutdownStrategyTerminate))
		Eventually(func() *drv1.ObjectReference { return exGetPlan(ns, "p").Status.CurrentExecution }).Should(BeNil())
		Eventually(func(g Gomega) []string { return execEventReasons(g, ex) }).Should(ContainElement(drv1.ReasonCanceled))
	})

	It("lets exactly one of two concurrent executions of a plan run", func() {
		var release atomic.Bool
		argo.SetScript(func(t argostandin.Task) argostandin.Outcome { return argostandin.Outcome{Hold: !release.Load()} })
		exWorkflow(ns, "w", "", exHTTP("a"))
		exPlan(ns, "p", "", exStage("one", false, nil, "w"))
		exExecution(ns, "one", "p")
		exExecution(ns, "two", "p")
		var loser string
		Eventually(func(g Gomega) []drv1.ExecutionPhase {
			a, b := exGet(ns, "one"), exGet(ns, "two")
			if b.Status.Phase == drv1.ExecutionFailed {
				loser = "two"
			} else {
				loser = "one"
			}
			return []drv1.ExecutionPhase{a.Status.Phase, b.Status.Phase}
		}).Should(ConsistOf(drv1.ExecutionRunning, drv1.ExecutionFailed))
		lost := exGet(ns, loser)
		Expect(meta.FindStatusCondition(lost.Status.Conditions, drv1.ConditionCompleted).Reason).To(Equal(drv1.ReasonConcurrentExecution))
		Expect(exWorkflows(ns)).To(HaveLen(1))
		winner := "one"
		if loser == "one" {
			winner = "two"
		}
		Expect(exGetPlan(ns, "p").Status.CurrentExecution.Name).To(Equal(winner))
		release.Store(true)
		exWaitPhase(ns, winner, drv1.ExecutionSucceeded)
		plan := exPlanAfter(ns, "p", winner)
		Expect(plan.Status.ExecutionHistory).To(HaveLen(1))
	})

	It("stops the runs and releases the plan when a running execution is deleted", func() {
		argo.SetScript(exOutcomes(map[string]argostandin.Outcome{"wait": {Hold: true}}))
		exWorkflow(ns, "w", "", exHTTP("wait"))
		exPlan(ns, "p", "", exStage("one", false, nil, "w"))
		ex := exExecution(ns, "run", "p")
		Eventually(func() *drv1.ObjectReference { return exGetPlan(ns, "p").Status.CurrentExecution }).ShouldNot(BeNil())
		Eventually(func() []wfv1.Workflow { return exWorkflows(ns) }).Should(HaveLen(1))
		// While held, the running gauge counts this run with every other run the API server shows Running.
		Eventually(func(g Gomega) {
			n, ours := runningExecutions(g, ns, "run")
			g.Expect(ours).To(BeTrue())
			g.Expect(gaugeValue("drplan_executions_running")).To(Equal(n))
		}).Should(Succeed())
		Expect(k8sClient.Delete(ctx, ex)).To(Succeed())
		Eventually(func() bool {
			return apierrors.IsNotFound(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "run"}, ex))
		}).Should(BeTrue())
		Expect(exWorkflows(ns)[0].Spec.Shutdown).To(Equal(wfv1.ShutdownStrategyTerminate))
		Expect(exGetPlan(ns, "p").Status.CurrentExecution).To(BeNil())
		// Deleted, it is no longer counted: the gauge went down by one, to what still runs.
		Eventually(func(g Gomega) {
			n, ours := runningExecutions(g, ns, "run")
			g.Expect(ours).To(BeFalse())
			g.Expect(gaugeValue("drplan_executions_running")).To(Equal(n))
		}).Should(Succeed())
	})

	It("fails with a clear message when its Workflow is deleted outside the operator, and never recreates it", func() {
		argo.SetScript(exOutcomes(map[string]argostandin.Outcome{"wait": {Hold: true}}))
		exWorkflow(ns, "w", "", exHTTP("wait"))
		exPlan(ns, "p", "", exStage("one", false, nil, "w"))
		exExecution(ns, "run", "p")
		Eventually(func() []wfv1.Workflow { return exWorkflows(ns) }).Should(HaveLen(1))
		Eventually(func(g Gomega) string {
			ex := exGet(ns, "run")
			g.Expect(ex.Status.StageStatuses).NotTo(BeEmpty())
			g.Expect(ex.Status.StageStatuses[0].WorkflowExecutions[0].ArgoWorkflow).NotTo(BeNil())
			return string(ex.Status.StageStatuses[0].WorkflowExecutions[0].ArgoWorkflow.UID)
		}).ShouldNot(BeEmpty())
		wf := exWorkflows(ns)[0]
		Expect(k8sClient.Delete(ctx, &wf)).To(Succeed())
		ex := exWaitPhase(ns, "run", drv1.ExecutionFailed)
		Expect(ex.Status.Message).To(ContainSubstring("deleted outside the operator"))
		Expect(ex.Status.StageStatuses[0].WorkflowExecutions[0].Message).To(ContainSubstring(wf.Name))
		Consistently(func() []wfv1.Workflow { return exWorkflows(ns) }, "1s").Should(BeEmpty())
	})
})
