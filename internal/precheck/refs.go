package precheck

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/translator"
)

// reference is an object the action's object needs to exist when the run sends it.
type reference struct {
	APIVersion, Kind, Namespace, Name string
	// Via says where the object names it: "feeds[0]", "volume config", "envFrom of container main".
	Via      string
	Optional bool
}

func (r reference) String() string { return fmt.Sprintf("%s %s/%s", r.Kind, r.Namespace, r.Name) }

// references lists what a Create or Apply needs: the feeds of a Clusternet Subscription, and the Secrets and
// ConfigMaps a Job's pod template names (volumes, envFrom, env valueFrom). ns is the object's namespace.
func references(req *translator.ResourceRequest, ns string) []reference {
	if req.Operation != v1alpha1.OperationCreate && req.Operation != v1alpha1.OperationApply {
		return nil
	}
	switch {
	case req.Kind == translator.KindSubscription && req.APIVersion == translator.ClusternetAPIVersion:
		return feeds(req.Object, ns)
	case req.Kind == translator.KindJob && req.APIVersion == translator.JobAPIVersion:
		// Through JSON: the rendered object holds json.Number, which the unstructured converter refuses.
		job := &batchv1.Job{}
		data, err := json.Marshal(req.Object)
		if err != nil || json.Unmarshal(data, job) != nil {
			return nil // the dry run reports a malformed Job
		}
		return podReferences(&job.Spec.Template.Spec, ns)
	}
	return nil
}

func feeds(obj map[string]any, ns string) []reference {
	list, _, _ := unstructured.NestedSlice(obj, "spec", "feeds")
	var out []reference
	for i, f := range list {
		m, ok := f.(map[string]any)
		if !ok {
			continue
		}
		str := func(k string) string { s, _ := m[k].(string); return s }
		r := reference{APIVersion: str("apiVersion"), Kind: str("kind"), Namespace: str("namespace"), Name: str("name"),
			Via: fmt.Sprintf("spec.feeds[%d]", i)}
		if r.Namespace == "" {
			r.Namespace = ns
		}
		if r.Kind != "" && r.Name != "" {
			out = append(out, r)
		}
	}
	return out
}

func podReferences(spec *corev1.PodSpec, ns string) []reference {
	var out []reference
	add := func(kind, name, via string, optional *bool) {
		if name != "" {
			out = append(out, reference{APIVersion: "v1", Kind: kind, Namespace: ns, Name: name, Via: via,
				Optional: optional != nil && *optional})
		}
	}
	for _, v := range spec.Volumes {
		if v.ConfigMap != nil {
			add("ConfigMap", v.ConfigMap.Name, "volume "+v.Name, v.ConfigMap.Optional)
		}
		if v.Secret != nil {
			add("Secret", v.Secret.SecretName, "volume "+v.Name, v.Secret.Optional)
		}
	}
	for _, c := range append(append([]corev1.Container(nil), spec.InitContainers...), spec.Containers...) {
		for _, e := range c.EnvFrom {
			if e.ConfigMapRef != nil {
				add("ConfigMap", e.ConfigMapRef.Name, "envFrom of container "+c.Name, e.ConfigMapRef.Optional)
			}
			if e.SecretRef != nil {
				add("Secret", e.SecretRef.Name, "envFrom of container "+c.Name, e.SecretRef.Optional)
			}
		}
		for _, e := range c.Env {
			if e.ValueFrom == nil {
				continue
			}
			if r := e.ValueFrom.ConfigMapKeyRef; r != nil {
				add("ConfigMap", r.Name, fmt.Sprintf("env %s of container %s", e.Name, c.Name), r.Optional)
			}
			if r := e.ValueFrom.SecretKeyRef; r != nil {
				add("Secret", r.Name, fmt.Sprintf("env %s of container %s", e.Name, c.Name), r.Optional)
			}
		}
	}
	return out
}

// checkReferences reads each reference as the executor. It returns the problems (a missing object nobody
// in the plan creates) and notes (what could not be read, what an earlier action creates).
func (c *Checker) checkReferences(ctx context.Context, ir *translator.IR, sa saRef, refs []reference, created map[string]string) (problems, notes []string) {
	cl, err := c.client(sa)
	if err != nil {
		return []string{err.Error()}, nil
	}
	for _, r := range refs {
		gv, err := schema.ParseGroupVersion(r.APIVersion)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s names %s with apiVersion %q: %v", r.Via, r, r.APIVersion, err))
			continue
		}
		mapping, err := c.Mapper.RESTMapping(schema.GroupKind{Group: gv.Group, Kind: r.Kind}, gv.Version)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s names %s, a kind this cluster does not serve", r.Via, r))
			continue
		}
		ri := cl.Resource(mapping.Resource)
		if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
			_, err = ri.Namespace(r.Namespace).Get(ctx, r.Name, metav1.GetOptions{})
		} else {
			_, err = ri.Get(ctx, r.Name, metav1.GetOptions{})
		}
		key := ObjectKey(ir, &translator.ResourceRequest{APIVersion: r.APIVersion, Kind: r.Kind, Namespace: r.Namespace}, r.Name)
		switch {
		case err == nil:
		case apierrors.IsNotFound(err) && created[key] != "":
			notes = append(notes, fmt.Sprintf("%s (%s) is created by action %s", r, r.Via, created[key]))
		case apierrors.IsNotFound(err) && r.Optional:
		case apierrors.IsNotFound(err):
			problems = append(problems, fmt.Sprintf("%s names %s, which does not exist", r.Via, r))
		case apierrors.IsForbidden(err):
			notes = append(notes, fmt.Sprintf("%s (%s) not verified: ServiceAccount %s may not get it", r, r.Via, sa))
		default:
			problems = append(problems, fmt.Sprintf("reading %s (%s): %s", r, r.Via, apierrors.ReasonForError(err)))
		}
	}
	return problems, notes
}

// withReferences folds the reference checks into a passed dry run's verdict.
func withReferences(v verdict, problems, notes []string) verdict {
	if v.phase != v1alpha1.ActionSucceeded {
		return v
	}
	if len(problems) > 0 {
		return failed("%s", strings.Join(problems, "; "))
	}
	if len(notes) > 0 {
		v.message += "; " + strings.Join(notes, "; ")
	}
	return v
}
