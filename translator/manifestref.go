package translator

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/util/jsonpath"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// Reading a parameter's valueFrom.manifestRef from objects already at hand: the operator lists them as the
// executor ServiceAccount; drplanctl takes them from the files it was given (Objects.Others).

// ErrNotReadable marks a value that cannot be read from the objects there are (no match, several for
// Single, a missing field): trying again does not help.
var ErrNotReadable = errors.New("not readable")

// ParseJSONPath parses a manifestRef's jsonPath (kubectl's syntax, e.g. {.data.endpoint}).
func ParseJSONPath(expr string) (*jsonpath.JSONPath, error) {
	if strings.TrimSpace(expr) == "" {
		return nil, fmt.Errorf("must be a JSONPath such as {.data.endpoint}")
	}
	jp := jsonpath.New("manifestRef")
	if err := jp.Parse(expr); err != nil {
		return nil, fmt.Errorf("not a JSONPath: %v", err)
	}
	return jp, nil
}

// SelectObject chooses among a label selector's matches: Last (default) the newest by creationTimestamp,
// First the oldest (ties by name, so the choice is stable), Single exactly one, Any the first listed.
func SelectObject(items []unstructured.Unstructured, sel v1alpha1.ManifestSelect) (*unstructured.Unstructured, error) {
	if len(items) == 0 {
		return nil, fmt.Errorf("%w: no object matches", ErrNotReadable)
	}
	switch sel {
	case v1alpha1.SelectAny:
		return &items[0], nil
	case v1alpha1.SelectSingle:
		if len(items) != 1 {
			return nil, fmt.Errorf("%w: %d objects match and select is Single", ErrNotReadable, len(items))
		}
		return &items[0], nil
	}
	sorted := append([]unstructured.Unstructured(nil), items...)
	sort.SliceStable(sorted, func(i, j int) bool {
		ti, tj := sorted[i].GetCreationTimestamp(), sorted[j].GetCreationTimestamp()
		if !ti.Equal(&tj) {
			return ti.Before(&tj)
		}
		return sorted[i].GetName() < sorted[j].GetName()
	})
	if sel == v1alpha1.SelectFirst {
		return &sorted[0], nil
	}
	return &sorted[len(sorted)-1], nil
}

// ReadField evaluates a manifestRef's JSONPath on obj; a missing field is an error, not an empty value.
func ReadField(obj *unstructured.Unstructured, path string) (string, error) {
	jp, err := ParseJSONPath(path)
	if err != nil {
		return "", fmt.Errorf("%w: jsonPath: %v", ErrNotReadable, err)
	}
	var buf bytes.Buffer
	if err := jp.Execute(&buf, obj.Object); err != nil {
		return "", fmt.Errorf("%w: %s %s: %s: %v", ErrNotReadable, obj.GetKind(), obj.GetName(), path, err)
	}
	return buf.String(), nil
}

// offlineReader reads manifestRefs from objs (drplanctl: the non-DR objects of its input files), in
// namespace ns unless the reference names one.
func offlineReader(objs []*unstructured.Unstructured, ns string) ValueReader {
	return func(_ string, ref *v1alpha1.ManifestRef) (string, error) {
		want := ns
		if ref.Namespace != "" {
			want = ref.Namespace
		}
		sel := labels.Everything()
		if ref.LabelSelector != "" {
			s, err := labels.Parse(ref.LabelSelector)
			if err != nil {
				return "", fmt.Errorf("%w: labelSelector: %v", ErrNotReadable, err)
			}
			sel = s
		}
		var matches []unstructured.Unstructured
		for _, o := range objs {
			if o.GetAPIVersion() == ref.APIVersion && o.GetKind() == ref.Kind && o.GetNamespace() == want &&
				(ref.Name == "" || o.GetName() == ref.Name) && sel.Matches(labels.Set(o.GetLabels())) {
				matches = append(matches, *o)
			}
		}
		if ref.Name != "" && len(matches) == 0 {
			return "", fmt.Errorf("%w: %s %s/%s is not among the objects given (drplanctl reads none from a cluster)", ErrNotReadable, ref.Kind, want, ref.Name)
		}
		obj, err := SelectObject(matches, ref.Select)
		if err != nil {
			return "", fmt.Errorf("%s in %s with %s, among the objects given: %w", ref.Kind, want, ref.LabelSelector, err)
		}
		return ReadField(obj, ref.JSONPath)
	}
}
