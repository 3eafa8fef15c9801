//go:build e2e

package stack

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	. "github.com/onsi/gomega"
	authorizationv1 "k8s.io/api/authorization/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drplan/drplan-operator/test/testenv"
)

const (
	testNS    = "stack-test"
	executor  = "executor"      // may do what Argo's executor needs, and manage ConfigMaps
	noCMs     = "no-configmaps" // may do what Argo's executor needs, nothing else
	waitLimit = 90 * time.Second
)

// TestStack starts the stack once and runs raw Argo Workflows and a Job through it.
func TestStack(t *testing.T) {
	s, c := startStack(t)
	setUpNamespace(t, c)
	t.Run("http template really sends the request", func(t *testing.T) { testHTTP(t, c) })
	t.Run("resource template really creates the ConfigMap", func(t *testing.T) { testResourceCreate(t, c) })
	t.Run("resource template is denied by the ServiceAccount's RBAC", func(t *testing.T) { testResourceForbidden(t, c) })
	t.Run("resource and http templates run in parallel", func(t *testing.T) { testParallel(t, c) })
	t.Run("failing pod is retried by Argo", func(t *testing.T) { testRetry(t, c) })
	t.Run("job controller, kwok and garbage collector run a Job", func(t *testing.T) { testJob(t, c) })
	t.Run("the Argo Server lists the Workflows the tests ran", func(t *testing.T) { testArgoServer(t, s, c) })
	t.Run("Stop is idempotent", func(t *testing.T) {
		g := NewWithT(t)
		start := time.Now()
		g.Expect(s.Stop()).To(Succeed())
		t.Logf("stack stopped in %s", time.Since(start).Round(time.Millisecond))
		g.Expect(s.Stop()).To(Succeed())
	})
}

// startStack starts the stack with its artifacts in a directory of its own, stopped at cleanup and then removed,
// unless the test failed or DRPLAN_E2E_KEEP_ARTIFACTS is set.
func startStack(t *testing.T) (*Stack, client.Client) {
	g := NewWithT(t)
	root, err := testenv.RepoRoot()
	g.Expect(err).NotTo(HaveOccurred())
	o, err := OptionsFromEnv(root)
	g.Expect(err).NotTo(HaveOccurred())
	// Beside the e2e suite's directory, not in it: that suite empties its directory when it starts.
	o.ArtifactsDir = filepath.Join(filepath.Dir(o.ArtifactsDir), "stack-test", time.Now().Format("20060102-150405.000"))
	o.Lifetime = 15 * time.Minute
	o.ArgoServer = true
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := time.Now()
	s, err := Start(ctx, o)
	g.Expect(err).NotTo(HaveOccurred())
	t.Logf("stack started in %s (artifacts %s)", time.Since(start).Round(time.Millisecond), o.ArtifactsDir)
	t.Cleanup(func() {
		if err := s.Stop(); err != nil { // a no-op when the last subtest got that far
			t.Errorf("stopping the stack: %v", err)
		}
		if t.Failed() || os.Getenv("DRPLAN_E2E_KEEP_ARTIFACTS") != "" {
			t.Logf("logs kept in %s", o.ArtifactsDir)
			return
		}
		_ = os.RemoveAll(o.ArtifactsDir)
		_ = os.Remove(filepath.Dir(o.ArtifactsDir)) // only when no other run's logs are kept there
	})
	scheme := runtime.NewScheme()
	g.Expect(clientgoscheme.AddToScheme(scheme)).To(Succeed())
	g.Expect(wfv1.AddToScheme(scheme)).To(Succeed())
	c, err := client.New(s.Config, client.Options{Scheme: scheme})
	g.Expect(err).NotTo(HaveOccurred())
	return s, c
}

