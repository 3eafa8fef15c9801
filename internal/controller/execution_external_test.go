package controller

import (
	"testing"

	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gstruct"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

func TestExternalRunsCondition(t *testing.T) {
	g := NewWithT(t)
	now := metav1.Now()
	g.Expect(externalRunsCondition(nil, nil, 1, now)).To(BeNil(), "never found: no condition")

	found := externalRunsCondition(nil, []string{"a copy", "a retry"}, 1, now)
	g.Expect(found).To(gstruct.PointTo(gstruct.MatchFields(gstruct.IgnoreExtras, gstruct.Fields{
		"Status": Equal(metav1.ConditionTrue), "Reason": Equal(drv1.ReasonExternalRuns), "Message": Equal("a copy; a retry")})))

	gone := externalRunsCondition([]metav1.Condition{*found}, nil, 1, now)
	g.Expect(gone).To(gstruct.PointTo(gstruct.MatchFields(gstruct.IgnoreExtras, gstruct.Fields{
		"Status": Equal(metav1.ConditionFalse), "Reason": Equal(drv1.ReasonNoExternalRuns)})))
}

func TestNewExternalRunsOnTransitionsOnly(t *testing.T) {
	g := NewWithT(t)
	cond := func(status metav1.ConditionStatus, msg string) []metav1.Condition {
		return []metav1.Condition{{Type: drv1.ConditionExternalRuns, Status: status, Message: msg}}
	}
	g.Expect(newExternalRuns(nil, cond(metav1.ConditionTrue, "a copy"))).To(Equal("a copy"))
	g.Expect(newExternalRuns(cond(metav1.ConditionTrue, "a copy"), cond(metav1.ConditionTrue, "a copy"))).To(BeEmpty())
	g.Expect(newExternalRuns(cond(metav1.ConditionTrue, "a copy"), cond(metav1.ConditionTrue, "a copy; a retry"))).To(Equal("a copy; a retry"))
	g.Expect(newExternalRuns(cond(metav1.ConditionTrue, "a copy"), cond(metav1.ConditionFalse, "none"))).To(BeEmpty())
	g.Expect(newExternalRuns(nil, nil)).To(BeEmpty())
}
