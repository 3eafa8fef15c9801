package translator

import (
	"errors"
	"math"
	"strings"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// Pass 5, emission, per action: the leaf template that runs one IR action, an Argo `http` or `resource`
// template.

// mergePatch is kubectl's JSON merge patch strategy; strategic merge does not work on custom resources.
const mergePatch = "merge"

// actionTemplate is the leaf template named name running a.
func actionTemplate(a *Action, name string) (wfv1.Template, error) {
	tmpl := wfv1.Template{Name: name, RetryStrategy: retryStrategy(a.Retry)}
	timeoutSeconds := seconds(a.Timeout)
	switch {
	case a.Approval != nil:
		tmpl.Suspend = &wfv1.SuspendTemplate{}
		tmpl.Metadata = approvalMetadata(a.Approval)
	case a.HTTP != nil:
		tmpl.HTTP = httpTemplate(a.HTTP, timeoutSeconds)
	case a.Resource != nil:
		r := a.Resource
		res, err := resourceTemplate(r)
		if err != nil {
			return tmpl, err
		}
		tmpl.Resource = res
		tmpl.ActiveDeadlineSeconds = ptr.To(intstr.FromInt(int(timeoutSeconds)))
		// Argo refuses outputs on delete: the object is gone.
		if r.Operation != v1alpha1.OperationDelete {
			tmpl.Outputs.Parameters = resourceOutputs()
		}
	}
	return tmpl, nil
}

func httpTemplate(h *HTTPRequest, timeoutSeconds int64) *wfv1.HTTP {
	out := &wfv1.HTTP{
		Method:             h.Method,
		URL:                h.URL,
		Body:               h.Body,
		TimeoutSeconds:     ptr.To(timeoutSeconds),
		SuccessCondition:   argoHTTPSuccessCondition(h.SuccessCodes),
		InsecureSkipVerify: h.InsecureSkipVerify,
	}
	for _, hd := range h.Headers {
		header := wfv1.HTTPHeader{Name: hd.Name, Value: hd.Value}
		if hd.SecretKeyRef != nil {
			header = wfv1.HTTPHeader{Name: hd.Name, ValueFrom: &wfv1.HTTPHeaderSource{SecretKeyRef: hd.SecretKeyRef.DeepCopy()}}
		}
		out.Headers = append(out.Headers, header)
	}
	return out
}

// resourceTemplate is the kubectl call of r: its manifest printed by manifestText, and what it waits
// for.
func resourceTemplate(r *ResourceRequest) (*wfv1.ResourceTemplate, error) {
	obj := r.Object
	if r.PerAttempt {
		obj = withName(r.Object, ArgoJobAttemptName(r.Name))
	}
	manifest, err := manifestText(obj)
	if err != nil {
		return nil, err
	}
	res := &wfv1.ResourceTemplate{Action: argoResourceAction(r), Manifest: string(manifest)}
	switch r.Operation {
	case v1alpha1.OperationPatch:
		res.MergeStrategy = mergePatch
	case v1alpha1.OperationDelete:
		if r.Propagation != "" {
			res.Flags = []string{"--cascade=" + strings.ToLower(string(r.Propagation))}
		}
	case v1alpha1.OperationReplace:
		return nil, errors.New(replaceOnArgo) // refused before a run starts (ValidateForArgo)
	}
	switch r.WaitFor {
	case WaitJobComplete:
		res.SuccessCondition = argoJobSucceeded
		res.FailureCondition = argoJobFailed(r.JobBackoffLimit)
	case WaitSubscriptionBound:
		res.SuccessCondition = argoSubscriptionBound
	}
	return res, nil
}

// withName is a copy of obj (a manifest) with metadata.name set; the rest is shared, not modified.
func withName(obj map[string]any, name string) map[string]any {
	out := make(map[string]any, len(obj))
	for k, v := range obj {
		out[k] = v
	}
	meta := map[string]any{}
	if m, ok := obj["metadata"].(map[string]any); ok {
		for k, v := range m {
			meta[k] = v
		}
	}
	meta["name"] = name
	out["metadata"] = meta
	return out
}

// resourceOutputs are the output parameters of every resource template, read back from the object the
// template created or touched (names from argonames.go).
func resourceOutputs() []wfv1.Parameter {
	fields := []struct{ name, path string }{
		{OutputAPIVersion, "apiVersion"},
		{OutputKind, "kind"},
		{OutputName, "metadata.name"},
		{OutputNamespace, "metadata.namespace"},
		{OutputUID, "metadata.uid"},
	}
	params := make([]wfv1.Parameter, 0, len(fields))
	for _, f := range fields {
		params = append(params, wfv1.Parameter{Name: f.name, ValueFrom: &wfv1.ValueFrom{JSONPath: argoJSONPath(f.path)}})
	}
	return params
}

// argoResourceAction maps an operation to kubectl's verb. A Job is created with `apply`: its name is
// deterministic (per attempt when retried), so a pod Argo runs again for the same attempt re-attaches to the
// Job it created and waits on it, where `create` would fail with AlreadyExists.
func argoResourceAction(r *ResourceRequest) string {
	if r.Operation == v1alpha1.OperationCreate && r.WaitFor == WaitJobComplete {
		return "apply"
	}
	return strings.ToLower(string(r.Operation))
}

// retryStrategy maps a retry policy to Argo's: retries on failures and errors alike (policy Always), except
// the API errors a retry cannot fix (argoRetryWorthIt), waiting Interval * factor^n. Argo's factor is an integer (ValidateWorkflow refuses fractional multipliers unless
// the workflow runs on the native engine).
func retryStrategy(r Retry) *wfv1.RetryStrategy {
	if r.Limit <= 0 {
		return nil
	}
	return &wfv1.RetryStrategy{
		Limit:       ptr.To(intstr.FromInt32(r.Limit)),
		RetryPolicy: wfv1.RetryPolicyAlways,
		Expression:  argoRetryWorthIt,
		Backoff: &wfv1.Backoff{
			Duration: r.Interval.String(),
			Factor:   ptr.To(intstr.FromInt32(int32(math.Round(r.BackoffFactor)))),
		},
	}
}

// seconds rounds a duration up to whole seconds, at least 1.
func seconds(d time.Duration) int64 {
	s := int64(math.Ceil(d.Seconds()))
	if s < 1 {
		return 1
	}
	return s
}
