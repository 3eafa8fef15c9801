//go:build e2e

package e2e

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// applyExample creates the objects of an example file in ns, as `kubectl apply -n <ns> -f <file>` does.
func applyExample(ns string, path ...string) {
	GinkgoHelper()
	for _, obj := range loadObjects(repoPath(path...)) {
		obj.SetNamespace(ns)
		Expect(k8sClient.Create(ctx, obj)).To(Succeed(), "creating %s %s", obj.GetKind(), obj.GetName())
	}
}

// The examples a user starts with, applied unchanged into a namespace prepared with config/executor (plus, as
// the executor's Role says, the kinds their resource actions touch).
var _ = Describe("The examples on the real Argo workflow-controller", func() {

	It("runs examples/quickstart, then reverts it with examples/revert", func() {
		ns := newNamespace(configMapRule)
		applyExample(ns, "examples", "quickstart", "quickstart.yaml")
		ex := waitPhase(ns, "quickstart-run", drv1.ExecutionSucceeded)
		e := entry(ex)
		Expect(actionPhases(e)).To(Equal(map[string]drv1.ActionPhase{"mark-failover": drv1.ActionSucceeded, "notify": drv1.ActionSkipped}))
		cm := configMap(ns, "dr-active-site")
		Expect(cm).NotTo(BeNil())
		Expect(cm.Data).To(Equal(map[string]string{"site": "site-b", "plan": "quickstart"}))
		Expect(action(e, "mark-failover").Outputs.ResourceRef.UID).To(Equal(cm.UID))

		applyExample(ns, "examples", "revert", "revert.yaml")
		undo := waitPhase(ns, "quickstart-revert", drv1.ExecutionSucceeded)
		Expect(actionPhases(entry(undo))).To(HaveKeyWithValue("mark-failover", drv1.ActionSucceeded))
		Expect(configMap(ns, "dr-active-site")).To(BeNil(), "the revert deleted the marker")
	})

	It("runs examples/job: the Job is created, its pod completes, the action Succeeded", func() {
		ns := newNamespace()
		applyExample(ns, "examples", "job", "job.yaml")
		ex := waitPhase(ns, "verify-replica-run", drv1.ExecutionSucceeded)
		check := action(entry(ex), "check-lag")
		Expect(check.Phase).To(Equal(drv1.ActionSucceeded))
		Expect(check.Outputs.JobRef).NotTo(BeNil())
		job := &batchv1.Job{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: check.Outputs.JobRef.Name}, job)).To(Succeed())
		Expect(job.UID).To(Equal(check.Outputs.JobRef.UID))
		Expect(job.Status.Succeeded).To(BeNumerically(">=", 1))
		Expect(job.Spec.Template.Spec.Containers[0].Args).To(ContainElement("--database=orders"))
		pods := &corev1.PodList{}
		Expect(k8sClient.List(ctx, pods, client.InNamespace(ns), client.MatchingLabels{"job-name": job.Name})).To(Succeed())
		Expect(pods.Items).To(ContainElement(HaveField("Status.Phase", corev1.PodSucceeded)))
	})
})
