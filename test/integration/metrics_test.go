package integration

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/test/argostandin"
)

// The operator's metrics as Prometheus scrapes them: the manager's real /metrics endpoint after real runs,
// and every metric and label the Grafana dashboard (config/grafana) queries.
var _ = Describe("Metrics endpoint", func() {
	It("counts runs and actions by plan and result, times them, tracks runs in flight, and serves all the dashboard queries", func() {
		ns := newNamespace()
		argo := argoStandIn()
		argo.SetScript(exOutcomes(map[string]argostandin.Outcome{
			"check": {FailAttempts: 1},
			"boom":  {Fail: true, Message: "boom failed"},
			"wait":  {Hold: true},
		}))
		exWorkflow(ns, "w", "", exHTTP("notify"), exConfigMap("marker", "metrics-marker"), exRetry(exHTTP("check"), 2))
		exPlan(ns, "good", "", exStage("one", false, nil, "w"))
		exWorkflow(ns, "bad", "", exHTTP("boom"))
		exPlan(ns, "bad", "", exStage("one", false, nil, "bad"))
		exWorkflow(ns, "held", "", exHTTP("wait"))
		exPlan(ns, "held", "", exStage("one", false, nil, "held"))
		exWorkflow(ns, "gated", "", exApproval("gate"), exHTTP("after", "gate"))
		exPlan(ns, "gated", "", exStage("one", false, nil, "gated"))

		exExecution(ns, "run-good", "good")
		good := exWaitPhase(ns, "run-good", drv1.ExecutionSucceeded)
		exExecution(ns, "run-bad", "bad")
		exWaitPhase(ns, "run-bad", drv1.ExecutionFailed)

		exExecution(ns, "run-held", "held")
		exWaitPhase(ns, "run-held", drv1.ExecutionRunning)
		inFlight := scrape()["drplan_executions_running"].GetMetric()[0].GetGauge().GetValue()
		argo.SetScript(nil)
		exWaitPhase(ns, "run-held", drv1.ExecutionSucceeded)
		Eventually(func() float64 { return scrape()["drplan_executions_running"].GetMetric()[0].GetGauge().GetValue() }).
			Should(Equal(inFlight - 1))

		// An Approval action waits: counted as waiting while it does, its wait timed once approved.
		exExecution(ns, "run-gated", "gated")
		Eventually(func() float64 { return planGauge(scrape(), "drplan_approvals_waiting", ns, "gated") }).Should(Equal(1.0))
		gated := exGet(ns, "run-gated")
		Expect(k8sClient.Patch(ctx, gated, rawMerge([]byte(`{"metadata":{"annotations":{"`+drv1.AnnotationApprove+`":"gate"}}}`)))).To(Succeed())
		gated = exWaitPhase(ns, "run-gated", drv1.ExecutionSucceeded)
		Expect(planGauge(scrape(), "drplan_approvals_waiting", ns, "gated")).To(BeZero())

		fams := scrape()
		plan := func(p string, more ...string) map[string]string {
			l := map[string]string{"plan_namespace": ns, "plan": p}
			for i := 0; i+1 < len(more); i += 2 {
				l[more[i]] = more[i+1]
			}
			return l
		}
		Expect(sample(fams, "drplan_executions_total", plan("good", "operation", "Execute", "result", "Succeeded"))).To(Equal(1.0))
		Expect(sample(fams, "drplan_executions_total", plan("good", "result", "Failed"))).To(BeZero())
		Expect(sample(fams, "drplan_executions_total", plan("bad", "operation", "Execute", "result", "Failed"))).To(Equal(1.0))
		Expect(sample(fams, "drplan_actions_total", plan("good", "type", "HTTP", "result", "Succeeded"))).To(Equal(2.0))
		Expect(sample(fams, "drplan_actions_total", plan("good", "type", "KubernetesResource", "result", "Succeeded"))).To(Equal(1.0))
		Expect(sample(fams, "drplan_actions_total", plan("bad", "type", "HTTP", "result", "Failed"))).To(Equal(1.0))
		Expect(sample(fams, "drplan_action_retries_total", plan("good", "type", "HTTP"))).To(Equal(1.0))
		Expect(sample(fams, "drplan_action_retries_total", plan("bad"))).To(BeZero())

		h := histogram(fams, "drplan_execution_duration_seconds", plan("good", "operation", "Execute", "result", "Succeeded"))
		Expect(h.GetSampleCount()).To(Equal(uint64(1)))
		took := good.Status.CompletionTime.Sub(good.Status.StartTime.Time).Seconds()
		// The status keeps whole seconds; the operator observed the same run with its own clock's fraction.
		Expect(h.GetSampleSum()).To(BeNumerically("~", took, 1.0))

		wait := histogram(fams, "drplan_approval_wait_seconds", plan("gated", "via", string(drv1.ApprovalViaAnnotation)))
		Expect(wait.GetSampleCount()).To(Equal(uint64(1)))
		gate := exAction(gated.Status.StageStatuses[0].WorkflowExecutions[0], "gate")
		Expect(wait.GetSampleSum()).To(BeNumerically("~", gate.Approval.ApprovedAt.Sub(gate.StartTime.Time).Seconds(), 1.0))

		checkDashboard(fams)
	})
})

