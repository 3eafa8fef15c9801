package engine

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

func TestApprovalExpired(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		timeout time.Duration
		now     time.Time
		want    bool
	}{
		{"no timeout never expires", 0, start.Add(1000 * time.Hour), false},
		{"before the deadline", time.Minute, start.Add(59 * time.Second), false},
		{"at the deadline", time.Minute, start.Add(time.Minute), true},
		{"after the deadline", time.Minute, start.Add(2 * time.Minute), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			NewWithT(t).Expect(ApprovalExpired(start, tc.timeout, tc.now)).To(Equal(tc.want))
		})
	}
}

func TestApprovalTimeoutEnd(t *testing.T) {
	g := NewWithT(t)
	phase, msg := ApprovalTimeoutEnd(30*time.Minute, v1alpha1.ApprovalTimeoutFail)
	g.Expect(phase).To(Equal(v1alpha1.ActionFailed))
	g.Expect(msg).To(Equal("no approval within 30m0s (timeout 30m0s, timeoutOutcome Fail)"))
	g.Expect(EndedByApprovalTimeout(msg)).To(BeTrue())
	phase, msg = ApprovalTimeoutEnd(10*time.Second, v1alpha1.ApprovalTimeoutContinue)
	g.Expect(phase).To(Equal(v1alpha1.ActionSucceeded))
	g.Expect(msg).To(Equal("no approval within 10s: went on without approval (timeoutOutcome Continue)"))
	g.Expect(EndedByApprovalTimeout(msg)).To(BeTrue())
	g.Expect(EndedByApprovalTimeout("approved")).To(BeFalse())
}
