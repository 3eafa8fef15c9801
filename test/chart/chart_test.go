// Package chart checks the Helm chart (config/helm/drplan-operator) and the install manifest (config/default,
// what `make build-installer` writes) against config/, so neither can drift from what the code generates, and
// installs both on a real kube-apiserver.
package chart

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/drplan/drplan-operator/test/testenv"
)

const (
	chartDir    = "config/helm/drplan-operator"
	releaseName = "drplan-operator"
	releaseNS   = "drplan-system"
)

// helmBinary is $DRPLAN_HELM, or where `make helm` puts it.
func helmBinary(t *testing.T) string {
	t.Helper()
	if h := os.Getenv("DRPLAN_HELM"); h != "" {
		return h
	}
	home, _ := os.UserHomeDir()
	h := filepath.Join(home, ".cache", "drplan", "helm-v4.3.2", "helm")
	if _, err := os.Stat(h); err != nil {
		t.Fatalf("no helm binary at %s and DRPLAN_HELM is not set: run `make helm`", h)
	}
	return h
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// render runs helm template on the chart with its default values (plus args) and returns the objects by
// kind/name.
func render(t *testing.T, args ...string) map[string]*unstructured.Unstructured {
	t.Helper()
	root := repoRoot(t)
	cmd := exec.Command(helmBinary(t), append([]string{"template", releaseName, filepath.Join(root, chartDir),
		"--namespace", releaseNS, "--include-crds"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm template: %v\n%s", err, stderr.String())
	}
	return byName(t, out)
}

func byName(t *testing.T, data []byte) map[string]*unstructured.Unstructured {
	t.Helper()
	objs := map[string]*unstructured.Unstructured{}
	for _, o := range decode(t, data) {
		key := o.GetKind() + "/" + o.GetName()
		if o.GetNamespace() != "" && o.GetKind() != "Namespace" {
			key = o.GetKind() + "/" + o.GetNamespace() + "/" + o.GetName()
		}
		objs[key] = o
	}
	return objs
}

func decode(t *testing.T, data []byte) []*unstructured.Unstructured {
	t.Helper()
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var objs []*unstructured.Unstructured
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return objs
		}
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]any{}
		if err := yaml.Unmarshal(doc, &m); err != nil {
			t.Fatalf("%v in:\n%s", err, doc)
		}
		if len(m) > 0 {
			objs = append(objs, &unstructured.Unstructured{Object: m})
		}
	}
}

// readFile decodes the single object of a config/ file (relative to the repository root) into out.
func readFile(t *testing.T, rel string, out any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, out); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
}

func convert(t *testing.T, o *unstructured.Unstructured, out any) {
	t.Helper()
	if o == nil {
		t.Fatalf("missing object for %T", out)
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, out); err != nil {
		t.Fatal(err)
	}
}

func rulesOf(t *testing.T, o *unstructured.Unstructured) []rbacv1.PolicyRule {
	t.Helper()
	if o == nil {
		t.Fatal("missing RBAC object")
	}
	var r rbacv1.ClusterRole // Role and ClusterRole share rules
	convert(t, o, &r)
	return r.Rules
}

// The chart rendered with its default values grants, validates and defines exactly what config/ does.
func TestDrift(t *testing.T) {
	objs := render(t, "--set", "executor.namespaces={shop}")

	for _, f := range []string{"drplanexecutions", "drplans", "drworkflows"} {
		name := f + ".dr.bkbcs.tencent.com"
		want := map[string]any{}
		readFile(t, "config/crd/bases/dr.bkbcs.tencent.com_"+f+".yaml", &want)
		got := objs["CustomResourceDefinition/"+name]
		if got == nil {
			t.Errorf("the chart has no CRD %s", name)
			continue
		}
		if d := cmp.Diff(want, got.Object); d != "" {
			t.Errorf("CRD %s differs from config/crd/bases (run make manifests):\n%s", name, d)
		}
	}

	rules := []struct{ config, chart string }{
		{"config/rbac/role.yaml", "ClusterRole/drplan-operator-manager"},
		{"config/rbac/leader_election_role.yaml", "Role/" + releaseNS + "/drplan-operator-leader-election"},
		{"config/rbac/metrics_auth_role.yaml", "ClusterRole/drplan-operator-metrics-auth"},
		{"config/executor/role.yaml", "Role/shop/drplan-executor"},
	}
	for _, r := range rules {
		var want rbacv1.ClusterRole
		readFile(t, r.config, &want)
		if d := cmp.Diff(want.Rules, rulesOf(t, objs[r.chart])); d != "" {
			t.Errorf("%s grants other rules than %s:\n%s", r.chart, r.config, d)
		}
	}
	// The certificate rotator's rules are those of config/default (kustomize's self-provisioned certificates).
	rotator := map[string]*unstructured.Unstructured{}
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "config/default/cert_rotator_rbac.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range decode(t, data) {
		rotator[o.GetKind()] = o
	}
	for kind, chart := range map[string]string{"Role": "Role/" + releaseNS + "/drplan-operator-cert-rotator",
		"ClusterRole": "ClusterRole/drplan-operator-cert-rotator"} {
		if d := cmp.Diff(rulesOf(t, rotator[kind]), rulesOf(t, objs[chart])); d != "" {
			t.Errorf("%s grants other rules than config/default/cert_rotator_rbac.yaml:\n%s", chart, d)
		}
	}

	generated := map[string]*unstructured.Unstructured{}
	webhooks, err := os.ReadFile(filepath.Join(repoRoot(t), "config", "webhook", "manifests.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range decode(t, webhooks) {
		generated[o.GetKind()] = o
	}
	{
		var want, got admissionv1.ValidatingWebhookConfiguration
		convert(t, generated["ValidatingWebhookConfiguration"], &want)
		convert(t, objs["ValidatingWebhookConfiguration/drplan-operator-validating"], &got)
		for i := range want.Webhooks {
			want.Webhooks[i].ClientConfig.Service.Name = "drplan-operator-webhook"
			want.Webhooks[i].ClientConfig.Service.Namespace = releaseNS
		}
		if d := cmp.Diff(want.Webhooks, got.Webhooks); d != "" {
			t.Errorf("the chart's validating webhooks differ from config/webhook/manifests.yaml:\n%s", d)
		}
	}
	var want, got admissionv1.MutatingWebhookConfiguration
	convert(t, generated["MutatingWebhookConfiguration"], &want)
	convert(t, objs["MutatingWebhookConfiguration/drplan-operator-mutating"], &got)
	for i := range want.Webhooks {
		want.Webhooks[i].ClientConfig.Service.Name = "drplan-operator-webhook"
		want.Webhooks[i].ClientConfig.Service.Namespace = releaseNS
	}
	if d := cmp.Diff(want.Webhooks, got.Webhooks); d != "" {
		t.Errorf("the chart's mutating webhooks differ from config/webhook/manifests.yaml:\n%s", d)
	}
}

