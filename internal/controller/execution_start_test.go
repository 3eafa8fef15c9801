package controller

import (
	"context"
	"errors"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// A Revert whose target cannot be read for a moment (the API server answers with an error) is not failed:
// the error goes back to the reconcile, which is retried, and the execution stays as it was. A target that
// does not exist does end the Revert, naming why.
func TestStartRevertRetriesAReadErrorOfTheTarget(t *testing.T) {
	g := NewWithT(t)
	revert := execObj("undo", "")
	revert.Spec.OperationType, revert.Spec.RevertExecutionRef = drv1.OperationRevert, "run"
	unavailable := errors.New("the server is currently unable to handle the request")
	c := fake.NewClientBuilder().WithScheme(NewScheme()).WithObjects(planObj(5), execObj("run", drv1.ExecutionSucceeded)).
		WithInterceptorFuncs(interceptor.Funcs{Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			if _, ok := obj.(*drv1.DRPlanExecution); ok && key.Name == "run" {
				return unavailable
			}
			return c.Get(ctx, key, obj, opts...)
		}}).Build()
	r := &DRPlanExecutionReconciler{Client: c, APIReader: c}

	ended, err := r.startRevert(context.Background(), revert, planObj(5), metav1.Now())
	g.Expect(err).To(MatchError(ContainSubstring("reading revert target run")))
	g.Expect(errors.Is(err, unavailable)).To(BeTrue())
	g.Expect(ended).To(BeFalse())
	g.Expect(revert.Status.Phase).To(BeEmpty(), "a read error must not end the Revert")

	revert.Spec.RevertExecutionRef = "gone"
	ended, err = r.startRevert(context.Background(), revert, planObj(5), metav1.Now())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ended).To(BeTrue())
	g.Expect(revert.Status.Phase).To(Equal(drv1.ExecutionFailed))
	g.Expect(revert.Status.Message).To(ContainSubstring("revert target not found"))
}