// setUpNamespace creates the test namespace and two ServiceAccounts with Roles, and waits until RBAC enforces them.
func setUpNamespace(t *testing.T, c client.Client) {
	g := NewWithT(t)
	ctx := context.Background()
	g.Expect(c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: testNS}})).To(Succeed())
	argoExecutorRules := []rbacv1.PolicyRule{
		{APIGroups: []string{"argoproj.io"}, Resources: []string{"workflowtaskresults"}, Verbs: []string{"create", "patch"}},
		{APIGroups: []string{"argoproj.io"}, Resources: []string{"workflowtasksets"}, Verbs: []string{"list", "watch"}},
		{APIGroups: []string{"argoproj.io"}, Resources: []string{"workflowtasksets/status"}, Verbs: []string{"patch"}},
	}
	configMapRules := []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "create", "patch", "delete"}},
	}
	createAccount(g, c, executor, append(argoExecutorRules, configMapRules...))
	createAccount(g, c, noCMs, argoExecutorRules)
	// The authorizer learns Roles through informers; wait until both accounts are judged as intended.
	g.Eventually(func() bool { return allowed(g, c, executor, "create", "configmaps") }, waitLimit).Should(BeTrue())
	g.Eventually(func() bool { return allowed(g, c, noCMs, "patch", "workflowtaskresults") }, waitLimit).Should(BeTrue())
	g.Expect(allowed(g, c, noCMs, "create", "configmaps")).To(BeFalse())
}

func createAccount(g Gomega, c client.Client, name string, rules []rbacv1.PolicyRule) {
	ctx := context.Background()
	meta := metav1.ObjectMeta{Name: name, Namespace: testNS}
	g.Expect(c.Create(ctx, &corev1.ServiceAccount{ObjectMeta: meta})).To(Succeed())
	g.Expect(c.Create(ctx, &rbacv1.Role{ObjectMeta: meta, Rules: rules})).To(Succeed())
	g.Expect(c.Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: meta,
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: name, Namespace: testNS}},
	})).To(Succeed())
}

// allowed asks the API server whether the ServiceAccount may do verb on resource (any group) in the test namespace.
func allowed(g Gomega, c client.Client, sa, verb, resource string) bool {
	group := ""
	if strings.HasPrefix(resource, "workflow") {
		group = "argoproj.io"
	}
	review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User:   "system:serviceaccount:" + testNS + ":" + sa,
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + testNS, "system:authenticated"},
		ResourceAttributes: &authorizationv1.ResourceAttributes{
			Namespace: testNS, Verb: verb, Group: group, Resource: resource,
		},
	}}
	g.Expect(c.Create(context.Background(), review)).To(Succeed())
	return review.Status.Allowed
}

// runWorkflow submits the Workflow and returns it once it has finished, logging how long that took.
func runWorkflow(t *testing.T, c client.Client, wf *wfv1.Workflow) *wfv1.Workflow {
	g := NewWithT(t)
	ctx := context.Background()
	wf.Namespace = testNS
	start := time.Now()
	g.Expect(c.Create(ctx, wf)).To(Succeed())
	got := &wfv1.Workflow{}
	g.Eventually(func(g Gomega) {
		g.Expect(c.Get(ctx, client.ObjectKeyFromObject(wf), got)).To(Succeed())
		g.Expect(got.Status.Phase.Completed()).To(BeTrue(), "phase %q", got.Status.Phase)
	}, waitLimit, 100*time.Millisecond).Should(Succeed())
	t.Logf("Workflow %s: %s in %s", got.Name, got.Status.Phase, time.Since(start).Round(time.Millisecond))
	return got
}

// nodesOf returns the Workflow's nodes of the given type.
func nodesOf(wf *wfv1.Workflow, typ wfv1.NodeType) []wfv1.NodeStatus {
	var nodes []wfv1.NodeStatus
	for _, n := range wf.Status.Nodes {
		if n.Type == typ {
			nodes = append(nodes, n)
		}
	}
	return nodes
}

