package webhook

import (
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

func TestStampRequester(t *testing.T) {
	const by = drv1.AnnotationPauseRequestedBy
	for _, tc := range []struct {
		name     string
		old, new map[string]string
		want     map[string]string
	}{
		{name: "create without pause: a claimed name is dropped", new: map[string]string{by: "mallory"}, want: map[string]string{}},
		{name: "create paused: the requester is the creator", new: map[string]string{drv1.AnnotationPause: "true", by: "mallory"},
			want: map[string]string{drv1.AnnotationPause: "true", by: "alice"}},
		{name: "pause set", old: map[string]string{}, new: map[string]string{drv1.AnnotationPause: "true"},
			want: map[string]string{drv1.AnnotationPause: "true", by: "alice"}},
		{name: "pause removed", old: map[string]string{drv1.AnnotationPause: "true", by: "bob"}, new: map[string]string{by: "bob"},
			want: map[string]string{by: "alice"}},
		{name: "pause true -> false", old: map[string]string{drv1.AnnotationPause: "true", by: "bob"},
			new: map[string]string{drv1.AnnotationPause: "false", by: "bob"}, want: map[string]string{drv1.AnnotationPause: "false", by: "alice"}},
		{name: "other change: an edited name is put back", old: map[string]string{drv1.AnnotationPause: "true", by: "bob"},
			new:  map[string]string{drv1.AnnotationPause: "true", by: "mallory", "x": "y"},
			want: map[string]string{drv1.AnnotationPause: "true", by: "bob", "x": "y"}},
		{name: "other change: a removed name is put back", old: map[string]string{drv1.AnnotationPause: "true", by: "bob"},
			new: map[string]string{drv1.AnnotationPause: "true"}, want: map[string]string{drv1.AnnotationPause: "true", by: "bob"}},
		{name: "other change: a name added by hand is dropped", old: map[string]string{}, new: map[string]string{by: "mallory"},
			want: map[string]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ex := &drv1.DRPlanExecution{ObjectMeta: metav1.ObjectMeta{Annotations: tc.new}}
			stampRequester(ex, tc.old, "alice", drv1.AnnotationPause, drv1.AnnotationPauseRequestedBy)
			NewWithT(t).Expect(ex.Annotations).To(Equal(tc.want))
		})
	}
}

func TestPauseErrors(t *testing.T) {
	g := NewWithT(t)
	for v, ok := range map[string]bool{"true": true, "false": true, "yes": false, "True": false, "": false} {
		ex := &drv1.DRPlanExecution{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{drv1.AnnotationPause: v}}}
		errs := pauseErrors(ex)
		if ok {
			g.Expect(errs).To(BeEmpty(), v)
			continue
		}
		g.Expect(errs.ToAggregate().Error()).To(ContainSubstring(`metadata.annotations[dr.bkbcs.tencent.com/pause]: Unsupported value: "` + v + `"`))
	}
	g.Expect(pauseErrors(&drv1.DRPlanExecution{})).To(BeEmpty())
}

func TestStampApproveRequester(t *testing.T) {
	g := NewWithT(t)
	old := map[string]string{drv1.AnnotationPause: "true", drv1.AnnotationPauseRequestedBy: "bob"}
	ex := &drv1.DRPlanExecution{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{
		drv1.AnnotationPause: "true", drv1.AnnotationPauseRequestedBy: "bob", drv1.AnnotationApprove: "go-ahead"}}}
	stampRequester(ex, old, "carol", drv1.AnnotationPause, drv1.AnnotationPauseRequestedBy)
	stampRequester(ex, old, "carol", drv1.AnnotationApprove, drv1.AnnotationApproveRequestedBy)
	g.Expect(ex.Annotations).To(Equal(map[string]string{drv1.AnnotationPause: "true", drv1.AnnotationPauseRequestedBy: "bob",
		drv1.AnnotationApprove: "go-ahead", drv1.AnnotationApproveRequestedBy: "carol"}))
}
