//go:build e2e

package e2e

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	batchv1 "k8s.io/api/batch/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// An action's timeout on the real controller: the http call bounded by Argo's agent (timeoutSeconds), a
// resource step by its pod's activeDeadlineSeconds, which the stack's pod runner enforces as the kubelet does
// (kwok does not). Each ends Failed with a message naming the timeout, as on the native engine.
var _ = Describe("Action timeouts on the real Argo workflow-controller", func() {
	withTimeout := func(a drv1.Action, d time.Duration) drv1.Action {
		a.Timeout = &metav1.Duration{Duration: d}
		return a
	}

	It("fails an HTTP call that outlives its timeout", func() {
		ns := newNamespace()
		release := make(chan struct{})
		DeferCleanup(func() { closeOnce(release) })
		hooks.On("/"+ns+"/slow", hookBehaviour{Hold: release})
		createWorkflow(ns, "w", "", nil, withTimeout(hookAction(ns, "slow"), 2*time.Second), hookAction(ns, "after"))
		createPlan(ns, "p", "w")
		execute(ns, "run", "p")

		ex := waitPhase(ns, "run", drv1.ExecutionFailed)
		e := entry(ex)
		slow := action(e, "slow")
		Expect(slow.Phase).To(Equal(drv1.ActionFailed))
		Expect(slow.Message).To(HavePrefix("timed out after 2s: "))
		Expect(slow.Message).To(ContainSubstring("context deadline exceeded"))
		Expect(action(e, "after").Phase).To(Equal(drv1.ActionSkipped))
		Expect(hooks.Requests("/" + ns + "/after")).To(BeEmpty())
		checkMapping(argoWorkflow(ns, e))
	})

	It("fails a Job action whose Job outlives its timeout, and deletes the Job", func() {
		ns := newNamespace()
		job := hungJobAction("check", ns)
		createWorkflow(ns, "verify", "", nil, withTimeout(job, 3*time.Second))
		createPlan(ns, "p", "verify")
		execute(ns, "run", "p")

		ex := waitPhase(ns, "run", drv1.ExecutionFailed)
		e := entry(ex)
		check := action(e, "check")
		Expect(check.Phase).To(Equal(drv1.ActionFailed))
		Expect(check.Message).To(Equal("timed out after 3s: Pod was active on the node longer than the specified deadline"))
		// The step stopped at its deadline; the Job it created would run on: the operator deletes it, as the
		// native engine deletes a Job past its timeout.
		Eventually(func() []batchv1.Job {
			jobs := &batchv1.JobList{}
			Expect(k8sClient.List(ctx, jobs, client.InNamespace(ns))).To(Succeed())
			var live []batchv1.Job
			for _, j := range jobs.Items {
				if j.DeletionTimestamp == nil {
					live = append(live, j)
				}
			}
			return live
		}).Should(BeEmpty(), "the timed-out action's Job is deleted")
		checkMapping(argoWorkflow(ns, e))
	})

	It("fails a Subscription wait (waitReady) that outlives its timeout", func() {
		ns := newNamespace(rbacv1.PolicyRule{APIGroups: []string{"apps.clusternet.io"}, Resources: []string{"subscriptions"}, Verbs: []string{"*"}})
		// No Clusternet controller runs here: the Subscription is never bound.
		sub := drv1.Action{Name: "subscribe", ActionBody: drv1.ActionBody{Type: drv1.ActionTypeSubscription,
			Subscription: &drv1.SubscriptionAction{Operation: drv1.SubscriptionOperation(drv1.OperationCreate), Name: "standby", Namespace: ns, WaitReady: true,
				Spec: &runtime.RawExtension{Raw: []byte(`{"subscribers":[{"clusterAffinity":{"matchLabels":{"clusters.clusternet.io/cluster-name":"standby"}}}],` +
					`"feeds":[{"apiVersion":"apps/v1","kind":"Deployment","name":"api","namespace":"` + ns + `"}]}`)}}}}
		createWorkflow(ns, "w", "", nil, withTimeout(sub, 3*time.Second))
		createPlan(ns, "p", "w")
		execute(ns, "run", "p")

		ex := waitPhase(ns, "run", drv1.ExecutionFailed)
		e := entry(ex)
		a := action(e, "subscribe")
		Expect(a.Phase).To(Equal(drv1.ActionFailed))
		Expect(a.Message).To(Equal("timed out after 3s: Pod was active on the node longer than the specified deadline"))
		checkMapping(argoWorkflow(ns, e))
	})
})

// hungJobAction is a Job action whose pod kwok keeps running until it is deleted (drplan.e2e/hang).
func hungJobAction(name, ns string) drv1.Action {
	spec := `{"backoffLimit":0,"template":{"metadata":{"annotations":{"drplan.e2e/hang":"true"}},"spec":{"restartPolicy":"Never",` +
		`"containers":[{"name":"main","image":"registry.example/dr/check:1","command":["check"]}]}}}`
	return drv1.Action{Name: name, ActionBody: drv1.ActionBody{Type: drv1.ActionTypeJob,
		Job: &drv1.JobAction{Namespace: ns, Template: drv1.JobTemplate{Spec: runtime.RawExtension{Raw: []byte(spec)}}}}}
}
