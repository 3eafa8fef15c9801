package translator

import (
	"errors"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

func objAt(name string, minute int) unstructured.Unstructured {
	u := unstructured.Unstructured{Object: map[string]any{"kind": "ConfigMap", "data": map[string]any{"who": name}}}
	u.SetName(name)
	u.SetCreationTimestamp(metav1.NewTime(time.Date(2026, 1, 1, 10, minute, 0, 0, time.UTC)))
	return u
}

func TestSelectObject(t *testing.T) {
	items := []unstructured.Unstructured{objAt("b", 5), objAt("c", 9), objAt("a", 1), objAt("z", 9)}
	cases := []struct {
		name    string
		items   []unstructured.Unstructured
		sel     v1alpha1.ManifestSelect
		want    string
		wantErr string
	}{
		{"Last (default) is the newest; a tie goes to the later name", items, "", "z", ""},
		{"Last", items, v1alpha1.SelectLast, "z", ""},
		{"First is the oldest", items, v1alpha1.SelectFirst, "a", ""},
		{"Any is the first listed", items, v1alpha1.SelectAny, "b", ""},
		{"Single with one match", items[:1], v1alpha1.SelectSingle, "b", ""},
		{"Single with several matches fails", items, v1alpha1.SelectSingle, "", "4 objects match and select is Single"},
		{"no match fails", nil, "", "", "no object matches"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			got, err := SelectObject(c.items, c.sel)
			if c.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(c.wantErr)))
				g.Expect(errors.Is(err, ErrNotReadable)).To(BeTrue(), "permanent: the execution fails naming the parameter")
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got.GetName()).To(Equal(c.want))
		})
	}
}

func TestReadField(t *testing.T) {
	obj := objAt("cm", 0)
	obj.Object["spec"] = map[string]any{"replicas": int64(4)}
	cases := []struct {
		name, path, want, wantErr string
	}{
		{"a string field", "{.data.who}", "cm", ""},
		{"a number field prints as written", "{.spec.replicas}", "4", ""},
		{"text around the field", "replicas={.spec.replicas}", "replicas=4", ""},
		{"a missing field fails", "{.data.nope}", "", "nope is not found"},
		{"a bad expression fails", "{.data[", "", "not a JSONPath"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			got, err := ReadField(&obj, c.path)
			if c.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(c.wantErr)))
				g.Expect(errors.Is(err, ErrNotReadable)).To(BeTrue())
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(c.want))
		})
	}
}
