package main

import (
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

func TestFitCutsFramesToTheTerminal(t *testing.T) {
	g := NewWithT(t)
	frame := "NAME  \x1b[32mSucceeded\x1b[0m  a long message here\nb\nc\nd\ne\n"
	size := func(cols, rows int) func() (int, int, error) {
		return func() (int, int, error) { return cols, rows, nil }
	}
	// Wide and tall enough: unchanged, and a blank line before the footer.
	g.Expect(fit(frame, size(200, 50))).To(Equal(frame + "\n"))
	// Width counts what shows: the colour codes stay, the message is cut.
	got := strings.Split(fit(frame, size(20, 50)), "\n")[0]
	g.Expect(got).To(Equal("NAME  \x1b[32mSucceeded\x1b[0m  a …"))
	// Height: the rows less the footer and the blank line, the last of them saying what is hidden.
	g.Expect(fit(frame, size(200, 5))).To(Equal("NAME  \x1b[32mSucceeded\x1b[0m  a long message here\nb\n… 3 more lines (a taller terminal shows them)\n\n"))
	// Not a terminal: as is.
	g.Expect(fit(frame, nil)).To(Equal(frame + "\n"))
}

func TestPlainFramesReadAsOfTheLastStatusChange(t *testing.T) {
	g := NewWithT(t)
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	at := func(s int) *metav1.Time { m := metav1.NewTime(t0.Add(time.Duration(s) * time.Second)); return &m }
	ex := &drv1.DRPlanExecution{ObjectMeta: metav1.ObjectMeta{CreationTimestamp: *at(0)}}
	ex.Status.StartTime = at(1)
	ex.Status.StageStatuses = []drv1.StageStatus{{Name: "s", StartTime: at(2), WorkflowExecutions: []drv1.WorkflowExecutionStatus{{
		ActionStatuses: []drv1.ActionStatus{{Name: "a", StartTime: at(3), CompletionTime: at(9)}, {Name: "b", StartTime: at(9)}}}}}}
	g.Expect(frozen(ex)).To(Equal(t0.Add(9 * time.Second)))
	ex.Status.CompletionTime = at(12)
	g.Expect(frozen(ex)).To(Equal(t0.Add(12 * time.Second)))
}