func testHTTP(t *testing.T, c client.Client) {
	g := NewWithT(t)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = io.WriteString(w, "hello from "+r.URL.Path)
	}))
	defer srv.Close()
	wf := runWorkflow(t, c, &wfv1.Workflow{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "http-"},
		Spec: wfv1.WorkflowSpec{
			Entrypoint:         "get",
			ServiceAccountName: executor,
			Templates:          []wfv1.Template{{Name: "get", HTTP: &wfv1.HTTP{URL: srv.URL + "/probe", Method: "GET"}}},
		},
	})
	g.Expect(wf.Status.Phase).To(Equal(wfv1.WorkflowSucceeded), wf.Status.Message)
	g.Expect(hits.Load()).To(BeNumerically(">=", 1))
	nodes := nodesOf(wf, wfv1.NodeTypeHTTP)
	g.Expect(nodes).To(HaveLen(1))
	g.Expect(nodes[0].Outputs).NotTo(BeNil())
	g.Expect(nodes[0].Outputs.Result).To(HaveValue(Equal("hello from /probe")))
}

// configMapWorkflow creates ConfigMap name as ServiceAccount sa.
func configMapWorkflow(name, sa string) *wfv1.Workflow {
	manifest := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\ndata:\n  made-by: argoexec\n"
	return &wfv1.Workflow{
		ObjectMeta: metav1.ObjectMeta{GenerateName: name + "-"},
		Spec: wfv1.WorkflowSpec{
			Entrypoint:         "create",
			ServiceAccountName: sa,
			Templates: []wfv1.Template{{
				Name:     "create",
				Resource: &wfv1.ResourceTemplate{Action: "create", Manifest: manifest},
				Outputs: wfv1.Outputs{Parameters: []wfv1.Parameter{{
					Name: "uid", ValueFrom: &wfv1.ValueFrom{JSONPath: "{.metadata.uid}"},
				}}},
			}},
		},
	}
}

func testResourceCreate(t *testing.T, c client.Client) {
	g := NewWithT(t)
	wf := runWorkflow(t, c, configMapWorkflow("made-by-argo", executor))
	g.Expect(wf.Status.Phase).To(Equal(wfv1.WorkflowSucceeded), wf.Status.Message)
	cm := &corev1.ConfigMap{}
	g.Expect(c.Get(context.Background(), client.ObjectKey{Namespace: testNS, Name: "made-by-argo"}, cm)).To(Succeed())
	g.Expect(cm.Data).To(HaveKeyWithValue("made-by", "argoexec"))
	// The output parameter travelled through the WorkflowTaskResult argoexec wrote as the ServiceAccount.
	pods := nodesOf(wf, wfv1.NodeTypePod)
	g.Expect(pods).To(HaveLen(1))
	g.Expect(pods[0].Outputs).NotTo(BeNil())
	g.Expect(pods[0].Outputs.Parameters).To(ContainElement(And(
		HaveField("Name", "uid"), HaveField("Value", HaveValue(BeEquivalentTo(cm.UID))))))
}

// testParallel runs three resource templates and two http templates at once: isolated argoexec runs do not
// collide, and one agent serves both http nodes.
func testParallel(t *testing.T, c client.Client) {
	g := NewWithT(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok "+r.URL.Path)
	}))
	defer srv.Close()
	var steps wfv1.ParallelSteps
	templates := []wfv1.Template{{Name: "main"}}
	for i := range 3 {
		name := fmt.Sprintf("cm-%d", i)
		manifest := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: parallel-" + name + "\n"
		templates = append(templates, wfv1.Template{Name: name,
			Resource: &wfv1.ResourceTemplate{Action: "create", Manifest: manifest}})
		steps.Steps = append(steps.Steps, wfv1.WorkflowStep{Name: name, Template: name})
	}
	for i := range 2 {
		name := fmt.Sprintf("get-%d", i)
		templates = append(templates, wfv1.Template{Name: name,
			HTTP: &wfv1.HTTP{URL: srv.URL + "/" + name}})
		steps.Steps = append(steps.Steps, wfv1.WorkflowStep{Name: name, Template: name})
	}
	templates[0].Steps = []wfv1.ParallelSteps{steps}
	wf := runWorkflow(t, c, &wfv1.Workflow{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "parallel-"},
		Spec:       wfv1.WorkflowSpec{Entrypoint: "main", ServiceAccountName: executor, Templates: templates},
	})
	g.Expect(wf.Status.Phase).To(Equal(wfv1.WorkflowSucceeded), wf.Status.Message)
	for i := range 3 {
		key := client.ObjectKey{Namespace: testNS, Name: fmt.Sprintf("parallel-cm-%d", i)}
		g.Expect(c.Get(context.Background(), key, &corev1.ConfigMap{})).To(Succeed())
	}
	for _, n := range nodesOf(wf, wfv1.NodeTypeHTTP) {
		g.Expect(n.Outputs.Result).To(HaveValue(Equal("ok /" + n.TemplateName)))
	}
}

