package translator

import (
	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"github.com/argoproj/argo-workflows/v3/workflow/validate"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// noTemplates answers every WorkflowTemplate lookup with NotFound: compiled Workflows reference none.
type noTemplates struct{}

func (noTemplates) Get(name string) (*wfv1.WorkflowTemplate, error) {
	return nil, apierrors.NewNotFound(wfv1.Resource("workflowtemplates"), name)
}

type noClusterTemplates struct{}

func (noClusterTemplates) Get(name string) (*wfv1.ClusterWorkflowTemplate, error) {
	return nil, apierrors.NewNotFound(wfv1.Resource("clusterworkflowtemplates"), name)
}

// validateWithArgo runs Argo's own Workflow validator offline.
func validateWithArgo(wf *wfv1.Workflow) error {
	return validate.ValidateWorkflow(noTemplates{}, noClusterTemplates{}, wf, nil, validate.ValidateOpts{})
}
