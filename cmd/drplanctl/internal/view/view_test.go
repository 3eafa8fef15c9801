package view

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func at(sec int) *metav1.Time {
	t := metav1.NewTime(t0.Add(time.Duration(sec) * time.Second))
	return &t
}

// failedRun is an execution whose second stage failed after a retry, and whose rollback ran.
func failedRun() *drv1.DRPlanExecution {
	return &drv1.DRPlanExecution{
		ObjectMeta: metav1.ObjectMeta{Name: "run-1", Namespace: "shop", CreationTimestamp: metav1.NewTime(t0)},
		Spec:       drv1.DRPlanExecutionSpec{PlanRef: "failover"},
		Status: drv1.DRPlanExecutionStatus{
			Phase: drv1.ExecutionFailed, StartTime: at(0), CompletionTime: at(95), Message: "stage dns failed",
			StageStatuses: []drv1.StageStatus{
				{Name: "traffic", Phase: drv1.ExecutionSucceeded, StartTime: at(0), CompletionTime: at(30),
					WorkflowExecutions: []drv1.WorkflowExecutionStatus{{
						WorkflowRef: drv1.ObjectReference{Name: "shift"}, Engine: drv1.ExecutorArgo, Progress: "2/2",
						ArgoWorkflow: &drv1.ArgoWorkflowRef{Name: "run-1-traffic-0-shift"}, Phase: drv1.ExecutionSucceeded,
						StartTime: at(0), CompletionTime: at(30),
						ActionStatuses: []drv1.ActionStatus{
							{Name: "notify", Phase: drv1.ActionSucceeded, StartTime: at(0), CompletionTime: at(2), RetryCount: 1},
							{Name: "promote", Phase: drv1.ActionSucceeded, StartTime: at(2), CompletionTime: at(30)},
						},
					}}},
				{Name: "dns", Phase: drv1.ExecutionFailed, StartTime: at(30), CompletionTime: at(90),
					WorkflowExecutions: []drv1.WorkflowExecutionStatus{{
						WorkflowRef: drv1.ObjectReference{Name: "dns"}, Engine: drv1.ExecutorNative, Phase: drv1.ExecutionFailed,
						ActionStatuses: []drv1.ActionStatus{
							{Name: "switch", Phase: drv1.ActionFailed, StartTime: at(30), CompletionTime: at(90),
								Message: "status code 503\nsecond line", Outputs: &drv1.ActionOutputs{HTTPResponse: &drv1.HTTPResponse{StatusCode: 503}}},
							{Name: "verify"},
						},
					}}},
			},
			RollbackStageStatuses: []drv1.StageStatus{{Name: "traffic", Phase: drv1.ExecutionSucceeded,
				WorkflowExecutions: []drv1.WorkflowExecutionStatus{{WorkflowRef: drv1.ObjectReference{Name: "shift"},
					ArgoWorkflow: &drv1.ArgoWorkflowRef{Name: "run-1-traffic-0-shift-revert"}, Phase: drv1.ExecutionSucceeded,
					ActionStatuses: []drv1.ActionStatus{{Name: "undo-promote", Phase: drv1.ActionSucceeded}}}}}},
		},
	}
}

func TestTreeShowsStagesEntriesActions(t *testing.T) {
	g := NewWithT(t)
	var b bytes.Buffer
	g.Expect(Tree(&b, failedRun(), t0.Add(time.Hour), Style{})).To(Succeed())
	want := `NAME                      PHASE      DURATION  RETRIES  ARGO WORKFLOW                 MESSAGE
run-1 (Execute failover)  Failed     95s       -        -                             stage dns failed
├─ stage traffic          Succeeded  30s       -        -
│  └─ shift [0] 2/2       Succeeded  30s       -        run-1-traffic-0-shift
│     ├─ notify           Succeeded  2s        1        -
│     └─ promote          Succeeded  28s       -        -
├─ stage dns              Failed     60s       -        -
│  └─ dns [0]             Failed     -         -        native
│     ├─ switch           Failed     60s       -        -                             status code 503 …
│     └─ verify           Pending    -         -        -
└─ rollback               -          -         -        -
   └─ stage traffic       Succeeded  -         -        -
      └─ shift [0]        Succeeded  -         -        run-1-traffic-0-shift-revert
         └─ undo-promote  Succeeded  -         -        -
`
	g.Expect(trimLines(b.String())).To(Equal(want))
}

// trimLines drops the spaces tabwriter pads an empty last cell with.
func trimLines(s string) string {
	lines := strings.Split(s, "\n")
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " ")
	}
	return strings.Join(lines, "\n")
}

// ansi strips colour codes.
var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

func TestColourKeepsColumnsAligned(t *testing.T) {
	g := NewWithT(t)
	var plain, colour bytes.Buffer
	g.Expect(Tree(&plain, failedRun(), t0, Style{})).To(Succeed())
	g.Expect(Tree(&colour, failedRun(), t0, Style{Color: true})).To(Succeed())
	g.Expect(colour.String()).To(ContainSubstring(sgrRed + "Failed" + sgrReset))
	g.Expect(colour.String()).To(ContainSubstring(sgrGreen + "Succeeded" + sgrReset))
	// Without its colour codes, the coloured tree is the plain one, every column in place.
	g.Expect(ansi.ReplaceAllString(colour.String(), "")).To(Equal(plain.String()))
}

