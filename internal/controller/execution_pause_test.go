package controller

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

func pausedEx(pause, by string, conds ...metav1.Condition) *drv1.DRPlanExecution {
	ex := &drv1.DRPlanExecution{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{}}}
	if pause != "" {
		ex.Annotations[drv1.AnnotationPause] = pause
	}
	if by != "" {
		ex.Annotations[drv1.AnnotationPauseRequestedBy] = by
	}
	ex.Status.Phase = pR
	ex.Status.Conditions = conds
	return ex
}

func cond(status metav1.ConditionStatus, reason string) metav1.Condition {
	return metav1.Condition{Type: drv1.ConditionPaused, Status: status, Reason: reason}
}

func TestPausedCondition(t *testing.T) {
	now := metav1.NewTime(time.Unix(100, 0))
	for _, tc := range []struct {
		name        string
		ex          *drv1.DRPlanExecution
		running     int32
		want        *metav1.ConditionStatus
		reason, msg string
	}{
		{name: "never paused: no condition", ex: pausedEx("", "")},
		{name: "pause false, never paused: no condition", ex: pausedEx("false", "alice")},
		{name: "paused with a running action: Pausing", ex: pausedEx("true", "alice"), running: 2, reason: drv1.ReasonPausing,
			msg: "paused by alice: no new action starts; 2 running action(s) finishing"},
		{name: "paused, nothing running: Paused", ex: pausedEx("true", "alice"), reason: drv1.ReasonPaused,
			msg: "paused by alice: no action is running and none starts until the pause annotation is removed"},
		{name: "paused without the webhook: unknown user", ex: pausedEx("true", ""), reason: drv1.ReasonPaused,
			msg: "paused by " + unknownUser + ": no action is running and none starts until the pause annotation is removed"},
		{name: "resumed by removing the annotation", ex: pausedEx("", "bob", cond(metav1.ConditionTrue, drv1.ReasonPaused)),
			reason: drv1.ReasonNotPaused, msg: "resumed by bob"},
		{name: "resumed with false", ex: pausedEx("false", "bob", cond(metav1.ConditionTrue, drv1.ReasonPausing)),
			reason: drv1.ReasonNotPaused, msg: "resumed by bob"},
		{name: "a value other than true does not pause", ex: pausedEx("yes", "bob", cond(metav1.ConditionTrue, drv1.ReasonPaused)),
			reason: drv1.ReasonNotPaused, msg: "resumed by bob"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			c := pausedCondition(tc.ex, tc.running, 3, now)
			if tc.reason == "" {
				g.Expect(c).To(BeNil())
				return
			}
			g.Expect(c).NotTo(BeNil())
			wantStatus := metav1.ConditionTrue
			if tc.reason == drv1.ReasonNotPaused {
				wantStatus = metav1.ConditionFalse
			}
			g.Expect(*c).To(Equal(metav1.Condition{Type: drv1.ConditionPaused, Status: wantStatus, Reason: tc.reason,
				Message: tc.msg, ObservedGeneration: 3, LastTransitionTime: now}))
		})
	}
}

func TestPauseTransition(t *testing.T) {
	for _, tc := range []struct {
		name          string
		before, after []metav1.Condition
		want          string
	}{
		{name: "no condition either side", want: ""},
		{name: "paused", after: []metav1.Condition{cond(metav1.ConditionTrue, drv1.ReasonPausing)}, want: "Paused"},
		{name: "pausing to paused is no new transition", before: []metav1.Condition{cond(metav1.ConditionTrue, drv1.ReasonPausing)},
			after: []metav1.Condition{cond(metav1.ConditionTrue, drv1.ReasonPaused)}, want: ""},
		{name: "resumed", before: []metav1.Condition{cond(metav1.ConditionTrue, drv1.ReasonPaused)},
			after: []metav1.Condition{cond(metav1.ConditionFalse, drv1.ReasonNotPaused)}, want: "Resumed"},
		{name: "paused again", before: []metav1.Condition{cond(metav1.ConditionFalse, drv1.ReasonNotPaused)},
			after: []metav1.Condition{cond(metav1.ConditionTrue, drv1.ReasonPaused)}, want: "Paused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			NewWithT(t).Expect(pauseTransition(tc.before, tc.after)).To(Equal(tc.want))
		})
	}
}

func TestMayStartEntry(t *testing.T) {
	for _, tc := range []struct {
		pause string
		phase drv1.ExecutionPhase
		want  bool
	}{
		{"", "", true}, {"", pP, true}, {"", pR, true},
		{"true", "", false}, {"true", pP, false}, {"true", pR, true},
		{"false", pP, true},
	} {
		ex := pausedEx(tc.pause, "")
		got := mayStartEntry(ex, &drv1.WorkflowExecutionStatus{Phase: tc.phase})
		NewWithT(t).Expect(got).To(Equal(tc.want), "pause %q phase %q", tc.pause, tc.phase)
	}
}

func TestNotePauseEndsWithTheExecution(t *testing.T) {
	g := NewWithT(t)
	now := metav1.NewTime(time.Unix(100, 0))
	ex := pausedEx("true", "alice", cond(metav1.ConditionTrue, drv1.ReasonPaused))
	ex.Status.Phase = pC
	notePause(ex, now)
	c := meta.FindStatusCondition(ex.Status.Conditions, drv1.ConditionPaused)
	g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(c.Message).To(Equal("the execution ended while paused: Canceled"))

	running := pausedEx("true", "alice")
	running.Status.Summary = &drv1.ExecutionSummary{Running: 1}
	notePause(running, now)
	g.Expect(meta.FindStatusCondition(running.Status.Conditions, drv1.ConditionPaused).Reason).To(Equal(drv1.ReasonPausing))
}
