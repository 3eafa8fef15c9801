package translator

import (
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// validWorkflowYAML is the DESIGN.md example workflow, complete enough to pass validation.
const validWorkflowYAML = `
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: shift, namespace: shop}
spec:
  executor: {type: Argo, argoOptions: {serviceAccountName: dr-runner}}
  failurePolicy: FailFast
  parameters:
  - {name: toCluster, type: string, required: true, description: child cluster namespace}
  - {name: replicas, type: number, default: "3"}
  actions:
  - name: notify
    type: HTTP
    timeout: 30s
    retryPolicy: {limit: 3, interval: 2s, backoffMultiplier: "2.0"}
    http:
      url: "https://hooks.example/{{ .planName }}"
      method: POST
      headers: {Content-Type: application/json}
      headersFrom:
      - {name: Authorization, valueFrom: {secretKeyRef: {name: hook-token, key: token}}}
      body: '{"to":"{{ .params.toCluster }}"}'
      successCodes: [200, 202]
  - name: promote
    type: Localization
    dependsOn: [notify]
    when: '{{ ne .params.replicas "0" }}'
    localization:
      operation: Create
      name: promote
      namespace: "{{ .params.toCluster }}"
      spec:
        priority: 800
        overridePolicy: ApplyNow
        feed: {apiVersion: apps/v1, kind: Deployment, name: api, namespace: shop}
        overrides: [{name: scale, type: MergePatch, value: '{"spec":{"replicas":{{ .params.replicas }}}}'}]
    rollback: {name: undo-promote, type: HTTP, http: {url: "https://hooks.example/undo"}}
  - name: subscribe
    type: Subscription
    dependsOn: [notify]
    subscription: {operation: Create, name: s, namespace: shop, waitReady: true, spec: {subscribers: []}}
  - name: marker
    type: KubernetesResource
    dependsOn: [promote, subscribe]
    resource:
      operation: Apply
      manifest: |
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: dr-marker, namespace: shop}
        data: {cluster: "{{ .params.toCluster }}"}
  - name: verify
    type: Job
    dependsOn: [marker]
    job:
      namespace: shop
      ttlSecondsAfterFinished: 600
      template:
        metadata: {labels: {app: verify}}
        spec:
          backoffLimit: 2
          template:
            spec:
              restartPolicy: Never
              containers: [{name: check, image: "busybox:1.36", args: [sh, -c, "echo {{ .params.toCluster }}"]}]
`

const validPlanYAML = `
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: p, namespace: shop}
spec:
  failurePolicy: Rollback
  globalParams: [{name: toCluster, value: clusternet-xy34z}]
  stages:
  - name: traffic
    workflows: [{workflowRef: {name: shift}, params: [{name: replicas, value: "5"}]}]
  - {name: dns, dependsOn: [traffic], parallel: true, workflows: [{workflowRef: {name: dns, namespace: shop}}]}
`

func mustUnmarshal[T any](t testing.TB, doc string) *T {
	t.Helper()
	var obj T
	if err := yaml.UnmarshalStrict([]byte(doc), &obj); err != nil {
		t.Fatalf("decoding test object: %v", err)
	}
	return &obj
}

func validWorkflow(t testing.TB) *v1alpha1.DRWorkflow {
	return mustUnmarshal[v1alpha1.DRWorkflow](t, validWorkflowYAML)
}
func validPlan(t testing.TB) *v1alpha1.DRPlan {
	return mustUnmarshal[v1alpha1.DRPlan](t, validPlanYAML)
}

// paramValues builds ParamValues from name, value pairs.
func paramValues(kv ...string) []v1alpha1.ParamValue {
	var out []v1alpha1.ParamValue
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, v1alpha1.ParamValue{Name: kv[i], Value: kv[i+1]})
	}
	return out
}

func toList[T any](x *T) []*T { return []*T{x} }
