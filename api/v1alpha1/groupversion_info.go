// Package v1alpha1 holds the dr.bkbcs.tencent.com/v1alpha1 API: DRWorkflow (a reusable runbook of actions),
// DRPlan (stages of workflows with parameters) and DRPlanExecution (one run, forward or revert, of a plan).
//
// +kubebuilder:object:generate=true
// +groupName=dr.bkbcs.tencent.com
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the API group and version of every kind in this package.
	GroupVersion = schema.GroupVersion{Group: "dr.bkbcs.tencent.com", Version: "v1alpha1"}

	// SchemeBuilder registers the kinds of this package with a runtime.Scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the kinds of this package to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