// Each value the issue names changes what the chart renders.
func TestValues(t *testing.T) {
	objs := render(t,
		"--set", "controller.image.registry=registry.example.com", "--set", "controller.image.tag=1.2.3",
		"--set", "controller.replicas=2", "--set", "controller.leaderElection.enabled=false",
		"--set", "controller.defaultExecutor=native", "--set", "controller.serviceMonitor.enabled=true",
		"--set", "controller.webhook.certificates.provider=cert-manager", "--set", "executor.namespaces={a,b}",
		"--set", "controller.resources.limits.memory=1Gi")
	dep := objs["Deployment/"+releaseNS+"/drplan-operator"]
	if dep == nil {
		t.Fatalf("no Deployment among %v", keys(objs))
	}
	replicas, _, _ := unstructured.NestedFieldNoCopy(dep.Object, "spec", "replicas")
	containers, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "containers")
	c := containers[0].(map[string]any)
	args := fmt.Sprint(c["args"])
	for _, want := range []string{"--leader-elect=false", "--default-executor=native", "--webhook-certs=provided"} {
		if !strings.Contains(args, want) {
			t.Errorf("args %s lack %s", args, want)
		}
	}
	if fmt.Sprint(replicas) != "2" || c["image"] != "registry.example.com/drplan-operator:1.2.3" {
		t.Errorf("replicas %v image %v", replicas, c["image"])
	}
	if mem, _, _ := unstructured.NestedString(c, "resources", "limits", "memory"); mem != "1Gi" {
		t.Errorf("memory limit %q", mem)
	}
	for _, k := range []string{"ServiceMonitor/" + releaseNS + "/drplan-operator", "Certificate/" + releaseNS + "/drplan-operator-serving-cert",
		"Issuer/" + releaseNS + "/drplan-operator-selfsigned", "ServiceAccount/a/drplan-executor", "RoleBinding/b/drplan-executor",
		"Secret/b/drplan-executor.service-account-token"} {
		if objs[k] == nil {
			t.Errorf("missing %s", k)
		}
	}
	for _, k := range []string{"Role/" + releaseNS + "/drplan-operator-leader-election", "Secret/" + releaseNS + "/drplan-operator-webhook-cert",
		"Role/" + releaseNS + "/drplan-operator-cert-rotator"} {
		if objs[k] != nil {
			t.Errorf("%s rendered although its feature is off", k)
		}
	}
	vwc := objs["ValidatingWebhookConfiguration/drplan-operator-validating"]
	if vwc.GetAnnotations()["cert-manager.io/inject-ca-from"] != releaseNS+"/drplan-operator-serving-cert" {
		t.Errorf("cert-manager does not inject the CA: %v", vwc.GetAnnotations())
	}
}

// executor.rbac.globalizations binds config/executor/globalization's ClusterRole to every listed executor;
// off (the default), no cluster-wide executor rights are rendered.
func TestGlobalizationRights(t *testing.T) {
	const name = "drplan-operator-executor-globalizations"
	if objs := render(t, "--set", "executor.namespaces={a}"); objs["ClusterRole/"+name] != nil || objs["ClusterRoleBinding/"+name] != nil {
		t.Errorf("cluster-wide executor rights rendered by default")
	}
	objs := render(t, "--set", "executor.namespaces={a,b}", "--set", "executor.rbac.globalizations=true")
	var want rbacv1.ClusterRole
	readFile(t, "config/executor/globalization/cluster_role.yaml", &want)
	if d := cmp.Diff(want.Rules, rulesOf(t, objs["ClusterRole/"+name])); d != "" {
		t.Errorf("%s grants other rules than config/executor/globalization:\n%s", name, d)
	}
	var binding rbacv1.ClusterRoleBinding
	convert(t, objs["ClusterRoleBinding/"+name], &binding)
	wantSubjects := []rbacv1.Subject{{Kind: "ServiceAccount", Name: "drplan-executor", Namespace: "a"},
		{Kind: "ServiceAccount", Name: "drplan-executor", Namespace: "b"}}
	if d := cmp.Diff(wantSubjects, binding.Subjects); d != "" || binding.RoleRef.Name != name {
		t.Errorf("binding %s to %s:\n%s", binding.RoleRef.Name, name, d)
	}
}

func keys(m map[string]*unstructured.Unstructured) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