func testResourceForbidden(t *testing.T, c client.Client) {
	g := NewWithT(t)
	wf := runWorkflow(t, c, configMapWorkflow("not-allowed", noCMs))
	g.Expect(wf.Status.Phase).To(Equal(wfv1.WorkflowFailed))
	pods := nodesOf(wf, wfv1.NodeTypePod)
	g.Expect(pods).To(HaveLen(1))
	g.Expect(pods[0].Message).To(And(ContainSubstring("Forbidden"),
		ContainSubstring(`"system:serviceaccount:`+testNS+`:`+noCMs+`" cannot create resource "configmaps"`)))
	err := c.Get(context.Background(), client.ObjectKey{Namespace: testNS, Name: "not-allowed"}, &corev1.ConfigMap{})
	g.Expect(err).To(MatchError(ContainSubstring("not found")))
}

func testRetry(t *testing.T, c client.Client) {
	g := NewWithT(t)
	wf := runWorkflow(t, c, &wfv1.Workflow{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "retry-"},
		Spec: wfv1.WorkflowSpec{
			Entrypoint:         "fail",
			ServiceAccountName: executor,
			Templates: []wfv1.Template{{
				Name:          "fail",
				Metadata:      wfv1.Metadata{Annotations: map[string]string{"drplan.e2e/fail": "true"}},
				RetryStrategy: &wfv1.RetryStrategy{Limit: ptr.To(intstr.FromInt32(2))},
				Container:     &corev1.Container{Image: "busybox", Command: []string{"false"}},
			}},
		},
	})
	g.Expect(wf.Status.Phase).To(Equal(wfv1.WorkflowFailed))
	g.Expect(nodesOf(wf, wfv1.NodeTypeRetry)).To(HaveLen(1))
	attempts := nodesOf(wf, wfv1.NodeTypePod)
	g.Expect(attempts).To(HaveLen(3))
	for _, a := range attempts {
		g.Expect(a.Phase).To(Equal(wfv1.NodeFailed))
	}
}

func testJob(t *testing.T, c client.Client) {
	g := NewWithT(t)
	ctx := context.Background()
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "plain-job", Namespace: testNS},
		Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			Containers:    []corev1.Container{{Name: "main", Image: "busybox", Command: []string{"true"}}},
		}}},
	}
	start := time.Now()
	g.Expect(c.Create(ctx, job)).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(c.Get(ctx, client.ObjectKeyFromObject(job), job)).To(Succeed())
		g.Expect(job.Status.Conditions).To(ContainElement(And(
			HaveField("Type", batchv1.JobComplete), HaveField("Status", corev1.ConditionTrue))))
	}, waitLimit, 100*time.Millisecond).Should(Succeed())
	t.Logf("Job %s Complete in %s", job.Name, time.Since(start).Round(time.Millisecond))
	pods := &corev1.PodList{}
	g.Expect(c.List(ctx, pods, client.InNamespace(testNS), client.MatchingLabels{"job-name": job.Name})).To(Succeed())
	g.Expect(pods.Items).NotTo(BeEmpty())
	g.Expect(pods.Items[0].Status.Phase).To(Equal(corev1.PodSucceeded))

	// The garbage collector removes the pods of a deleted Job.
	start = time.Now()
	g.Expect(c.Delete(ctx, job, client.PropagationPolicy(metav1.DeletePropagationBackground))).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(c.List(ctx, pods, client.InNamespace(testNS), client.MatchingLabels{"job-name": job.Name})).To(Succeed())
		g.Expect(pods.Items).To(BeEmpty())
	}, waitLimit, 100*time.Millisecond).Should(Succeed())
	t.Logf("Job %s's pods collected in %s", job.Name, time.Since(start).Round(time.Millisecond))
}

