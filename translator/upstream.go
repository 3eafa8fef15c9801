package translator

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// Upstream bcs-drplan-controller's shapes: the fields it lets users leave out get its defaults here (pass 0,
// before anything else reads the workflow), and the fields of its CRD this operator does not implement are
// refused with the reason, so that YAML written for it gets an explanation rather than "unknown field".

// notSupported is the error for an upstream field this operator does not implement.
func notSupported(path *field.Path, value any, why string) *field.Error {
	return field.Invalid(path, value, "not supported by this operator: "+why)
}

// withDefaults returns a copy of wf with upstream's omissions filled in: operations (Create), the
// Subscription namespace ("default"), the action-level waitReady merged into its Subscription block, the
// rollback's type and name (v1alpha1.Action.GetRollback), and a workflow parameter's value as its default.
// wf itself (an informer's cached object in the operator) is never written.
func withDefaults(wf *v1alpha1.DRWorkflow) *v1alpha1.DRWorkflow {
	out := wf.DeepCopy()
	for i := range out.Spec.Parameters {
		if p := &out.Spec.Parameters[i]; p.Value != nil {
			p.Default = p.Value
		}
	}
	for i := range out.Spec.Actions {
		a := &out.Spec.Actions[i]
		defaultBody(&a.ActionBody)
		if a.Rollback != nil {
			a.Rollback = a.GetRollback()
			defaultBody(&a.Rollback.ActionBody)
		}
	}
	return out
}

func defaultBody(b *v1alpha1.ActionBody) {
	if l := b.Localization; l != nil {
		l.Operation = l.GetOperation()
	}
	if g := b.Globalization; g != nil {
		g.Operation = g.GetOperation()
	}
	if s := b.Subscription; s != nil {
		s.Operation = v1alpha1.SubscriptionOperation(s.GetOperation())
		s.Namespace = s.GetNamespace()
		s.WaitReady = s.WaitReady || b.WaitReady
	}
	if r := b.Resource; r != nil {
		r.Operation = r.GetOperation()
	}
}

// validateUpstreamAction refuses what upstream's CRD accepts on an action and this operator does not run.
func validateUpstreamAction(a *v1alpha1.Action, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if a.ClusterExecutionMode == "PerCluster" {
		errs = append(errs, notSupported(path.Child("clusterExecutionMode"), a.ClusterExecutionMode,
			"per-cluster fan-out is not implemented yet; leave it empty (or Global) to run the action once for all bound clusters"))
	} else if a.ClusterExecutionMode != "" && a.ClusterExecutionMode != "Global" {
		errs = append(errs, field.NotSupported(path.Child("clusterExecutionMode"), a.ClusterExecutionMode, []string{"Global", "PerCluster"}))
	}
	switch a.HookType {
	case "", "pre-install", "post-install", "pre-upgrade", "post-upgrade", "pre-delete", "post-delete":
		// Ordinary actions here; upstream gives these a meaning only with PerCluster.
	case "pre-rollback", "post-rollback":
		errs = append(errs, notSupported(path.Child("hookType"), a.HookType,
			"rollback hooks are not run by reverse runs yet (a revert would undo this action instead of running it); write the step as the rollback of the action it belongs to"))
	default:
		errs = append(errs, field.NotSupported(path.Child("hookType"), a.HookType,
			[]string{"pre-install", "post-install", "pre-upgrade", "post-upgrade", "pre-delete", "post-delete", "pre-rollback", "post-rollback"}))
	}
	if a.HookCleanup != nil {
		errs = append(errs, notSupported(path.Child("hookCleanup"), field.OmitValueType{},
			"Subscription cleanup around hooks is not implemented yet; add a Subscription action with operation Delete"))
	}
	return errs
}

// validateUpstreamBody refuses what upstream's CRD accepts on an action or rollback body and this operator
// does not run. It reports whether the body may be checked further.
func validateUpstreamBody(body *v1alpha1.ActionBody, path *field.Path) (field.ErrorList, bool) {
	var errs field.ErrorList
	switch body.Type {
	case v1alpha1.ActionTypeHelmChart:
		return append(errs, notSupported(path.Child("type"), body.Type,
			"HelmChart actions are not implemented yet; create the Clusternet HelmChart with a KubernetesResource action (apiVersion apps.clusternet.io/v1alpha1, kind HelmChart)")), false
	}
	if body.HelmChart != nil {
		errs = append(errs, notSupported(path.Child("helmChart"), field.OmitValueType{}, "this block belongs to an action type that is not implemented yet"))
	}
	if body.WaitReady && body.Type != v1alpha1.ActionTypeSubscription && body.Type != v1alpha1.ActionTypeJob {
		errs = append(errs, field.Invalid(path.Child("waitReady"), true,
			fmt.Sprintf("waitReady is only supported on Subscription actions (on %s it would be ignored); Jobs always wait", body.Type)))
	}
	return errs, len(errs) == 0
}

