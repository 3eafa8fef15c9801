package controller

import (
	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// NewScheme returns a scheme with every kind the operator reads or writes: client-go's, this API's and
// Argo's Workflow kinds.
func NewScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(drv1.AddToScheme(s))
	utilruntime.Must(wfv1.AddToScheme(s))
	return s
}
