package nativeexec

import (
	"testing"

	. "github.com/onsi/gomega"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestJobOutcome(t *testing.T) {
	cond := func(typ batchv1.JobConditionType, reason, msg string) []batchv1.JobCondition {
		return []batchv1.JobCondition{{Type: typ, Status: corev1.ConditionTrue, Reason: reason, Message: msg}}
	}
	for name, tc := range map[string]struct {
		status  batchv1.JobStatus
		done    bool
		failure string
	}{
		"no pods yet":                    {},
		"active":                         {status: batchv1.JobStatus{Active: 1}},
		"failed pods within the limit":   {status: batchv1.JobStatus{Failed: 2, Active: 1}},
		"succeeded pod":                  {status: batchv1.JobStatus{Succeeded: 1}, done: true},
		"Complete condition":             {status: batchv1.JobStatus{Conditions: cond(batchv1.JobComplete, "", "")}, done: true},
		"failed pods past backoffLimit":  {status: batchv1.JobStatus{Failed: 3}, done: true, failure: "3 pods failed (backoffLimit 2)"},
		"Failed condition with a reason": {status: batchv1.JobStatus{Conditions: cond(batchv1.JobFailed, "DeadlineExceeded", "Job was active longer than specified deadline")}, done: true, failure: "DeadlineExceeded: Job was active longer than specified deadline"},
	} {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			done, failure := jobOutcome(&batchv1.Job{Status: tc.status}, 2)
			g.Expect(done).To(Equal(tc.done))
			g.Expect(failure).To(Equal(tc.failure))
		})
	}
}

func TestAdoptsOnlyJobsWithThisRunsLabels(t *testing.T) {
	g := NewWithT(t)
	wanted := map[string]any{"metadata": map[string]any{"labels": map[string]any{
		labelPrefix + "execution": "ex", labelPrefix + "action": "verify", "team": "dr"}}}
	existing := &unstructured.Unstructured{}
	existing.SetLabels(map[string]string{labelPrefix + "execution": "ex", labelPrefix + "action": "verify"})
	g.Expect(sameRunLabels(existing, wanted)).To(BeTrue(), "labels of the user's template do not matter")
	existing.SetLabels(map[string]string{labelPrefix + "execution": "other", labelPrefix + "action": "verify"})
	g.Expect(sameRunLabels(existing, wanted)).To(BeFalse())
	existing.SetLabels(nil)
	g.Expect(sameRunLabels(existing, wanted)).To(BeFalse())
}