// scrape reads the manager's /metrics as Prometheus does (text exposition format), by family name.
func scrape() map[string]*dto.MetricFamily {
	GinkgoHelper()
	resp, err := http.Get(metricsURL)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	Expect(resp.StatusCode).To(Equal(http.StatusOK))
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	return fams
}

// planGauge is the value of a gauge family's series for a plan (zero when it has none).
func planGauge(fams map[string]*dto.MetricFamily, name, ns, plan string) float64 {
	GinkgoHelper()
	if _, ok := fams[name]; !ok {
		return 0
	}
	sum := 0.0
	for _, m := range matching(fams, name, map[string]string{"plan_namespace": ns, "plan": plan}) {
		sum += m.GetGauge().GetValue()
	}
	return sum
}

// matching are the series of a family whose labels include want.
func matching(fams map[string]*dto.MetricFamily, name string, want map[string]string) []*dto.Metric {
	GinkgoHelper()
	f, ok := fams[name]
	Expect(ok).To(BeTrue(), "no metric %s on /metrics", name)
	var out []*dto.Metric
series:
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue series
			}
		}
		out = append(out, m)
	}
	return out
}

// sample sums the counter series of a family whose labels include want.
func sample(fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	GinkgoHelper()
	sum := 0.0
	for _, m := range matching(fams, name, want) {
		sum += m.GetCounter().GetValue()
	}
	return sum
}

// histogram is the one histogram series of a family whose labels include want.
func histogram(fams map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Histogram {
	GinkgoHelper()
	ms := matching(fams, name, want)
	Expect(ms).To(HaveLen(1), "series of %s with %v", name, want)
	return ms[0].GetHistogram()
}

// PromQL pieces of the dashboard's queries: metric names, "by (...)" label lists and {label op "value"} matchers.
var (
	metricName = regexp.MustCompile(`\b(drplan_[a-z_]+|controller_runtime_[a-z_]+|workqueue_[a-z_]+)\b`)
	byLabels   = regexp.MustCompile(`\bby \(([^)]*)\)`)
	matchers   = regexp.MustCompile(`\{([^}]*)\}`)
	matcher    = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)`)
)

// checkDashboard asserts that every metric the dashboard queries is served, with every label the query
// groups or filters by.
func checkDashboard(fams map[string]*dto.MetricFamily) {
	GinkgoHelper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "config", "grafana", "drplan-operator.json"))
	Expect(err).NotTo(HaveOccurred())
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Name       string `json:"name"`
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
	}
	Expect(json.Unmarshal(raw, &dash)).To(Succeed())
	queries := map[string]string{} // query -> where
	for _, p := range dash.Panels {
		for _, t := range p.Targets {
			queries[t.Expr] = "panel " + p.Title
		}
	}
	for _, v := range dash.Templating.List {
		if v.Definition != "" {
			queries[v.Definition] = "variable " + v.Name
		}
	}
	Expect(len(queries)).To(BeNumerically(">=", 10))
	checked := map[string]bool{}
	for q, where := range queries {
		names := metricName.FindAllString(q, -1)
		Expect(names).NotTo(BeEmpty(), "%s: %s names no metric", where, q)
		labels := map[string]bool{}
		for _, m := range byLabels.FindAllStringSubmatch(q, -1) {
			for _, l := range strings.Split(m[1], ",") {
				labels[strings.TrimSpace(l)] = true
			}
		}
		for _, m := range matchers.FindAllStringSubmatch(q, -1) {
			for _, mm := range matcher.FindAllStringSubmatch(m[1], -1) {
				labels[mm[1]] = true
			}
		}
		if strings.HasPrefix(q, "label_values(") {
			// label_values(metric, label): the label is the last argument.
			args := strings.Split(strings.TrimSuffix(q, ")"), ",")
			labels[strings.TrimSpace(args[len(args)-1])] = true
		}
		for _, n := range names {
			fam, isHistogram := family(fams, n)
			Expect(fam).NotTo(BeNil(), "%s queries %s, which /metrics does not serve", where, n)
			have := map[string]bool{}
			for _, m := range fam.GetMetric() {
				for _, l := range m.GetLabel() {
					have[l.GetName()] = true
				}
			}
			for l := range labels {
				if l == "le" && isHistogram {
					continue
				}
				Expect(have).To(HaveKey(l), "%s: %s has no label %q (query %s)", where, n, l, q)
			}
			checked[fam.GetName()] = true
		}
	}
	// Every DR metric the operator serves is on the dashboard.
	for name := range fams {
		if strings.HasPrefix(name, "drplan_") {
			Expect(checked).To(HaveKey(name), "the dashboard does not chart %s", name)
		}
	}
}

// family finds the family a queried name belongs to: itself, or the histogram behind _bucket, _sum, _count.
func family(fams map[string]*dto.MetricFamily, name string) (*dto.MetricFamily, bool) {
	if f, ok := fams[name]; ok {
		return f, f.GetType() == dto.MetricType_HISTOGRAM
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if f, ok := fams[strings.TrimSuffix(name, suffix)]; ok && strings.HasSuffix(name, suffix) && f.GetType() == dto.MetricType_HISTOGRAM {
			return f, true
		}
	}
	return nil, false
}
