package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	authorizationv1 "k8s.io/api/authorization/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/uuid"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/internal/engine"
	"github.com/drplan/drplan-operator/nativeexec"
	"github.com/drplan/drplan-operator/test/testenv"
	"github.com/drplan/drplan-operator/translator"
)

// These specs drive the native engine directly against the suite's real API server, the way the execution
// reconciler does (Sync, record what it returned, Sync again when the engine notifies).
//
// The engine gets the admin rest.Config (it impersonates the executor ServiceAccount on top of it) and a Job
// cache of its own: the suite's manager acts as the operator's ServiceAccount, and nested impersonation is
// not possible. envtest runs no Job controller: specs write the Job status subresource themselves.
var _ = Describe("Native engine", Ordered, func() {
	var (
		eng      *nativeexec.Engine
		jobCache cache.Cache
		notified chan types.NamespacedName
	)

	BeforeAll(func() {
		var err error
		jobCache, err = cache.New(cfg, cache.Options{Scheme: scheme, Mapper: mgr.GetRESTMapper()})
		Expect(err).NotTo(HaveOccurred())
		cacheCtx, stop := context.WithCancel(ctx)
		DeferCleanup(stop)
		go func() {
			defer GinkgoRecover()
			Expect(jobCache.Start(cacheCtx)).To(Succeed())
		}()
		notified = make(chan types.NamespacedName, 4096)
		eng, err = nativeexec.New(nativeexec.Options{
			Config: cfg, Mapper: mgr.GetRESTMapper(), Cache: jobCache, Reader: jobCache,
			Notify: func(n types.NamespacedName) {
				select {
				case notified <- n:
				default:
				}
			},
		})
		Expect(err).NotTo(HaveOccurred())
	})

	It("calls HTTP hooks with secret headers read at run time, never recording the secret", func() {
		ns := newNamespace()
		grantExecutor(ns, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}})
		const token = "Bearer s3cr3t-value"
		Expect(k8sClient.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "hook-token", Namespace: ns},
			StringData: map[string]string{"token": token}})).To(Succeed())
		var mu sync.Mutex
		var auth []string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			auth = append(auth, r.Header.Get("Authorization"))
			mu.Unlock()
			_, _ = io.WriteString(w, `{"accepted":true}`)
		}))
		DeferCleanup(srv.Close)

		notify := nativeHTTP("notify", srv.URL+"/notify")
		notify.HTTP.HeadersFrom = []drv1.HTTPHeaderSource{{Name: "Authorization", ValueFrom: drv1.HeaderValueSource{
			SecretKeyRef: corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "hook-token"}, Key: "token"}}}}
		run := nativeRun(ns, drv1.WorkflowFailFast, notify, nativeHTTP("confirm", srv.URL+"/confirm"))
		st := driveNative(eng, run, notified)

		Expect(st.Phase).To(Equal(drv1.ExecutionSucceeded), st.Message)
		Expect(auth).To(Equal([]string{token, ""}))
		Expect(nativeAction(st, "notify").Outputs.HTTPResponse).To(Equal(&drv1.HTTPResponse{StatusCode: 200, Body: `{"accepted":true}`}))
		recorded, err := json.Marshal(st)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(recorded)).NotTo(ContainSubstring("s3cr3t"))
	})

	It("sends headers read from Secrets along a redirect only within the first request's origin", func() {
		ns := newNamespace()
		grantExecutor(ns, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}})
		Expect(k8sClient.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "hook-token", Namespace: ns},
			StringData: map[string]string{"token": "Bearer r3direct-s3cr3t", "key": "r3direct-k3y"}})).To(Succeed())
		var mu sync.Mutex
		landed := map[string][]string{} // "<server> <path>" -> Authorization, X-Api-Key
		record := func(server string) http.HandlerFunc {
			return func(_ http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				landed[server+" "+r.URL.Path] = []string{r.Header.Get("Authorization"), r.Header.Get("X-Api-Key")}
			}
		}
		other := httptest.NewServer(record("other"))
		DeferCleanup(other.Close)
		var origin *httptest.Server
		origin = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/same":
				http.Redirect(w, r, origin.URL+"/landed-same", http.StatusTemporaryRedirect)
			case "/away":
				http.Redirect(w, r, other.URL+"/landed-away", http.StatusTemporaryRedirect)
			default:
				record("origin")(w, r)
			}
		}))
		DeferCleanup(origin.Close)

		secretHeaders := []drv1.HTTPHeaderSource{
			{Name: "Authorization", ValueFrom: drv1.HeaderValueSource{SecretKeyRef: corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: "hook-token"}, Key: "token"}}},
			{Name: "X-Api-Key", ValueFrom: drv1.HeaderValueSource{SecretKeyRef: corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: "hook-token"}, Key: "key"}}},
		}
		same, away := nativeHTTP("same", origin.URL+"/same"), nativeHTTP("away", origin.URL+"/away")
		same.HTTP.HeadersFrom, away.HTTP.HeadersFrom = secretHeaders, secretHeaders
		st := driveNative(eng, nativeRun(ns, drv1.WorkflowFailFast, same, away), notified)

		Expect(st.Phase).To(Equal(drv1.ExecutionSucceeded), st.Message)
		Expect(landed).To(Equal(map[string][]string{
			"origin /landed-same": {"Bearer r3direct-s3cr3t", "r3direct-k3y"},
			"other /landed-away":  {"", ""}, // another port of 127.0.0.1: net/http alone sends both
		}))
		recorded, err := json.Marshal(st)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(recorded)).NotTo(Or(ContainSubstring("r3direct-s3cr3t"), ContainSubstring("r3direct-k3y")))
	})

	It("fails an HTTP action whose Secret the executor may not read, without retrying into a hang", func() {
		ns := newNamespace()
		grantExecutor(ns) // no rights at all
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
		DeferCleanup(srv.Close)
		notify := nativeHTTP("notify", srv.URL)
		notify.HTTP.HeadersFrom = []drv1.HTTPHeaderSource{{Name: "Authorization", ValueFrom: drv1.HeaderValueSource{
			SecretKeyRef: corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "hook-token"}, Key: "token"}}}}
		st := driveNative(eng, nativeRun(ns, drv1.WorkflowFailFast, notify), notified)
		Expect(st.Phase).To(Equal(drv1.ExecutionFailed))
		Expect(nativeAction(st, "notify").Message).To(And(ContainSubstring("header Authorization"),
			ContainSubstring("may not get Secret "+ns+"/hook-token")))
	})

	It("creates, applies and deletes resources as the executor, and reverts what it created", func() {
		ns := newNamespace()
		grantExecutor(ns, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps"},
			Verbs: []string{"get", "list", "watch", "create", "patch", "update", "delete"}})
		Expect(k8sClient.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "old", Namespace: ns}})).To(Succeed())
		existing := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "existing", Namespace: ns}}
		Expect(k8sClient.Create(ctx, existing)).To(Succeed())
		run := nativeRun(ns, drv1.WorkflowFailFast,
			nativeManifest("create", drv1.OperationCreate, configMapYAML("created", ns)),
			nativeManifest("apply", drv1.OperationApply, configMapYAML("applied", ns)),
			nativeManifest("apply-over", drv1.OperationApply, configMapYAML("existing", ns)),
			nativeManifest("remove", drv1.OperationDelete, configMapYAML("old", ns)),
			nativeManifest("remove-again", drv1.OperationDelete, configMapYAML("old", ns)))
		st := driveNative(eng, run, notified)

		Expect(st.Phase).To(Equal(drv1.ExecutionSucceeded), st.Message)
		created := &corev1.ConfigMap{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "created"}, created)).To(Succeed())
		Expect(created.Data).To(HaveKeyWithValue("plan", "native-plan"))
		Expect(nativeAction(st, "create").Outputs.ResourceRef).To(Equal(&drv1.ResourceRef{APIVersion: "v1", Kind: "ConfigMap",
			Namespace: ns, Name: "created", UID: created.UID, Created: true}))
		applied := &corev1.ConfigMap{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "applied"}, applied)).To(Succeed())
		Expect(managers(applied)).To(ContainElement(nativeexec.FieldManager))
		Expect(nativeAction(st, "apply").Outputs.ResourceRef.Created).To(BeTrue())
		Expect(nativeAction(st, "apply-over").Outputs.ResourceRef.Created).To(BeFalse(), "applied over an object that existed before")
		Expect(apierrors.IsNotFound(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "old"}, &corev1.ConfigMap{}))).To(BeTrue())
		Expect(nativeAction(st, "remove-again").Phase).To(Equal(drv1.ActionSucceeded), "deleting what is gone succeeds")

		revert := *run
		revert.Direction, revert.Reverted, revert.Recorded = engine.Reverse, st.Actions, nil
		rst := driveNative(eng, &revert, notified)
		Expect(rst.Phase).To(Equal(drv1.ExecutionSucceeded), rst.Message)
		for _, name := range []string{"created", "applied"} {
			Expect(apierrors.IsNotFound(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &corev1.ConfigMap{}))).To(BeTrue(), name)
		}
		Expect(nativeAction(rst, "remove").Phase).To(Equal(drv1.ActionSkipped), "a Delete has no inverse")
		Expect(nativeAction(rst, "apply-over").Phase).To(Equal(drv1.ActionSkipped), "an Apply over an existing object is not undone")
		kept := &corev1.ConfigMap{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "existing"}, kept)).To(Succeed())
		Expect(kept.UID).To(Equal(existing.UID))
	})

	It("adopts, after a restart, the object its interrupted Create or Apply made, and nobody else's", func() {
		ns := newNamespace()
		grantExecutor(ns, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"*"}})
		for _, name := range []string{"ours-created", "ours-applied"} {
			Expect(k8sClient.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
				Data: map[string]string{"plan": "native-plan"}}, client.FieldOwner(nativeexec.FieldManager))).To(Succeed())
		}
		Expect(k8sClient.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "theirs", Namespace: ns},
			Data: map[string]string{"plan": "native-plan"}}, client.FieldOwner("someone-else"))).To(Succeed())
		run := nativeRun(ns, drv1.WorkflowContinue,
			nativeManifest("create", drv1.OperationCreate, configMapYAML("ours-created", ns)),
			nativeManifest("apply", drv1.OperationApply, configMapYAML("ours-applied", ns)),
			nativeManifest("clash", drv1.OperationCreate, configMapYAML("theirs", ns)))
		run.Workflow.Spec.Actions[2].DependsOn = []string{"create"} // a DAG: create and apply are independent
		started := metav1.NewTime(time.Now().Add(-time.Minute))
		run.Recorded = &drv1.WorkflowExecutionStatus{Phase: drv1.ExecutionRunning, ActionStatuses: []drv1.ActionStatus{
			{Name: "create", Phase: drv1.ActionRunning, StartTime: &started},
			{Name: "apply", Phase: drv1.ActionRunning, StartTime: &started},
			{Name: "clash", Phase: drv1.ActionPending}}}
		st := driveNative(eng, run, notified)

		Expect(nativeAction(st, "create").Outputs).NotTo(BeNil(), "%+v", st.Actions)
		Expect(nativeAction(st, "create").Outputs.ResourceRef.Created).To(BeTrue())
		Expect(nativeAction(st, "apply").Outputs.ResourceRef.Created).To(BeTrue())
		Expect(nativeAction(st, "clash").Phase).To(Equal(drv1.ActionFailed))
		Expect(nativeAction(st, "clash").Message).To(ContainSubstring("already exists"))
	})

	It("refuses, as a clear failure, a change the executor ServiceAccount may not make", func() {
		ns := newNamespace()
		other := newNamespace()
		grantExecutor(ns, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"*"}})
		st := driveNative(eng, nativeRun(ns, drv1.WorkflowFailFast,
			nativeManifest("intrude", drv1.OperationCreate, configMapYAML("planted", other))), notified)

		Expect(st.Phase).To(Equal(drv1.ExecutionFailed))
		a := nativeAction(st, "intrude")
		Expect(a.Phase).To(Equal(drv1.ActionFailed))
		Expect(a.RetryCount).To(BeZero(), "a Forbidden is not retried")
		Expect(a.Message).To(And(
			ContainSubstring("executor ServiceAccount "+ns+"/"+drv1.DefaultExecutorServiceAccount+" may not create ConfigMap "+other+"/planted"),
			ContainSubstring("forbidden")))
		Expect(apierrors.IsNotFound(k8sClient.Get(ctx, types.NamespacedName{Namespace: other, Name: "planted"}, &corev1.ConfigMap{}))).To(BeTrue())
	})

	It("creates a Localization and waits for a Subscription to be bound when waitReady is set", func() {
		ns := newNamespace()
		grantExecutor(ns, rbacv1.PolicyRule{APIGroups: []string{"apps.clusternet.io"}, Resources: []string{"localizations", "subscriptions"},
			Verbs: []string{"get", "watch", "create", "delete"}})
		loc := drv1.Action{Name: "promote", ActionBody: drv1.ActionBody{Type: drv1.ActionTypeLocalization, Localization: &drv1.LocalizationAction{
			Operation: drv1.OperationCreate, Name: "promote", Namespace: ns, Spec: &runtime.RawExtension{Raw: []byte(
				`{"priority":800,"overridePolicy":"ApplyNow","feed":{"apiVersion":"apps/v1","kind":"Deployment","name":"api","namespace":"shop"},` +
					`"overrides":[{"name":"scale","type":"MergePatch","value":"{\"spec\":{\"replicas\":3}}"}]}`)}}}}
		sub := drv1.Action{Name: "subscribe", ActionBody: drv1.ActionBody{Type: drv1.ActionTypeSubscription, Subscription: &drv1.SubscriptionAction{
			Operation: drv1.SubscriptionOperation(drv1.OperationCreate), Name: "api", Namespace: ns, WaitReady: true, Spec: &runtime.RawExtension{Raw: []byte(
				`{"feeds":[{"apiVersion":"apps/v1","kind":"Deployment","name":"api","namespace":"shop"}],"subscribers":[{"clusterAffinity":{}}]}`)}}}}
		run := nativeRun(ns, drv1.WorkflowFailFast, loc, sub)

		By("the Subscription exists but is not bound: the action waits")
		subscription := &unstructured.Unstructured{}
		subscription.SetAPIVersion("apps.clusternet.io/v1alpha1")
		subscription.SetKind("Subscription")
		Eventually(func() error {
			syncNative(eng, run)
			return k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "api"}, subscription)
		}).Should(Succeed())
		Consistently(func() drv1.ActionPhase { return nativeAction(syncNative(eng, run), "subscribe").Phase }, "500ms").
			Should(Equal(drv1.ActionRunning))

		By("Clusternet's scheduler binds it (played by the spec)")
		Expect(unstructured.SetNestedStringSlice(subscription.Object, []string{"clusternet-abcde/child"}, "status", "bindingClusters")).To(Succeed())
		Expect(k8sClient.Status().Update(ctx, subscription)).To(Succeed())
		st := driveNative(eng, run, notified)
		Expect(st.Phase).To(Equal(drv1.ExecutionSucceeded), st.Message)
		Expect(nativeAction(st, "promote").Outputs.LocalizationRef).To(And(Not(BeNil()),
			HaveField("Name", "promote"), HaveField("Created", true), HaveField("Kind", "Localization")))
		Expect(nativeAction(st, "subscribe").Outputs.SubscriptionRef).To(HaveField("UID", subscription.GetUID()))
	})

	It("fails a Subscription wait that outlives the action's timeout, naming the timeout", func() {
		ns := newNamespace()
		grantExecutor(ns, rbacv1.PolicyRule{APIGroups: []string{"apps.clusternet.io"}, Resources: []string{"subscriptions"},
			Verbs: []string{"get", "watch", "create"}})
		sub := drv1.Action{Name: "subscribe", ActionBody: drv1.ActionBody{Type: drv1.ActionTypeSubscription, Timeout: &metav1.Duration{Duration: 2 * time.Second},
			Subscription: &drv1.SubscriptionAction{Operation: drv1.SubscriptionOperation(drv1.OperationCreate), Name: "api", Namespace: ns, WaitReady: true,
				Spec: &runtime.RawExtension{Raw: []byte(`{"feeds":[{"apiVersion":"apps/v1","kind":"Deployment","name":"api","namespace":"shop"}],"subscribers":[{"clusterAffinity":{}}]}`)}}}}
		st := driveNative(eng, nativeRun(ns, drv1.WorkflowFailFast, sub), notified)
		Expect(st.Phase).To(Equal(drv1.ExecutionFailed))
		a := nativeAction(st, "subscribe")
		Expect(a.Phase).To(Equal(drv1.ActionFailed))
		Expect(a.Message).To(HavePrefix("timed out after 2s: "))
		Expect(a.Message).To(ContainSubstring("is not bound to a cluster (status.bindingClusters) yet"))
	})

	It("creates a Job under its deterministic name and maps the status it reaches", func() {
		ns := newNamespace()
		grantExecutor(ns, rbacv1.PolicyRule{APIGroups: []string{"batch"}, Resources: []string{"jobs"}, Verbs: []string{"get", "create", "delete"}})
		run := nativeRun(ns, drv1.WorkflowFailFast, nativeJob("verify", ns, time.Minute), nativeHTTP("after", "http://127.0.0.1:1/unused"))
		run.Workflow.Spec.Actions[1].When = "false"
		st := syncNative(eng, run)
		job := waitJobRecorded(eng, run, "verify")
		Expect(job.Labels).To(HaveKeyWithValue(drv1.LabelAction, "verify"))

		By("active pods keep the action Running")
		setJobStatus(job, batchv1.JobStatus{Active: 1})
		Consistently(func() drv1.ActionPhase { st = syncNative(eng, run); return nativeAction(st, "verify").Phase }, "500ms").
			Should(Equal(drv1.ActionRunning))

		By("a succeeded pod completes it")
		setJobStatus(job, batchv1.JobStatus{Succeeded: 1})
		st = driveNative(eng, run, notified)
		Expect(st.Phase).To(Equal(drv1.ExecutionSucceeded), st.Message)
		Expect(nativeAction(st, "verify").Outputs.JobRef).To(Equal(&drv1.ResourceRef{APIVersion: "batch/v1", Kind: "Job",
			Namespace: ns, Name: job.Name, UID: job.UID, Created: true}))
	})

	It("retries a Job action with a Job per attempt: the first fails past backoffLimit, the second succeeds, retryCount 1", func() {
		ns := newNamespace()
		grantExecutor(ns, rbacv1.PolicyRule{APIGroups: []string{"batch"}, Resources: []string{"jobs"}, Verbs: []string{"get", "create", "delete"}})
		verify := nativeJob("verify", ns, time.Minute)
		verify.RetryPolicy = &drv1.RetryPolicy{Limit: 2, Interval: drv1.Duration(100 * time.Millisecond)}
		run := nativeRun(ns, drv1.WorkflowFailFast, verify)
		syncNative(eng, run)
		stem := translator.JobName(run.Execution.Name, run.StageName, run.EntryIndex, run.Workflow.Name, "verify")
		first := waitJobRecorded(eng, run, "verify")
		Expect(first.Name).To(Equal(translator.JobAttemptName(stem, 0)))
		setJobStatus(first, batchv1.JobStatus{Failed: 2}) // backoffLimit 1

		second := &batchv1.Job{}
		Eventually(func() error {
			return k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: translator.JobAttemptName(stem, 1)}, second)
		}).Should(Succeed(), "the retry creates a Job of its own")
		setJobStatus(second, batchv1.JobStatus{Succeeded: 1})
		st := driveNative(eng, run, notified)
		Expect(st.Phase).To(Equal(drv1.ExecutionSucceeded), st.Message)
		a := nativeAction(st, "verify")
		Expect(a.RetryCount).To(Equal(int32(1)))
		Expect(a.Outputs.JobRef).To(HaveField("Name", second.Name))
		Expect(a.Outputs.JobRef.UID).To(Equal(second.UID))
		jobs := &batchv1.JobList{}
		Expect(k8sClient.List(ctx, jobs, client.InNamespace(ns))).To(Succeed())
		Expect(jobs.Items).To(HaveLen(2), "the failed attempt's Job stays for its ttlSecondsAfterFinished")
	})

	It("deletes a Job that outlives its timeout, and a running Job on cancel", func() {
		ns := newNamespace()
		grantExecutor(ns, rbacv1.PolicyRule{APIGroups: []string{"batch"}, Resources: []string{"jobs"}, Verbs: []string{"get", "create", "delete"}})
		slow := nativeRun(ns, drv1.WorkflowFailFast, nativeJob("slow", ns, 2*time.Second))
		st := driveNative(eng, slow, notified)
		Expect(st.Phase).To(Equal(drv1.ExecutionFailed))
		ref := nativeAction(st, "slow").Outputs.JobRef
		Expect(nativeAction(st, "slow").Message).To(Equal("timed out after 2s: job " + ns + "/" + ref.Name + " did not complete; deleted it"))
		Expect(apierrors.IsNotFound(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: ref.Name}, &batchv1.Job{}))).To(BeTrue())

		canceled := nativeRun(ns, drv1.WorkflowFailFast, nativeJob("held", ns, time.Minute))
		syncNative(eng, canceled)
		job := waitJobRecorded(eng, canceled, "held")
		Expect(eng.Cancel(ctx, canceled)).To(Succeed())
		Expect(apierrors.IsNotFound(k8sClient.Get(ctx, jobKey(job), &batchv1.Job{}))).To(BeTrue())
		st = driveNative(eng, canceled, notified)
		Expect(st.Phase).To(Equal(drv1.ExecutionCanceled))
		Expect(nativeAction(st, "held").Phase).To(Equal(drv1.ActionCanceled))
	})

	It("re-attaches to its Job after a restart instead of creating a second one", func() {
		ns := newNamespace()
		grantExecutor(ns, rbacv1.PolicyRule{APIGroups: []string{"batch"}, Resources: []string{"jobs"}, Verbs: []string{"get", "create", "delete"}})
		run := nativeRun(ns, drv1.WorkflowFailFast, nativeJob("verify", ns, time.Minute))
		syncNative(eng, run)
		job := waitJobRecorded(eng, run, "verify")

		By("a fresh engine (the operator restarted) resumes from the recorded status")
		restarted, err := nativeexec.New(nativeexec.Options{Config: cfg, Mapper: mgr.GetRESTMapper(), Cache: jobCache, Reader: jobCache})
		Expect(err).NotTo(HaveOccurred())
		st := syncNative(restarted, run)
		Expect(nativeAction(st, "verify").Phase).To(Equal(drv1.ActionRunning))
		setJobStatus(job, batchv1.JobStatus{Succeeded: 1})
		Eventually(func() drv1.ExecutionPhase { return syncNative(restarted, run).Phase }).Should(Equal(drv1.ExecutionSucceeded))
		jobs := &batchv1.JobList{}
		Expect(k8sClient.List(ctx, jobs, client.InNamespace(ns))).To(Succeed())
		Expect(jobs.Items).To(HaveLen(1))
		Expect(eng.Cancel(ctx, run)).To(Succeed()) // the first engine lets go too
	})
})

