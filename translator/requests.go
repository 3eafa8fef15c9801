package translator

import (
	"encoding/json"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// httpRequest turns a rendered HTTP config into a request with every header, sorted by name.
func httpRequest(h *v1alpha1.HTTPAction, idempotencyKey string) *HTTPRequest {
	req := &HTTPRequest{
		Headers:            make([]HTTPHeader, 0, len(h.Headers)+len(h.HeadersFrom)+1),
		Method:             h.GetMethod(),
		URL:                h.URL,
		Body:               h.Body,
		SuccessCodes:       append([]int32(nil), h.SuccessCodes...),
		InsecureSkipVerify: h.InsecureSkipVerify,
	}
	for _, k := range sortedKeys(h.Headers) {
		req.Headers = append(req.Headers, HTTPHeader{Name: k, Value: h.Headers[k]})
	}
	for _, hf := range h.HeadersFrom {
		ref := hf.ValueFrom.SecretKeyRef.DeepCopy()
		req.Headers = append(req.Headers, HTTPHeader{Name: hf.Name, SecretKeyRef: ref})
	}
	req.Headers = append(req.Headers, HTTPHeader{Name: IdempotencyHeader, Value: idempotencyKey})
	slices.SortStableFunc(req.Headers, func(a, b HTTPHeader) int { return strings.Compare(a.Name, b.Name) })
	return req
}

// jobRequest builds the Create of the batch/v1 Job of a rendered Job action from its rendered spec (the
// caller's own, written into here): deterministic name, the action's labels (ours win over the user's on our
// keys), ttlSecondsAfterFinished, restartPolicy Never when unset (a Job refuses the pod default Always).
func jobRequest(j *v1alpha1.JobAction, spec map[string]any, ir *IR, action string) *ResourceRequest {
	if spec == nil {
		spec = map[string]any{}
	}
	if j.TTLSecondsAfterFinished != nil {
		spec["ttlSecondsAfterFinished"] = int64(*j.TTLSecondsAfterFinished)
	}
	template := childObject(spec, "template")
	podSpec := childObject(template, "spec")
	if rp, _ := podSpec["restartPolicy"].(string); rp == "" {
		podSpec["restartPolicy"] = "Never"
	}
	backoffLimit := int32(defaultJobBackoffLimit)
	if n, ok := spec["backoffLimit"].(json.Number); ok {
		if v, err := n.Int64(); err == nil {
			backoffLimit = int32(v)
		}
	}
	namespace := j.Namespace
	if namespace == "" {
		namespace = ir.Namespace
	}
	name := JobName(ir.ExecutionName, ir.StageName, ir.EntryIndex, ir.WorkflowName, action)
	labels := map[string]any{}
	for k, v := range j.Template.Metadata.Labels {
		labels[k] = v
	}
	for k, v := range runLabels(ir) {
		labels[k] = v
	}
	labels[v1alpha1.LabelAction] = labelValue(action)
	metadata := map[string]any{"name": name, "namespace": namespace, "labels": labels}
	if len(j.Template.Metadata.Annotations) > 0 {
		annotations := map[string]any{}
		for k, v := range j.Template.Metadata.Annotations {
			annotations[k] = v
		}
		metadata["annotations"] = annotations
	}
	return &ResourceRequest{
		Operation:       v1alpha1.OperationCreate,
		APIVersion:      JobAPIVersion,
		Kind:            KindJob,
		Namespace:       namespace,
		Name:            name,
		Object:          map[string]any{"apiVersion": JobAPIVersion, "kind": KindJob, "metadata": metadata, "spec": spec},
		WaitFor:         WaitJobComplete,
		JobBackoffLimit: backoffLimit,
		OutputRef:       OutputRefJob,
	}
}

// childObject returns parent[key] as an object, setting an empty one there when it is missing or not one.
func childObject(parent map[string]any, key string) map[string]any {
	m, ok := parent[key].(map[string]any)
	if !ok {
		m = map[string]any{}
		parent[key] = m
	}
	return m
}

// clusternetRequest builds the call on a Clusternet Localization or Subscription (apps.clusternet.io/v1alpha1,
// handled as unstructured). A Delete sends only the identity.
func clusternetRequest(kind string, op v1alpha1.ResourceOperation, name, namespace string, spec map[string]any, outputRef string) *ResourceRequest {
	obj := identityObject(ClusternetAPIVersion, kind, namespace, name)
	if spec != nil && op != v1alpha1.OperationDelete {
		obj["spec"] = spec
	}
	return &ResourceRequest{
		Operation:  op,
		APIVersion: ClusternetAPIVersion,
		Kind:       kind,
		Namespace:  namespace,
		Name:       name,
		Object:     obj,
		OutputRef:  outputRef,
	}
}

// manifestRequest builds the call of a KubernetesResource action from its rendered manifest. An empty
// metadata.namespace stays empty: namespaced kinds then land in the execution's namespace (where the engine
// runs), cluster-scoped kinds have none.
func manifestRequest(r *v1alpha1.ResourceAction, path *field.Path) (*ResourceRequest, *field.Error) {
	m, err := parseManifest(r.Manifest)
	if err != nil {
		return nil, field.Invalid(path, field.OmitValueType{}, err.Error())
	}
	obj := m.Object
	if r.Operation == v1alpha1.OperationDelete {
		obj = identityObject(m.APIVersion, m.Kind, m.Namespace, m.Name)
	}
	return &ResourceRequest{
		Operation:  r.Operation,
		APIVersion: m.APIVersion,
		Kind:       m.Kind,
		Namespace:  m.Namespace,
		Name:       m.Name,
		Object:     obj,
		OutputRef:  OutputRefResource,
	}, nil
}

// identityObject is the smallest manifest naming an object.
func identityObject(apiVersion, kind, namespace, name string) map[string]any {
	md := map[string]any{"name": name}
	if namespace != "" {
		md["namespace"] = namespace
	}
	return map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": md}
}

// runLabels are the labels identifying a run, on the Argo Workflow and on Jobs.
func runLabels(ir *IR) map[string]string {
	op := string(ir.Operation)
	if ir.Reverse {
		op = string(v1alpha1.OperationRevert)
	}
	return map[string]string{
		v1alpha1.LabelPlan:      labelValue(ir.PlanName),
		v1alpha1.LabelExecution: labelValue(ir.ExecutionName),
		v1alpha1.LabelStage:     labelValue(ir.StageName),
		v1alpha1.LabelWorkflow:  labelValue(ir.WorkflowName),
		v1alpha1.LabelOperation: op,
	}
}
