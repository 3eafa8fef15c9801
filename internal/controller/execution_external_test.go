package controller

import (
	"testing"

	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gstruct"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

func TestExternalChangesCondition(t *testing.T) {
	g := NewWithT(t)
	now := metav1.Now()
	g.Expect(externalChangesCondition(nil, nil, 1, now)).To(BeNil(), "never found: no condition")

	found := externalChangesCondition(nil, []string{"a copy", "a retry"}, 1, now)
	g.Expect(found).To(gstruct.PointTo(gstruct.MatchFields(gstruct.IgnoreExtras, gstruct.Fields{
		"Status": Equal(metav1.ConditionTrue), "Reason": Equal(drv1.ReasonExternalChanges), "Message": Equal("a copy; a retry")})))

	gone := externalChangesCondition([]metav1.Condition{*found}, nil, 1, now)
	g.Expect(gone).To(gstruct.PointTo(gstruct.MatchFields(gstruct.IgnoreExtras, gstruct.Fields{
		"Status": Equal(metav1.ConditionFalse), "Reason": Equal(drv1.ReasonNoExternalChanges)})))
}

func TestNewExternalChangesOnTransitionsOnly(t *testing.T) {
	g := NewWithT(t)
	cond := func(status metav1.ConditionStatus, msg string) []metav1.Condition {
		return []metav1.Condition{{Type: drv1.ConditionExternalChanges, Status: status, Message: msg}}
	}
	g.Expect(newExternalChanges(nil, cond(metav1.ConditionTrue, "a copy"))).To(Equal("a copy"))
	g.Expect(newExternalChanges(cond(metav1.ConditionTrue, "a copy"), cond(metav1.ConditionTrue, "a copy"))).To(BeEmpty())
	g.Expect(newExternalChanges(cond(metav1.ConditionTrue, "a copy"), cond(metav1.ConditionTrue, "a copy; a retry"))).To(Equal("a copy; a retry"))
	g.Expect(newExternalChanges(cond(metav1.ConditionTrue, "a copy"), cond(metav1.ConditionFalse, "none"))).To(BeEmpty())
	g.Expect(newExternalChanges(nil, nil)).To(BeEmpty())
}