// grantExecutor creates the default executor ServiceAccount in ns with a Role of the given rules.
func grantExecutor(ns string, rules ...rbacv1.PolicyRule) {
	GinkgoHelper()
	sa := drv1.DefaultExecutorServiceAccount
	Expect(k8sClient.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa, Namespace: ns}})).To(Succeed())
	if len(rules) == 0 {
		return
	}
	Expect(k8sClient.Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: sa, Namespace: ns}, Rules: rules})).To(Succeed())
	Expect(k8sClient.Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: sa, Namespace: ns},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: sa},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: sa, Namespace: ns}}})).To(Succeed())
	// The API server's RBAC authorizer learns of new Roles through its own informers: wait until it answers
	// yes, or an action started right away may be refused (and a Forbidden is a permanent action failure).
	r := rules[0]
	Eventually(func(g Gomega) bool {
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User:   "system:serviceaccount:" + ns + ":" + sa,
			Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"},
			ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: ns, Verb: r.Verbs[0],
				Group: r.APIGroups[0], Resource: r.Resources[0]}}}
		g.Expect(k8sClient.Create(ctx, sar)).To(Succeed())
		return sar.Status.Allowed
	}).Should(BeTrue(), "RBAC for the executor in %s to take effect", ns)
}

func nativeHTTP(name, url string) drv1.Action {
	return drv1.Action{Name: name, ActionBody: drv1.ActionBody{Type: drv1.ActionTypeHTTP,
		HTTP: &drv1.HTTPAction{URL: url, Method: http.MethodPost, Body: `{"plan":"{{ .planName }}"}`}}}
}

