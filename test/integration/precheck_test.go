package integration

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// A Precheck against the real API server, run by the suite's operator: every check is a dry run or a read,
// so nothing is created or changed, and an endpoint that is reachable receives no request.
var _ = Describe("Precheck", func() {
	It("checks a plan of both engines without side effects, and gates an Execute under requirePrecheck", func() {
		ns := newNamespace()
		grantExecutor(ns,
			rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "create", "patch"}},
			rbacv1.PolicyRule{APIGroups: []string{"batch"}, Resources: []string{"jobs"}, Verbs: []string{"get", "create"}},
			rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}})
		existing := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "existing", Namespace: ns}, Data: map[string]string{"a": "1"}}
		Expect(k8sClient.Create(ctx, existing)).To(Succeed())
		Expect(k8sClient.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "hook-token", Namespace: ns},
			StringData: map[string]string{"token": "Bearer pr3check-s3cret"}})).To(Succeed())
		var requests atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { requests.Add(1) }))
		DeferCleanup(srv.Close)

		hook := nativeHTTP("notify", srv.URL+"/failover")
		hook.HTTP.HeadersFrom = []drv1.HTTPHeaderSource{{Name: "Authorization", ValueFrom: drv1.HeaderValueSource{
			SecretKeyRef: corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "hook-token"}, Key: "token"}}}}
		// Patches need a custom rollback: an HTTP call (never made by a Precheck, which checks forward only).
		patch := func(name, cm, data string) drv1.Action {
			a := nativeManifest(name, drv1.OperationPatch, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "+cm+"\ndata:\n  "+data+"\n")
			a.Rollback = &drv1.RollbackAction{ActionBody: nativeHTTP("unused", srv.URL+"/undo").ActionBody}
			return a
		}
		native := &drv1.DRWorkflow{ObjectMeta: metav1.ObjectMeta{Name: "native", Namespace: ns}, Spec: drv1.DRWorkflowSpec{
			Executor: &drv1.ExecutorSpec{Type: drv1.ExecutorNative}, Actions: []drv1.Action{
				nativeManifest("make", drv1.OperationCreate, configMapYAML("made", ns)),
				patch("touch-made", "made", `b: "2"`),
				patch("touch-existing", "existing", `a: "2"`),
				nativeJob("verify", ns, time.Minute),
				settingsJob(ns),
				hook,
			}}}
		Expect(k8sClient.Create(ctx, native)).To(Succeed())
		exWorkflow(ns, "argo", drv1.WorkflowFailFast,
			nativeManifest("expose", drv1.OperationCreate, "apiVersion: v1\nkind: Service\nmetadata:\n  name: front\nspec:\n  ports:\n  - port: 80\n"))
		plan := &drv1.DRPlan{ObjectMeta: metav1.ObjectMeta{Name: "gated", Namespace: ns}, Spec: drv1.DRPlanSpec{RequirePrecheck: true,
			Stages: []drv1.Stage{exStage("first", false, nil, "native"), exStage("second", false, nil, "argo")}}}
		Expect(k8sClient.Create(ctx, plan)).To(Succeed())
		rvBefore := existing.ResourceVersion

		By("refusing an Execute before any Precheck")
		exExecution(ns, "too-early", "gated")
		refused := exWaitPhase(ns, "too-early", drv1.ExecutionFailed)
		Expect(meta.FindStatusCondition(refused.Status.Conditions, drv1.ConditionCompleted).Reason).To(Equal(drv1.ReasonPrecheckRequired))
		Expect(refused.Status.Message).To(ContainSubstring("DRPlan %s/gated requires a passing Precheck", ns))
		Expect(refused.Status.Message).To(ContainSubstring("no Precheck has finished"))

		By("a Precheck that fails on the kind the executor Role does not allow")
		Expect(k8sClient.Create(ctx, precheckOf(ns, "check-1", "gated"))).To(Succeed())
		pc := exWaitPhase(ns, "check-1", drv1.ExecutionFailed)
		first := pc.Status.StageStatuses[0].WorkflowExecutions[0]
		Expect(first.Phase).To(Equal(drv1.ExecutionFailed), first.Message)
		Expect(exActionPhases(first)).To(Equal(map[string]drv1.ActionPhase{"make": drv1.ActionSucceeded,
			"touch-made": drv1.ActionSkipped, "touch-existing": drv1.ActionSucceeded, "verify": drv1.ActionSucceeded,
			"configure": drv1.ActionFailed, "notify": drv1.ActionSucceeded}))
		Expect(exAction(first, "configure").Message).To(ContainSubstring("envFrom of container main names ConfigMap %s/settings, which does not exist", ns))
		Expect(exAction(first, "make").Message).To(ContainSubstring("server-side dry run of create ConfigMap %s/made", ns))
		Expect(exAction(first, "touch-made").Message).To(ContainSubstring("created by action native/make"))
		Expect(exAction(first, "notify").Message).To(ContainSubstring("the request was not sent"))
		expose := exAction(pc.Status.StageStatuses[1].WorkflowExecutions[0], "expose")
		Expect(expose.Phase).To(Equal(drv1.ActionFailed))
		Expect(expose.Message).To(ContainSubstring("may not create Service %s/front (Forbidden)", ns))
		Expect(pc.Status.Message).To(ContainSubstring("stage second, workflow argo: actions expose"))
		Expect(pc.Status.StageStatuses[1].WorkflowExecutions[0].Engine).To(Equal(drv1.ExecutorArgo))

		By("creating and changing nothing")
		Expect(requests.Load()).To(BeZero(), "the endpoint is reachable and must receive no request")
		Expect(apierrors.IsNotFound(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "made"}, &corev1.ConfigMap{}))).To(BeTrue())
		var jobs batchv1.JobList
		Expect(k8sClient.List(ctx, &jobs, client.InNamespace(ns))).To(Succeed())
		Expect(jobs.Items).To(BeEmpty())
		after := &corev1.ConfigMap{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "existing"}, after)).To(Succeed())
		Expect(after.ResourceVersion).To(Equal(rvBefore))
		Expect(after.Data).To(Equal(map[string]string{"a": "1"}))
		Expect(exWorkflows(ns)).To(BeEmpty(), "a Precheck compiles no Argo Workflow")
		Expect(pc.Status.Message + first.Message).NotTo(ContainSubstring("s3cret"))

		By("recording the Precheck on the plan, and still refusing an Execute")
		Eventually(func() *drv1.PrecheckRecord { return exGetPlan(ns, "gated").Status.LastPrecheck }).Should(
			And(Not(BeNil()), HaveField("Name", "check-1"), HaveField("Phase", drv1.ExecutionFailed)))
		Expect(exGetPlan(ns, "gated").Status.ExecutionHistory).To(HaveLen(0), "a Precheck is not an execution of the plan's history")
		exExecution(ns, "after-failed-check", "gated")
		Expect(exWaitPhase(ns, "after-failed-check", drv1.ExecutionFailed).Status.Message).To(ContainSubstring("the latest Precheck check-1 ended Failed"))

		By("a passing Precheck once the Role allows Services, then an Execute starts")
		Expect(k8sClient.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "settings", Namespace: ns}})).To(Succeed())
		grantExecutorIn(ns, ns, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"services"}, Verbs: []string{"create"}})
		Expect(k8sClient.Create(ctx, precheckOf(ns, "check-2", "gated"))).To(Succeed())
		exWaitPhase(ns, "check-2", drv1.ExecutionSucceeded)
		Eventually(func() *drv1.PrecheckRecord { return exGetPlan(ns, "gated").Status.LastPrecheck }).Should(
			And(HaveField("Name", "check-2"), HaveField("Phase", drv1.ExecutionSucceeded),
				HaveField("PlanGeneration", exGetPlan(ns, "gated").Generation), HaveField("Workflows", HaveLen(2))))
		Expect(requests.Load()).To(BeZero())

		By("refusing again once a DRWorkflow changed since that Precheck")
		wf := &drv1.DRWorkflow{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "argo"}, wf)).To(Succeed())
		wf.Spec.Actions[0].Timeout = &metav1.Duration{Duration: time.Minute} // a new generation
		Expect(k8sClient.Update(ctx, wf)).To(Succeed())
		exExecution(ns, "after-change", "gated")
		Expect(exWaitPhase(ns, "after-change", drv1.ExecutionFailed).Status.Message).To(ContainSubstring("DRWorkflow %s/argo was checked at generation", ns))
		Expect(k8sClient.Create(ctx, precheckOf(ns, "check-3", "gated"))).To(Succeed())
		exWaitPhase(ns, "check-3", drv1.ExecutionSucceeded)
		Eventually(func() string { return exGetPlan(ns, "gated").Status.LastPrecheck.Name }).Should(Equal("check-3"))
		exExecution(ns, "go", "gated")
		Eventually(func() drv1.ExecutionPhase { return exGet(ns, "go").Status.Phase }).Should(Or(Equal(drv1.ExecutionRunning),
			Equal(drv1.ExecutionSucceeded), Equal(drv1.ExecutionFailed)))
		Expect(meta.FindStatusCondition(exGet(ns, "go").Status.Conditions, drv1.ConditionCompleted).Reason).NotTo(Equal(drv1.ReasonPrecheckRequired))
		Expect(k8sClient.Patch(ctx, exGet(ns, "go"), rawMerge([]byte(`{"metadata":{"annotations":{"`+drv1.AnnotationCancel+`":"true"}}}`)))).To(Succeed())
	})
})

// settingsJob is a Job action whose container reads its environment from ConfigMap settings.
func settingsJob(ns string) drv1.Action {
	a := nativeJob("configure", ns, time.Minute)
	a.Job.Template.Spec.Raw = []byte(`{"backoffLimit":1,"template":{"spec":{"containers":[{"name":"main","image":"busybox",` +
		`"command":["true"],"envFrom":[{"configMapRef":{"name":"settings"}}]}]}}}`)
	return a
}

func precheckOf(ns, name, plan string) *drv1.DRPlanExecution {
	return &drv1.DRPlanExecution{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: drv1.DRPlanExecutionSpec{PlanRef: plan, OperationType: drv1.OperationPrecheck}}
}