// TestMissingBinaries: OptionsFromEnv names every missing tool and the command that builds them.
func TestMissingBinaries(t *testing.T) {
	g := NewWithT(t)
	root, err := testenv.RepoRoot()
	g.Expect(err).NotTo(HaveOccurred())
	t.Setenv("DRPLAN_E2E_TOOLS", t.TempDir())
	_, err = OptionsFromEnv(root)
	g.Expect(err).To(MatchError(And(ContainSubstring("kwok"), ContainSubstring("workflow-controller"),
		ContainSubstring("argoexec"), ContainSubstring("make e2e-tools"))))
}

// TestFailedStartStopsEverything: a child that dies makes Start fail fast, with every process it started stopped.
func TestFailedStartStopsEverything(t *testing.T) {
	g := NewWithT(t)
	root, err := testenv.RepoRoot()
	g.Expect(err).NotTo(HaveOccurred())
	o, err := OptionsFromEnv(root)
	g.Expect(err).NotTo(HaveOccurred())
	tools := t.TempDir()
	for _, bin := range []string{"kwok", "argoexec"} {
		g.Expect(os.Symlink(filepath.Join(o.ToolsDir, bin), filepath.Join(tools, bin))).To(Succeed())
	}
	broken := "#!/bin/sh\necho 'broken on purpose' >&2\nexit 3\n"
	g.Expect(os.WriteFile(filepath.Join(tools, "workflow-controller"), []byte(broken), 0o755)).To(Succeed())
	g.Expect(os.WriteFile(filepath.Join(tools, "workflow-controller.version"), []byte("v0.0.0\n"), 0o644)).To(Succeed())
	o.ToolsDir = tools
	o.ArtifactsDir = t.TempDir()

	start := time.Now()
	s, err := Start(context.Background(), o)
	g.Expect(err).To(MatchError(ContainSubstring("workflow-controller exited: exit status 3")))
	g.Expect(s).To(BeNil())
	t.Logf("Start failed after %s: %v", time.Since(start).Round(time.Millisecond), err)
	g.Expect(s.Stop()).To(Succeed()) // a nil Stack stops like any other
	pids, err := os.ReadFile(filepath.Join(o.ArtifactsDir, "pids"))
	g.Expect(err).NotTo(HaveOccurred())
	for _, line := range strings.Split(strings.TrimSpace(string(pids)), "\n") {
		var name string
		var pid int
		_, err := fmt.Sscanf(line, "%s %d", &name, &pid)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(syscall.Kill(pid, 0)).To(MatchError(syscall.ESRCH), "%s (pid %d) still runs", name, pid)
	}
}

// testArgoServer: the stack's Argo Server (Options.ArgoServer) serves, through its API, the Workflows of the test
// namespace that the API server holds.
func testArgoServer(t *testing.T, s *Stack, c client.Client) {
	g := NewWithT(t)
	g.Expect(s.ArgoServerURL).To(HavePrefix("http://127.0.0.1:"))
	stored := &wfv1.WorkflowList{}
	g.Expect(c.List(context.Background(), stored, client.InNamespace(testNS))).To(Succeed())
	g.Expect(stored.Items).NotTo(BeEmpty())
	resp, err := http.Get(s.ArgoServerURL + "/api/v1/workflows/" + testNS)
	g.Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
	served := &wfv1.WorkflowList{}
	g.Expect(json.NewDecoder(resp.Body).Decode(served)).To(Succeed())
	var want, got []string
	for _, wf := range stored.Items {
		want = append(want, wf.Name)
	}
	for _, wf := range served.Items {
		got = append(got, wf.Name)
	}
	g.Expect(got).To(ConsistOf(want))
}