func nativeManifest(name string, op drv1.ResourceOperation, manifest string) drv1.Action {
	return drv1.Action{Name: name, ActionBody: drv1.ActionBody{Type: drv1.ActionTypeKubernetesResource,
		Resource: &drv1.ResourceAction{Operation: op, Manifest: manifest}}}
}

func configMapYAML(name, ns string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n  namespace: %s\ndata:\n  plan: \"{{ .planName }}\"\n", name, ns)
}

func nativeJob(name, ns string, timeout time.Duration) drv1.Action {
	spec := `{"backoffLimit":1,"template":{"spec":{"containers":[{"name":"check","image":"busybox","command":["true"]}]}}}`
	return drv1.Action{Name: name, ActionBody: drv1.ActionBody{Type: drv1.ActionTypeJob, Timeout: &metav1.Duration{Duration: timeout},
		Job: &drv1.JobAction{Namespace: ns, Template: drv1.JobTemplate{Spec: runtime.RawExtension{Raw: []byte(spec)}}}}}
}

func nativeRun(ns string, policy drv1.WorkflowFailurePolicy, actions ...drv1.Action) *engine.Run {
	wf := &drv1.DRWorkflow{ObjectMeta: metav1.ObjectMeta{Name: "native-wf", Namespace: ns},
		Spec: drv1.DRWorkflowSpec{FailurePolicy: policy, Actions: actions, Executor: &drv1.ExecutorSpec{Type: drv1.ExecutorNative}}}
	ex := &drv1.DRPlanExecution{ObjectMeta: metav1.ObjectMeta{Name: "native-ex", Namespace: ns, UID: uuid.NewUUID()},
		Spec: drv1.DRPlanExecutionSpec{PlanRef: "native-plan", OperationType: drv1.OperationExecute}}
	return &engine.Run{Execution: ex, PlanName: "native-plan", StageName: "main", Direction: engine.Forward, Workflow: wf}
}

