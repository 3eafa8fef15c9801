package translator

import (
	"encoding/json"
	"fmt"
	"syscall"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// processCPU is the user+system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// etcdLimit is etcd's default request size limit: a Workflow must stay well under it.
const etcdLimit = 1536 * 1024

// benchWorkflow is an n-action DAG, each action depending on the one before it and on the one at half its
// index (so the DAG is wide and deep), every config templated. Shape "mixed" cycles through every action
// type with realistic Clusternet specs, Job specs and manifests, the specs of one type alike (one
// Deployment failed over to many clusters); shape "unique" is the same with every spec naming its own
// action (many Deployments: nothing is shared between actions); shape "http" is HTTP calls only.
func benchWorkflow(n int, shape string) (*v1alpha1.DRWorkflow, *v1alpha1.DRPlan) {
	actions := make([]v1alpha1.Action, n)
	for i := range actions {
		a := v1alpha1.Action{Name: fmt.Sprintf("step-%04d", i)}
		if i > 0 {
			a.DependsOn = []string{fmt.Sprintf("step-%04d", i-1)}
			if h := i / 2; h < i-1 {
				a.DependsOn = append(a.DependsOn, fmt.Sprintf("step-%04d", h))
			}
		}
		a.RetryPolicy = &v1alpha1.RetryPolicy{Limit: 2, Interval: v1alpha1.Duration(5e9), BackoffMultiplier: "2"}
		kind := i % 5
		if shape == "http" {
			kind = 0
		}
		app, echo := "api", "" // the Deployment a Clusternet action works on, what a Job prints before the cluster
		if shape == "unique" {
			app, echo = "api-"+a.Name, a.Name+" "
		}
		switch kind {
		case 0:
			a.Type = v1alpha1.ActionTypeHTTP
			a.HTTP = &v1alpha1.HTTPAction{URL: "https://hooks.example/{{ .planName }}/" + a.Name, Method: "POST",
				Headers: map[string]string{"Content-Type": "application/json"},
				Body:    `{"cluster":"{{ .params.toCluster }}","step":"` + a.Name + `"}`}
		case 1:
			a.Type = v1alpha1.ActionTypeLocalization
			a.Localization = &v1alpha1.LocalizationAction{Operation: v1alpha1.OperationCreate, Name: a.Name, Namespace: "{{ .params.toCluster }}",
				Spec: &runtime.RawExtension{Raw: []byte(`{"priority":800,"overridePolicy":"ApplyNow","feed":{"apiVersion":"apps/v1","kind":"Deployment","name":"` + app + `","namespace":"shop"},"overrides":[{"name":"scale","type":"MergePatch","value":"{\"spec\":{\"replicas\":{{ .params.replicas }}}}"}]}`)}}
		case 2:
			a.Type = v1alpha1.ActionTypeSubscription
			a.Subscription = &v1alpha1.SubscriptionAction{Operation: v1alpha1.SubscriptionOperation(v1alpha1.OperationApply), Name: a.Name, Namespace: "shop",
				Spec: &runtime.RawExtension{Raw: []byte(`{"subscribers":[{"clusterAffinity":{"matchLabels":{"dr":"{{ .params.toCluster }}"}}}],"feeds":[{"apiVersion":"apps/v1","kind":"Deployment","name":"` + app + `","namespace":"shop"}]}`)}}
		case 3:
			a.Type = v1alpha1.ActionTypeKubernetesResource
			a.Resource = &v1alpha1.ResourceAction{Operation: v1alpha1.OperationApply,
				Manifest: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + a.Name + ", namespace: shop}\ndata: {cluster: \"{{ .params.toCluster }}\"}\n"}
		case 4:
			a.Type = v1alpha1.ActionTypeJob
			a.Job = &v1alpha1.JobAction{Namespace: "shop", Template: v1alpha1.JobTemplate{
				Spec: runtime.RawExtension{Raw: []byte(`{"backoffLimit":2,"template":{"spec":{"containers":[{"name":"check","image":"busybox:1.36","args":["sh","-c","echo ` + echo + `{{ .params.toCluster }}"]}]}}}`)}}}
		}
		actions[i] = a
	}
	wf := &v1alpha1.DRWorkflow{Spec: v1alpha1.DRWorkflowSpec{
		Parameters: []v1alpha1.Parameter{{Name: "toCluster", Required: true}, {Name: "replicas", Type: v1alpha1.ParameterTypeNumber, Default: strPtr("3")}},
		Actions:    actions,
	}}
	wf.Name, wf.Namespace = "bench", "shop"
	plan := &v1alpha1.DRPlan{Spec: v1alpha1.DRPlanSpec{
		GlobalParams: []v1alpha1.ParamValue{{Name: "toCluster", Value: "clusternet-xy34z"}},
		Stages:       []v1alpha1.Stage{{Name: "s", Workflows: []v1alpha1.WorkflowEntry{{WorkflowRef: v1alpha1.ObjectReference{Name: "bench"}}}}},
	}}
	plan.Name, plan.Namespace = "p", "shop"
	return wf, plan
}

// translateOnce is the whole pipeline the operator runs per workflow entry: resolve, validate, render, emit.
func translateOnce(tb testing.TB, wf *v1alpha1.DRWorkflow, plan *v1alpha1.DRPlan, opts EmitOptions) int {
	params, errs := ResolveParams(wf, plan, 0, 0, nil)
	if len(errs) > 0 {
		tb.Fatal(errs.ToAggregate())
	}
	_, out, err := CompileForward(Input{Workflow: wf, Params: params, Namespace: "shop", PlanName: plan.Name,
		ExecutionName: "run-1", StageName: "s", ExecutionUID: "uid"}, opts)
	if err != nil {
		tb.Fatal(err)
	}
	return len(out.Spec.Templates)
}

func workflowBytes(tb testing.TB, n int, shape string) int {
	wf, plan := benchWorkflow(n, shape)
	params, _ := ResolveParams(wf, plan, 0, 0, nil)
	_, out, err := CompileForward(Input{Workflow: wf, Params: params, Namespace: "shop", PlanName: "p", ExecutionName: "run-1", StageName: "s", ExecutionUID: "uid"}, EmitOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	b, err := json.Marshal(out)
	if err != nil {
		tb.Fatal(err)
	}
	return len(b)
}

// BenchmarkTranslate measures resolve + validate + render + emit of 10-, 100- and 1000-action DAGs, with and
// without Argo's validator, reporting ns/action and the stored (JSON) size of the Workflow per action.
func BenchmarkTranslate(b *testing.B) {
	for _, shape := range []string{"mixed", "unique", "http"} {
		for _, n := range []int{10, 100, 1000} {
			for _, argo := range []bool{false, true} {
				b.Run(fmt.Sprintf("shape=%s/actions=%d/argo-validate=%v", shape, n, argo), func(b *testing.B) {
					benchmarkTranslate(b, shape, n, argo)
				})
			}
		}
	}
}

func benchmarkTranslate(b *testing.B, shape string, n int, argo bool) {
	wf, plan := benchWorkflow(n, shape)
	size := workflowBytes(b, n, shape)
	b.ReportAllocs()
	b.ResetTimer()
	cpuStart := processCPU()
	for i := 0; i < b.N; i++ {
		translateOnce(b, wf, plan, EmitOptions{Validate: argo})
	}
	cpu := processCPU() - cpuStart
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/action")
	// CPU time of the process (including the garbage collector) per action: on a machine shared
	// with other work, wall time alone measures the neighbours too.
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/float64(n), "cpu-ns/action")
	b.ReportMetric(float64(size)/float64(n), "bytes/action")
}

// TestLargestWorkflowFitsEtcd: the API admits at most 1000 actions per workflow; the compiled Workflow of
// the benchmark DAG at that size must fit etcd's 1.5 MB request limit. The size is linear in the number of
// actions (checked here), so the largest size that fits follows from two measurements; it is checked, then
// logged for docs/benchmarks.md.
func TestLargestWorkflowFitsEtcd(t *testing.T) {
	s1000, s2000 := workflowBytes(t, 1000, "mixed"), workflowBytes(t, 2000, "mixed")
	if s1000 >= etcdLimit {
		t.Fatalf("a 1000-action Workflow is %d bytes, over etcd's %d", s1000, etcdLimit)
	}
	perAction := float64(s2000-s1000) / 1000
	fixed := float64(s1000) - 1000*perAction
	largest := int((etcdLimit - 1 - fixed) / perAction)
	if below, above := workflowBytes(t, largest-5, "mixed"), workflowBytes(t, largest+5, "mixed"); below >= etcdLimit || above < etcdLimit {
		t.Fatalf("size is not linear: %d actions -> %d bytes, %d -> %d", largest-5, below, largest+5, above)
	}
	t.Logf("%.0f bytes/action + %.0f fixed; largest benchmark-shaped Workflow under %d bytes: about %d actions", perAction, fixed, etcdLimit, largest)
}