func TestRunningDurationsTickWithTheClock(t *testing.T) {
	g := NewWithT(t)
	ex := failedRun()
	ex.Status.Phase, ex.Status.CompletionTime = drv1.ExecutionRunning, nil
	var b bytes.Buffer
	g.Expect(Tree(&b, ex, t0.Add(90*time.Minute), Style{})).To(Succeed())
	g.Expect(strings.SplitN(b.String(), "\n", 3)[1]).To(MatchRegexp(`^run-1 \(Execute failover\) +Running +90m `))
}

func TestExecutionsNewestFirst(t *testing.T) {
	g := NewWithT(t)
	older := failedRun()
	newer := failedRun()
	newer.Name, newer.CreationTimestamp = "run-2", metav1.NewTime(t0.Add(time.Hour))
	newer.Status = drv1.DRPlanExecutionStatus{Phase: drv1.ExecutionRunning, StartTime: at(3600), Progress: "1/4"}
	var b bytes.Buffer
	g.Expect(Executions(&b, []drv1.DRPlanExecution{*older, *newer}, t0.Add(2*time.Hour), Style{})).To(Succeed())
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	g.Expect(lines).To(HaveLen(3))
	g.Expect(lines[0]).To(MatchRegexp(`^NAME +PLAN +OPERATION +PHASE +PROGRESS +DURATION +AGE +MESSAGE$`))
	g.Expect(lines[1]).To(MatchRegexp(`^run-2 +failover +Execute +Running +1/4 +60m +60m`))
	g.Expect(lines[2]).To(MatchRegexp(`^run-1 +failover +Execute +Failed +- +95s +120m +stage dns failed$`))
}

func TestHistory(t *testing.T) {
	g := NewWithT(t)
	plan := &drv1.DRPlan{ObjectMeta: metav1.ObjectMeta{Name: "failover"}}
	var b bytes.Buffer
	g.Expect(History(&b, plan, t0, Style{})).To(Succeed())
	g.Expect(b.String()).To(ContainSubstring("(no execution of plan failover yet)"))

	plan.Status.CurrentExecution = &drv1.ObjectReference{Name: "run-3"}
	plan.Status.ExecutionHistory = []drv1.ExecutionRecord{
		{Name: "run-2", OperationType: drv1.OperationRevert, Phase: drv1.ExecutionSucceeded, StartTime: at(100), CompletionTime: at(110)},
		{Name: "run-1", Phase: drv1.ExecutionFailed, StartTime: at(0), CompletionTime: at(95)},
	}
	b.Reset()
	g.Expect(History(&b, plan, t0, Style{})).To(Succeed())
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	g.Expect(lines).To(HaveLen(4))
	g.Expect(lines[1]).To(MatchRegexp(`^run-3 +- +Running `))
	g.Expect(lines[2]).To(MatchRegexp(`^run-2 +Revert +Succeeded +2026-12-01T10:01:40Z +2026-12-01T10:01:50Z +10s$`))
	g.Expect(lines[3]).To(MatchRegexp(`^run-1 +Execute +Failed +2026-12-01T10:00:00Z +2026-12-01T10:01:35Z +95s$`))
}

func TestDescribe(t *testing.T) {
	g := NewWithT(t)
	ex := failedRun()
	ex.Spec.Params = []drv1.ParamValue{{Name: "toCluster", Value: "clusternet-ab12c"}}
	ex.Status.Conditions = []metav1.Condition{{Type: drv1.ConditionCompleted, Status: metav1.ConditionTrue, Reason: "Failed",
		Message: "stage dns failed", LastTransitionTime: *at(95)}}
	events := []corev1.Event{
		{Type: "Warning", Reason: "Failed", Message: "stage dns failed", EventTime: metav1.NewMicroTime(t0.Add(95 * time.Second)), ReportingController: "drplan-operator"},
		{Type: "Normal", Reason: "Running", Message: "started", EventTime: metav1.NewMicroTime(t0), ReportingController: "drplan-operator"},
	}
	var b bytes.Buffer
	g.Expect(Describe(&b, ex, events, t0.Add(10*time.Minute), Style{})).To(Succeed())
	out := b.String()
	g.Expect(out).To(MatchRegexp(`(?m)^Plan: +failover$`))
	g.Expect(out).To(MatchRegexp(`(?m)^Param toCluster: +clusternet-ab12c$`))
	g.Expect(out).To(MatchRegexp(`(?m)^  Completed +True +Failed +8m\d+s +stage dns failed$`))
	// The whole message and the outputs, which the tree cuts short.
	g.Expect(out).To(ContainSubstring("dns/dns/switch  message: status code 503\nsecond line"))
	g.Expect(out).To(MatchRegexp(`(?m)^ +http: 503 $`))
	// Events oldest first.
	g.Expect(out).To(MatchRegexp(`(?s)Events:\n +TYPE +REASON +AGE +FROM +MESSAGE\n +Normal +Running +10m +drplan-operator +started\n +Warning +Failed`))
}