// syncNative syncs once and records the result as the reconciler would.
func syncNative(eng *nativeexec.Engine, run *engine.Run) engine.RunStatus {
	GinkgoHelper()
	st, err := eng.Sync(ctx, run)
	Expect(err).NotTo(HaveOccurred())
	phase := st.Phase
	if phase == drv1.ExecutionPending {
		phase = drv1.ExecutionRunning
	}
	run.Recorded = &drv1.WorkflowExecutionStatus{Phase: phase, StartTime: st.StartTime, ActionStatuses: st.Actions}
	return st
}

// driveNative syncs whenever the engine notifies until the run ends.
func driveNative(eng *nativeexec.Engine, run *engine.Run, notified <-chan types.NamespacedName) engine.RunStatus {
	GinkgoHelper()
	var st engine.RunStatus
	Eventually(func() bool {
		st = syncNative(eng, run)
		if !st.Phase.IsTerminal() {
			select {
			case <-notified:
			case <-time.After(200 * time.Millisecond):
			}
		}
		return st.Phase.IsTerminal()
	}).Should(BeTrue(), func() string { return fmt.Sprintf("run did not end: %+v", st) })
	return st
}

func nativeAction(st engine.RunStatus, name string) drv1.ActionStatus {
	GinkgoHelper()
	a, ok := testenv.ActionNamed(st.Actions, name)
	Expect(ok).To(BeTrue(), "no action %s", name)
	return a
}

