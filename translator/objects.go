package translator

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// Objects is a set of DR objects read from YAML, for offline translation (drplanctl, tests). Objects without
// a namespace are treated as being in DefaultNamespace.
type Objects struct {
	Workflows  []*v1alpha1.DRWorkflow
	Plans      []*v1alpha1.DRPlan
	Executions []*v1alpha1.DRPlanExecution
	// Others are the documents of other kinds, where a parameter's valueFrom is read offline.
	Others []*unstructured.Unstructured
}

// DefaultNamespace is the namespace of objects read without one.
const DefaultNamespace = "default"

// Problem is one thing wrong with an object: its kind/namespace/name, the field path and the reason.
type Problem struct {
	Object string
	Field  string
	Reason string
}

func (p Problem) String() string {
	if p.Field == "" {
		return fmt.Sprintf("%s: %s", p.Object, p.Reason)
	}
	return fmt.Sprintf("%s: %s: %s", p.Object, p.Field, p.Reason)
}

// ReadObjects decodes every DRWorkflow, DRPlan and DRPlanExecution of a multi-document YAML stream (strictly:
// unknown fields are errors). Documents of other kinds are kept in Others. source names the stream in errors.
func (o *Objects) ReadObjects(r io.Reader, source string) error {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(r))
	for doc := 1; ; doc++ {
		data, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: document %d: %w", source, doc, err)
		}
		if len(bytes.TrimSpace(data)) == 0 {
			continue
		}
		var meta metav1.TypeMeta
		if err := yaml.Unmarshal(data, &meta); err != nil {
			return fmt.Errorf("%s: document %d: %w", source, doc, err)
		}
		if meta.APIVersion != v1alpha1.GroupVersion.String() {
			if err := o.keepOther(data); err != nil {
				return fmt.Errorf("%s: document %d (%s): %w", source, doc, meta.Kind, err)
			}
			continue
		}
		var target any
		switch meta.Kind {
		case "DRWorkflow":
			wf := &v1alpha1.DRWorkflow{}
			o.Workflows, target = append(o.Workflows, wf), wf
		case "DRPlan":
			p := &v1alpha1.DRPlan{}
			o.Plans, target = append(o.Plans, p), p
		case "DRPlanExecution":
			e := &v1alpha1.DRPlanExecution{}
			o.Executions, target = append(o.Executions, e), e
		default:
			if err := o.keepOther(data); err != nil {
				return fmt.Errorf("%s: document %d (%s): %w", source, doc, meta.Kind, err)
			}
			continue
		}
		if err := yaml.UnmarshalStrict(data, target); err != nil {
			return fmt.Errorf("%s: document %d (%s): %w", source, doc, meta.Kind, err)
		}
		if m, ok := target.(metav1.Object); ok && m.GetNamespace() == "" {
			m.SetNamespace(DefaultNamespace)
		}
	}
}

func (o *Objects) workflow(namespace, name string) *v1alpha1.DRWorkflow {
	for _, wf := range o.Workflows {
		if wf.Namespace == namespace && wf.Name == name {
			return wf
		}
	}
	return nil
}

func (o *Objects) plan(namespace, name string) *v1alpha1.DRPlan {
	for _, p := range o.Plans {
		if p.Namespace == namespace && p.Name == name {
			return p
		}
	}
	return nil
}

func (o *Objects) execution(namespace, name string) *v1alpha1.DRPlanExecution {
	for _, e := range o.Executions {
		if e.Namespace == namespace && e.Name == name {
			return e
		}
	}
	return nil
}

// keepOther adds a document of another kind to Others, in DefaultNamespace when it names none (as
// kubectl apply would; a cluster-scoped object's namespace is never asked for).
func (o *Objects) keepOther(data []byte) error {
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(data, &u.Object); err != nil {
		return err
	}
	if u.GetNamespace() == "" {
		u.SetNamespace(DefaultNamespace)
	}
	o.Others = append(o.Others, u)
	return nil
}