// validateArgoNamespace checks upstream's reserved argoOptions.namespace against the execution's namespace,
// where the compiled Workflows run.
func validateArgoNamespace(wf *v1alpha1.DRWorkflow, namespace string) field.ErrorList {
	ex := wf.Spec.Executor
	if ex == nil || ex.ArgoOptions == nil || ex.ArgoOptions.Namespace == "" || ex.ArgoOptions.Namespace == namespace {
		return nil
	}
	return field.ErrorList{field.Invalid(field.NewPath("spec", "executor", "argoOptions", "namespace"), ex.ArgoOptions.Namespace,
		fmt.Sprintf("Workflows run in the execution's namespace %s (they are owned by the DRPlanExecution); leave it empty", namespace))}
}

// validateParamSource checks a parameter's valueFrom: a manifestRef must name one object (name or a label
// selector, literal text: it is read before any template is rendered) and a field as kubectl JSONPath; a
// value read from a Secret would be stored in the execution's status and in the compiled Argo Workflow, so
// Secrets and secretKeyRef are refused.
func validateParamSource(src *v1alpha1.ParamValueSource, path *field.Path) field.ErrorList {
	if src == nil {
		return nil
	}
	const secretReason = "parameter values are stored in the execution's status and in the compiled Argo Workflow, " +
		"so a secret must not become one; send it as an HTTP header with http.headersFrom[].valueFrom.secretKeyRef"
	var errs field.ErrorList
	if src.SecretKeyRef != nil {
		errs = append(errs, field.Forbidden(path.Child("secretKeyRef"), "reads a Secret: "+secretReason))
	}
	ref := src.ManifestRef
	if ref == nil {
		if src.SecretKeyRef == nil {
			errs = append(errs, field.Required(path.Child("manifestRef"), "the object and field the value is read from"))
		}
		return errs
	}
	p := path.Child("manifestRef")
	if gv, err := schema.ParseGroupVersion(ref.APIVersion); ref.APIVersion == "" || err != nil {
		errs = append(errs, field.Invalid(p.Child("apiVersion"), ref.APIVersion, "must be an API version such as v1 or apps/v1"))
	} else if gv.Group == "" && strings.EqualFold(ref.Kind, "Secret") {
		return append(errs, field.Forbidden(p, "reads a Secret: "+secretReason))
	}
	if ref.Kind == "" {
		errs = append(errs, field.Required(p.Child("kind"), ""))
	}
	for _, f := range []struct{ name, value string }{{"namespace", ref.Namespace}, {"name", ref.Name}, {"labelSelector", ref.LabelSelector}} {
		if strings.Contains(f.value, "$(") || strings.Contains(f.value, "{{") {
			errs = append(errs, field.Invalid(p.Child(f.name), f.value,
				"must be literal: the object is read before parameters are known (upstream allows $(params.x) here; this operator does not)"))
		}
	}
	switch {
	case ref.Name == "" && ref.LabelSelector == "":
		errs = append(errs, field.Required(p.Child("name"), "set name or labelSelector"))
	case ref.Name != "" && ref.LabelSelector != "":
		errs = append(errs, field.Invalid(p.Child("labelSelector"), ref.LabelSelector, "set name or labelSelector, not both"))
	case ref.LabelSelector != "":
		if _, err := labels.Parse(ref.LabelSelector); err != nil {
			errs = append(errs, field.Invalid(p.Child("labelSelector"), ref.LabelSelector, err.Error()))
		}
	}
	if ref.Select != "" && !contains(manifestSelects, string(ref.Select)) {
		errs = append(errs, field.NotSupported(p.Child("select"), ref.Select, manifestSelects))
	}
	if _, err := ParseJSONPath(ref.JSONPath); err != nil {
		errs = append(errs, field.Invalid(p.Child("jsonPath"), ref.JSONPath, err.Error()))
	}
	return errs
}

var manifestSelects = []string{string(v1alpha1.SelectLast), string(v1alpha1.SelectFirst), string(v1alpha1.SelectSingle), string(v1alpha1.SelectAny)}
