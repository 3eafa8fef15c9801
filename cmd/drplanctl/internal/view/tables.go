package view

import (
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// Executions prints one row per execution, newest first: what `drplanctl get` lists.
func Executions(w io.Writer, list []drv1.DRPlanExecution, now time.Time, s Style) error {
	items := append([]drv1.DRPlanExecution(nil), list...)
	sort.SliceStable(items, func(i, j int) bool {
		return items[j].CreationTimestamp.Before(&items[i].CreationTimestamp)
	})
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "NAME\tPLAN\tOPERATION\t%s\tPROGRESS\tDURATION\tAGE\tMESSAGE\n", s.phaseHeader())
	for i := range items {
		ex := &items[i]
		created := ex.CreationTimestamp
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", ex.Name, ex.Spec.PlanRef, ex.Spec.GetOperationType(),
			s.phase(string(orPending(ex.Status.Phase))), orDash(ex.Status.Progress),
			elapsed(ex.Status.StartTime, ex.Status.CompletionTime, now), age(&created, now), clip(ex.Status.Message, messageWidth))
	}
	return tw.Flush()
}

// History prints a plan's status.executionHistory (newest first, as the operator keeps it), with the running
// execution on top when there is one.
func History(w io.Writer, plan *drv1.DRPlan, now time.Time, s Style) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", "EXECUTION", "OPERATION", s.phaseHeader(),
		"STARTED", "COMPLETED", "DURATION")
	if cur := plan.Status.CurrentExecution; cur != nil {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", cur.Name, "-", s.phase("Running"), "-", "-", "-")
	}
	for _, r := range plan.Status.ExecutionHistory {
		op := r.OperationType
		if op == "" {
			op = drv1.OperationExecute
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, op, s.phase(string(orPending(r.Phase))),
			timestamp(r.StartTime), timestamp(r.CompletionTime), elapsed(r.StartTime, r.CompletionTime, now))
	}
	if plan.Status.CurrentExecution == nil && len(plan.Status.ExecutionHistory) == 0 {
		fmt.Fprintf(tw, "(no execution of plan %s yet)\n", plan.Name)
	}
	return tw.Flush()
}

// Describe prints one execution in detail, kubectl describe style: what was asked, where it stands, its
// conditions, the tree with whole messages and outputs, and the events recorded for it (oldest first).
func Describe(w io.Writer, ex *drv1.DRPlanExecution, events []corev1.Event, now time.Time, s Style) error {
	st := &ex.Status
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	field := func(k, v string) { fmt.Fprintf(tw, "%s:\t%s\n", k, v) }
	field("Name", ex.Name)
	field("Namespace", ex.Namespace)
	field("Plan", ex.Spec.PlanRef)
	field("Operation", string(ex.Spec.GetOperationType()))
	if ex.Spec.RevertExecutionRef != "" {
		field("Reverts", ex.Spec.RevertExecutionRef)
	}
	if ex.IsCancelRequested() {
		field("Cancel", "requested")
	}
	field("Phase", s.phase(string(orPending(st.Phase))))
	field("Progress", orDash(st.Progress))
	field("Started", timestamp(st.StartTime))
	field("Completed", timestamp(st.CompletionTime))
	field("Duration", elapsed(st.StartTime, st.CompletionTime, now))
	field("Message", orDash(st.Message))
	if sm := st.Summary; sm != nil {
		field("Actions", fmt.Sprintf("%d total, %d succeeded, %d failed, %d running, %d pending, %d skipped, %d canceled",
			sm.Total, sm.Succeeded, sm.Failed, sm.Running, sm.Pending, sm.Skipped, sm.Canceled))
	}
	for _, p := range ex.Spec.Params {
		field("Param "+p.Name, p.Value)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(w, "\nConditions:")
	if len(st.Conditions) == 0 {
		fmt.Fprintln(w, "  <none>")
	} else {
		tw = tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "  TYPE\tSTATUS\tREASON\tAGE\tMESSAGE")
		for _, c := range st.Conditions {
			t := c.LastTransitionTime
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", c.Type, c.Status, c.Reason, age(&t, now), c.Message)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}

	fmt.Fprintln(w, "\nRun:")
	if err := Tree(w, ex, now, s); err != nil {
		return err
	}
	if err := details(w, ex); err != nil {
		return err
	}

	fmt.Fprintln(w, "\nEvents:")
	if len(events) == 0 {
		fmt.Fprintln(w, "  <none>")
		return nil
	}
	sort.SliceStable(events, func(i, j int) bool { return eventTime(&events[i]).Before(eventTime(&events[j])) })
	tw = tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "  TYPE\tREASON\tAGE\tFROM\tMESSAGE")
	for i := range events {
		e := &events[i]
		t := metav1.NewTime(eventTime(e))
		from := e.ReportingController
		if from == "" {
			from = e.Source.Component
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", e.Type, e.Reason, age(&t, now), orDash(from), e.Message)
	}
	return tw.Flush()
}

// details lists, per action, what the tree cuts short: the whole message and the outputs.
func details(w io.Writer, ex *drv1.DRPlanExecution) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	wrote := false
	for _, list := range [][]drv1.StageStatus{ex.Status.StageStatuses, ex.Status.RollbackStageStatuses} {
		for _, stg := range list {
			for _, we := range stg.WorkflowExecutions {
				for _, a := range we.ActionStatuses {
					lines := outputLines(a)
					if a.Message != "" {
						lines = append([]string{"message: " + a.Message}, lines...)
					}
					if len(lines) == 0 {
						continue
					}
					if !wrote {
						fmt.Fprintln(tw, "\nActions:")
						wrote = true
					}
					for i, l := range lines {
						name := ""
						if i == 0 {
							name = fmt.Sprintf("%s/%s/%s", stg.Name, we.WorkflowRef.Name, a.Name)
						}
						fmt.Fprintf(tw, "  %s\t%s\n", name, l)
					}
				}
			}
		}
	}
	return tw.Flush()
}

func outputLines(a drv1.ActionStatus) []string {
	o := a.Outputs
	if o == nil {
		return nil
	}
	var out []string
	ref := func(label string, r *drv1.ResourceRef) {
		if r != nil {
			out = append(out, fmt.Sprintf("%s: %s %s/%s", label, r.Kind, r.Namespace, r.Name))
		}
	}
	ref("job", o.JobRef)
	ref("localization", o.LocalizationRef)
	ref("subscription", o.SubscriptionRef)
	if r := o.GlobalizationRef; r != nil {
		out = append(out, fmt.Sprintf("globalization: %s %s", r.Kind, r.Name)) // cluster scoped
	}
	ref("resource", o.ResourceRef)
	if h := o.HTTPResponse; h != nil {
		out = append(out, fmt.Sprintf("http: %d %s", h.StatusCode, clip(h.Body, messageWidth)))
	}
	return out
}

// eventTime is when an event last happened, whichever API wrote it.
func eventTime(e *corev1.Event) time.Time {
	switch {
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	case e.Series != nil && !e.Series.LastObservedTime.IsZero():
		return e.Series.LastObservedTime.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	}
	return e.CreationTimestamp.Time
}
