package translator

import (
	"bytes"
	"encoding/json"
	"fmt"
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
	var stack [8]string
	for _, k := range sortedKeysInto(stack[:0], h.Headers) {
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

// jobRequest builds the Create of the batch/v1 Job of a rendered Job action from its rendered spec:
// deterministic name, the action's labels (ours win over the user's on our keys), ttlSecondsAfterFinished,
// restartPolicy Never when unset (a Job refuses the pod default Always). The rendered spec may be shared
// with other actions, so the maps written into (spec, template, template.spec) are copies; the rest is shared.
func jobRequest(j *v1alpha1.JobAction, rendered map[string]any, ir *IR, action string, run *jobRunLabels) *ResourceRequest {
	spec := copiedMap(rendered, 1)
	if j.TTLSecondsAfterFinished != nil {
		spec["ttlSecondsAfterFinished"] = int64(*j.TTLSecondsAfterFinished)
	}
	template := copiedMap(asObject(spec["template"]), 0)
	spec["template"] = template
	podSpec := copiedMap(asObject(template["spec"]), 1)
	template["spec"] = podSpec
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
	labels := make(map[string]any, len(j.Template.Metadata.Labels)+6)
	for k, v := range j.Template.Metadata.Labels {
		labels[k] = v
	}
	for _, l := range run.get(ir) {
		labels[l.key] = l.value
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
func manifestRequest(r *v1alpha1.ResourceAction, at func() *field.Path) (*ResourceRequest, *field.Error) {
	m, err := parseManifest(r.Manifest)
	if err != nil {
		return nil, field.Invalid(at(), field.OmitValueType{}, err.Error())
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

// decodeObject decodes a JSON object keeping numbers as written.
func decodeObject(raw []byte) (map[string]any, error) {
	if doc, ok := decodeJSONFast(raw); ok {
		if m, ok := doc.(map[string]any); ok {
			return m, nil
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, fmt.Errorf("must be an object")
	}
	return m, nil
}

// asObject is v as a JSON object, or nil.
func asObject(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// copiedMap is a shallow copy of m (nil: an empty map) with room for extra more entries.
func copiedMap(m map[string]any, extra int) map[string]any {
	out := make(map[string]any, len(m)+extra)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// manifestYAML renders an object as YAML with sorted keys: byte-stable. w's buffer is reused across calls.
func manifestYAML(w *yamlWriter, obj map[string]any) (string, error) {
	return w.write(obj)
}

// runLabels are the labels identifying a run, on the Argo Workflow and on Jobs.
func runLabels(ir *IR) map[string]string {
	l := runLabelList(ir)
	m := make(map[string]string, len(l))
	for _, kv := range l {
		m[kv[0]] = kv[1]
	}
	return m
}

// jobRunLabels are the run labels of every Job of one compile, their values boxed once (storing a string
// in a map[string]any allocates); the zero value computes them on first use.
type jobRunLabels struct {
	labels []labelPair
}

type labelPair struct {
	key   string
	value any
}

func (r *jobRunLabels) get(ir *IR) []labelPair {
	if r.labels == nil {
		for _, l := range runLabelList(ir) {
			r.labels = append(r.labels, labelPair{l[0], l[1]})
		}
	}
	return r.labels
}

// runLabelList is runLabels as key-value pairs, for callers copying them into a map of their own.
func runLabelList(ir *IR) [5][2]string {
	op := string(ir.Operation)
	if ir.Reverse {
		op = string(v1alpha1.OperationRevert)
	}
	return [5][2]string{
		{v1alpha1.LabelPlan, labelValue(ir.PlanName)},
		{v1alpha1.LabelExecution, labelValue(ir.ExecutionName)},
		{v1alpha1.LabelStage, labelValue(ir.StageName)},
		{v1alpha1.LabelWorkflow, labelValue(ir.WorkflowName)},
		{v1alpha1.LabelOperation, op},
	}
}
