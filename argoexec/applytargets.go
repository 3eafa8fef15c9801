package argoexec

import (
	"context"
	"encoding/json"
	"fmt"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/yaml"

	"github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/translator"
)

// Whether an Apply created its object. kubectl apply does not say, and an object's creationTimestamp has
// whole seconds only, so comparing it with the node's start could call an object created in the same second
// "ours". Instead the operator reads each Apply target, as the executor ServiceAccount, just before it
// creates the Workflow, and records the UID it found (or "" for none) in the Workflow's
// AnnotationApplyTargets. Nothing of the Workflow has run then, and the annotation is on the Workflow itself,
// so it survives an operator restart with the run. The Apply created the object when the UID it reports
// afterwards is not the one recorded (applyCreated); an object that existed when the run began is never
// called created. An object someone else creates between that read and the Apply counts as created by the
// run: it did not exist when the run began.

// recordApplyTargets fills wf's AnnotationApplyTargets. A target the executor may not read is left out (its
// Apply will fail the same way, or counts as not created); any other read error is returned, so the Workflow
// is not created without the record.
func (e *Engine) recordApplyTargets(ctx context.Context, wf *wfv1.Workflow) error {
	targets := applyTargets(wf)
	if len(targets) == 0 {
		return nil
	}
	if e.Executor == nil {
		return nil // nothing can be read as the executor: every Apply counts as not created
	}
	sa := wf.Spec.ServiceAccountName
	if sa == "" {
		sa = v1alpha1.DefaultExecutorServiceAccount
	}
	cl, err := e.Executor.ForServiceAccount(wf.Namespace, sa)
	if err != nil {
		return err
	}
	uids := make(map[string]types.UID, len(targets))
	for _, t := range targets {
		obj := &unstructured.Unstructured{}
		obj.SetGroupVersionKind(t.gvk)
		err := cl.Get(ctx, t.key, obj)
		switch {
		case err == nil:
			uids[t.template] = obj.GetUID()
		case apierrors.IsNotFound(err):
			uids[t.template] = ""
		case apierrors.IsForbidden(err):
			log.FromContext(ctx).Info("the executor may not read an Apply target; its Apply will count as not created",
				"template", t.template, "object", t.key, "serviceAccount", sa)
		default:
			return fmt.Errorf("reading %s %s before its Apply: %w", t.gvk.Kind, t.key, err)
		}
	}
	data, err := json.Marshal(uids)
	if err != nil {
		return err
	}
	if wf.Annotations == nil {
		wf.Annotations = map[string]string{}
	}
	wf.Annotations[translator.AnnotationApplyTargets] = string(data)
	return nil
}

// applyTarget is the object one `apply` resource template works on.
type applyTarget struct {
	template string
	gvk      schema.GroupVersionKind
	key      client.ObjectKey
}

// applyTargets lists the objects of the Workflow's `apply` templates, Job actions excepted (a Job action's
// Job has a run-specific name and is always its own).
func applyTargets(wf *wfv1.Workflow) []applyTarget {
	var out []applyTarget
	for i := range wf.Spec.Templates {
		t := &wf.Spec.Templates[i]
		if t.Resource == nil || t.Resource.Action != "apply" || isJobAction(t.Resource) {
			continue
		}
		var m struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal([]byte(t.Resource.Manifest), &m); err != nil || m.Metadata.Name == "" {
			continue
		}
		gv, err := schema.ParseGroupVersion(m.APIVersion)
		if err != nil {
			continue
		}
		ns := m.Metadata.Namespace
		if ns == "" {
			ns = wf.Namespace // kubectl's default; ignored by the client for a cluster-scoped kind
		}
		out = append(out, applyTarget{template: t.Name, gvk: gv.WithKind(m.Kind), key: client.ObjectKey{Namespace: ns, Name: m.Metadata.Name}})
	}
	return out
}

// isJobAction tells the `apply` the translator emits for a Job action: a batch/v1 Job waited on with a
// successCondition.
func isJobAction(r *wfv1.ResourceTemplate) bool {
	if r.SuccessCondition == "" {
		return false
	}
	var m struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	return yaml.Unmarshal([]byte(r.Manifest), &m) == nil && m.APIVersion == translator.JobAPIVersion && m.Kind == translator.KindJob
}

// applyCreated tells whether the `apply` template named template created the object whose UID it reported:
// true only when a UID was recorded before the run and the reported one differs.
func applyCreated(wf *wfv1.Workflow, template string, uid types.UID) bool {
	if uid == "" {
		return false
	}
	raw, ok := wf.Annotations[translator.AnnotationApplyTargets]
	if !ok {
		return false
	}
	var uids map[string]types.UID
	if json.Unmarshal([]byte(raw), &uids) != nil {
		return false
	}
	before, ok := uids[template]
	return ok && before != uid
}
