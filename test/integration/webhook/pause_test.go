package webhook_test

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// The requester of a pause is the user the API server authenticated, whatever the request claims.
var _ = Describe("DRPlanExecution pause annotation", func() {
	var ns string
	as := func(user string) client.Client {
		GinkgoHelper()
		c := rest.CopyConfig(cfg)
		c.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: []string{"system:masters"}}
		cl, err := client.New(c, client.Options{Scheme: scheme})
		Expect(err).NotTo(HaveOccurred())
		return cl
	}
	annotate := func(ctx context.Context, cl client.Client, ex *drv1.DRPlanExecution, kv map[string]*string) error {
		GinkgoHelper()
		Expect(cl.Get(ctx, client.ObjectKeyFromObject(ex), ex)).To(Succeed())
		if ex.Annotations == nil {
			ex.Annotations = map[string]string{}
		}
		for k, v := range kv {
			if v == nil {
				delete(ex.Annotations, k)
			} else {
				ex.Annotations[k] = *v
			}
		}
		return cl.Update(ctx, ex)
	}
	str := func(s string) *string { return &s }
	BeforeEach(func(ctx context.Context) {
		ns = newNamespace(ctx)
		create(ctx, validWorkflow(ns, "w"))
		create(ctx, plan(ns, "p", stage("s", nil, "w")))
	})

	It("records who paused and who resumed, and ignores a claimed or edited name", func(ctx context.Context) {
		ex := execution(ns, "e", "p", "site=a")
		create(ctx, ex)
		alice, bob := as("alice"), as("bob")

		Expect(annotate(ctx, alice, ex, map[string]*string{drv1.AnnotationPause: str("true"),
			drv1.AnnotationPauseRequestedBy: str("mallory")})).To(Succeed())
		Expect(ex.Annotations).To(HaveKeyWithValue(drv1.AnnotationPauseRequestedBy, "alice"))

		Expect(annotate(ctx, bob, ex, map[string]*string{drv1.AnnotationPauseRequestedBy: str("mallory")})).To(Succeed())
		Expect(ex.Annotations).To(HaveKeyWithValue(drv1.AnnotationPauseRequestedBy, "alice"), "an edit of the name alone is put back")

		Expect(annotate(ctx, bob, ex, map[string]*string{drv1.AnnotationPause: nil})).To(Succeed())
		Expect(ex.Annotations).To(HaveKeyWithValue(drv1.AnnotationPauseRequestedBy, "bob"))
	})

	It("rejects a pause value other than true or false, naming the annotation", func(ctx context.Context) {
		ex := execution(ns, "e", "p", "site=a")
		create(ctx, ex)
		expectInvalid(annotate(ctx, k8sClient, ex, map[string]*string{drv1.AnnotationPause: str("yes")}),
			"metadata.annotations[dr.bkbcs.tencent.com/pause]", `Unsupported value: "yes"`)
	})
})