// waitJobRecorded waits until the action reports its Job (it does so while running) and returns the Job.
func waitJobRecorded(eng *nativeexec.Engine, run *engine.Run, action string) *batchv1.Job {
	GinkgoHelper()
	var ref *drv1.ResourceRef
	var st engine.RunStatus
	Eventually(func() *drv1.ResourceRef {
		st = syncNative(eng, run)
		if o := nativeAction(st, action).Outputs; o != nil {
			ref = o.JobRef
		}
		return ref
	}).ShouldNot(BeNil(), func() string { return fmt.Sprintf("run: %+v", st) })
	job := &batchv1.Job{}
	Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}, job)).To(Succeed())
	return job
}

// setJobStatus plays the Job controller, which envtest does not run.
func setJobStatus(job *batchv1.Job, status batchv1.JobStatus) {
	GinkgoHelper()
	Eventually(func() error {
		cur := &batchv1.Job{}
		if err := k8sClient.Get(ctx, jobKey(job), cur); err != nil {
			return err
		}
		start := cur.Status.StartTime
		if start == nil {
			now := metav1.Now()
			start = &now
		}
		cur.Status = status
		cur.Status.StartTime = start
		return k8sClient.Status().Update(ctx, cur)
	}).Should(Succeed())
}

func jobKey(job *batchv1.Job) types.NamespacedName {
	return types.NamespacedName{Namespace: job.Namespace, Name: job.Name}
}

func managers(obj metav1.Object) []string {
	var out []string
	for _, mf := range obj.GetManagedFields() {
		out = append(out, mf.Manager)
	}
	return out
}
