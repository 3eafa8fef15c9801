package precheck

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// WorkflowGenerations maps "<namespace>/<name>" of each DRWorkflow of plan that exists to its generation:
// what v1alpha1.PrecheckMissing compares with the plan's lastPrecheck.
func WorkflowGenerations(ctx context.Context, c client.Reader, plan *v1alpha1.DRPlan) (map[string]int64, error) {
	out := map[string]int64{}
	for _, st := range plan.Spec.Stages {
		for _, e := range st.Workflows {
			key := types.NamespacedName{Namespace: e.WorkflowRef.NamespaceOr(plan.Namespace), Name: e.WorkflowRef.Name}
			wf := &v1alpha1.DRWorkflow{}
			err := c.Get(ctx, key, wf)
			switch {
			case apierrors.IsNotFound(err):
			case err != nil:
				return nil, fmt.Errorf("reading DRWorkflow %s: %w", key, err)
			default:
				out[key.String()] = wf.Generation
			}
		}
	}
	return out, nil
}
